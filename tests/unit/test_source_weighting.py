"""Source weighting, grouped validation, the cross-source threshold and the decorations (pure functions)."""

import numpy as np
import pytest

from brandfit.evaluation.loso import THRESHOLD_SMOOTHING, binary_ece, mean_f1_threshold, source_weights, validation_mask
from brandfit.text.augment import HASHTAGS, LINKS, MENTIONS, decorate


def test_equal_weighting_gives_every_source_the_same_total():
    src = ["a"] * 100 + ["b"] * 10 + ["c"] * 1
    w = source_weights(src, mode="equal")
    totals = {s: w[np.array(src) == s].sum() for s in "abc"}
    assert totals["a"] == pytest.approx(totals["b"]) == pytest.approx(totals["c"])
    assert w.mean() == pytest.approx(1.0)


def test_none_partial_and_fixed():
    src = ["a"] * 4 + ["b"]
    np.testing.assert_allclose(source_weights(src, mode="none"), 1.0)
    half = source_weights(src, mode="equal", power=0.5)
    assert half[0] < half[-1] and half[:4].sum() > half[-1]
    w = source_weights(src, mode="equal", fixed={"b": 2.0})
    assert w[-1] == pytest.approx(2 * w[:4].sum())
    with pytest.raises(ValueError):
        source_weights(src, mode="bogus")


def test_a_source_with_one_label_is_down_weighted():
    src = ["a"] * 4 + ["b"] * 4 + ["c"] * 2
    labels = [0, 1, 0, 1] + [2, 2, 2, 2] + [0, 3]
    plain = source_weights(src, mode="equal")
    w = source_weights(src, mode="equal", labels=labels, one_label_weight=0.1)
    s = np.array(src)
    assert w[s == "b"].sum() == pytest.approx(0.1 * w[s == "a"].sum())
    assert w[s == "a"].sum() == pytest.approx(w[s == "c"].sum())
    assert w.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(source_weights(src, mode="equal", labels=labels, one_label_weight=1.0), plain)
    np.testing.assert_allclose(source_weights(src, mode="equal", labels=labels), plain)  # the default changes nothing
    zero = source_weights(src, mode="equal", labels=labels, one_label_weight=0.0)
    assert (zero[s == "b"] == 0).all() and zero.mean() == pytest.approx(1.0)
    # when every source carries one label there is nothing to weigh against: the weights as they were, not a
    # division by zero (and not a reset that would undo the source weighting or a fixed 0)
    uneven = ["a", "a", "b"]
    np.testing.assert_allclose(source_weights(uneven, labels=[0, 0, 1], one_label_weight=0.0),
                               source_weights(uneven))
    w = source_weights(uneven, labels=[0, 0, 1], one_label_weight=0.0, fixed={"b": 0.0})
    assert w[2] == 0.0 and w.mean() == pytest.approx(1.0)
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="one_label_weight"):
            source_weights(src, labels=labels, one_label_weight=bad)
    with pytest.raises(ValueError, match="labels"):
        source_weights(src, labels=labels[:3], one_label_weight=0.5)
    with pytest.raises(ValueError, match="labels"):
        source_weights(src, labels=labels[:3], balance_labels=True)


def test_one_label_sources_and_balanced_labels():
    from brandfit.evaluation.loso import one_label_sources

    assert one_label_sources(["a", "a", "b", "b", "c"], [0, 1, "x", "x", 3]) == {"b", "c"}
    assert one_label_sources([], []) == set()
    src = ["a"] * 4 + ["b"] * 3
    w = source_weights(src, labels=[0, 0, 0, 1, 2, 2, 3], balance_labels=True)
    cells = [w[:3].sum(), w[3], w[4:6].sum(), w[6]]  # every (source, label) cell gets the same total here
    np.testing.assert_allclose(cells, cells[0])


def test_one_label_weight_is_checked_in_the_config():
    from brandfit.config import TopicConfig

    assert TopicConfig().one_label_weight == 0.1
    with pytest.raises(ValueError, match="one_label_weight"):
        TopicConfig(one_label_weight=1.5)


def test_validation_mask_is_grouped_and_deterministic():
    groups = [f"g{i // 5}" for i in range(5000)]
    m1, m2 = validation_mask(groups), validation_mask(groups)
    assert (m1 == m2).all()
    g = np.array(groups)
    for name in np.unique(g)[:50]:
        assert len(set(m1[g == name])) == 1
    assert 0.1 < m1.mean() < 0.2


