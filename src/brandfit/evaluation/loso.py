"""Leave-one-source-out (LOSO) evaluation: train on every source but one, score the one left out.

Sources are our labeled data (``ours``) and each public corpus (:mod:`brandfit.evaluation.public`). A topic
source is held out from the topic head's training, a promo source from the promo head's; ``ours`` carries both
labels. A candidate never sees a row of the source it is scored on, so the figures say how a design generalises
to text nobody tuned it on - the question the independent benchmark asks.

Each text is embedded once per normalisation variant (``emoji``: the current normalisation; ``raw``:
v1, emoji kept as characters) with the onnx backend - the serving default - and cached on disk outside the
repository (``$BRANDFIT_EXP_CACHE`` or ``~/.cache/brandfit-exp``), keyed by the normalised text.

Per held-out source: topic macro AP (over the topics present in it), top-1 accuracy and ECE; promo AP, F1 at the
threshold chosen on the training sources' grouped validation split (never on the held-out source) and a binary
ECE. :func:`run_loso` returns one row per (candidate, source).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from brandfit.topics import TOPICS

logger = logging.getLogger(__name__)

__all__ = ["LosoData", "Candidate", "source_weights", "validation_mask", "binary_ece", "load_sources",
           "embed_cached", "build_data", "platt_by_source", "apply_platt", "floored", "capped", "production_candidate", "cross_source_candidates", "mean_f1_threshold", "choose_threshold", "shortcut_probe", "fit_topic_model", "fit_promo_model", "run_loso", "format_table", "CANDIDATES", "cache_dir"]

OURS = "ours"
VARIANTS = ("emoji", "raw")


def cache_dir() -> Path:
    return Path(os.environ.get("BRANDFIT_EXP_CACHE") or Path.home() / ".cache" / "brandfit-exp")


# ----------------------------------------------------------------------------------------- pure helpers


def one_label_sources(sources: Sequence[str], labels: Sequence[Any]) -> set[str]:
    """The sources among ``sources`` whose rows (``labels``, one per row) all carry the same label."""
    src = np.asarray(sources, dtype=object)
    lab = [str(x) for x in labels]  # one spelling per label: 1, 1.0 and "1" differ only if the caller mixes them
    if len(lab) != len(src):
        raise ValueError(f"labels: expected {len(src)} (one per row), got {len(lab)}")
    seen: dict[str, set[str]] = {}
    for s_, l_ in zip(src.tolist(), lab):
        seen.setdefault(str(s_), set()).add(l_)
    return {s_ for s_, ls in seen.items() if len(ls) == 1}


def source_weights(sources: Sequence[str], *, mode: str = "equal", power: float = 1.0,
                   fixed: dict[str, float] | None = None, labels: Sequence[Any] | None = None,
                   one_label_weight: float = 1.0, balance_labels: bool = False) -> np.ndarray:
    """Per-row sample weights that keep any one source from swamping the rest.

    ``mode="none"``: every row 1. ``mode="equal"``: each source's rows share the same total weight (a source of
    ``n`` rows gets ``(N / S) / n`` per row; with ``power`` < 1 the equalisation is partial: ``∝ n ** -power``).
    ``fixed`` multiplies a source's weight (e.g. ``{"ours": 2.0}``). With ``labels`` (one per row), a source whose
    rows all carry the same label (:func:`one_label_sources`) is multiplied by ``one_label_weight``: it has nothing
    to contrast, so a head learns its *style* as that label (Reddit cycling posts: "a Reddit help question" ->
    sports). ``balance_labels`` (with ``labels``): inside each source, every label gets the same share of the
    source's weight, so no source's style leans towards its majority label. Weights are rescaled to mean 1; if
    the one-label factor would zero every row, it is not applied.
    """
    src = np.asarray(sources, dtype=object)
    w = np.ones(len(src), dtype=np.float64)
    if not one_label_weight >= 0:  # also refuses NaN
        raise ValueError(f"one_label_weight: must be >= 0, got {one_label_weight}")
    if labels is not None and len(labels) != len(src):
        raise ValueError(f"labels: expected {len(src)} (one per row), got {len(labels)}")
    if len(src) == 0:
        return w
    if mode not in ("none", "equal"):
        raise ValueError(f"mode: expected 'none' or 'equal', got {mode!r}")
    names, inverse, counts = np.unique(src, return_inverse=True, return_counts=True)
    if mode == "equal":
        w = counts[inverse].astype(np.float64) ** -power
    if fixed:
        w = w * np.array([fixed.get(str(n), 1.0) for n in names])[inverse]
    if labels is not None and balance_labels:
        lab = [str(x) for x in labels]
        cells = np.array([f"{a}\x00{b}" for a, b in zip(inverse, lab)], dtype=object)
        _, cell_inv, cell_n = np.unique(cells, return_inverse=True, return_counts=True)
        labels_of: dict[int, set[str]] = {}
        for i, l_ in zip(inverse.tolist(), lab):
            labels_of.setdefault(i, set()).add(l_)
        n_labels = np.array([len(labels_of[i]) for i in range(len(names))])
        w = w * (counts[inverse] / (n_labels[inverse] * cell_n[cell_inv]))  # each (source, label) cell: equal share
    if labels is not None and one_label_weight != 1.0:
        alone = one_label_sources(src, labels)
        factor = np.array([one_label_weight if str(n) in alone else 1.0 for n in names])[inverse]
        if (w * factor).sum() > 0:  # else every weighted row would vanish: nothing to down-weight against
            w = w * factor
    return w * (len(w) / w.sum())


def validation_mask(groups: Sequence[Any], *, fraction: float = 0.15, salt: str = "val") -> np.ndarray:
    """Deterministic grouped split: a group goes to validation when the hash of its id falls under ``fraction``."""
    out = np.zeros(len(groups), dtype=bool)
    cache: dict[Any, bool] = {}
    for i, g in enumerate(groups):
        v = cache.get(g)
        if v is None:
            h = hashlib.sha256(f"{salt}:{g}".encode()).digest()
            v = cache[g] = int.from_bytes(h[:4], "big") / 2**32 < fraction
        out[i] = v
    return out


def binary_ece(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error of probabilities ``p`` for binary labels ``y`` (equal-width bins)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if len(y) == 0:
        return float("nan")
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    return float(sum((bins == b).mean() * abs(y[bins == b].mean() - p[bins == b].mean())
                     for b in range(n_bins) if (bins == b).any()))


def platt_by_source(p: np.ndarray, y: np.ndarray, sources: Sequence[str]) -> tuple[float, float]:
    """Platt scaling ``(a, b)`` of ``logit(p)``, every source's validation rows weighted equally."""
    from brandfit.brand import fit_calibration

    z = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1))
    src = np.asarray(sources, dtype=object)
    names = np.unique(src)
    return fit_calibration([z[src == n] for n in names], [np.asarray(y, bool)[src == n] for n in names])


