"""Check a whole labeled folder: texts *and* accounts, and the references between them.

A labeled folder holds ``texts/`` (one record per bio or post, see :mod:`brandfit.data.labeled`) and
``accounts/`` (one line per account: ``account_id``, ``handle``, ``topic``, ``followers``, ``note`` and
``posts: [{"id", "likes", "comments"}]``). On top of the per-file checks this verifies that

* account ids are unique, topics known, followers / likes / comments non-negative integers;
* every post id an account lists exists among the texts, is a post (not a bio), carries that account's
  ``account_id`` and is listed by one account only;
* every text carrying an ``account_id`` has an accounts line, and every post carrying one is listed there;
* each account has at most one bio.

Every problem is a :class:`~brandfit.data.labeled.Problem` (``file:line: field: reason``); nothing is dropped.

>>> import json, tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "texts").mkdir(); (root / "accounts").mkdir()
>>> rec = {"id": "p1", "kind": "post", "text": "leg day", "topic": "fitness", "promo": False,
...        "disclosed": False, "account_id": "acc-1"}
>>> _ = (root / "texts/t.jsonl").write_text(json.dumps(rec) + "\\n")
>>> acc = {"account_id": "acc-1", "handle": "@a", "topic": "fitness", "followers": 10, "note": "",
...        "posts": [{"id": "p1", "likes": 3, "comments": 0}, {"id": "p9", "likes": 1, "comments": 0}]}
>>> _ = (root / "accounts/a.jsonl").write_text(json.dumps(acc) + "\\n")
>>> [str(p).split(": ", 1)[1] for p in check_labeled_folder(root).problems]
["posts: post 'p9' of account 'acc-1' is not among the texts"]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any

from brandfit.data.readers import RawRow, iter_rows, list_input_files
from brandfit.data.labeled import LabeledSet, Problem, load_labeled
from brandfit.topics import TOPICS

__all__ = ["ACCOUNT_FIELDS", "FolderCheck", "check_accounts_rows", "check_labeled_folder", "is_labeled_folder"]

ACCOUNT_FIELDS = ("account_id", "handle", "topic", "followers", "note", "posts")
_POST_FIELDS = ("id", "likes", "comments")


@dataclass(frozen=True)
class FolderCheck:
    """The texts (a :class:`LabeledSet`), the accounts read, and every problem found (texts, accounts, references)."""

    texts: LabeledSet
    accounts: tuple[dict[str, Any], ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def is_labeled_folder(path: str | Path) -> bool:
    """True when ``path`` is a folder holding a ``texts/`` or an ``accounts/`` sub-folder."""
    p = Path(path)
    return p.is_dir() and ((p / "texts").is_dir() or (p / "accounts").is_dir())


def _nonneg_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_posts(posts_raw: Any, bad: Callable[[str, str], None]) -> list[dict[str, Any]]:
    """Check an account's ``posts`` value, reporting through ``bad(field, message)``; return the readable posts."""
    posts: list[dict[str, Any]] = []
    if posts_raw is None:
        bad("posts", "missing")
    elif not isinstance(posts_raw, list):
        bad("posts", f"expected a list, got {type(posts_raw).__name__}")
    else:
        for k, post in enumerate(posts_raw):
            where = f"posts[{k}]"
            if not isinstance(post, dict):
                bad(where, f"expected an object, got {type(post).__name__}")
                continue
            for key in post:
                if key not in _POST_FIELDS:
                    bad(f"{where}.{key}", f"unknown field (expected {', '.join(_POST_FIELDS)})")
            pid = post.get("id")
            if not (isinstance(pid, str) and pid.strip()):
                bad(f"{where}.id", f"expected a non-empty string, got {pid!r}")
                continue
            for key in ("likes", "comments"):
                if key not in post:
                    bad(f"{where}.{key}", "missing")
                elif not _nonneg_int(post[key]):
                    bad(f"{where}.{key}", f"expected a non-negative integer, got {post[key]!r}")
            posts.append({"id": pid.strip(), "likes": post.get("likes"), "comments": post.get("comments")})
    return posts


