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

from brandfit.account import Account, BrandTopic, parse_brand_topic
from brandfit.errors import InputError, InputTypeError
from brandfit.model import RelevanceModel, load_model
from brandfit.pipeline import Pipeline
from brandfit.scoring import Relevance, ScoringOptions, rank_score
from brandfit.settings import DEFAULT_MODEL_REF

if TYPE_CHECKING:  # pandas is imported where a DataFrame is made: predict_relevance never needs it
    from brandfit.embedding.cache import EmbeddingCache  # noqa: F401 - in CacheArg
    import os  # noqa: F401 - in CacheArg

    import pandas as pd

CacheArg = "bool | str | os.PathLike[str] | EmbeddingCache | None"

__all__ = ["predict_relevance", "predict_relevance_batch", "rank_accounts", "relevance_frame", "pipeline_for"]


_cues_warming = False


def _warm_cues() -> None:
    """Load emoji's name table and build the cue matcher (importing spaCy, ~0.6 s) on the background thread, once
    per process, while this thread loads the model and the encoder (onnxruntime releases the GIL): a first
    prediction then waits for the longer of the two, not both."""
    global _cues_warming
    if not _cues_warming:
        _cues_warming = True
        from brandfit._background import in_background
        from brandfit.cues import find_cues
        from brandfit.text import normalize

        in_background(normalize, "\U0001f525")  # the first emoji imports the emoji package (~60 ms)
        in_background(find_cues, [])


def pipeline_for(model: str | RelevanceModel = DEFAULT_MODEL_REF, *, backend: str | None = None,
                 options: ScoringOptions | None = None, cache: CacheArg = None) -> Pipeline:
    """The :class:`~brandfit.pipeline.Pipeline` for a registry ref (loaded, verified and cached by
    :func:`brandfit.load_model`) or an already loaded model.

    ``cache``: the persistent embedding cache (:mod:`brandfit.embedding.cache`). The Python API uses one only when
    asked: ``cache=True`` (``$BRANDFIT_CACHE_DB``, else ``${XDG_CACHE_HOME:-~/.cache}/brandfit/embeddings.sqlite``),
    a path, an :class:`~brandfit.embedding.cache.EmbeddingCache`, or ``None`` (the default) with
    ``$BRANDFIT_CACHE_DB`` set; ``False`` never. Scores are the same with or without it."""
    _warm_cues()
    if isinstance(model, RelevanceModel):
        if backend is not None and backend != model.backend:
            model = model.with_backend(backend)
    elif isinstance(model, str):
        model = load_model(model, backend=backend)
    else:
        raise InputTypeError(f"model: expected a registry ref or a RelevanceModel, got {type(model).__name__}")
    return Pipeline(model, options=options, cache=_cache(cache))


def _cache(cache: Any) -> Any:
    """The cache to use; the SQLite module is imported only when there is one (keeps the first prediction fast)."""
    if cache is None or cache is False:
        from brandfit.settings import resolve_cache_db

        if resolve_cache_db(cache, default_on=False) is None:
            return None
    from brandfit.embedding.cache import resolve_cache

    return resolve_cache(cache, default_on=False)


def _frame_records(frame: Any) -> list[dict[str, Any]]:
    """A DataFrame's rows as plain dicts, pandas' NaN for a missing value turned back into None."""
    import pandas as pd

    records = frame.to_dict("records")
    for r in records:
        for k, v in list(r.items()):
            if isinstance(v, np.ndarray):
                r[k] = v.tolist()
            elif not isinstance(v, (list, tuple, dict)) and pd.isna(v):
                r[k] = None
    return records


def _accounts(accounts: Iterable[Account | Mapping[str, Any]] | pd.DataFrame) -> list[Account]:
    pd = sys.modules.get("pandas")  # not imported yet: then `accounts` cannot be a DataFrame
    if pd is not None and isinstance(accounts, pd.DataFrame):
        accounts = _frame_records(accounts)
    if isinstance(accounts, (Mapping, Account, str, bytes)):
        raise InputTypeError("accounts: expected a list of accounts or a DataFrame, got a single account")
    try:
        items = list(accounts)
    except TypeError:
        raise InputTypeError(f"accounts: expected a list of accounts or a DataFrame, got "
                             f"{type(accounts).__name__}") from None
    return [Account.from_input(a, where=f"accounts[{i}]") for i, a in enumerate(items)]


