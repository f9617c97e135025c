"""Per-source intercepts in the topic head (``topic.source_intercepts``, ``brandfit.heads.fit_group_debiased``):
a source's label shares go to its own column while fitting, so they are not learned as its style."""

from __future__ import annotations

import numpy as np
import pytest

from brandfit.heads import fit_group_debiased, fit_softmax_head, group_columns, refit_intercepts, softmax


def _sources_with_a_style(seed: int = 0, n: int = 3000):
    """Three classes decided by three content features; two sources whose *style* feature (column 3) tells them
    apart, and whose label shares differ a lot (source a: 80% class 0, source b: 80% class 2)."""
    rng = np.random.default_rng(seed)
    src = np.where(rng.random(n) < 0.5, "a", "b").astype(object)
    shares = {"a": [0.8, 0.1, 0.1], "b": [0.1, 0.1, 0.8]}
    y = np.array([rng.choice(3, p=shares[s]) for s in src])
    content = np.eye(3)[y] * 1.0 + rng.normal(0, 1.0, (n, 3))
    style = np.where(src == "a", 1.0, -1.0)[:, None] + rng.normal(0, 1.0, (n, 1))  # varies inside a source too
    return np.hstack([content, style]), y, src


def test_group_columns_one_column_per_named_group_and_zeros_for_none():
    g = group_columns(np.array(["b", "", "a", "b"], dtype=object), 2.0)
    assert g.tolist() == [[0, 2], [0, 0], [2, 0], [0, 2]]  # columns in sorted order: a, b


def test_refit_intercepts_recovers_the_weighted_label_shares():
    y = np.array([0, 0, 0, 1, 2, 2])
    w = np.array([1, 1, 2, 1, 1, 2], dtype=float)
    b = refit_intercepts(np.zeros((6, 3)), y, w, np.zeros(3))
    assert softmax(b[None])[0] == pytest.approx(np.bincount(y, weights=w) / w.sum(), abs=1e-4)


def test_the_style_of_a_source_no_longer_carries_its_label_shares():
    x, y, src = _sources_with_a_style()
    w = np.ones(len(y))
    plain = fit_group_debiased(x, y, c=2.0, seed=0, sample_weight=w, groups=None, group_scale=0.0)
    debiased = fit_group_debiased(x, y, c=2.0, seed=0, sample_weight=w, groups=src, group_scale=1.0)
    assert plain.coef_.shape == debiased.coef_.shape == (3, 4) and debiased.n_features_in_ == 4
    style_weight = lambda clf: np.ptp(clf.coef_[:, 3])  # noqa: E731 - how far the style column moves the classes
    assert style_weight(debiased) < 0.2 * style_weight(plain)
    # the content columns still decide: each class's own feature has its largest weight
    assert [int(np.argmax(debiased.coef_[:, k])) for k in range(3)] == [0, 1, 2]
    # the refitted intercepts keep the pooled label shares (the gradient of the refit is zero)
    p = debiased.predict_proba(x)
    assert p.mean(axis=0) == pytest.approx(np.bincount(y, minlength=3) / len(y), abs=1e-3)


def test_a_new_text_in_one_sources_style_is_read_by_its_content():
    """Text with weak class-1 content written in source a's style: the plain head leans to source a's majority class
    0 over source b's class 2, the debiased one treats the two alike (they are equally common overall)."""
    x, y, src = _sources_with_a_style(seed=1)
    w = np.ones(len(y))
    probe = np.array([[0.0, 1.0, 0.0, 1.0]])  # class-1 content, source a's style
    plain = fit_group_debiased(x, y, c=2.0, seed=0, sample_weight=w, groups=None, group_scale=0.0)
    debiased = fit_group_debiased(x, y, c=2.0, seed=0, sample_weight=w, groups=src, group_scale=1.0)
    pp, pd_ = plain.predict_proba(probe)[0], debiased.predict_proba(probe)[0]
    assert pp[0] - pp[2] > 0.25
    assert abs(pd_[0] - pd_[2]) < 0.1


def test_softmax_head_without_groups_is_unchanged_and_with_groups_has_the_features_shape():
    x, y, src = _sources_with_a_style(seed=2, n=600)
    a = fit_softmax_head(x, y, 4, c=2.0, seed=0, balanced=False)
    b = fit_softmax_head(x, y, 4, c=2.0, seed=0, balanced=False, groups=src, group_scale=0.0)
    np.testing.assert_array_equal(a.coef, b.coef)
    np.testing.assert_array_equal(a.intercept, b.intercept)
    c = fit_softmax_head(x, y, 4, c=2.0, seed=0, balanced=False, groups=src, group_scale=1.0)
    assert c.coef.shape == (4, 4) and c.intercept[3] == -1e3  # class 3 never seen: ~0 probability, as before
