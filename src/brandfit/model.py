"""The relevance model: topic probabilities, advertorial-tone probability and cues for any text.

A model is two linear heads over the sentence embedding (see :mod:`brandfit.features`), optionally mixed with
two over hashed word and character n-grams (:mod:`brandfit.lexical`), stored as plain arrays and JSON in a
registry version folder. Load one with :func:`brandfit.load_model`.

>>> import brandfit
>>> model = brandfit.load_model()            # the registry's "production" version
>>> model.topic_proba(["new trail shoes for the ultra"]).idxmax(axis=1).tolist()
['sports_outdoor']
"""

from __future__ import annotations

import functools
import io
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from brandfit._atomic import atomic_write_bytes
from brandfit._background import in_background
from brandfit._blas import single_threaded_blas
from brandfit.cues import CUES, LEGACY_PROMO_CUES, QUALIFIERS, find_cues, has_disclosure
from brandfit.embedding import DIM, MODEL_ID, Embedder, get_embedder
from brandfit.errors import InputError, InputTypeError, IntegrityError, MissingFileError
from brandfit.features import (
    DescriptionIndex,
    geometric_mix,
    promo_features,
    topic_features,
    topic_prior,
    zero_shot_proba,
)
from brandfit.heads import LogisticHead, SoftmaxHead, expit, softmax
from brandfit.lexical import LexicalHead, mix_calibrated
from brandfit.model_format import FORMAT_VERSION, parse_heads, parse_meta
from brandfit.names_prior import FIRST_VERSION as NAMES_FIRST_VERSION
from brandfit.names_prior import RULES as NAMES_PRIOR_RULES
from brandfit.names_prior import MAX_NAMES_PRIOR, add_prior, check_skip, name_matches, presence
from brandfit.neighbours import NeighbourIndex, check_settings
from brandfit.settings import DEFAULT_MODEL_REF, registry_root, resolve_backend
from brandfit.text import KnownName, normalize
from brandfit.topics import TOPICS

if TYPE_CHECKING:  # imported in topic_proba: a prediction alone does not load pandas (~0.5 s)
    import pandas as pd

    from brandfit.embedding.cache import EmbeddingCache

logger = logging.getLogger(__name__)

__all__ = ["RelevanceModel", "TextAnalysis", "load_model", "default_registry_root", "FORMAT_VERSION"]

MODEL_FILE = "model.json"
HEADS_FILE = "heads.npz"


@dataclass(frozen=True)
class TextAnalysis:
    """Everything the model says about a batch of texts, computed in one embedding pass."""

    topic_proba: np.ndarray  # (n, 6), columns in TOPICS order
    promo_proba: np.ndarray  # (n,)
    cues: list[list[str]]
    embeddings: np.ndarray  # (n, dim)
    # the known names each text names that the names prior counted (brandfit.names_prior); None when the model has
    # no names prior, the texts were not given or the heads were read alone (apply_heads(..., vote=False))
    names: list[list[KnownName]] | None = None

    @property
    def disclosed(self) -> list[bool]:
        return [has_disclosure(c) for c in self.cues]


def _check_cues(cues: Sequence[Sequence[str]], n: int) -> list[list[str]]:
    """``cues`` given to :meth:`RelevanceModel.analyze`: one list of known cue names per text."""
    if isinstance(cues, str) or len(cues) != n:
        raise InputError(f"cues: {1 if isinstance(cues, str) else len(cues)} rows for {n} texts")
    out = []
    for i, names in enumerate(cues):
        if isinstance(names, str) or any(name not in CUES for name in names):
            raise InputError(f"cues[{i}]: expected a list of cue names from brandfit.cues.CUES, got {names!r}")
        out.append(list(names))
    return out


def _lexical_weights(config: Mapping[str, Any]) -> tuple[float, float]:
    """(topic, promo) weights of the lexical head in a model's config ((0, 0) for models without one)."""
    section = config.get("lexical")
    if not isinstance(section, dict):
        return 0.0, 0.0
    return float(section.get("topic_weight", 0.0)), float(section.get("promo_weight", 0.0))


def _promo_boost(config: Mapping[str, Any]) -> float:
    """``lexical.promo_boost / lexical.promo_weight`` of a model's config, checked (0 when there is no boost)."""
    boost = _config_number(config, "lexical", "promo_boost", 10.0)
    weight = _lexical_weights(config)[1]
    return float(boost) / weight if boost > 0 and weight > 0 else 0.0  # no lexical promo share: no boost


def _config_number(config: Mapping[str, Any], section: str, key: str, high: float) -> float:
    """``config[section][key]``, checked to be a number in ``[0, high]`` (0 when absent: models before it)."""
    part = config.get(section)
    value = part.get(key, 0.0) if isinstance(part, dict) else 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= high:
        raise InputError(f"{section}.{key}: expected a number in [0, {high:g}], got {value!r}")
    return float(value)


def _brand_lexical(config: Mapping[str, Any]) -> float:
    """``brand.lexical`` of a model's config, checked (0 when absent: models before it)."""
    return _config_number(config, "brand", "lexical", 10.0)


def _brand_expand(config: Mapping[str, Any]) -> int:
    """``brand.expand`` of a model's config, checked (0 when absent: models before ``relevance@70``)."""
    from brandfit.brand import check_expand

    brand = config.get("brand")
    value = brand.get("expand", 0) if isinstance(brand, Mapping) else 0
    try:
        check_expand(value)
    except ValueError as e:
        raise InputError(str(e)) from None
    return int(value)


