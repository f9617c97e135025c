"""Phrases framed as posts (brandfit.topics.PHRASE_TEMPLATES): the topic descriptions at training and a brand's own
words at inference are embedded as the mean of their framings; models trained before keep the words as written."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import FakeEmbedder, make_model

from brandfit.account import Account, BrandTopic
from brandfit.config import TopicConfig, TrainConfig
from brandfit.features import DescriptionIndex, embed_phrases
from brandfit.pipeline import Pipeline
from brandfit.topics import PHRASE_TEMPLATES, TOPIC_DESCRIPTIONS, TOPICS, check_templates


class Recording(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def encode(self, texts, *, show_progress_bar=None):
        self.texts.extend(texts)
        return super().encode(texts, show_progress_bar=show_progress_bar)


def test_embed_phrases_is_the_normalised_mean_of_the_framings():
    enc = FakeEmbedder()
    got = embed_phrases(lambda x: enc.encode(x), ["trail running", "lipstick"], ("{}", "a post about {}"))
    for row, phrase in zip(got, ["trail running", "lipstick"]):
        parts = enc.encode([phrase, f"a post about {phrase}"])
        want = parts.mean(axis=0) / np.linalg.norm(parts.mean(axis=0))
        np.testing.assert_allclose(row, want, atol=1e-6)
    assert got.dtype == np.float32 and got.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)


def test_one_bare_template_is_the_phrase_as_written():
    enc = FakeEmbedder()
    np.testing.assert_allclose(embed_phrases(lambda x: enc.encode(x), ["yoga mat"], ("{}",)),
                               enc.encode(["yoga mat"]), atol=1e-6)


def test_a_phrase_with_braces_is_framed_literally():
    rec = Recording()
    embed_phrases(lambda x: rec.encode(x), ["{weird} {}"], ("a post about {}",))
    assert rec.texts == ["a post about {weird} {}"]


@pytest.mark.parametrize("bad", [[], "{}", ["no slot"], ["{}{}"], ["{0}"], ["{} {x}"], [3], ["a {"]])
def test_bad_templates_are_refused_with_the_field_named(bad):
    with pytest.raises(ValueError, match="topic.description_templates"):
        TopicConfig(description_templates=bad)


def test_templates_round_trip_through_the_config_dict():
    cfg = TrainConfig(topic=TopicConfig(description_templates=["{}", "all about {}"]))
    d = cfg.to_dict()
    assert d["topic"]["description_templates"] == ["{}", "all about {}"]
    assert TrainConfig.from_dict(d).topic.description_templates == ("{}", "all about {}")
    assert TrainConfig().topic.description_templates == PHRASE_TEMPLATES == check_templates(list(PHRASE_TEMPLATES))


def test_description_index_frames_every_description():
    rec = Recording()
    idx = DescriptionIndex.build(rec, templates=("{}", "a post about {}"))
    n = sum(len(TOPIC_DESCRIPTIONS[t]) for t in TOPICS)
    assert idx.embeddings.shape == (n, 384) and len(rec.texts) == 2 * n
    first = TOPIC_DESCRIPTIONS[TOPICS[0]][0]
    assert rec.texts[:2] == [first, f"a post about {first}"]


def _brand_model(embedder, templates):
    model = make_model(embedder)
    config = dict(model.config, brand={"vertical": 0.0, "contrast": 0.5, "negative_reduce": "max"})
    if templates is not None:
        config["topic"] = dict(config["topic"], description_templates=list(templates))
    from brandfit.model import RelevanceModel

    return RelevanceModel(topic_head=model.topic_head, promo_head=model.promo_head, descriptions=model.descriptions,
                          promo_threshold=model.promo_threshold, config=config, version=model.version,
                          backend=model.backend, embedder=model.embedder)


ACCOUNT = Account.from_input({"account_id": "a", "bio": "trail runner", "posts": ["ultra race this weekend", "new lipstick"]})


def test_a_brand_s_words_are_framed_like_the_model_s_descriptions():
    rec = Recording()
    model = _brand_model(rec, ("{}", "a post about {}"))
    assert model.phrase_templates == ("{}", "a post about {}")
    Pipeline(model).score([ACCOUNT], BrandTopic("trail", "trail shoes", examples=("hill run today",)))
    assert "a post about trail shoes" in rec.texts
    assert "a post about hill run today" not in rec.texts  # example posts are embedded as they are


def test_a_model_without_templates_scores_brands_exactly_as_before():
    from brandfit.brand import brand_relevance, brand_topic_proba, other_topic_descriptions

    rec = Recording()
    model = _brand_model(rec, None)
    assert model.phrase_templates == ("{}",)
    brand = BrandTopic("trail", "trail shoes", examples=("hill run today", "new lipstick"))
    texts = ["ultra race this weekend", "new lipstick", "trail shoes for the hills", "my cat"]
    analysis = model.analyze(texts)
    got = Pipeline(model).brand_relevance(analysis, brand, texts)
    assert not any("a post about" in t for t in rec.texts)
    # the rule before framing: the words and examples embedded as they are, in one call
    emb = model.embed(list(brand.texts()))
    q = brand_topic_proba(model.apply_heads(emb, [[] for _ in emb], list(brand.texts())).topic_proba)
    neg = other_topic_descriptions(model.descriptions.embeddings, model.descriptions.topic_index, q)
    want = brand_relevance(analysis.embeddings, emb[:1], analysis.topic_proba, q, negative_emb=neg,
                           example_emb=emb[1:], calibration=model.brand_calibration, **model.config["brand"])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    framed = Pipeline(_brand_model(FakeEmbedder(), ("{}", "a post about {}"))).brand_relevance(analysis, brand, texts)
    assert not np.allclose(framed, want)  # the framing does change the scores: the comparison above has teeth


def test_no_phrases_give_no_rows_of_the_encoder_s_width():
    enc = FakeEmbedder()
    assert embed_phrases(lambda x: enc.encode(x), [], ("{}",)).shape == (0, 384)
    assert embed_phrases(lambda x: enc.encode(x), np.array(["yoga"]), ("{}",)).shape == (1, 384)


def test_too_many_templates_are_refused():
    with pytest.raises(ValueError, match="at most 16"):
        check_templates(["{}"] * 17)
    with pytest.raises(ValueError, match="expected a non-empty list"):
        check_templates(b"{}")


def test_a_model_with_framed_phrases_is_format_5_and_round_trips():
    import json

    from brandfit.model import RelevanceModel
    from brandfit.model_format import FORMAT_VERSION

    framed = _brand_model(FakeEmbedder(), ("{}", "a post about {}"))
    files = framed.to_files()
    assert json.loads(files["model.json"])["format_version"] == 5 < FORMAT_VERSION  # 6: brand words as n-grams
    back = RelevanceModel.from_files(files)
    assert back.phrase_templates == ("{}", "a post about {}")
    assert json.loads(_brand_model(FakeEmbedder(), None).to_files()["model.json"])["format_version"] == 1
    assert json.loads(_brand_model(FakeEmbedder(), ("{}",)).to_files()["model.json"])["format_version"] == 1


@pytest.mark.parametrize("bad", [["x"], "{}", [], [1], None])
def test_bad_templates_in_a_model_file_are_an_integrity_error(bad):
    import json

    from brandfit.errors import IntegrityError
    from brandfit.model import RelevanceModel

    files = _brand_model(FakeEmbedder(), ("{}", "a post about {}")).to_files()
    meta = json.loads(files["model.json"])
    meta["config"]["topic"]["description_templates"] = bad
    files["model.json"] = json.dumps(meta).encode()
    with pytest.raises(IntegrityError, match="model.json.*description_templates"):
        RelevanceModel.from_files(files)
