"""Training configuration: frozen dataclasses validated on creation, read from YAML in training/configs/."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

from brandfit.errors import ConfigError, MissingFileError
from brandfit.settings import DEFAULT_LABELED_ACCOUNTS, DEFAULT_LABELED_TEXTS

from brandfit.brand import BRAND_EXPAND, BRAND_LEXICAL_WEIGHT, check_expand
from brandfit.names_prior import MAX_NAMES_PRIOR, PHRASE_ALIASES, check_skip
from brandfit.neighbours import check_settings
from brandfit.topics import PHRASE_TEMPLATES, check_templates

__all__ = ["TopicConfig", "PromoConfig", "BrandConfig", "LexicalConfig", "TrainConfig", "load_config",
           "DEFAULT_DATA", "DEFAULT_ACCOUNTS", "DEFAULT_PUBLIC_DATA"]

DEFAULT_DATA = (DEFAULT_LABELED_TEXTS,)
DEFAULT_ACCOUNTS = DEFAULT_LABELED_ACCOUNTS
DEFAULT_PUBLIC_DATA = "../shared/datasets"  # the *default* public folder: absent = ours alone, with a note


def _show(value: Any) -> str:
    """``value`` for an error message, with a hint when YAML read a number as text (``1e-3`` needs a dot)."""
    text = f"{value!r:.80}"
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return text
        return f"{text} (text, not a number: YAML reads 1e-3 as text, write 1.0e-3)"
    return text


def _check_types(obj: Any, section: str, skip: tuple[str, ...] = ()) -> None:
    """Every field of the config dataclass ``obj`` has the type its annotation says (numbers finite, no bool for a
    number): a :class:`ConfigError` naming ``section.key`` otherwise. Runs before any comparison, so a wrong type is
    never a ``TypeError`` deep inside, and a NaN or an infinity never slips past ``> 0``. ``skip``: the fields a
    checker of their own validates fully (type, range, NaN), with a message saying the range."""
    for f in fields(obj):
        if f.name in skip:
            continue
        value, kind = getattr(obj, f.name), f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        key = f"{section}.{f.name}" if section else f.name
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ConfigError(f"{key}: expected a number, got {_show(value)}")
            if not math.isfinite(value):
                raise ConfigError(f"{key}: expected a finite number, got {value!r}")
        elif kind == "int":
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ConfigError(f"{key}: expected an integer, got {_show(value)}")
        elif kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{key}: expected true or false, got {_show(value)}")
        elif kind == "str":
            if not isinstance(value, str):
                raise ConfigError(f"{key}: expected a string, got {_show(value)}")
        elif kind == "str | None":
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"{key}: expected a string or null, got {_show(value)}")
        elif kind.startswith("tuple["):
            if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
                raise ConfigError(f"{key}: expected a list, got {_show(value)}")


def _path_text(value: Any) -> Any:
    """An ``os.PathLike`` path as its ``str`` (a bytes path is left for the type check to refuse)."""
    text = os.fspath(value)
    return text if isinstance(text, str) else value


def _validated(check: Callable[[Any], None]) -> Callable[[Any], None]:
    """A ``__post_init__`` running ``check``: any ``ValueError`` / ``TypeError`` it raises (the shared checkers of
    other modules raise ``ValueError``) becomes a :class:`ConfigError`, which the CLI prints as one line (exit 2)."""

    def __post_init__(self: Any) -> None:
        try:
            check(self)
        except ConfigError:
            raise
        except (ValueError, TypeError) as exc:
            raise ConfigError(str(exc)) from None

    __post_init__.__doc__ = check.__doc__
    return __post_init__


def _weight(value: Any, field_name: str, high: float) -> None:
    """A finite, non-boolean number in ``[0, high]`` (the rule the model loader applies to stored weights)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= high:
        raise ValueError(f"{field_name}: expected a number in [0, {high:g}], got {value!r}")


