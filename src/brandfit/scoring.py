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
- ``consistency`` = share of posts on topic (its top topic, with at least ``TOPICAL_MIN_PROB``); ``promo_ratio`` = share of posts whose promo probability
  is at or above the model's validated threshold;
- ``confidence`` = how much topical evidence the account carries: the texts the model gives one topic (any of the
  six, ``other`` included) at least ``TOPICAL_MIN_PROB``, each weighted by its words (a one-word text counts a
  third, an emoji-only text nothing), over ``max(n_texts, MIN_EVIDENCE)``; with less than ``MIN_CONFIDENCE`` there
  is no ``primary_topic``, and the score is shrunk towards the uninformed ``1/6`` in proportion to how little
  evidence there is;
- ``primary_topic`` (the account's core topic) is the strongest of the five verticals when it holds at least
  ``PRIMARY_MIN_SHARE`` of ``topic_probs`` (a real feed is full of selfies, food and "thank you 2k" posts, so the
  vertical rarely holds a majority), ``other`` when no vertical reaches ``OTHER_MAX_SHARE`` and ``other`` leads, and
  ``None`` in between (no clear core topic, with the reason);
- ranking (:func:`brandfit.rank_accounts`) uses :func:`rank_score`: ``score x (1 - promo_penalty x promo_ratio)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np

from brandfit.account import Account, BrandTopic
from brandfit.errors import InputError
from brandfit.heads import expit
from brandfit.model import TextAnalysis
from brandfit.topics import TOPICS

__all__ = ["Relevance", "Evidence", "ScoringOptions", "TIER_BANDS", "tier_for", "score_account", "rank_score",
           "brand_text_relevance", "core_topic"]

BIO_WEIGHT = 0.3
_OTHER = TOPICS.index("other")
TOPICAL_MIN_PROB = 0.5
"""A text counts as topical evidence when one topic gets at least this probability."""
MIN_EVIDENCE = 3
"""Fewer texts than this cannot give full confidence: one post is an anecdote, not a core topic."""
MIN_CONFIDENCE = 0.3
"""Below this confidence an account gets no primary topic (``None``, with the reason)."""
PRIMARY_MIN_SHARE = 0.3
"""The strongest vertical is the core topic when it holds at least this share of the account's topic mix."""
OTHER_MAX_SHARE = 0.2
"""``other`` is the core topic only when no vertical holds this share of the mix."""
FULL_WEIGHT_WORDS = 3
"""Texts with fewer words than this count as a fraction of a text of evidence."""
TIER_BANDS: tuple[tuple[str, int], ...] = (("nano", 1_000), ("micro", 10_000), ("mid", 100_000), ("macro", 1_000_000))
"""Upper bounds (exclusive) of each tier; at or above the last bound an account is ``mega``."""


@dataclass(frozen=True)
class ScoringOptions:
    promo_ratio_threshold: float = 0.3
    tier_bands: tuple[tuple[str, int], ...] = TIER_BANDS
    top_tier: str = "mega"
    evidence: int = 3

    def __post_init__(self) -> None:
        if isinstance(self.evidence, bool) or not isinstance(self.evidence, int) or not 0 <= self.evidence <= 50:
            raise InputError(f"evidence: must be an integer in [0, 50], got {self.evidence!r}")
        if not 0 <= self.promo_ratio_threshold <= 1:
            raise InputError(f"promo_ratio_threshold: must be in [0, 1], got {self.promo_ratio_threshold}")
        bounds = [b for _, b in self.tier_bands]
        if bounds != sorted(bounds) or any(b <= 0 for b in bounds):
            raise InputError("tier_bands: upper bounds must be positive and increasing")


def tier_for(followers: int | None, options: ScoringOptions = ScoringOptions()) -> str | None:
    """``nano`` < 1,000 <= ``micro`` < 10,000 <= ``mid`` < 100,000 <= ``macro`` < 1,000,000 <= ``mega``."""
    if followers is None:
        return None
    if isinstance(followers, bool) or not isinstance(followers, int) or followers < 0:
        raise InputError(f"followers: expected a non-negative integer or None, got {followers!r}")
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
    confidence: float = 1.0
    """How much topical evidence the account carries, in [0, 1] (see the module docstring)."""

    @property
    def rank_score(self) -> float:
        """The shortlist's ranking key: :func:`rank_score` with the full promo penalty."""
        return rank_score(self.score, self.promo_ratio)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = [e.to_dict() for e in self.evidence]
        d["reasons"] = list(self.reasons)
        return d


def rank_score(score: float, promo_ratio: float, promo_penalty: float = 1.0) -> float:
    """The one ranking formula (API shortlist, batch job summary, server): ``score x (1 - penalty x promo_ratio)``."""
    return float(score) * (1.0 - float(promo_penalty) * float(promo_ratio))


def brand_text_relevance(emb: np.ndarray, brand_emb: np.ndarray, a: float, b: float) -> np.ndarray:
    """Calibrated relevance of each embedded text to a brand topic (see the module docstring)."""
    cos = (emb @ brand_emb.T).max(axis=1) if len(emb) else np.zeros(0)
    return expit(a * cos + b)


def _engagement(account: Account) -> float | None:
    if not account.followers:
        return None
    per_post = [(p.likes or 0) + (p.comments or 0) for p in account.posts if p.likes is not None or p.comments is not None]
    if not per_post:
        return None
    return float(np.mean(per_post) / account.followers)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _mix(bio_v: Any, posts_v: np.ndarray) -> Any:
    """``BIO_WEIGHT`` x bio + the rest x mean over posts (only one of them if the other is missing)."""
    if bio_v is None:
        return posts_v.mean(axis=0)
    if len(posts_v) == 0:
        return bio_v
    return BIO_WEIGHT * bio_v + (1 - BIO_WEIGHT) * posts_v.mean(axis=0)


def _split(values: Any, has_bio: bool) -> tuple[Any, Any]:
    """Rows of one account's texts (bio first when there is one) -> (bio row or None, post rows)."""
    return (values[0], values[1:]) if has_bio else (None, values)


def _word_count(text: str) -> int:
    return sum(1 for w in text.split() if any(ch.isalnum() for ch in w))


def _confidence(texts: list[str], topic_proba: np.ndarray) -> tuple[float, int]:
    """(confidence in [0, 1], number of topical texts): see the module docstring."""
    clear = np.asarray(topic_proba).max(axis=1) >= TOPICAL_MIN_PROB
    weights = np.array([min(1.0, _word_count(t) / FULL_WEIGHT_WORDS) for t in texts])
    evidence = float((weights * clear).sum())
    return min(1.0, evidence / max(len(texts), MIN_EVIDENCE)), int((clear & (weights > 0)).sum())


def core_topic(topic_probs: np.ndarray) -> str | None:
    """The account's core topic from its topic mix (six probabilities, :data:`TOPICS` order), or ``None`` when the
    mix is unclear: see ``PRIMARY_MIN_SHARE`` and ``OTHER_MAX_SHARE``.

    Chosen out of source (``training/experiments/account_primary.py``): on accounts assembled from sources the
    model never saw, the plain argmax named ``other`` for a third of the vertical accounts whose feeds were 30-60%
    off-topic posts.
    """
    m = np.asarray(topic_probs, dtype=np.float64)
    verticals = [i for i in range(len(TOPICS)) if i != _OTHER]
    best = max(verticals, key=lambda i: m[i])
    if m[best] >= PRIMARY_MIN_SHARE:
        return TOPICS[best]
    if m[best] < OTHER_MAX_SHARE and int(np.argmax(m)) == _OTHER:
        return "other"
    return None


def _empty_relevance(base: dict[str, Any]) -> Relevance:
    return Relevance(score=0.0, topic_probs={t: 0.0 for t in TOPICS}, primary_topic=None, consistency=0.0,
                     promo_ratio=0.0, too_promotional=False, undisclosed_promo=0, evidence=(), confidence=0.0,
                     reasons=("No text to judge: the bio and every post are empty.",), **base)


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
    """Combine per-text outputs into a :class:`Relevance`.

    ``analysis`` covers ``account.scored_texts()`` in order (bio first when it has one, then the non-empty posts);
    ``brand_relevance`` holds each of those texts' relevance to a :class:`BrandTopic` (``None`` for a built-in topic).
    """
    brand_name = brand if isinstance(brand, str) else brand.name
    texts = account.scored_texts()
    base = dict(brand_topic=brand_name, tier=tier_for(account.followers, options), engagement_rate=_engagement(account),
                n_posts=len(account.posts), model_version=model_version, account_id=account.account_id,
                handle=account.handle, followers=account.followers)
    if analysis is None or len(analysis.promo_proba) == 0:
        return _empty_relevance(base)
    if len(analysis.promo_proba) != len(texts):
        raise InputError(f"analysis: {len(analysis.promo_proba)} rows for the account's {len(texts)} texts")
    fit = _topic_part(account, texts, brand, analysis.topic_proba, brand_relevance)
    has_bio = account.has_bio
    promo = _promo_part(analysis, has_bio, promo_threshold, options)
    posts_rel, topic_probs, confidence = fit["posts_rel"], fit["topic_probs"], fit["confidence"]
    order = np.argsort(-posts_rel, kind="stable")[: options.evidence]
    post_idx = account.post_indices()
    evidence = tuple(
        Evidence(text=account.posts[post_idx[i]].text[:280], topic_probability=round(float(posts_rel[i]), 4),
                 promo=bool(promo["is_promo"][i]))
        for i in order
    )
    primary = core_topic(topic_probs) if confidence >= MIN_CONFIDENCE else None
    reasons = _reasons(account, brand_name, fit["score"], fit["consistency"], primary, topic_probs, promo,
                       confidence=confidence, n_topical=fit["n_topical"], n_texts=len(texts), names=analysis.names)
    return Relevance(
        score=round(fit["score"], 6),
        topic_probs={t: round(float(v), 6) for t, v in zip(TOPICS, topic_probs)},
        primary_topic=primary,
        consistency=round(fit["consistency"], 6),
        promo_ratio=round(promo["ratio"], 6),
        too_promotional=promo["too_promotional"],
        undisclosed_promo=promo["undisclosed"],
        evidence=evidence,
        reasons=tuple(reasons),
        promo_cues=promo["cue_counts"],
        confidence=round(confidence, 6),
        **base,
    )


def _topic_part(account: Account, texts: list[str], brand: str | BrandTopic, topic_proba: np.ndarray,
                brand_relevance: np.ndarray | None) -> dict[str, Any]:
    """Topic mix, confidence, (shrunk) score and consistency of one account (see the module docstring)."""
    if isinstance(brand, str):
        rel = topic_proba[:, TOPICS.index(brand)]
    elif brand_relevance is None:
        raise InputError("brand_relevance: required for a BrandTopic")
    else:
        rel = np.asarray(brand_relevance, dtype=np.float64)
    bio_p, posts_p = _split(topic_proba, account.has_bio)
    bio_rel, posts_rel = _split(rel, account.has_bio)
    confidence, n_topical = _confidence(texts, topic_proba)
    raw = float(np.clip(_mix(bio_rel, posts_rel), 0.0, 1.0))
    prior = 1.0 / len(TOPICS)
    score = prior + (raw - prior) * min(1.0, confidence / MIN_CONFIDENCE)
    if not len(posts_p):
        on_topic = np.zeros(0, bool)
    elif isinstance(brand, str):
        t = TOPICS.index(brand)
        on_topic = (posts_p.argmax(axis=1) == t) & (posts_p[:, t] >= TOPICAL_MIN_PROB)
    else:
        on_topic = posts_rel >= 0.5
    return {"posts_rel": posts_rel, "topic_probs": _mix(bio_p, posts_p), "confidence": confidence,
            "n_topical": n_topical, "score": score, "consistency": float(on_topic.mean()) if len(on_topic) else 0.0}


def _promo_part(analysis: TextAnalysis, has_bio: bool, threshold: float, options: ScoringOptions) -> dict[str, Any]:
    """Promo figures over the posts (the bio is not a post)."""
    pp = _split(analysis.promo_proba, has_bio)[1]
    cues = _split(analysis.cues, has_bio)[1]
    disclosed = _split(analysis.disclosed, has_bio)[1]
    is_promo = pp >= threshold
    ratio = float(is_promo.mean()) if len(pp) else 0.0
    cue_counts: dict[str, int] = {}
    for c in cues:
        for name in c:
            cue_counts[name] = cue_counts.get(name, 0) + 1
    return {"is_promo": is_promo, "ratio": ratio, "too_promotional": bool(ratio > options.promo_ratio_threshold),
            "undisclosed": int(sum(1 for p, d in zip(is_promo, disclosed) if p and not d)), "cue_counts": cue_counts}


NAMES_SHOWN = 3
"""How many known names of an account's core topic its reasons show (then "and N more")."""


def _names_of(names: Sequence[Sequence[Any]] | None, vertical: str | None) -> list[str]:
    """The distinct known names (one per table entry) of ``vertical`` an account's texts name
    (``TextAnalysis.names``), as first written without a possessive, each with its gloss:
    ``["Kipchoge (marathon runner)", ...]``."""
    if not names or vertical is None:
        return []
    seen: dict[int, str] = {}
    for found in names:
        for name in found:
            if name.vertical == vertical and name.entry not in seen:
                written = name.written[:len(name.alias)]  # "Kipchoge's" -> "Kipchoge"; "Kiehl's" stays
                seen[name.entry] = f"{written} ({name.gloss})"
    return list(seen.values())


def _reasons(account: Account, brand_name: str, score: float, consistency: float, primary: str | None,
             topic_probs: np.ndarray, promo: dict[str, Any], *, confidence: float, n_topical: int,
             n_texts: int, names: Sequence[Sequence[Any]] | None = None) -> list[str]:
    n_posts = len(account.post_indices())
    if account.has_bio and n_posts:
        what = f"bio and {_plural(n_posts, 'post')}"
    else:
        what = "bio only" if account.has_bio else _plural(n_posts, "post")
    reasons = [f"{_pct(score)} fit with {brand_name} ({what})."]
    if n_posts:
        reasons.append(f"{_pct(consistency)} of posts are mainly about {brand_name}.")
    if primary is None and confidence < MIN_CONFIDENCE and n_topical >= n_texts:  # every text topical, but short
        reasons.append(f"No clear core topic yet: too little text to judge ({_plural(n_texts, 'short text')}, "
                       f"confidence {_pct(confidence)}).")
    elif primary is None and confidence < MIN_CONFIDENCE:
        verb = "says" if n_topical == 1 else "say"
        reasons.append(f"No clear core topic: only {n_topical} of {_plural(n_texts, 'text')} {verb} anything topical "
                       f"(confidence {_pct(confidence)}); most are too short, emoji or hashtags.")
    elif primary is None:
        ranked = sorted(range(len(TOPICS)), key=lambda i: -topic_probs[i])[:3]
        mix = ", ".join(f"{TOPICS[i]} {_pct(float(topic_probs[i]))}" for i in ranked)
        reasons.append(f"No clear core topic: no topic dominates what it posts about ({mix}).")
    elif primary != brand_name:
        reasons.append(f"Mostly posts about {primary} ({_pct(float(topic_probs[TOPICS.index(primary)]))}).")
    named = _names_of(names, primary)
    if named:
        shown = ", ".join(named[:NAMES_SHOWN]) + (f" and {len(named) - NAMES_SHOWN} more" if len(named) > NAMES_SHOWN
                                                  else "")
        reasons.append(f"Known names it mentions outside the verticals: {shown}." if primary == "other" else
                       f"Known {primary} names it mentions: {shown}.")
    if n_posts:
        msg = f"{_pct(promo['ratio'])} of posts read as advertorial"
        reasons.append(msg + (" — too promotional." if promo["too_promotional"] else "."))
    if promo["undisclosed"]:
        reasons.append(f"{_plural(promo['undisclosed'], 'promotional post')} carry no ad disclosure."
                       if promo["undisclosed"] > 1 else "1 promotional post carries no ad disclosure.")
    empty = len(account.posts) - n_posts
    if empty:
        reasons.append(f"{_plural(empty, 'empty post')} ignored.")
    return reasons
