"""What discovery tools call: account-level brand fit, one account or many, and a ranked shortlist.

>>> import brandfit
>>> rel = brandfit.predict_relevance(
...     {"bio": "trail runner | ultra training log", "posts": ["20 miles of hill repeats", "new trail shoes!"]},
...     "sports_outdoor")
>>> rel.primary_topic, rel.score > 0.5
('sports_outdoor', True)
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from brandfit._background import in_background
from brandfit.account import Account, BrandTopic, parse_brand_topic
from brandfit.cues import find_cues
from brandfit.model import RelevanceModel, TextAnalysis, load_model
from brandfit.scoring import Relevance, ScoringOptions, brand_text_relevance, score_account
from brandfit.text import normalize

if TYPE_CHECKING:  # pandas is imported where a DataFrame is made: predict_relevance never needs it
    import pandas as pd

__all__ = ["predict_relevance", "predict_relevance_batch", "rank_accounts", "relevance_frame"]

ModelLike = "str | RelevanceModel"


def _model(model: str | RelevanceModel, backend: str | None = None) -> RelevanceModel:
    if isinstance(model, RelevanceModel):
        return model
    if not isinstance(model, str):
        raise TypeError(f"model: expected a registry ref or a RelevanceModel, got {type(model).__name__}")
    return load_model(model, backend=backend)


def _accounts(accounts: Iterable[Account | Mapping[str, Any]] | pd.DataFrame) -> list[Account]:
    pd = sys.modules.get("pandas")  # not imported yet: then `accounts` cannot be a DataFrame
    if pd is not None and isinstance(accounts, pd.DataFrame):
        records = accounts.to_dict("records")
        for r in records:
            for k, v in list(r.items()):
                if not isinstance(v, (list, tuple, dict, np.ndarray)) and pd.isna(v):
                    r[k] = None
                elif isinstance(v, np.ndarray):
                    r[k] = v.tolist()
        accounts = records
    if isinstance(accounts, (Mapping, Account, str)):
        raise TypeError("accounts: expected a list of accounts or a DataFrame, got a single account")
    return [Account.from_input(a, where=f"accounts[{i}]") for i, a in enumerate(accounts)]


def _texts(acc: Account) -> list[str]:
    out = [acc.bio] if acc.bio.strip() else []
    return out + [p.text for p in acc.posts if p.text.strip()]


def _score_many(
    accs: Sequence[Account],
    brand: str | BrandTopic,
    model: RelevanceModel,
    options: ScoringOptions,
    show_progress_bar: bool | None = None,
) -> list[Relevance]:
    per_account = [_texts(a) for a in accs]
    flat = [t for texts in per_account for t in texts]
    # embed each distinct normalised text once
    norm = [normalize(t) for t in flat]
    uniq = list(dict.fromkeys(norm))
    cues = in_background(find_cues, flat) if flat else None  # runs while the texts are embedded
    try:
        emb_u = (model.embedder.encode(uniq, show_progress_bar=show_progress_bar) if uniq
                 else np.zeros((0, model.embedder.dim), np.float32))
    except BaseException:
        if cues is not None:
            cues.cancel()
        raise
    pos = {t: i for i, t in enumerate(uniq)}
    emb = emb_u[[pos[t] for t in norm]] if norm else emb_u
    analysis = model.analyze(flat, embeddings=emb, cues=cues.result()) if cues is not None else None
    brand_rel = None
    if isinstance(brand, BrandTopic):
        brand_emb = model.embedder.encode([normalize(t) for t in brand.texts()], show_progress_bar=False)
        a, b = model.brand_calibration
        brand_rel = brand_text_relevance(emb, brand_emb, a, b)
    out: list[Relevance] = []
    start = 0
    for acc, texts in zip(accs, per_account):
        end = start + len(texts)
        sub = None
        if analysis is not None and end > start:
            sub = TextAnalysis(
                topic_proba=analysis.topic_proba[start:end], promo_proba=analysis.promo_proba[start:end],
                cues=analysis.cues[start:end], embeddings=analysis.embeddings[start:end],
            )
        out.append(score_account(
            acc, brand, sub, brand_relevance=None if brand_rel is None else brand_rel[start:end],
            promo_threshold=model.promo_threshold, model_version=model.version, options=options,
        ))
        start = end
    return out


def predict_relevance(
    account: Account | Mapping[str, Any],
    brand_topic: str | BrandTopic,
    *,
    model: str | RelevanceModel = "production",
    backend: str | None = None,
    options: ScoringOptions | None = None,
) -> Relevance:
    """How closely one account matches ``brand_topic`` (a topic id or a :class:`BrandTopic`).

    ``account`` is a mapping (``bio``, ``posts`` as strings or ``{"text", "likes", "comments",
    "posted_at"}``, optional ``account_id``, ``handle``, ``followers``) or an :class:`Account`.
    Bad input raises ``ValueError``/``TypeError`` naming the field.
    """
    brand = parse_brand_topic(brand_topic)
    acc = Account.from_input(account)
    return _score_many([acc], brand, _model(model, backend), options or ScoringOptions())[0]


def relevance_frame(results: Sequence[Relevance]) -> pd.DataFrame:
    """One row per account with every :class:`Relevance` field (evidence and dicts kept as objects)."""
    import pandas as pd

    return pd.DataFrame([r.to_dict() for r in results])


def predict_relevance_batch(
    accounts: Iterable[Account | Mapping[str, Any]] | pd.DataFrame,
    brand_topic: str | BrandTopic,
    *,
    model: str | RelevanceModel = "production",
    backend: str | None = None,
    options: ScoringOptions | None = None,
    show_progress_bar: bool | None = None,
) -> pd.DataFrame:
    """Score many accounts, embedding all their texts in one pass; one row per account, input order."""
    brand = parse_brand_topic(brand_topic)
    accs = _accounts(accounts)
    return relevance_frame(_score_many(accs, brand, _model(model, backend), options or ScoringOptions(),
                                       show_progress_bar))


def rank_accounts(
    accounts: Iterable[Account | Mapping[str, Any]] | pd.DataFrame,
    brand_topic: str | BrandTopic,
    *,
    top: int = 40,
    model: str | RelevanceModel = "production",
    promo_penalty: float = 1.0,
    options: ScoringOptions | None = None,
) -> pd.DataFrame:
    """A shortlist of at most ``top`` accounts, best first, ranked by
    ``score x (1 - promo_penalty x promo_ratio)`` (a program needs 20 to 40 micro-influencers)."""
    if not isinstance(top, int) or top < 1:
        raise ValueError(f"top: must be a positive integer, got {top!r}")
    if not 0 <= promo_penalty <= 1:
        raise ValueError(f"promo_penalty: must be in [0, 1], got {promo_penalty}")
    df = predict_relevance_batch(accounts, brand_topic, model=model, options=options)
    if df.empty:
        return df.assign(rank_score=[], rank=[])
    df["rank_score"] = df["score"] * (1 - promo_penalty * df["promo_ratio"])
    df = df.sort_values(["rank_score", "score"], ascending=False, kind="stable").head(top).reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df
