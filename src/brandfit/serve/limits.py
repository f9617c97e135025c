"""Request limits and RFC 9457 problem details: every refused request says which field and why.

No FastAPI here, so the checks are testable on their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any, Mapping

from brandfit.errors import InputError, SettingsError

__all__ = ["Limits", "Problem", "check_account", "check_texts", "field_of"]

PROBLEM_TYPE = "https://brandfit.dev/problems/"
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Limits:
    """Bounds on one request; each is a ``brandfit serve`` option and a ``BRANDFIT_SERVE_<NAME>`` variable."""

    max_body_bytes: int = 8 * 1024 * 1024
    max_accounts: int = 256
    """Accounts in one /v1/relevance/batch or /v1/rank request."""
    max_posts: int = 200
    """Posts in one account."""
    max_chars: int = 5000
    """Characters in one text (a bio, a post, a brand description or example, a /v1/texts text)."""
    max_texts: int = 1024
    """Texts in one /v1/texts request."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SettingsError(f"{f.name}: must be a positive integer, got {value!r}")

    @classmethod
    def from_env(cls, **overrides: int | None) -> "Limits":
        """Defaults, then ``$BRANDFIT_SERVE_MAX_...``, then ``overrides`` that are not None."""
        values: dict[str, int] = {}
        for f in fields(cls):
            name = f"BRANDFIT_SERVE_{f.name.upper()}"
            raw = os.environ.get(name, "").strip()
            if raw:
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise SettingsError(f"${name}: expected an integer, got {raw!r}") from None
            if overrides.get(f.name) is not None:
                values[f.name] = int(overrides[f.name])  # type: ignore[arg-type]
        return cls(**values)


class Problem(Exception):
    """An HTTP error answered as ``application/problem+json`` (RFC 9457) with the offending ``field``."""

    def __init__(self, status: int, title: str, detail: str, *, field: str | None = None,
                 kind: str = "invalid-input", extra: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.field, self.kind = status, title, detail, field, kind
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def body(self, instance: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"type": PROBLEM_TYPE + self.kind, "title": self.title, "status": self.status,
                               "detail": self.detail}
        if self.field is not None:
            out["field"] = self.field
        if instance is not None:
            out["instance"] = instance
        out.update(self.extra)
        return out

    def item(self) -> dict[str, Any]:
        """The per-item error object of a batch response."""
        return {"type": PROBLEM_TYPE + self.kind, "status": self.status, "field": self.field, "detail": self.detail}


def field_of(message: str) -> str | None:
    """The field a brandfit error message names (``"accounts[2].posts[0].text: expected a string"``)."""
    head, sep, _ = message.partition(": ")
    if sep and head and " " not in head.strip("$"):
        return head
    return None


def invalid(exc: BaseException, *, status: int = 422) -> Problem:
    msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return Problem(status, "Invalid input", msg, field=field_of(msg))


def too_large(field: str, detail: str, *, status: int = 422) -> Problem:
    return Problem(status, "Input too large", f"{field}: {detail}", field=field, kind="too-large")


def _check_text(value: Any, where: str, limits: Limits) -> None:
    if isinstance(value, str) and len(value) > limits.max_chars:
        raise too_large(where, f"at most {limits.max_chars} characters per text, got {len(value)}")


def _check_type(value: Any, types: tuple[type, ...], want: str, where: str) -> None:
    """The HTTP schema is stricter than the Python API here: ids, handles and dates come as JSON text (or an
    integer id), never as objects or lists that would be scored as their Python repr."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
        raise Problem(422, "Invalid input", f"{where}: expected {want}, got {type(value).__name__}", field=where)


def check_account(raw: Any, where: str, limits: Limits):
    """``raw`` (one account as JSON gave it) as a :class:`brandfit.account.Account`, or a :class:`Problem`
    naming the field: over a limit, wrong type, or missing text."""
    from brandfit.account import Account

    if isinstance(raw, Mapping):
        _check_count(raw.get("followers"), f"{where}.followers")
        _check_type(raw.get("account_id"), (str, int), "a string or an integer", f"{where}.account_id")
        _check_type(raw.get("handle"), (str,), "a string", f"{where}.handle")
        _check_text(raw.get("bio"), f"{where}.bio", limits)
        posts = raw.get("posts")
        if isinstance(posts, list):
            if len(posts) > limits.max_posts:
                raise too_large(f"{where}.posts", f"at most {limits.max_posts} posts per account, got {len(posts)}")
            for i, p in enumerate(posts):
                if isinstance(p, Mapping):
                    _check_type(p.get("posted_at"), (str,), "a string", f"{where}.posts[{i}].posted_at")
                    for count in ("likes", "comments"):
                        _check_count(p.get(count), f"{where}.posts[{i}].{count}")
                _check_text(p.get("text") if isinstance(p, Mapping) else p, f"{where}.posts[{i}]"
                            + (".text" if isinstance(p, Mapping) else ""), limits)
    try:
        return Account.from_input(raw, where=where)
    except (InputError, TypeError, ValueError) as exc:
        raise invalid(exc) from None


def _check_count(value: Any, field: str) -> None:
    """JSON's non-standard ``NaN`` is no count: a 422, where ``null`` is the missing value (in Python, NaN is
    pandas' missing value and :func:`brandfit.account.parse_count` reads it so)."""
    if isinstance(value, float) and value != value:
        raise invalid(InputError(f"{field}: expected a whole number, got nan"))


def _clean(value: Any) -> Any:
    from brandfit.account import clean_text

    return clean_text(value) if isinstance(value, str) else value


def check_brand(raw: Any, limits: Limits):
    """A topic id or a :class:`brandfit.account.BrandTopic` from JSON, or a :class:`Problem` naming the field.
    Its texts are cleaned like an account's (lone surrogates become U+FFFD), since the name is echoed back."""
    from brandfit.account import parse_brand_topic

    if isinstance(raw, Mapping):
        _check_text(raw.get("name"), "brand_topic.name", limits)
        _check_text(raw.get("description"), "brand_topic.description", limits)
        examples = raw.get("examples")
        if isinstance(examples, list):
            for i, e in enumerate(examples):
                _check_text(e, f"brand_topic.examples[{i}]", limits)
        raw = {k: _clean(v) if k in ("name", "description") else
               [_clean(e) for e in v] if k == "examples" and isinstance(v, list) else v for k, v in raw.items()}
    try:
        return parse_brand_topic(raw)
    except (InputError, TypeError, ValueError) as exc:
        raise invalid(exc) from None


def check_texts(texts: list[str], limits: Limits) -> None:
    if len(texts) > limits.max_texts:
        raise too_large("texts", f"at most {limits.max_texts} texts per request, got {len(texts)}")
    for i, t in enumerate(texts):
        _check_text(t, f"texts[{i}]", limits)
