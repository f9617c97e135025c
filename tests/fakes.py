"""A fake embedder and a small hand-made model for the unit tier (importable as ``fakes``: tests/ is on sys.path).

Kept out of conftest.py so that test modules never import a conftest by name (two tiers each have one)."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DIM = 384
KEYWORDS = {
    0: ("trail", "hike", "hiking", "run", "runner", "bike", "cycling", "climb", "ultra", "race", "marathon"),
    1: ("dress", "outfit", "sneakers", "ootd", "denim", "jacket"),
    2: ("gym", "squat", "squats", "protein", "yoga", "deadlift", "workout", "legday"),
    3: ("lipstick", "skincare", "makeup", "serum", "mascara"),
    4: ("phone", "laptop", "camera", "headphones", "keyboard"),
}
_WORD = re.compile(r"[a-z]+")


class FakeEmbedder:
    """Deterministic 384-d vectors: keyword words light up their topic's axis, other words a hashed axis."""

    name = "fake/keywords"
    dim = DIM

    def __init__(self) -> None:
        self.calls: list[int] = []
        self._topic = {w: t for t, words in KEYWORDS.items() for w in words}

    def encode(self, texts, *, show_progress_bar=None) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), DIM), np.float32)
        for i, text in enumerate(texts):
            for w in _WORD.findall(text.lower()):
                if w in self._topic:
                    out[i, self._topic[w]] += 1.0
                else:
                    out[i, 16 + zlib.crc32(w.encode()) % 300] += 0.35
            if not out[i].any():
                out[i, DIM - 1] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def make_model(embedder=None, *, version: str = "relevance@1"):
    from brandfit.cues import LEGACY_PROMO_CUES
    from brandfit.features import DescriptionIndex
    from brandfit.heads import LogisticHead, SoftmaxHead
    from brandfit.model import RelevanceModel

    coef = np.zeros((6, DIM))
    for t in range(5):
        coef[t, t] = 12.0
    intercept = np.array([0, 0, 0, 0, 0, 2.5])  # no topical word: "other"
    promo_coef = np.zeros(DIM + len(LEGACY_PROMO_CUES) + 1)  # no promo.cues in the config: the legacy columns
    promo_coef[DIM:DIM + len(LEGACY_PROMO_CUES)] = 3.0
    desc = DescriptionIndex(embeddings=np.eye(6, DIM, dtype=np.float32), topic_index=np.arange(6))
    return RelevanceModel(
        topic_head=SoftmaxHead(coef, intercept, 1.0), promo_head=LogisticHead(promo_coef, -2.0), descriptions=desc,
        promo_threshold=0.5, config={"topic": {"desc_scale": 0.0}, "promo": {"cue_scale": 1.0}},
        version=version, backend="onnx", embedder=embedder or FakeEmbedder(),
    )