def predict_relevance(
    account: Account | Mapping[str, Any],
    brand_topic: str | BrandTopic,
    *,
    model: str | RelevanceModel = DEFAULT_MODEL_REF,
    backend: str | None = None,
    options: ScoringOptions | None = None,
    cache: CacheArg = None,
) -> Relevance:
    """How closely one account matches ``brand_topic`` (a topic id or a :class:`BrandTopic`).

    ``account`` is a mapping (``bio``, ``posts`` as strings or ``{"text", "likes", "comments",
    "posted_at"}``, optional ``account_id``, ``handle``, ``followers``) or an :class:`Account`; any other key is
    an error (a typo such as ``post`` would otherwise drop the posts). Bad input raises ``ValueError``/``TypeError``
    naming the field. ``cache``: see :func:`pipeline_for`.
    """
    brand = parse_brand_topic(brand_topic)
    acc = Account.from_input(account)
    return pipeline_for(model, backend=backend, options=options, cache=cache).score([acc], brand)[0]


def relevance_frame(results: Sequence[Relevance]) -> pd.DataFrame:
    """One row per account with every :class:`Relevance` field (evidence and dicts kept as objects); no accounts,
    no rows, but the same columns."""
    import dataclasses

    import pandas as pd

    return pd.DataFrame([r.to_dict() for r in results], columns=[f.name for f in dataclasses.fields(Relevance)])


def predict_relevance_batch(
    accounts: Iterable[Account | Mapping[str, Any]] | pd.DataFrame,
    brand_topic: str | BrandTopic,
    *,
    model: str | RelevanceModel = DEFAULT_MODEL_REF,
    backend: str | None = None,
    options: ScoringOptions | None = None,
    show_progress_bar: bool | None = None,
    cache: CacheArg = None,
) -> pd.DataFrame:
    """Score many accounts, embedding all their texts in one pass; one row per account, input order.
    ``cache``: see :func:`pipeline_for`."""
    brand = parse_brand_topic(brand_topic)
    accs = _accounts(accounts)
    pipe = pipeline_for(model, backend=backend, options=options, cache=cache)
    return relevance_frame(pipe.score(accs, brand, show_progress_bar=show_progress_bar))


def rank_accounts(
    accounts: Iterable[Account | Mapping[str, Any]] | pd.DataFrame,
    brand_topic: str | BrandTopic,
    *,
    top: int = 40,
    model: str | RelevanceModel = DEFAULT_MODEL_REF,
    backend: str | None = None,
    promo_penalty: float = 1.0,
    options: ScoringOptions | None = None,
    cache: CacheArg = None,
) -> pd.DataFrame:
    """A shortlist of at most ``top`` accounts, best first, ranked by
    ``score x (1 - promo_penalty x promo_ratio)`` (a program needs 20 to 40 micro-influencers).
    ``cache``: see :func:`pipeline_for`."""
    ranked = shortlist(accounts, brand_topic, top=top, model=model, backend=backend, promo_penalty=promo_penalty,
                       options=options, cache=cache)
    df = relevance_frame([r for _, r, _ in ranked])
    df["rank_score"] = [key for _, _, key in ranked]
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df


def shortlist(
    accounts: Iterable[Account | Mapping[str, Any]] | pd.DataFrame,
    brand_topic: str | BrandTopic,
    *,
    top: int = 40,
    model: str | RelevanceModel = DEFAULT_MODEL_REF,
    backend: str | None = None,
    promo_penalty: float = 1.0,
    options: ScoringOptions | None = None,
    cache: CacheArg = None,
) -> list[tuple[int, Relevance, float]]:
    """:func:`rank_accounts`' shortlist before it becomes a DataFrame: ``(input index, Relevance, rank_score)``,
    best first (by ``rank_score``, then ``score``; ties keep input order). ``brandfit rank`` writes it with the
    batch job's writer."""
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InputError(f"top: must be a positive integer, got {top!r}")
    if isinstance(promo_penalty, bool) or not isinstance(promo_penalty, (int, float)) or not 0 <= promo_penalty <= 1:
        raise InputError(f"promo_penalty: must be a number in [0, 1], got {promo_penalty!r}")
    brand = parse_brand_topic(brand_topic)
    results = pipeline_for(model, backend=backend, options=options, cache=cache).score(_accounts(accounts), brand)
    keyed = [(i, r, rank_score(r.score, r.promo_ratio, promo_penalty)) for i, r in enumerate(results)]
    keyed.sort(key=lambda e: (e[2], e[1].score), reverse=True)  # stable: reverse=True keeps ties in input order
    return keyed[:top]