def check_accounts_rows(rows: list[RawRow]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Check accounts lines one by one; return the readable accounts (with ``source``/``line``) and the problems.

    An account with a bad field is still returned when its ``account_id`` and ``posts`` could be read, so the
    cross-reference checks can run on it.
    """
    accounts: list[dict[str, Any]] = []
    problems: list[Problem] = []
    seen_ids: dict[str, str] = {}
    for row in rows:
        src, line = row.source, row.line

        def bad(field: str, message: str) -> None:
            problems.append(Problem(src, line, field, message))

        if row.values is None:
            bad("row", row.error or "unreadable row")
            continue
        v = row.values
        for key in v:
            if key not in ACCOUNT_FIELDS:
                bad(str(key), f"unknown field (expected {', '.join(ACCOUNT_FIELDS)})")
        acc_id = v.get("account_id")
        if not (isinstance(acc_id, str) and acc_id.strip()):
            bad("account_id", f"expected a non-empty string, got {acc_id!r}")
            acc_id = None
        else:
            acc_id = acc_id.strip()
            if acc_id in seen_ids:
                bad("account_id", f"duplicate account id {acc_id!r} (first at {seen_ids[acc_id]})")
            else:
                seen_ids[acc_id] = f"{src}:{line}"
        topic = v.get("topic")
        if topic not in TOPICS:
            bad("topic", f"unknown topic {topic!r} (expected one of {', '.join(TOPICS)})")
        for key in ("handle", "note"):
            if v.get(key) is not None and not isinstance(v[key], str):
                bad(key, f"expected a string, got {type(v[key]).__name__}")
        followers = v.get("followers")
        if followers is not None and not _nonneg_int(followers):
            bad("followers", f"expected a non-negative integer, got {followers!r}")
        posts = _check_posts(v.get("posts"), bad)
        if acc_id is not None:
            accounts.append({"account_id": acc_id, "handle": v.get("handle"), "topic": topic,
                             "followers": followers, "note": v.get("note"), "posts": posts,
                             "source": src, "line": line})
    return accounts, problems


def _text_index(files: list[Path]) -> dict[str, tuple[str, int, str | None, Any]]:
    """id -> (source, line, account_id, kind) for every text row with a string id (first occurrence wins)."""
    index: dict[str, tuple[str, int, str | None, Any]] = {}
    for f in files:
        for row in iter_rows(f):
            v = row.values
            if v is None or not isinstance(v.get("id"), str) or not v["id"].strip():
                continue
            acc = v.get("account_id")
            acc = acc.strip() if isinstance(acc, str) and acc.strip() else None
            index.setdefault(v["id"].strip(), (row.source, row.line, acc, v.get("kind")))
    return index


def check_labeled_folder(path: str | Path) -> FolderCheck:
    """Check ``path/texts`` and ``path/accounts`` together, with the cross-references between them."""
    root = Path(path)
    text_dir, acc_dir = root / "texts", root / "accounts"
    text_files = list_input_files(text_dir) if text_dir.is_dir() else []
    acc_files = list_input_files(acc_dir) if acc_dir.is_dir() else []
    texts = load_labeled(text_files) if text_files else load_labeled([])
    problems: list[Problem] = list(texts.problems)
    accounts, acc_problems = check_accounts_rows([row for f in acc_files for row in iter_rows(f)])
    problems.extend(acc_problems)

    index = _text_index(text_files)
    by_id = {a["account_id"]: a for a in accounts}
    listed: dict[str, tuple[str, str]] = {}  # post id -> (account_id, where)
    for acc in accounts:
        where = f"{acc['source']}:{acc['line']}"
        for post in acc["posts"]:
            pid, aid = post["id"], acc["account_id"]

            def bad(message: str) -> None:
                problems.append(Problem(acc["source"], acc["line"], "posts", message))

            if pid in listed:
                bad(f"post {pid!r} is listed twice (also by account {listed[pid][0]!r} at {listed[pid][1]})")
                continue
            listed[pid] = (aid, where)
            hit = index.get(pid)
            if hit is None:
                bad(f"post {pid!r} of account {aid!r} is not among the texts")
                continue
            src, line, text_acc, kind = hit
            if kind == "bio":
                bad(f"{pid!r} ({src}:{line}) is a bio, not a post")
            if text_acc != aid:
                bad(f"post {pid!r} ({src}:{line}) carries account_id {text_acc!r}, not {aid!r}")

    bios: dict[str, str] = {}
    for tid, (src, line, text_acc, kind) in index.items():
        if text_acc is None:
            continue
        if text_acc not in by_id:
            problems.append(Problem(src, line, "account_id", f"account {text_acc!r} has no accounts line"))
            continue
        if kind == "bio":
            if text_acc in bios:
                problems.append(Problem(src, line, "kind", f"second bio for account {text_acc!r} "
                                                           f"(first at {bios[text_acc]})"))
            else:
                bios[text_acc] = f"{src}:{line}"
        elif kind == "post" and tid not in listed:
            problems.append(Problem(src, line, "account_id", f"post {tid!r} is not listed in the posts of "
                                                             f"account {text_acc!r}"))
    return FolderCheck(texts=texts, accounts=tuple(accounts), problems=tuple(problems),
                       files=tuple(str(f) for f in [*text_files, *acc_files]))
