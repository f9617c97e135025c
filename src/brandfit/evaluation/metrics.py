"""Quality figures for the two heads: per-topic precision/recall/F1/AP, calibration, promo P/R/F1/AP."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from brandfit.topics import TOPICS

__all__ = ["topic_report", "promo_report", "expected_calibration_error", "best_f1_threshold"]


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, n_bins: int = 10) -> float:
    """ECE of the top-1 prediction: mean |accuracy - confidence| over equal-width confidence bins."""
    if len(y) == 0:
        return float("nan")
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(float)
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(ece)


def topic_report(y_true: Sequence[str], proba: np.ndarray, topics: Sequence[str] = TOPICS) -> dict[str, Any]:
    """Per-topic and macro figures for a ``(n, len(topics))`` probability matrix."""
    from sklearn.metrics import average_precision_score, confusion_matrix, precision_recall_fscore_support

    index = {t: i for i, t in enumerate(topics)}
    y = np.array([index[t] for t in y_true], dtype=int)
    pred = proba.argmax(axis=1)
    p, r, f, support = precision_recall_fscore_support(y, pred, labels=range(len(topics)), zero_division=0)
    per_topic: dict[str, dict[str, float]] = {}
    aps = []
    for i, t in enumerate(topics):
        pos = y == i
        ap = float(average_precision_score(pos, proba[:, i])) if pos.any() and (~pos).any() else float("nan")
        if not np.isnan(ap):
            aps.append(ap)
        per_topic[t] = {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "ap": ap,
                        "support": int(support[i])}
    present = [i for i in range(len(topics)) if support[i] > 0]
    return {
        "n": int(len(y)),
        "accuracy": float((pred == y).mean()) if len(y) else float("nan"),
        "macro_precision": float(np.mean([p[i] for i in present])) if present else float("nan"),
        "macro_recall": float(np.mean([r[i] for i in present])) if present else float("nan"),
        "macro_f1": float(np.mean([f[i] for i in present])) if present else float("nan"),
        "macro_ap": float(np.mean(aps)) if aps else float("nan"),
        "ece": expected_calibration_error(proba, y),
        "per_topic": per_topic,
        "confusion": confusion_matrix(y, pred, labels=range(len(topics))).tolist(),
        "labels": list(topics),
    }


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability threshold that maximises F1 on ``(y, p)`` (ties: the higher threshold)."""
    from sklearn.metrics import precision_recall_curve

    prec, rec, thr = precision_recall_curve(y.astype(int), p)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0.0)[:-1]
    if len(thr) == 0:
        return 0.5
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)[-1]
    return float(thr[best])


def promo_report(y: Sequence[bool], p: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall, F1 at ``threshold`` and average precision of promo probabilities."""
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support

    yy = np.asarray(y, dtype=bool)
    pred = p >= threshold
    pr, rc, f1, _ = precision_recall_fscore_support(yy, pred, average="binary", zero_division=0)
    both = yy.any() and (~yy).any()
    return {
        "n": int(len(yy)),
        "positives": int(yy.sum()),
        "threshold": float(threshold),
        "precision": float(pr),
        "recall": float(rc),
        "f1": float(f1),
        "ap": float(average_precision_score(yy, p)) if both else float("nan"),
    }
