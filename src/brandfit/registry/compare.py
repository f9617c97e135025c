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
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

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

    @property
    def headline(self) -> list[MetricRow]:
        return [r for r in self.rows if r.key in HEADLINE]

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "n_bootstrap": self.n_bootstrap, "skipped": self.skipped,
                "rows": [r.as_dict() for r in self.rows], "headline": [r.key for r in self.headline]}


def regressions(rows: Sequence[MetricRow], tolerance: float) -> list[MetricRow]:
    """The rows where ``b`` is worse than ``a`` by more than ``tolerance`` (absolute)."""
    return [r for r in rows if np.isfinite(r.delta) and r.delta < -tolerance]


def comparison_texts(
    *,
    labeled: Sequence[str] | None = ("data/labeled/texts",),
    accounts: str | None = "data/labeled/accounts",
    split: str = "test",
    public: bool = True,
    public_cap: int | None = 500,
    seed: int = 13,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    public_pool: int | None = 2500,
    public_sources: Sequence[str] | None = None,
    also_held_out_under: Sequence[tuple[int, tuple[float, float, float]]] = (),
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The evaluation sets: ``{"test": labeled split, "public/<source>": ...}`` with ``text, topic, promo``
    columns (``None`` where a set has no such label), and notes on what was skipped.

    The public rows are the *validation groups* of the pool ``brandfit train`` draws from each source
    (``public_pool`` texts per source, the config's ``public_cap``; ``public_sources``, default all; groups chosen
    by the same hash of ``seed``): rows no head was fitted on. Then at most ``public_cap`` per source, seeded.
    ``also_held_out_under``: more ``(seed, fractions)`` a compared model was trained with; a row is kept only
    where it is held out under every one (the labeled rows in ``split``, the public rows in validation), so
    neither model is scored on its own training rows. (Before ``relevance@44`` the public sample was drawn from
    the whole pool, about 85% of it training rows, which rewarded memorisation.)"""
    from pathlib import Path

    from brandfit.data import assign_splits, load_accounts, load_labeled

    splits = [(seed, tuple(fractions)), *[(int(s), tuple(f)) for s, f in also_held_out_under]]
    splits = list(dict.fromkeys(splits))
    sets: dict[str, pd.DataFrame] = {}
    skipped: list[str] = []
    if labeled:
        present = [p for p in labeled if Path(p).exists()]
        if present:
            frame = load_labeled(present).frame
            acc: dict[str, str] = {}
            if accounts and Path(accounts).exists():
                acc = dict(zip(*load_accounts(accounts)[["account_id", "topic"]].T.values))
            keep = np.ones(len(frame), dtype=bool)
            for sd, fr in splits:
                keep &= np.asarray(assign_splits(frame, fractions=fr, seed=sd, account_topics=acc)) == split
            part = frame[keep]
            if len(part):
                sets[split] = part[["text", "topic", "promo"]].reset_index(drop=True)
            else:
                skipped.append(f"labeled data: no row is in the {split} split under every compared model's split")
        else:
            skipped.append(f"labeled data not found ({', '.join(labeled)})")
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

    def evaluate(source: str, idx: np.ndarray, what: str) -> None:
        part = everything.iloc[idx]
        kept = curves if keep_curves else None
        if what == "topic":
            got = _topic_values(source, part, idx, out_a, out_b, rng, n_bootstrap, topic_index, kept)
        else:
            got = _promo_values(source, part, idx, out_a, out_b, rng, n_bootstrap, kept)
        if got is None:
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
    return Comparison(model_a.version, model_b.version, rows, n_bootstrap, list(skipped), curves)


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
