"""Linear heads stored as plain arrays: fitted with scikit-learn, applied with numpy.

Nothing is pickled: a head is its coefficient matrix and intercepts (saved in an ``.npz`` read with
``allow_pickle=False``) plus a temperature for calibration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SoftmaxHead", "LogisticHead", "fit_softmax_head", "fit_logistic_head", "fit_temperature", "group_columns",
           "refit_intercepts", "fit_group_debiased"]


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


def group_columns(groups: np.ndarray, scale: float) -> np.ndarray:
    """One column per distinct non-empty group (sorted), ``scale`` in a row's own group's column, 0 elsewhere; a row
    whose group is ``""`` gets zeros. Fitted beside the features, these let each group's label shares go to its own
    intercept instead of to the feature weights (:func:`fit_softmax_head`'s ``groups``)."""
    groups = np.asarray(groups, dtype=object)
    names = sorted({str(g) for g in groups if g != ""})
    col = {g: i for i, g in enumerate(names)}
    out = np.zeros((len(groups), len(names)), dtype=np.float64)
    rows = [i for i, g in enumerate(groups) if g != ""]
    out[rows, [col[str(groups[i])] for i in rows]] = scale
    return out


def refit_intercepts(z0: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, init: np.ndarray) -> np.ndarray:
    """The class intercepts ``b`` maximising the weighted log-likelihood of ``y`` (column indices of ``z0``) under
    ``softmax(z0 + b)``: the label shares of the rows as a whole, with the other weights held fixed."""
    from scipy.optimize import minimize  # training only

    idx = np.arange(len(y))
    w = np.asarray(sample_weight, dtype=np.float64)

    def nll(b: np.ndarray) -> tuple[float, np.ndarray]:
        z = z0 + b
        z = z - z.max(axis=1, keepdims=True)
        lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        g = np.exp(lp)
        g[idx, y] -= 1
        return float(-(w * lp[idx, y]).sum()), (w[:, None] * g).sum(axis=0)

    return minimize(nll, np.asarray(init, dtype=np.float64).copy(), jac=True, method="L-BFGS-B").x


def fit_group_debiased(x: np.ndarray, y: np.ndarray, *, c: float, seed: int | None, sample_weight: np.ndarray | None,
                       groups: np.ndarray | None, group_scale: float, balanced: bool = False, max_iter: int = 3000):
    """A scikit-learn multinomial ``LogisticRegression`` on ``x``; with ``groups`` and ``group_scale`` > 0 it is fitted
    on ``x`` plus :func:`group_columns`, those columns' weights are then dropped (a prediction sees zeros) and the
    class intercepts refitted (:func:`refit_intercepts`) on the same rows, so the pooled label shares are kept while
    what told one group from another no longer passes through the feature weights. Returns the fitted estimator,
    whose ``coef_`` has ``x``'s columns only."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=max_iter, random_state=seed, class_weight="balanced" if balanced else None)
    if groups is None or group_scale <= 0 or len(np.unique(y)) < 3:  # the refit below is for a multinomial head
        clf.fit(x, y, sample_weight=sample_weight)
        return clf
    sample_weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    g = group_columns(groups, group_scale)
    clf.fit(np.hstack([x, g]), y, sample_weight=sample_weight)
    clf.coef_ = np.ascontiguousarray(clf.coef_[:, : x.shape[1]])
    clf.n_features_in_ = x.shape[1]
    if balanced:  # the refit must weigh rows as the fit did
        from sklearn.utils.class_weight import compute_sample_weight

        sample_weight = sample_weight * compute_sample_weight("balanced", y)
    clf.intercept_ = refit_intercepts(x @ clf.coef_.T, np.searchsorted(clf.classes_, y), sample_weight,
                                      clf.intercept_)
    return clf


def fit_softmax_head(x: np.ndarray, y: np.ndarray, n_classes: int, *, c: float, seed: int,
                     sample_weight: np.ndarray | None = None, balanced: bool = True,
                     groups: np.ndarray | None = None, group_scale: float = 0.0) -> SoftmaxHead:
    """A softmax head on ``x``; ``groups`` / ``group_scale``: see :func:`fit_group_debiased`."""
    clf = fit_group_debiased(x, y, c=c, seed=seed, sample_weight=sample_weight, groups=groups,
                             group_scale=group_scale, balanced=balanced)
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