def apply_platt(p: np.ndarray, ab: tuple[float, float]) -> np.ndarray:
    z = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1))
    return 1 / (1 + np.exp(-(ab[0] * z + ab[1])))


def mean_f1_threshold(y: np.ndarray, p: np.ndarray, sources: Sequence[str], *, smooth: int = 0) -> float:
    """The threshold maximising the mean over sources of each source's F1 (sources without both labels skipped),
    so no one source's base rate or score scale decides the operating point for all.

    Thresholds are tried on a grid of 197 quantiles of ``p``. ``smooth`` > 0 averages the mean-F1 curve over
    ``2 * smooth + 1`` neighbouring grid points (scaled down when tied scores shrink the grid) before taking its
    maximum: the curve is jagged (a few validation rows move it), and a lone spike should not set the operating
    point."""
    y = np.asarray(y, dtype=bool)
    p = np.asarray(p, dtype=float)
    src = np.asarray(sources, dtype=object)
    groups = [m for m in (src == s for s in np.unique(src)) if y[m].any() and (~y[m]).any()]
    if not groups:
        return 0.5
    grid = np.unique(np.quantile(p, np.linspace(0.01, 0.99, 197)))
    curve = np.zeros(len(grid))
    for i, t in enumerate(grid):
        f1s = []
        for m in groups:
            pred, yy = p[m] >= t, y[m]
            tp = float((pred & yy).sum())
            f1s.append(2 * tp / max(pred.sum() + yy.sum(), 1))
        curve[i] = float(np.mean(f1s))
    # the window is ``smooth`` points of a full 197-point grid; tied scores shrink the grid, and the window with it.
    # The curve's ends are padded with their end values, so every point is averaged over a full window. A grid too
    # small for one window (heavily tied scores) keeps the raw curve.
    k = int(round(smooth * len(grid) / 197))
    if k > 0 and len(grid) >= 2 * k + 1:
        padded = np.pad(curve, k, mode="edge")
        curve = np.convolve(padded, np.full(2 * k + 1, 1.0 / (2 * k + 1)), mode="valid")
    return float(grid[int(np.argmax(curve))])  # ties: the lowest threshold


THRESHOLD_SMOOTHING = 20  # grid points either side for the "mean_f1_smooth" rule (+-10% of the validation rows)


def choose_threshold(rule: str, y: np.ndarray, p: np.ndarray, sources: Sequence[str]) -> float:
    """The promo threshold by ``rule`` (``brandfit.config.PROMO_THRESHOLDS``) on validation labels and scores:
    ``mean_f1`` / ``mean_f1_smooth`` (:func:`mean_f1_threshold`, raw or smoothed) or ``pooled`` (best F1 of all rows)."""
    from brandfit.evaluation.metrics import best_f1_threshold

    y = np.asarray(y, dtype=bool)
    if not y.any():
        return 0.5
    if rule == "mean_f1":
        return mean_f1_threshold(y, p, sources)
    if rule == "mean_f1_smooth":
        return mean_f1_threshold(y, p, sources, smooth=THRESHOLD_SMOOTHING)
    if rule == "pooled":
        return best_f1_threshold(y, p)
    raise ValueError(f"unknown promo threshold rule {rule!r}")


# ---------------------------------------------------------------------------------------------- data


def load_sources(base: Path | None = None, public_root: Path | None = None, *, cap: int | None = 2500,
                 data: Sequence[str] = ("data/labeled/texts",)) -> pd.DataFrame:
    """``text, source, topic, promo, group``: our labeled data (source ``ours``, group = account) + public corpora."""
    from brandfit.data import load_labeled
    from brandfit.evaluation.public import load_public

    base = base or Path.cwd()
    labeled = load_labeled([p if Path(p).is_absolute() else base / p for p in data])
    ours = labeled.frame
    ours = pd.DataFrame({"text": ours["text"], "source": OURS, "topic": ours["topic"],
                         "promo": ours["promo"].astype(object),
                         "group": OURS + ":" + ours.get("account_id", pd.Series(range(len(ours)))).astype(str)})
    public = load_public(public_root, cap=cap)
    if public.empty:
        logger.warning("public corpora not found: LOSO runs on data/labeled alone (nothing to hold out)")
    return pd.concat([ours, public], ignore_index=True)


def _texts_key(texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:20]


