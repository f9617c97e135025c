"""The labeled-text schema: one record per bio or post, checked row by row.

A record: ``id`` (str), ``kind`` (``bio`` | ``post``), ``text`` (str), ``topic`` (one of
:data:`brandfit.TOPICS`), ``promo`` (bool), ``disclosed`` (bool), optional ``account_id`` (str or null).
Every bad row becomes a :class:`Problem` naming the file, the line and the field; no row is ever
dropped silently.

>>> from brandfit.data.labeled import check_records
>>> problems = check_records([{"id": "x1", "kind": "post", "text": "", "topic": "golf", "promo": False,
...                             "disclosed": False}], source="example.jsonl")
>>> [str(p) for p in problems]
['example.jsonl:1: text: empty text', "example.jsonl:1: topic: unknown topic 'golf' (expected one of sports_outdoor, fashion, fitness, beauty, electronics, other)"]
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from brandfit.data.readers import RawRow, iter_rows, list_input_files
from brandfit.errors import DataError
from brandfit.topics import TOPICS

__all__ = ["COLUMNS", "KINDS", "Problem", "LabeledSet", "check_records", "load_labeled", "dataset_hash"]

COLUMNS = ("id", "kind", "text", "topic", "promo", "disclosed", "account_id")
KINDS = ("bio", "post")
_REQUIRED = COLUMNS[:-1]
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a row was set aside."""

    source: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.message}"


@dataclass(frozen=True)
class LabeledSet:
    """Valid records (a DataFrame with :data:`COLUMNS` plus ``source``/``line``) and the problems found."""

    frame: pd.DataFrame
    problems: tuple[Problem, ...]
    files: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_problems(self, limit: int = 20) -> None:
        """Raise :class:`~brandfit.errors.DataError` listing the first ``limit`` problems, if any."""
        if self.problems:
            shown = "; ".join(str(p) for p in self.problems[:limit])
            more = f" (and {len(self.problems) - limit} more)" if len(self.problems) > limit else ""
            raise DataError(
                f"{len(self.problems)} bad labeled row(s): {shown}{more}. Run `brandfit data check` to see them all."
            )


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def _check_row(values: Mapping[str, Any], source: str, line: int) -> tuple[dict[str, Any] | None, list[Problem]]:
    from brandfit.text import normalize

    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(source, line, field, message))

    for key in values:
        if key not in COLUMNS:
            bad(str(key), f"unknown column (expected {', '.join(COLUMNS)})")
    for key in _REQUIRED:
        if key not in values or values[key] is None:
            bad(key, "missing")
    rec: dict[str, Any] = {}
    rid = values.get("id")
    if rid is not None:
        if isinstance(rid, str) and rid.strip():
            rec["id"] = rid.strip()
        else:
            bad("id", f"expected a non-empty string, got {type(rid).__name__} {rid!r}")
    kind = values.get("kind")
    if kind is not None:
        if kind in KINDS:
            rec["kind"] = kind
        else:
            bad("kind", f"unknown kind {kind!r} (expected bio or post)")
    text = values.get("text")
    if text is not None:
        if not isinstance(text, str):
            bad("text", f"expected a string, got {type(text).__name__}")
        elif not text.strip():
            bad("text", "empty text")
        elif not normalize(text).strip():
            bad("text", "empty after normalisation")
        else:
            rec["text"] = text
    topic = values.get("topic")
    if topic is not None:
        if topic in TOPICS:
            rec["topic"] = topic
        else:
            bad("topic", f"unknown topic {topic!r} (expected one of {', '.join(TOPICS)})")
    for key in ("promo", "disclosed"):
        if values.get(key) is not None:
            b = _as_bool(values[key])
            if b is None:
                bad(key, f"expected true or false, got {values[key]!r}")
            else:
                rec[key] = b
    acc = values.get("account_id")
    if acc is not None and not (isinstance(acc, str) and acc.strip()):
        bad("account_id", f"expected a non-empty string or null, got {acc!r}")
    rec["account_id"] = acc.strip() if isinstance(acc, str) and acc.strip() else None
    return (None if problems else rec), problems


def check_records(rows: Iterable[Mapping[str, Any] | RawRow], *, source: str = "<records>") -> list[Problem]:
    """Check records (mappings, or :class:`RawRow` from a file); return every problem found."""
    return _collect(rows, source)[1]


def _collect(rows: Iterable[Mapping[str, Any] | RawRow], source: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    from brandfit.text import normalize

    good: list[dict[str, Any]] = []
    problems: list[Problem] = []
    seen_ids: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    for i, row in enumerate(rows, start=1):
        if isinstance(row, RawRow):
            src, line, values, error = row.source, row.line, row.values, row.error
        else:
            src, line, values, error = source, i, dict(row), None
        if values is None:
            problems.append(Problem(src, line, "row", error or "unreadable row"))
            continue
        rec, row_problems = _check_row(values, src, line)
        if rec is not None:
            where = f"{src}:{line}"
            if rec["id"] in seen_ids:
                row_problems.append(Problem(src, line, "id", f"duplicate id {rec['id']!r} (first at {seen_ids[rec['id']]})"))
            key = " ".join(normalize(rec["text"]).casefold().split())
            if key in seen_texts:
                row_problems.append(Problem(src, line, "text", f"duplicate text (first at {seen_texts[key]})"))
            if not row_problems:
                seen_ids[rec["id"]] = where
                seen_texts[key] = where
                good.append({**rec, "source": src, "line": line})
        problems.extend(row_problems)
    return good, problems


def load_labeled(path: str | Path | Iterable[str | Path]) -> LabeledSet:
    """Read and check labeled texts from a file, a folder of files, or several of either.

    Ids and texts must be unique across all files read together.
    """
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    files = [f for p in paths for f in list_input_files(p)]
    rows = (row for f in files for row in iter_rows(f))
    good, problems = _collect(rows, "<records>")
    frame = pd.DataFrame(good, columns=[*COLUMNS, "source", "line"])
    return LabeledSet(frame=frame, problems=tuple(problems), files=tuple(str(f) for f in files))


def dataset_hash(frame: pd.DataFrame) -> str:
    """sha256 of the records' content (order-independent; source file names and line numbers excluded)."""
    h = hashlib.sha256()
    recs = sorted(
        json.dumps([r[c] for c in COLUMNS], ensure_ascii=False, separators=(",", ":"))
        for r in frame[list(COLUMNS)].to_dict("records")
    )
    for r in recs:
        h.update(r.encode("utf-8"))
        h.update(b"\n")
    return "sha256:" + h.hexdigest()
