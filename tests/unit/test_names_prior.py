"""The names prior (``topic.names_prior``, model format 18): the vertical of each name a text names."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fakes import make_model
from hypothesis import given, settings
from hypothesis import strategies as st

from brandfit.config import TopicConfig
from brandfit.errors import InputError, IntegrityError
from brandfit.model import RelevanceModel
from brandfit.names_prior import MAX_NAMES_PRIOR, name_presence, with_names_prior
from brandfit.text import named_verticals, normalize
from brandfit.topics import TOPICS

SPORT, OTHER, ELEC = TOPICS.index("sports_outdoor"), TOPICS.index("other"), TOPICS.index("electronics")


def test_presence_is_one_per_vertical_named_not_a_count():
    texts = [normalize("arsenal, chelsea fc and spurs all lost"), normalize("madden 26 on my ps5"), "hill repeats"]
    has = name_presence(texts, version=5)
    assert has.shape == (3, len(TOPICS)) and set(np.unique(has)) <= {0.0, 1.0}
    assert has[0, SPORT] == 1.0 and has[0].sum() == 1.0  # several clubs: one vertical, once
    assert has[1, OTHER] == 1.0 and has[1, ELEC] == 1.0  # a game (other) on a console (electronics)
    assert not has[2].any()


def test_each_normalisation_version_reads_its_own_tables():
    text = "tret purge wk 5"  # "tret" is in the table version 5 added
    assert named_verticals(text, version=5) == {"beauty"}
    assert named_verticals(text, version=4) == frozenset()
    assert not name_presence([text, "kipchoge"], version=3).any()  # before names: nothing to read
    assert name_presence(["kipchoge"], version=4)[0, SPORT] == 1.0


def test_glosses_name_nothing_so_normalising_first_changes_nothing():
    for raw in ["KIPCHOGE IN BERLIN", "madden 26 franchise mode", "new pegasus from nike", "dior lipstick"]:
        assert named_verticals(normalize(raw)) == named_verticals(raw)


def test_the_prior_moves_only_texts_that_name_something():
    p = np.array([[0.65, 0.0, 0.0, 0.0, 0.05, 0.30], [0.9, 0.0, 0.1, 0.0, 0.0, 0.0]])
    texts = [normalize("madden 26 franchise mode, drafted a qb"), "hill repeats in the fog"]
    q = with_names_prior(p, texts, 1.0, version=5)
    assert q.argmax(axis=1).tolist() == [OTHER, SPORT]
    np.testing.assert_allclose(q.sum(axis=1), 1.0)
    np.testing.assert_array_equal(q[1], p[1])
    assert q[0, OTHER] / q[0, SPORT] == pytest.approx(np.e * 0.30 / 0.65)
    assert with_names_prior(p, texts, 0.0, version=5) is p  # off: the same array back
    assert with_names_prior(p, texts, 1.0, version=3) is p  # text without names
    assert with_names_prior(p, ["a", "b"], 1.0) is p  # nothing named
    with pytest.raises(ValueError, match="2 rows"):
        with_names_prior(p, texts[:1], 1.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=5), st.floats(0.0, MAX_NAMES_PRIOR))
def test_the_prior_keeps_rows_a_distribution_on_any_text(texts, weight):
    rng = np.random.default_rng(len(texts))
    p = rng.dirichlet(np.ones(len(TOPICS)), size=len(texts))
    texts = [normalize(t) + " kipchoge" if i % 2 else normalize(t) for i, t in enumerate(texts)]
    q = with_names_prior(p, texts, weight)
    assert q.shape == p.shape and np.isfinite(q).all() and (q >= 0).all()
    np.testing.assert_allclose(q.sum(axis=1), 1.0)
    assert (q[1::2, SPORT] >= p[1::2, SPORT] - 1e-12).all()  # a named vertical never loses


def _with(config_topic: dict, normalization_version: int = 5) -> RelevanceModel:
    base = make_model()
    return RelevanceModel(topic_head=base.topic_head, promo_head=base.promo_head, descriptions=base.descriptions,
                          promo_threshold=base.promo_threshold,
                          config={**base.config, "topic": {**base.config["topic"], **config_topic},
                                  "normalization_version": normalization_version},
                          embedder=base.embedder, backend="onnx")


def test_a_model_with_the_prior_scores_named_texts_higher_and_is_format_18():
    texts = ["kipchoge again", "hill repeats in the fog"]
    plain, named = _with({}), _with({"names_prior": 2.0})
    assert plain.names_prior == 0.0 and named.names_prior == 2.0
    a, b = plain.topic_proba(texts), named.topic_proba(texts)
    assert b.iloc[0]["sports_outdoor"] > a.iloc[0]["sports_outdoor"]
    np.testing.assert_allclose(b.iloc[1].to_numpy(), a.iloc[1].to_numpy())  # names nothing: as before
    files = named.to_files()
    meta = json.loads(files["model.json"])
    assert meta["format_version"] == 18 and json.loads(plain.to_files()["model.json"])["format_version"] == 17
    back = RelevanceModel.from_files(files)
    back._embedder = named.embedder
    assert back.names_prior == 2.0
    np.testing.assert_allclose(back.topic_proba(texts).to_numpy(), b.to_numpy())
    # an older file claiming format 17 must not carry the prior: an older brandfit would leave it out
    meta["format_version"] = 17
    with pytest.raises(IntegrityError, match="names_prior.*needs model format 18"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})


def test_a_model_trained_on_text_without_names_reads_no_prior():
    m = _with({"names_prior": 1.0}, normalization_version=3)
    assert m.names_prior == 0.0
    plain = _with({}, normalization_version=3)
    np.testing.assert_allclose(m.topic_proba(["kipchoge"]).to_numpy(), plain.topic_proba(["kipchoge"]).to_numpy())


@pytest.mark.parametrize("bad", [-1.0, MAX_NAMES_PRIOR + 1, True, "1", float("nan")])
def test_a_bad_weight_is_a_clear_error(bad):
    with pytest.raises(InputError, match="topic.names_prior"):
        _with({"names_prior": bad})
    with pytest.raises(ValueError, match="topic.names_prior"):
        TopicConfig(names_prior=bad)


def test_the_recipe_and_its_loso_candidate_use_the_prior():
    from brandfit.config import TrainConfig
    from brandfit.evaluation import loso

    assert TopicConfig().names_prior == 1.0
    on = loso.production_candidate(TrainConfig())
    off = loso.production_candidate(TrainConfig(topic=TopicConfig(names_prior=0.0)))
    assert on.fit_predict.__qualname__.startswith("names_prior")
    assert not off.fit_predict.__qualname__.startswith("names_prior")
