"""Every error as RFC 9457 problem details (``application/problem+json``) naming the field: the app's exception
handlers, and the ``responses`` entries that document them in OpenAPI."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from brandfit.serve import schemas as S
from brandfit.serve.limits import PROBLEM_JSON, Problem

__all__ = ["install_error_handlers", "problem_response", "problem_docs"]

logger = logging.getLogger(__name__)

_UNION_TAGS = ("str", "BrandTopicIn", "PostIn", "int", "float")


def problem_response(problem: Problem, instance: str | None) -> JSONResponse:
    return JSONResponse(problem.body(instance), status_code=problem.status, media_type=PROBLEM_JSON,
                        headers=problem.headers)


def problem_docs(codes: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these status codes: each a :class:`~brandfit.serve.schemas.Problem` body."""
    return {code: {"model": S.Problem, "description": text, "content": {PROBLEM_JSON: {}}}
            for code, text in codes.items()}


def loc_to_field(loc: tuple[Any, ...]) -> str:
    """pydantic's error location as the dotted field path our problems use (``accounts[2].bio``)."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif p in _UNION_TAGS or "[" in str(p) or "function" in str(p):
            continue  # pydantic's tag of a union member, not a field
        else:
            out += f".{p}" if out else str(p)
    return out or "body"


async def _on_problem(request: Request, exc: Problem) -> JSONResponse:
    return problem_response(exc, request.url.path)


async def _on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    status = 422
    for e in exc.errors():
        f = loc_to_field(tuple(e.get("loc", ())))
        if e.get("type") == "json_invalid":
            status, f = 400, "body"
        errors.append({"field": f, "detail": e.get("msg", "invalid"), "type": e.get("type")})
    first = errors[0] if errors else {"field": "body", "detail": "invalid"}
    title = "Malformed JSON" if status == 400 else "Invalid input"
    detail = f"{first['field']}: {first['detail']}"
    if status == 400:
        detail = "body: not valid JSON" + (f" ({first['detail']})" if first["detail"] else "")
    problem = Problem(status, title, detail, field=first["field"], extra={"errors": errors})
    return problem_response(problem, request.url.path)


async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    problem = Problem(exc.status_code, {404: "Not found", 405: "Method not allowed"}.get(exc.status_code,
                      "HTTP error"), str(exc.detail), kind="http", headers=getattr(exc, "headers", None))
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
    app.add_exception_handler(Exception, _on_bug)
