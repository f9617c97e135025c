"""The app's outer edge, a pure ASGI middleware: request id, body-size limit, access log line, request metrics.

Runs before routing, so a body over ``max_body_bytes`` is refused (413 problem) before anything parses it, and
every answer, a routing 404 included, gets an ``X-Request-ID`` header, one JSON access-log line (no bodies, no
headers) and its count in the metrics. Each POST is announced to the micro-batcher (:class:`Arrivals`) from the
moment its body is read until its accounts are queued, so a batch waits for the requests being validated, and
only those.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
import uuid
from typing import Any

from brandfit.serve.batching import Arrivals
from brandfit.serve.limits import Limits, Problem
from brandfit.serve.metrics import ServeMetrics
from brandfit.serve.responses import problem_response

__all__ = ["Edge", "BODY_KEY"]

BODY_KEY = "brandfit.body"
"""Where the request body read here is kept in the request state."""

access_logger = logging.getLogger("brandfit.serve.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class Edge:
    """Pure ASGI middleware: request id, body-size limit, access log line, request metrics."""

    def __init__(self, app: Any, *, limits: Limits, metrics: ServeMetrics, arrivals: Arrivals | None = None) -> None:
        self.app, self.limits, self.metrics = app, limits, metrics
        self.arrivals = arrivals or Arrivals()

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
        posted = scope.get("method") in ("POST", "PUT", "PATCH")
        try:
            body_problem = None
            if posted:
                receive, body_problem = await self._bounded(scope, headers, receive)
            if body_problem is not None:
                resp = problem_response(body_problem, scope.get("path"))
                await resp(scope, receive, send_wrapped)
            else:
                # a POST with its body in hand may bring accounts to score: the batcher waits for it (until it
                # is queued or answered). Not while the body arrives: a slow upload must not hold every batch.
                with self.arrivals.announce() if posted else contextlib.nullcontext():
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

    async def _bounded(self, scope: dict, headers: dict, receive: Any) -> tuple[Any, Problem | None]:
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
        scope["state"][BODY_KEY] = body  # for the 400 handler to say why the body does not parse
        sent = [False]

        async def replay() -> dict:
            if not sent[0]:
                sent[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay, None
