"""Read JSONL, CSV or Parquet files into raw rows, remembering where each row came from.

Nothing is dropped here: a line that is not valid JSON becomes a row carrying its parse error, so
the caller can set it aside with a reason. A problem with a whole file (empty, binary, UTF-16, mostly not
UTF-8, a corrupt Parquet file, unreadable) is one row with ``line`` :data:`FILE_LEVEL` and no values, never
an exception, so one bad file in a folder does not stop the others.

Text is decoded strictly, one line (JSONL) or one record (CSV) at a time, wherever it sits in the file: a
line or record holding bytes that are not UTF-8 is a row error naming the byte, never read with
replacement characters, and the lines around it are still read.

Cost is bounded by the input: a JSON line is parsed with a depth and integer-length limit
(:mod:`brandfit._safejson`), a JSON line longer than :data:`MAX_LINE_CHARS` or a CSV cell longer than
:data:`MAX_CELL_CHARS` is a row error, and no such failure escapes as ``RecursionError``/``ValueError``.
"""

from __future__ import annotations

import codecs
import csv
import logging
import os
import re
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from brandfit._safejson import JSONLimitError, loads_bounded
from brandfit.errors import InputError, MissingFileError

__all__ = ["RawRow", "SUFFIXES", "FILE_LEVEL", "MAX_LINE_CHARS", "MAX_CELL_CHARS", "iter_rows", "list_input_files",
           "unread_entries", "safe_str"]

logger = logging.getLogger(__name__)

SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
FILE_LEVEL = 0
"""The ``line`` of a row that stands for a problem with the whole file."""
MAX_LINE_CHARS = 16 * 1024 * 1024
"""Longest JSONL line read; a longer one is a row error (and is skipped without being held in memory)."""
MAX_CELL_CHARS = 131_072
"""Longest CSV cell (the csv module's default field limit); a longer one makes its row a row error."""
JSON_ARRAY_REASON = ("a JSON array (one document over many lines), not JSON Lines: nothing in it was read; write one "
                     "JSON object per line (for example jq -c '.[]' FILE > FILE.jsonl)")
"""The file-level reason of a ``.json``/``.jsonl`` file that holds a pretty-printed JSON array."""
_SNIFF_BYTES = 64 * 1024
_SKIP_CHUNK = 1024 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNDECODED = re.compile("[\udc80-\udcff]")  # what errors="surrogateescape" makes of a byte that is not UTF-8


def safe_str(value: str) -> str:
    """``value`` with lone surrogates (undecodable file names, ``"\\ud800"`` in JSON) replaced by U+FFFD, so it
    can be written as UTF-8."""
    return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value


@dataclass(frozen=True, slots=True)
class RawRow:
    """One input row: its values (``None`` if unreadable), the file and the 1-based line or row number
    (:data:`FILE_LEVEL` when ``error`` is about the whole file)."""

    source: str
    line: int
    values: dict[str, Any] | None
    error: str | None = field(default=None)


def list_input_files(path: str | Path) -> list[Path]:
    """The readable data files at ``path``: the file itself, or the files in a folder (sorted, not recursive)."""
    p = Path(path)
    if not p.exists():
        if p.is_symlink():
            raise MissingFileError(f"{p}: a broken symbolic link (its target does not exist)")
        raise MissingFileError(f"{p}: no such file or folder")
    if p.is_dir():
        entries = sorted(f for f in p.iterdir() if f.is_file())
        files = [f for f in entries if f.suffix.lower() in SUFFIXES]
        if not files:
            raise InputError(f"{p}: folder holds no {', '.join(SUFFIXES)} files")
        others = [f.name + ("/" if f.is_dir() else "") for f, _ in unread_entries(p)]
        if others:
            logger.warning("%s: %d file%s not read (only %s files directly in the folder are; subfolders end in /): "
                           "%s%s", p, len(others), "" if len(others) == 1 else "s", "/".join(SUFFIXES),
                           ", ".join(others[:5]), ", ..." if len(others) > 5 else "")
        return files
    if p.suffix.lower() not in SUFFIXES:
        raise InputError(f"{p}: unsupported file type {p.suffix!r}; expected one of {', '.join(SUFFIXES)}")
    if not p.is_file():
        raise InputError(f"{p}: not a regular file (a FIFO, device or socket); give a file or a folder")
    return [p]


def unread_entries(path: str | Path) -> list[tuple[Path, str]]:
    """What :func:`list_input_files` leaves out of a folder, each with the reason: files of another suffix,
    subfolders (folders are not read recursively), broken symbolic links, and other entries that are not regular
    files (FIFOs, devices, sockets). Hidden entries
    (``.name``) are left out silently and not listed. A file given directly leaves nothing out: ``[]``."""
    p = Path(path)
    if not p.is_dir():
        return []
    out = []
    for f in sorted(p.iterdir()):
        if f.name.startswith("."):
            continue
        if f.is_symlink() and not f.exists():
            out.append((f, "a broken symbolic link (its target does not exist): not read"))
        elif f.is_dir():
            out.append((f, "a subfolder: not read (brandfit tag reads the files directly in the input folder, not "
                           "its subfolders); give it as an input of its own"))
        elif not f.is_file():
            out.append((f, "not a regular file (a FIFO, device or socket): not read"))
        elif f.suffix.lower() not in SUFFIXES:
            out.append((f, f"not read: unsupported file type {f.suffix or '(no suffix)'!r}; only "
                           f"{', '.join(SUFFIXES)} files are read (.json is read as JSON Lines)"))
    return out


