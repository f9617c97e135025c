"""Validation of model names, aliases and refs: everything here may become part of a path.

Names and aliases share one grammar, ``^[a-z][a-z0-9_-]{0,63}$`` (ASCII only), so they can never hold a
separator, ``..``, a drive letter, whitespace or a look-alike Unicode character. ``latest`` is reserved, and
names starting with ``_`` or ``.`` (the registry's own ``_aliases``, ``.tmp``, ``.lock``) cannot be written.

A ref is one of::

    production      an alias, or a model name (its newest version)
    topic@3         one version
    topic@latest    the newest version of ``topic``
    latest          the newest version published across the whole registry
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from brandfit.errors import InputError

__all__ = ["LATEST", "MAX_VERSION", "Ref", "parse_ref", "validate_name", "validate_relpath"]

LATEST = "latest"
MAX_VERSION = 10**9  # far beyond any real registry; keeps folder names short and ints exact
_NAME_RE = re.compile(r"[a-z][a-z0-9_-]{0,63}")
_VERSION_RE = re.compile(r"[0-9]{1,10}")
_RESERVED = frozenset({LATEST})


def validate_name(name: object, *, kind: str = "model name") -> str:
    """Return ``name`` if it is a valid model name or alias, else raise ``ValueError`` saying why."""
    if not isinstance(name, str):
        raise InputError(f"{kind} must be a string, got {type(name).__name__}")
    if name in _RESERVED:
        raise InputError(f"{kind} {name!r} is reserved (it means the newest version); pick another name")
    if _NAME_RE.fullmatch(name) is None:
        raise InputError(
            f"invalid {kind} {name!r}: use 1-64 characters, lowercase ASCII letters, digits, '_' or '-', "
            "starting with a letter (for example 'topic' or 'ad-tone')"
        )
    return name


def _parse_version(text: str, ref: str) -> int:
    if _VERSION_RE.fullmatch(text) is None:
        raise InputError(f"invalid ref {ref!r}: the part after '@' must be a version number (topic@3) or 'latest'")
    version = int(text)
    if not 1 <= version <= MAX_VERSION:
        raise InputError(f"invalid ref {ref!r}: versions start at 1")
    return version


@dataclass(frozen=True)
class Ref:
    """A parsed ref. ``name`` is ``None`` only for the registry-wide ``latest``.

    ``version`` is ``None`` for the newest version. ``bare`` is true when the ref had no ``@``, so it may
    name an alias as well as a model.
    """

    text: str
    name: str | None
    version: int | None
    bare: bool


def parse_ref(ref: object) -> Ref:
    """Parse ``ref`` (see the module docstring); raise ``ValueError`` for anything malformed."""
    if not isinstance(ref, str):
        raise InputError(f"a model ref must be a string, got {type(ref).__name__}")
    if ref == LATEST:
        return Ref(ref, None, None, bare=True)
    name, sep, version_text = ref.partition("@")
    validate_name(name, kind="model name or alias" if not sep else "model name")
    if not sep:
        return Ref(ref, name, None, bare=True)
    if version_text == LATEST:
        return Ref(ref, name, None, bare=False)
    return Ref(ref, name, _parse_version(version_text, ref), bare=False)


_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\\:]")


def validate_relpath(relpath: object, *, what: str = "file name") -> tuple[str, ...]:
    """Split a POSIX relative path into parts, refusing anything that could escape its folder.

    Refused: absolute paths, empty, ``.`` or ``..`` parts, backslashes, colons (drive letters, NTFS
    streams), control, format (bidi, zero-width) and undecodable characters, parts longer than 255 bytes.
    """
    if not isinstance(relpath, str) or not relpath:
        raise InputError(f"invalid {what} {relpath!r}: empty or not a string")
    if relpath.startswith("/"):
        raise InputError(f"invalid {what} {relpath!r}: absolute paths are not allowed")
    if _BAD_CHARS.search(relpath):
        raise InputError(f"invalid {what} {relpath!r}: control characters, '\\' and ':' are not allowed")
    if any(unicodedata.category(char).startswith("C") for char in relpath):  # bidi overrides, zero-width, ...
        raise InputError(f"invalid {what} {relpath!r}: invisible or non-UTF-8 characters are not allowed")
    parts = tuple(relpath.split("/"))
    for part in parts:
        if part in ("", ".", ".."):
            raise InputError(f"invalid {what} {relpath!r}: empty, '.' and '..' path parts are not allowed")
        if len(part.encode("utf-8")) > 255:
            raise InputError(f"invalid {what} {relpath!r}: a path part is longer than 255 bytes")
    return parts
