"""Every setting brandfit reads from the environment, resolved and validated in one place.

Each entry point (the Python API, ``brandfit tag``, ``brandfit serve``) asks this module, so the same
account gets the same numbers whichever door it came through.

>>> from brandfit import settings
>>> settings.DEFAULT_BACKEND
'onnx'
>>> settings.resolve_backend("torch")
'torch'
"""

from __future__ import annotations

import os
from pathlib import Path

from brandfit.errors import SettingsError

__all__ = [
    "BACKENDS", "DEFAULT_BACKEND", "DEFAULT_MODEL_REF", "ENV_BACKEND", "ENV_REGISTRY", "ENV_PUBLIC_DATA",
    "ENV_CACHE_DIR", "resolve_backend", "registry_root", "bundled_registry", "is_registry", "env_path", "env",
    "ENV_CACHE_DB", "ENV_CACHE_MAX_MB", "DEFAULT_CACHE_MAX_MB", "default_cache_db", "resolve_cache_db",
    "cache_max_bytes", "DEFAULT_LABELED_TEXTS", "DEFAULT_LABELED_ACCOUNTS", "MIN_JUDGED_TEXTS",
]

BACKENDS = ("torch", "onnx")
DEFAULT_BACKEND = "onnx"
"""The embedding backend every entry point uses unless told otherwise: the int8 onnx graph. Measured on 2 cores
(docs/onnx.md): 2.2-2.6x torch's throughput, half its memory, topic AP within 0.005 of torch, and scores that do
not depend on batch-mates (one text per run). ``torch`` stays one argument (or ``$BRANDFIT_BACKEND``) away."""
DEFAULT_MODEL_REF = "production"

ENV_BACKEND = "BRANDFIT_BACKEND"
ENV_REGISTRY = "BRANDFIT_REGISTRY"
ENV_PUBLIC_DATA = "BRANDFIT_PUBLIC_DATA"
ENV_CACHE_DIR = "BRANDFIT_CACHE_DIR"
ENV_CACHE_DB = "BRANDFIT_CACHE_DB"
"""The embedding cache (:mod:`brandfit.embedding.cache`): a path, or ``off`` to turn it off everywhere."""
ENV_CACHE_MAX_MB = "BRANDFIT_CACHE_MAX_MB"
DEFAULT_CACHE_MAX_MB = 2048
"""The embedding cache's cap: 2 GiB holds ~1.3 million texts (384 float32 + key: ~1.6 KB each)."""
_OFF = ("off", "none", "no", "false", "0")

DEFAULT_LABELED_TEXTS = "data/labeled/texts"
"""The project's labeled texts, relative to the current folder: what ``brandfit train`` trains on by default
(``TrainConfig.data``), and what ``evaluate`` / ``models compare`` / ``promote`` read for a version that records no
data."""
DEFAULT_LABELED_ACCOUNTS = "data/labeled/accounts"
"""The accounts of :data:`DEFAULT_LABELED_TEXTS` (``TrainConfig.accounts``)."""
MIN_JUDGED_TEXTS = 50
"""Fewer labeled texts than this say little: a headline figure on fewer is shown but not judged by the promotion
gate (``models compare`` / ``promote --min-texts``), ``brandfit evaluate`` warns about such a set, and ``brandfit
train`` warns about a validation or test split that small."""

_ALIASES_DIR = "_aliases"


def env(name: str) -> str | None:
    """An environment variable's value, stripped; None when unset or blank."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    if "\x00" in value:
        raise SettingsError(f"${name}: contains a NUL character")
    return value.strip()


def resolve_backend(backend: str | None = None) -> str:
    """``backend``, else ``$BRANDFIT_BACKEND``, else :data:`DEFAULT_BACKEND`; an unknown name is an error
    that says where it came from."""
    if backend is not None:
        if backend not in BACKENDS:
            raise SettingsError(f"backend: unknown embedding backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        return backend
    value = env(ENV_BACKEND)
    if value is None:
        return DEFAULT_BACKEND
    if value not in BACKENDS:
        raise SettingsError(f"${ENV_BACKEND}: unknown embedding backend {value!r}; expected one of {', '.join(BACKENDS)}")
    return value


def env_path(name: str) -> Path | None:
    """An environment variable holding a path, or None when unset or empty."""
    value = env(name)
    return None if value is None else Path(value).expanduser()


def is_registry(path: Path) -> bool:
    """Whether ``path`` holds a model registry (an aliases folder or a model folder with numbered versions)."""
    if not path.is_dir():
        return False
    if (path / _ALIASES_DIR).is_dir():
        return True
    try:
        return any(child.is_dir() and any(v.name.isdigit() for v in child.iterdir())
                   for child in path.iterdir() if not child.name.startswith((".", "_")))
    except OSError:
        return False


def bundled_registry() -> Path:
    """The read-only registry shipped inside the package: the production model and its alias."""
    return Path(__file__).resolve().parent / "bundled" / "registry"


def registry_root(registry: str | os.PathLike[str] | None = None) -> Path:
    """Where models are read from: ``registry``, else ``$BRANDFIT_REGISTRY``, else ``./models`` when it holds a
    registry, else the registry bundled with the package (so an installed wheel predicts out of the box)."""
    if registry is not None:
        return Path(registry)
    from_env = env_path(ENV_REGISTRY)
    if from_env is not None:
        return from_env
    local = Path.cwd() / "models"
    if is_registry(local):
        return local
    return bundled_registry()


def default_cache_db() -> Path:
    """Where the embedding cache lives unless told: ``${XDG_CACHE_HOME:-~/.cache}/brandfit/embeddings.sqlite``."""
    base = env_path("XDG_CACHE_HOME") or Path.home() / ".cache"
    return base / "brandfit" / "embeddings.sqlite"


def resolve_cache_db(cache: "bool | str | os.PathLike[str] | None" = None, *, default_on: bool) -> Path | None:
    """The embedding cache file to use, or None for no cache.

    ``cache`` is ``False`` (off), ``True`` (``$BRANDFIT_CACHE_DB``, else :func:`default_cache_db`), a path, or
    ``None``: then ``$BRANDFIT_CACHE_DB`` decides (a path, or ``off``), and when it is unset ``default_on`` does:
    ``brandfit tag`` caches by default, the Python API only when asked.
    """
    if cache is False:
        return None
    if cache is not None and cache is not True:
        if isinstance(cache, str) and not cache.strip():
            raise SettingsError("cache: empty path")
        return Path(cache).expanduser()
    value = env(ENV_CACHE_DB)
    if value is not None:
        if value.lower() in _OFF:
            return None if cache is None else default_cache_db()
        return Path(value).expanduser()
    return default_cache_db() if (cache is True or default_on) else None


def cache_max_bytes() -> int:
    """The embedding cache's size cap in bytes: ``$BRANDFIT_CACHE_MAX_MB`` (MiB), else :data:`DEFAULT_CACHE_MAX_MB`."""
    value = env(ENV_CACHE_MAX_MB)
    if value is None:
        return DEFAULT_CACHE_MAX_MB << 20
    try:
        mb = float(value)
    except ValueError:
        raise SettingsError(f"${ENV_CACHE_MAX_MB}: expected a number of MiB, got {value!r}") from None
    if not mb > 0:
        raise SettingsError(f"${ENV_CACHE_MAX_MB}: must be > 0, got {value!r}")
    return int(mb * (1 << 20))
