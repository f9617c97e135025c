"""The lexical promo boost (``config.lexical.promo_boost``): the n-grams may raise a promo score, never lower it;
the model applies ``promo_boost / promo_weight`` to its pre-scaled lexical logit; format 4; bad values refused."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from scipy.special import expit

from brandfit.config import LexicalConfig
from brandfit.errors import InputError
from brandfit.model import RelevanceModel
from brandfit.model_format import FORMAT_VERSION
from tests.unit.test_lexical import _random_head

TEXTS = ["gym squat day", "lipstick swatches #ad", "use code GLOW20 link in bio", "🔥🔥", "my cat again"]


def _model(boost: float | None, promo_weight: float = 0.3) -> RelevanceModel:
    from tests.fakes import make_model

    base = make_model()
    lexical = {"topic_weight": 0.5, "promo_weight": promo_weight}
    if boost is not None:
        lexical["promo_boost"] = boost
    return RelevanceModel(topic_head=base.topic_head, promo_head=base.promo_head, descriptions=base.descriptions,
                          promo_threshold=0.5, config={**base.config, "lexical": lexical}, embedder=base.embedder,
                          lexical=dataclasses.replace(_random_head(seed=3), promo_intercept=-1.3))


def test_the_boost_adds_the_positive_part_of_the_stored_lexical_logit():
    plain, boosted = _model(None), _model(0.45)
    assert plain.promo_boost == 0.0 and boosted.promo_boost == pytest.approx(0.45 / 0.3)
    emb = plain.embed(TEXTS)
    a, b = plain.apply_heads(emb, [[]] * len(TEXTS), TEXTS), boosted.apply_heads(emb, [[]] * len(TEXTS), TEXTS)
    lex = plain.lexical.logits(plain._normalize(TEXTS))[1]  # the stored (pre-scaled) lexical promo logit
    za = np.log(a.promo_proba / (1 - a.promo_proba))
    np.testing.assert_allclose(b.promo_proba, expit(za + 1.5 * np.maximum(lex, 0)), rtol=1e-6)
    assert (b.promo_proba >= a.promo_proba - 1e-12).all()  # raise, never lower
    assert (lex > 0).any() and (lex < 0).any()  # both cases are exercised
    np.testing.assert_allclose(b.promo_proba[lex <= 0], a.promo_proba[lex <= 0])
    np.testing.assert_allclose(b.topic_proba, a.topic_proba)  # topic untouched


def test_a_boosted_model_round_trips_as_format_4_and_others_keep_their_format():
    boosted = _model(0.3)
    files = boosted.to_files()
    assert json.loads(files["model.json"])["format_version"] == 4 < FORMAT_VERSION  # 5: phrases framed as posts
    back = RelevanceModel.from_files(files).with_backend("onnx")
    emb = boosted.embed(TEXTS)
    np.testing.assert_allclose(back.apply_heads(emb, [[]] * len(TEXTS), TEXTS).promo_proba,
                               boosted.apply_heads(emb, [[]] * len(TEXTS), TEXTS).promo_proba)
    assert json.loads(_model(None).to_files()["model.json"])["format_version"] == 2  # older readers still load it
    assert json.loads(_model(0.0).to_files()["model.json"])["format_version"] == 2


@pytest.mark.parametrize("boost", [-0.1, 11.0, "0.3", True, float("nan")])
def test_a_bad_boost_in_a_model_config_is_refused(boost):
    with pytest.raises(InputError, match="promo_boost"):
        _model(boost)


def test_without_a_lexical_promo_share_there_is_no_boost():
    assert _model(0.3, promo_weight=0.0).promo_boost == 0.0  # the boost rides on the promo share
    assert not LexicalConfig(topic_weight=0.0, promo_weight=0.0).on  # "both 0 = no head" needs no boost setting
    with pytest.raises(ValueError, match="promo_boost"):
        LexicalConfig(promo_boost=-1.0)


def test_a_bad_boost_in_a_model_file_is_an_integrity_error():
    from brandfit.errors import IntegrityError

    files = _model(0.45).to_files()
    meta = json.loads(files["model.json"])
    meta["config"]["lexical"]["promo_boost"] = 99
    files["model.json"] = json.dumps(meta).encode()
    with pytest.raises(IntegrityError, match="model.json.*promo_boost"):
        RelevanceModel.from_files(files, where="somewhere")
