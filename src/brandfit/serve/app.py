"""The FastAPI application: configuration, the lifespan (load, poll for hot swaps, drain), and the assembly of
the routers, error handlers and edge middleware that live in their own modules.

>>> from brandfit.serve.app import ServeConfig, create_app   # doctest: +SKIP
>>> app = create_app(ServeConfig(ref="production"))           # doctest: +SKIP

Modules: :mod:`~brandfit.serve.state` (what routes share, and the dependencies handing it out),
:mod:`~brandfit.serve.routes_scoring`, :mod:`~brandfit.serve.routes_texts`, :mod:`~brandfit.serve.routes_ops`
(the routes), :mod:`~brandfit.serve.handlers` (problem+json errors), :mod:`~brandfit.serve.edge` (request id,
body limit, access log, request metrics). Import only after :func:`brandfit.serve.require_extra` (FastAPI).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI

from brandfit import __version__
from brandfit.errors import SettingsError
from brandfit.model import RelevanceModel
from brandfit.serve import routes_ops, routes_scoring, routes_texts
from brandfit.serve import schemas as S
from brandfit.serve.batching import Arrivals, MicroBatcher
from brandfit.serve.docs import mount_docs
from brandfit.serve.edge import Edge
from brandfit.serve.handlers import install_error_handlers, problem_docs
from brandfit.serve.limits import Limits
from brandfit.serve.metrics import ServeMetrics
from brandfit.serve.models import ModelManager
from brandfit.serve.responses import JSONOut
from brandfit.serve.state import ENV_API_KEY, ServeState, authorize

__all__ = ["ServeConfig", "create_app", "ENV_API_KEY"]

logger = logging.getLogger(__name__)

_MAX_WAIT = 0.005
"""The batcher's idle gap without Arrivals (:class:`~brandfit.serve.batching.MicroBatcher`'s default)."""


@dataclass
class ServeConfig:
    """Everything ``brandfit serve`` can be told; the defaults are the CLI's."""

    ref: str = "production"
    registry: str | Path | None = None
    backend: str | None = None
    limits: Limits = field(default_factory=Limits)
    max_batch: int = 256
    max_delay: float = 0.025
    """Longest (seconds) a batch waits, once a worker is free, for requests the edge has seen arriving (see
    :class:`~brandfit.serve.batching.Arrivals`)."""
    workers: int = 2
    """Scorer calls at once: two keep the embedder busy while the other call is in its Python stages."""
    poll_interval: float = 2.0
    """Seconds between checks of the registry alias; 0 turns hot swap off."""
    api_key: str | None = field(default_factory=lambda: (os.environ.get(ENV_API_KEY) or "").strip() or None)

    def __post_init__(self) -> None:
        """Refuse unusable numbers here, before a model loads or anything listens (one-line errors)."""
        for name in ("max_batch", "workers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SettingsError(f"{name}: must be a positive integer, got {value!r}")
        for name in ("max_delay", "poll_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise SettingsError(f"{name}: must be a finite number of seconds >= 0, got {value!r}")


def _batcher(cfg: ServeConfig, metrics: ServeMetrics, arrivals: Arrivals) -> MicroBatcher:
    """The app's micro-batcher. ``max_wait`` (the idle gap of a batcher without Arrivals) is also the batcher's
    floor for ``max_delay``: capping it at ``max_delay`` keeps a delay under 5 ms (0 included) as given."""
    return MicroBatcher(max_batch=cfg.max_batch, max_wait=min(_MAX_WAIT, cfg.max_delay), max_delay=cfg.max_delay,
                        workers=cfg.workers, arrivals=arrivals, on_batch=metrics.observe_batch)


def _track_model(metrics: ServeMetrics):
    def on_change(m: ModelManager, what: str) -> None:
        if m.current is not None:
            metrics.set_model(m.current.version, m.current.model.backend)
        metrics.model_swaps.labels(outcome=what).inc()
        metrics.swap_refused.set(1 if m.refused else 0)

    return on_change


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI):
    """Load the model unless given one, poll the alias for hot swaps; on the way out stop polling and drain."""
    state: ServeState = app.state.serve
    mgr, loop = state.manager, asyncio.get_running_loop()
    if state.batcher.closed:  # a second start of the same app (in-process use): a fresh batcher
        state.batcher = _batcher(state.config, state.metrics, state.arrivals)
    if mgr.current is None:
        await loop.run_in_executor(None, mgr.load_initial)
    else:
        state.metrics.set_model(mgr.current.version, mgr.current.model.backend)
    interval = state.config.poll_interval
    poller = loop.create_task(mgr.poll(interval)) if interval > 0 else None
    logger.info("serving %s (%s backend)", mgr.current.version if mgr.current else None, mgr.backend)
    try:
        yield
    finally:
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        await state.batcher.close()  # whatever is queued still gets its answer


def create_app(config: ServeConfig | None = None, *, model: RelevanceModel | None = None,
               manager: ModelManager | None = None) -> FastAPI:
    """The brandfit HTTP API. ``model`` serves an already loaded model (tests); otherwise the lifespan loads
    ``config.ref`` from the registry. The alias is polled every ``config.poll_interval`` s for hot swaps."""
    cfg = config or ServeConfig()
    metrics = ServeMetrics()
    mgr = manager or ModelManager(cfg.ref, registry=cfg.registry, backend=cfg.backend, model=model)
    mgr.on_change = _track_model(metrics)
    app = FastAPI(
        title="brandfit", version=__version__, lifespan=_lifespan, default_response_class=JSONOut,
        docs_url=None, redoc_url=None,  # mount_docs serves them from installed files, not a CDN
        description="How well influencer accounts (bio + posts) fit a brand's topic, and how advertorial their "
                    "tone is. Errors are RFC 9457 problem details naming the offending field.",
    )
    arrivals = Arrivals()  # the edge announces each request; the batcher waits only for those on their way
    app.state.serve = ServeState(config=cfg, manager=mgr, batcher=_batcher(cfg, metrics, arrivals),
                                 metrics=metrics, arrivals=arrivals)
    app.add_middleware(Edge, limits=cfg.limits, metrics=metrics, arrivals=arrivals)
    install_error_handlers(app)
    # the API key guards /v1 only when one is set, and only then does OpenAPI declare it (and its 401)
    guard = {"dependencies": [Depends(authorize)], "responses": problem_docs(401)} if cfg.api_key else {}
    for router in (routes_scoring.router, routes_texts.router, routes_ops.models_router):
        app.include_router(router, prefix="/v1", **guard)
    app.include_router(routes_ops.ops_router)
    mount_docs(app)
    app.openapi = functools.partial(_openapi, app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's OpenAPI document, finished by :func:`~brandfit.serve.schemas.finish_openapi` (shared schemas,
    this server's limits)."""
    if app.openapi_schema is None:
        S.finish_openapi(FastAPI.openapi(app), app.state.serve.limits)  # FastAPI.openapi caches it on the app
    return app.openapi_schema
