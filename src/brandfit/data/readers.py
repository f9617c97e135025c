"""Read JSONL, CSV or Parquet files into raw rows, remembering where each row came from.

Nothing is dropped here: a line that is not valid JSON becomes a row carrying its parse error, so
the caller can set it aside with a reason.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from brandfit.errors import InputError, MissingFileError

__all__ = ["RawRow", "SUFFIXES", "iter_rows", "list_input_files"]

SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")


@dataclass(frozen=True, slots=True)
class RawRow:
    """One input row: its values (``None`` if unreadable), the file and the 1-based line or row number."""

    source: str
    line: int
    values: dict[str, Any] | None
    error: str | None = field(default=None)


def list_input_files(path: str | Path) -> list[Path]:
    """The readable data files at ``path``: the file itself, or the files in a folder (sorted, not recursive)."""
    p = Path(path)
    if not p.exists():
        raise MissingFileError(f"{p}: no such file or folder")
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES)
        if not files:
            raise InputError(f"{p}: folder holds no {', '.join(SUFFIXES)} files")
        return files
    if p.suffix.lower() not in SUFFIXES:
        raise InputError(f"{p}: unsupported file type {p.suffix!r}; expected one of {', '.join(SUFFIXES)}")
    return [p]


def iter_rows(path: str | Path) -> Iterator[RawRow]:
    """Yield every row of one file. Line numbers are 1-based (CSV: the physical line where the row starts)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".json"):
        yield from _iter_jsonl(p)
    elif suffix == ".csv":
        yield from _iter_csv(p)
    elif suffix == ".parquet":
        yield from _iter_parquet(p)
    else:
        raise InputError(f"{p}: unsupported file type {suffix!r}; expected one of {', '.join(SUFFIXES)}")


def _iter_jsonl(p: Path) -> Iterator[RawRow]:
    with p.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield RawRow(str(p), lineno, None, f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(obj, dict):
                yield RawRow(str(p), lineno, None, f"expected a JSON object, got {type(obj).__name__}")
                continue
            yield RawRow(str(p), lineno, obj)


def _iter_csv(p: Path) -> Iterator[RawRow]:
    with p.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.DictReader(fh)
        start = reader.line_num + 1
        for row in reader:
            if None in row:  # more cells than header columns
                extra = row.pop(None)
                yield RawRow(str(p), start, None, f"{len(extra)} more cells than the header has columns")
            else:
                yield RawRow(str(p), start, {k: (v if v != "" else None) for k, v in row.items()})
            start = reader.line_num + 1


def _iter_parquet(p: Path) -> Iterator[RawRow]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(p)
    n = 0
    for batch in pf.iter_batches(batch_size=4096):
        for rec in batch.to_pylist():
            n += 1
            yield RawRow(str(p), n, rec)
