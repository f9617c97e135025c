"""An on-disk, per-text embedding cache for repeated evaluation runs (arrays only, read with allow_pickle=False)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from brandfit.embedding import Embedder


class CachedEmbedder:
    """Wraps an :class:`Embedder`; texts embedded before are read back from ``cache_dir``.

    Only texts not yet seen are sent to the wrapped embedder; the store is rewritten atomically.
    """

    def __init__(self, inner: Embedder, cache_dir: str | Path) -> None:
        self.inner = inner
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tag = hashlib.sha256(inner.name.encode()).hexdigest()[:12]
        self._path = self.cache_dir / f"store-{tag}.npz"
        self._lock = threading.Lock()
        self._index: dict[str, int] = {}
        self._vecs = np.zeros((0, inner.dim), dtype=np.float32)
        if self._path.exists():
            with np.load(self._path, allow_pickle=False) as z:
                keys, self._vecs = z["keys"], z["vecs"]
            self._index = {str(k): i for i, k in enumerate(keys)}

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def encode(self, texts: Sequence[str], *, show_progress_bar: bool | None = None) -> np.ndarray:
        texts = list(texts)
        keys = [self._key(t) for t in texts]
        with self._lock:
            missing = list(dict.fromkeys(k for k in keys if k not in self._index))
            if missing:
                first = {k: t for k, t in zip(keys, texts)}
                new = self.inner.encode([first[k] for k in missing], show_progress_bar=show_progress_bar)
                base = len(self._vecs)
                self._vecs = np.vstack([self._vecs, new.astype(np.float32)])
                for i, k in enumerate(missing):
                    self._index[k] = base + i
                self._save()
            rows = [self._index[k] for k in keys]
        return self._vecs[rows] if rows else np.zeros((0, self.dim), dtype=np.float32)

    def _save(self) -> None:
        keys = np.array(sorted(self._index, key=self._index.__getitem__), dtype="U32")
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, keys=keys, vecs=self._vecs)
        os.replace(tmp, self._path)
