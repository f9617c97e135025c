"""When to show a progress bar: asked for explicitly, or a person is watching a long run.

Only brandfit's own bars are ever shown: third-party libraries' bars (transformers' "Loading weights",
sentence-transformers' "Batches") are kept off, see :func:`no_third_party_bars`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from typing import Iterator

PROGRESS_MIN_ITEMS = 2_000


def want_progress(show_progress_bar: bool | None, n_items: int, logger: logging.Logger) -> bool:
    """``None`` means: only on a terminal, only for long runs, and only when INFO is not silenced."""
    if show_progress_bar is not None:
        return show_progress_bar
    return n_items >= PROGRESS_MIN_ITEMS and sys.stderr.isatty() and logger.getEffectiveLevel() <= logging.INFO


_bars_lock = threading.Lock()
_bars_depth = 0
_bars_restore: tuple[bool, bool] = (False, False)


@contextlib.contextmanager
def no_third_party_bars() -> Iterator[None]:
    """Within the block, transformers (and huggingface_hub, whose switch it shares) show no progress bar, such as
    the "Loading weights" bar of ``from_pretrained``; afterwards both are as they were. Nested and concurrent
    blocks are counted: the last one to end restores. Does nothing when transformers is not installed."""
    global _bars_depth, _bars_restore
    try:
        from huggingface_hub import utils as hub_utils
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    with _bars_lock:
        if _bars_depth == 0:
            _bars_restore = (hf_logging.is_progress_bar_enabled(), hub_utils.are_progress_bars_disabled())
            hf_logging.disable_progress_bar()
        _bars_depth += 1
    try:
        yield
    finally:
        with _bars_lock:
            _bars_depth -= 1
            if _bars_depth == 0:
                hf_was_on, hub_was_off = _bars_restore
                if hf_was_on:
                    hf_logging.enable_progress_bar()  # also turns huggingface_hub's back on
                if hub_was_off != hub_utils.are_progress_bars_disabled():
                    (hub_utils.disable_progress_bars if hub_was_off else hub_utils.enable_progress_bars)()
