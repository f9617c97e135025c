"""Headline metrics of published versions, and a paired comparison of two versions on the same texts.

The headline figures are the ones a promotion is judged on:

========================  ================================================================
``test/topic_macro_ap``   macro average precision of the topic head on the labeled test split
``test/promo_ap``         average precision of the promo head on the labeled test split
``public/topic_macro_ap`` the same on held-out groups of the public topic corpora, pooled
``public/promo_ap``       the same on held-out groups of the public promo corpora, pooled
========================  ================================================================

:func:`headline_from_metadata` reads what training recorded in ``metadata["metrics"]``;
:func:`compare_models` re-evaluates two models on one set of texts (embedded once: both models share the
encoder) and gives each difference a paired bootstrap 95% interval: every resample draws the same texts for
both models, so the interval is about the models, not about which texts happened to be drawn.

A figure on a handful of texts says little: :func:`judgement` names every headline figure that could not be
computed (no label, no promo-positive or no promo-negative text) or was computed on fewer than
:data:`MIN_JUDGED_TEXTS` texts, and which task (topic, promo) no headline figure judges at all. ``brandfit models
promote`` refuses on such a task unless ``--force --reason`` (docs/registry.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from brandfit.settings import DEFAULT_LABELED_ACCOUNTS, DEFAULT_LABELED_TEXTS, MIN_JUDGED_TEXTS

if TYPE_CHECKING:
    import pandas as pd

    from brandfit.model import RelevanceModel

__all__ = [
    "HEADLINE",
    "Comparison",
    "MetricRow",
    "average_precision_bootstrap",
    "compare_models",
    "comparison_texts",
    "headline_from_metadata",
    "judgement",
    "MIN_JUDGED_TEXTS",
    "recorded_comparability",
    "regressions",
]

logger = logging.getLogger(__name__)

HEADLINE: dict[str, tuple[str, ...]] = {
    "test/topic_macro_ap": ("test", "topic", "macro_ap"),
    "test/promo_ap": ("test", "promo", "ap"),
    "public/topic_macro_ap": ("public", "pooled_topic", "macro_ap"),
    "public/promo_ap": ("public", "pooled_promo", "ap"),
}
"""Headline metric name -> its path in a version's ``metadata["metrics"]``."""


