"""Feature rows the heads read: the sentence embedding plus what we know beyond our own examples.

- topic features: the embedding, plus for each topic the highest cosine between the text and that
  topic's written descriptions (:data:`brandfit.topics.TOPIC_DESCRIPTIONS`), scaled;
- promo features: the embedding, plus one 0/1 column per advertorial cue and the cue count.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from brandfit.cues import CUES, QUALIFIERS, cue_matrix
from brandfit.embedding import Embedder
from brandfit.topics import TOPIC_DESCRIPTIONS, TOPICS, check_templates

__all__ = ["embed_phrases", "DescriptionIndex", "topic_features", "topic_prior",
           "zero_shot_proba", "geometric_mix", "cue_features", "promo_features"]

def embed_phrases(encode: Callable[[list[str]], np.ndarray], phrases: Sequence[str],
                  templates: Sequence[str]) -> np.ndarray:
    """``(len(phrases), d)`` float32, L2-normalised: for each phrase, the mean of the embeddings of its framings
    (``templates``, e.g. :data:`brandfit.topics.PHRASE_TEMPLATES`; ``("{}",)`` = the phrase as written),
    renormalised. ``encode`` embeds a list of texts into L2-normalised rows.

    >>> enc = lambda texts: np.array([[1.0, 0.0] if "post" in t else [0.0, 1.0] for t in texts], np.float32)
    >>> embed_phrases(enc, ["yoga"], ("{}", "a post about {}")).astype(float).round(3).tolist()
    [[0.707, 0.707]]
    """
    templates = check_templates(templates)
    phrases = [str(p) for p in phrases]
    if not phrases:
        e = np.asarray(encode([]), dtype=np.float32)
        return e.reshape(0, e.shape[-1] if e.ndim == 2 else 0)
    framed = [t.format(p) for p in phrases for t in templates]
    e = np.asarray(encode(framed), dtype=np.float64).reshape(len(phrases), len(templates), -1).mean(axis=1)
    e /= np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    return e.astype(np.float32)


class DescriptionIndex:
    """Embeddings of the written topic descriptions and which topic each belongs to."""

    def __init__(self, *, embeddings: np.ndarray, topic_index: np.ndarray,
                 phrases: Sequence[str] | None = None) -> None:
        if embeddings.ndim != 2 or len(embeddings) != len(topic_index):
            raise ValueError("description embeddings and topic index disagree in length")
        if phrases is not None and (isinstance(phrases, str) or len(phrases) != len(topic_index)
                                    or not all(isinstance(p, str) for p in phrases)):
            raise ValueError("description phrases: expected one string per description embedding")
        self.embeddings = np.asarray(embeddings, dtype=np.float32)
        self.topic_index = np.asarray(topic_index, dtype=np.int64)
        self.phrases: tuple[str, ...] | None = None if phrases is None else tuple(phrases)
        """The descriptions as written (``None`` for models that did not store them)."""

    @classmethod
    def build(cls, embedder: Embedder, descriptions: dict[str, Sequence[str]] = TOPIC_DESCRIPTIONS,
              templates: Sequence[str] = ("{}",)) -> "DescriptionIndex":
        """Embed every description, each framed by ``templates`` (:func:`embed_phrases`; ``("{}",)``: as written)."""
        texts, index = [], []
        for t, topic in enumerate(TOPICS):
            for d in descriptions[topic]:
                texts.append(d)
                index.append(t)
        emb = embed_phrases(lambda x: embedder.encode(x, show_progress_bar=False), texts, templates)
        return cls(embeddings=emb, topic_index=np.array(index), phrases=texts)

    def similarities(self, emb: np.ndarray) -> np.ndarray:
        """``(n, 6)``: per topic, the best cosine between each row and that topic's descriptions."""
        sims = emb @ self.embeddings.T
        out = np.full((len(emb), len(TOPICS)), -1.0, dtype=np.float32)
        for t in range(len(TOPICS)):
            cols = self.topic_index == t
            if cols.any():
                out[:, t] = sims[:, cols].max(axis=1)
        return out


def topic_features(emb: np.ndarray, desc: DescriptionIndex, *, desc_scale: float) -> np.ndarray:
    if desc_scale <= 0:
        return emb
    return np.hstack([emb, desc_scale * desc.similarities(emb)]).astype(np.float32)


PRIOR_TEMPERATURE = 0.05


def topic_prior(emb: np.ndarray, desc: DescriptionIndex, *, weight: float) -> np.ndarray | None:
    """Zero-shot prior logits: ``weight x cosine-to-descriptions / 0.05`` (None when the weight is 0)."""
    if weight <= 0:
        return None
    return (weight / PRIOR_TEMPERATURE) * desc.similarities(emb).astype(np.float64)


def zero_shot_proba(emb: np.ndarray, desc: DescriptionIndex) -> np.ndarray:
    """Zero-shot topic probabilities: softmax of the cosine to each topic's descriptions / 0.05."""
    z = desc.similarities(emb).astype(np.float64) / PRIOR_TEMPERATURE
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def geometric_mix(p: np.ndarray, q: np.ndarray, share: float) -> np.ndarray:
    """``p^(1 - share) x q^share``, rows renormalised: the two must agree for a topic to keep its mass."""
    if share <= 0:
        return p
    z = (1.0 - share) * np.log(np.clip(p, 1e-12, None)) + share * np.log(np.clip(q, 1e-12, None))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cue_features(cues: Sequence[Sequence[str]], columns: Sequence[str] | None = None) -> np.ndarray:
    """One 0/1 column per cue of ``columns`` (default all of :data:`brandfit.cues.CUES`) and the log count of those
    cues, float32. A qualifier among ``columns`` (:data:`brandfit.cues.QUALIFIERS`: ``content_link``, ``paid_price``,
    ``critical_gift``) clears the column of the cue it qualifies where it fires, and neither is counted: a link to a
    blog is not one more sign of an ad."""
    columns = list(CUES) if columns is None else list(columns)
    m = cue_matrix(cues, columns)
    uncounted = []
    for qualifier, qualified in QUALIFIERS.items():
        if qualifier in columns:
            q = columns.index(qualifier)
            if qualified in columns:
                m[:, columns.index(qualified)] *= 1.0 - m[:, q]
            uncounted.append(q)
    count = np.log1p(np.delete(m, uncounted, axis=1).sum(axis=1, keepdims=True))
    return np.hstack([m, count]).astype(np.float32)


def promo_features(emb: np.ndarray, cues: Sequence[Sequence[str]], *, cue_scale: float,
                   columns: Sequence[str] | None = None) -> np.ndarray:
    """The embedding and :func:`cue_features` x ``cue_scale``."""
    return np.hstack([emb, cue_scale * cue_features(cues, columns)]).astype(np.float32)