def _caption(weight: Any, c: Any, section: str) -> None:
    """A caption layer's weight in [0, 100] and its C in (0, 100]."""
    _weight(weight, f"{section}.caption_weight", 100.0)
    _weight(c, f"{section}.caption_c", 100.0)
    if c == 0:
        raise ValueError(f"{section}.caption_c: expected a number in (0, 100], got {c!r}")


def _from(cls: type, data: Any, where: str) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a mapping of keys (key: value), got {_show(data)}")
    data = dict(data)
    known = {f.name for f in fields(cls)}
    unknown = sorted(str(k) for k in set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}")
    return cls(**data)


@dataclass(frozen=True)
class TopicConfig:
    c: float = 2.0  # inverse regularisation of the softmax head
    desc_scale: float = 0.0  # weight of the description-similarity features (0 turns them off)
    description_weight: float = 3.0  # sample weight of each written topic description used as a training example
    prior_weight: float = 1.0  # weight of the zero-shot prior (cosine to descriptions) added to the head's logits
    balanced: bool = False  # class-balanced loss (True) or the (source-weighted) label shares as they are
    zero_shot_share: float = 0.0  # geometric share of the zero-shot topic probabilities in the final mix (0 = none)
    # weight (on top of the source weighting) of a source whose topic rows all carry one label: with nothing to
    # contrast, the heads would learn its style as that label (1 = no change, 0 = leave such sources out)
    one_label_weight: float = 0.1
    # framings of each topic description (and, at inference, of a brand's own words) averaged into its embedding
    # (brandfit.features.embed_phrases); ["{}"] = the phrase as written. A *stored* model config without the key was
    # trained with ["{}"] (models before relevance@9): read it with RelevanceModel.phrase_templates, not from_dict
    description_templates: tuple[str, ...] = PHRASE_TEMPLATES
    # + this x (per topic) the n-gram cosine between a text and the topic's written descriptions, added to the log
    # topic probabilities after the mix, before its temperature (needs the lexical head: its idf weighs the
    # n-grams); 0 = none
    lexical_prior: float = 4.0
    # >= 0 (0 = off): a topic caption layer, hashed n-grams fitted on data/labeled alone, its logits x this added to
    # the log topic probabilities with the descriptions' n-gram match, before the mix's temperature (needs the lexical
    # head; model format 10). A stored config without the key has none (models before relevance@30)
    caption_weight: float = 0.2
    caption_c: float = 10.0  # inverse L2 strength of the topic caption layer
    # > 0: the embedding topic head is fitted with one column per training source (this value in the row's own
    # source's column), the columns then dropped and the class intercepts refitted on the same rows, so a source's
    # label shares are not learned as its style (brandfit.heads.fit_group_debiased); 0 = off. Training only: the
    # stored head has the same shape. A stored config without the key was trained without (models before
    # relevance@43), while from_dict fills in this default
    source_intercepts: float = 1.0
    # in [0, 1) (0 = off): geometric share, in the final topic probabilities, of the vote of the k nearest training
    # texts of data/labeled (brandfit.neighbours; the model stores their embeddings and labels, never public text),
    # applied after the mix's temperature; format 11. A stored config without the key has none (before relevance@44)
    neighbours: float = 0.15
    neighbours_k: int = 100  # how many stored texts vote
    neighbours_temperature: float = 0.02  # a neighbour's vote is exp((cosine - the best cosine) / this)
    # >= 0 (0 = off): + this to the log probability of every vertical a text names (brandfit.names_prior: the
    # vertical of each name of the normalisation's tables), after everything above; model format 18. A stored
    # config without the key has none (models before relevance@81)
    names_prior: float = 1.0
    # aliases the names prior does not count (everyday phrases; still glossed): stored in the model's config
    names_prior_skip: tuple[str, ...] = PHRASE_ALIASES

    @_validated
    def __post_init__(self) -> None:
        _check_types(self, "topic", skip=("caption_weight", "caption_c", "neighbours", "neighbours_k",
                                          "neighbours_temperature", "source_intercepts", "lexical_prior",
                                          "names_prior", "description_templates", "names_prior_skip"))
        _caption(self.caption_weight, self.caption_c, "topic")
        check_settings(self.neighbours, self.neighbours_k, self.neighbours_temperature)
        _weight(self.source_intercepts, "topic.source_intercepts", 100.0)
        object.__setattr__(self, "description_templates",
                           check_templates(self.description_templates, field="topic.description_templates"))
        if self.c <= 0:
            raise ConfigError(f"topic.c: expected a number > 0, got {self.c!r}")
        if not 0.0 <= self.one_label_weight <= 1.0:
            raise ValueError(f"topic.one_label_weight: must be in [0, 1], got {self.one_label_weight}")
        if self.desc_scale < 0 or self.description_weight < 0 or self.prior_weight < 0:
            raise ValueError("topic.desc_scale, topic.description_weight and topic.prior_weight must be >= 0")
        _weight(self.lexical_prior, "topic.lexical_prior", 20.0)
        _weight(self.names_prior, "topic.names_prior", MAX_NAMES_PRIOR)
        object.__setattr__(self, "names_prior_skip", check_skip(self.names_prior_skip))
        if not 0.0 <= self.zero_shot_share < 1.0:
            raise ValueError(f"topic.zero_shot_share: must be in [0, 1), got {self.zero_shot_share}")


