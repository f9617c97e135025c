"""The one owner of inference: accounts and a brand topic in, one :class:`~brandfit.scoring.Relevance` each out.

normalise -> embed each distinct text once while the cues are found -> heads -> brand relevance -> per-account
aggregation. :func:`brandfit.predict_relevance`, :func:`brandfit.predict_relevance_batch`,
:func:`brandfit.rank_accounts`, ``brandfit tag`` (both engines) and ``brandfit serve`` are thin callers of
:meth:`Pipeline.score`, so one account gets the same numbers whichever way it is scored.

>>> from brandfit.pipeline import Pipeline
>>> from brandfit import Account, load_model
>>> pipe = Pipeline(load_model())
>>> [r.primary_topic for r in pipe.score([Account(bio="trail runner", posts=("hill repeats in the fog",))],
...                                       "sports_outdoor")]
['sports_outdoor']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from brandfit._blas import single_threaded_blas
from brandfit.account import Account, BrandTopic
from brandfit.errors import InputError, InputTypeError
from brandfit.model import RelevanceModel, TextAnalysis
from brandfit.scoring import (
    Relevance,
    ScoringOptions,
    brand_text_relevance,
    score_account,
)

if TYPE_CHECKING:
    from brandfit.embedding.cache import EmbeddingCache

__all__ = ["Pipeline"]


class Pipeline:
    """A loaded model plus scoring options: score any number of accounts against a brand topic.

    Thread-safe (it holds no per-call state). Build one per model; :meth:`score` embeds all the accounts' texts
    in one pass, so larger batches are faster per account.
    """

    def __init__(self, model: RelevanceModel, *, options: ScoringOptions | None = None,
                 cache: EmbeddingCache | None = None) -> None:
        if not isinstance(model, RelevanceModel):
            raise InputTypeError(f"model: expected a RelevanceModel, got {type(model).__name__}")
        if options is not None and not isinstance(options, ScoringOptions):
            raise InputTypeError(f"options: expected ScoringOptions, got {type(options).__name__}")
        if cache is not None and not _is_cache(cache):
            raise InputTypeError(f"cache: expected an EmbeddingCache, got {type(cache).__name__}")
        self.model = model
        self.options = options or ScoringOptions()
        self.cache = cache
        """Where embeddings are looked up before they are computed (None: always computed)."""

    def __repr__(self) -> str:
        return f"Pipeline({self.model!r})" if self.cache is None else f"Pipeline({self.model!r}, cache={self.cache!r})"

    @property
    def model_version(self) -> str:
        return self.model.version

    def brand_relevance(self, analysis: TextAnalysis, brand: BrandTopic,
                        texts: Sequence[str] | None = None) -> np.ndarray:
        """Each analysed text's calibrated relevance to a brand's own topic in words (:mod:`brandfit.brand`: cosine
        to the brand's description, and to its example posts' centroid when it gives some or, from
        ``relevance@70`` on, when it gives none, to the centroid of the model's stored texts nearest its words
        (``brand.expand``; a brand's own examples replace them), contrasted with the other built-in topics, plus
        the n-gram match of ``texts`` (the analysed texts, required by models from ``relevance@12`` on) with the
        words and examples; models trained before it carry no ``brand`` config and
        keep plain cosine-to-the-words)."""
        m = self.model
        if m.config.get("brand") is None:
            brand_emb = m.embed(list(brand.texts()), show_progress_bar=False, cache=self.cache)
            return brand_text_relevance(analysis.embeddings, brand_emb, *m.brand_calibration)
        from brandfit.brand import brand_relevance

        return brand_relevance(**self.brand_arguments(analysis, brand, texts), calibration=m.brand_calibration,
                               **m.brand_settings)

    def brand_arguments(self, analysis: TextAnalysis, brand: BrandTopic,
                        texts: Sequence[str] | None = None, *, expand: int | None = None) -> dict:
        """What :func:`brandfit.brand.brand_score` reads for these analysed texts and this brand, as keyword
        arguments, before the model's weights (:attr:`~brandfit.model.RelevanceModel.brand_settings`) and
        calibration: for a model trained from ``relevance@9`` on (one with a ``brand`` config). A brand with no
        example posts gets the model's stored texts nearest its words as ``example_emb``
        (:attr:`~brandfit.model.RelevanceModel.brand_expand` of them; ``expand`` overrides that number, 0 = none)."""
        m = self.model
        if m.config.get("brand") is None:
            raise InputError(f"{m.version} scores a brand by plain cosine to its words (a model before relevance@9): "
                             "it has no brand score arguments")
        brand_texts = list(brand.texts())
        # the words framed like the model's topic descriptions (relevance@9 on); example posts as they are
        words = m.embed_phrases([brand.description], cache=self.cache)
        examples = (m.embed(list(brand.examples), show_progress_bar=False, cache=self.cache) if brand.examples
                    else np.zeros((0, words.shape[1]), np.float32))
        brand_emb = np.vstack([words, examples])
        from brandfit.brand import brand_topic_proba, check_expand, other_topic_descriptions, stand_in_examples

        if expand is None:
            expand = m.brand_expand
        else:
            try:
                check_expand(expand)
            except ValueError as e:
                raise InputError(str(e).replace("brand.expand", "expand", 1)) from None
            expand = int(expand)
        # a brand with no example posts borrows the stored texts nearest its words (relevance@70 on): embeddings only,
        # so their n-grams do not count; its vertical still comes from its words alone
        stand_in = (stand_in_examples(words, m.neighbours.unit_rows, expand)
                    if expand and not brand.examples and m.neighbours is not None else None)

        # the brand's vertical from the heads alone: its words are not a post, and our posts' vote would move a
        # phrase such as "science and technology" to another vertical (docs/quality.md, "Our texts as neighbours")
        q = brand_topic_proba(m.apply_heads(brand_emb, [[] for _ in range(len(brand_emb))], brand_texts,
                                            vote=False).topic_proba)
        neg = other_topic_descriptions(m.descriptions.embeddings, m.descriptions.topic_index, q)
        if m.brand_lexical and texts is None:
            raise InputError("texts: this model matches a brand's words as n-grams, so brand_relevance needs the "
                             "analysed texts as well")
        if texts is not None and len(texts) != len(analysis.embeddings):
            raise InputError(f"texts: {len(texts)} texts for {len(analysis.embeddings)} analysed rows")
        # the words' n-grams, and the examples' (their mean can raise the words' match, never lower it)
        lex = m.lexical_similarity(texts, brand_texts) if m.brand_lexical and texts is not None else None
        # the description is the brand's words; its example posts count through their centroid
        return {"text_emb": analysis.embeddings, "brand_emb": brand_emb[:1], "text_topic_proba": analysis.topic_proba,
                "brand_topic": q, "negative_emb": neg,
                "example_emb": brand_emb[1:] if stand_in is None else stand_in,
                "lexical_sim": None if lex is None else lex[:, 0],
                "example_lexical_sim": None if lex is None else lex[:, 1:]}

    def score(self, accounts: Sequence[Account], brand: str | BrandTopic, *,
              show_progress_bar: bool | None = None) -> list[Relevance]:
        """One :class:`Relevance` per account, in input order. ``brand`` is a topic id or a :class:`BrandTopic`
        (already checked: see :func:`brandfit.account.parse_brand_topic`)."""
        with single_threaded_blas():  # only small products here; OpenBLAS threads would slow the embedder
            return self._score(accounts, brand, show_progress_bar=show_progress_bar)

    def _score(self, accounts: Sequence[Account], brand: str | BrandTopic, *,
               show_progress_bar: bool | None) -> list[Relevance]:
        per_account = [a.scored_texts() for a in accounts]
        flat = [t for texts in per_account for t in texts]
        analysis = self.model.analyze(flat, show_progress_bar=show_progress_bar, cache=self.cache) if flat else None
        brand_rel = None
        if analysis is not None and isinstance(brand, BrandTopic):
            brand_rel = self.brand_relevance(analysis, brand, flat)
        out: list[Relevance] = []
        start = 0
        for acc, texts in zip(accounts, per_account):
            end = start + len(texts)
            sub = _rows(analysis, start, end) if analysis is not None and end > start else None
            out.append(score_account(
                acc, brand, sub, brand_relevance=None if brand_rel is None else brand_rel[start:end],
                promo_threshold=self.model.promo_threshold, model_version=self.model.version, options=self.options,
            ))
            start = end
        return out


def _rows(a: TextAnalysis, start: int, end: int) -> TextAnalysis:
    return TextAnalysis(topic_proba=a.topic_proba[start:end], promo_proba=a.promo_proba[start:end],
                        cues=a.cues[start:end], embeddings=a.embeddings[start:end],
                        names=None if a.names is None else a.names[start:end])


def _is_cache(obj: object) -> bool:
    from brandfit.embedding.cache import EmbeddingCache  # only when a cache is given: sqlite3 stays unimported

    return isinstance(obj, EmbeddingCache)
