"""Output rows and writers: the column layout, chunk parts, and the atomic final file.

Every chunk becomes an Arrow table in the *flat* layout (``p_<topic>`` float columns, JSON strings for
``evidence``, ``reasons`` and ``promo_cues``). Parquet and CSV keep that layout; JSONL turns it back into
nested values (``topic_probs``, ``evidence``... as JSON objects and lists). ``brandfit rank`` writes its shortlist
with the same writer (:func:`write_tables`), in :data:`RANK_SCHEMA`: a ``rank`` column, then the same columns.

Every file written here is atomic: a temporary file in the target's own folder (``.NAME.XXXXXXXX.tmp``), flushed
and ``fsync``-ed, then ``os.replace``-d over the target, then the folder ``fsync``-ed. A reader sees no file or the
whole file. The job's final output is staged the same way (:func:`stage_final`) and only renamed into place together
with its errors file (:func:`replace_output_and_errors`), once both are complete.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from brandfit._atomic import atomic_path, fsync_dir, fsync_file, new_temp_path, temp_name_pattern
from brandfit.errors import InputError
from brandfit.scoring import Relevance
from brandfit.topics import TOPICS

__all__ = ["FORMATS", "SCHEMA", "COLUMNS", "RANK_SCHEMA", "TopAccounts", "resolve_format", "relevance_table",
           "ranked_table", "write_part", "write_tables", "stage_final", "replace_output_and_errors", "stale_temps"]

FORMATS = ("parquet", "jsonl", "csv")
JSON_COLUMNS = ("evidence", "reasons", "promo_cues")

SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("handle", pa.string()),
        ("followers", pa.int64()),
        ("brand_topic", pa.string()),
        ("score", pa.float64()),
        ("rank_score", pa.float64()),
        ("primary_topic", pa.string()),
        ("confidence", pa.float64()),
        *[(f"p_{t}", pa.float64()) for t in TOPICS],
        ("consistency", pa.float64()),
        ("promo_ratio", pa.float64()),
        ("too_promotional", pa.bool_()),
        ("undisclosed_promo", pa.int64()),
        ("tier", pa.string()),
        ("engagement_rate", pa.float64()),
        ("n_posts", pa.int64()),
        ("evidence", pa.string()),
        ("reasons", pa.string()),
        ("promo_cues", pa.string()),
        ("model_version", pa.string()),
        ("run_id", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
    ]
)
"""Columns of every part and of Parquet/CSV output, in order."""
COLUMNS = tuple(SCHEMA.names)
RANK_SCHEMA = pa.schema([("rank", pa.int64()), *SCHEMA])
"""Columns of ``brandfit rank``'s shortlist: ``rank`` (1 = best), then :data:`SCHEMA`'s, in the same order and
encoding (``rank_score`` there is ranked with the shortlist's ``--promo-penalty``)."""
_PLAIN_COLUMNS = ("account_id", "handle", "followers", "brand_topic", "score", "primary_topic", "confidence",
                  "consistency", "promo_ratio", "too_promotional", "undisclosed_promo", "tier", "engagement_rate",
                  "n_posts", "model_version")


def resolve_format(fmt: str | None, output: Path) -> str:
    """``fmt`` if given, else from the output's suffix (``.parquet``/``.pq``, ``.jsonl``/``.json``, ``.csv``), else Parquet
    for a name with no suffix; any other suffix (``.xlsx``, ``.txt``) is refused rather than given Parquet bytes."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"format: unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")
        return fmt
    suffix = output.suffix.lower()
    by_suffix = {".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv",
                 "": "parquet"}
    if suffix not in by_suffix:
        raise InputError(f"{output}: cannot tell the output format from {suffix!r}; name it .parquet, .jsonl or .csv, "
                         "or give the format (--format; format= in Python)")
    return by_suffix[suffix]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def relevance_table(results: Sequence[Relevance], *, run_id: str, sources: Sequence[tuple[str, int]]) -> pa.Table:
    """:class:`~brandfit.scoring.Relevance` results -> a table in :data:`SCHEMA` (straight to Arrow: no DataFrame,
    no NaN to undo). ``sources`` holds each row's ``(source_file, source_line)``."""
    if len(results) != len(sources):
        raise InputError(f"results: {len(results)} rows for {len(sources)} sources")
    cols: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for r, (src, line) in zip(results, sources):
        for name in _PLAIN_COLUMNS:
            cols[name].append(getattr(r, name))
        cols["rank_score"].append(r.rank_score)
        for t in TOPICS:
            cols[f"p_{t}"].append(r.topic_probs[t])
        cols["evidence"].append(_dumps([e.to_dict() for e in r.evidence]))
        cols["reasons"].append(_dumps(list(r.reasons)))
        cols["promo_cues"].append(_dumps(dict(r.promo_cues)))
        cols["run_id"].append(run_id)
        cols["source_file"].append(src)
        cols["source_line"].append(int(line))
    return pa.table(cols, schema=SCHEMA)


def ranked_table(table: pa.Table, rank_scores: Sequence[float]) -> pa.Table:
    """A :data:`SCHEMA` table already in shortlist order -> :data:`RANK_SCHEMA`: ``rank`` 1, 2, ... in front and
    ``rank_score`` replaced by ``rank_scores`` (the shortlist's own promo penalty)."""
    if table.schema != SCHEMA:
        raise InputError("ranked_table: expected a table in the tag output's SCHEMA")
    if len(rank_scores) != table.num_rows:
        raise InputError(f"rank_scores: {len(rank_scores)} values for {table.num_rows} rows")
    i = SCHEMA.get_field_index("rank_score")
    table = table.set_column(i, SCHEMA.field(i), pa.array([float(x) for x in rank_scores], pa.float64()))
    table = table.add_column(0, RANK_SCHEMA.field("rank"), pa.array(range(1, table.num_rows + 1), pa.int64()))
    return table.cast(RANK_SCHEMA)


def write_part(path: Path, table: pa.Table) -> None:
    """Write one chunk's rows as a Parquet file, atomically."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def _nested(row: dict[str, Any], columns: Sequence[str] = COLUMNS) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in columns:
        if name.startswith("p_"):
            continue
        if name == "primary_topic":
            out["topic_probs"] = {t: row[f"p_{t}"] for t in TOPICS}
        out[name] = json.loads(row[name]) if name in JSON_COLUMNS else row[name]
    return out


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    return table if table.schema == schema else table.cast(schema)


def write_tables(tables: Iterable[pa.Table], output: Path, fmt: str | None, *, schema: pa.Schema = SCHEMA,
                 on_table: Callable[[pa.Table], None] | None = None) -> int:
    """Write ``tables`` (each in ``schema``: :data:`SCHEMA`, or :data:`RANK_SCHEMA` for a shortlist) to ``output``
    in ``fmt`` (``None``: from the suffix), atomically, one table at a time. Returns the row count.

    The one writer of ``brandfit tag`` and ``brandfit rank``: Parquet and CSV keep the flat layout (CSV: a header
    of the column names, ``true``/``false``, empty cells for nulls, exact floats, JSON strings for ``evidence``,
    ``reasons`` and ``promo_cues``); JSONL nests ``topic_probs`` and those JSON columns.
    """
    fmt = resolve_format(fmt, output)
    with atomic_path(output) as tmp:
        return _write_into(tmp, tables, fmt, schema=schema, on_table=on_table)


def _write_into(path: Path, tables: Iterable[pa.Table], fmt: str, *, schema: pa.Schema,
                on_table: Callable[[pa.Table], None] | None) -> int:
    """Write ``tables`` to ``path`` (a temporary file: no atomicity here) in ``fmt``; returns the row count."""
    columns = tuple(schema.names)
    n = 0
    if fmt == "parquet":
        with pq.ParquetWriter(path, schema) as writer:
            for table in tables:
                table = _conform(table, schema)
                if on_table is not None:
                    on_table(table)
                writer.write_table(table)
                n += table.num_rows
    else:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n") if fmt == "csv" else None
            if writer is not None:
                writer.writerow(columns)
            for table in tables:
                table = _conform(table, schema)
                if on_table is not None:
                    on_table(table)
                rows = table.to_pylist()
                if writer is not None:
                    writer.writerows([_csv_cell(r[c]) for c in columns] for r in rows)
                else:
                    buf = io.StringIO()
                    for r in rows:
                        buf.write(json.dumps(_nested(r, columns), ensure_ascii=False) + "\n")
                    fh.write(buf.getvalue())
                n += len(rows)
    return n


def stale_temps(target: Path) -> list[Path]:
    """Temporary files an interrupted write of ``target`` left beside it: exactly ``.NAME.XXXXXXXX.tmp``
    (:func:`brandfit._atomic.temp_name_pattern`, the names :func:`brandfit._atomic.new_temp_path` gives), so nobody
    else's file, nor another output's (``NAME.errors.jsonl``'s), matches."""
    pattern = temp_name_pattern(target)
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if pattern.fullmatch(p.name) and p.is_file() and not p.is_symlink())


def stage_final(parts: Sequence[Path], output: Path, fmt: str,
                on_table: Callable[[pa.Table], None] | None = None) -> tuple[Path, int]:
    """Concatenate ``parts`` (in order) in ``fmt`` into a new temporary file beside ``output``
    (:func:`brandfit._atomic.new_temp_path`), written and ``fsync``-ed, and return it with the row count; it is
    **not** renamed: :func:`replace_output_and_errors` does that. On failure the temporary file is removed.

    Reads one part at a time, so memory is bounded by a chunk, not by the job; ``on_table`` sees each part."""
    tmp = new_temp_path(output)
    try:
        n = _write_into(tmp, (pq.read_table(part, schema=SCHEMA) for part in parts), fmt, schema=SCHEMA,
                        on_table=on_table)
        fsync_file(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, n


def replace_output_and_errors(staged_output: Path, output: Path, staged_errors: Path, errors: Path) -> None:
    """Put a finished job's output and errors file in place, both complete and ``fsync``-ed beforehand.

    Two files cannot be replaced in one atomic step. Every byte is written before either rename, so the window
    is two back-to-back renames: the errors file first, the output last. The output is the commit point: whoever
    sees the new output finds its errors file beside it already. A crash between the two renames (no data is
    written there) leaves the new errors file beside the old output, and leaves the checkpoint (removed only after
    both renames), so the next plain run refuses and ``--resume`` writes both again.
    """
    fsync_file(staged_errors)
    os.replace(staged_errors, errors)
    os.replace(staged_output, output)
    fsync_dir(output.parent)
    if errors.parent != output.parent:
        fsync_dir(errors.parent)


TOP_COLUMNS = ("account_id", "handle", "score", "rank_score", "primary_topic", "consistency", "promo_ratio", "tier")


class TopAccounts:
    """The ``n`` best accounts seen so far, ranked as :func:`brandfit.rank_accounts` does
    (``score x (1 - promo_ratio)``; ties: first seen first), in bounded memory."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._heap: list[tuple[float, int, dict[str, Any]]] = []
        self._seen = 0

    def __call__(self, table: pa.Table) -> None:
        if self.n <= 0:
            return
        for row in table.select(list(TOP_COLUMNS)).to_pylist():
            self._seen += 1
            entry = (row["rank_score"], -self._seen, row)
            if len(self._heap) < self.n:
                heapq.heappush(self._heap, entry)
            elif entry[:2] > self._heap[0][:2]:
                heapq.heapreplace(self._heap, entry)

    def result(self) -> list[dict[str, Any]]:
        return [row for _, _, row in sorted(self._heap, key=lambda e: e[:2], reverse=True)]
