"""The local engine: score one chunk at a time in this process, checkpointing each chunk.

Also home of what both engines share: cutting the account stream into numbered chunks, and the
progress report (a tqdm bar with accounts/s for a person at a terminal, INFO log lines otherwise).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from brandfit.account import BrandTopic
from brandfit.errors import InputError
from brandfit.pipeline import Pipeline
from brandfit.tagging._checkpoint import Checkpoint, write_error
from brandfit.tagging._input import ErrorLog, Item
from brandfit.tagging._output import relevance_table, write_part

logger = logging.getLogger("brandfit.tagging")

__all__ = ["Progress", "count_accounts", "chunked", "check_skipped", "score_items", "run_local", "PendingChunks",
           "save_chunk"]

LOG_EVERY_S = 10.0


def chunked(items: Iterable[Item], size: int) -> Iterator[tuple[int, list[Item]]]:
    """Number the stream's chunks of ``size`` accounts: ``(0, first size items), (1, ...)``."""
    chunk: list[Item] = []
    k = 0
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield k, chunk
            k += 1
            chunk = []
    if chunk:
        yield k, chunk


def count_accounts(files: Sequence[Path]) -> int | None:
    """How many accounts ``files`` hold, when that is knowable cheaply: every file has one account per row
    (JSONL lines, CSV records, Parquet row count). ``None`` when a file has one text per row (accounts are only
    known after grouping) or cannot be read."""
    import csv

    from brandfit.tagging._input import detect_shape

    total = 0
    try:
        for path in files:
            if detect_shape(path) != "accounts":
                return None
            suffix = path.suffix.lower()
            if suffix in (".jsonl", ".json"):
                with open(path, "rb") as handle:
                    total += sum(1 for line in handle if line.strip())
            elif suffix == ".csv":
                with open(path, newline="", encoding="utf-8-sig") as handle:
                    total += max(sum(1 for _ in csv.reader(handle)) - 1, 0)
            elif suffix == ".parquet":
                import pyarrow.parquet as pq

                total += pq.ParquetFile(path).metadata.num_rows
            else:
                return None
    except (OSError, ValueError, ImportError) as exc:
        logger.debug("could not count the accounts up front: %s", exc)
        return None
    return total


class Progress:
    """Accounts tagged in this run: a tqdm bar on a terminal (with a percentage and ETA when ``total`` is
    known), else an INFO line every few seconds."""

    def __init__(self, *, show_progress_bar: bool | None, already_done: int = 0,
                 total: int | Callable[[], int | None] | None = None) -> None:
        if show_progress_bar is None:
            show_progress_bar = sys.stderr.isatty() and logger.isEnabledFor(logging.INFO)
        self.n = 0
        # a callable is only asked when a bar is shown: counting reads every input file once
        self.total = (total() if show_progress_bar else None) if callable(total) else total
        self._already = already_done
        total = self.total
        self._t0 = time.perf_counter()
        self._last_log = self._t0
        self._bar = None
        if show_progress_bar:
            from tqdm.auto import tqdm

            self._bar = tqdm(desc="tagging", unit=" accounts", file=sys.stderr, dynamic_ncols=True,
                             initial=already_done, total=total, smoothing=0.1)

    def update(self, n: int, *, set_aside: int = 0) -> None:
        self.n += n
        if self._bar is not None:
            self._bar.update(n)
            self._bar.set_postfix(set_aside=set_aside, refresh=False)
            return
        now = time.perf_counter()
        if now - self._last_log >= LOG_EVERY_S:
            self._last_log = now
            rate = self.n / max(now - self._t0, 1e-9)
            of = ""
            if self.total:
                done = self._already + self.n
                left = max(self.total - done, 0)
                of = f" ({done} of {self.total}, {100 * done / self.total:.0f}%, about {left / max(rate, 1e-9):.0f} s left)"
            logger.info("tagged %d account%s%s in this run (%.1f accounts/s), %d row%s set aside so far", self.n,
                        "" if self.n == 1 else "s", of, rate, set_aside, "" if set_aside == 1 else "s")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def check_skipped(ckpt: Checkpoint, chunk_id: int, items: Sequence[Item]) -> None:
    """A chunk done in an earlier run must hold as many accounts now as it did then."""
    if ckpt.done_count(chunk_id) != len(items):
        raise InputError(
            f"--resume: chunk {chunk_id} held {ckpt.done_count(chunk_id)} accounts in the unfinished run and "
            f"{len(items)} now, so the input is not the same; pass --overwrite to start over"
        )


def score_items(items: Sequence[Item], brand: str | BrandTopic, pipeline: Pipeline, run_id: str) -> Any:
    """Tag ``items`` in one batch; returns a table in :data:`brandfit.tagging._output.SCHEMA`."""
    results = pipeline.score([it.account for it in items], brand, show_progress_bar=False)
    return relevance_table(results, run_id=run_id, sources=[(it.source_file, it.source_line) for it in items])


class PendingChunks:
    """The stream's chunks not yet in the checkpoint (a chunk done in an earlier run is checked, then skipped);
    after iterating, :attr:`count` is the number of chunks in the whole stream."""

    def __init__(self, chunks: Iterable[tuple[int, list[Item]]], ckpt: Checkpoint) -> None:
        self._chunks, self._ckpt = chunks, ckpt
        self.count = 0

    def __iter__(self) -> Iterator[tuple[int, list[Item]]]:
        for k, items in self._chunks:
            self.count = k + 1
            if self._ckpt.is_done(k):
                check_skipped(self._ckpt, k, items)
                continue
            yield k, items


def save_chunk(ckpt: Checkpoint, k: int, table: Any, errors: ErrorLog, progress: Progress) -> None:
    """Write chunk ``k``'s tagged rows as its part, mark it done, and count it (both engines). The part is on
    disk before ``state.json`` names it; an OS error (a full disk) is one line naming the path, and leaves the
    checkpoint resumable (``state.json`` is untouched or replaced whole)."""
    path = ckpt.part_path(k)
    try:
        write_part(path, table)
    except OSError as exc:
        raise write_error(exc, path, "writing the checkpoint") from exc
    ckpt.mark_done(k, table.num_rows)
    errors.flush()
    progress.update(table.num_rows, set_aside=errors.count)


def run_local(
    chunks: Iterable[tuple[int, list[Item]]],
    ckpt: Checkpoint,
    *,
    pipeline: Pipeline,
    brand: str | BrandTopic,
    errors: ErrorLog,
    progress: Progress,
) -> int:
    """Tag every chunk not yet in the checkpoint; returns the number of chunks in the stream."""
    pending = PendingChunks(chunks, ckpt)
    for k, items in pending:
        save_chunk(ckpt, k, score_items(items, brand, pipeline, ckpt.run_id), errors, progress)
    return pending.count
