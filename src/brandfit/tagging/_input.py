"""Input files -> a deterministic stream of accounts, with every bad row set aside with a reason.

Two input shapes, told apart per file from its columns (the first row that has ``bio``/``posts`` or
``kind``/``text`` decides):

- one row per account: ``account_id``, ``bio``, ``posts`` (a list, or a JSON string of a list, of strings
  or of objects with ``text`` and optional ``likes``, ``comments``, ``posted_at``), optional ``handle``,
  ``followers``;
- one row per text: ``account_id``, ``kind`` (``bio`` or ``post``), ``text``, optional ``likes``,
  ``comments``, ``posted_at``, ``followers``, ``handle``.

Rows per text are grouped by ``account_id`` over *all* row-per-text files of the input, whatever their
order, without holding them in memory: valid rows are spilled to an on-disk SQLite table in the job's
scratch folder and read back grouped (accounts in order of their first row, texts in input order).
Account ids already seen are also kept on disk, so a second account with the same id is set aside
rather than tagged twice. Memory stays flat in the input size.

An account with more posts than ``max_posts`` (default :data:`DEFAULT_MAX_POSTS`; 0: no cap) is set aside
as one row error naming the account, the count and the option, never cut short. In a row-per-text input the
rows past the cap are counted and dropped as they are read back, so one account's rows are never held in
memory beyond the cap.

Order of the stream: accounts of row-per-account files in file and row order, then the grouped
accounts of row-per-text files by first appearance. The order only depends on the input, so chunk
``k`` of a resumed run holds exactly the accounts chunk ``k`` held before.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, TextIO

from brandfit._safejson import JSONLimitError, TooManyDigits, loads_bounded
from brandfit.account import Account, clean_text, parse_count
from brandfit.data.readers import RawRow, iter_rows, safe_str
from brandfit.errors import InputError, InputTypeError, RowError

logger = logging.getLogger(__name__)

__all__ = ["ACCOUNT_COLUMNS", "TEXT_COLUMNS", "Item", "ErrorLog", "AccountReader", "detect_shape",
           "DEFAULT_MAX_POSTS", "too_many_posts"]

ACCOUNT_COLUMNS = ("account_id", "bio", "posts", "handle", "followers")
TEXT_COLUMNS = ("account_id", "kind", "text", "likes", "comments", "posted_at", "followers", "handle")
_ACCOUNT_MARKERS = frozenset({"bio", "posts"})
_TEXT_MARKERS = frozenset({"kind", "text"})
KINDS = ("bio", "post")
MAX_ID_CHARS = 1024
"""Longest account id accepted (a longer one is a row error, not cut: two ids must never become one)."""
MAX_REASON_CHARS = 1000
"""A reason in the errors file is cut to this many characters, so one huge value cannot flood the file."""
DEFAULT_MAX_POSTS = 1000
"""Most posts one account may have (``--max-posts``); an account with more is set aside, not cut. Far above any
real feed a discovery tool tags (micro-influencers are judged on their last few dozen to few hundred posts), low
enough that one account cannot take minutes and the job's memory (20,000 posts: ~60 s, ~660 MiB)."""