PROMO_THRESHOLDS = ("mean_f1", "mean_f1_smooth", "pooled")


@dataclass(frozen=True)
class PromoConfig:
    c: float = 0.03
    cue_scale: float = 0.6  # weight of the cue columns relative to the embedding
    # mean_f1: best mean per-source F1 on validation; mean_f1_smooth: the same on the curve averaged over neighbouring
    # thresholds (brandfit.evaluation.loso.mean_f1_threshold); pooled: best F1 of all validation rows
    threshold: str = "mean_f1_smooth"
    calibrate: bool = True  # Platt-scale the promo probabilities on validation rows (each source equal), folded into the head
    augment: int = 300  # decorated not-promo copies per source (text.augment): a plain @/#/link is not an ad; 0 = off
    # x this, in (0, 20], on the promo weight of data/labeled (every `data` path: source "ours", the one source of
    # captions and bios, and the only one with affiliate posts, giveaways and service bios side by side with organic
    # posts), in both promo layers; 1 = no extra weight. Training only: inference never reads it. A *stored* model
    # config without the key was trained with 1 (models before relevance@17), as one without lexical.promo_boost had 0
    ours_weight: float = 6.0
    # 0 (off) or in [0.5, 0.999]: a text carrying an explicit paid disclosure (#ad, "sponsored by":
    # brandfit.disclosure) never scores below this promo probability, in the reported figures and at inference
    # (stored in the model config, format 7); the threshold is chosen on the heads' own scores, before it. A stored
    # config without the key has none (models before relevance@20)
    disclosure_floor: float = 0.9
    # 0 (off) or in (0, 0.5): a text whose cues a qualifier explains away (a link to free content, a price its author
    # paid, a gift the caption finds fault with: brandfit.cue_qualifiers.held_under_ceiling) never scores above this
    # promo probability, in the reported figures and at inference (stored in the model config, format 13); the
    # threshold is chosen on the heads' own scores, before it. A stored config without the key has none (models
    # before relevance@54)
    qualifier_ceiling: float = 0.1
    # >= 0 (0 = off): a caption layer, hashed n-grams over data/labeled alone (the one source of captions), its
    # logit x this added to the promo logit before calibration (needs the lexical head; model format 9). Training
    # only: a stored model keeps the fitted layer, already scaled, and its config the weight (0 when it has no layer).
    # A stored config without the key has no layer (models before relevance@29), while from_dict fills in this default
    caption_weight: float = 0.35
    caption_c: float = 10.0  # inverse L2 strength of the caption layer

    @_validated
    def __post_init__(self) -> None:
        _check_types(self, "promo", skip=("caption_weight", "caption_c", "ours_weight", "disclosure_floor",
                                          "qualifier_ceiling"))
        if self.c <= 0:
            raise ConfigError(f"promo.c: expected a number > 0, got {self.c!r}")
        _caption(self.caption_weight, self.caption_c, "promo")
        if self.cue_scale < 0:
            raise ValueError(f"promo.cue_scale: must be >= 0, got {self.cue_scale}")
        if self.augment < 0:
            raise ValueError(f"promo.augment: must be >= 0, got {self.augment}")
        if isinstance(self.ours_weight, bool) or not isinstance(self.ours_weight, (int, float)) \
                or not 0.0 < self.ours_weight <= 20.0:
            raise ValueError(f"promo.ours_weight: expected a number in (0, 20], got {self.ours_weight!r}")
        from brandfit.disclosure import check_floor

        check_floor(self.disclosure_floor)
        from brandfit.cue_qualifiers import check_ceiling

        check_ceiling(self.qualifier_ceiling)
        if self.threshold not in PROMO_THRESHOLDS:
            raise ValueError(f"promo.threshold: expected one of {', '.join(PROMO_THRESHOLDS)}, got {self.threshold!r}")


