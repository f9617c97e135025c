"""The production model's names prior (``topic.names_prior``): what it counts, what it leaves out, what it says."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import brandfit

REPO = Path(__file__).resolve().parents[2]



def test_the_production_model_reads_the_vertical_of_a_name(production_model):
    m = production_model
    assert m.names_prior > 0 and m.normalization_version >= 5
    texts = ["madden 26 franchise mode, drafted a qb in round 1", "Weekend in Manchester 🇬🇧☔",
             "Breaking bad habits one day at a time 💪"]
    a = m.analyze(texts)
    assert [[n.written for n in found] for found in a.names] == [["madden 26"], [], []]
    plain = m.apply_heads(a.embeddings, a.cues, texts, vote=False)  # the heads alone (and no vote of our texts)
    other = brandfit.TOPICS.index("other")
    assert a.topic_proba[0, other] > plain.topic_proba[0, other]  # the game pushes `other` up
    np.testing.assert_allclose(a.topic_proba.sum(axis=1), 1.0)


def test_an_account_says_which_known_names_of_its_core_topic_it_mentions(production_model):
    account = {"bio": "marathon runner | coach",
               "posts": ["kipchoge in berlin again 🐐", "new pegasus 41, first run", "hill repeats in the fog",
                         "Weekend in Manchester 🇬🇧", "vaporfly 3 vs alphafly 3?", "kipchoge's splits were unreal"]}
    r = brandfit.predict_relevance(account, "sports_outdoor", model=production_model)
    assert r.primary_topic == "sports_outdoor"
    line = [x for x in r.reasons if x.startswith("Known sports_outdoor names it mentions: ")]
    assert len(line) == 1 and line[0].startswith("Known sports_outdoor names it mentions: kipchoge (marathon runner), ")
    assert "manchester" not in line[0].lower() and line[0].count("kipchoge") == 1


def test_the_production_models_config_reads_back_as_a_training_config(production_model, tmp_path, capsys):
    """``brandfit evaluate`` rebuilds the training config from a model's; the keys a trained model records beside
    it (the normalisation version, the names prior's rules) are not training settings and must not refuse it."""
    from brandfit.cli import main
    from brandfit.config import TrainConfig

    assert "names_prior_rules" in production_model.config
    config = TrainConfig.from_dict(production_model.config)
    assert config.topic.names_prior == production_model.config["topic"]["names_prior"] > 0
    assert main(["evaluate", "--model", "production", "--registry", str(REPO / "models"),
                 "--out", str(tmp_path / "report")]) == 0
    assert "macro F1" in (tmp_path / "report" / "report.md").read_text()
