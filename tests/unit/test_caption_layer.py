"""The lexical head's caption layer (``promo.caption_weight``, model format 9): n-grams fitted on our captions
alone, its logit added to the promo logit; stored, checked and read back like the rest of the head."""

from __future__ import annotations

import dataclasses
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandfit.config import PromoConfig
from brandfit.errors import IntegrityError
from brandfit.lexical import LexicalHead, to_csr
from brandfit.model import RelevanceModel
from brandfit.model_format import FORMAT_VERSION

NB = 1024
TEXTS = ["@glowco sent me this balm 😍 obsessed", "leg day, squats 5x5", "leg day, squats 5x5", "",
         "thank you @stridelab for the new shoes!!"]


def _head(caption: bool, seed: int = 0) -> LexicalHead:
    rng = np.random.default_rng(seed)
    return LexicalHead(idf=rng.uniform(1, 5, 2 * NB).astype(np.float32),
                       topic_coef=rng.normal(size=(6, 2 * NB)).astype(np.float32),
                       topic_intercept=rng.normal(size=6).astype(np.float32),
                       promo_coef=rng.normal(size=2 * NB).astype(np.float32), promo_intercept=0.3,
                       caption_coef=rng.normal(size=2 * NB).astype(np.float32) if caption else None,
                       caption_intercept=-0.7 if caption else 0.0)


def _model(caption: bool) -> RelevanceModel:
    from tests.fakes import make_model

    base = make_model()
    config = {**base.config, "lexical": {"topic_weight": 0.3, "promo_weight": 0.15},
              "promo": {**base.config["promo"], "caption_weight": 0.35 if caption else 0.0}}
    return RelevanceModel(topic_head=base.topic_head, promo_head=base.promo_head, descriptions=base.descriptions,
                          promo_threshold=0.5, config=config, embedder=base.embedder, lexical=_head(caption))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=6))
def test_caption_logits_are_the_sparse_product_and_absent_without_the_layer(texts):
    head = _head(True)
    x = to_csr(texts, n_buckets=NB, idf=head.idf)
    got = head.caption_logits(texts)
    assert got.shape == (len(texts),) and np.isfinite(got).all()
    assert np.allclose(got, x @ head.caption_coef.astype(np.float64) - 0.7, atol=1e-5)
    assert _head(False).caption_logits(texts) is None


def test_the_layer_adds_its_logit_to_the_promo_logit_and_only_there():
    with_layer, without = _model(True), _model(False)
    a, b = with_layer.analyze(TEXTS), without.analyze(TEXTS)
    np.testing.assert_allclose(a.topic_proba, b.topic_proba)
    norm = with_layer._normalize(list(TEXTS))
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    np.testing.assert_allclose(logit(a.promo_proba) - logit(b.promo_proba),
                               with_layer.lexical.caption_logits(norm), atol=1e-6)
    one = with_layer.analyze([TEXTS[1]]).promo_proba[0]  # a repeated text is featurised once, and scored alike
    assert a.promo_proba[1] == pytest.approx(one) and a.promo_proba[2] == pytest.approx(one)


def test_a_model_with_the_layer_is_format_9_and_round_trips():
    m = _model(True)
    files = m.to_files()
    assert json.loads(files["model.json"])["format_version"] == 9 <= FORMAT_VERSION
    assert json.loads(_model(False).to_files()["model.json"])["format_version"] < 9  # older readers still load it
    back = RelevanceModel.from_files(files)
    back._embedder = m.embedder
    assert np.array_equal(back.lexical.caption_coef, m.lexical.caption_coef)
    assert back.lexical.caption_intercept == pytest.approx(-0.7)
    np.testing.assert_allclose(back.analyze(TEXTS).promo_proba, m.analyze(TEXTS).promo_proba)


def _arrays(files: dict[str, bytes]) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(files["heads.npz"]), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _with(files: dict[str, bytes], arrays: dict[str, np.ndarray]) -> dict[str, bytes]:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return {**files, "heads.npz": buf.getvalue()}


@pytest.mark.parametrize("change, message", [
    (lambda a: a.pop("lex_caption_intercept"), "caption layer incomplete"),
    (lambda a: a.pop("lex_caption_coef"), "caption layer incomplete"),
    (lambda a: a.update(lex_caption_coef=a["lex_caption_coef"][:10]), "lex_caption_coef: expected"),
    (lambda a: a.update(lex_caption_coef=np.full(2 * NB, np.nan, np.float32)), "lex_caption_coef: expected"),
    (lambda a: a.update(lex_caption_intercept=np.array([1, 2], np.float32)), "lex_caption_intercept: expected"),
    (lambda a: [a.pop(k) for k in [k for k in a if k.startswith("lex_") and "caption" not in k]],
     "caption layer .* without the lexical head"),
])
def test_a_damaged_caption_layer_is_refused_with_a_reason(change, message):
    files = _model(True).to_files()
    arrays = _arrays(files)
    change(arrays)
    with pytest.raises(IntegrityError, match=message):
        RelevanceModel.from_files(_with(files, arrays))


def _meta(files: dict[str, bytes]) -> dict:
    return json.loads(files["model.json"])


