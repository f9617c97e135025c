"""Find likely label errors, near-duplicates and outliers in labeled texts (``brandfit data audit``).

Label errors follow confident learning (Northcutt, Jiang & Chuang, 2021): out-of-sample class probabilities
are the average of three views: a logistic regression on the texts' sentence embeddings and one on their hashed
word and character n-grams (:mod:`brandfit.lexical`), each cross-validated over ``folds`` stratified folds, and
the label shares among each text's ``neighbours`` nearest other texts; a text is flagged when some other class's probability clears that class's own threshold (the mean
probability the class gets on texts labeled with it) and beats every other class doing so, i.e. when the
text sits off the diagonal of the *confident joint*. Flagged texts are ranked by self-confidence (the
probability of the given label, lowest first). When ``cleanlab`` is installed (``pip install
brandfit[audit]``) its ``cleanlab.filter.find_label_issues`` is used instead of the built-in rule on the same
probabilities; ``method="builtin"`` forces the built-in one.

The topic label (six classes) and the promo flag (two) are audited separately and merged into one ranking.
Near-duplicates are pairs whose embeddings' cosine similarity exceeds ``dup_threshold``; outliers are the
texts whose ``k`` nearest neighbours are farthest away (lowest mean cosine).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from brandfit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AuditResult", "audit_labels", "cross_val_proba", "confident_learning_issues", "fit_logreg"]

logger = logging.getLogger(__name__)


class _Encoder(Protocol):
    def encode(self, texts: list[str], *, show_progress_bar: bool | None = None) -> np.ndarray: ...


# ------------------------------------------------------------------------- logistic regression (numpy)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def fit_logreg(x: np.ndarray, y: np.ndarray, n_classes: int, *, l2: float = 1e-3, iterations: int = 300
               ) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression with an L2 penalty, fitted by accelerated gradient descent (numpy only:
    usable where scikit-learn is not). Classes are weighted to equal total weight. Returns ``(coef, bias)``."""
    n, d = x.shape
    y_onehot = np.eye(n_classes)[y]
    counts = np.maximum(y_onehot.sum(axis=0), 1.0)
    w_sample = (n / (n_classes * counts))[y] / n
    # step size 1/L, L bounding the gradient's Lipschitz constant: 0.5 * largest eigenvalue of X'WX + l2
    xb = _with_bias(x)
    v = np.ones(d + 1) / np.sqrt(d + 1)
    for _ in range(30):
        v = xb.T @ (w_sample * (xb @ v))
        v /= np.linalg.norm(v)
    lipschitz = 0.5 * float(v @ (xb.T @ (w_sample * (xb @ v)))) + l2
    step = 1.0 / lipschitz
    theta = np.zeros((d + 1, n_classes))
    previous = theta
    for k in range(1, iterations + 1):
        look = theta + (k - 1) / (k + 2) * (theta - previous)
        grad = xb.T @ (w_sample[:, None] * (_softmax(xb @ look) - y_onehot))
        grad[:-1] += l2 * look[:-1]
        previous, theta = theta, look - step * grad
    return theta[:-1], theta[-1]


def _with_bias(x: Any) -> Any:
    """``x`` with a column of ones appended (a dense array or a scipy.sparse matrix, which stays sparse)."""
    if isinstance(x, np.ndarray):
        return np.hstack([x, np.ones((x.shape[0], 1))])
    from scipy.sparse import csr_matrix, hstack

    return hstack([x, csr_matrix(np.ones((x.shape[0], 1)))]).tocsr()


def lexical_features(texts: list[str], n_buckets: int = 1 << 16) -> Any:
    """The texts' hashed word and character n-grams (:mod:`brandfit.lexical`), tf-idf, as a sparse matrix: a view
    of the text that does not go through the sentence encoder."""
    from brandfit.lexical import document_frequency, idf_from, to_csr

    return to_csr(texts, n_buckets=n_buckets, idf=idf_from(*document_frequency(texts, n_buckets)))


