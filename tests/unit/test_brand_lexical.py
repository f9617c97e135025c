"""The brand's words matched as n-grams (``config.brand.lexical``, from relevance@12): the n-gram cosine
(:func:`brandfit.lexical.similarity`), its term in the brand score, the pipeline passing it, model format 6, and
models without the key scoring exactly as before."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandfit.account import Account, BrandTopic
from brandfit.brand import brand_score
from brandfit.errors import IntegrityError, InputError
from brandfit.lexical import similarity
from brandfit.model import RelevanceModel
from brandfit.model_format import FORMAT_VERSION
from brandfit.pipeline import Pipeline
from tests.unit.test_lexical import _random_head

IDF = np.ones(2 * (1 << 14), np.float32)


def test_similarity_is_one_for_the_same_words_and_zero_for_none_shared():
    s = similarity(["rock climbing", "new mascara shade", "Rock Climbing"], ["rock climbing"], idf=IDF)
    assert s.shape == (3, 1)
    assert s[0, 0] == pytest.approx(1.0) and s[2, 0] == pytest.approx(1.0)  # lower-cased like the lexical head
    assert s[1, 0] == 0.0


def test_similarity_sees_pieces_of_words_and_weighs_rare_ones_more():
    s = similarity(["climbers at the crag", "my cat at the vet"], ["climbing"], idf=IDF)
    assert s[0, 0] > 0.1 and s[1, 0] == 0.0  # "climb" shared through character n-grams
    from brandfit.lexical import _counts

    _, cols, _ = _counts(["the"], 1 << 14)
    idf = IDF.copy()
    idf[cols] = 0.01  # "the" is everywhere: its n-grams hardly count
    rare = similarity(["the crag", "the party"], ["the crag"], idf=idf)
    flat = similarity(["the crag", "the party"], ["the crag"], idf=IDF)
    assert rare[1, 0] < flat[1, 0] and rare[0, 0] == pytest.approx(1.0)


def test_similarity_of_empty_inputs_has_the_right_shape():
    assert similarity([], ["x"], idf=IDF).shape == (0, 1)
    assert similarity(["x"], [], idf=IDF).shape == (1, 0)
    assert similarity(["", "🔥"], ["yoga"], idf=IDF).tolist() == [[0.0], [0.0]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=5), st.lists(st.text(max_size=30), min_size=1, max_size=3))
def test_similarity_is_a_cosine_for_any_text(texts, phrases):
    s = similarity(texts, phrases, idf=IDF)
    assert s.shape == (len(texts), len(phrases))
    assert np.isfinite(s).all() and (s >= -1e-9).all() and (s <= 1 + 1e-9).all()


def test_the_lexical_term_adds_its_weight_times_the_best_column():
    rng = np.random.default_rng(0)
    e = rng.normal(size=(4, 8)).astype(np.float32)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    b = e[:1]
    lex = np.array([[0.1, 0.5], [0.0, 0.0], [0.9, 0.2], [0.3, 0.3]])
    base = brand_score(e, b, contrast=0.0)
    np.testing.assert_allclose(brand_score(e, b, contrast=0.0, lexical_sim=lex, lexical=0.5),
                               base + 0.5 * lex.max(axis=1))
    np.testing.assert_allclose(brand_score(e, b, contrast=0.0, lexical_sim=lex[:, 0], lexical=2.0),
                               base + 2.0 * lex[:, 0])
    np.testing.assert_array_equal(brand_score(e, b, contrast=0.0, lexical_sim=lex, lexical=0.0), base)
    with pytest.raises(ValueError, match="lexical_sim"):
        brand_score(e, b, lexical_sim=lex[:3], lexical=0.5)


def _model(brand: dict | None, *, lexical_head: bool = True) -> RelevanceModel:
    from tests.fakes import make_model

    base = make_model()
    config = dict(base.config)
    if lexical_head:
        config["lexical"] = {"topic_weight": 0.0, "promo_weight": 0.0}
    if brand is not None:
        config["brand"] = brand
    return RelevanceModel(topic_head=base.topic_head, promo_head=base.promo_head, descriptions=base.descriptions,
                          promo_threshold=0.5, config=config, embedder=base.embedder,
                          lexical=_random_head(1 << 14, seed=5) if lexical_head else None)


BRAND = BrandTopic("climb", "rock climbing")
POSTS = ["first outdoor climbing trip", "bouldering session", "new mascara shade", "my cat"]


def _scores(model: RelevanceModel) -> np.ndarray:
    analysis = model.analyze(POSTS)
    return Pipeline(model).brand_relevance(analysis, BRAND, POSTS)


def test_the_pipeline_adds_the_n_gram_match_with_the_model_s_weight():
    plain = _model({"vertical": 0.0, "contrast": 0.5})
    matched = _model({"vertical": 0.0, "contrast": 0.5, "lexical": 0.5})
    assert plain.brand_lexical == 0.0 and matched.brand_lexical == 0.5
    a, b = _scores(plain), _scores(matched)
    lex = matched.lexical_similarity(POSTS, [BRAND.description])[:, 0]
    assert lex[0] > 0 and lex[2] == lex[3] == 0.0
    za, zb = np.log(a / (1 - a)), np.log(b / (1 - b))
    cal_a = plain.brand_calibration[0]
    np.testing.assert_allclose(zb - za, cal_a * 0.5 * lex, atol=1e-6)  # same calibration: the logit moves by a*w*lex
    assert b[0] > a[0] and b[2] == pytest.approx(a[2])


def test_without_a_lexical_head_the_weight_is_ignored():
    no_head = _model({"vertical": 0.0, "contrast": 0.5, "lexical": 0.5}, lexical_head=False)
    assert no_head.brand_lexical == 0.0
    np.testing.assert_allclose(_scores(no_head), _scores(_model({"vertical": 0.0, "contrast": 0.5}, lexical_head=False)))
    assert no_head.lexical_similarity(POSTS, ["x"]).tolist() == [[0.0]] * 4


def test_a_model_with_the_n_gram_match_is_format_6_and_round_trips():
    matched = _model({"vertical": 0.0, "contrast": 0.5, "lexical": 0.5})
    files = matched.to_files()
    assert json.loads(files["model.json"])["format_version"] == 6 < FORMAT_VERSION  # 7: the disclosure floor
    back = RelevanceModel.from_files(files)
    assert back.brand_lexical == 0.5
    back = RelevanceModel(topic_head=back.topic_head, promo_head=back.promo_head, descriptions=back.descriptions,
                          promo_threshold=back.promo_threshold, config=back.config, embedder=matched.embedder,
                          brand_calibration=back.brand_calibration, lexical=back.lexical)  # the fake encoder again
    np.testing.assert_allclose(_scores(back), _scores(matched))
    assert json.loads(_model({"vertical": 0.0, "contrast": 0.5, "lexical": 0.0}).to_files()["model.json"]
                      )["format_version"] == 2


def test_scoring_a_whole_account_uses_the_match():
    acc = Account.from_input({"account_id": "a", "bio": "climber", "posts": POSTS})
    plain = Pipeline(_model({"vertical": 0.0, "contrast": 0.5})).score([acc], BRAND)[0]
    matched = Pipeline(_model({"vertical": 0.0, "contrast": 0.5, "lexical": 0.5})).score([acc], BRAND)[0]
    assert matched.score > plain.score


@pytest.mark.parametrize("bad", [-0.5, 11, "0.5", True, float("nan")])
def test_a_bad_weight_is_refused(bad):
    with pytest.raises(InputError, match="brand.lexical"):
        _model({"vertical": 0.0, "contrast": 0.5, "lexical": bad}).brand_lexical
    files = _model({"vertical": 0.0, "contrast": 0.5, "lexical": 0.5}).to_files()
    meta = json.loads(files["model.json"])
    meta["config"]["brand"]["lexical"] = bad
    files["model.json"] = json.dumps(meta).encode()
    with pytest.raises(IntegrityError, match="brand.lexical"):
        RelevanceModel.from_files(files)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="abc xyz#@é🔥", max_size=60), min_size=1, max_size=6),
       st.lists(st.text(alphabet="abc xyz#é", max_size=20), min_size=1, max_size=4))
def test_similarity_equals_the_sparse_product_of_the_feature_rows(texts, phrases):
    from brandfit.lexical import featurize, to_csr

    idf = np.random.default_rng(1).uniform(1, 4, 2 * 256).astype(np.float32)  # few buckets: many collisions
    want = (to_csr(texts, n_buckets=256, idf=idf) @ to_csr(phrases, n_buckets=256, idf=idf).T).toarray()
    np.testing.assert_allclose(similarity(texts, phrases, idf=idf), want, atol=1e-9)
    feats = featurize(texts, n_buckets=256, idf=idf)
    np.testing.assert_allclose(similarity(texts, phrases, idf=idf, features=feats), want, atol=1e-9)


def test_examples_n_grams_raise_the_words_match_never_lower_it():
    rng = np.random.default_rng(2)
    e = rng.normal(size=(3, 8)).astype(np.float32)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    words = np.array([0.2, 0.0, 0.6])
    examples = np.array([[0.5, 0.3], [0.1, 0.1], [0.0, 0.2]])  # means 0.4, 0.1, 0.1
    base = brand_score(e, e[:1], contrast=0.0)
    got = brand_score(e, e[:1], contrast=0.0, lexical_sim=words, example_lexical_sim=examples, lexical=0.5)
    np.testing.assert_allclose(got, base + 0.5 * np.array([0.4, 0.1, 0.6]))
    empty = brand_score(e, e[:1], contrast=0.0, lexical_sim=words, example_lexical_sim=np.zeros((3, 0)), lexical=0.5)
    np.testing.assert_allclose(empty, base + 0.5 * words)
    with pytest.raises(ValueError, match="example_lexical_sim"):
        brand_score(e, e[:1], lexical_sim=words, example_lexical_sim=examples[:2], lexical=0.5)


def test_the_pipeline_reads_the_examples_n_grams_too():
    matched = _model({"vertical": 0.0, "contrast": 0.5, "lexical": 0.5})
    with_examples = BrandTopic("climb", "rock climbing", examples=("bouldering session at the gym",))
    analysis = matched.analyze(POSTS)
    words_only = Pipeline(matched).brand_relevance(analysis, BRAND, POSTS)
    both = Pipeline(matched).brand_relevance(analysis, with_examples, POSTS)
    lex = matched.lexical_similarity(POSTS, list(with_examples.texts()))
    raised = lex[:, 1] > lex[:, 0]
    assert raised[1]  # "bouldering session" shares the example's n-grams, not the words'
    # where the examples' match is higher the n-gram term rises; the embedding centroid may move it too, so
    # compare against the same brand scored with the n-gram weight off
    plain = _model({"vertical": 0.0, "contrast": 0.5})
    a = Pipeline(plain).brand_relevance(plain.analyze(POSTS), with_examples, POSTS)
    za, zb = np.log(a / (1 - a)), np.log(both / (1 - both))
    np.testing.assert_allclose(zb - za, plain.brand_calibration[0] * 0.5 * np.maximum(lex[:, 0], lex[:, 1]),
                               atol=1e-6)
    assert words_only.shape == both.shape == (len(POSTS),)
