"""The FastAPI application: routes, problem+json errors, request ids and access log, metrics, lifespan.

>>> from brandfit.serve.app import ServeConfig, create_app   # doctest: +SKIP
>>> app = create_app(ServeConfig(ref="production"))           # doctest: +SKIP

Import only after :func:`brandfit.serve.require_extra` (this module imports FastAPI).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from brandfit import __version__
from brandfit.model import RelevanceModel
from brandfit.scoring import Relevance
from brandfit.serve import limits as lim
from brandfit.serve import schemas as S
from brandfit.serve.batching import MicroBatcher
from brandfit.serve.limits import PROBLEM_JSON, Limits, Problem
from brandfit.serve.metrics import CONTENT_TYPE_LATEST, ServeMetrics
from brandfit.serve.models import ModelManager, Served
from brandfit.topics import TOPICS

__all__ = ["ServeConfig", "create_app", "ENV_API_KEY"]

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("brandfit.serve.access")

ENV_API_KEY = "BRANDFIT_API_KEY"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


@dataclass
class ServeConfig:
    """Everything ``brandfit serve`` can be told; the defaults are the CLI's."""

    ref: str = "production"
    registry: str | Path | None = None
    backend: str | None = None
    limits: Limits = field(default_factory=Limits)
    max_batch: int = 256
    max_wait: float = 0.005
    """Seconds without a new request that end a batch's wait for company."""
    max_delay: float = 0.025
    """Longest a request waits for company before its batch is scored."""
    workers: int = 1
    poll_interval: float = 2.0
    """Seconds between checks of the registry alias; 0 turns hot swap off."""
    api_key: str | None = field(default_factory=lambda: (os.environ.get(ENV_API_KEY) or "").strip() or None)


# ------------------------------------------------------------------------------------------------ helpers


def _problem_response(problem: Problem, instance: str | None) -> JSONResponse:
    return JSONResponse(problem.body(instance), status_code=problem.status, media_type=PROBLEM_JSON,
                        headers=problem.headers)


def _loc_to_field(loc: tuple[Any, ...]) -> str:
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif p in ("str", "BrandTopicIn", "PostIn", "int", "float") or "[" in str(p) or "function" in str(p):
            continue  # pydantic's tag of a union member, not a field
        else:
            out += f".{p}" if out else str(p)
    return out or "body"


def _relevance_json(r: Relevance) -> dict[str, Any]:
    d = r.to_dict()
    d["rank_score"] = r.rank_score
    return d


def _brand_raw(value: Any) -> Any:
    return value.model_dump() if isinstance(value, S.BrandTopicIn) else value


# --------------------------------------------------------------------------------------------- middleware


