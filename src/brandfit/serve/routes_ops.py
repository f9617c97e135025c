"""What operators and tools ask about the server: ``GET /v1/models`` (behind the API key like every /v1 route), and
the open ``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse, Response

from brandfit.serve import schemas as S
from brandfit.serve.metrics import CONTENT_TYPE_LATEST
from brandfit.serve.models import ModelManager
from brandfit.serve.responses import JSONOut
from brandfit.serve.state import ServeState, get_state

__all__ = ["models_router", "ops_router"]

logger = logging.getLogger(__name__)

models_router = APIRouter(tags=["models"])
ops_router = APIRouter(tags=["ops"])


def _versions(mgr: ModelManager) -> list[dict[str, Any]]:
    """The registry's versions with their aliases (blocking: reads the registry)."""
    reg = mgr.registry()
    aliases = reg.aliases()
    out = []
    for mv in reg.list():
        try:
            meta = mv.metadata
        except Exception as exc:  # a broken version is listed, not fatal
            meta = {"error": str(exc)}
        out.append({"ref": mv.ref, "aliases": [a for a, t in aliases.items() if t == mv.ref],
                    "published_at": meta.get("published_at"), "description": meta.get("description")})
    return out


@models_router.get("/models", response_model=S.ModelsOut,
                   summary="The model served, the alias it follows and the registry's versions")
async def models(state: ServeState = Depends(get_state)) -> Response:
    mgr = state.manager
    try:
        versions = await asyncio.get_running_loop().run_in_executor(None, _versions, mgr)
    except Exception as exc:
        versions = []
        logger.warning("cannot list %s: %s", mgr.registry_root, exc)
    return JSONOut({**mgr.status(), "versions": versions})


@ops_router.get("/healthz", response_model=S.Health, summary="The process is up (never waits on the model)")
async def healthz(state: ServeState = Depends(get_state)) -> Response:
    cur = state.manager.current
    return JSONOut({"status": "ok", "model_version": cur.version if cur else None})


@ops_router.get("/readyz", response_model=S.Ready,
                summary="Ready to score: 200 with details, 503 while the model loads",
                responses={503: {"model": S.Ready, "description": "The model is still loading"}})
async def readyz(state: ServeState = Depends(get_state)) -> Response:
    status = state.manager.status()
    status["queued_accounts"] = state.batcher.queued_accounts
    if state.manager.current is None:
        return JSONOut({"status": "starting", **status}, status_code=503)
    return JSONOut({"status": "ready", **status})


@ops_router.get("/metrics", summary="Prometheus metrics (text exposition format)", response_class=PlainTextResponse,
                responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
async def metrics_route(state: ServeState = Depends(get_state)) -> Response:
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
