import json

import numpy as np
import pandas as pd
import pytest

import brandfit
from brandfit.cli import main
from brandfit.config import TrainConfig, load_config
from brandfit.data import load_labeled
from brandfit.registry import ModelRegistry
from brandfit.topics import TOPICS
from brandfit.train import load_training_frame, publish, train

PROBES = ["hill repeats before work #trailrunning", "new serum day 3, skin is glowing", "use code FIT20 for 20% off"]


@pytest.fixture(scope="module")
def small_data(tmp_path_factory, repo):
    """About 60 texts per topic from data/labeled, accounts kept whole."""
    df = load_labeled(repo / "data/labeled/texts").frame
    keep = df[df["account_id"].isna()].groupby(["topic", "promo"], group_keys=False).head(30)
    path = tmp_path_factory.mktemp("data") / "small.jsonl"
    keep[["id", "kind", "text", "topic", "promo", "disclosed", "account_id"]].to_json(
        path, orient="records", lines=True, force_ascii=False)
    return path


def test_default_config_file_matches_dataclass_defaults(repo):
    assert load_config(repo / "training/configs/default.yaml") == TrainConfig()


@pytest.mark.parametrize("yaml_text, words", [
    ("topic: {c: -1}\n", "topic.c"),
    ("topic: {cc: 1}\n", "unknown key"),
    ("split: [0.5, 0.5]\n", "split"),
    ("- not a mapping\n", "mapping"),
])
def test_bad_config_is_a_clear_error(tmp_path, yaml_text, words):
    p = tmp_path / "c.yaml"
    p.write_text(yaml_text)
    with pytest.raises(ValueError, match=words):
        load_config(p)


@pytest.mark.slow
def test_training_is_reproducible_and_publishes(small_data, embedder, tmp_path, monkeypatch):
    import brandfit.train as train_module

    calls = []  # both promo layers (the embedding head and the lexical layer) weigh their rows one way
    real = train_module._promo_weights
    monkeypatch.setattr(train_module, "_promo_weights", lambda d, rows, cfg: calls.append(
        int(rows.sum()) if rows.dtype == bool else len(rows)) or real(d, rows, cfg))
    config = TrainConfig(data=(str(small_data),), accounts=None, public_data=None)
    r1 = train(config, embedder=embedder, public_eval=False)
    assert len(calls) == 2 and calls[0] == calls[1] > 0
    r2 = train(config, embedder=embedder, public_eval=False)
    p1, p2 = r1.model.topic_proba(PROBES), r2.model.topic_proba(PROBES)
    pd.testing.assert_frame_equal(p1, p2)
    np.testing.assert_array_equal(r1.model.promo_proba(PROBES), r2.model.promo_proba(PROBES))
    assert r1.dataset_hash == r2.dataset_hash
    assert list(p1.columns) == list(TOPICS)
    np.testing.assert_allclose(p1.sum(axis=1), 1.0, atol=1e-6)
    assert p1.iloc[0].idxmax() == "sports_outdoor" and p1.iloc[1].idxmax() == "beauty"
    test = r1.metrics["test"]
    assert test["topic"]["accuracy"] > 0.6 and test["promo"]["ap"] > 0.7

    ref = publish(r1, config, tmp_path / "models", aliases=("production",))
    assert ref == "relevance@1"
    meta = ModelRegistry(tmp_path / "models").show("production")
    assert meta["dataset_hash"] == r1.dataset_hash
    assert meta["embedding_model"].endswith("all-MiniLM-L6-v2") and meta["embedding_dim"] == 384
    assert meta["metrics"]["test"]["topic"]["n"] > 0
    loaded = brandfit.load_model("production", registry=tmp_path / "models", backend="torch")
    assert loaded.version == "relevance@1"
    pd.testing.assert_frame_equal(loaded.topic_proba(PROBES), p1, atol=1e-6)
    assert loaded.promo_threshold == pytest.approx(r1.model.promo_threshold)

    # the onnx backend was checked with the same heads; validated only if every gap is within tolerance
    check = r1.metrics["backends"]["onnx"]
    assert {"validation/topic_macro_ap", "validation/promo_ap", "test/promo_f1"} <= set(check["gaps"])
    assert check["validated"] == all(abs(v) <= check["tolerance"][k.rsplit("/", 1)[1]] for k, v in check["gaps"].items())
    assert check["test"]["topic"]["n"] == test["topic"]["n"]
    want = ("torch", "onnx") if check["validated"] else ("torch",)
    assert r1.model.validated_backends == loaded.validated_backends == want
    assert meta["validated_backends"] == list(want)


