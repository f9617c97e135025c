"""How answers are written: JSON that survives any input echoed back, and problem+json for errors."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

from brandfit.serve.limits import PROBLEM_JSON, Problem

__all__ = ["JSONOut", "problem_response"]


class JSONOut(JSONResponse):
    """Starlette's compact UTF-8 JSON, except that a lone surrogate (JSON may carry ``"\\ud800"``, UTF-8 cannot)
    goes back out as that same ``\\uXXXX`` escape instead of failing the answer: surrogates only occur inside
    JSON strings, where ``backslashreplace`` writes exactly the JSON escape."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def problem_response(problem: Problem, instance: str | None) -> JSONOut:
    return JSONOut(problem.body(instance), status_code=problem.status, media_type=PROBLEM_JSON,
                   headers=problem.headers)