def _dig(obj: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def headline_from_metadata(metadata: Mapping[str, Any]) -> dict[str, float | None]:
    """The headline figures recorded at training time (``None`` where a version recorded none)."""
    metrics = metadata.get("metrics") or {}
    out: dict[str, float | None] = {}
    for name, path in HEADLINE.items():
        value = _dig(metrics, path)
        out[name] = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return out


# ----------------------------------------------------------------------------------- average precision


def average_precision_bootstrap(y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Average precision of ``score`` for binary ``y`` under each row of ``weights`` (``(B, n)`` resample
    counts; a row of ones is the plain AP). Ties are one step, as in scikit-learn. NaN where a resample has no
    positive."""
    y = np.asarray(y, dtype=bool)
    score = np.asarray(score, dtype=float)
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    order = np.argsort(-score, kind="mergesort")
    s, yy, w = score[order], y[order], weights[:, order]
    ends = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]  # the last index of each run of equal scores
    tp = np.cumsum(w * yy, axis=1)[:, ends]
    seen = np.cumsum(w, axis=1)[:, ends]
    total = tp[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(seen > 0, tp / seen, 0.0)
        gained = np.diff(np.concatenate([np.zeros((len(w), 1)), tp], axis=1), axis=1)
        ap = (gained * precision).sum(axis=1) / total
    ap[total == 0] = np.nan
    return ap


def _macro_ap(y_idx: np.ndarray, proba: np.ndarray, weights: np.ndarray, topics: Sequence[int]) -> np.ndarray:
    per = np.stack([average_precision_bootstrap(y_idx == t, proba[:, t], weights) for t in topics], axis=1)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(per, axis=1)


# ---------------------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class MetricRow:
    """One figure of both models on one set of texts: values, ``b - a`` and its paired bootstrap 95% interval."""

    source: str
    metric: str
    n: int
    a: float
    b: float
    low: float
    high: float

    @property
    def delta(self) -> float:
        return self.b - self.a

    @property
    def key(self) -> str:
        return f"{self.source}/{self.metric}"

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "metric": self.metric, "n": self.n, "a": self.a, "b": self.b,
                "delta": self.delta, "ci95": [self.low, self.high]}


@dataclass
class Comparison:
    """Two versions evaluated on the same texts. ``rows`` are per source; ``headline`` names the rows a
    promotion is judged on (labeled test split, pooled public corpora)."""

    a: str
    b: str
    rows: list[MetricRow]
    n_bootstrap: int
    skipped: list[str] = field(default_factory=list)
    curves: dict[str, dict[str, Any]] = field(default_factory=dict)
    not_computed: dict[str, str] = field(default_factory=dict)
    """``{"test/promo_ap": "no promo-positive text among the 7 texts"}``: figures an evaluated set could not give."""
    warnings: list[str] = field(default_factory=list)
    """About the evaluated texts themselves (e.g. they are a compared version's training rows)."""

    @property
    def headline(self) -> list[MetricRow]:
        return [r for r in self.rows if r.key in HEADLINE]

    def as_dict(self, min_texts: int = MIN_JUDGED_TEXTS) -> dict[str, Any]:
        problems, unjudged = judgement(self.headline, self.not_computed, min_texts)
        return {"a": self.a, "b": self.b, "n_bootstrap": self.n_bootstrap, "skipped": self.skipped,
                "rows": [r.as_dict() for r in self.rows], "headline": [r.key for r in self.headline],
                "not_computed": dict(self.not_computed), "min_judged_texts": min_texts,
                "warnings": [*self.warnings, *problems], "unjudged_tasks": unjudged}


def regressions(rows: Sequence[MetricRow], tolerance: float, min_texts: int = 0) -> list[MetricRow]:
    """The rows where ``b`` is worse than ``a`` by more than ``tolerance`` (absolute), among the rows computed on
    at least ``min_texts`` texts (a figure on fewer is not judged)."""
    return [r for r in rows if r.n >= min_texts and np.isfinite(r.delta) and r.delta < -tolerance]


_TASK = {"topic_macro_ap": "topic", "promo_ap": "promo"}


def judgement(rows: Sequence[MetricRow], not_computed: Mapping[str, str] | None = None,
              min_texts: int = MIN_JUDGED_TEXTS) -> tuple[list[str], list[str]]:
    """What the headline ``rows`` cannot judge: ``(problems, unjudged_tasks)``.

    ``problems`` is one readable line per headline figure that was not computed (``not_computed``: key -> why) or
    was computed on fewer than ``min_texts`` texts; ``unjudged_tasks`` lists ``topic`` and/or ``promo`` when no
    headline figure of that task was computed on at least ``min_texts`` texts."""
    problems = [f"{key}: not computed ({why})" for key, why in (not_computed or {}).items() if key in HEADLINE]
    judged = set()
    for r in rows:
        if r.key not in HEADLINE:
            continue
        if r.n < min_texts:
            problems.append(f"{r.key}: computed on {r.n} texts, fewer than {min_texts}: too few to judge")
        elif np.isfinite(r.a) and np.isfinite(r.b):
            judged.add(_TASK.get(r.metric, r.metric))
    unjudged = [task for task in ("topic", "promo") if task not in judged]
    return problems, unjudged


def _split_config(meta: Mapping[str, Any]) -> tuple[Any, Any]:
    config = meta.get("config") if isinstance(meta.get("config"), Mapping) else {}
    split = config.get("split")
    return config.get("seed"), tuple(split) if isinstance(split, list) else split


def recorded_comparability(meta_a: Mapping[str, Any], meta_b: Mapping[str, Any]) -> tuple[bool, bool, str]:
    """Whether the headline figures two versions recorded at training time were computed on the same texts:
    ``(test_comparable, public_comparable, why_not)``.

    The labeled test figures are on the same texts only when both versions were trained on the same records
    (equal ``dataset_hash``) with the same seed and split fractions; the public figures also need the same public
    sources and pool (``training_sources`` other than ``ours``, ``public_cap``, ``public_sources``). ``why_not``
    names the datasets and their sizes when the test figures are not comparable."""

    def describe(meta: Mapping[str, Any]) -> str:
        h = meta.get("dataset_hash")
        short = h.split(":", 1)[-1][:10] if isinstance(h, str) and h else "no recorded hash"
        n = _dig(meta.get("metrics") or {}, ("test", "topic", "n"))
        ours = (meta.get("training_sources") or {}).get("ours")
        total = ours.get("n") if isinstance(ours, Mapping) else None
        size = f"a test split of {n} texts" if isinstance(n, int) else "test split size not recorded"
        of = f" of {total} labeled texts" if isinstance(total, int) else ""
        return f"{meta.get('name')}@{meta.get('version')}: dataset {short}, {size}{of}"

    ha, hb = meta_a.get("dataset_hash"), meta_b.get("dataset_hash")
    if not ha or not hb or ha != hb:
        return False, False, (f"they were computed on different datasets ({describe(meta_a)}; {describe(meta_b)})"
                              if ha and hb else f"a dataset hash is missing ({describe(meta_a)}; {describe(meta_b)})")
    if _split_config(meta_a) != _split_config(meta_b):
        return False, False, (f"both used dataset {ha.split(':', 1)[-1][:10]} but split it differently (seed, split "
                              f"{_split_config(meta_a)} against {_split_config(meta_b)}), so their test texts differ")

    def public_setup(meta: Mapping[str, Any]) -> Any:
        sources = {k: v for k, v in (meta.get("training_sources") or {}).items() if k != "ours"}
        config = meta.get("config") if isinstance(meta.get("config"), Mapping) else {}
        return sources, config.get("public_cap"), config.get("public_sources")

    return True, public_setup(meta_a) == public_setup(meta_b), ""


def comparison_texts(
    *,
    labeled: Sequence[str] | None = (DEFAULT_LABELED_TEXTS,),
    accounts: str | None = DEFAULT_LABELED_ACCOUNTS,
    split: str | None = "test",
    public: bool = True,
    public_cap: int | None = 500,
    seed: int = 13,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    public_pool: int | None = 2500,
    public_sources: Sequence[str] | None = None,
    also_held_out_under: Sequence[tuple[int, tuple[float, float, float]]] = (),
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The evaluation sets: ``{"test": labeled split, "public/<source>": ...}`` with ``text, topic, promo``
    columns (``None`` where a set has no such label), and notes on what was skipped. ``split=None`` keeps every
    labeled row, as ``"test"`` (a held-out file neither model was trained on).

    The public rows are the *validation groups* of the pool ``brandfit train`` draws from each source
    (``public_pool`` texts per source, the config's ``public_cap``; ``public_sources``, default all; groups chosen
    by the same hash of ``seed``): rows no head was fitted on. Then at most ``public_cap`` per source, seeded.
    ``also_held_out_under``: more ``(seed, fractions)`` a compared model was trained with; a row is kept only
    where it is held out under every one (the labeled rows in ``split``, the public rows in validation), so
    neither model is scored on its own training rows. (Before ``relevance@44`` the public sample was drawn from
    the whole pool, about 85% of it training rows, which rewarded memorisation.)"""
    from pathlib import Path

    from brandfit.data import assign_splits, load_labeled
    from brandfit.train import labeled_paths

    splits = [(seed, tuple(fractions)), *[(int(s), tuple(f)) for s, f in also_held_out_under]]
    splits = list(dict.fromkeys(splits))
    sets: dict[str, pd.DataFrame] = {}
    skipped: list[str] = []
    if labeled:
        present = [p for p in labeled if Path(p).exists()]
        missing = [p for p in labeled if not Path(p).exists()]
        if present:
            if missing:
                skipped.append(f"labeled data not found: {', '.join(map(str, missing))} (evaluated on the rest)")
            # read as training reads its data: a labeled folder is its texts/ and accounts/ (the accounts group and
            # stratify the split, so the test rows are the ones training held out)
            where = labeled_paths(present, accounts if accounts and Path(accounts).exists() else None)
            frame = load_labeled(where.text_files).frame
            if split is None:  # a held-out file: every row
                part = frame
            else:
                acc = where.account_topics()
                keep = np.ones(len(frame), dtype=bool)
                for sd, fr in splits:
                    keep &= np.asarray(assign_splits(frame, fractions=fr, seed=sd, account_topics=acc)) == split
                part = frame[keep]
            name = split or "test"
            if len(part):
                sets[name] = part[["text", "topic", "promo"]].reset_index(drop=True)
            elif split is None:
                skipped.append(f"labeled data: no row in {', '.join(map(str, present))}")
            else:
                skipped.append(f"labeled data: no row is in the {split} split under every compared model's split")
        else:
            skipped.append(f"labeled data not found ({', '.join(map(str, labeled))})")
    if public:
        from brandfit.evaluation.loso import validation_mask
        from brandfit.evaluation.public import load_public

        corpora = load_public(cap=public_pool, sources=tuple(public_sources) if public_sources else None)
        if corpora.empty:
            skipped.append("public corpora not found (set $BRANDFIT_PUBLIC_DATA)")
        else:
            held = np.ones(len(corpora), dtype=bool)
            for sd, fr in splits:
                held &= validation_mask(corpora["group"].tolist(), fraction=fr[1], salt=f"val{sd}")
            lost = sorted(set(corpora["source"]) - set(corpora["source"][held]))
            if lost:
                skipped.append(f"public: no validation group (held out from training) in {', '.join(lost)}")
            corpora = corpora[held]
        for source, part in corpora.groupby("source", sort=True):
            if public_cap and len(part) > public_cap:
                part = part.sample(n=public_cap, random_state=seed)
            sets[f"public/{source}"] = part[["text", "topic", "promo"]].reset_index(drop=True)
    return sets, skipped


def compare_models(
    model_a: RelevanceModel,
    model_b: RelevanceModel,
    sets: Mapping[str, pd.DataFrame],
    *,
    n_bootstrap: int = 1000,
    seed: int = 0,
    skipped: Sequence[str] = (),
    keep_curves: bool = False,
) -> Comparison:
    """Evaluate both models on every set and bootstrap the differences (see the module docstring).

    All texts are embedded once with ``model_a``'s encoder and both models' heads are applied to the same
    vectors (once per model when their text normalisations differ). Sets whose names start with ``public/`` are also pooled into ``public`` (topic and promo apart).
    """
    from brandfit.topics import TOPICS

    frames = {name: df for name, df in sets.items() if len(df)}
    if not frames:
        return Comparison(model_a.version, model_b.version, [], n_bootstrap, list(skipped))
    everything, out_a, out_b = _embed_once(model_a, model_b, frames)
    rng = np.random.default_rng(seed)
    topic_index = {t: i for i, t in enumerate(TOPICS)}

    groups: dict[str, np.ndarray] = {name: np.flatnonzero(everything["_set"].to_numpy() == name) for name in frames}
    public = [name for name in frames if name.startswith("public/")]
    rows: list[MetricRow] = []
    curves: dict[str, dict[str, Any]] = {}
    not_computed: dict[str, str] = {}

    def evaluate(source: str, idx: np.ndarray, what: str) -> None:
        part = everything.iloc[idx]
        kept = curves if keep_curves else None
        if what == "topic":
            got = _topic_values(source, part, idx, out_a, out_b, rng, n_bootstrap, topic_index, kept)
        else:
            got = _promo_values(source, part, idx, out_a, out_b, rng, n_bootstrap, kept)
        if got is None:
            why = _why_not_computed(part, what)
            if why:
                not_computed[f"{source}/{'topic_macro_ap' if what == 'topic' else 'promo_ap'}"] = why
            return
        sel, va, vb, metric = got
        diff = (vb - va)[1:]
        diff = diff[np.isfinite(diff)]
        low, high = (np.percentile(diff, [2.5, 97.5]) if len(diff) else (np.nan, np.nan))
        rows.append(MetricRow(source, metric, len(sel), float(va[0]), float(vb[0]), float(low), float(high)))

    for name in [n for n in frames if not n.startswith("public/")]:
        for what in ("topic", "promo"):
            evaluate(name, groups[name], what)
    if public:
        pooled = np.concatenate([groups[n] for n in public])
        for what in ("topic", "promo"):
            evaluate("public", pooled, what)
        for name in public:
            for what in ("topic", "promo"):
                evaluate(name, groups[name], what)
    return Comparison(model_a.version, model_b.version, rows, n_bootstrap, list(skipped), curves, not_computed)


def _why_not_computed(part: pd.DataFrame, what: str) -> str | None:
    """Why the topic or promo figure of ``part`` could not be computed (None: a set with no such labels at all,
    such as a topic-only public corpus, which is not a gap)."""
    column = part[what]
    labeled = column[column.notna()]
    if labeled.empty:
        return None
    n = len(labeled)
    if what == "promo":
        y = labeled.astype(bool)
        return (f"no promo-negative text among the {n} texts" if y.all()
                else f"no promo-positive text among the {n} texts")
    return f"the {n} texts carry a single topic ({labeled.iat[0]}); macro AP needs two"


def _embed_once(model_a: RelevanceModel, model_b: RelevanceModel, frames: Mapping[str, pd.DataFrame]):
    """Concatenate the sets (tagged by ``_set``), embed their texts once with ``model_a``'s encoder and apply
    both models' heads to the same vectors; return ``(everything, out_a, out_b)``. Two models trained on different
    text normalisations (``normalization_version``: emoji as words, idioms, names glossed) read different text, so
    each then embeds the texts its own way."""
    import pandas as pd

    from brandfit.cues import find_cues

    everything = pd.concat([df.assign(_set=name) for name, df in frames.items()], ignore_index=True)
    texts = everything["text"].astype(str).tolist()
    cues = find_cues(texts)
    if model_a.normalization_version == model_b.normalization_version:
        logger.info("embedding %d texts once for both models", len(texts))
        emb_a = emb_b = model_a.embed(texts)
    else:
        logger.info("embedding %d texts for each model (normalisation versions %d and %d)", len(texts),
                    model_a.normalization_version, model_b.normalization_version)
        emb_a, emb_b = model_a.embed(texts), model_b.embed(texts)
    return everything, model_a.apply_heads(emb_a, cues, texts), model_b.apply_heads(emb_b, cues, texts)


def _bootstrap_weights(n: int, n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """Row 0 all ones (the point estimate), then ``n_bootstrap`` multinomial resampling weights."""
    return np.vstack([np.ones(n), rng.multinomial(n, np.full(n, 1 / n), n_bootstrap)])


def _topic_values(source, part, idx, out_a, out_b, rng, n_bootstrap, topic_index, curves):
    """Bootstrapped topic macro-AP of both models on ``part``, or ``None`` when it cannot be scored.

    Returns ``(sel, va, vb, metric)``; records the curve data into ``curves`` unless it is ``None``.
    """
    from brandfit.topics import TOPICS

    mask = part["topic"].notna().to_numpy()
    if not mask.any():
        return None
    sel = idx[mask]
    y = np.array([topic_index.get(t, -1) for t in part["topic"][mask]])
    topics = [t for t in range(len(TOPICS)) if (y == t).any() and (y != t).any()]
    if not topics:
        return None
    w = _bootstrap_weights(len(sel), n_bootstrap, rng)
    va = _macro_ap(y, out_a.topic_proba[sel], w, topics)
    vb = _macro_ap(y, out_b.topic_proba[sel], w, topics)
    metric = "topic_macro_ap"
    if curves is not None:
        onehot = np.eye(len(TOPICS), dtype=bool)[np.clip(y, 0, None)][:, topics].ravel()
        curves[f"{source}/{metric}"] = {"y": onehot, "a": out_a.topic_proba[sel][:, topics].ravel(),
                                        "b": out_b.topic_proba[sel][:, topics].ravel()}
    return sel, va, vb, metric


def _promo_values(source, part, idx, out_a, out_b, rng, n_bootstrap, curves):
    """Bootstrapped promo AP of both models on ``part``, or ``None`` when it cannot be scored (see
    :func:`_topic_values`)."""
    mask = part["promo"].notna().to_numpy()
    if not mask.any():
        return None
    sel = idx[mask]
    y = part["promo"][mask].astype(bool).to_numpy()
    if y.all() or not y.any():
        return None
    w = _bootstrap_weights(len(sel), n_bootstrap, rng)
    va = average_precision_bootstrap(y, out_a.promo_proba[sel], w)
    vb = average_precision_bootstrap(y, out_b.promo_proba[sel], w)
    metric = "promo_ap"
    if curves is not None:
        curves[f"{source}/{metric}"] = {"y": y, "a": out_a.promo_proba[sel], "b": out_b.promo_proba[sel]}
    return sel, va, vb, metric


def _pr_curve(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall at every distinct threshold, highest first (no scikit-learn needed)."""
    y = np.asarray(y, dtype=bool)
    order = np.argsort(-np.asarray(score, dtype=float), kind="mergesort")
    s, yy = np.asarray(score, dtype=float)[order], y[order]
    ends = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    tp = np.cumsum(yy)[ends]
    precision = tp / (ends + 1)
    recall = tp / max(int(y.sum()), 1)
    return np.r_[1.0, precision], np.r_[0.0, recall]


def plot_pr_curves(comparison: Comparison, path: str) -> str:
    """Overlay both versions' precision-recall curves (test split and pooled public, topic and promo) in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in comparison.curves if not k.startswith("public/") or k.count("/") == 1]
    if not keys:
        raise ValueError("no curves to plot")
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 4), squeeze=False)
    for ax, key in zip(axes[0], keys):
        c = comparison.curves[key]
        for side, ref, style in (("a", comparison.a, "-"), ("b", comparison.b, "--")):
            p, r = _pr_curve(c["y"], c[side])
            row = next(x for x in comparison.rows if x.key == key)
            ax.plot(r, p, style, label=f"{ref} (AP {getattr(row, side):.3f})")
        ax.set_title(key + (" (one-vs-rest, pooled)" if "topic" in key else ""), fontsize=9)
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
