"""When to show a progress bar: asked for explicitly, or a person is watching a long run."""

from __future__ import annotations

import logging
import sys

PROGRESS_MIN_ITEMS = 2_000


def want_progress(show_progress_bar: bool | None, n_items: int, logger: logging.Logger) -> bool:
    """``None`` means: only on a terminal, only for long runs, and only when INFO is not silenced."""
    if show_progress_bar is not None:
        return show_progress_bar
    return n_items >= PROGRESS_MIN_ITEMS and sys.stderr.isatty() and logger.getEffectiveLevel() <= logging.INFO
