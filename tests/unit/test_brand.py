"""brand.py on small synthetic arrays (no model)."""

import numpy as np
import pytest

from brandfit.brand import brand_relevance, brand_score, brand_topic_proba, fit_calibration


def _unit(x):
    x = np.asarray(x, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_plain_cosine_when_no_extras():
    t = _unit([[1, 0, 0], [0, 1, 0], [1, 1, 0]])
    b = _unit([[1, 0, 0]])
    z = brand_score(t, b, vertical=0, contrast=0)
    np.testing.assert_allclose(z, [1.0, 0.0, np.sqrt(0.5)], atol=1e-6)


def test_contrast_lowers_texts_close_to_other_topics():
    t = _unit([[1, 0.2, 0], [1, 0, 0.2]])
    b = _unit([[1, 0, 0]])
    neg = _unit([[0, 1, 0]])
    z0 = brand_score(t, b, contrast=0, vertical=0)
    z1 = brand_score(t, b, negative_emb=neg, contrast=0.5, vertical=0)
    assert z0[0] == pytest.approx(z0[1])
    assert z1[0] < z1[1]


def test_vertical_term_uses_topic_match():
    t = _unit([[1, 0], [1, 0]])
    b = _unit([[1, 0]])
    p = np.array([[0.9, 0.1], [0.1, 0.9]])
    q = brand_topic_proba(np.array([[1.0, 0.0]]))
    z = brand_score(t, b, p, q, vertical=0.1, contrast=0)
    assert z[0] > z[1]
    with pytest.raises(ValueError):
        brand_score(t, b, p[:1], q, vertical=0.1)


def test_relevance_is_a_probability_and_monotone():
    t = _unit(np.random.default_rng(0).normal(size=(50, 8)))
    b = t[:1]
    r = brand_relevance(t, b, calibration=(10.0, -3.0), vertical=0, contrast=0)
    z = brand_score(t, b, vertical=0, contrast=0)
    assert ((r >= 0) & (r <= 1)).all()
    assert (np.argsort(r) == np.argsort(z)).all()


def test_empty_inputs():
    assert brand_score(np.zeros((0, 3)), np.ones((1, 3))).shape == (0,)
    with pytest.raises(ValueError):
        brand_score(np.ones((2, 3)), np.zeros((0, 3)))


def test_fit_calibration_recovers_a_logistic_link():
    rng = np.random.default_rng(1)
    z = rng.normal(size=20000)
    y = rng.random(20000) < 1 / (1 + np.exp(-(4 * z - 1)))
    a, b = fit_calibration([z[:10000], z[10000:]], [y[:10000], y[10000:]])
    assert a == pytest.approx(4, abs=0.3) and b == pytest.approx(-1, abs=0.15)


def test_fit_calibration_separable_does_not_diverge():
    z = np.r_[np.zeros(50), np.ones(5)]
    y = np.r_[np.zeros(50, bool), np.ones(5, bool)]
    a, b = fit_calibration([z], [y], balanced=True)
    assert np.isfinite(a) and np.isfinite(b) and a > 0


def test_brand_docstring_examples():
    import doctest

    import brandfit.brand

    r = doctest.testmod(brandfit.brand)
    assert r.attempted > 0 and r.failed == 0


def test_other_topic_descriptions_drops_the_brands_vertical():
    from brandfit.brand import other_topic_descriptions

    emb = np.arange(12, dtype=np.float32).reshape(6, 2)
    idx = np.array([0, 0, 1, 1, 2, 2])
    out = other_topic_descriptions(emb, idx, np.array([0.1, 0.8, 0.1]))
    np.testing.assert_array_equal(out, emb[[0, 1, 4, 5]])


def test_example_posts_count_through_their_centroid_not_the_closest_one():
    """Two example posts: a text with what both share outranks a text that echoes only one of them (the highest
    cosine to any example, the earlier rule, ranked them the other way round)."""
    from brandfit.brand import BRAND_EXAMPLE_WEIGHT, brand_score

    words = np.array([[0, 0, 1, 0]], np.float32)
    examples = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], np.float32)
    shared = np.array([np.sqrt(0.5), np.sqrt(0.5), 0, 0], np.float32)
    echo = np.array([1, 0, 0, 0], np.float32)
    texts = np.stack([shared, echo])
    z = brand_score(texts, words, example_emb=examples, contrast=0.0)
    assert z[0] > z[1]
    np.testing.assert_allclose(z, [BRAND_EXAMPLE_WEIGHT * 1.0, BRAND_EXAMPLE_WEIGHT * np.sqrt(0.5)], atol=1e-6)
    # examples never pull a text below its words' cosine (the scale the calibration was fitted on)
    on_words = np.array([[0, 0, 1, 0]], np.float32)
    assert brand_score(on_words, words, example_emb=examples, contrast=0.0)[0] == pytest.approx(1.0)
    old_rule = brand_score(texts, np.vstack([words, examples]), contrast=0.0)
    assert old_rule[1] > old_rule[0]
    # no examples: the words alone, exactly as before
    np.testing.assert_allclose(brand_score(texts, words, example_emb=examples[:0], contrast=0.0),
                               brand_score(texts, words, contrast=0.0))