def test_the_layer_the_config_and_the_format_must_agree():
    files = _model(True).to_files()
    older = _meta(files)
    older["format_version"] = 8  # an older brandfit would ignore the arrays and score differently
    with pytest.raises(IntegrityError, match="claims model format 8"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(older).encode()})
    no_weight = _meta(files)
    no_weight["config"]["promo"]["caption_weight"] = 0.0
    with pytest.raises(IntegrityError, match="hold a promo caption layer"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(no_weight).encode()})
    plain = _model(False).to_files()
    weighted = _meta(plain)
    weighted["config"]["promo"]["caption_weight"] = 0.35
    with pytest.raises(IntegrityError, match="hold no promo caption layer"):
        RelevanceModel.from_files({**plain, "model.json": json.dumps(weighted).encode()})
    for bad in (True, "0.35", -1, float("inf")):
        meta = _meta(files)
        meta["config"]["promo"]["caption_weight"] = bad
        with pytest.raises(IntegrityError, match="promo.caption_weight"):
            RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})


@pytest.mark.parametrize("bad", [{"caption_weight": -0.1}, {"caption_weight": True}, {"caption_weight": "0.5"},
                                 {"caption_c": 0}, {"caption_c": 1000}])
def test_the_config_refuses_bad_caption_settings(bad):
    with pytest.raises(ValueError, match="promo.caption_"):
        PromoConfig(**bad)



# ------------------------------------------------------------------ the topic caption layer (format 10)

def _topic_model(layer: bool) -> RelevanceModel:
    from tests.fakes import make_model

    base = make_model()
    rng = np.random.default_rng(3)
    head = dataclasses.replace(_head(False), caption_topic_coef=rng.normal(size=(6, 2 * NB)).astype(np.float32)
                               if layer else None,
                               caption_topic_intercept=rng.normal(size=6).astype(np.float32) if layer else None)
    config = {**base.config, "lexical": {"topic_weight": 0.3, "promo_weight": 0.15},
              "topic": {**base.config["topic"], "caption_weight": 0.2 if layer else 0.0}}
    return RelevanceModel(topic_head=base.topic_head, promo_head=base.promo_head, descriptions=base.descriptions,
                          promo_threshold=0.5, config=config, embedder=base.embedder, lexical=head)


def test_the_topic_layer_adds_its_logits_to_the_log_topic_probabilities_before_the_temperature():
    with_layer, without = _topic_model(True), _topic_model(False)
    a, b = with_layer.analyze(TEXTS), without.analyze(TEXTS)
    np.testing.assert_allclose(a.promo_proba, b.promo_proba)  # topic only
    z = with_layer.lexical.caption_topic_logits(with_layer._normalize(list(TEXTS)))
    got = np.log(a.topic_proba) - np.log(b.topic_proba)  # both mixed at temperature 1: the difference is z + a constant
    np.testing.assert_allclose(got - got.mean(axis=1, keepdims=True), z - z.mean(axis=1, keepdims=True), atol=1e-5)
    np.testing.assert_allclose(a.topic_proba.sum(axis=1), 1.0)
    assert _head(False).caption_topic_logits(["x"]) is None


def test_a_model_with_the_topic_layer_is_format_10_round_trips_and_must_agree_with_its_config():
    m = _topic_model(True)
    files = m.to_files()
    assert _meta(files)["format_version"] == 10 <= FORMAT_VERSION
    back = RelevanceModel.from_files(files)
    back._embedder = m.embedder
    np.testing.assert_allclose(back.analyze(TEXTS).topic_proba, m.analyze(TEXTS).topic_proba)
    older = _meta(files)
    older["format_version"] = 9
    with pytest.raises(IntegrityError, match="topic caption layer, but model.json claims model format 9"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(older).encode()})
    no_weight = _meta(files)
    no_weight["config"]["topic"]["caption_weight"] = 0.0
    with pytest.raises(IntegrityError, match="hold a topic caption layer"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(no_weight).encode()})
    for change, message in [
        (lambda a: a.pop("lex_caption_topic_intercept"), "caption layer incomplete"),
        (lambda a: a.update(lex_caption_topic_coef=a["lex_caption_topic_coef"][:3]), "lex_caption_topic_coef: expected"),
        (lambda a: a.update(lex_caption_topic_intercept=np.full(6, np.inf, np.float32)),
         "lex_caption_topic_intercept: expected"),
    ]:
        arrays = _arrays(files)
        change(arrays)
        with pytest.raises(IntegrityError, match=message):
            RelevanceModel.from_files(_with(files, arrays))


@pytest.mark.parametrize("bad", [{"caption_weight": -1}, {"caption_weight": False}, {"caption_c": 0}])
def test_the_topic_config_refuses_bad_caption_settings(bad):
    from brandfit.config import TopicConfig

    with pytest.raises(ValueError, match="topic.caption_"):
        TopicConfig(**bad)


def test_a_layer_needs_its_lexical_weight_and_the_topic_pair_comes_whole():
    files = _topic_model(True).to_files()
    meta = _meta(files)
    meta["config"]["lexical"]["topic_weight"] = 0.0  # training never fits a topic layer without the lexical topic mix
    with pytest.raises(IntegrityError, match="lexical.topic_weight 0"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})
    promo_files = _model(True).to_files()
    meta = _meta(promo_files)
    meta["config"]["lexical"]["promo_weight"] = 0.0
    with pytest.raises(IntegrityError, match="lexical.promo_weight 0"):
        RelevanceModel.from_files({**promo_files, "model.json": json.dumps(meta).encode()})
    with pytest.raises(ValueError, match="come together"):
        dataclasses.replace(_head(False), caption_topic_coef=np.zeros((6, 2 * NB), np.float32))
