"""training/experiments/probe_eval.py scores a topic probe with a registry model: one line with the whole probe and
each kind, and with ``--misses`` one line per text whose top topic is wrong. Its scores use sklearn's metrics, which
need torch importable, so they are tested here rather than in the unit tier."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from fakes import REPO


def _script():
    spec = importlib.util.spec_from_file_location("probe_eval", REPO / "training" / "experiments" / "probe_eval.py")
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    return probe


def test_probe_eval_scores_a_registry_model_per_kind_and_lists_misses(tmp_path: Path, capsys) -> None:
    probe = _script()
    rows = [
        {"text": "new trail shoes for the mountain marathon 🏔️", "topic": "sports_outdoor", "kind": "caption"},
        {"text": "my lipstick and mascara haul, the liner is perfect", "topic": "beauty", "kind": "caption"},
        {"text": "which laptop has the best battery for uni? budget 800", "topic": "electronics", "kind": "comment"},
        {"text": "my lipstick and mascara haul, the liner is perfect!", "topic": "other", "kind": "trap"},  # wrong
    ]
    path = tmp_path / "probe.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert probe.main([str(path), "production", "--misses"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("production: all ") and "(n=4)" in out[0]
    assert "caption 1.000 / 1.000 (n=2)" in out[0] and "comment 1.000 / 1.000 (n=1)" in out[0]
    assert len(out) == 2 and out[1].startswith("  miss [trap] other -> beauty ")
    assert out[1].endswith(f": {rows[3]['text']}")


def test_probe_eval_scores_per_kind_over_the_topics_each_kind_holds() -> None:
    import numpy as np

    from brandfit.topics import TOPICS

    probe = _script()
    topics = ["beauty", "electronics", "other", "other"]
    kinds = ["caption", "caption", "trap", "trap"]
    proba = np.full((4, len(TOPICS)), 0.02)
    for i, t in enumerate(["beauty", "electronics", "other", "beauty"]):  # the last one is wrong
        proba[i, TOPICS.index(t)] = 0.9
    s = probe.scores(proba, topics, kinds)
    assert s["caption"] == (1.0, 1.0, 2)
    assert s["trap"][1:] == (0.5, 2)  # traps: top-1 1 of 2; AP over `other` alone (beauty is absent from the slice)
    assert s["all"][2] == 4 and 0 < s["all"][0] < 1


def test_brand_probe_ranks_the_pool_with_the_shipped_brand_score_and_its_ablations(tmp_path: Path, capsys) -> None:
    spec = importlib.util.spec_from_file_location("brand_probe", REPO / "training" / "experiments" / "brand_probe.py")
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    brands = [{"brand_id": "trail", "vertical": "sports_outdoor", "words": "trail running shoes and race vests"},
              {"brand_id": "oud", "vertical": "beauty", "words": "perfume oils and oud fragrances"}]
    pool = [{"text": "muddy ridge run today, new trail shoes held up 🏔️", "brand_id": "trail", "kind": "fit"},
            {"text": "this oud lasts all day on my skin", "brand_id": "oud", "kind": "fit"},
            {"text": "running late again lol", "brand_id": None, "vertical": "other", "kind": "everyday"},
            {"text": "red lipstick for the party 💄", "brand_id": None, "vertical": "beauty", "kind": "sibling"},
            {"text": "derby day at the stadium, what a goal ⚽", "brand_id": None, "vertical": "sports_outdoor",
             "kind": "sibling"}]
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in brands), encoding="utf-8")
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in pool), encoding="utf-8")
    assert probe.main([str(tmp_path / "b.jsonl"), str(tmp_path / "p.jsonl"), "production", "--grid"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["production shipped", *(f"production {g}" for g in probe.GRID)]
    assert out[0] == "production shipped: mean AP 1.000  close 1.000  sports_outdoor 1.000  beauty 1.000"
    aps = [float(line.split("mean AP ")[1].split()[0]) for line in out]
    assert all(0 < ap <= 1 for ap in aps)  # each ablation ranks the pool: at worst a fit post below the negatives


def test_the_brand_arguments_with_the_models_settings_give_the_pipelines_brand_relevance() -> None:
    import numpy as np

    import pytest

    from brandfit import load_model
    from brandfit.account import BrandTopic
    from brandfit.brand import brand_score
    from brandfit.errors import InputError
    from brandfit.model import RelevanceModel
    from brandfit.pipeline import Pipeline

    model = load_model()
    pipe = Pipeline(model)
    texts = ["bouldering at font this weekend 🧗", "new serum routine", "chalk bag and crash pad haul"]
    analysis = model.analyze(texts, show_progress_bar=False)
    brand = BrandTopic("climb", "climbing and bouldering shoes, chalk and crash pads", examples=("send it 🧗",))
    z = brand_score(**pipe.brand_arguments(analysis, brand, texts), **model.brand_settings)
    a, b = model.brand_calibration
    np.testing.assert_allclose(1 / (1 + np.exp(-(a * z + b))), pipe.brand_relevance(analysis, brand, texts), rtol=1e-6)
    assert z[0] > z[1] and z[2] > z[1]
    with pytest.raises(InputError, match="brand_relevance needs the analysed texts"):
        pipe.brand_arguments(analysis, brand)  # the n-gram match needs the texts themselves
    legacy = RelevanceModel.from_folder(REPO / "models" / "relevance" / "3", version="relevance@3")  # no brand config
    assert legacy.brand_settings == {}
    with pytest.raises(InputError, match="plain cosine"):
        Pipeline(legacy).brand_arguments(analysis, brand, texts)