def embed_cached(texts: Sequence[str], embedder: Any, *, tag: str, directory: Path | None = None) -> np.ndarray:
    """Embed already-normalised ``texts``, reusing ``<cache>/<tag>-<sha>.npy`` and a per-text store.

    The per-text store (``<cache>/<tag>-store.npz``) means a second variant only embeds the texts that differ.
    """
    directory = directory or cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / f"{tag}-{_texts_key(texts)}.npy"
    if key.exists():
        return np.load(key)
    store_path = directory / f"{embedder.name.replace('/', '_')}-store.npz"
    store: dict[str, np.ndarray] = {}
    if store_path.exists():
        with np.load(store_path, allow_pickle=False) as z:
            store = dict(zip(z["texts"].tolist(), z["emb"]))
    todo = sorted({t for t in texts if t not in store})
    if todo:
        t0 = time.perf_counter()
        logger.info("embedding %d new texts with %s", len(todo), embedder.name)
        vecs = embedder.encode(todo, show_progress_bar=False)
        store.update(zip(todo, vecs))
        logger.info("embedded %d texts in %.1f s", len(todo), time.perf_counter() - t0)
        names = list(store)
        tmp = store_path.with_name(f"{store_path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, texts=np.array(names, dtype=object).astype(str), emb=np.stack([store[n] for n in names]))
        os.replace(tmp, store_path)  # atomic: a concurrent reader sees the old or the new store, never half
    out = np.stack([store[t] for t in texts]).astype(np.float32)
    tmp_key = key.with_name(f"{key.stem}.{os.getpid()}.tmp.npy")
    np.save(tmp_key, out)
    os.replace(tmp_key, key)
    return out


@dataclass
class LosoData:
    """Everything a candidate may read: the frame, embeddings per variant, descriptions, cues, validation mask."""

    frame: pd.DataFrame
    emb: dict[str, np.ndarray]
    norm: dict[str, list[str]]
    desc_emb: np.ndarray
    desc_topic: np.ndarray
    cues: np.ndarray  # (n, n_cues + 1) cue matrix and log count, as features.promo_features builds it
    val: np.ndarray
    promo_desc: np.ndarray = field(default_factory=lambda: np.zeros((0, 384), np.float32))
    organic_desc: np.ndarray = field(default_factory=lambda: np.zeros((0, 384), np.float32))
    desc_templates: tuple[str, ...] = ("{}",)  # the framings desc_emb was embedded with (topics.PHRASE_TEMPLATES)
    paid: np.ndarray | None = None  # (n,) bool: the text carries a paid disclosure (brandfit.disclosure); None = unknown
    qualified: np.ndarray | None = None  # (n,) bool: the qualifier ceiling holds it (cue_qualifiers.held_under_ceiling)

    def sims(self, variant: str, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        return self.sims_of(self.emb[variant][rows])

    def sims_of(self, e: np.ndarray) -> np.ndarray:
        s = e @ self.desc_emb.T
        out = np.full((len(e), len(TOPICS)), -1.0, dtype=np.float32)
        for t in range(len(TOPICS)):
            out[:, t] = s[:, self.desc_topic == t].max(axis=1)
        return out


def augmented_rows(frame: pd.DataFrame, *, per_source: int = 300, seed: int = 0) -> pd.DataFrame:
    """Decorated copies (:func:`brandfit.text.augment.decorate`) of up to ``per_source`` not-promo texts of every
    promo-labelled source, labelled not promo, same source and group, ``augmented=True`` (never scored)."""
    from brandfit.text.augment import decorate

    neg = frame[frame["promo"].notna() & (frame["promo"] == False)]  # noqa: E712 - object column
    parts = [g.sample(n=min(len(g), per_source), random_state=seed) for _, g in neg.groupby("source", sort=True)]
    if not parts:
        return frame.iloc[:0]
    picked = pd.concat(parts)
    return picked.assign(text=decorate(picked["text"].tolist(), seed=seed), topic=None, augmented=True)


def build_data(frame: pd.DataFrame, embedder: Any | None = None, *, variants: Sequence[str] = VARIANTS,
               augment: int = 300, templates: Sequence[str] | None = None) -> LosoData:
    """Embed every text (per variant, cached), find its cues, and embed the topic descriptions framed by
    ``templates`` as production does (:func:`brandfit.features.embed_phrases`; default
    :data:`brandfit.topics.PHRASE_TEMPLATES`; ``("{}",)`` = as written). The zero-shot candidate reads the same
    description embeddings as production's prior."""
    from brandfit.cue_qualifiers import held_under_ceiling
    from brandfit.cues import find_cues
    from brandfit.disclosure import paid_disclosure
    from brandfit.evaluation.baselines import ORGANIC_DESCRIPTIONS, PROMO_DESCRIPTIONS
    from brandfit.features import cue_features, embed_phrases
    from brandfit.text import normalize
    from brandfit.topics import PHRASE_TEMPLATES, TOPIC_DESCRIPTIONS

    if embedder is None:
        from brandfit.embedding import get_embedder

        embedder = get_embedder("onnx")
    frame = frame.reset_index(drop=True).assign(augmented=False)
    if augment:
        frame = pd.concat([frame, augmented_rows(frame, per_source=augment)], ignore_index=True)
    texts = frame["text"].tolist()
    norm, emb = {}, {}
    for v in variants:
        norm[v] = [normalize(t, emoji_words=(v == "emoji"), senses=(v == "emoji"), names=(v == "emoji")) for t in texts]
        emb[v] = embed_cached(norm[v], embedder, tag=f"{v}-{embedder.name.replace('/', '_')}")
    d_texts, d_topic = [], []
    for t, topic in enumerate(TOPICS):
        for d in TOPIC_DESCRIPTIONS[topic]:
            d_texts.append(d)
            d_topic.append(t)
    desc_templates = tuple(PHRASE_TEMPLATES if templates is None else templates)
    t0 = time.perf_counter()
    found = find_cues(texts)
    cues = cue_features(found)
    logger.info("cues for %d texts in %.1f s", len(texts), time.perf_counter() - t0)
    return LosoData(
        frame=frame, emb=emb, norm=norm,
        desc_emb=embed_phrases(lambda x: embedder.encode(x, show_progress_bar=False), d_texts, desc_templates),
        desc_templates=desc_templates,
        desc_topic=np.array(d_topic),
        cues=cues, val=validation_mask(frame["group"].tolist()), paid=paid_disclosure(texts),
        qualified=np.fromiter((held_under_ceiling(c, t) for c, t in zip(found, texts)), dtype=bool, count=len(found)),
        promo_desc=embedder.encode(list(PROMO_DESCRIPTIONS), show_progress_bar=False),
        organic_desc=embedder.encode(list(ORGANIC_DESCRIPTIONS), show_progress_bar=False),
    )


# ------------------------------------------------------------------------------------------ candidates

# A candidate fits on rows ``fit`` (weights ``w``) and returns probabilities for rows ``out``:
# topic -> (len(out), 6); promo -> (len(out),).
FitPredict = Callable[[LosoData, str, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Candidate:
    name: str
    fit_predict: FitPredict
    weighting: str = "equal"  # source weighting of the training rows (see source_weights)
    weight_power: float = 1.0
    fixed_weights: tuple[tuple[str, float], ...] = ()
    one_label_weight: float = 1.0  # topic: weight of a source whose rows all carry one label (see source_weights)
    balance_labels: bool = False  # topic: every label of a source gets the same share of its weight
    promo_ours_weight: float = 1.0  # promo: x this on the weight of data/labeled (TrainConfig.promo.ours_weight)
    trained: bool = True
    calibrate_promo: bool = False  # Platt-scale promo probabilities on the validation rows (each source equal)
    augment: bool = False  # train the promo head on decorated not-promo copies too (text.augment)
    threshold: str = "pooled"  # promo threshold: best F1 on the pooled validation rows, or "mean_f1" across sources
    disclosure_floor: float = 0.0  # promo: a paid disclosure lifts the probability to at least this (after calibration)
    qualifier_ceiling: float = 0.0  # promo: cues all explained away by a qualifier hold it to at most this (after it)

    def weights(self, d: LosoData, task: str, rows: np.ndarray) -> np.ndarray:
        """The sample weights of ``rows`` for ``task``, as this candidate's recipe asks (the same call everywhere)."""
        src = d.frame["source"].to_numpy()[rows]
        if task == "promo" and self.promo_ours_weight != 1.0:
            fixed = dict(self.fixed_weights)
            fixed[OURS] = fixed.get(OURS, 1.0) * self.promo_ours_weight
            return source_weights(src, mode=self.weighting, power=self.weight_power, fixed=fixed)
        if task != "topic" or (self.one_label_weight == 1.0 and not self.balance_labels):
            return source_weights(src, mode=self.weighting, power=self.weight_power, fixed=dict(self.fixed_weights))
        return source_weights(src, mode=self.weighting, power=self.weight_power, fixed=dict(self.fixed_weights),
                              labels=_labels(d, task, rows), one_label_weight=self.one_label_weight,
                              balance_labels=self.balance_labels)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _lr(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float, *, balanced: bool = True):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None)
    clf.fit(x, y, sample_weight=w)
    return clf


def _topic_proba(clf: Any, x: np.ndarray, offset: np.ndarray | None = None, temperature: float = 1.0) -> np.ndarray:
    z = np.full((x.shape[0], len(TOPICS)), -1e3)
    z[:, clf.classes_] = clf.decision_function(x) if len(clf.classes_) > 2 else np.c_[-clf.decision_function(x) / 2,
                                                                                        clf.decision_function(x) / 2]
    if offset is not None:
        z = z + offset
    return _softmax(z / temperature)


def _fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    from brandfit.heads import fit_temperature

    return fit_temperature(logits, y)


def zero_shot(temperature: float = 0.05, variant: str = "emoji") -> FitPredict:
    def fp(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        if task == "topic":
            return _softmax(d.sims(variant, out) / temperature)
        e = d.emb[variant][out]
        diff = (e @ d.promo_desc.T).max(axis=1) - (e @ d.organic_desc.T).max(axis=1)
        return 1 / (1 + np.exp(-diff / temperature))
    return fp


def tfidf_lr(c: float = 10.0, variant: str = "emoji") -> FitPredict:
    def fp(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_union

        vec = make_union(
            TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=200_000),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True, max_features=200_000),
        )
        texts = d.norm[variant]
        x_fit = vec.fit_transform([texts[i] for i in fit])
        x_out = vec.transform([texts[i] for i in out])
        y = _labels(d, task, fit)
        clf = _lr(x_fit, y, w, c)
        if task == "topic":
            return _topic_proba(clf, x_out)
        return clf.predict_proba(x_out)[:, 1]
    return fp


def lexical_lr(*, n_buckets: int = 1 << 17, topic_c: float = 10.0, promo_c: float = 10.0,
               variant: str = "emoji") -> FitPredict:
    """The lexical head as it ships (:mod:`brandfit.lexical`): hashed word and character n-grams, idf of the fit
    rows, class-balanced logistic regressions. Topic -> probabilities; promo -> probabilities (uncalibrated)."""
    def fp(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        from brandfit.lexical import document_frequency, idf_from, to_csr

        texts = d.norm[variant]
        idf = idf_from(*document_frequency([texts[i] for i in fit], n_buckets))
        x_fit = to_csr([texts[i] for i in fit], n_buckets=n_buckets, idf=idf)
        x_out = to_csr([texts[i] for i in out], n_buckets=n_buckets, idf=idf)
        clf = _lr(x_fit, _labels(d, task, fit), w, topic_c if task == "topic" else promo_c)
        return _topic_proba(clf, x_out) if task == "topic" else clf.predict_proba(x_out)[:, 1]
    return fp


def lexical_prior(a: FitPredict, weight: float, *, n_buckets: int = 1 << 17, variant: str = "emoji") -> FitPredict:
    """Topic: ``softmax(log p_a + weight x n-gram cosine to each topic's written descriptions)``, idf of the fit
    rows (``topic.lexical_prior``: ``brandfit train`` adds it to the mix before the mix's temperature, which
    these candidates do not fit); promo: ``a`` unchanged."""
    def fp(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        from brandfit.heads import softmax
        from brandfit.lexical import document_frequency, idf_from, topic_match
        from brandfit.text import normalize
        from brandfit.topics import TOPIC_DESCRIPTIONS

        p = a(d, task, fit, w, out)
        if task != "topic" or weight <= 0:
            return p
        texts = d.norm[variant]
        idf = idf_from(*document_frequency([texts[i] for i in fit], n_buckets))
        v = variant == "emoji"  # the descriptions normalised the way the variant's texts were
        phrases = [normalize(x, emoji_words=v, senses=v, names=v) for t in TOPICS for x in TOPIC_DESCRIPTIONS[t]]
        match = topic_match([texts[i] for i in out], phrases, d.desc_topic, len(TOPICS), idf=idf)
        return softmax(np.log(np.clip(p, 1e-12, None)) + weight * match, axis=1)
    return fp


def memo(fp: FitPredict) -> FitPredict:
    """``fp`` computed once per (task, fit rows, weights, out rows): candidates that share a member share its fit."""
    seen: dict[str, np.ndarray] = {}

    def wrapped(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        key = task + hashlib.sha1(b"".join(np.ascontiguousarray(a).tobytes() for a in (fit, w, out))).hexdigest()
        if key not in seen:
            seen[key] = fp(d, task, fit, w, out)
        return seen[key]
    return wrapped


def mixed(a: FitPredict, b: FitPredict, topic_weight: float, promo_weight: float) -> FitPredict:
    """``(1 - weight) : weight`` mix of two candidates per task, as a model with a lexical head mixes its heads:
    topic probabilities averaged, promo logits averaged (then calibrated and thresholded like any candidate)."""
    def fp(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        weight_b = topic_weight if task == "topic" else promo_weight
        if weight_b == 0:
            return a(d, task, fit, w, out)
        pa, pb = a(d, task, fit, w, out), b(d, task, fit, w, out)
        if task == "topic":
            return (1 - weight_b) * pa + weight_b * pb
        la, lb = (np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1)) for p in (pa, pb))
        return 1 / (1 + np.exp(-((1 - weight_b) * la + weight_b * lb)))
    return fp


def promo_boosted(a: FitPredict, b: FitPredict, boost: float) -> FitPredict:
    """Promo: ``a``'s logit plus ``boost`` x ``max(b's logit, 0)``, as a model with ``lexical.promo_boost`` adds the
    confidently promotional part of its lexical logit (then calibrated and thresholded like any candidate);
    topic: ``a``."""
    def fp(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        pa = a(d, task, fit, w, out)
        if task == "topic" or boost == 0:
            return pa
        la, lb = (np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1)) for p in (pa, b(d, task, fit, w, out)))
        return 1 / (1 + np.exp(-(la + boost * np.maximum(lb, 0.0))))
    return fp


def caption_promo(a: FitPredict, weight: float, *, c: float = 10.0, n_buckets: int = 1 << 17,
                  variant: str = "emoji", positive_only: bool = False, floor: float | None = None) -> FitPredict:
    """Promo: ``a``'s logit plus ``weight`` x the logit of a lexical layer fitted on the fit rows of ``ours`` alone
    (class-balanced, C ``c``), as a model with ``promo.caption_weight`` adds it; ``a`` unchanged for topic or when no
    row of ``ours`` is among the fit rows. The idf is that of the fit rows that are not decorated copies, as in
    ``brandfit train``, whose idf also counts the rows labelled for topic only.
    ``positive_only``: only the layer's positive part; ``floor``: the layer's logit clipped from below at ``floor``
    (both measured, not shipped)."""
    def fp(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        from brandfit.lexical import document_frequency, idf_from, to_csr

        pa = a(d, task, fit, w, out)
        f = d.frame
        ours = fit[(f["source"].to_numpy()[fit] == OURS) & ~f["augmented"].to_numpy(dtype=bool)[fit]]
        if task == "topic" or weight == 0 or len(ours) == 0:
            return pa
        y = _labels(d, task, ours)
        if len(np.unique(y)) < 2:
            return pa
        texts = d.norm[variant]
        plain = fit[~f["augmented"].to_numpy(dtype=bool)[fit]]
        idf = idf_from(*document_frequency([texts[i] for i in plain], n_buckets))
        clf = _lr(to_csr([texts[i] for i in ours], n_buckets=n_buckets, idf=idf), y, np.ones(len(ours)), c)
        lb = clf.decision_function(to_csr([texts[i] for i in out], n_buckets=n_buckets, idf=idf))
        la = np.log(np.clip(pa, 1e-6, 1 - 1e-6) / np.clip(1 - pa, 1e-6, 1))
        if positive_only:
            lb = np.maximum(lb, 0.0)
        if floor is not None:
            lb = np.maximum(lb, floor)
        return 1 / (1 + np.exp(-(la + weight * lb)))
    return fp


def caption_topic(a: FitPredict, weight: float, *, c: float = 10.0, n_buckets: int = 1 << 17,
                  variant: str = "emoji") -> FitPredict:
    """Topic: ``softmax(log p_a + weight x the logits of a lexical layer fitted on the fit rows of ``ours`` alone)``
    (class-balanced multinomial, C ``c``; a topic it never saw gets 0), as a model with ``topic.caption_weight``
    adds it; ``a`` unchanged for promo or when no row of ``ours`` is among the fit rows. Close to, not the same as,
    ``brandfit train``: the topic fit rows here include the validation groups, the idf is that of the topic fit rows
    that are not decorated copies (training's counts the promo-only rows too), and no mix temperature is fitted."""
    def fp(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        from brandfit.lexical import document_frequency, idf_from, to_csr

        pa = a(d, task, fit, w, out)
        f = d.frame
        aug = f["augmented"].to_numpy(dtype=bool)
        ours = fit[(f["source"].to_numpy()[fit] == OURS) & ~aug[fit]]
        if task != "topic" or weight == 0 or len(ours) == 0:
            return pa
        y = _labels(d, task, ours)
        if len(np.unique(y)) < 3:
            return pa
        texts = d.norm[variant]
        plain = fit[~aug[fit]]
        idf = idf_from(*document_frequency([texts[i] for i in plain], n_buckets))
        clf = _lr(to_csr([texts[i] for i in ours], n_buckets=n_buckets, idf=idf), y, np.ones(len(ours)), c)
        z = np.zeros((len(out), len(TOPICS)))
        z[:, clf.classes_] = clf.decision_function(to_csr([texts[i] for i in out], n_buckets=n_buckets, idf=idf))
        return _softmax(np.log(np.clip(pa, 1e-12, None)) + weight * z)
    return fp


def geometric(a: FitPredict, b: FitPredict, share: float) -> FitPredict:
    """Topic: ``a``'s probabilities and ``b``'s mixed geometrically (:func:`brandfit.features.geometric_mix`), as
    a model with ``topic.zero_shot_share`` does; promo: ``a`` alone."""
    from brandfit.features import geometric_mix

    def fp(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        pa = a(d, task, fit, w, out)
        return geometric_mix(pa, b(d, task, fit, w, out), share) if task == "topic" else pa
    return fp


def neighbours(a: FitPredict, share: float, *, k: int = 100, temperature: float = 0.02,
               variant: str = "emoji") -> FitPredict:
    """Topic: ``a``'s probabilities mixed geometrically (``share``) with the vote of the ``k`` nearest fit rows of
    ``ours`` (:class:`brandfit.neighbours.NeighbourIndex`), as a model with ``topic.neighbours`` does after its
    temperature; ``a`` alone for promo, or when no fit row of ``ours`` has a topic label (``ours`` held out)."""
    from brandfit.features import geometric_mix
    from brandfit.neighbours import NeighbourIndex

    def fp(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        pa = a(d, task, fit, w, out)
        if task != "topic" or share <= 0:
            return pa
        f = d.frame
        mine = fit[(f["source"].to_numpy()[fit] == OURS) & ~f["augmented"].to_numpy(dtype=bool)[fit]
                   & f["topic"].notna().to_numpy()[fit]]
        if not len(mine):
            return pa
        index = NeighbourIndex(d.emb[variant][mine], _labels(d, "topic", mine))
        return geometric_mix(pa, index.proba(d.emb[variant][out], k=k, temperature=temperature), share)
    return fp


def names_prior(a: FitPredict, weight: float, *, skip: Sequence[str] | None = None,
                variant: str = "emoji") -> FitPredict:
    """Topic: ``a``'s probabilities with ``weight`` added to the log probability of every vertical a held-out text
    names (:func:`brandfit.names_prior.with_names_prior` on the normalised text), last, as a model with
    ``topic.names_prior`` does; promo: ``a`` unchanged."""
    from brandfit.names_prior import PHRASE_ALIASES, with_names_prior
    from brandfit.text import NORMALIZATION_VERSION

    skip = PHRASE_ALIASES if skip is None else skip  # as TopicConfig's default

    def fp(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        p = a(d, task, fit, w, out)
        if task != "topic" or weight <= 0 or variant != "emoji":  # the raw variant's texts carry no glosses
            return p
        texts, raw = d.norm[variant], d.frame["text"].to_numpy()
        return with_names_prior(p, [raw[i] for i in out], [texts[i] for i in out], weight,
                                version=NORMALIZATION_VERSION, skip=skip)
    return fp


def _labels(d: LosoData, task: str, rows: np.ndarray) -> np.ndarray:
    if task == "topic":
        return np.array([TOPICS.index(t) for t in d.frame["topic"].to_numpy()[rows]])
    return d.frame["promo"].to_numpy()[rows].astype(bool).astype(int)


def linear(*, variant: str = "emoji", topic_c: float = 2.0, promo_c: float = 1.0, desc_scale: float = 0.0,
           description_weight: float = 0.0, prior_weight: float = 0.0, cue_scale: float = 0.0,
           temperature: bool = False, hidden: int = 0, topic_balanced: bool = True,
           source_intercepts: float = 0.0) -> FitPredict:
    """The production family: embedding (+ description similarities, descriptions as examples, a zero-shot prior)
    for topic; embedding (+ cue columns x ``cue_scale``) for promo. ``hidden`` > 0: an MLP head instead."""

    def topic_x(d: LosoData, rows: np.ndarray | slice) -> np.ndarray:
        e = d.emb[variant][rows]
        if desc_scale <= 0:
            return e
        return np.hstack([e, desc_scale * d.sims(variant, rows)])

    def fp(d: LosoData, task: str, fit: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        if task == "promo":
            predict_promo = fit_promo_model(d, fit, w, variant=variant, promo_c=promo_c, cue_scale=cue_scale,
                                            hidden=hidden)
            return predict_promo(d.emb[variant][out], d.cues[out])
        predict = fit_topic_model(d, fit, w, variant=variant, topic_c=topic_c, desc_scale=desc_scale,
                                  description_weight=description_weight, prior_weight=prior_weight,
                                  temperature=temperature, hidden=hidden, balanced=topic_balanced,
                                  source_intercepts=source_intercepts)
        return predict(d.emb[variant][out])

    return fp


def fit_promo_model(d: LosoData, fit: np.ndarray, w: np.ndarray, *, variant: str = "emoji", promo_c: float = 1.0,
                    cue_scale: float = 0.0, hidden: int = 0) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Fit the promo head on rows ``fit``; return ``predict(embeddings, cue_rows) -> (n,) probabilities``."""
    y = _labels(d, "promo", fit)

    def px(e: np.ndarray, cues: np.ndarray) -> np.ndarray:
        return np.hstack([e, cue_scale * cues]) if cue_scale > 0 else e

    if hidden:
        from sklearn.neural_network import MLPClassifier

        clf = MLPClassifier((hidden,), alpha=1e-2, max_iter=200, early_stopping=True, random_state=0)
        clf.fit(px(d.emb[variant][fit], d.cues[fit]), y)
    else:
        clf = _lr(px(d.emb[variant][fit], d.cues[fit]), y, w, promo_c)

    def predict(e: np.ndarray, cues: np.ndarray) -> np.ndarray:
        return clf.predict_proba(px(e, cues))[:, 1]
    return predict


SHORTCUTS = {"mention": "{} @jess.miller", "hashtag": "{} #sundayvibes", "link": "{} https://example.org/p/4821",
             "all three": "{} @jess.miller #sundayvibes https://example.org/p/4821"}


def shortcut_probe(d: LosoData, embedder: Any, *, variant: str = "emoji", promo_c: float = 1.0,
                   cue_scale: float = 0.0, n: int = 600, seed: int = 0, augment: bool = False
                   ) -> dict[str, dict[str, float]]:
    """Does the promo head read a plain @mention, hashtag or link as an ad?

    Fits the promo head on every promo source, takes ``n`` texts labelled NOT promo (any source), appends a
    neutral mention / hashtag / link, and reports the mean rise in promo probability and the share of texts
    that cross the head's 0.5 line only because of the addition.
    """
    from brandfit.cues import find_cues
    from brandfit.features import cue_features
    from brandfit.text import normalize

    f = d.frame
    aug = f["augmented"].to_numpy(dtype=bool) if "augmented" in f else np.zeros(len(f), dtype=bool)
    has = f["promo"].notna().to_numpy() & ~aug
    rows = np.flatnonzero(has | (aug if augment else False))
    predict = fit_promo_model(d, rows, source_weights(f["source"].to_numpy()[rows]), variant=variant,
                              promo_c=promo_c, cue_scale=cue_scale)
    neg = np.flatnonzero(has & (f["promo"].to_numpy() == False))  # noqa: E712 - object column
    pick = np.random.default_rng(seed).choice(neg, size=min(n, len(neg)), replace=False)
    texts = f["text"].to_numpy()[pick].tolist()
    base = predict(d.emb[variant][pick], d.cues[pick])
    out = {}
    for name, fmt in SHORTCUTS.items():
        aug = [fmt.format(t) for t in texts]
        e = embed_cached([normalize(t, emoji_words=(variant == "emoji"), senses=(variant == "emoji"), names=(variant == "emoji")) for t in aug], embedder, tag=f"probe-{variant}")
        p = predict(e, cue_features(find_cues(aug)))
        out[name] = {"mean_rise": float((p - base).mean()), "flipped": float(((p >= 0.5) & (base < 0.5)).mean())}
    return out


def fit_topic_model(d: LosoData, fit: np.ndarray, w: np.ndarray, *, variant: str = "emoji", topic_c: float = 2.0,
                    desc_scale: float = 0.0, description_weight: float = 0.0, prior_weight: float = 0.0,
                    temperature: bool = False, hidden: int = 0, balanced: bool = True,
                    source_intercepts: float = 0.0) -> Callable[[np.ndarray], np.ndarray]:
    """Fit the topic head on rows ``fit`` and return ``predict(embeddings) -> (n, 6) probabilities``
    (``source_intercepts`` > 0: one column per training source while fitting, :func:`brandfit.heads.fit_group_debiased`)."""
    y = _labels(d, "topic", fit)
    va = fit[d.val[fit]] if temperature else fit[:0]
    if len(va):  # the temperature is fitted on validation groups the head did not see
        keep = ~d.val[fit]
        fit, w = fit[keep], w[keep]
        y = _labels(d, "topic", fit)

    def topic_x(e: np.ndarray) -> np.ndarray:
        return e if desc_scale <= 0 else np.hstack([e, desc_scale * d.sims_of(e)])

    x_fit = topic_x(d.emb[variant][fit])
    groups = d.frame["source"].to_numpy()[fit].astype(object)
    if description_weight > 0:
        x_fit = np.vstack([x_fit, topic_x(d.desc_emb)])
        y = np.concatenate([y, d.desc_topic])
        w = np.concatenate([w, np.full(len(d.desc_emb), description_weight)])
        groups = np.concatenate([groups, np.full(len(d.desc_emb), "", dtype=object)])
    if hidden:
        from sklearn.neural_network import MLPClassifier

        mlp = MLPClassifier((hidden,), alpha=1e-2, max_iter=200, early_stopping=True, random_state=0)
        mlp.fit(x_fit, y)

        def predict_mlp(e: np.ndarray) -> np.ndarray:
            p = np.zeros((len(e), len(TOPICS)))
            p[:, mlp.classes_] = mlp.predict_proba(topic_x(e))
            return p
        return predict_mlp
    if source_intercepts > 0:
        from brandfit.heads import fit_group_debiased

        clf = fit_group_debiased(x_fit, y, c=topic_c, seed=None, sample_weight=w, groups=groups,
                                 group_scale=source_intercepts, balanced=balanced, max_iter=2000)
    else:
        clf = _lr(x_fit, y, w, topic_c, balanced=balanced)

    def prior(e: np.ndarray) -> np.ndarray | None:
        return (prior_weight / 0.05) * d.sims_of(e) if prior_weight > 0 else None

    t = 1.0
    if len(va):
        e_va = d.emb[variant][va]
        z = np.log(np.clip(_topic_proba(clf, topic_x(e_va), prior(e_va)), 1e-12, None))
        t = _fit_temperature(z, _labels(d, "topic", va))

    def predict(e: np.ndarray) -> np.ndarray:
        return _topic_proba(clf, topic_x(e), prior(e), t)
    return predict


def _desc_self_sims(d: LosoData) -> np.ndarray:
    s = d.desc_emb @ d.desc_emb.T
    return np.stack([s[:, d.desc_topic == t].max(axis=1) for t in range(len(TOPICS))], axis=1)


# ------------------------------------------------------------------------------------------------ run


def _topic_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import average_precision_score

    from brandfit.evaluation.metrics import expected_calibration_error

    aps = [average_precision_score(y == i, p[:, i]) for i in range(len(TOPICS)) if (y == i).any() and (y != i).any()]
    return {"n": len(y), "macro_ap": float(np.mean(aps)) if aps else float("nan"),
            "top1": float((p.argmax(axis=1) == y).mean()), "ece": expected_calibration_error(p, y)}


def _promo_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    from brandfit.evaluation.metrics import promo_report

    r = promo_report(y, p, threshold)
    return {"n": len(y), "ap": r["ap"], "f1": r["f1"], "threshold": threshold, "ece": binary_ece(y, p)}


def floored(p: np.ndarray, d: LosoData, rows: np.ndarray, floor: float) -> np.ndarray:
    """``p`` of ``rows`` lifted to ``floor`` where the text carries a paid disclosure, as the model does. The promo
    threshold is chosen before, on the heads' own scores, as ``brandfit train`` does."""
    if d.paid is None:
        raise ValueError("disclosure_floor: this LosoData holds no paid-disclosure flags (build it with build_data)")
    return np.where(d.paid[rows], np.maximum(p, floor), p)


def capped(p: np.ndarray, d: LosoData, rows: np.ndarray, ceiling: float) -> np.ndarray:
    """``p`` of ``rows`` held to ``ceiling`` where a qualifier explains every cue of the text away, as the model
    does (:func:`brandfit.cue_qualifiers.held_under_ceiling`); like :func:`floored`, after the threshold is chosen."""
    if d.qualified is None:
        raise ValueError("qualifier_ceiling: this LosoData holds no qualifier flags (build it with build_data)")
    return np.where(d.qualified[rows], np.minimum(p, ceiling), p)


def run_loso(d: LosoData, candidates: Sequence[Candidate], *, sources: Sequence[str] | None = None,
             tasks: Sequence[str] = ("topic", "promo"), emoji_subsets: bool = False) -> pd.DataFrame:
    """One row per (candidate, held-out source, task) with the main figures (``emoji_subsets``: also the held-out
    rows whose text carries emoji, as ``"<source> [emoji rows]"``)."""
    f = d.frame
    src = f["source"].to_numpy()
    rows = []
    emoji_rows = (np.array([a != b for a, b in zip(d.norm["emoji"], d.norm["raw"])])
                  if emoji_subsets and "emoji" in d.norm and "raw" in d.norm else None)
    aug = f["augmented"].to_numpy(dtype=bool) if "augmented" in f else np.zeros(len(f), dtype=bool)
    for task in tasks:
        has = f[task].notna().to_numpy() & ~aug
        held = [s for s in dict.fromkeys(src[has]) if sources is None or s in sources]
        for s in held:
            train_rows = np.flatnonzero(has & (src != s))
            train_aug = np.flatnonzero(f[task].notna().to_numpy() & aug & (src != s))
            test_rows = np.flatnonzero(has & (src == s))
            if len(test_rows) == 0 or len(np.unique(src[train_rows])) == 0:
                continue
            y_test = _labels(d, task, test_rows)
            plain_train = train_rows
            for c in candidates:
                t0 = time.perf_counter()
                # decorated copies join the training rows (never the validation rows) for candidates that ask
                train_rows = np.concatenate([plain_train, train_aug[~d.val[train_aug]]]) if c.augment else plain_train
                w_all = c.weights(d, task, train_rows)
                if task == "promo":
                    # fit without the validation groups, choose the threshold on them, then report
                    fit_mask = ~d.val[train_rows]
                    fit_rows, va_rows = train_rows[fit_mask], train_rows[~fit_mask]
                    p_both = c.fit_predict(d, task, fit_rows, w_all[fit_mask] * (fit_mask.sum() / w_all[fit_mask].sum()),
                                           np.concatenate([va_rows, test_rows]))
                    p_va, p_te = p_both[:len(va_rows)], p_both[len(va_rows):]
                    y_va = _labels(d, task, va_rows)
                    if c.calibrate_promo:
                        ab = platt_by_source(p_va, y_va, src[va_rows])
                        p_va, p_te = apply_platt(p_va, ab), apply_platt(p_te, ab)
                    thr = choose_threshold(c.threshold, y_va, p_va, src[va_rows])
                    if c.disclosure_floor > 0:  # a rule on top of the scores the threshold was chosen on
                        p_te = floored(p_te, d, test_rows, c.disclosure_floor)
                    if c.qualifier_ceiling > 0:  # so is the ceiling
                        p_te = capped(p_te, d, test_rows, c.qualifier_ceiling)
                    m = _promo_metrics(y_test, p_te, thr)
                else:
                    p_te = c.fit_predict(d, task, train_rows, w_all, test_rows)
                    m = _topic_metrics(y_test, p_te)
                rows.append({"candidate": c.name, "task": task, "source": s, **m,
                             "seconds": round(time.perf_counter() - t0, 1)})
                if emoji_rows is not None:  # the same predictions, on the held-out rows that carry emoji
                    sub = emoji_rows[test_rows]
                    y_sub = y_test[sub]
                    if sub.sum() >= 30 and len(np.unique(y_sub)) > 1:
                        p_sub = p_te[sub]
                        ms = _promo_metrics(y_sub, p_sub, m["threshold"]) if task == "promo" else \
                            _topic_metrics(y_sub, p_sub)
                        rows.append({"candidate": c.name, "task": task, "source": f"{s} [emoji rows]", **ms,
                                     "seconds": 0.0})
                logger.info("%s %s %s: %s", task, s, c.name,
                            {k: round(v, 3) for k, v in m.items() if isinstance(v, float)})
    return pd.DataFrame(rows)


def format_table(res: pd.DataFrame, *, value: str | None = None) -> str:
    """Markdown: one row per (task, source), one column per candidate, the main figure(s) per cell."""
    lines = []
    for task, figs in (("topic", ("macro_ap", "top1")), ("promo", ("ap", "f1"))):
        sub = res[res["task"] == task]
        if sub.empty:
            continue
        cands = list(dict.fromkeys(sub["candidate"]))
        lines.append(f"\n**{task}** (cells: {' / '.join(figs)})\n")
        lines.append("| held-out source | n | " + " | ".join(cands) + " |")
        lines.append("|---|---:|" + "---:|" * len(cands))
        for s, g in sub.groupby("source", sort=False):
            cells = []
            for c in cands:
                r = g[g["candidate"] == c]
                if r.empty:
                    cells.append("–")
                    continue
                r = r.iloc[0]
                cells.append(" / ".join("–" if pd.isna(r[k]) else f"{r[k]:.3f}" for k in figs))
            lines.append(f"| {s} | {int(g['n'].iloc[0])} | " + " | ".join(cells) + " |")
        mean = sub.groupby("candidate", sort=False)[list(figs)].mean()
        lines.append("| **mean** | | " + " | ".join(
            " / ".join(f"{mean.loc[c, k]:.3f}" for k in figs) for c in cands) + " |")
    return "\n".join(lines)


def production_candidate(config: Any, name: str = "production") -> Candidate:
    """The recipe of a :class:`brandfit.config.TrainConfig` (what ``brandfit train`` fits) as a LOSO candidate."""
    fp = linear(variant="emoji", topic_c=config.topic.c, promo_c=config.promo.c, desc_scale=config.topic.desc_scale,
                description_weight=config.topic.description_weight, prior_weight=config.topic.prior_weight,
                cue_scale=config.promo.cue_scale, temperature=True, topic_balanced=config.topic.balanced,
                source_intercepts=getattr(config.topic, "source_intercepts", 0.0))
    lex = config.lexical
    if lex.on:
        lf = memo(lexical_lr(n_buckets=lex.n_buckets, topic_c=lex.topic_c, promo_c=lex.promo_c))
        fp = mixed(fp, lf, lex.topic_weight, lex.promo_weight)
        if getattr(lex, "promo_boost", 0.0) > 0 and lex.promo_weight > 0:
            fp = promo_boosted(fp, lf, lex.promo_boost)
        if getattr(config.promo, "caption_weight", 0.0) > 0 and lex.promo_weight > 0:
            fp = caption_promo(fp, config.promo.caption_weight, c=config.promo.caption_c, n_buckets=lex.n_buckets)
    if getattr(config.topic, "zero_shot_share", 0.0) > 0:
        fp = geometric(fp, zero_shot(), config.topic.zero_shot_share)
    if lex.on and getattr(config.topic, "lexical_prior", 0.0) > 0:
        fp = lexical_prior(fp, config.topic.lexical_prior, n_buckets=lex.n_buckets)
    if lex.on and lex.topic_weight > 0 and getattr(config.topic, "caption_weight", 0.0) > 0:
        fp = caption_topic(fp, config.topic.caption_weight, c=config.topic.caption_c, n_buckets=lex.n_buckets)
    if getattr(config.topic, "neighbours", 0.0) > 0:
        fp = neighbours(fp, config.topic.neighbours, k=config.topic.neighbours_k,
                        temperature=config.topic.neighbours_temperature)
    if getattr(config.topic, "names_prior", 0.0) > 0:
        fp = names_prior(fp, config.topic.names_prior, skip=getattr(config.topic, "names_prior_skip", ()))
    return Candidate(
        name,
        fp,
        weighting="equal" if config.source_weighting == "equal" else "none",
        augment=config.promo.augment > 0, threshold=config.promo.threshold, calibrate_promo=config.promo.calibrate,
        one_label_weight=getattr(config.topic, "one_label_weight", 1.0),
        promo_ours_weight=getattr(config.promo, "ours_weight", 1.0),
        disclosure_floor=getattr(config.promo, "disclosure_floor", 0.0),
        qualifier_ceiling=getattr(config.promo, "qualifier_ceiling", 0.0),
    )


def cross_source_candidates(config: Any) -> list[Candidate]:
    """The production recipe and the baselines, trained the same way (same sources, same source weighting,
    same validation rows and threshold rule): zero-shot, TF-IDF + LR, MiniLM + LR."""
    weighting = "equal" if config.source_weighting == "equal" else "none"
    return [
        production_candidate(config),
        Candidate("zero_shot", zero_shot(), trained=False, threshold=config.promo.threshold),
        Candidate("tfidf_lr", tfidf_lr(), weighting=weighting, threshold=config.promo.threshold),
        Candidate("minilm_lr", linear(), weighting=weighting, threshold=config.promo.threshold),
    ]


CANDIDATES: dict[str, Callable[[], Candidate]] = {
    "zero_shot": lambda: Candidate("zero_shot", zero_shot(), trained=False),
    "tfidf_lr": lambda: Candidate("tfidf_lr", tfidf_lr(), weighting="none"),
    "minilm_lr": lambda: Candidate("minilm_lr", linear(), weighting="none"),
    "production_v1": lambda: Candidate("production_v1", linear(variant="raw", desc_scale=4.0, description_weight=3.0,
                                                                cue_scale=1.0, temperature=True), weighting="none"),
}
