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