def test_mean_f1_threshold_weighs_sources_equally():
    # source a (many rows) wants a high threshold, b (few rows) a low one; the mean-F1 rule must not ignore b
    y = np.r_[np.ones(500, bool), np.zeros(500, bool), np.ones(20, bool), np.zeros(20, bool)]
    p = np.r_[np.full(500, 0.9), np.full(500, 0.6), np.full(20, 0.5), np.full(20, 0.1)]
    src = ["a"] * 1000 + ["b"] * 40
    t = mean_f1_threshold(y, p, src)
    assert 0.6 < t <= 0.9 or t <= 0.5
    f1 = lambda yy, pp: 2 * (yy & pp).sum() / max(yy.sum() + pp.sum(), 1)  # noqa: E731
    s = np.array(src)
    mean = np.mean([f1(y[s == k], p[s == k] >= t) for k in "ab"])
    assert mean >= 0.8


def test_binary_ece():
    assert binary_ece(np.array([1, 0, 1, 0]), np.array([0.5, 0.5, 0.5, 0.5])) == pytest.approx(0.0)
    assert binary_ece(np.array([1, 1]), np.array([0.0, 0.0])) == pytest.approx(1.0)


def test_decorate_is_seeded_and_neutral():
    texts = [f"text {i}" for i in range(200)]
    a, b = decorate(texts, seed=3), decorate(texts, seed=3)
    assert a == b and a != decorate(texts, seed=4)
    assert all(x.startswith(t + " ") for x, t in zip(a, texts))
    pool = " ".join(MENTIONS + HASHTAGS + LINKS).lower()
    for bad in ("#ad", "#sponsored", "amzn.to", "bit.ly", "code", "shop"):
        assert bad not in pool.split()


def test_config_round_trips_through_a_model_config_dict():
    from brandfit.config import TrainConfig

    c = TrainConfig()
    d = c.to_dict()
    d["normalization_version"] = 2  # what train.py stores beside the config
    assert TrainConfig.from_dict(d) == c
    assert d["brand"] == {"vertical": 0.0, "contrast": 0.5, "negative_reduce": "max", "lexical": 0.5, "expand": 10}


def test_ours_promo_weight_multiplies_our_share_in_the_promo_rows_only():
    from types import SimpleNamespace

    from brandfit.config import PromoConfig, TrainConfig
    from brandfit.evaluation.loso import Candidate
    from brandfit.train import _promo_weights

    src = np.array(["ours"] * 4 + ["sms"] * 8 + ["yt"] * 2)
    config = TrainConfig(promo=PromoConfig(ours_weight=6.0))
    w = _promo_weights(SimpleNamespace(src=src), np.arange(len(src)), config)
    totals = {s: w[src == s].sum() for s in ("ours", "sms", "yt")}
    assert totals["ours"] == pytest.approx(6 * totals["sms"]) and totals["sms"] == pytest.approx(totals["yt"])
    assert w.mean() == pytest.approx(1.0)
    plain = _promo_weights(SimpleNamespace(src=src), np.arange(len(src)), TrainConfig(promo=PromoConfig(ours_weight=1.0)))
    np.testing.assert_allclose(plain, source_weights(src, mode="equal"))

    # the LOSO candidate weighs the same way, and only for promo
    import pandas as pd

    cand = Candidate("c", lambda *a: None, promo_ours_weight=6.0)
    d = SimpleNamespace(frame=pd.DataFrame({"source": src}))
    np.testing.assert_allclose(cand.weights(d, "promo", np.arange(len(src))), w)
    np.testing.assert_allclose(cand.weights(d, "topic", np.arange(len(src))), plain)


@pytest.mark.parametrize("bad", [0.0, -1.0, 21.0, True, float("nan"), "6"])
def test_ours_promo_weight_is_checked_in_the_config(bad):
    from brandfit.config import PromoConfig

    with pytest.raises(ValueError, match=r"ours_weight: expected a number in \(0, 20\]"):
        PromoConfig(ours_weight=bad)