def _folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """A stratified fold number for each row: each class's rows are shuffled and dealt round-robin."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=int)
    for cls in np.unique(y):
        idx = np.flatnonzero(y == cls)
        rng.shuffle(idx)
        fold[idx] = (np.arange(len(idx)) + rng.integers(k)) % k
    return fold


def cross_val_proba(x: Any, y: np.ndarray, n_classes: int, *, folds: int = 5, seed: int = 13,
                    l2: float = 1e-3) -> np.ndarray:
    """Out-of-fold class probabilities ``(n, n_classes)``: each row predicted by a model that never saw it.
    ``x`` is a dense array or a scipy.sparse matrix."""
    if folds < 2:
        raise InputError(f"folds: need at least 2, got {folds}")
    fold = _folds(y, folds, seed)
    out = np.zeros((len(y), n_classes))
    for f in range(folds):
        held = fold == f
        if not held.any():
            continue
        coef, bias = fit_logreg(x[~held], y[~held], n_classes, l2=l2)
        out[held] = _softmax(np.asarray(x[held] @ coef) + bias)
    return out


def knn_proba(emb: np.ndarray, labels: np.ndarray, n_classes: int, *, k: int = 20, block: int = 1024) -> np.ndarray:
    """Leave-one-out class shares among each row's ``k`` nearest other rows (cosine), smoothed towards uniform:
    ``(count + 1/n_classes * 3) / (k + 3)``. Out-of-sample by construction."""
    n = len(emb)
    k = max(1, min(k, n - 1))
    out = np.zeros((n, n_classes))
    for start in range(0, n, block):
        sims = emb[start:start + block] @ emb.T
        rows = np.arange(start, min(start + block, n))
        sims[rows - start, rows] = -np.inf
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        for c in range(n_classes):
            out[rows, c] = (labels[nearest] == c).sum(axis=1)
    return (out + 3.0 / n_classes) / (k + 3.0)


# ----------------------------------------------------------------------------------- confident learning


def confident_learning_issues(labels: np.ndarray, pred_probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(is_issue, suggested)``: the confident-learning rule (off-diagonal of the confident joint) and, for each
    text, the class it confidently belongs to (its own label when none clears a threshold)."""
    n_classes = pred_probs.shape[1]
    thresholds = np.array([pred_probs[labels == j, j].mean() if (labels == j).any() else 1.0
                           for j in range(n_classes)])
    above = pred_probs >= thresholds[None, :] - 1e-12
    masked = np.where(above, pred_probs, -1.0)
    confident = masked.argmax(axis=1)
    has_any = above.any(axis=1)
    suggested = np.where(has_any, confident, labels)
    return has_any & (confident != labels), suggested


def _find_issues(labels: np.ndarray, pred_probs: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray, str]:
    is_issue, suggested = confident_learning_issues(labels, pred_probs)
    if method in ("auto", "cleanlab"):
        try:
            from cleanlab.filter import find_label_issues
        except Exception as exc:  # not installed, or its scipy/sklearn stack unusable here
            if method == "cleanlab":
                from brandfit.errors import MissingExtraError

                raise MissingExtraError("method='cleanlab' needs cleanlab: pip install 'brandfit[audit]'") from exc
        else:
            flagged = find_label_issues(labels, pred_probs, filter_by="prune_by_noise_rate")
            other = pred_probs.copy()
            other[np.arange(len(labels)), labels] = -1.0
            suggested = np.where(flagged & ~is_issue, other.argmax(axis=1), suggested)
            return np.asarray(flagged, dtype=bool), suggested, "cleanlab"
    return is_issue, suggested, "builtin"


# ------------------------------------------------------------------------------------------ the audit


@dataclass
class AuditResult:
    """What :func:`audit_labels` found: ranked label issues, near-duplicate pairs and outliers (lists of dicts,
    ready for JSONL), plus the out-of-fold probabilities and the method used."""

    issues: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]
    outliers: list[dict[str, Any]]
    method: str
    n_texts: int
    proba: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def records(self) -> list[dict[str, Any]]:
        """Every finding as one JSONL-ready list: issues (ranked), then duplicates, then outliers."""
        return ([{"type": "label_issue", **r} for r in self.issues] + [{"type": "near_duplicate", **r}
                for r in self.duplicates] + [{"type": "outlier", **r} for r in self.outliers])


def _neighbours(emb: np.ndarray, dup_threshold: float, k: int, block: int = 1024
                ) -> tuple[list[tuple[int, int, float]], np.ndarray]:
    """Pairs with cosine > ``dup_threshold`` and each row's mean cosine to its ``k`` nearest other rows."""
    n = len(emb)
    pairs: list[tuple[int, int, float]] = []
    knn = np.zeros(n)
    k = max(1, min(k, n - 1))
    for start in range(0, n, block):
        sims = emb[start:start + block] @ emb.T
        rows = np.arange(start, min(start + block, n))
        sims[rows - start, rows] = -np.inf  # not its own neighbour
        top = np.partition(sims, -k, axis=1)[:, -k:]
        knn[rows] = top.mean(axis=1)
        r, c = np.nonzero(sims > dup_threshold)
        pairs += [(int(rows[i]), int(j), float(sims[i, j])) for i, j in zip(r, c) if rows[i] < j]
    return pairs, knn