@dataclass(frozen=True)
class BrandConfig:
    """How custom brand topics are scored (:func:`brandfit.brand.brand_relevance`); read from ``model.config["brand"]``."""

    vertical: float = 0.0  # weight of log(match of the text's and the brand's built-in topic)
    contrast: float = 0.5  # weight of the cosine to the other topics' descriptions, subtracted
    negative_reduce: str = "max"  # "max" or "mean" over those descriptions
    lexical: float = BRAND_LEXICAL_WEIGHT  # + this x the n-gram cosine to the brand's words (needs the lexical head)
    expand: int = BRAND_EXPAND  # a brand with no example posts borrows this many of our stored texts nearest its
    # words as examples (needs the neighbour index: topic.neighbours); 0 = off

    @_validated
    def __post_init__(self) -> None:
        _check_types(self, "brand", skip=("lexical", "expand"))
        if self.vertical < 0 or self.contrast < 0:
            raise ValueError("brand.vertical and brand.contrast must be >= 0")
        _weight(self.lexical, "brand.lexical", 10.0)
        check_expand(self.expand)
        if self.negative_reduce not in ("max", "mean"):
            raise ValueError(f"brand.negative_reduce: expected 'max' or 'mean', got {self.negative_reduce!r}")


@dataclass(frozen=True)
class LexicalConfig:
    """The lexical half of the heads (:mod:`brandfit.lexical`): hashed word and character n-grams."""

    topic_weight: float = 0.3  # share of the lexical head in the topic probabilities, mixed (1 - w) : w
    promo_weight: float = 0.15  # share of the lexical head in the promo logit, mixed (1 - w) : w; both 0 = no head
    n_buckets: int = 1 << 17  # hash buckets per kind of n-gram (word / character)
    topic_c: float = 10.0  # inverse regularisation of the lexical topic layer
    promo_c: float = 1.0  # inverse regularisation of the lexical promo layer
    promo_boost: float = 0.6  # + this x max(lexical promo logit, 0): n-grams may raise a promo score; 0 if promo_weight 0

    @_validated
    def __post_init__(self) -> None:
        _check_types(self, "lexical")
        for name in ("topic_weight", "promo_weight"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"lexical.{name}: must be in [0, 1), got {getattr(self, name)}")
        if self.n_buckets < 1024 or self.n_buckets & (self.n_buckets - 1):
            raise ConfigError(f"lexical.n_buckets: expected a power of two >= 1024 (e.g. 131072), got {self.n_buckets}")
        if self.topic_c <= 0 or self.promo_c <= 0:
            raise ConfigError(f"lexical.topic_c and lexical.promo_c: expected numbers > 0, got {self.topic_c!r} and "
                              f"{self.promo_c!r}")
        if not 0.0 <= self.promo_boost <= 10.0:
            raise ValueError(f"lexical.promo_boost: must be in [0, 10], got {self.promo_boost}")

    @property
    def on(self) -> bool:
        """Whether a model trained with this config has a lexical head."""
        return self.topic_weight > 0 or self.promo_weight > 0


