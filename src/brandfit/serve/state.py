"""What every route of one app shares (``app.state.serve``), and the FastAPI dependencies that hand it out.

Routes never capture the app they live in: they ask for :func:`get_state`, :func:`served` (the model snapshot a
request scores with, 503 while none is loaded), :func:`json_body` or :func:`authorize` (the API key check) as
dependencies. All are ``async def``: FastAPI runs a plain ``def`` dependency on its thread pool, and those hops,
slow while a scoring thread holds the GIL, cost throughput (measured at 16 clients on a shared 2-core machine:
0.73x in-process with plain ``def`` dependencies; 0.79-0.86x with ``async def``, as before the split).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from brandfit._safejson import MAX_DEPTH, max_depth
from brandfit.serve.batching import Arrivals, MicroBatcher
from brandfit.serve.limits import Limits, Problem
from brandfit.serve.metrics import ServeMetrics
from brandfit.serve.models import ModelManager, Served

if TYPE_CHECKING:
    from brandfit.serve.app import ServeConfig

__all__ = ["ServeState", "ENV_API_KEY", "get_state", "served", "authorize", "json_body", "check_depth"]

ENV_API_KEY = "BRANDFIT_API_KEY"


@dataclass
class ServeState:
    """One app's configuration, model manager, batcher and metrics, and the requests on their way to the batcher."""

    config: ServeConfig
    manager: ModelManager
    batcher: MicroBatcher
    metrics: ServeMetrics
    arrivals: Arrivals

    @property
    def limits(self) -> Limits:
        return self.config.limits

    @property
    def api_key(self) -> bytes | None:
        return self.config.api_key.encode() if self.config.api_key else None


async def get_state(request: Request) -> ServeState:
    return request.app.state.serve


async def served(state: ServeState = Depends(get_state)) -> Served:
    """The model snapshot this request scores with, start to end (a hot swap never changes it mid-request)."""
    cur = state.manager.current
    if cur is None:
        raise Problem(503, "Not ready", "the model is still loading; retry shortly", kind="not-ready",
                      headers={"Retry-After": "2"})
    return cur


async def json_body(request: Request) -> None:
    """415 unless the request says its body is JSON (``application/json`` or ``application/*+json``); 400 when it
    is nested deeper than :data:`~brandfit._safejson.MAX_DEPTH` levels (see :func:`check_depth`)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json" and not (kind.startswith("application/") and kind.endswith("+json")):
        raise Problem(415, "Unsupported media type", f"content-type: expected application/json, got "
                      f"{kind or 'none'}", field="content-type", kind="unsupported-media-type")
    check_depth(await request.body())  # already read (and parsed) by FastAPI: cached, no second read


def check_depth(body: bytes) -> None:
    """400 ``body`` for JSON nested deeper than :data:`~brandfit._safejson.MAX_DEPTH` levels, the documented limit.

    ``json.loads`` itself only gives up near Python's recursion limit (about 1000 levels); up to there a deep body
    would be parsed and then refused by schema validation with a less useful message. The scan is linear and runs
    only when the body holds more brackets than the limit."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return
    if max_depth(body.decode("utf-8", "replace"), MAX_DEPTH) > MAX_DEPTH:
        raise Problem(400, "Malformed JSON", f"body: nested deeper than {MAX_DEPTH} levels", field="body")


bearer = HTTPBearer(auto_error=False, description=f"Required when the server has ${ENV_API_KEY} set.")


async def authorize(creds: Optional[HTTPAuthorizationCredentials] = Depends(bearer),
                    state: ServeState = Depends(get_state)) -> None:
    """401 unless ``Authorization: Bearer <key>`` matches the server's key (constant-time); open without a key."""
    key = state.api_key
    if key is None:
        return
    token = creds.credentials.encode() if creds is not None and creds.scheme.lower() == "bearer" else b""
    if not hmac.compare_digest(token, key):
        raise Problem(401, "Unauthorized", "authorization: a valid 'Bearer <API key>' header is required",
                      field="authorization", kind="unauthorized",
                      headers={"WWW-Authenticate": 'Bearer realm="brandfit"'})