def _disclosure_floor(config: Mapping[str, Any]) -> float:
    """``promo.disclosure_floor`` of a model's config, checked (0 when absent: models before ``relevance@20``)."""
    from brandfit.disclosure import check_floor

    try:
        return check_floor(_config_number(config, "promo", "disclosure_floor", 1.0))
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _qualifier_ceiling(config: Mapping[str, Any]) -> float:
    """``promo.qualifier_ceiling`` of a model's config, checked (0 when absent: models before ``relevance@54``)."""
    from brandfit.cue_qualifiers import check_ceiling

    try:
        return check_ceiling(_config_number(config, "promo", "qualifier_ceiling", 1.0))
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _promo_cues(config: Mapping[str, Any], n_coef: int) -> tuple[str, ...]:
    """``promo.cues`` of a model's config: the cue columns its promo head reads, in order, checked against the
    head's width (:data:`brandfit.cues.LEGACY_PROMO_CUES` when absent: models before ``relevance@28``). A cue name
    this brandfit does not know means a newer model: every new cue name needs a new model format."""
    part = config.get("promo")
    names = part.get("cues", LEGACY_PROMO_CUES) if isinstance(part, dict) else LEGACY_PROMO_CUES
    if isinstance(names, str) or not isinstance(names, (list, tuple)) or len(set(names)) != len(names) \
            or not all(isinstance(n, str) and n in CUES for n in names):
        raise InputError(f"promo.cues: expected distinct names from brandfit.cues.CUES, got {names!r}")
    if n_coef != DIM + len(names) + 1:
        raise InputError(f"promo.cues: the promo head has {n_coef} weights, not {DIM} + {len(names)} cues + 1 "
                         "for the count")
    return tuple(names)


def _check_caption_layer(meta: Mapping[str, Any], present: bool, where: str, *, section: str = "promo",
                         since: int = 9) -> None:
    """A caption layer (promo: format 9, topic: 10) and the config's ``<section>.caption_weight`` must agree, and a
    file that claims an older format must not hold one (an older brandfit would ignore it and score differently)."""
    part = meta["config"].get(section)
    weight = part.get("caption_weight", 0.0) if isinstance(part, Mapping) else 0.0
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0.0 <= weight <= 100.0:
        raise IntegrityError(f"{where}/{MODEL_FILE}: {section}.caption_weight: expected a number in [0, 100], got "
                             f"{weight!r}")
    if present and int(meta.get("format_version", 1)) < since:
        raise IntegrityError(f"{where}/{HEADS_FILE}: holds a {section} caption layer, but {MODEL_FILE} claims model "
                             f"format {meta.get('format_version')} (the layer needs {since})")
    if present != (weight > 0):
        raise IntegrityError(f"{where}: the config gives {section}.caption_weight {weight:g}, but the heads "
                             + (f"hold a {section} caption layer" if present else f"hold no {section} caption layer"))
    topic_w, promo_w = _lexical_weights(meta["config"])
    if present and not (topic_w if section == "topic" else promo_w) > 0:  # training never fits one without it
        raise IntegrityError(f"{where}: a {section} caption layer, but the config gives lexical.{section}_weight 0")


def _lexical_prior(config: Mapping[str, Any]) -> float:
    """``topic.lexical_prior`` of a model's config, checked (0 when absent: models before it)."""
    return _config_number(config, "topic", "lexical_prior", 20.0)


def _names_prior(config: Mapping[str, Any]) -> float:
    """``topic.names_prior`` of a model's config, checked (0 when absent: models before ``relevance@81``)."""
    return _config_number(config, "topic", "names_prior", MAX_NAMES_PRIOR)


def _names_prior_skip(config: Mapping[str, Any]) -> frozenset[str]:
    """``topic.names_prior_skip`` of a model's config, checked (none when absent)."""
    topic = config.get("topic")
    value = topic.get("names_prior_skip", []) if isinstance(topic, dict) else []
    try:
        return frozenset(check_skip(value))
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _neighbour_settings(config: Mapping[str, Any]) -> tuple[float, int, float]:
    """``topic.neighbours`` (share), ``neighbours_k``, ``neighbours_temperature`` of a stored config; a config without
    the keys (models before ``relevance@44``) has no neighbour vote."""
    topic = config.get("topic", {})
    if not isinstance(topic, Mapping) or "neighbours" not in topic:
        return 0.0, 1, 1.0
    share, k, temperature = (topic.get("neighbours"), topic.get("neighbours_k", 100),
                             topic.get("neighbours_temperature", 0.02))
    try:
        check_settings(share, k, temperature)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return float(share), int(k), float(temperature)


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise InputTypeError("texts: expected a sequence of strings, got a single str; wrap it in a list")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise InputTypeError(f"texts[{i}]: expected str, got {type(t).__name__}")
    return out


