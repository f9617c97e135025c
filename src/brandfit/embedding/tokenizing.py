"""Tokenising and pooling as sentence-transformers does them, in numpy: shared by the onnx backend and its exporter.

>>> import numpy as np
>>> from brandfit.embedding.tokenizing import mean_pool
>>> v = mean_pool(np.ones((1, 3, 4), np.float32), np.array([[1, 1, 0]]))
>>> v.shape, round(float(np.linalg.norm(v)), 6)
((1, 4), 1.0)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from brandfit.embedding import MAX_SEQ_LENGTH
from brandfit.errors import MissingExtraError

__all__ = ["load_tokenizer", "mean_pool"]


def load_tokenizer(model_dir: str | Path):
    """The packaged WordPiece tokenizer, truncating at ``MAX_SEQ_LENGTH`` and not padding (batches pad themselves)."""
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise MissingExtraError("the onnx backend needs tokenizers: pip install tokenizers") from exc
    tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tok.no_padding()  # the shipped tokenizer.json pads every text to 128
    tok.enable_truncation(max_length=MAX_SEQ_LENGTH)
    return tok


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors under ``mask``, L2-normalised: sentence-transformers' Pooling + Normalize."""
    m = mask.astype(np.float32)
    summed = np.einsum("btd,bt->bd", hidden, m)
    vecs = summed / np.maximum(m.sum(axis=1, keepdims=True), 1e-9)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return (vecs / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