def test_the_loso_production_candidate_weighs_our_data_as_training_does():
    from brandfit.config import PromoConfig, TrainConfig
    from brandfit.evaluation.loso import production_candidate

    assert production_candidate(TrainConfig()).promo_ours_weight == TrainConfig().promo.ours_weight == 6.0
    assert production_candidate(TrainConfig(promo=PromoConfig(ours_weight=2.5))).promo_ours_weight == 2.5


def test_smoothed_mean_f1_threshold_is_steadier_across_validation_draws():
    # the same score distribution drawn 40 times at validation size: the smoothed curve's maximum moves less than
    # the raw curve's, whose single best grid point jumps with a few rows (the threshold of relevance@35 vs @37)
    rng = np.random.default_rng(0)
    raw, smooth = [], []
    for _ in range(40):
        y = rng.random(300) < 0.3
        p = np.clip(np.where(y, rng.normal(0.62, 0.2, 300), rng.normal(0.35, 0.2, 300)), 0, 1)
        src = np.where(rng.random(300) < 0.5, "a", "b")
        raw.append(mean_f1_threshold(y, p, src))
        smooth.append(mean_f1_threshold(y, p, src, smooth=THRESHOLD_SMOOTHING))
    assert np.std(smooth) < np.std(raw)
    assert mean_f1_threshold(y, p, src, smooth=0) == raw[-1]


def test_choose_threshold_rules():
    from brandfit.config import PROMO_THRESHOLDS, PromoConfig
    from brandfit.evaluation.loso import choose_threshold

    y = np.r_[np.ones(50, bool), np.zeros(50, bool)]
    p = np.r_[np.linspace(0.5, 1.0, 50), np.linspace(0.0, 0.6, 50)]
    src = ["a", "b"] * 50
    assert set(PROMO_THRESHOLDS) == {"mean_f1", "mean_f1_smooth", "pooled"}  # "pooled" needs sklearn: not here
    for rule in ("mean_f1", "mean_f1_smooth"):
        assert 0.0 < choose_threshold(rule, y, p, src) < 1.0
        assert PromoConfig(threshold=rule).threshold == rule
    assert choose_threshold("mean_f1", np.zeros(100, bool), p, src) == 0.5  # no positive: nothing to choose on
    with pytest.raises(ValueError, match="unknown promo threshold rule"):
        choose_threshold("best", y, p, src)


def _old_mean_f1_threshold(y, p, src):
    """The rule before smoothing existed, written out: the best grid point of the raw mean-F1 curve."""
    groups = [src == s for s in np.unique(src)]
    grid = np.unique(np.quantile(p, np.linspace(0.01, 0.99, 197)))
    best, best_t = -1.0, 0.5
    for t in grid:
        f = np.mean([2 * ((p[m] >= t) & y[m]).sum() / max((p[m] >= t).sum() + y[m].sum(), 1) for m in groups])
        if f > best:
            best, best_t = f, float(t)
    return best_t


def test_smooth_zero_is_the_raw_rule():
    rng = np.random.default_rng(3)
    y = rng.random(400) < 0.4
    p = np.clip(np.where(y, rng.normal(0.6, 0.2, 400), rng.normal(0.4, 0.2, 400)), 0, 1)
    src = np.where(rng.random(400) < 0.5, "a", "b")
    assert mean_f1_threshold(y, p, src) == mean_f1_threshold(y, p, src, smooth=0) == _old_mean_f1_threshold(y, p, src)


def test_smoothing_falls_back_to_the_raw_curve_on_a_tiny_grid():
    # three distinct scores: the 197-quantile grid shrinks to a handful of points, too few for a window (a window
    # over the whole curve would tie everywhere and pick the lowest threshold, flagging every row)
    rng = np.random.default_rng(5)
    y = rng.random(600) < 0.5
    p = np.where(y, rng.choice([0.5, 0.8], 600, p=[0.3, 0.7]), rng.choice([0.2, 0.5], 600, p=[0.7, 0.3]))
    src = np.array(["a", "b"] * 300)
    assert len(np.unique(np.quantile(p, np.linspace(0.01, 0.99, 197)))) < 2 * THRESHOLD_SMOOTHING + 1
    raw = mean_f1_threshold(y, p, src)
    assert mean_f1_threshold(y, p, src, smooth=THRESHOLD_SMOOTHING) == raw
    assert raw > p.min()
