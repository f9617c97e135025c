"""JSON parsing with bounded cost, for text brandfit did not write itself (input rows, registry files).

``json.loads`` alone lets one hostile value kill or stall a job: ``[`` x 100000 raises ``RecursionError``, a
5000-digit integer raises a bare ``ValueError`` (Python's int/str digit limit) or, with that limit lifted, costs
quadratic time. :func:`loads_bounded` refuses nesting deeper than ``max_depth`` before parsing (a linear scan that
only runs when the text holds that many brackets at all) and integers longer than ``max_int_digits`` as they are
parsed; every failure is a :class:`JSONLimitError` (a ``ValueError``) with a one-line reason.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "JSONLimitError", "TooManyDigits", "loads_bounded", "max_depth"]

MAX_DEPTH = 64
"""Deepest nesting of lists/objects accepted (an account row needs 3)."""
MAX_INT_DIGITS = 1000
"""Longest integer literal accepted (far below Python's 4300-digit int/str limit)."""

_STRUCT_RE = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]', re.DOTALL)


class JSONLimitError(ValueError):
    """Text that is not JSON, or JSON over a limit; ``str()`` is the reason."""


class TooManyDigits:
    """What an over-long integer literal becomes when :func:`loads_bounded` is asked to keep going
    (``huge_ints="mark"``): a value no field accepts, whose ``digits`` says how long the literal was."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<a {self.digits}-digit number>"


def max_depth(text: str, limit: int) -> int:
    """The nesting depth of ``text`` (brackets inside strings do not count), or ``limit + 1`` once it is passed."""
    if text.count("[") + text.count("{") <= limit:
        return min(text.count("[") + text.count("{"), limit)  # an upper bound, enough to say "within the limit"
    depth = deepest = 0
    for m in _STRUCT_RE.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return limit + 1
        elif c in "]}":
            depth -= 1
    return deepest


def _int_parser(max_digits: int, mark: bool) -> Callable[[str], Any]:
    def parse_int(s: str) -> Any:
        digits = len(s) - (s[:1] == "-")
        if digits > max_digits:
            if mark:
                return TooManyDigits(digits)
            raise JSONLimitError(f"a {digits}-digit integer (at most {max_digits} digits)")
        return int(s)

    return parse_int


def loads_bounded(text: str | bytes, *, max_depth_: int = MAX_DEPTH, max_int_digits: int = MAX_INT_DIGITS,
                  huge_ints: str = "raise") -> Any:
    """``json.loads(text)`` within the limits above; :class:`JSONLimitError` on any failure.

    ``huge_ints="mark"`` turns an over-long integer into a :class:`TooManyDigits` value instead of failing, so a
    caller checking fields can name the field that holds it.
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONLimitError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    if max_depth(text, max_depth_) > max_depth_:
        raise JSONLimitError(f"nested deeper than {max_depth_} levels")
    try:
        return json.loads(text, parse_int=_int_parser(max_int_digits, huge_ints == "mark"))
    except json.JSONDecodeError as exc:
        raise JSONLimitError(f"not valid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})") from None
    except RecursionError:
        raise JSONLimitError("nested too deeply to parse") from None
    except JSONLimitError:
        raise
    except (ValueError, OverflowError, MemoryError) as exc:  # the int/str digit limit, a float out of range
        raise JSONLimitError(f"not valid JSON ({str(exc)[:200]})") from None
