"""``brandfit data suggest``: uncertain, novel, diverse picks in the labeled schema (fake model, no encoder)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fakes import make_model

from brandfit.data.suggest import k_center_greedy, mean_pairwise_cosine, suggest, uncertainty
from brandfit.data.unlabeled import read_texts


def test_uncertainty_peaks_at_uniform_topics_and_the_promo_threshold():
    topic = np.array([[1.0, 0, 0, 0, 0, 0], np.full(6, 1 / 6), [1.0, 0, 0, 0, 0, 0]])
    promo = np.array([0.0, 0.0, 0.4])
    u = uncertainty(topic, promo, threshold=0.4)
    assert u[0] < 0.01 and u[1] > 0.99 and u[2] > 0.99


def test_k_center_greedy_spreads_the_picks():
    rng = np.random.default_rng(0)
    cluster = rng.normal(size=(1, 16)) + 0.01 * rng.normal(size=(50, 16))  # 50 near-copies, most uncertain
    others = rng.normal(size=(50, 16))
    emb = np.vstack([cluster, others])
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    weight = np.r_[np.ones(50), np.full(50, 0.6)]
    picks = k_center_greedy(emb, weight, 10)
    assert sum(p < 50 for p in picks) == 1  # one of the near-copies, then the rest elsewhere
    assert mean_pairwise_cosine(emb[picks]) < mean_pairwise_cosine(emb[:10])


def test_read_texts(tmp_path: Path):
    (tmp_path / "texts.jsonl").write_text(
        json.dumps({"text": "new trail shoes", "account_id": "a1"}) + "\n"
        + json.dumps({"id": "x", "kind": "bio", "text": "gym rat", "account_id": "a2"}) + "\n", encoding="utf-8")
    (tmp_path / "accounts.jsonl").write_text(json.dumps(
        {"account_id": "b1", "bio": "makeup nerd", "posts": ["new serum", {"text": "lipstick haul"}]}) + "\n",
        encoding="utf-8")
    frame = read_texts([tmp_path])
    assert frame["id"].tolist() == ["b1:bio", "b1:post1", "b1:post2", "texts:1", "x"]


def test_suggest_writes_the_labeled_schema_and_is_more_diverse():
    import pandas as pd

    from brandfit.data.labeled import check_records

    words = ["trail", "dress", "gym", "lipstick", "phone", "garden", "cat", "soup"]
    rng = np.random.default_rng(1)
    texts = [" ".join(rng.choice(words, 2)) + f" note {i} " + " ".join(rng.choice(["wow", "fun", "ok"], 2))
             for i in range(120)]
    texts += ["trail dress gym lipstick phone"] * 1 + [f"trail dress gym lipstick phone v{i}" for i in range(30)]
    frame = pd.DataFrame({"id": [f"u{i}" for i in range(len(texts))], "kind": "post", "text": texts,
                          "account_id": None})
    result = suggest(frame, make_model(), n=20, labeled_texts=["trail run", "gym squat"])
    assert len(result.records) == 20
    assert not check_records(result.records, source="picks")  # valid labeled rows
    assert result.diversity_picks < result.diversity_uncertain


def test_a_missing_labeled_set_is_an_error_not_novelty_one_for_every_pick(tmp_path, monkeypatch):
    from brandfit.data.suggest import labeled_set_path
    from brandfit.errors import MissingFileError

    monkeypatch.chdir(tmp_path)  # outside the repository: no data/labeled/texts here
    with pytest.raises(MissingFileError, match=r"no labeled set found: the default data/labeled/texts does not "
                                               r"exist .*--labeled PATH .*--labeled none"):
        labeled_set_path(None)
    with pytest.raises(MissingFileError, match="--labeled good/txts: no such file or folder"):
        labeled_set_path("good/txts")
    assert labeled_set_path("none") is None and labeled_set_path("NONE") is None
    (tmp_path / "good" / "texts").mkdir(parents=True)
    (tmp_path / "good" / "accounts").mkdir()
    (tmp_path / "good" / "texts" / "a.jsonl").write_text("", encoding="utf-8")
    assert labeled_set_path("good/texts/a.jsonl") == "good/texts/a.jsonl"
    assert Path(labeled_set_path("good")) == Path("good/texts")  # a labeled folder: its texts/
    (tmp_path / "data" / "labeled" / "texts").mkdir(parents=True)
    assert labeled_set_path(None) == "data/labeled/texts"


def test_suggest_cli_refuses_before_loading_anything(tmp_path, monkeypatch, capsys):
    from brandfit.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "unl.jsonl").write_text('{"id": "u1", "text": "hello"}\n', encoding="utf-8")
    code = main(["data", "suggest", "unl.jsonl", "-n", "1", "-o", "sug.jsonl", "--registry", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert code == 2 and "no labeled set found" in err and not (tmp_path / "sug.jsonl").exists()