def _show(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to about ``limit`` characters, for an error message."""
    try:
        text = repr(value) if not isinstance(value, (list, dict, tuple)) else f"a {type(value).__name__}"
    except ValueError:  # an int past sys.get_int_max_str_digits()
        text = f"a {type(value).__name__} too long to show"
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


@dataclass(frozen=True, slots=True)
class Item:
    """One parsed, valid account and where it came from (the file and line of its first row)."""

    account: Account
    source_file: str
    source_line: int


class ErrorLog:
    """Appends one JSON line per row set aside: ``source_file``, ``line``, ``account_id``, ``reason``."""

    def __init__(self, handle: TextIO) -> None:
        self._fh = handle
        self.count = 0

    def add(self, source_file: str, line: int | None, account_id: str | None, reason: str) -> None:
        """Record one row set aside (``line`` ``None`` or 0: the whole file). Every string is made writable as
        UTF-8 (lone surrogates become U+FFFD) and the reason is cut to :data:`MAX_REASON_CHARS`."""
        if len(reason) > MAX_REASON_CHARS:
            reason = reason[:MAX_REASON_CHARS] + "..."
        rec = {"source_file": safe_str(str(source_file)), "line": line or None,
               "account_id": None if account_id is None else safe_str(str(account_id)[:MAX_ID_CHARS]),
               "reason": safe_str(reason)}
        self._fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.count += 1

    def flush(self) -> None:
        self._fh.flush()


def detect_shape(path: Path) -> str | None:
    """``"accounts"``, ``"texts"`` or ``None`` (no row tells: no such columns, or both kinds in every row)."""
    for row in iter_rows(path):
        if row.values is None:
            continue
        keys = set(row.values)
        acc, txt = bool(keys & _ACCOUNT_MARKERS), bool(keys & _TEXT_MARKERS)
        if acc != txt:
            return "accounts" if acc else "texts"
    return None


# --- value checks -------------------------------------------------------------------------------
def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _account_id(values: Mapping[str, Any]) -> str:
    v = values.get("account_id")
    if _is_missing(v) or (isinstance(v, str) and not v.strip()):
        raise RowError("account_id: missing")
    if isinstance(v, TooManyDigits):
        raise RowError(f"account_id: a {v.digits}-digit number is not an id")
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise RowError(f"account_id: expected a string or an integer, got {type(v).__name__}")
    if isinstance(v, int) and v.bit_length() > 3 * MAX_ID_CHARS:
        raise RowError(f"account_id: longer than {MAX_ID_CHARS} characters")
    try:
        acc_id = str(v).strip()
    except ValueError:  # an int past sys.get_int_max_str_digits()
        raise RowError(f"account_id: a number too long to be an id (over {sys.get_int_max_str_digits()} digits)") from None
    if len(acc_id) > MAX_ID_CHARS:
        raise RowError(f"account_id: longer than {MAX_ID_CHARS} characters ({len(acc_id)})")
    return safe_str(acc_id)


def _loose_id(values: Mapping[str, Any] | None) -> str | None:
    """The row's account id for an error record, if it has a usable one."""
    if not values:
        return None
    try:
        return _account_id(values)
    except RowError:
        return None


def _count(value: Any, field: str, from_text: bool) -> int | None:
    """A count as :func:`brandfit.account.parse_count` takes it; CSV cells arrive as text and are parsed here."""
    if from_text and isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        if len(s) > 40:
            raise RowError(f"{field}: expected a number, got {len(s)} characters")
        try:
            value = int(s)
        except ValueError:
            try:
                value = float(s)
            except ValueError:
                raise RowError(f"{field}: expected a number, got {_show(value)}") from None
    if isinstance(value, float) and math.isnan(value):  # a file's NaN (JSONL's non-standard literal, a CSV "nan")
        raise RowError(f"{field}: expected a whole number, got nan")  # is no missing value: those are null and ""
    try:
        return parse_count(value, field)
    except (InputError, InputTypeError, OverflowError) as exc:
        raise RowError(str(exc)) from None


def _posted_at(value: Any) -> str:
    try:
        return str(value)
    except ValueError:  # an int past sys.get_int_max_str_digits()
        raise RowError("posted_at: a number too long to be a date") from None


def _optional_str(value: Any, field: str) -> str | None:
    if _is_missing(value):
        return None
    if not isinstance(value, str):
        raise RowError(f"{field}: expected a string, got {type(value).__name__}")
    return value


def _unknown(values: Mapping[str, Any], allowed: tuple[str, ...], shape: str) -> None:
    extra = [k for k in values if k not in allowed]
    if extra:
        names = ", ".join(_show(k, 40) for k in extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        raise RowError(f"unknown column(s) {names} in a {shape} file; expected only {', '.join(allowed)}")


def too_many_posts(acc_id: str, n_posts: int, max_posts: int) -> str:
    """The reason an account over the ``--max-posts`` cap is set aside."""
    return (f"account {acc_id!r} has {n_posts} posts, more than --max-posts {max_posts} allows: set aside, not "
            f"truncated; pass a higher --max-posts (or --max-posts 0, no limit) to tag it")


def parse_account_row(values: Mapping[str, Any], *, from_text: bool, max_posts: int = 0) -> Account:
    """One row of a row-per-account file -> an :class:`Account`, or :class:`RowError` with the reason (also for
    more than ``max_posts`` posts, when ``max_posts`` is not 0)."""
    _unknown(values, ACCOUNT_COLUMNS, "row-per-account")
    acc_id = _account_id(values)
    posts = values.get("posts")
    if isinstance(posts, str):
        try:
            posts = loads_bounded(posts, huge_ints="mark")
        except JSONLimitError as exc:
            raise RowError(f"posts: {exc}") from None
        if not isinstance(posts, list):
            raise RowError(f"posts: expected a JSON list of strings or objects, got {type(posts).__name__}")
    elif _is_missing(posts):
        posts = None
    elif not isinstance(posts, (list, tuple)):
        raise RowError(f"posts: expected a list or a JSON string of a list, got {type(posts).__name__}")
    if max_posts and posts is not None and len(posts) > max_posts:
        raise RowError(too_many_posts(acc_id, len(posts), max_posts))
    for i, post in enumerate(posts or ()):  # a file's NaN count is no missing value, in a post either
        if isinstance(post, Mapping):
            for name in ("likes", "comments"):
                value = post.get(name)
                if isinstance(value, float) and math.isnan(value):
                    raise RowError(f"posts[{i}].{name}: expected a whole number, got nan")
    bio = _optional_str(values.get("bio"), "bio")
    mapping = {
        "account_id": acc_id,
        "bio": bio,
        "posts": posts,
        "handle": _optional_str(values.get("handle"), "handle"),
        "followers": _count(values.get("followers"), "followers", from_text),
    }
    try:
        acc = Account.from_input(mapping, where="account")
    except (TypeError, ValueError) as exc:
        raise RowError(str(exc).removeprefix("account.").removeprefix("account: ")) from None
    return acc


def parse_text_row(values: Mapping[str, Any], *, from_text: bool) -> tuple[str, dict[str, Any]]:
    """One row of a row-per-text file -> ``(account_id, checked fields)``, or :class:`RowError`."""
    _unknown(values, TEXT_COLUMNS, "row-per-text")
    acc_id = _account_id(values)
    kind = values.get("kind")
    if _is_missing(kind):
        raise RowError("kind: missing (expected 'bio' or 'post')")
    if not isinstance(kind, str) or kind not in KINDS:
        raise RowError(f"kind: expected 'bio' or 'post', got {_show(kind)}")
    text = values.get("text")
    if _is_missing(text) or (isinstance(text, str) and not text.strip()):
        raise RowError("text: missing")
    if not isinstance(text, str):
        raise RowError(f"text: expected a string, got {type(text).__name__}")
    posted_at = values.get("posted_at")
    fields = {
        "kind": kind,
        "text": clean_text(text),
        "likes": _count(values.get("likes"), "likes", from_text),
        "comments": _count(values.get("comments"), "comments", from_text),
        "posted_at": None if _is_missing(posted_at) else clean_text(_posted_at(posted_at)),
        "followers": _count(values.get("followers"), "followers", from_text),
        "handle": None,
    }
    handle = _optional_str(values.get("handle"), "handle")
    fields["handle"] = None if handle is None else clean_text(handle)
    if kind == "bio" and (fields["likes"] is not None or fields["comments"] is not None):
        raise RowError("likes/comments: only posts have them, not a bio row")
    return acc_id, fields


# --- the stream ---------------------------------------------------------------------------------
class AccountReader:
    """Reads ``files`` into a stream of :class:`Item`; bad rows go to ``errors``.

    ``scratch`` is a folder for the two on-disk tables (account ids seen, spilled text rows); it is
    the caller's to create and remove. ``max_posts`` (0: no cap): an account with more posts is set aside.
    """

    def __init__(self, files: list[Path], *, scratch: Path, errors: ErrorLog,
                 max_posts: int = DEFAULT_MAX_POSTS) -> None:
        if isinstance(max_posts, bool) or not isinstance(max_posts, int) or max_posts < 0:
            raise InputError(f"max_posts: must be an integer >= 0 (0: no limit), got {max_posts!r}")
        self.files = [Path(f) for f in files]
        self.errors = errors
        self.max_posts = max_posts
        self.rows_read = 0
        self._seen = sqlite3.connect(scratch / "seen.sqlite")
        self._texts = sqlite3.connect(scratch / "texts.sqlite")
        for db in (self._seen, self._texts):
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
        self._seen.execute("CREATE TABLE seen (account_id TEXT PRIMARY KEY, file TEXT, line INTEGER)")
        self._texts.execute(
            "CREATE TABLE texts (seq INTEGER PRIMARY KEY, account_id TEXT, file TEXT, line INTEGER, kind TEXT, "
            "payload TEXT)"
        )

    def close(self) -> None:
        self._seen.close()
        self._texts.close()

    def _claim(self, acc_id: str, source: str, line: int) -> str | None:
        """Record ``acc_id`` as read; if it was read before, return where (``file:line``)."""
        cur = self._seen.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (acc_id, source, line))
        if cur.rowcount == 1:
            return None
        first = self._seen.execute("SELECT file, line FROM seen WHERE account_id = ?", (acc_id,)).fetchone()
        return f"{first[0]}:{first[1]}"

    def __iter__(self) -> Iterator[Item]:
        text_files = []
        for path in self.files:
            shape = detect_shape(path)
            logger.debug("%s: %s", path, shape or "shape unknown")
            if shape == "texts":
                text_files.append(path)
            else:
                yield from self._account_file(path, shape)
        if text_files:
            self._spill(text_files)
            yield from self._grouped()
        self._seen.commit()

    def _bad_raw(self, row: RawRow) -> bool:
        self.rows_read += 1
        if row.values is None:
            self.errors.add(row.source, row.line or None, None, row.error or "unreadable row")
            return True
        return False

    def _account_file(self, path: Path, shape: str | None) -> Iterator[Item]:
        from_text = path.suffix.lower() == ".csv"
        for row in iter_rows(path):
            if self._bad_raw(row):
                continue
            if shape is None:
                self.errors.add(row.source, row.line, _loose_id(row.values),
                                "can't tell the input shape: a file needs bio/posts columns (one row per account) "
                                "or kind/text columns (one row per text), not neither or both")
                continue
            try:
                acc = parse_account_row(row.values, from_text=from_text, max_posts=self.max_posts)
            except RowError as exc:
                self.errors.add(row.source, row.line, _loose_id(row.values), str(exc))
                continue
            first = self._claim(acc.account_id, row.source, row.line)
            if first is not None:
                self.errors.add(row.source, row.line, acc.account_id,
                                f"duplicate account_id {acc.account_id!r}: already read at {first}")
                continue
            yield Item(acc, row.source, row.line)

    def _spill(self, paths: list[Path]) -> None:
        """Check every row of the row-per-text files and park the valid ones on disk."""
        batch: list[tuple[str, str, int, str, str]] = []
        for path in paths:
            from_text = path.suffix.lower() == ".csv"
            for row in iter_rows(path):
                if self._bad_raw(row):
                    continue
                try:
                    acc_id, fields = parse_text_row(row.values, from_text=from_text)
                except RowError as exc:
                    self.errors.add(row.source, row.line, _loose_id(row.values), str(exc))
                    continue
                batch.append((acc_id, row.source, row.line, fields["kind"], json.dumps(fields, ensure_ascii=False)))
                if len(batch) >= 10_000:
                    self._texts.executemany("INSERT INTO texts (account_id, file, line, kind, payload) VALUES (?,?,?,?,?)", batch)
                    batch.clear()
        if batch:
            self._texts.executemany("INSERT INTO texts (account_id, file, line, kind, payload) VALUES (?,?,?,?,?)", batch)
        self._texts.execute("CREATE INDEX texts_account ON texts (account_id, seq)")
        self._texts.commit()

    def _grouped(self) -> Iterator[Item]:
        """The spilled rows read back one account at a time. Past ``max_posts`` posts an account's rows are only
        counted, not kept (nor decoded), and the account is set aside with one record at its first row."""
        cur = self._texts.execute(
            "SELECT t.account_id, t.file, t.line, t.kind, t.payload FROM texts AS t "
            "JOIN (SELECT account_id, MIN(seq) AS first FROM texts GROUP BY account_id) AS f "
            "ON t.account_id = f.account_id ORDER BY f.first, t.seq"
        )
        cap = self.max_posts
        group: list[tuple[str, int, dict[str, Any]]] = []
        current: str | None = None
        first_at: tuple[str, int] = ("", 0)
        n_posts = 0
        for acc_id, source, line, kind, payload in cur:
            if acc_id != current:
                if current is not None:
                    item = self._finish_group(current, group, n_posts, first_at)
                    if item is not None:
                        yield item
                group, current, first_at, n_posts = [], acc_id, (source, line), 0
            if kind == "post":
                n_posts += 1
                if cap and n_posts > cap:
                    group.clear()  # the account is set aside: hold none of its rows
            if cap and n_posts > cap:
                continue
            group.append((source, line, json.loads(payload)))
        if current is not None:
            item = self._finish_group(current, group, n_posts, first_at)
            if item is not None:
                yield item

    def _finish_group(self, acc_id: str, rows: list[tuple[str, int, dict[str, Any]]], n_posts: int,
                      first_at: tuple[str, int]) -> Item | None:
        if self.max_posts and n_posts > self.max_posts:
            self.errors.add(first_at[0], first_at[1], acc_id, too_many_posts(acc_id, n_posts, self.max_posts))
            return None
        return self._assemble(acc_id, rows)

    def _assemble(self, acc_id: str, rows: list[tuple[str, int, dict[str, Any]]]) -> Item | None:
        source, line = rows[0][0], rows[0][1]
        first = self._claim(acc_id, source, line)
        if first is not None:
            for s, ln, _ in rows:
                self.errors.add(s, ln, acc_id, f"duplicate account_id {acc_id!r}: already read at {first} "
                                f"(an account is one row of a row-per-account file, or rows of row-per-text files)")
            return None
        bio: str | None = None
        bio_at = ""
        posts = []
        handle = followers = None
        for s, ln, f in rows:
            if f["kind"] == "bio":
                if bio is not None:
                    self.errors.add(s, ln, acc_id, f"second bio row for account {acc_id!r} (first at {bio_at}); "
                                    "an account has one bio")
                    continue
                bio, bio_at = f["text"], f"{s}:{ln}"
            else:
                posts.append({"text": f["text"], "likes": f["likes"], "comments": f["comments"],
                              "posted_at": f["posted_at"]})
            handle = handle if handle is not None else f["handle"]
            followers = followers if followers is not None else f["followers"]
        mapping = {"account_id": acc_id, "bio": bio, "posts": posts, "handle": handle, "followers": followers}
        try:
            acc = Account.from_input(mapping, where="account")
        except (TypeError, ValueError) as exc:  # each row was checked; this is a last line of defence
            for s, ln, _ in rows:
                self.errors.add(s, ln, acc_id, str(exc))
            return None
        return Item(acc, source, line)