def test_loading_with_an_unvalidated_backend_warns(tmp_path, production_model, caplog):
    """A model whose threshold was only validated on torch says so when served with onnx (no embedding needed)."""
    m = production_model.with_backend("torch")
    m.validated_backends = ("torch",)
    m.save(tmp_path / "m")
    with caplog.at_level("WARNING", logger="brandfit.model"):
        brandfit.RelevanceModel.from_folder(tmp_path / "m", backend="torch")
        assert not caplog.records
        loaded = brandfit.RelevanceModel.from_folder(tmp_path / "m", backend="onnx")
    assert loaded.backend == "onnx" and loaded.validated_backends == ("torch",)
    assert "validated with the torch backend only" in caplog.text


def test_training_refuses_bad_rows(tmp_path, embedder):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "1", "kind": "post", "text": "x", "topic": "golf", "promo": False,
                               "disclosed": False}) + "\n")
    with pytest.raises(ValueError, match=f"{bad}:1: topic"):
        train(TrainConfig(data=(str(bad),), accounts=None, public_data=None), embedder=embedder, public_eval=False)


@pytest.mark.slow
def test_train_and_evaluate_cli(small_data, tmp_path, capsys):
    reg = tmp_path / "models"
    assert main(["train", "--data", str(small_data), "--registry", str(reg), "--no-public-eval", "--no-public",
                 "--alias", "staging"]) == 0
    assert "published relevance@1 (aliases: staging)" in capsys.readouterr().out
    out = tmp_path / "report"
    assert main(["evaluate", "--model", "staging", "--registry", str(reg), "--data", str(small_data),
                 "--out", str(out)]) == 0
    text = (out / "report.md").read_text()
    assert "macro F1" in text and "ECE" in text and "promo" in text.lower()
    for png in ("confusion.png", "reliability.png", "pr_curves.png"):
        assert (out / png).stat().st_size > 1000
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["topic"]["per_topic"]) == set(TOPICS)


def test_split_and_hash_recorded(repo):
    frame, dhash = load_training_frame(TrainConfig(), base=repo)
    assert dhash.startswith("sha256:") and set(frame["split"]) == {"train", "validation", "test"}


