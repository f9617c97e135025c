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


def test_a_model_without_templates_embeds_the_words_as_written():
    rec = Recording()
    model = _brand_model(rec, None)
    assert model.phrase_templates == ("{}",)
    rel = Pipeline(model).score([ACCOUNT], BrandTopic("trail", "trail shoes"))[0]
    assert not any("a post about" in t for t in rec.texts)
    assert 0.0 <= rel.score <= 1.0


def test_a_model_with_framed_phrases_is_format_5_and_round_trips():
    import json

    from brandfit.model import RelevanceModel
    from brandfit.model_format import FORMAT_VERSION

    framed = _brand_model(FakeEmbedder(), ("{}", "a post about {}"))
    files = framed.to_files()
    assert json.loads(files["model.json"])["format_version"] == 5 == FORMAT_VERSION
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