def audit_labels(
    frame: pd.DataFrame,
    embedder: _Encoder,
    *,
    folds: int = 5,
    seed: int = 13,
    top: int | None = 100,
    dup_threshold: float = 0.95,
    n_outliers: int = 20,
    k: int = 10,
    neighbours: int = 20,
    method: str = "auto",
    embeddings: np.ndarray | None = None,
) -> AuditResult:
    """Audit ``frame`` (the labeled schema: ``id, text, topic, promo``) with vectors from ``embedder``.

    ``top`` caps the ranked label issues (None: all flagged); see the module docstring for the method.
    """
    from brandfit.text import normalize

    _check_audit_args(frame, folds, method)
    texts = frame["text"].astype(str).tolist()
    if embeddings is None:
        logger.info("embedding %d texts", len(texts))
        embeddings = np.asarray(embedder.encode([normalize(t) for t in texts]), dtype=np.float64)
    emb = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    ids = frame["id"].astype(str).tolist()

    issues, probas, used = _label_issues(frame, emb, ids, texts, folds=folds, seed=seed, neighbours=neighbours,
                                         method=method)
    if top is not None:
        issues = issues[:top]

    duplicates, outliers = _duplicates_and_outliers(frame, emb, ids, texts, dup_threshold=dup_threshold, k=k,
                                                    n_outliers=n_outliers)
    return AuditResult(issues=issues, duplicates=duplicates, outliers=outliers, method=used, n_texts=len(frame),
                       proba=probas)


def _check_audit_args(frame: pd.DataFrame, folds: int, method: str) -> None:
    """Raise :class:`InputError` for an unknown method, too few texts for the folds, or unknown topics."""
    from brandfit.topics import TOPICS

    if method not in ("auto", "cleanlab", "builtin"):
        raise InputError(f"method: expected auto, cleanlab or builtin, got {method!r}")
    if len(frame) < folds * 2:
        raise InputError(f"audit: {len(frame)} texts are too few for {folds}-fold cross-validation")
    unknown = sorted(set(frame["topic"]) - set(TOPICS))
    if unknown:
        raise InputError(f"audit: unknown topics {unknown}; expected {', '.join(TOPICS)}")


def _label_issues(frame: pd.DataFrame, emb: np.ndarray, ids: list[str], texts: list[str], *, folds: int,
                  seed: int, neighbours: int, method: str) -> tuple[list[dict[str, Any]], dict[str, np.ndarray], str]:
    """Flag likely label errors for the topic and promo fields; return ``(issues ranked, probas, method used)``."""
    from brandfit.topics import TOPICS

    tasks = {
        "topic": (np.array([TOPICS.index(t) for t in frame["topic"]]), list(TOPICS)),
        "promo": (frame["promo"].astype(bool).to_numpy().astype(int), [False, True]),
    }
    issues: list[dict[str, Any]] = []
    probas: dict[str, np.ndarray] = {}
    used = "builtin"
    from brandfit.text import normalize

    lexical = lexical_features([normalize(t) for t in texts])
    for name, (labels, classes) in tasks.items():
        if len(np.unique(labels)) < 2:
            logger.info("audit: every text has the same %s label; skipped", name)
            continue
        # three out-of-sample views averaged: a linear model on the embeddings (global), the labels of the nearest
        # texts (local) and a linear model on the words and character n-grams (what the encoder smooths over).
        # data/labeled (4,359 texts) with 50 flipped topics, four draws: 31/29/38/35 flips in the top 100 with the
        # first two views, 34/34/41/36 with all three
        proba = (cross_val_proba(emb, labels, len(classes), folds=folds, seed=seed)
                 + knn_proba(emb, labels, len(classes), k=neighbours)
                 + cross_val_proba(lexical, labels, len(classes), folds=folds, seed=seed, l2=1e-4)) / 3
        probas[name] = proba
        flagged, suggested, used = _find_issues(labels, proba, method)
        self_conf = proba[np.arange(len(labels)), labels]
        for i in np.flatnonzero(flagged):
            issues.append({
                "id": ids[i], "text": texts[i], "field": name, "given": classes[labels[i]],
                "suggested": classes[suggested[i]], "score": round(float(1.0 - self_conf[i]), 4),
                "p_suggested": round(float(proba[i, suggested[i]]), 4),
            })
    issues.sort(key=lambda r: (-r["score"], r["id"], r["field"]))
    for rank, row in enumerate(issues, start=1):
        row["rank"] = rank
    return issues, probas, used


def _duplicates_and_outliers(frame: pd.DataFrame, emb: np.ndarray, ids: list[str], texts: list[str], *,
                             dup_threshold: float, k: int, n_outliers: int) -> tuple[list[dict], list[dict]]:
    """Near-duplicate pairs (conflicting labels first) and the ``n_outliers`` most isolated texts."""
    pairs, knn = _neighbours(emb.astype(np.float32), dup_threshold, k)
    topic, promo = frame["topic"].tolist(), frame["promo"].astype(bool).tolist()
    duplicates = [
        {"id_a": ids[i], "id_b": ids[j], "cosine": round(s, 4), "text_a": texts[i], "text_b": texts[j],
         "same_labels": topic[i] == topic[j] and promo[i] == promo[j]}
        for i, j, s in sorted(pairs, key=lambda p: -p[2])
    ]
    duplicates.sort(key=lambda d: (d["same_labels"], -d["cosine"]))  # conflicting labels first
    order = np.argsort(knn, kind="mergesort")[:n_outliers]
    outliers = [{"id": ids[i], "text": texts[i], "topic": topic[i], "score": round(float(1.0 - knn[i]), 4)}
                for i in order]
    return duplicates, outliers
