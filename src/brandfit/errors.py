"""Exceptions raised by brandfit.

They subclass builtins so callers can keep catching ``ValueError`` / ``LookupError``.
"""

from __future__ import annotations

__all__ = ["BrandfitError", "DataError", "IntegrityError", "FormatVersionError", "UnknownRefError"]


class BrandfitError(Exception):
    """Base class of every error brandfit raises on purpose."""


class DataError(BrandfitError, ValueError):
    """Input data is malformed: names the file, the line and the field."""


class IntegrityError(BrandfitError, ValueError):
    """A registry file does not match its manifest (tampered, truncated or corrupted)."""


class FormatVersionError(BrandfitError, ValueError):
    """An artifact was written by a newer brandfit than the one installed."""


class UnknownRefError(BrandfitError, KeyError):
    """A valid model name, version or alias that does not exist in the registry."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""