class RelevanceModel:
    """Topic relevance and advertorial tone for bios and posts.

    Use :func:`brandfit.load_model` rather than the constructor. Thread-safe for concurrent callers.
    """

    def __init__(
        self,
        *,
        topic_head: SoftmaxHead,
        promo_head: LogisticHead,
        descriptions: DescriptionIndex,
        promo_threshold: float,
        config: dict[str, Any],
        brand_calibration: tuple[float, float] = (10.0, -5.0),
        version: str = "unpublished",
        backend: str | None = None,
        embedder: Embedder | None = None,
        validated_backends: tuple[str, ...] | None = None,
        lexical: LexicalHead | None = None,
        mix_temperature: float = 1.0,
        neighbours: NeighbourIndex | None = None,
    ) -> None:
        if not 0.0 <= promo_threshold <= 1.0:
            raise InputError(f"promo_threshold: must be in [0, 1], got {promo_threshold}")
        self.topic_head = topic_head
        self.promo_head = promo_head
        self.descriptions = descriptions
        self.promo_threshold = float(promo_threshold)
        self.brand_calibration = (float(brand_calibration[0]), float(brand_calibration[1]))
        self.config = dict(config)
        self.version = version
        self.backend = resolve_backend(backend)
        self.validated_backends = tuple(validated_backends) if validated_backends else (self.backend,)
        """Backends whose embeddings this model's threshold and calibration were checked with at training time."""
        self.lexical = lexical
        """The lexical heads (None: embedding heads alone): topic probabilities mixed in with weight
        ``config["lexical"]["topic_weight"]``; its promo layer comes pre-scaled (the promo logit is the sum)."""
        self.mix_temperature = float(mix_temperature)
        """Temperature applied to the mixed topic probabilities (1.0 without a lexical head)."""
        if max(_lexical_weights(self.config)) > 0 and lexical is None:
            raise InputError("lexical: the config gives the lexical head a weight but no head was given")
        self.lexical_prior = _lexical_prior(self.config) if lexical is not None else 0.0
        """Weight of the n-gram cosine between a text and each topic's written descriptions, added to the log
        topic probabilities (``topic.lexical_prior``; 0 for models before ``relevance@13`` or without a lexical
        head)."""
        self._phrase_features: tuple[list[str], tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        if self.lexical_prior > 0 and lexical is not None:  # the descriptions never change: featurised once
            if descriptions.phrases is None:
                raise InputError("topic.lexical_prior: the config gives it a weight, but the descriptions carry no "
                                 "phrases")
            phrases = self._normalize(list(descriptions.phrases))
            self._phrase_features = (phrases, lexical.features(phrases))
        self.promo_boost = _promo_boost(self.config) if lexical is not None else 0.0
        """Factor on ``max(lexical promo logit, 0)`` added to the promo logit: the stored lexical layer is
        pre-scaled by ``promo_weight``, so this is ``lexical.promo_boost / lexical.promo_weight`` (0 before it)."""
        self.promo_cue_columns = _promo_cues(self.config, promo_head.coef.shape[0])
        """The cue columns the promo head reads (``promo.cues``), in order; cues outside it are still reported."""
        self.disclosure_floor = _disclosure_floor(self.config)
        """Lowest promo probability of a text that carries an explicit paid disclosure (``#ad``, "sponsored by",
        :func:`brandfit.disclosure.paid_disclosure`); 0 for models before ``relevance@20``."""
        self.qualifier_ceiling = _qualifier_ceiling(self.config)
        """Highest promo probability of a text whose cues a qualifier explains away
        (:func:`brandfit.cue_qualifiers.held_under_ceiling`); 0 (none) for models before ``relevance@54``."""
        self.neighbours = neighbours
        """Our labelled training texts as neighbours (:mod:`brandfit.neighbours`; None before ``relevance@44``)."""
        self.neighbour_share, self.neighbour_k, self.neighbour_temperature = _neighbour_settings(self.config)
        if (self.neighbour_share > 0) != (neighbours is not None):
            raise InputError("topic.neighbours: the config gives the neighbour vote a share "
                             f"({self.neighbour_share:g}) but no index was given" if neighbours is None else
                             "topic.neighbours: an index was given but the config gives it no share")
        self.names_prior = _names_prior(self.config)
        """Added to the log probability of every vertical a text names (:mod:`brandfit.names_prior`), last; 0 for
        models before ``relevance@81``."""
        if self.names_prior > 0 and self.normalization_version < NAMES_FIRST_VERSION:
            raise InputError(f"topic.names_prior: text normalisation version {self.normalization_version} knows no "
                             f"names (version {NAMES_FIRST_VERSION} on does)")
        if self.names_prior > 0:  # the rules it was trained with (parse_meta checks a stored model's); this code's
            self.config.setdefault("names_prior_rules", NAMES_PRIOR_RULES)
        self.names_prior_skip = _names_prior_skip(self.config)
        """Aliases the names prior does not count (``topic.names_prior_skip``: everyday phrases)."""
        self._embedder = embedder
        self._lock = threading.Lock()

    topics: tuple[str, ...] = TOPICS

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = get_embedder(self.backend)
        return self._embedder

    @property
    def normalization_version(self) -> int:
        """The :data:`brandfit.text.NORMALIZATION_VERSION` the model was trained with (1 before emoji became words)."""
        return int(self.config.get("normalization_version", 1))

    @property
    def lexical_weight(self) -> float:
        """Share of the lexical head in the topic probabilities (0 for models without one)."""
        return _lexical_weights(self.config)[0] if self.lexical is not None else 0.0

    @property
    def zero_shot_share(self) -> float:
        """Geometric share of the zero-shot topic probabilities in the topic mix (0 for models before it)."""
        topic = self.config.get("topic")
        return float(topic.get("zero_shot_share", 0.0)) if isinstance(topic, dict) else 0.0

    @property
    def phrase_templates(self) -> tuple[str, ...]:
        """The framings its topic descriptions were embedded with, and a brand's own words are
        (:data:`brandfit.topics.PHRASE_TEMPLATES`); ``("{}",)``, the phrase as written, for models before them."""
        topic = self.config.get("topic")
        templates = topic.get("description_templates") if isinstance(topic, dict) else None
        return tuple(templates) if templates else ("{}",)

    @property
    def brand_lexical(self) -> float:
        """Weight of the n-gram cosine between a text and a brand's words in its brand score (``brand.lexical``;
        0 for models before ``relevance@12`` and for models without a lexical head)."""
        return _brand_lexical(self.config) if self.lexical is not None else 0.0

    @property
    def brand_settings(self) -> dict[str, Any]:
        """The weights of its brand score (``vertical``, ``contrast``, ... of :func:`brandfit.brand.brand_score`),
        from its ``brand`` config, with ``lexical`` as :attr:`brand_lexical`; empty for models before
        ``relevance@9``, which score a brand by plain cosine."""
        cfg = self.config.get("brand")
        if cfg is None:
            return {}
        from brandfit.brand import BRAND_SCORE_WEIGHTS

        # only the weights brand_score takes: lexical as checked here, expand read by the pipeline (brand_expand)
        return {**{k: v for k, v in cfg.items() if k in BRAND_SCORE_WEIGHTS and k != "lexical"},
                "lexical": self.brand_lexical}

    @property
    def brand_expand(self) -> int:
        """How many of its stored texts (:attr:`neighbours`) a brand with no example posts borrows as examples
        (``brand.expand``, :data:`brandfit.brand.BRAND_EXPAND`); 0 for models before ``relevance@70`` and for
        models with no neighbour index."""
        return _brand_expand(self.config) if self.neighbours is not None else 0

    def lexical_similarity(self, texts: Sequence[str], phrases: Sequence[str]) -> np.ndarray:
        """``(len(texts), len(phrases))`` cosine of their hashed word and character n-grams, weighted by the
        lexical head's idf, both normalised the way the model reads text (:func:`brandfit.lexical.similarity`).
        Zeros for a model without a lexical head."""
        from brandfit.lexical import similarity

        texts, phrases = _check_texts(texts), _check_texts(phrases)
        if self.lexical is None:
            return np.zeros((len(texts), len(phrases)))
        return similarity(self._normalize(texts), self._normalize(phrases), idf=self.lexical.idf)

    def embed_phrases(self, phrases: Sequence[str], *, cache: EmbeddingCache | None = None) -> np.ndarray:
        """Each phrase (a brand's own words) embedded the way the model's topic descriptions were: the normalised
        mean of its :attr:`phrase_templates` framings, each normalised and embedded like any text."""
        from brandfit.features import embed_phrases

        return embed_phrases(lambda texts: self.embed(texts, show_progress_bar=False, cache=cache), phrases,
                             self.phrase_templates)

    @property
    def embedder_loaded(self) -> bool:
        """Whether the encoder is in memory already (given to the constructor or used once)."""
        return self._embedder is not None

    def __repr__(self) -> str:
        return f"RelevanceModel(version={self.version!r}, backend={self.backend!r})"

    def with_backend(self, backend: str) -> "RelevanceModel":
        """The same heads, threshold and calibration, embedding with ``backend`` (``"torch"`` or ``"onnx"``)."""
        return RelevanceModel(
            topic_head=self.topic_head, promo_head=self.promo_head, descriptions=self.descriptions,
            promo_threshold=self.promo_threshold, config=self.config, brand_calibration=self.brand_calibration,
            version=self.version, backend=resolve_backend(backend), validated_backends=self.validated_backends,
            lexical=self.lexical, mix_temperature=self.mix_temperature, neighbours=self.neighbours,
        )

    # --- prediction -------------------------------------------------------------------------
    def embed(self, texts: Sequence[str], *, show_progress_bar: bool | None = None,
              cache: EmbeddingCache | None = None) -> np.ndarray:
        """Normalise and embed ``texts`` (float32, L2-normalised rows), each distinct normalised text once;
        with ``cache`` (:class:`~brandfit.embedding.cache.EmbeddingCache`), only those it does not hold yet."""
        return self._embed_normalized(self._normalize(_check_texts(texts)), show_progress_bar=show_progress_bar,
                                      cache=cache)

    def _normalize(self, texts: list[str]) -> list[str]:
        version = self.normalization_version  # a model sees text normalised the way it was trained
        return [normalize(t, version=version) for t in texts]

    def _embed_normalized(self, norm: list[str], *, show_progress_bar: bool | None,
                          cache: EmbeddingCache | None) -> np.ndarray:
        uniq = list(dict.fromkeys(norm))
        if not uniq:
            return np.zeros((0, self.embedder.dim), np.float32)
        if cache is None:
            vecs = self.embedder.encode(uniq, show_progress_bar=show_progress_bar)
        else:
            vecs = cache.encode(self.embedder, uniq, show_progress_bar=show_progress_bar)
        if len(uniq) == len(norm):
            return vecs
        pos = {t: i for i, t in enumerate(uniq)}
        return vecs[[pos[t] for t in norm]]

    def analyze(self, texts: Sequence[str], *, show_progress_bar: bool | None = None,
                cache: EmbeddingCache | None = None) -> TextAnalysis:
        """Topic and promo probabilities plus cues for ``texts`` in one pass: normalise, embed each distinct text
        once while the cues are found on a background thread, then apply both heads. With ``cache``, embeddings
        and cues already known for a text are read back instead."""
        texts = _check_texts(texts)
        find = find_cues if cache is None else functools.partial(cache.find_cues, find_cues)
        pending = in_background(find, texts) if texts else None
        try:
            norm = self._normalize(texts)
            emb = self._embed_normalized(norm, show_progress_bar=show_progress_bar, cache=cache)
        except BaseException:
            if pending is not None:
                pending.cancel()  # not started yet: drop it; started: it finishes and is ignored
            raise
        cues = pending.result() if pending is not None else []
        return self._heads(emb, cues, norm, self._paid(texts), self._held(texts, cues), raw=texts)

    def apply_heads(self, emb: np.ndarray, cues: Sequence[Sequence[str]],
                    texts: Sequence[str] | None = None, *, vote: bool = True) -> TextAnalysis:
        """The heads' outputs for ``texts`` already embedded (``emb``) with their cues found. ``texts`` (as given to
        :meth:`embed`) are required when the model has a lexical head, a disclosure floor, a qualifier ceiling or
        a names prior. ``vote=False`` gives the heads alone, without the vote of the stored neighbours
        (:attr:`neighbours`) or the names prior: for a brand's words, which are not a post (training fits the brand
        calibration on the descriptions' verticals read that way)."""
        if texts is None:
            if self.lexical is not None:
                raise InputError("texts: this model has a lexical head, so apply_heads needs the texts as well")
            if self.disclosure_floor > 0:
                raise InputError("texts: this model has a disclosure floor, so apply_heads needs the texts as well")
            if self.qualifier_ceiling > 0:
                raise InputError("texts: this model has a qualifier ceiling, so apply_heads needs the texts as well")
            if self.names_prior > 0 and vote:
                raise InputError("texts: this model has a names prior, so apply_heads needs the texts as well")
            return self._heads(emb, cues, None, vote=vote)
        texts = _check_texts(texts)
        if len(texts) != len(emb):
            raise InputError(f"texts: {len(texts)} texts for {len(emb)} embeddings")
        cues = _check_cues(cues, len(emb))
        return self._heads(emb, cues, self._normalize(texts), self._paid(texts), self._held(texts, cues), vote=vote,
                           raw=texts)

    def _paid(self, texts: list[str]) -> np.ndarray | None:
        """Which ``texts`` carry a paid disclosure (None when the model sets no floor: nothing to look for)."""
        if self.disclosure_floor <= 0:
            return None
        from brandfit.disclosure import paid_disclosure

        return paid_disclosure(texts)

    def _held(self, texts: list[str], cues: Sequence[Sequence[str]]) -> np.ndarray | None:
        """Which ``texts`` the qualifier ceiling holds (None when the model has none: nothing to look for)."""
        if self.qualifier_ceiling <= 0:
            return None
        from brandfit.cue_qualifiers import held_under_ceiling

        # a qualifier the head does not read explains nothing away for it: older models are held as they were
        unread = set(QUALIFIERS) - set(self.promo_cue_columns)
        if unread:
            cues = [[n for n in c if n not in unread] for c in cues]
        return np.fromiter((held_under_ceiling(c, t) for c, t in zip(cues, texts)), dtype=bool, count=len(texts))

    def _heads(self, emb: np.ndarray, cues: Sequence[Sequence[str]], norm: list[str] | None,
               paid: np.ndarray | None = None, held: np.ndarray | None = None, *, vote: bool = True,
               raw: list[str] | None = None) -> TextAnalysis:
        cues = _check_cues(cues, len(emb))
        with single_threaded_blas():  # small products: OpenBLAS threads would only take CPU from the embedder
            return self._heads_unlocked(emb, cues, norm, paid, held, vote=vote, raw=raw)

    def _heads_unlocked(self, emb: np.ndarray, cues: list[list[str]], norm: list[str] | None,
                        paid: np.ndarray | None, held: np.ndarray | None = None, *,
                        vote: bool = True, raw: list[str] | None = None) -> TextAnalysis:
        tcfg = self.config["topic"]
        tp = self.topic_head.proba(
            topic_features(emb, self.descriptions, desc_scale=tcfg["desc_scale"]),
            topic_prior(emb, self.descriptions, weight=tcfg.get("prior_weight", 0.0)),
        )
        promo_logit = self.promo_head.logit(promo_features(emb, cues, cue_scale=self.config["promo"]["cue_scale"],
                                                           columns=self.promo_cue_columns))
        feats = None
        if self.lexical is not None and norm is not None and len(norm):
            # the promo head was Platt-calibrated on the sum of both logits (each pre-scaled by its share)
            uniq = list(dict.fromkeys(norm))  # each distinct text featurised once, as it is embedded once
            feats = self.lexical.features(uniq)
            lex_topic, lex_promo = self.lexical.logits(uniq, features=feats)
            if len(uniq) != len(norm):
                pos = {t: i for i, t in enumerate(uniq)}
                rows = [pos[t] for t in norm]
                lex_topic, lex_promo = lex_topic[rows], lex_promo[rows]
            w = self.lexical_weight
            tp = (1.0 - w) * tp + w * softmax(lex_topic, axis=1)
            promo_logit = promo_logit + lex_promo
            if self.promo_boost > 0:  # the n-grams may raise a promo score where they are confident, never lower it
                promo_logit = promo_logit + self.promo_boost * np.maximum(lex_promo, 0.0)
            caption = self.lexical.caption_logits(uniq, features=feats)  # the layer fitted on captions (format 9)
            if caption is not None:
                promo_logit = promo_logit + (caption if len(uniq) == len(norm) else caption[rows])
            mixed = True
        else:
            mixed = False
        share = self.zero_shot_share
        if share > 0 and len(emb):  # the zero-shot view must agree (geometric), then one temperature for the mix
            tp = geometric_mix(tp, zero_shot_proba(emb, self.descriptions), share)
            mixed = True
        if self.lexical_prior > 0 and norm is not None and len(norm):  # before the temperature, as in training
            tp = self._with_lexical_prior(tp, norm, feats)
        if self.lexical is not None and self.lexical.caption_topic_coef is not None and norm is not None and len(norm):
            tp = self._with_topic_captions(tp, norm, feats)  # the topic caption layer (format 10), as in training
            mixed = True
        if mixed:
            tp = mix_calibrated(tp, self.mix_temperature)
        if vote and self.neighbours is not None and len(emb):  # after the temperature (brandfit.neighbours)
            tp = geometric_mix(tp, self.neighbours.proba(emb, k=self.neighbour_k,
                                                         temperature=self.neighbour_temperature), self.neighbour_share)
        names = None
        if vote and self.names_prior > 0 and raw is not None and norm is not None:
            # last: the vertical of each name the text names (not for a brand's words: vote=False)
            names = name_matches(raw, norm, version=self.normalization_version, skip=self.names_prior_skip)
            tp = add_prior(tp, presence(names), self.names_prior)
        if paid is not None:  # an explicit paid disclosure is an ad by the guide, however long the text around it
            from brandfit.disclosure import floor_logits

            promo_logit = floor_logits(promo_logit, paid, self.disclosure_floor)
        if held is not None:  # a link to free content, a price paid, a gift found fault with: organic
            from brandfit.cue_qualifiers import ceiling_logits

            promo_logit = ceiling_logits(promo_logit, held, self.qualifier_ceiling)
        return TextAnalysis(topic_proba=tp, promo_proba=expit(promo_logit), cues=cues, embeddings=emb, names=names)

    def _with_topic_captions(self, tp: np.ndarray, norm: list[str],
                             feats: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> np.ndarray:
        """``softmax(log tp + the topic caption layer's logits)`` (``feats``: as for :meth:`_with_lexical_prior`)."""
        uniq = list(dict.fromkeys(norm))
        z = self.lexical.caption_topic_logits(uniq, features=feats)
        if len(uniq) != len(norm):
            pos = {t: i for i, t in enumerate(uniq)}
            z = z[[pos[t] for t in norm]]
        return softmax(np.log(np.clip(tp, 1e-12, None)) + z, axis=1)

    def _with_lexical_prior(self, tp: np.ndarray, norm: list[str],
                            feats: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> np.ndarray:
        """``softmax(log tp + lexical_prior x topic_match)``: a text that says a topic's described words gains
        that topic (:func:`brandfit.lexical.topic_match`, weighted by the lexical head's idf). ``feats``: the
        lexical features of the distinct texts of ``norm``, in first-seen order (computed when None)."""
        from brandfit.lexical import topic_match

        if self._phrase_features is None or self.lexical is None:  # no prior: __init__ sets both with it
            return tp
        phrases, phrase_feats = self._phrase_features
        uniq = list(dict.fromkeys(norm))
        match = topic_match(uniq, phrases, self.descriptions.topic_index, len(TOPICS), idf=self.lexical.idf,
                            features=feats, phrase_features=phrase_feats)
        if len(uniq) != len(norm):
            pos = {t: i for i, t in enumerate(uniq)}
            match = match[[pos[t] for t in norm]]
        return softmax(np.log(np.clip(tp, 1e-12, None)) + self.lexical_prior * match, axis=1)

    def topic_proba(self, texts: Sequence[str]) -> pd.DataFrame:
        """One row per text, one column per topic id (all six, :data:`brandfit.TOPICS` order), rows sum to 1."""
        import pandas as pd

        a = self.analyze(texts)
        return pd.DataFrame(a.topic_proba, columns=list(TOPICS))

    def promo_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability in [0, 1] that each text has advertorial tone; compare with :attr:`promo_threshold`."""
        return self.analyze(texts).promo_proba

    def promo_cues(self, texts: Sequence[str]) -> list[list[str]]:
        """The names of the advertorial cues that fired in each text (see :data:`brandfit.cues.CUES`)."""
        return find_cues(_check_texts(texts))

    # --- persistence ------------------------------------------------------------------------
    def to_files(self) -> dict[str, bytes]:
        """The model as the bytes of its two files (``model.json``, ``heads.npz``): plain JSON and arrays."""
        buf = io.BytesIO()
        arrays = dict(
            topic_coef=self.topic_head.coef,
            topic_intercept=self.topic_head.intercept,
            promo_coef=self.promo_head.coef,
            promo_intercept=np.array([self.promo_head.intercept]),
            desc_embeddings=self.descriptions.embeddings,
            desc_topic_index=self.descriptions.topic_index,
        )
        if self.lexical is None:
            if self.neighbours is not None:
                arrays.update(knn_embeddings=self.neighbours.embeddings, knn_labels=self.neighbours.labels)
            np.savez(buf, **arrays)
        else:  # the n-gram layers are mostly zeros where a bucket never occurred: compressed
            lx = self.lexical
            if lx.caption_coef is not None:
                arrays.update(lex_caption_coef=lx.caption_coef, lex_caption_intercept=np.array([lx.caption_intercept]))
            if lx.caption_topic_coef is not None:
                arrays.update(lex_caption_topic_coef=lx.caption_topic_coef,
                              lex_caption_topic_intercept=lx.caption_topic_intercept)
            if self.neighbours is not None:
                arrays.update(knn_embeddings=self.neighbours.embeddings, knn_labels=self.neighbours.labels)
            np.savez_compressed(buf, **arrays, lex_idf=lx.idf, lex_topic_coef=lx.topic_coef,
                                lex_topic_intercept=lx.topic_intercept, lex_promo_coef=lx.promo_coef,
                                lex_promo_intercept=np.array([lx.promo_intercept]))
        meta = {
            # older readers would ignore what they do not know: 12 = qualifier cue columns (content_link,
            # paid_price, critical_gift), 11 = our texts as neighbours, 13 = the qualifier ceiling,
            # 14 = the partnership cue column, 15 = the housekeeping qualifier column, 16 = a brand's stand-in
            # examples (config.brand.expand), 17 = normalisation 4 (names glossed), 18 = the names prior,
            # 10 = the topic caption layer,
            # 9 = the lexical head's caption layer,
            # 8 = the promo head reads cues they do not find
            # (config.promo.cues), 7 = the paid-disclosure floor of the promo
            # score, 6 = the brand's words and the topic
            # descriptions matched as n-grams,
            # 5 = phrases framed as posts, 4 = promo boost,
            # 3 = zero-shot share, 2 = lexical head
            "format_version": (18 if self.names_prior > 0
                               else 17 if self.normalization_version >= 4
                               else 16 if "expand" in (self.config.get("brand") or {})
                               else 15 if "housekeeping" in self.promo_cue_columns
                               else 14 if "partnership" in self.promo_cue_columns
                               else 13 if self.qualifier_ceiling > 0
                               else 12 if set(QUALIFIERS) & set(self.promo_cue_columns)
                               else 11 if self.neighbours is not None
                               else 10 if self.lexical is not None and self.lexical.caption_topic_coef is not None
                               else 9 if self.lexical is not None and self.lexical.caption_coef is not None
                               else 8 if self.promo_cue_columns != LEGACY_PROMO_CUES
                               else 7 if self.disclosure_floor > 0
                               else 6 if self.brand_lexical > 0 or self.lexical_prior > 0
                               else 5 if self.phrase_templates != ("{}",)
                               else 4 if self.promo_boost > 0
                               else 3 if self.zero_shot_share > 0 else 2 if self.lexical is not None else 1),
            "topics": list(TOPICS),
            "embedding_model": MODEL_ID,
            "embedding_dim": DIM,
            "backend": self.backend,
            "validated_backends": list(self.validated_backends),
            "topic_temperature": self.topic_head.temperature,
            "topic_mix_temperature": self.mix_temperature,
            "promo_threshold": self.promo_threshold,
            "brand_calibration": list(self.brand_calibration),
            "config": self.config,
        }
        if self.lexical_prior > 0:  # the descriptions as written: the lexical prior matches their n-grams
            meta["description_phrases"] = list(self.descriptions.phrases or ())
        text = json.dumps(meta, indent=2, sort_keys=True, allow_nan=False) + "\n"
        return {MODEL_FILE: text.encode("utf-8"), HEADS_FILE: buf.getvalue()}

    def save(self, folder: str | Path) -> None:
        """Write ``model.json`` and ``heads.npz`` into ``folder``, each atomically (no pickle)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in self.to_files().items():
            atomic_write_bytes(folder / name, data)

    @classmethod
    def from_files(cls, files: Mapping[str, bytes], *, version: str = "unpublished", backend: str | None = None,
                   where: str = "model") -> "RelevanceModel":
        """A model from the bytes of its files (as :meth:`to_files` gives them): how Ray workers and the HTTP
        service receive a model without a registry. Shapes, dtypes and finiteness are checked."""
        meta = parse_meta(files.get(MODEL_FILE), where=f"{where}/{MODEL_FILE}")
        arrays = parse_heads(files.get(HEADS_FILE), where=f"{where}/{HEADS_FILE}")
        chosen = resolve_backend(backend)
        validated = tuple(meta.get("validated_backends") or ([meta["backend"]] if meta.get("backend") else []))
        if validated and chosen not in validated:
            logger.warning("model %s: its promo threshold and calibration were validated with the %s backend only; "
                           "predicting with %s (retrain with `brandfit train` to validate it)", version,
                           "/".join(validated), chosen)
        lexical = None
        if "lex_idf" in arrays:
            lexical = LexicalHead(idf=arrays["lex_idf"], topic_coef=arrays["lex_topic_coef"],
                                  topic_intercept=arrays["lex_topic_intercept"], promo_coef=arrays["lex_promo_coef"],
                                  promo_intercept=float(arrays["lex_promo_intercept"][0]),
                                  caption_coef=arrays.get("lex_caption_coef"),
                                  caption_intercept=float(arrays["lex_caption_intercept"][0])
                                  if "lex_caption_intercept" in arrays else 0.0,
                                  caption_topic_coef=arrays.get("lex_caption_topic_coef"),
                                  caption_topic_intercept=arrays.get("lex_caption_topic_intercept"))
        elif max(_lexical_weights(meta["config"])) > 0:
            raise IntegrityError(f"{where}/{HEADS_FILE}: the config gives the lexical head a weight, but the "
                                 "file holds no lexical arrays")
        _check_caption_layer(meta, lexical is not None and lexical.caption_coef is not None, where)
        _check_caption_layer(meta, lexical is not None and lexical.caption_topic_coef is not None, where,
                             section="topic", since=10)
        try:
            _promo_boost(meta["config"])
            _brand_lexical(meta["config"])
            _brand_expand(meta["config"])
            _disclosure_floor(meta["config"])
            _qualifier_ceiling(meta["config"])
            _promo_cues(meta["config"], arrays["promo_coef"].shape[0])
            prior = _lexical_prior(meta["config"])
        except InputError as exc:
            raise IntegrityError(f"{where}/{MODEL_FILE}: {exc}") from None
        phrases = meta.get("description_phrases")
        if phrases is not None and not (isinstance(phrases, list) and len(phrases) == len(arrays["desc_topic_index"])
                                        and all(isinstance(p, str) and len(p) <= 1000 for p in phrases)):
            raise IntegrityError(f"{where}/{MODEL_FILE}: description_phrases: expected one string (at most 1000 "
                                 f"characters) per description embedding ({len(arrays['desc_topic_index'])})")
        if prior > 0 and lexical is not None and phrases is None:
            raise IntegrityError(f"{where}/{MODEL_FILE}: the config gives topic.lexical_prior a weight, but there "
                                 "are no description_phrases")
        neighbours = None
        if "knn_embeddings" in arrays:
            if int(meta.get("format_version", 1)) < 11:
                raise IntegrityError(f"{where}/{HEADS_FILE}: holds a neighbour index, but {MODEL_FILE} claims model "
                                     f"format {meta.get('format_version')} (the index needs 11)")
            neighbours = NeighbourIndex(arrays["knn_embeddings"], arrays["knn_labels"])
        try:
            share = _neighbour_settings(meta["config"])[0]
        except InputError as exc:
            raise IntegrityError(f"{where}/{MODEL_FILE}: {exc}") from None
        if (share > 0) != (neighbours is not None):
            raise IntegrityError(f"{where}: the config gives topic.neighbours {share:g}, but the heads "
                                 + ("hold a neighbour index" if neighbours is not None else "hold no neighbour index"))
        return cls(
            lexical=lexical, mix_temperature=float(meta.get("topic_mix_temperature", 1.0)), neighbours=neighbours,
            topic_head=SoftmaxHead(arrays["topic_coef"], arrays["topic_intercept"], float(meta["topic_temperature"])),
            promo_head=LogisticHead(arrays["promo_coef"], float(arrays["promo_intercept"][0])),
            descriptions=DescriptionIndex(embeddings=arrays["desc_embeddings"], topic_index=arrays["desc_topic_index"],
                                          phrases=phrases),
            promo_threshold=float(meta["promo_threshold"]),
            brand_calibration=tuple(meta.get("brand_calibration", (10.0, -5.0))),
            config=meta["config"],
            version=version,
            backend=chosen,
            validated_backends=validated or None,
        )

    @classmethod
    def from_folder(cls, folder: str | Path, *, version: str = "unpublished", backend: str | None = None) -> "RelevanceModel":
        """Read a model from a folder written by :meth:`save` (no integrity check: use :func:`load_model`)."""
        folder = Path(folder)
        if not (folder / MODEL_FILE).is_file():
            raise MissingFileError(f"{folder / MODEL_FILE}: not a brandfit model folder (no {MODEL_FILE})")
        files = {name: (folder / name).read_bytes() for name in (MODEL_FILE, HEADS_FILE) if (folder / name).is_file()}
        return cls.from_files(files, version=version, backend=backend, where=str(folder))


def default_registry_root() -> Path:
    """Where :func:`load_model` looks by default: see :func:`brandfit.settings.registry_root`."""
    return registry_root()


_loaded: dict[tuple[str, str, str], RelevanceModel] = {}
_loaded_lock = threading.Lock()


def load_model(ref: str = DEFAULT_MODEL_REF, registry: str | Path | None = None, *,
               backend: str | None = None) -> RelevanceModel:
    """Load a published model from the on-disk registry, verifying every file's hash first.

    ``ref`` is an alias (``production``), ``name@version`` or ``name@latest``; ``registry`` defaults to
    :func:`brandfit.settings.registry_root` (``$BRANDFIT_REGISTRY``, ``./models``, else the bundled one);
    ``backend`` to :func:`brandfit.settings.resolve_backend`. A loaded model is cached per process (keyed by
    its resolved folder and backend), so repeated calls are cheap.
    """
    from brandfit.registry import ModelRegistry

    if not isinstance(ref, str):
        raise InputTypeError(f"model: expected a registry ref such as 'production', got {type(ref).__name__}")
    chosen = resolve_backend(backend)
    reg = ModelRegistry(registry_root(registry))
    mv = reg.resolve_version(ref)
    key = (str(mv.path.resolve()), mv.ref, chosen)
    with _loaded_lock:
        model = _loaded.get(key)
        if model is None:
            _, files = reg.read_verified(mv.ref, (MODEL_FILE, HEADS_FILE))
            model = RelevanceModel.from_files(files, version=mv.ref, backend=chosen, where=str(mv.path))
            _loaded[key] = model
    return model
