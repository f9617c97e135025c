"""Every error as RFC 9457 problem details (``application/problem+json``) naming the field: the app's exception
handlers, and the ``responses`` entries that document them in OpenAPI."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from brandfit.serve.batching import BatcherClosed
from brandfit.serve.edge import BODY_KEY
from brandfit.serve.limits import PROBLEM_JSON, Problem
from brandfit.serve.responses import problem_response

__all__ = ["install_error_handlers", "problem_docs"]

logger = logging.getLogger(__name__)

_FASTAPI_PARSE_ERROR = "There was an error parsing the body"
_UNION_TAGS = ("str", "BrandTopicIn", "int", "float")


PROBLEM_REF = "#/components/schemas/Problem"
_MEANING = {400: "Malformed JSON (field: body)", 401: "Missing or wrong API key (field: authorization)",
            413: "Body over the size limit (field: body)", 415: "Body not sent as JSON (field: content-type)",
            422: "Invalid input or over a limit (names the field)",
            503: "Model still loading, or the server shutting down (Retry-After)"}


def problem_docs(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these status codes: each an ``application/problem+json``
    :class:`~brandfit.serve.schemas.Problem` (added to the components by
    :func:`~brandfit.serve.schemas.finish_openapi`)."""
    return {code: {"description": _MEANING[code], "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}}
            for code in codes}


def _is_tag(part: Any) -> bool:
    """Whether a part of pydantic's error location is the tag of a union member (``str``), not a field."""
    return not isinstance(part, int) and (part in _UNION_TAGS or "[" in str(part) or "function" in str(part))


def loc_to_field(loc: tuple[Any, ...]) -> str:
    """pydantic's error location as the dotted field path our problems use (``accounts[2].bio``)."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif _is_tag(p):
            continue  # pydantic's tag of a union member, not a field
        else:
            out += f".{p}" if out else str(p)
    return out or "body"


async def _on_problem(request: Request, exc: Problem) -> JSONResponse:
    return problem_response(exc, request.url.path)


def primary_error(raw: list[dict[str, Any]]) -> int:
    """The index of the pydantic error the problem's ``detail`` and ``field`` name: the first, unless it only says
    the input is not some union member's type (``brand_topic: Input should be a valid string`` for an object)
    while another member of the same union got further into that input; then that member's first error
    (``brand_topic.description: Field required``), which is what the client has to fix."""
    if not raw:
        return 0
    loc = tuple(raw[0].get("loc", ()))
    if not loc or not _is_tag(loc[-1]) or not str(raw[0].get("type", "")).endswith("_type"):
        return 0
    union = loc[:-1]  # the field the union sits at
    for i, e in enumerate(raw[1:], 1):
        other = tuple(e.get("loc", ()))
        if len(other) > len(loc) and other[:len(union)] == union and _is_tag(other[len(union)]):
            return i
    return 0


async def _on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    status = 422
    raw = list(exc.errors())
    for e in raw:
        f = loc_to_field(tuple(e.get("loc", ())))
        if e.get("type") == "json_invalid":
            status, f = 400, "body"
        errors.append({"field": f, "detail": e.get("msg", "invalid"), "type": e.get("type")})
    first = errors[primary_error(raw)] if errors else {"field": "body", "detail": "invalid"}
    title = "Malformed JSON" if status == 400 else "Invalid input"
    detail = f"{first['field']}: {first['detail']}"
    if status == 400:
        detail = "body: not valid JSON" + (f" ({first['detail']})" if first["detail"] else "")
    problem = Problem(status, title, detail, field=first["field"], extra={"errors": errors})
    return problem_response(problem, request.url.path)


def _unparsable(request: Request) -> Problem:
    """FastAPI's bare 400 for a body ``json.loads`` gave up on (nesting, a huge integer), with the reason."""
    from brandfit._safejson import JSONLimitError, loads_bounded

    reason = "could not be parsed"
    try:
        loads_bounded(request.scope.get("state", {}).get(BODY_KEY) or b"")
    except JSONLimitError as exc:
        reason = str(exc)
    return Problem(400, "Malformed JSON", f"body: {reason}", field="body")


async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400 and exc.detail == _FASTAPI_PARSE_ERROR:
        return problem_response(_unparsable(request), request.url.path)
    problem = Problem(exc.status_code, {404: "Not found", 405: "Method not allowed"}.get(exc.status_code,
                      "HTTP error"), str(exc.detail), kind="http", headers=getattr(exc, "headers", None))
    return problem_response(problem, request.url.path)


async def _on_closed(request: Request, exc: BatcherClosed) -> JSONResponse:
    problem = Problem(503, "Shutting down", "the server is shutting down; retry on another instance",
                      kind="not-ready", headers={"Retry-After": "2"})
    return problem_response(problem, request.url.path)


async def _on_bug(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s", request.url.path)
    rid = request.scope.get("state", {}).get("request_id")
    problem = Problem(500, "Internal error", f"unexpected error (request id {rid}); see the server log",
                      kind="internal")
    return problem_response(problem, request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_invalid)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(BatcherClosed, _on_closed)
    app.add_exception_handler(Exception, _on_bug)
