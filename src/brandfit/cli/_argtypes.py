"""Argument types the subcommands share: argparse turns their ArgumentTypeError into a usage error naming the flag."""

from __future__ import annotations

import argparse
from typing import Callable

__all__ = ["whole_number"]


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` accepting an integer >= ``minimum``.

    >>> whole_number(1)("3")
    3
    >>> whole_number(0)("-5")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a whole number >= 0, got '-5'
    """
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
        return value

    convert.__name__ = f"whole number >= {minimum}"
    return convert
