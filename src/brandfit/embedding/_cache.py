"""An on-disk embedding cache for repeated evaluation runs (arrays only, read with allow_pickle=False)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from brandfit.embedding import Embedder


class CachedEmbedder:
    """Wraps an :class:`Embedder`; a batch of texts seen before is read back from ``cache_dir``."""

    def __init__(self, inner: Embedder, cache_dir: str | Path) -> None:
        self.inner = inner
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str], *, show_progress_bar: bool | None = None) -> np.ndarray:
        h = hashlib.sha256(self.inner.name.encode())
        for t in texts:
            h.update(t.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        path = self.cache_dir / f"{h.hexdigest()[:32]}.npy"
        if path.exists():
            return np.load(path, allow_pickle=False)
        vecs = self.inner.encode(texts, show_progress_bar=show_progress_bar)
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, vecs, allow_pickle=False)
        os.replace(tmp, path)
        return vecs
