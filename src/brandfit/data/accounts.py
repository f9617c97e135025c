"""The labeled accounts file: each account's core topic, followers and per-post engagement."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from brandfit.data.readers import iter_rows, list_input_files
from brandfit.errors import DataError
from brandfit.topics import TOPICS

__all__ = ["load_accounts"]


def load_accounts(path: str | Path) -> pd.DataFrame:
    """Read ``accounts.jsonl``: ``account_id``, ``topic``, optional ``handle``, ``followers``, ``note`` and
    ``posts`` (a list of ``{"id", "likes", "comments"}``). Raises :class:`DataError` naming file and line."""
    rows = []
    for f in list_input_files(path):
        for row in iter_rows(f):
            where = f"{row.source}:{row.line}"
            if row.values is None:
                raise DataError(f"{where}: {row.error}")
            v = row.values
            if not isinstance(v.get("account_id"), str) or not v["account_id"]:
                raise DataError(f"{where}: account_id: missing or not a string")
            if v.get("topic") not in TOPICS:
                raise DataError(f"{where}: topic: unknown topic {v.get('topic')!r} (expected one of {', '.join(TOPICS)})")
            followers = v.get("followers")
            if followers is not None and (not isinstance(followers, int) or isinstance(followers, bool) or followers < 0):
                raise DataError(f"{where}: followers: expected a non-negative integer, got {followers!r}")
            posts = v.get("posts") or []
            if not isinstance(posts, list) or not all(isinstance(p, dict) and isinstance(p.get("id"), str) for p in posts):
                raise DataError(f"{where}: posts: expected a list of objects with an 'id'")
            rows.append(
                {
                    "account_id": v["account_id"],
                    "topic": v["topic"],
                    "handle": v.get("handle"),
                    "followers": followers,
                    "note": v.get("note"),
                    "posts": posts,
                }
            )
    frame = pd.DataFrame(rows, columns=["account_id", "topic", "handle", "followers", "note", "posts"])
    dup = frame["account_id"][frame["account_id"].duplicated()]
    if len(dup):
        raise DataError(f"{path}: account_id: duplicate account {dup.iat[0]!r}")
    return frame