class _Edge:
    """Pure ASGI middleware: request id, body-size limit, access log line, request metrics."""

    def __init__(self, app: Any, *, limits: Limits, metrics: ServeMetrics) -> None:
        self.app, self.limits, self.metrics = app, limits, metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        status_box = [500]

        async def send_wrapped(message: dict) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        self.metrics.in_flight.inc()
        try:
            body_problem = None
            if scope.get("method") in ("POST", "PUT", "PATCH"):
                receive, body_problem = await self._bounded(headers, receive)
            if body_problem is not None:
                resp = _problem_response(body_problem, scope.get("path"))
                await resp(scope, receive, send_wrapped)
            else:
                await self.app(scope, receive, send_wrapped)
        finally:
            self.metrics.in_flight.dec()
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(route=route, method=scope.get("method", ""), status=str(status_box[0])).inc()
            self.metrics.latency.labels(route=route).observe(seconds)
            if access_logger.isEnabledFor(logging.INFO):
                client = scope.get("client")
                access_logger.info(json.dumps({
                    "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z", "request_id": rid,
                    "method": scope.get("method"), "path": scope.get("path"), "status": status_box[0],
                    "duration_ms": round(seconds * 1000, 2), "client": client[0] if client else None,
                }))

    async def _bounded(self, headers: dict, receive: Any) -> tuple[Any, Problem | None]:
        """Read the body up to the limit; a :class:`Problem` (413) when it is larger."""
        limit = self.limits.max_body_bytes
        too_big = Problem(413, "Request body too large", f"body: at most {limit} bytes", field="body",
                          kind="too-large")
        length = headers.get(b"content-length")
        if length is not None:
            try:
                if int(length) > limit:
                    return receive, too_big
            except ValueError:
                return receive, Problem(400, "Bad request", "content-length: not a number", field="content-length")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return receive, too_big
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = [False]

        async def replay() -> dict:
            if not sent[0]:
                sent[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay, None


# -------------------------------------------------------------------------------------------------- the app


def create_app(config: ServeConfig | None = None, *, model: RelevanceModel | None = None,
               manager: ModelManager | None = None) -> FastAPI:
    """The brandfit HTTP API. ``model`` serves an already loaded model (tests); otherwise the lifespan loads
    ``config.ref`` from the registry. The alias is polled every ``config.poll_interval`` s for hot swaps."""
    cfg = config or ServeConfig()
    limits = cfg.limits
    metrics = ServeMetrics()
    mgr = manager or ModelManager(cfg.ref, registry=cfg.registry, backend=cfg.backend, model=model)

    def on_change(m: ModelManager, what: str) -> None:
        if m.current is not None:
            metrics.set_model(m.current.version, m.current.model.backend)
        metrics.model_swaps.labels(outcome=what).inc()
        metrics.swap_refused.set(1 if m.refused else 0)

    mgr.on_change = on_change
    batcher = MicroBatcher(max_batch=cfg.max_batch, max_wait=cfg.max_wait, max_delay=cfg.max_delay,
                           workers=cfg.workers,
                           on_batch=metrics.observe_batch)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        loop = asyncio.get_running_loop()
        if mgr.current is None:
            await loop.run_in_executor(None, mgr.load_initial)
        else:
            metrics.set_model(mgr.current.version, mgr.current.model.backend)
        poller = loop.create_task(mgr.poll(cfg.poll_interval)) if cfg.poll_interval > 0 else None
        logger.info("serving %s (%s backend)", mgr.current.version if mgr.current else None, mgr.backend)
        try:
            yield
        finally:
            if poller is not None:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller
            await batcher.close()  # whatever is queued still gets its answer

    app = FastAPI(
        title="brandfit", version=__version__, lifespan=lifespan,
        description="How well influencer accounts (bio + posts) fit a brand's topic, and how advertorial their "
                    "tone is. Errors are RFC 9457 problem details naming the offending field.",
    )
    app.state.config, app.state.manager, app.state.batcher, app.state.metrics = cfg, mgr, batcher, metrics
    app.add_middleware(_Edge, limits=limits, metrics=metrics)

    # ------------------------------------------------------------------------------------------- errors
    @app.exception_handler(Problem)
    async def _on_problem(request: Request, exc: Problem) -> JSONResponse:
        return _problem_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        status = 422
        for e in exc.errors():
            f = _loc_to_field(tuple(e.get("loc", ())))
            if e.get("type") == "json_invalid":
                status, f = 400, "body"
            errors.append({"field": f, "detail": e.get("msg", "invalid"), "type": e.get("type")})
        first = errors[0] if errors else {"field": "body", "detail": "invalid"}
        title = "Malformed JSON" if status == 400 else "Invalid input"
        detail = f"{first['field']}: {first['detail']}"
        if status == 400:
            detail = "body: not valid JSON" + (f" ({first['detail']})" if first["detail"] else "")
        problem = Problem(status, title, detail, field=first["field"], extra={"errors": errors})
        return _problem_response(problem, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        problem = Problem(exc.status_code, {404: "Not found", 405: "Method not allowed"}.get(exc.status_code,
                          "HTTP error"), str(exc.detail), kind="http", headers=getattr(exc, "headers", None))
        return _problem_response(problem, request.url.path)

    @app.exception_handler(Exception)
    async def _on_bug(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s", request.url.path)
        rid = request.scope.get("state", {}).get("request_id")
        problem = Problem(500, "Internal error", f"unexpected error (request id {rid}); see the server log",
                          kind="internal")
        return _problem_response(problem, request.url.path)

    # --------------------------------------------------------------------------------------------- auth
    bearer = HTTPBearer(auto_error=False, description=f"Required when the server has ${ENV_API_KEY} set.")
    key = cfg.api_key.encode() if cfg.api_key else None

    async def authorize(creds: Optional[HTTPAuthorizationCredentials] = Depends(bearer)) -> None:
        if key is None:
            return
        token = creds.credentials.encode() if creds is not None and creds.scheme.lower() == "bearer" else b""
        if not hmac.compare_digest(token, key):
            raise Problem(401, "Unauthorized", "authorization: a valid 'Bearer <API key>' header is required",
                          field="authorization", kind="unauthorized",
                          headers={"WWW-Authenticate": 'Bearer realm="brandfit"'})

    def served() -> Served:
        cur = mgr.current
        if cur is None:
            raise Problem(503, "Not ready", "the model is still loading; retry shortly", kind="not-ready",
                          headers={"Retry-After": "2"})
        return cur

    errors_doc = {code: {"model": S.Problem, "description": text, "content": {PROBLEM_JSON: {}}}
                  for code, text in ((400, "Malformed JSON"), (401, "Missing or wrong API key"),
                                     (413, "Body too large"), (422, "Invalid input or over a limit (names the field)"),
                                     (503, "Model still loading"))}
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(authorize)], responses=errors_doc)

    def parse_accounts(raw: list[Any]) -> list[Any]:
        if len(raw) > limits.max_accounts:
            raise lim.too_large("accounts", f"at most {limits.max_accounts} accounts per request, got {len(raw)}")
        return raw

    @v1.post("/relevance", response_model=S.RelevanceOut, tags=["relevance"],
             summary="Brand fit of one account")
    async def relevance(req: S.RelevanceRequest) -> Response:
        cur = served()
        brand = lim.check_brand(_brand_raw(req.brand_topic), limits)
        account = lim.check_account(req.account, "account", limits)
        [result] = await batcher.score(cur.pipeline, [account], brand)
        return JSONResponse(_relevance_json(result))

    @v1.post("/relevance/batch", response_model=S.BatchOut, tags=["relevance"],
             summary="Brand fit of many accounts; a bad account is a per-item error")
    async def relevance_batch(req: S.BatchRequest) -> Response:
        cur = served()
        brand = lim.check_brand(_brand_raw(req.brand_topic), limits)
        items: list[dict[str, Any]] = []
        good: list[tuple[int, Any]] = []
        for i, raw in enumerate(parse_accounts(req.accounts)):
            try:
                good.append((i, lim.check_account(raw, f"accounts[{i}]", limits)))
                items.append({"index": i, "ok": True, "result": None, "error": None})
            except Problem as p:
                items.append({"index": i, "ok": False, "result": None, "error": p.item()})
        results = await batcher.score(cur.pipeline, [a for _, a in good], brand)
        for (i, _), r in zip(good, results):
            items[i]["result"] = _relevance_json(r)
        return JSONResponse({"model_version": cur.version, "n_ok": len(good), "n_errors": len(items) - len(good),
                             "results": items})

    @v1.post("/rank", response_model=S.RankOut, tags=["relevance"],
             summary="Shortlist: the top accounts by rank_score = score x (1 - promo_penalty x promo_ratio)")
    async def rank(req: S.RankRequest) -> Response:
        from brandfit.scoring import rank_score

        cur = served()
        brand = lim.check_brand(_brand_raw(req.brand_topic), limits)
        accounts = [lim.check_account(raw, f"accounts[{i}]", limits) for i, raw in enumerate(parse_accounts(req.accounts))]
        results = await batcher.score(cur.pipeline, accounts, brand)
        rows = []
        for i, r in enumerate(results):
            d = _relevance_json(r)
            d["rank_score"] = rank_score(r.score, r.promo_ratio, req.promo_penalty)
            d["index"] = i
            rows.append(d)
        rows.sort(key=lambda d: (d["rank_score"], d["score"]), reverse=True)  # stable: ties keep input order
        rows = rows[:req.top]
        for n, d in enumerate(rows, 1):
            d["rank"] = n
        return JSONResponse({"model_version": cur.version, "n_scored": len(results), "results": rows})

    @v1.post("/texts", response_model=S.TextsOut, tags=["texts"],
             summary="Topic probabilities, promo probability and cues of single texts")
    async def texts(req: S.TextsRequest) -> Response:
        cur = served()
        lim.check_texts(req.texts, limits)
        model = cur.model
        if req.texts:
            analysis = await asyncio.get_running_loop().run_in_executor(batcher.executor, model.analyze, req.texts)
            rows = [{"topic_probs": dict(zip(TOPICS, map(float, tp))), "top_topic": TOPICS[int(tp.argmax())],
                     "promo_probability": float(pp), "promo": bool(pp >= model.promo_threshold), "cues": list(cues)}
                    for tp, pp, cues in zip(analysis.topic_proba, analysis.promo_proba, analysis.cues)]
        else:
            rows = []
        return JSONResponse({"model_version": cur.version, "topics": list(TOPICS),
                             "promo_threshold": model.promo_threshold, "results": rows})

    @v1.get("/models", tags=["models"], summary="The model served, the alias it follows and the registry's versions")
    async def models() -> Response:
        def listing() -> list[dict[str, Any]]:
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

        try:
            versions = await asyncio.get_running_loop().run_in_executor(None, listing)
        except Exception as exc:
            versions = []
            logger.warning("cannot list %s: %s", mgr.registry_root, exc)
        return JSONResponse({**mgr.status(), "versions": versions})

    app.include_router(v1)

    # ------------------------------------------------------------------------------------------- ops
    @app.get("/healthz", response_model=S.Health, tags=["ops"], summary="The process is up (never waits on the model)")
    async def healthz() -> Response:
        cur = mgr.current
        return JSONResponse({"status": "ok", "model_version": cur.version if cur else None})

    @app.get("/readyz", tags=["ops"], summary="Ready to score: 200 with details, 503 while the model loads")
    async def readyz() -> Response:
        status = mgr.status()
        status["queued_accounts"] = batcher.queued_accounts
        if mgr.current is None:
            return JSONResponse({"status": "starting", **status}, status_code=503)
        return JSONResponse({"status": "ready", **status})

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", response_class=Response)
    async def metrics_route() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return app
