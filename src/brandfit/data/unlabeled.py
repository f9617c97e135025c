"""Unlabeled input for ``brandfit data suggest``: texts from JSONL/CSV/Parquet (``brandfit rank`` reads accounts with
:func:`brandfit.tagging.read_accounts`, the batch job's reader).

Two row shapes are accepted, per row: a *text row* has a ``text`` column (optional ``id``, ``kind``,
``account_id``); an *account row* has ``bio`` and/or ``posts`` (the ``brandfit tag`` input shape: ``posts`` a
list, or a JSON string of a list, of strings or objects with ``text``). :func:`read_texts` flattens accounts
into their bio and posts. Rows that fit neither are counted and skipped with a warning naming the first one.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from brandfit.data.readers import iter_rows, list_input_files
from brandfit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_texts"]

logger = logging.getLogger(__name__)


def _posts(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return []
        try:
            value = json.loads(value)
        except ValueError:
            raise InputError(f"posts: not a JSON list ({value[:40]!r})") from None
    if not isinstance(value, list):
        raise InputError("posts: expected a list of strings or of objects with 'text'")
    return value


def _post_text(post: Any) -> str | None:
    text = post.get("text") if isinstance(post, dict) else post
    return text if isinstance(text, str) and text.strip() else None


def _rows(paths: Sequence[str | Path]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    skipped, first = 0, None
    for path in paths:
        for file in list_input_files(path):
            for row in iter_rows(file):
                if row.values is None or not isinstance(row.values, dict):
                    skipped += 1
                    first = first or f"{row.source}:{row.line}: {row.error or 'not an object'}"
                    continue
                yield row.source, row.line, row.values
    if skipped:
        logger.warning("%d unreadable row%s skipped (first: %s)", skipped, "" if skipped == 1 else "s", first)


def read_texts(paths: Sequence[str | Path]) -> pd.DataFrame:
    """``id, kind, text, account_id`` for every text in ``paths`` (accounts flattened), first occurrence of each
    text kept."""
    import pandas as pd

    out: list[dict[str, Any]] = []
    bad, first = 0, None
    for source, line, values in _rows(paths):
        stem = Path(source).stem
        acc = values.get("account_id")
        acc = str(acc) if acc not in (None, "") and not (isinstance(acc, float) and acc != acc) else None
        if isinstance(values.get("text"), str):
            text = values["text"]
            kind = values.get("kind") if values.get("kind") in ("bio", "post") else "post"
            rid = values.get("id")
            out.append({"id": str(rid) if rid not in (None, "") else f"{stem}:{line}", "kind": kind, "text": text,
                        "account_id": acc})
        elif "bio" in values or "posts" in values:
            try:
                posts = _posts(values.get("posts"))
            except InputError as exc:
                bad += 1
                first = first or f"{source}:{line}: {exc}"
                continue
            prefix = acc or f"{stem}:{line}"
            bio = values.get("bio")
            if isinstance(bio, str) and bio.strip():
                out.append({"id": f"{prefix}:bio", "kind": "bio", "text": bio, "account_id": acc})
            for i, post in enumerate(posts):
                text = _post_text(post)
                if text:
                    out.append({"id": f"{prefix}:post{i + 1}", "kind": "post", "text": text, "account_id": acc})
        else:
            bad += 1
            first = first or f"{source}:{line}: no text, bio or posts column"
    if bad:
        logger.warning("%d row%s without usable text skipped (first: %s)", bad, "" if bad == 1 else "s", first)
    frame = pd.DataFrame(out, columns=["id", "kind", "text", "account_id"])
    frame = frame[frame["text"].str.strip().str.len() > 0]
    return frame.drop_duplicates(subset=["text"]).reset_index(drop=True)
