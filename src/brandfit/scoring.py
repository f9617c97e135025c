"""Account-level brand fit: from per-text model outputs to one :class:`Relevance`.

Formula (documented for brand managers and kept deliberately simple):

- each non-empty text gets topic probabilities ``p`` (six ids) and a promo probability;
- ``topic_probs`` = ``BIO_WEIGHT`` x bio + (1 - ``BIO_WEIGHT``) x mean over posts (only one of them if
  the other is missing);
- for a built-in topic ``t``: ``score`` = ``topic_probs[t]``; a post "is on topic" when ``t`` is its top topic;
- for a :class:`~brandfit.account.BrandTopic`: each text's relevance is
  ``sigmoid(a * cos + b)``, where ``cos`` is its best cosine to the brand's description and examples
  and ``(a, b)`` were fitted at training time on how cosine-to-description predicts the built-in
  topics on validation texts (Platt scaling), so 0.7 means what 0.7 means for a built-in topic;
  the score mixes bio and posts with the same weights, and a post is on topic when its relevance >= 0.5;
- ``consistency`` = share of posts on topic; ``promo_ratio`` = share of posts whose promo probability
  is at or above the model's validated threshold;
- ranking (:func:`brandfit.rank_accounts`) uses ``score x (1 - promo_penalty x promo_ratio)``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from brandfit.account import Account, BrandTopic
from brandfit.model import TextAnalysis
from brandfit.topics import TOPICS

__all__ = ["Relevance", "ScoringOptions", "TIER_BANDS", "tier_for", "score_account"]

BIO_WEIGHT = 0.3
TIER_BANDS: tuple[tuple[str, int], ...] = (("nano", 1_000), ("micro", 10_000), ("mid", 100_000), ("macro", 1_000_000))
"""Upper bounds (exclusive) of each tier; at or above the last bound an account is ``mega``."""


@dataclass(frozen=True)
class ScoringOptions:
    promo_ratio_threshold: float = 0.3
    tier_bands: tuple[tuple[str, int], ...] = TIER_BANDS
    top_tier: str = "mega"
    evidence: int = 3

    def __post_init__(self) -> None:
        if not 0 <= self.promo_ratio_threshold <= 1:
            raise ValueError(f"promo_ratio_threshold: must be in [0, 1], got {self.promo_ratio_threshold}")
        bounds = [b for _, b in self.tier_bands]
        if bounds != sorted(bounds) or any(b <= 0 for b in bounds):
            raise ValueError("tier_bands: upper bounds must be positive and increasing")


def tier_for(followers: int | None, options: ScoringOptions = ScoringOptions()) -> str | None:
    """``nano`` < 1,000 <= ``micro`` < 10,000 <= ``mid`` < 100,000 <= ``macro`` < 1,000,000 <= ``mega``."""
    if followers is None:
        return None
    for name, upper in options.tier_bands:
        if followers < upper:
            return name
    return options.top_tier


@dataclass(frozen=True)
class Evidence:
    text: str
    topic_probability: float
    promo: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Relevance:
    """How well one account fits a brand topic. ``to_dict()`` is JSON-safe."""

    brand_topic: str
    score: float
    topic_probs: dict[str, float]
    primary_topic: str | None
    consistency: float
    promo_ratio: float
    too_promotional: bool
    undisclosed_promo: int
    evidence: tuple[Evidence, ...]
    reasons: tuple[str, ...]
    tier: str | None
    engagement_rate: float | None
    n_posts: int
    model_version: str
    account_id: str | None = None
    handle: str | None = None
    followers: int | None = None
    promo_cues: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = [e.to_dict() for e in self.evidence]
        d["reasons"] = list(self.reasons)
        return d


def _engagement(account: Account) -> float | None:
    if not account.followers:
        return None
    per_post = [(p.likes or 0) + (p.comments or 0) for p in account.posts if p.likes is not None or p.comments is not None]
    if not per_post:
        return None
    return float(np.mean(per_post) / account.followers)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def score_account(
    account: Account,
    brand: str | BrandTopic,
    analysis: TextAnalysis | None,
    *,
    brand_relevance: np.ndarray | None,
    promo_threshold: float,
    model_version: str,
    options: ScoringOptions = ScoringOptions(),
) -> Relevance:
    """Combine per-text outputs (bio first, then posts, empty texts removed) into a :class:`Relevance`.

    ``analysis`` covers the account's non-empty texts in order (bio, then posts); ``brand_relevance``
    holds each of those texts' relevance to a :class:`BrandTopic` (``None`` for a built-in topic).
    """
    brand_name = brand if isinstance(brand, str) else brand.name
    has_bio = bool(account.bio.strip())
    post_idx = [i for i, p in enumerate(account.posts) if p.text.strip()]
    n_posts = len(account.posts)
    base = dict(brand_topic=brand_name, tier=tier_for(account.followers, options), engagement_rate=_engagement(account),
                n_posts=n_posts, model_version=model_version, account_id=account.account_id, handle=account.handle,
                followers=account.followers)
    if analysis is None or len(analysis.promo_proba) == 0:
        return Relevance(score=0.0, topic_probs={t: 0.0 for t in TOPICS}, primary_topic=None, consistency=0.0,
                         promo_ratio=0.0, too_promotional=False, undisclosed_promo=0, evidence=(),
                         reasons=("No text to judge: the bio and every post are empty.",), **base)
    tp = analysis.topic_proba
    bio_p = tp[0] if has_bio else None
    posts_p = tp[1:] if has_bio else tp
    if isinstance(brand, str):
        t = TOPICS.index(brand)
        rel = tp[:, t]
    else:
        if brand_relevance is None:
            raise ValueError("brand_relevance: required for a BrandTopic")
        rel = brand_relevance
    bio_rel = rel[0] if has_bio else None
    posts_rel = rel[1:] if has_bio else rel

    def mix(bio_v: Any, posts_v: np.ndarray) -> Any:
        if bio_v is None:
            return posts_v.mean(axis=0)
        if len(posts_v) == 0:
            return bio_v
        return BIO_WEIGHT * bio_v + (1 - BIO_WEIGHT) * posts_v.mean(axis=0)

    topic_probs = mix(bio_p, posts_p)
    score = float(np.clip(mix(bio_rel, posts_rel), 0.0, 1.0))
    if isinstance(brand, str):
        on_topic = posts_p.argmax(axis=1) == TOPICS.index(brand) if len(posts_p) else np.zeros(0, bool)
    else:
        on_topic = posts_rel >= 0.5
    consistency = float(on_topic.mean()) if len(posts_p) else 0.0
    pp = analysis.promo_proba[1:] if has_bio else analysis.promo_proba
    cues = analysis.cues[1:] if has_bio else analysis.cues
    disclosed = analysis.disclosed[1:] if has_bio else analysis.disclosed
    is_promo = pp >= promo_threshold
    promo_ratio = float(is_promo.mean()) if len(pp) else 0.0
    undisclosed = int(sum(1 for p, d in zip(is_promo, disclosed) if p and not d))
    cue_counts: dict[str, int] = {}
    for c in cues:
        for name in c:
            cue_counts[name] = cue_counts.get(name, 0) + 1

    order = np.argsort(-posts_rel, kind="stable")[: options.evidence]
    evidence = tuple(
        Evidence(text=account.posts[post_idx[i]].text[:280], topic_probability=round(float(posts_rel[i]), 4),
                 promo=bool(is_promo[i]))
        for i in order
    )
    primary = TOPICS[int(np.argmax(topic_probs))]
    too_promo = promo_ratio > options.promo_ratio_threshold
    reasons = [
        f"{_pct(score)} fit with {brand_name}"
        + (f" (bio and {len(post_idx)} posts)." if has_bio and post_idx else f" ({'bio only' if has_bio else f'{len(post_idx)} posts'}).")
    ]
    if post_idx:
        reasons.append(f"{_pct(consistency)} of posts are mainly about {brand_name}.")
    if primary != brand_name:
        reasons.append(f"Mostly posts about {primary} ({_pct(float(topic_probs[TOPICS.index(primary)]))}).")
    if post_idx:
        msg = f"{_pct(promo_ratio)} of posts read as advertorial"
        msg += " — too promotional." if too_promo else "."
        reasons.append(msg)
    if undisclosed:
        reasons.append(f"{undisclosed} promotional post(s) carry no ad disclosure.")
    empty = n_posts - len(post_idx)
    if empty:
        reasons.append(f"{empty} empty post(s) ignored.")
    return Relevance(
        score=round(score, 6),
        topic_probs={t: round(float(v), 6) for t, v in zip(TOPICS, topic_probs)},
        primary_topic=primary,
        consistency=round(consistency, 6),
        promo_ratio=round(promo_ratio, 6),
        too_promotional=bool(too_promo),
        undisclosed_promo=undisclosed,
        evidence=evidence,
        reasons=tuple(reasons),
        promo_cues=cue_counts,
        **base,
    )


def brand_text_relevance(emb: np.ndarray, brand_emb: np.ndarray, a: float, b: float) -> np.ndarray:
    """Calibrated relevance of each embedded text to a brand topic (see the module docstring)."""
    cos = (emb @ brand_emb.T).max(axis=1) if len(emb) else np.zeros(0)
    return 1.0 / (1.0 + np.exp(-(a * cos + b)))


def _isfinite(x: float) -> bool:
    return math.isfinite(x)
