"""Baselines the shipped model must beat: zero-shot cosine to descriptions, and TF-IDF + logistic regression."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy.special import softmax

from brandfit.embedding import Embedder
from brandfit.features import DescriptionIndex
from brandfit.text import normalize
from brandfit.topics import TOPICS

__all__ = ["ZeroShotScorer", "TfidfScorer", "PROMO_DESCRIPTIONS"]

PROMO_DESCRIPTIONS = (
    "sponsored advertisement, paid partnership",
    "use my discount code for 20% off, link in bio",
    "buy now, limited time offer, shop the sale",
    "giveaway: follow and tag a friend to win",
)
ORGANIC_DESCRIPTIONS = (
    "a personal post about my day",
    "an honest opinion and a question to friends",
)


class ZeroShotScorer:
    """Topic = softmax of cosine to the written topic descriptions; promo = promo-vs-organic description cosine."""

    def __init__(self, embedder: Embedder, *, temperature: float = 0.05) -> None:
        self.embedder = embedder
        self.temperature = temperature
        self.desc = DescriptionIndex.build(embedder)
        self.promo = embedder.encode(list(PROMO_DESCRIPTIONS), show_progress_bar=False)
        self.organic = embedder.encode(list(ORGANIC_DESCRIPTIONS), show_progress_bar=False)
        self.promo_threshold = 0.5

    def _emb(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedder.encode([normalize(t) for t in texts])

    def topic_proba(self, texts: Sequence[str]) -> pd.DataFrame:
        sims = self.desc.similarities(self._emb(texts))
        return pd.DataFrame(softmax(sims / self.temperature, axis=1), columns=list(TOPICS))

    def promo_proba(self, texts: Sequence[str]) -> np.ndarray:
        e = self._emb(texts)
        d = (e @ self.promo.T).max(axis=1) - (e @ self.organic.T).max(axis=1)
        return 1.0 / (1.0 + np.exp(-d / self.temperature))


class TfidfScorer:
    """Word and character n-gram TF-IDF with two logistic regressions, trained on our labeled texts."""

    def __init__(self, *, seed: int = 13) -> None:
        self.seed = seed
        self.promo_threshold = 0.5

    def fit(self, texts: Sequence[str], topics: Sequence[str], promo: Sequence[bool]) -> "TfidfScorer":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_union

        self.vec = make_union(
            TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True),
        )
        x = self.vec.fit_transform([normalize(t) for t in texts])
        self.topic = LogisticRegression(C=10, max_iter=3000, random_state=self.seed, class_weight="balanced")
        self.topic.fit(x, [TOPICS.index(t) for t in topics])
        self.promo = LogisticRegression(C=10, max_iter=3000, random_state=self.seed, class_weight="balanced")
        self.promo.fit(x, np.asarray(promo, dtype=int))
        return self

    def topic_proba(self, texts: Sequence[str]) -> pd.DataFrame:
        x = self.vec.transform([normalize(t) for t in texts])
        p = np.zeros((x.shape[0], len(TOPICS)))
        p[:, self.topic.classes_] = self.topic.predict_proba(x)
        return pd.DataFrame(p, columns=list(TOPICS))

    def promo_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.promo.predict_proba(self.vec.transform([normalize(t) for t in texts]))[:, 1]