def iter_rows(path: str | Path) -> Iterator[RawRow]:
    """Yield every row of one file. Line numbers are 1-based (CSV: the physical line where the row starts)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{p}: unsupported file type {suffix!r}; expected one of {', '.join(SUFFIXES)}")
    source = safe_str(str(p))
    problem = _file_problem(p, text=suffix != ".parquet")
    if problem is not None:
        yield RawRow(source, FILE_LEVEL, None, problem)
        return
    try:
        if suffix in (".jsonl", ".json"):
            yield from _iter_jsonl(p, source)
        elif suffix == ".csv":
            yield from _iter_csv(p, source)
        else:
            yield from _iter_parquet(p, source)
    except OSError as exc:  # the file vanished or became unreadable while being read
        yield RawRow(source, FILE_LEVEL, None, f"can't read the file ({_short(exc)})")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


def _file_problem(p: Path, *, text: bool) -> str | None:
    """Why the whole file can't be read (empty, not a regular file, binary/not UTF-8), or ``None``."""
    try:
        with p.open("rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                return "not a regular file"
            if info.st_size == 0:
                return "empty file"
            head = fh.read(_SNIFF_BYTES) if text else b""
    except OSError as exc:
        return f"can't read the file ({_short(exc)})"
    if not text:
        return None
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    if b"\x00" in head:
        return "not a text file (binary data or a UTF-16/32 encoding); save it as UTF-8 text"
    whole = len(head) < _SNIFF_BYTES - 3  # the head is the whole file
    problem = _mostly_not_utf8(head, whole=whole)
    if problem is not None:
        return problem
    if not head.strip():
        if whole:
            return "empty file (only blank lines)"
    return None


def _mostly_not_utf8(head: bytes, *, whole: bool) -> str | None:
    """The reason to set a whole file aside when over half of the non-blank lines of its start (``head``, the first
    :data:`_SNIFF_BYTES`) are not UTF-8 (a Latin-1 export, binary data), else ``None``: a line here and there that
    is not UTF-8 is a row error of its own, found when the line is read, wherever it is in the file."""
    lines = head.splitlines()  # \n, \r\n or \r, as the text readers split
    if not whole and len(lines) > 1:
        lines.pop()  # may be cut in the middle of a character
    partial = not whole and len(lines) == 1
    bad, nonblank, first = 0, 0, None
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        nonblank += 1
        try:
            codecs.getincrementaldecoder("utf-8")().decode(line, final=not partial)
        except UnicodeDecodeError as exc:
            bad += 1
            if first is None:
                first = f"line {i}: {exc.reason} at byte {exc.start}"
    if 2 * bad <= nonblank:
        return None
    where = "" if whole else " in its first 64 KiB"
    return (f"not UTF-8 text ({bad} of {nonblank} lines{where} are not UTF-8, the first at {first}); save the file "
            "as UTF-8")


def _not_utf8(text: str, where: str = "the line") -> str:
    """The reason for a line or record read with errors="surrogateescape" that holds bytes that are not UTF-8."""
    raw = text.encode("utf-8", "surrogateescape")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text ({exc.reason} at byte {exc.start} of {where}); save the file as UTF-8"
    return "not UTF-8 text; save the file as UTF-8"  # not reached: the text held an undecoded byte


def _iter_jsonl(p: Path, source: str) -> Iterator[RawRow]:
    with p.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        lineno = 0
        seen_row = False
        suspect: RawRow | None = None  # a first line that opens a JSON array and is not valid JSON by itself
        while True:
            line = fh.readline(MAX_LINE_CHARS + 1)
            if not line:
                break
            lineno += 1
            if len(line) > MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
                while True:  # skip the rest of the line without holding it
                    rest = fh.readline(_SKIP_CHUNK)
                    if not rest or rest.endswith(("\n", "\r")):
                        break
                yield RawRow(source, lineno, None, f"line longer than {MAX_LINE_CHARS:,} characters")
                continue
            if not line.strip():
                continue
            if _UNDECODED.search(line):
                yield RawRow(source, lineno, None, _not_utf8(line))
                continue
            first, seen_row = not seen_row, True
            try:
                obj = loads_bounded(line, huge_ints="mark")
            except JSONLimitError as exc:
                if suspect is not None:  # two lines in a row that are no JSON value: a pretty-printed array
                    yield RawRow(source, FILE_LEVEL, None, JSON_ARRAY_REASON)
                    return
                if first and line.lstrip().startswith("[") and str(exc).startswith("not valid JSON"):
                    suspect = RawRow(source, lineno, None, str(exc))  # the start of a JSON array over many lines?
                    continue
                yield RawRow(source, lineno, None, str(exc))
                continue
            else:
                if suspect is not None:  # the second line decides: another JSON object means JSON Lines after all
                    if not isinstance(obj, dict):
                        yield RawRow(source, FILE_LEVEL, None, JSON_ARRAY_REASON)
                        return
                    yield suspect
                    suspect = None
            if not isinstance(obj, dict):
                hint = (" (a JSON array: write one object per line, JSON Lines)" if isinstance(obj, list)
                        and any(isinstance(x, dict) for x in obj[:1]) else "")
                yield RawRow(source, lineno, None, f"expected a JSON object, got {type(obj).__name__}{hint}")
                continue
            yield RawRow(source, lineno, obj)
        if suspect is not None:  # a file of one line that is not valid JSON: that line's own error
            yield suspect


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a cell longer than {MAX_CELL_CHARS:,} characters"
    if "unexpected end of data" in text:
        return ("a quoted cell is never closed: it runs to the end of the file, so this row and every row after it "
                "could not be read")
    return f"not valid CSV ({_short(exc)})"


def _undecoded(taken: list[str], start: int) -> str | None:
    """The reason for a CSV record (its physical ``taken`` lines, the first being line ``start``) holding bytes that
    are not UTF-8, or ``None``."""
    for i, line in enumerate(taken):
        if _UNDECODED.search(line):
            return _not_utf8(line, "the line" if i == 0 else f"line {start + i}")
    return None


def _iter_csv(p: Path, source: str) -> Iterator[RawRow]:
    with p.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        taken: list[str] = []  # the physical lines of the record being read

        def lines() -> Iterator[str]:
            for line in fh:
                taken.append(line)
                yield line

        reader = csv.reader(lines(), strict=True)  # strict: an unclosed quote is an error, not rows swallowed whole
        try:
            header = next(reader, None)
        except csv.Error as exc:
            yield RawRow(source, FILE_LEVEL, None, f"unreadable header line: {_csv_problem(exc)}")
            return
        bad_bytes = _undecoded(taken, 1)
        if bad_bytes is not None:
            yield RawRow(source, FILE_LEVEL, None, f"unreadable header line: {bad_bytes}")
            return
        if header is None or not any(h.strip() for h in header):
            yield RawRow(source, FILE_LEVEL, None, "empty file (no header line)")
            return
        if any(len(h) > MAX_CELL_CHARS for h in header):
            yield RawRow(source, FILE_LEVEL, None, f"unreadable header line: a cell longer than {MAX_CELL_CHARS:,} "
                         "characters")
            return
        counts = Counter(header)
        dupes = sorted(h for h, n in counts.items() if n > 1)
        if dupes:
            yield RawRow(source, FILE_LEVEL, None, f"unreadable header line: column {dupes[0]!r} appears "
                         f"{counts[dupes[0]]} times")
            return
        n_rows = 0
        start = reader.line_num + 1  # the physical line the next row starts on
        while True:
            taken.clear()
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                n_rows += 1
                yield RawRow(source, start, None, _csv_problem(exc))
                start = reader.line_num + 1
                continue
            if not cells:  # a blank line
                start = reader.line_num + 1
                continue
            n_rows += 1
            bad_bytes = _undecoded(taken, start)
            if bad_bytes is not None:
                yield RawRow(source, start, None, bad_bytes)
            elif len(cells) > len(header):
                yield RawRow(source, start, None, f"{len(cells) - len(header)} more cells than the header has columns")
            elif any(len(c) > MAX_CELL_CHARS for c in cells):
                yield RawRow(source, start, None, f"a cell longer than {MAX_CELL_CHARS:,} characters")
            else:
                values: dict[str, Any] = dict.fromkeys(header)
                for k, v in zip(header, cells):
                    values[k] = v if v != "" else None
                yield RawRow(source, start, values)
            start = reader.line_num + 1
        if n_rows == 0:
            yield RawRow(source, FILE_LEVEL, None, "empty file (a header line and no rows)")


def _iter_parquet(p: Path, source: str) -> Iterator[RawRow]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    broken = (pa.ArrowException, OSError, ValueError, TypeError, IndexError, OverflowError)
    try:
        pf = pq.ParquetFile(p)
        batches = pf.iter_batches(batch_size=4096)
    except broken as exc:
        yield RawRow(source, FILE_LEVEL, None, f"not a readable Parquet file ({_short(exc)})")
        return
    n = 0
    while True:
        try:
            batch = next(batches, None)
            if batch is None:
                break
            records = batch.to_pylist()
        except broken as exc:
            yield RawRow(source, FILE_LEVEL, None, f"Parquet file unreadable after row {n} ({_short(exc)})")
            return
        for rec in records:
            n += 1
            yield RawRow(source, n, rec)
    if n == 0:
        yield RawRow(source, FILE_LEVEL, None, "empty file (no rows)")