@pytest.mark.slow
def test_training_and_inference_compute_the_same_topic_and_brand_scores(small_data, embedder):
    """The descriptions' n-gram match (topic.lexical_prior) and the brand words' (brand.lexical) are computed once
    in training (for the reported metrics and the brand calibration) and again by the saved model: they agree."""
    from brandfit.account import BrandTopic
    from brandfit.cues import CUES
    from brandfit.evaluation.metrics import topic_report
    from brandfit.model import RelevanceModel
    from brandfit.pipeline import Pipeline

    config = TrainConfig(data=(str(small_data),), accounts=None, public_data=None)
    assert config.topic.lexical_prior > 0 and config.brand.lexical > 0 and config.lexical.on
    r = train(config, embedder=embedder, public_eval=False)
    files = r.model.to_files()
    meta = json.loads(files["model.json"])
    # 18: the names prior, 17: names glossed (normalisation 4), 16: the stand-in examples, 15: the housekeeping
    # qualifier, 14: the partnership cue, 13: the qualifier ceiling, 12: the qualifier cues, 11: our texts as
    # neighbours, 10: the topic caption layer (9: the promo one, 8: the cues of phrasing)
    assert meta["format_version"] == 18 and meta["config"]["topic"]["names_prior"] == config.topic.names_prior > 0
    from brandfit.names_prior import RULES

    assert meta["config"]["names_prior_rules"] == RULES  # the rules it was trained with
    assert meta["config"]["topic"]["names_prior_skip"] == list(config.topic.names_prior_skip)
    n_train = int(((r.frame["split"] == "train") & r.frame["topic"].notna()).sum())
    assert r.metrics["topic_neighbours"] == n_train  # our train rows with a topic, nothing else
    assert meta["config"]["promo"]["cues"] == list(CUES)
    back = RelevanceModel.from_files(files)
    assert back.promo_cue_columns == tuple(CUES)
    assert config.topic.caption_weight > 0 and back.lexical.caption_topic_coef is not None  # in the topic figures below
    assert config.promo.caption_weight > 0 and back.lexical.caption_coef is not None  # the promo figures below
    # (training's and the saved model's) include it
    model = RelevanceModel(topic_head=back.topic_head, promo_head=back.promo_head, descriptions=back.descriptions,
                           promo_threshold=back.promo_threshold, config=back.config, embedder=embedder,
                           brand_calibration=back.brand_calibration, lexical=back.lexical,
                           mix_temperature=back.mix_temperature, neighbours=back.neighbours)
    assert len(model.neighbours) == n_train and model.neighbour_share == config.topic.neighbours > 0
    assert model.lexical_prior == config.topic.lexical_prior and model.brand_lexical == config.brand.lexical
    assert model.names_prior == config.topic.names_prior  # in the topic figures below, training's and the model's
    test = r.frame[r.frame["split"] == "test"]
    report = topic_report(test["topic"].tolist(), model.analyze(test["text"].tolist()).topic_proba)
    assert report["macro_ap"] == pytest.approx(r.metrics["test"]["topic"]["macro_ap"], abs=1e-6)
    assert report["accuracy"] == pytest.approx(r.metrics["test"]["topic"]["accuracy"], abs=1e-9)
    # the promo figures training reports are the saved model's, disclosure floor included
    from brandfit.evaluation.metrics import promo_report

    promo = promo_report(test["promo"].astype(bool).tolist(), model.analyze(test["text"].tolist()).promo_proba,
                         model.promo_threshold)
    assert model.disclosure_floor == config.promo.disclosure_floor > 0
    assert promo["ap"] == pytest.approx(r.metrics["test"]["promo"]["ap"], abs=1e-6)
    assert promo["f1"] == pytest.approx(r.metrics["test"]["promo"]["f1"], abs=1e-9)
    for key in ("precision", "recall"):  # the same side of the threshold, text by text (a shifted logit would move some)
        assert promo[key] == pytest.approx(r.metrics["test"]["promo"][key], abs=1e-9)
    # the threshold is chosen on the heads' own scores: training without the floor picks the same one
    import dataclasses

    from brandfit.disclosure import paid_disclosure

    plain = train(dataclasses.replace(config, promo=dataclasses.replace(config.promo, disclosure_floor=0.0)),
                  embedder=embedder, public_eval=False)
    assert plain.model.promo_threshold == model.promo_threshold and plain.model.disclosure_floor == 0.0
    probe = test["text"].tolist()[:20] + [t + " #ad" for t in test["text"].tolist()[:5]]
    paid = paid_disclosure(probe)
    a, b = plain.model.promo_proba(probe), r.model.promo_proba(probe)
    assert paid.sum() >= 5 and (b[paid] >= 0.9 - 1e-9).all()
    np.testing.assert_allclose(b[~paid], a[~paid])
    texts = test["text"].tolist()[:20]
    brand = BrandTopic("climb", "rock climbing and bouldering", examples=("new climbing shoes",))
    rel = Pipeline(model).brand_relevance(model.analyze(texts), brand, texts)
    assert rel.shape == (20,) and np.isfinite(rel).all() and ((rel > 0) & (rel < 1)).all()
    with pytest.raises(brandfit.errors.InputError, match="texts"):
        Pipeline(model).brand_relevance(model.analyze(texts), brand)
    with pytest.raises(brandfit.errors.InputError, match="texts"):
        Pipeline(model).brand_relevance(model.analyze(texts), brand, texts[:3])
    # a brand given in words only borrows the stored texts nearest its words (brand.expand), and the brand calibration
    # was fitted with them; without them the heads are the same and only the calibration moves
    assert model.brand_expand == config.brand.expand == 10
    words_only = BrandTopic("climb", "rock climbing and bouldering")
    args = Pipeline(model).brand_arguments(model.analyze(texts), words_only, texts)
    assert args["example_emb"].shape == (10, model.neighbours.embeddings.shape[1])
    bare = train(dataclasses.replace(config, brand=dataclasses.replace(config.brand, expand=0)), embedder=embedder,
                 public_eval=False)
    assert bare.model.brand_expand == 0 and bare.model.brand_calibration != model.brand_calibration
    pd.testing.assert_frame_equal(bare.model.topic_proba(texts), r.model.topic_proba(texts))
