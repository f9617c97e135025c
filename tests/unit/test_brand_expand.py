"""A brand with no example posts borrows the model's stored texts nearest its words (``brand.expand``, from
relevance@70): the choice of rows, the pipeline passing them, the config's checks, and models without the key or
without a neighbour index scoring exactly as before."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from fakes import make_model
from tests.unit.test_neighbours import _index_of, _unit

from brandfit.account import BrandTopic
from brandfit.brand import MAX_EXPAND, brand_score, check_expand, stand_in_examples
from brandfit.config import BrandConfig, TrainConfig
from brandfit.errors import InputError
from brandfit.model import RelevanceModel
from brandfit.pipeline import Pipeline

OURS = ["knee pain in bridge pose", "hip pain in bridge pose", "wrist pain in plank pose",
        "finger pulley pain on crimps", "new mascara shade", "my cat at the vet"]
TEXTS = ["bridge pose with a block", "knee pain again", "crimps at the crag", "mascara swatches", "vet bill again"]


def _model(expand: int | None, *, neighbours: bool = True) -> RelevanceModel:
    m = make_model()
    brand = {"contrast": 0.5} if expand is None else {"contrast": 0.5, "expand": expand}
    topic = {**m.config["topic"], "neighbours": 0.2 if neighbours else 0.0, "neighbours_k": 3,
             "neighbours_temperature": 0.02}
    index = _index_of(m, OURS, [2, 2, 2, 0, 3, 5]) if neighbours else None
    return RelevanceModel(topic_head=m.topic_head, promo_head=m.promo_head, descriptions=m.descriptions,
                          promo_threshold=m.promo_threshold, config={**m.config, "topic": topic, "brand": brand},
                          embedder=m.embedder, backend="onnx", neighbours=index)


def test_the_nearest_rows_come_first_and_k_is_capped_by_the_rows_stored():
    stored = _unit([[1, 0, 0], [0, 1, 0], [0.9, 0.1, 0], [0.5, 0.5, 0.5]])
    got = stand_in_examples(np.array([1, 0, 0], np.float32), stored, 2)
    np.testing.assert_allclose(got, stored[[0, 2]])
    assert stand_in_examples(np.array([[1, 0, 0]], np.float32), stored, 50).shape == (4, 3)
    assert stand_in_examples(np.array([1, 0, 0], np.float32), stored, 0).shape == (0, 3)
    # several rows of words: the rows nearest their mean
    both = stand_in_examples(_unit([[1, 0, 0], [0, 1, 0]]), stored, 1)
    np.testing.assert_allclose(both, stored[[3]])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(0, 40), st.integers(0, 2**31 - 1))
def test_stand_ins_are_stored_rows_and_never_lower_a_score(n, k, seed):
    rng = np.random.default_rng(seed)
    stored = _unit(rng.normal(size=(n, 8)))
    texts = _unit(rng.normal(size=(5, 8)))
    words = _unit(rng.normal(size=(1, 8)))
    got = stand_in_examples(words, stored, k)
    assert got.shape == (min(k, n), 8)
    sims = stored @ words[0]
    # the k highest similarities (compared within float32 error: rounding both sides can split a tie at a digit)
    np.testing.assert_allclose(np.sort(got @ words[0])[::-1], np.sort(sims)[::-1][:min(k, n)], atol=1e-5)
    plain = brand_score(texts, words, contrast=0.0)
    assert (brand_score(texts, words, contrast=0.0, example_emb=got) >= plain - 1e-6).all()


@pytest.mark.parametrize("value", [-1, 2.5, True, "10", MAX_EXPAND + 1, None])
def test_a_bad_expand_names_the_field(value):
    with pytest.raises(ValueError, match="brand.expand"):
        check_expand(value)
    with pytest.raises(ValueError, match="brand.expand"):
        BrandConfig(expand=value)  # type: ignore[arg-type]


def test_the_recipe_borrows_ten_and_round_trips_through_its_dict():
    cfg = TrainConfig()
    assert cfg.brand.expand == 10
    assert TrainConfig.from_dict(cfg.to_dict()).brand.expand == 10
    assert TrainConfig.from_dict({**cfg.to_dict(), "brand": {"expand": 0}}).brand.expand == 0


def test_a_brand_without_examples_borrows_the_stored_texts_nearest_its_words():
    m = _model(3)
    assert m.brand_expand == 3 and "expand" not in m.brand_settings  # not an argument of brand_score
    pipe = Pipeline(m)
    analysis = m.analyze(TEXTS)
    brand = BrandTopic(name="yoga", description="bridge pose")
    args = pipe.brand_arguments(analysis, brand, TEXTS)
    assert args["example_emb"].shape == (3, m.neighbours.embeddings.shape[1])
    words = m.embed_phrases(["bridge pose"])
    expected = stand_in_examples(words, m.neighbours.embeddings, 3)
    np.testing.assert_allclose(args["example_emb"], expected)
    rows = m.neighbours.unit_rows
    assert rows.dtype == np.float32 and not rows.flags.writeable
    assert np.shares_memory(rows, m.neighbours.unit_rows)  # one float32 copy, made at load, not one per brand
    np.testing.assert_allclose(rows, m.neighbours.embeddings.astype(np.float32))
    # the score uses them: it differs from the same brand with none, and never falls below it
    none = pipe.brand_arguments(analysis, brand, TEXTS, expand=0)
    assert none["example_emb"].shape[0] == 0
    with_, without = (brand_score(**a, **m.brand_settings) for a in (args, none))
    assert (with_ >= without - 1e-6).all()
    assert with_[1] > without[1]  # "knee pain again" shares no word with "bridge pose", but does with our pose texts
    rel = pipe.brand_relevance(analysis, brand, TEXTS)
    np.testing.assert_allclose(rel, 1 / (1 + np.exp(-(m.brand_calibration[0] * with_ + m.brand_calibration[1]))),
                               rtol=1e-6)


def test_a_brands_own_examples_win_over_the_stand_ins():
    m = _model(3)
    analysis = m.analyze(TEXTS)
    brand = BrandTopic(name="yoga", description="bridge pose", examples=("my bridge pose progress",))
    args = Pipeline(m).brand_arguments(analysis, brand, TEXTS)
    np.testing.assert_allclose(args["example_emb"], m.embed(["my bridge pose progress"]))


def test_models_without_the_key_or_without_an_index_borrow_nothing():
    for m in (_model(None), _model(5, neighbours=False)):
        assert m.brand_expand == 0
        analysis = m.analyze(TEXTS)
        args = Pipeline(m).brand_arguments(analysis, BrandTopic(name="yoga", description="bridge pose"), TEXTS)
        assert args["example_emb"].shape[0] == 0


def test_a_stored_config_with_a_bad_expand_is_a_clear_error():
    m = _model(3)
    m.config = {**m.config, "brand": {"contrast": 0.5, "expand": "lots"}}
    with pytest.raises(InputError, match="brand.expand"):
        _ = m.brand_expand


def test_a_model_with_stand_ins_is_format_16_and_round_trips():
    import json

    from brandfit.model_format import FORMAT_VERSION

    m = _model(3)
    files = m.to_files()
    meta = json.loads(files["model.json"])
    assert meta["format_version"] == 16 < FORMAT_VERSION  # an older brandfit would pass expand to brand_score
    loaded = RelevanceModel.from_files(files)
    back = RelevanceModel(topic_head=loaded.topic_head, promo_head=loaded.promo_head, descriptions=loaded.descriptions,
                          promo_threshold=loaded.promo_threshold, config=loaded.config, embedder=m.embedder,
                          backend="onnx", brand_calibration=loaded.brand_calibration, neighbours=loaded.neighbours)
    assert back.brand_expand == 3
    analysis = back.analyze(TEXTS)
    brand = BrandTopic(name="yoga", description="bridge pose")
    np.testing.assert_allclose(Pipeline(back).brand_relevance(analysis, brand, TEXTS),
                               Pipeline(m).brand_relevance(m.analyze(TEXTS), brand, TEXTS), rtol=1e-5)
    # any stored expand key, even 0 or without an index, needs format 16 (an older brandfit would pass it to the
    # brand score); without the key the format is what the rest of the model needs
    assert json.loads(_model(0).to_files()["model.json"])["format_version"] == 16
    assert json.loads(_model(3, neighbours=False).to_files()["model.json"])["format_version"] == 16
    assert json.loads(_model(None).to_files()["model.json"])["format_version"] < 16


@pytest.mark.parametrize("bad", ["lots", -1, 2.5, True, MAX_EXPAND + 1])
def test_a_bad_expand_on_disk_is_refused_at_load(bad):
    import json

    from brandfit.errors import IntegrityError

    files = _model(3).to_files()
    meta = json.loads(files["model.json"])
    meta["config"]["brand"]["expand"] = bad
    with pytest.raises(IntegrityError, match="brand.expand"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})


def test_the_weights_passed_to_brand_score_leave_unknown_keys_out():
    m = _model(3)
    m.config = {**m.config, "brand": {"contrast": 0.5, "expand": 3, "some_future_key": 1}}
    assert set(m.brand_settings) == {"contrast", "lexical"}


@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_a_bad_expand_override_is_an_input_error(bad):
    m = _model(3)
    with pytest.raises(InputError, match="expand"):
        Pipeline(m).brand_arguments(m.analyze(TEXTS), BrandTopic(name="yoga", description="bridge pose"), TEXTS,
                                    expand=bad)


def test_no_words_is_refused_rather_than_averaged_into_nan():
    stored = _unit([[1, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match="at least one row"):
        stand_in_examples(np.zeros((0, 3), np.float32), stored, 1)
    with pytest.raises(ValueError, match="finite"):
        stand_in_examples(np.array([np.nan, 0, 0], np.float32), stored, 1)


def test_a_words_only_brand_ranks_accounts_through_the_public_api():
    import brandfit

    m = _model(3)
    accounts = [{"account_id": "yogi", "bio": "yoga teacher", "posts": ["knee pain again", "bridge pose with a block"]},
                {"account_id": "cat", "bio": "cat person", "posts": ["my cat at the vet", "vet bill again"]}]
    brand = BrandTopic(name="yoga", description="bridge pose")
    ranked = brandfit.rank_accounts(accounts, brand, model=m)
    assert ranked["account_id"].tolist()[0] == "yogi"
    bare = brandfit.rank_accounts(accounts, brand, model=_model(0))
    # the stand-ins raise the yoga account's fit: its "knee pain" post shares no word with "bridge pose"
    score = lambda frame: float(frame.set_index("account_id").loc["yogi", "score"])  # noqa: E731
    assert score(ranked) > score(bare)


def test_a_numpy_integer_override_is_taken():
    m = _model(3)
    args = Pipeline(m).brand_arguments(m.analyze(TEXTS), BrandTopic(name="yoga", description="bridge pose"), TEXTS,
                                       expand=np.int64(2))
    assert args["example_emb"].shape[0] == 2
