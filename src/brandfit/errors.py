"""Exceptions raised by brandfit.

Every error brandfit raises on purpose derives from :class:`BrandfitError` *and* the builtin it resembles, so
callers can catch either ``BrandfitError`` or ``ValueError`` / ``LookupError`` / ``RuntimeError``. The CLI prints a
``BrandfitError`` as one line (exit 2); anything else is a bug and shows its traceback (exit 1).

>>> from brandfit.errors import BrandfitError, DataError
>>> issubclass(DataError, ValueError) and issubclass(DataError, BrandfitError)
True
"""

from __future__ import annotations

__all__ = [
    "BrandfitError", "DataError", "RowError", "IntegrityError", "FormatVersionError", "UnknownRefError",
    "SettingsError", "OnnxExportError", "MissingExtraError", "OutputExistsError", "InputError", "InputTypeError",
    "MissingFileError", "LockTimeoutError", "NotAFolderError", "RollbackError", "ConfigError",
]


class BrandfitError(Exception):
    """Base class of every error brandfit raises on purpose."""


class DataError(BrandfitError, ValueError):
    """Input data is malformed: names the file, the line and the field."""


class RowError(DataError):
    """One input row that cannot be tagged; the message is the reason written to the errors file."""


class IntegrityError(BrandfitError, ValueError):
    """A registry file does not match its manifest (tampered, truncated or corrupted)."""


class FormatVersionError(BrandfitError, ValueError):
    """An artifact was written by a newer brandfit than the one installed."""


class UnknownRefError(BrandfitError, KeyError):
    """A valid model name, version or alias that does not exist in the registry."""

    def __str__(self) -> str:  # keep the message readable (KeyError would quote it)
        return str(self.args[0]) if self.args else ""


class SettingsError(BrandfitError, ValueError):
    """A bad setting: an argument or an environment variable (named in the message) with an unusable value."""


class OnnxExportError(BrandfitError, RuntimeError):
    """The onnx export of the packaged encoder failed or did not pass its sanity check."""


class MissingExtraError(BrandfitError, ImportError):
    """An optional extra (``brandfit[ray]``, ``brandfit[serve]``) is needed and not installed."""


class OutputExistsError(BrandfitError, FileExistsError):
    """An output file or an unfinished run is in the way."""


class InputError(BrandfitError, ValueError):
    """An argument or input value brandfit cannot use; the message names it and says what is expected."""


class InputTypeError(BrandfitError, TypeError):
    """An argument of the wrong type; the message names it and the type expected."""


class MissingFileError(BrandfitError, FileNotFoundError):
    """A file or folder brandfit was asked to read does not exist."""


class LockTimeoutError(BrandfitError, TimeoutError):
    """Another process held a lock (the registry, an export) for longer than the timeout."""


class NotAFolderError(BrandfitError, NotADirectoryError):
    """A path that must be an existing folder is not one."""


class RollbackError(BrandfitError, LookupError):
    """An alias cannot be rolled back: it has no earlier target, or that version was deleted."""


class ConfigError(InputError):
    """A training config brandfit cannot use: the message names the file (when there is one), the key and what is
    allowed."""