SOURCE_WEIGHTINGS = ("equal", "none")


@dataclass(frozen=True)
class TrainConfig:
    name: str = "relevance"  # registry model name
    # labeled files or folders: a folder holding texts/ and accounts/ (the layout of `brandfit data check`) brings
    # its accounts, checked with the texts; any other path is texts alone
    data: tuple[str, ...] = DEFAULT_DATA
    # accounts of the texts of `data` that are not labeled folders (None = none); a path that does not exist is an
    # error. A YAML config that sets `data` but not `accounts` has none (accounts belong to their texts)
    accounts: str | None = DEFAULT_ACCOUNTS
    seed: int = 13
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    topic: TopicConfig = field(default_factory=TopicConfig)
    promo: PromoConfig = field(default_factory=PromoConfig)
    brand: BrandConfig = field(default_factory=BrandConfig)
    lexical: LexicalConfig = field(default_factory=LexicalConfig)
    # public corpora trained on besides `data` (brandfit.evaluation.public); None = data/labeled alone. A relative
    # path is resolved against the working directory, then like public.default_root ($BRANDFIT_PUBLIC_DATA, or
    # ../shared/datasets beside the checkout or any parent).
    # An explicit folder that is absent or holds no known source is an error when training; only this default,
    # absent, means our data alone (with a note)
    public_data: str | None = DEFAULT_PUBLIC_DATA
    public_sources: tuple[str, ...] = ()  # () = every known source found there
    public_cap: int = 2500  # texts per public source, balanced by label, seeded
    source_weighting: str = "equal"  # equal: every source's rows share the same total weight; none: weight 1 per row

    @_validated
    def __post_init__(self) -> None:
        # a path may be given as any os.PathLike (pathlib.Path in the Python API): stored as its string
        if isinstance(self.data, (str, os.PathLike)):
            object.__setattr__(self, "data", (_path_text(self.data),))
        elif isinstance(self.data, (list, tuple)):
            object.__setattr__(self, "data", tuple(_path_text(d) if isinstance(d, os.PathLike) else d
                                                   for d in self.data))
        for key in ("accounts", "public_data"):
            if isinstance(getattr(self, key), os.PathLike):
                object.__setattr__(self, key, _path_text(getattr(self, key)))
        if self.public_data is False:
            object.__setattr__(self, "public_data", None)
        if self.public_sources is None:
            object.__setattr__(self, "public_sources", ())
        _check_types(self, "")
        for key in ("data", "public_sources"):
            for item in getattr(self, key):
                if not isinstance(item, str) or not item.strip():
                    raise ConfigError(f"{key}: expected a list of non-empty paths or names, got {_show(item)}")
        object.__setattr__(self, "data", tuple(str(d) for d in self.data))
        if not self.data:
            raise ConfigError("data: expected at least one labeled file or folder")
        if len(self.split) != 3 or any(isinstance(s, bool) or not isinstance(s, numbers.Real) or not math.isfinite(s)
                                       for s in self.split):
            raise ConfigError(f"split: expected three positive fractions (train, validation, test) summing to 1, "
                              f"got {_show(self.split)}")
        object.__setattr__(self, "split", tuple(float(s) for s in self.split))
        if abs(sum(self.split) - 1) > 1e-9 or min(self.split) <= 0:
            raise ConfigError(f"split: expected three positive fractions (train, validation, test) summing to 1, "
                              f"got {list(self.split)}")
        if not 0 <= self.seed < 2**32:
            raise ConfigError(f"seed: expected an integer in [0, 2**32 - 1], got {self.seed}")
        from brandfit.registry import validate_name

        try:
            validate_name(self.name)
        except ValueError as exc:
            raise ConfigError(f"name: {exc}") from None
        if self.accounts is not None and not self.accounts.strip():
            object.__setattr__(self, "accounts", None)
        object.__setattr__(self, "public_sources", tuple(str(x) for x in self.public_sources))
        if self.public_sources:
            from brandfit.evaluation.public import PROMO_SOURCES, TOPIC_SOURCES

            known = (*TOPIC_SOURCES, *PROMO_SOURCES)
            unknown = [x for x in self.public_sources if x not in known]
            if unknown:
                raise ConfigError(f"public_sources: unknown source(s) {', '.join(unknown)}; expected some of "
                                  f"{', '.join(known)} (or [] for every one found)")
        if self.public_data == "":
            object.__setattr__(self, "public_data", None)
        if self.source_weighting not in SOURCE_WEIGHTINGS:
            raise ConfigError(f"source_weighting: expected one of {', '.join(SOURCE_WEIGHTINGS)}, "
                              f"got {self.source_weighting!r}")
        if self.public_cap < 1:
            raise ConfigError(f"public_cap: expected an integer >= 1, got {self.public_cap}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["data"] = list(self.data)
        d["split"] = list(self.split)
        d["public_sources"] = list(self.public_sources)
        d["topic"]["description_templates"] = list(self.topic.description_templates)
        d["topic"]["names_prior_skip"] = list(self.topic.names_prior_skip)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "config") -> "TrainConfig":
        data = dict(data)
        for recorded in ("normalization_version", "names_prior_rules"):  # recorded beside the config in a trained
            data.pop(recorded, None)  # model's config dict (RelevanceModel adds the second one to older configs)
        topic = _from(TopicConfig, data.pop("topic", None), f"{where}: topic")  # (sections first: their errors
        # name the section's key)
        promo_data = data.pop("promo", None)
        if isinstance(promo_data, dict):  # a trained model's config also lists its promo head's cue columns
            promo_data = {k: v for k, v in promo_data.items() if k != "cues"}
        promo = _from(PromoConfig, promo_data, f"{where}: promo")
        brand = _from(BrandConfig, data.pop("brand", None), f"{where}: brand")
        lexical = _from(LexicalConfig, data.pop("lexical", None), f"{where}: lexical")
        base = _from(cls, data, where)
        return cls(**{**{f.name: getattr(base, f.name) for f in fields(cls)}, "topic": topic, "promo": promo,
                      "brand": brand, "lexical": lexical})


