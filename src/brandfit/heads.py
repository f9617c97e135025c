"""Linear heads stored as plain arrays: fitted with scikit-learn, applied with numpy.

Nothing is pickled: a head is its coefficient matrix and intercepts (saved in an ``.npz`` read with
``allow_pickle=False``) plus a temperature for calibration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SoftmaxHead", "LogisticHead", "fit_softmax_head", "fit_logistic_head", "fit_temperature"]


def softmax(z: np.ndarray, axis: int = 1) -> np.ndarray:
    """``scipy.special.softmax``'s arithmetic (max-shifted exp, then normalise) without importing scipy (~0.3 s)."""
    e = np.exp(z - np.amax(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic sigmoid, as ``scipy.special.expit`` computes it (the same float64 results on the CPUs
    measured), without importing scipy. Very negative inputs give 0 without an overflow warning."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class SoftmaxHead:
    """Multinomial logistic regression: ``softmax((X @ coef.T + intercept) / temperature)``."""

    coef: np.ndarray  # (n_classes, n_features)
    intercept: np.ndarray  # (n_classes,)
    temperature: float = 1.0

    def logits(self, x: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        """Calibrated logits; ``offset`` (n, n_classes) is a fixed prior added before the temperature."""
        if x.shape[1] != self.coef.shape[1]:
            raise ValueError(f"features: expected {self.coef.shape[1]} columns, got {x.shape[1]}")
        z = x @ self.coef.T + self.intercept
        if offset is not None:
            z = z + offset
        return z / self.temperature

    def proba(self, x: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        return softmax(self.logits(x, offset), axis=1)


@dataclass(frozen=True)
class LogisticHead:
    """Binary logistic regression: ``sigmoid(X @ coef + intercept)``."""

    coef: np.ndarray  # (n_features,)
    intercept: float

    def logit(self, x: np.ndarray) -> np.ndarray:
        if x.shape[1] != self.coef.shape[0]:
            raise ValueError(f"features: expected {self.coef.shape[0]} columns, got {x.shape[1]}")
        return x @ self.coef + self.intercept

    def proba(self, x: np.ndarray) -> np.ndarray:
        return expit(self.logit(x))


def fit_softmax_head(x: np.ndarray, y: np.ndarray, n_classes: int, *, c: float, seed: int,
                     sample_weight: np.ndarray | None = None, balanced: bool = True) -> SoftmaxHead:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=3000, random_state=seed, class_weight="balanced" if balanced else None)
    clf.fit(x, y, sample_weight=sample_weight)
    coef = np.zeros((n_classes, x.shape[1]), dtype=np.float64)
    intercept = np.full(n_classes, -1e3, dtype=np.float64)  # a class never seen in training gets ~0 probability
    coef[clf.classes_] = clf.coef_
    intercept[clf.classes_] = clf.intercept_
    return SoftmaxHead(coef=coef, intercept=intercept)


def fit_logistic_head(x: np.ndarray, y: np.ndarray, *, c: float, seed: int, balanced: bool = True,
                      sample_weight: np.ndarray | None = None) -> LogisticHead:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=3000, random_state=seed, class_weight="balanced" if balanced else None)
    clf.fit(x, y.astype(int), sample_weight=sample_weight)
    return LogisticHead(coef=clf.coef_[0].astype(np.float64), intercept=float(clf.intercept_[0]))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of held-out ``logits`` (temperature scaling)."""

    from scipy.special import log_softmax  # training only, like scipy.optimize below

    def nll(log_t: float) -> float:
        lp = log_softmax(logits / np.exp(log_t), axis=1)
        return float(-lp[np.arange(len(y)), y].mean())

    from scipy.optimize import minimize_scalar  # training only: keeps scipy.optimize out of inference imports

    res = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(res.x))
