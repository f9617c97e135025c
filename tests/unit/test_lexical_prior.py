"""The topic descriptions matched as n-grams (``config.topic.lexical_prior``, from relevance@13): a text that says
a topic's described words gains that topic; the weight, the stored description phrases and format 6 round-trip;
models without the key, or without a lexical head, score exactly as before; bad files are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from brandfit.errors import InputError, IntegrityError
from brandfit.features import DescriptionIndex
from brandfit.heads import softmax
from brandfit.lexical import topic_match
from brandfit.model import RelevanceModel
from brandfit.topics import TOPICS
from tests.unit.test_lexical import _random_head

IDF = np.ones(2 * (1 << 14), np.float32)
PHRASES = ["trail running and hiking", "sneakers and streetwear", "gym workouts", "lipstick and skincare",
           "headphones and cameras", "food and travel"]
TEXTS = ["new trail shoes for hiking", "lipstick swatch", "🔥🔥", "my cat again", "lipstick swatch"]


def test_topic_match_takes_the_best_phrase_of_each_topic():
    m = topic_match(["lipstick day", "a day at the gym"], ["lipstick", "mascara", "gym"], [3, 3, 2], 6, idf=IDF)
    assert m.shape == (2, 6)
    assert m[0, 3] > 0.3 and m[0, 2] < m[0, 3]
    assert m[1, 2] > 0.3 and m[1, 3] < m[1, 2]
    assert (m[:, [0, 1, 4, 5]] == 0).all()  # topics without phrases
    assert topic_match([], ["gym"], [2], 6, idf=IDF).shape == (0, 6)


def _model(prior: float | None, *, lexical_head: bool = True, phrases: list[str] | None = PHRASES) -> RelevanceModel:
    from tests.fakes import make_model

    base = make_model()
    config = dict(base.config, topic=dict(base.config["topic"]))
    if lexical_head:
        config["lexical"] = {"topic_weight": 0.0, "promo_weight": 0.0}
    if prior is not None:
        config["topic"]["lexical_prior"] = prior
    desc = DescriptionIndex(embeddings=base.descriptions.embeddings, topic_index=base.descriptions.topic_index,
                            phrases=phrases)
    return RelevanceModel(topic_head=base.topic_head, promo_head=base.promo_head, descriptions=desc,
                          promo_threshold=0.5, config=config, embedder=base.embedder,
                          lexical=_random_head(1 << 14, seed=7) if lexical_head else None)


def test_the_prior_adds_its_weight_times_the_match_to_the_log_probabilities():
    plain, prior = _model(None), _model(4.0)
    assert plain.lexical_prior == 0.0 and prior.lexical_prior == 4.0
    a, b = plain.analyze(TEXTS), prior.analyze(TEXTS)
    match = topic_match(prior._normalize(TEXTS), prior._normalize(PHRASES), prior.descriptions.topic_index, 6,
                        idf=prior.lexical.idf)
    np.testing.assert_allclose(b.topic_proba, softmax(np.log(a.topic_proba) + 4.0 * match, axis=1), rtol=1e-6)
    beauty = TOPICS.index("beauty")
    assert b.topic_proba[1, beauty] > a.topic_proba[1, beauty]  # "lipstick swatch" says a beauty word
    np.testing.assert_allclose(b.topic_proba[2], a.topic_proba[2])  # emoji only: nothing to match
    np.testing.assert_allclose(b.topic_proba[1], b.topic_proba[4])  # repeated texts are matched once, same result
    np.testing.assert_allclose(b.promo_proba, a.promo_proba)  # promo untouched
    np.testing.assert_allclose(b.topic_proba.sum(axis=1), 1.0)


def test_without_a_lexical_head_the_prior_is_ignored():
    no_head = _model(4.0, lexical_head=False)
    assert no_head.lexical_prior == 0.0
    np.testing.assert_allclose(no_head.analyze(TEXTS).topic_proba,
                               _model(None, lexical_head=False).analyze(TEXTS).topic_proba)


def test_a_prior_needs_the_description_phrases():
    with pytest.raises(InputError, match="lexical_prior"):
        _model(4.0, phrases=None)
    with pytest.raises(ValueError, match="one string per description"):
        _model(4.0, phrases=PHRASES[:3])


def test_a_model_with_the_prior_is_format_6_stores_its_phrases_and_round_trips():
    prior = _model(4.0)
    files = prior.to_files()
    meta = json.loads(files["model.json"])
    assert meta["format_version"] == 6 and meta["description_phrases"] == PHRASES
    back = RelevanceModel.from_files(files)
    assert back.lexical_prior == 4.0 and back.descriptions.phrases == tuple(PHRASES)
    emb = prior.embed(TEXTS)
    np.testing.assert_allclose(back.apply_heads(emb, [[]] * len(TEXTS), TEXTS).topic_proba,
                               prior.apply_heads(emb, [[]] * len(TEXTS), TEXTS).topic_proba)
    plain = json.loads(_model(None).to_files()["model.json"])
    assert plain["format_version"] == 2 and "description_phrases" not in plain  # older readers still load it


@pytest.mark.parametrize("bad", [-1.0, 21, "4", True, float("nan")])
def test_a_bad_weight_is_refused(bad):
    with pytest.raises(InputError, match="lexical_prior"):
        _model(bad)
    files = _model(4.0).to_files()
    meta = json.loads(files["model.json"])
    meta["config"]["topic"]["lexical_prior"] = bad
    files["model.json"] = json.dumps(meta).encode()
    with pytest.raises(IntegrityError, match="lexical_prior"):
        RelevanceModel.from_files(files)


@pytest.mark.parametrize("phrases", [None, PHRASES[:2], [1] * 6, "abcdef", ["x" * 1001] * 6])
def test_missing_or_malformed_phrases_in_a_file_are_an_integrity_error(phrases):
    files = _model(4.0).to_files()
    meta = json.loads(files["model.json"])
    if phrases is None:
        del meta["description_phrases"]
    else:
        meta["description_phrases"] = phrases
    files["model.json"] = json.dumps(meta).encode()
    with pytest.raises(IntegrityError, match="description_phrases"):
        RelevanceModel.from_files(files)


def test_the_training_config_checks_the_weight():
    from brandfit.config import TopicConfig

    assert TopicConfig().lexical_prior == 4.0
    for bad in (-0.5, 25.0):
        with pytest.raises(ValueError, match="lexical_prior"):
            TopicConfig(lexical_prior=bad)