def load_config(path: str | Path) -> TrainConfig:
    """Read a YAML training config, checking every key and value before anything else runs: a
    :class:`~brandfit.errors.ConfigError` naming the file, the key and what is allowed (a YAML syntax error names the
    line), a :class:`~brandfit.errors.MissingFileError` when there is no such file.

    A config that sets ``data`` but not ``accounts`` has no accounts file (a labeled folder in ``data`` brings its
    own): the default ``data/labeled/accounts`` belongs to the default data.
    """
    import yaml

    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{p}: is a folder; --config expects a YAML file")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MissingFileError(f"{p}: training config not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not UTF-8 text; save the config as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(p)
        what = " ".join(str(x) for x in (getattr(exc, "context", None), getattr(exc, "problem", None)) if x) or str(exc)
        start = getattr(exc, "context_mark", None)
        if start is not None and mark is not None and start.line != mark.line:
            what += f" (the {getattr(exc, 'context', '') and 'construct'} began on line {start.line + 1})"
        raise ConfigError(f"{where}: not valid YAML: {' '.join(what.split())}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: expected a mapping of keys at the top level (name:, data:, topic: ...), got a "
                          f"{'list' if isinstance(raw, list) else type(raw).__name__}")
    if "data" in raw and "accounts" not in raw:
        raw = {**raw, "accounts": None}
    try:
        return TrainConfig.from_dict(raw, where=str(p))
    except (ValueError, TypeError) as exc:
        text = str(exc)
        raise ConfigError(text if text.startswith(f"{p}:") else f"{p}: {text}") from None
