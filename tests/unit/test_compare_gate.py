"""``brandfit models compare`` (paired bootstrap on the same texts) and the promotion gate of ``models promote``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fakes import KEYWORDS, FakeEmbedder, make_model

from brandfit.registry import ModelRegistry
from brandfit.registry.compare import average_precision_bootstrap, compare_models, regressions
from brandfit.topics import TOPICS


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    from brandfit.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def labeled_rows(n_per_topic: int = 30, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for t, topic in enumerate(TOPICS):
        words = KEYWORDS.get(t, ("weather", "garden", "recipe", "dinner"))
        for i in range(n_per_topic):
            promo = i % 3 == 0
            text = f"my {rng.choice(words)} {rng.choice(words)} day number {i} with friends"
            if promo:
                text += " use code SAVE20 for 20% off, link in bio #ad"
            rows.append({"id": f"{topic[:3]}-{i:03d}", "kind": "post", "text": text, "topic": topic, "promo": promo,
                         "disclosed": promo, "account_id": None})
    return rows


def sets_frame():
    import pandas as pd

    return {"test": pd.DataFrame(labeled_rows())[["text", "topic", "promo"]]}


def worse_model(version: str = "relevance@2"):
    m = make_model(version=version)
    coef = m.topic_head.coef.copy()
    coef[[0, 1]] = coef[[1, 0]]  # confuses sports_outdoor and fashion
    from brandfit.heads import SoftmaxHead

    m.topic_head = SoftmaxHead(coef, m.topic_head.intercept, 1.0)
    return m


def average_precision_score(y, score):
    """scikit-learn's definition, written out (scipy, which sklearn.metrics imports, is unusable in this tier):
    sum over distinct thresholds of (recall gained) x precision."""
    y, score = np.asarray(y, bool), np.asarray(score, float)
    ap, prev_recall = 0.0, 0.0
    for thr in sorted(set(score), reverse=True):
        picked = score >= thr
        recall = (picked & y).sum() / y.sum()
        ap += (recall - prev_recall) * (picked & y).sum() / picked.sum()
        prev_recall = recall
    return ap


def test_bootstrap_average_precision_matches_sklearns_definition():
    rng = np.random.default_rng(1)
    y = rng.random(200) < 0.3
    score = np.round(rng.random(200) + y * 0.4, 1)  # many ties
    ones = np.ones((1, 200))
    assert average_precision_bootstrap(y, score, ones)[0] == pytest.approx(average_precision_score(y, score))
    counts = rng.multinomial(200, np.full(200, 1 / 200), 3)
    for row in counts:
        idx = np.repeat(np.arange(200), row)
        expected = average_precision_score(y[idx], score[idx])
        assert average_precision_bootstrap(y, score, row[None])[0] == pytest.approx(expected)


def test_same_model_has_zero_difference_and_a_worse_one_is_flagged():
    emb = FakeEmbedder()
    same = compare_models(make_model(emb), make_model(emb, version="relevance@2"), sets_frame(), n_bootstrap=200)
    assert [r.key for r in same.headline] == ["test/topic_macro_ap", "test/promo_ap"]
    assert all(r.delta == 0 and r.low == 0 and r.high == 0 for r in same.rows)
    assert emb.calls == [len(sets_frame()["test"])]  # embedded once for both models
    worse = compare_models(make_model(), worse_model(), sets_frame(), n_bootstrap=200)
    topic = worse.rows[0]
    assert topic.delta < -0.1 and topic.low <= topic.delta <= topic.high < 0
    assert [r.key for r in regressions(worse.headline, 0.01)] == ["test/topic_macro_ap"]


@pytest.fixture
def registry(tmp_path: Path, monkeypatch) -> ModelRegistry:
    import brandfit.model

    monkeypatch.setattr(brandfit.model, "get_embedder", lambda backend=None: FakeEmbedder())
    monkeypatch.chdir(tmp_path)
    texts = tmp_path / "data" / "labeled" / "texts"
    texts.mkdir(parents=True)
    # 60 a topic: a test split of 54 texts, enough for the gate to judge (at least 50)
    (texts / "all.jsonl").write_text("".join(json.dumps(r) + "\n" for r in labeled_rows(60)), encoding="utf-8")
    reg = ModelRegistry(tmp_path / "models")
    for i, model in enumerate((make_model(), worse_model()), start=1):
        folder = tmp_path / f"m{i}"
        model.save(folder)
        reg.publish("relevance", folder, metadata={"metrics": {}, "embedding_model": "fake"})
    reg.promote("relevance@1")
    return reg


def test_compare_cli_prints_intervals_and_plots(registry, capsys, tmp_path):
    r = ("models", "--registry", str(registry.root))
    code, out, _ = run_cli(capsys, *r, "compare", "relevance@1", "relevance@2", "--no-public", "--bootstrap", "100",
                           "--plot", str(tmp_path / "pr.png"))
    assert code == 0, out
    assert "paired bootstrap 95% interval" in out and "worse" in out
    assert (tmp_path / "pr.png").stat().st_size > 1000
    data = json.loads(run_cli(capsys, *r, "compare", "relevance@1", "relevance@2", "--no-public", "--json",
                              "--bootstrap", "50")[1])
    assert data["rows"][0]["key" if "key" in data["rows"][0] else "metric"] == "topic_macro_ap"
    assert data["rows"][0]["delta"] < 0


def test_gate_refuses_a_worse_candidate_and_force_is_recorded(registry, capsys):
    r = ("models", "--registry", str(registry.root))
    code, out, err = run_cli(capsys, *r, "promote", "relevance@2", "--no-public", "--bootstrap", "50")
    assert code == 2 and "refusing to promote relevance@2" in err and "WORSE" in out
    assert registry.aliases()["production"] == "relevance@1"
    assert run_cli(capsys, *r, "promote", "relevance@2", "--force", "--no-public")[0] == 2  # no reason
    code, out, err = run_cli(capsys, *r, "promote", "relevance@2", "--no-public", "--bootstrap", "50",
                             "--force", "--reason", "needed for the demo")
    assert code == 0 and out.strip().endswith("production -> relevance@2")
    event = registry.history("relevance@2")[-1]
    assert event["forced"] is True and event["reason"] == "needed for the demo" and event["who"]
    assert event["gate"]["regressions"]["test/topic_macro_ap"] < -0.01
    # back to the better one: the gate lets it through
    code, out, _ = run_cli(capsys, *r, "promote", "relevance@1", "--no-public", "--bootstrap", "50")
    assert code == 0 and registry.aliases()["production"] == "relevance@1"
    assert "FORCED: needed for the demo" in run_cli(capsys, *r, "show", "relevance@2")[1]


def test_the_gates_public_rows_are_groups_no_head_was_fitted_on(monkeypatch):
    """The public sample is the validation groups of the pool training draws from (the same hash of the seed as
    ``brandfit train``), then capped per source: a model that memorised its training rows gains nothing there."""
    import pandas as pd

    import brandfit.evaluation.public as public
    from brandfit.evaluation.loso import validation_mask
    from brandfit.registry.compare import comparison_texts

    pool = pd.DataFrame({"text": [f"t{i}" for i in range(4000)], "source": ["a"] * 3000 + ["b"] * 1000,
                         "topic": "other", "promo": None, "group": [f"g{i // 4}" for i in range(4000)]})
    asked = []
    monkeypatch.setattr(public, "load_public", lambda cap=None, **kw: asked.append(cap) or pool)
    sets, skipped = comparison_texts(labeled=None, public_cap=100, seed=13, fractions=(0.7, 0.15, 0.15),
                                     public_pool=2500)
    assert asked == [2500] and not skipped and set(sets) == {"public/a", "public/b"}
    held_out = set(pool["text"][validation_mask(pool["group"].tolist(), fraction=0.15, salt="val13")])
    assert 0.1 < len(held_out) / len(pool) < 0.2
    assert len(sets["public/a"]) == len(sets["public/b"]) == 100
    assert set(sets["public/a"]["text"]) | set(sets["public/b"]["text"]) <= held_out
    every = comparison_texts(labeled=None, public_cap=None, seed=13, public_pool=2500)[0]
    assert sum(len(v) for v in every.values()) == len(held_out)


def test_the_gate_keeps_rows_held_out_from_both_models_and_says_what_it_lost(monkeypatch):
    import pandas as pd

    import brandfit.evaluation.public as public
    from brandfit.evaluation.loso import validation_mask
    from brandfit.registry.compare import comparison_texts

    groups = [f"g{i // 4}" for i in range(4000)] + ["only-group"] * 10
    pool = pd.DataFrame({"text": [f"t{i}" for i in range(4010)], "source": ["a"] * 4000 + ["tiny"] * 10,
                         "topic": "other", "promo": None, "group": groups})
    seen = {}
    monkeypatch.setattr(public, "load_public", lambda cap=None, sources=None, **kw: seen.update(sources=sources) or pool)
    va = {sd: validation_mask(groups, fraction=0.15, salt=f"val{sd}") for sd in (13, 7)}
    assert not va[13][-1]  # the tiny source's one group is a training group under seed 13
    sets, skipped = comparison_texts(labeled=None, public_cap=None, seed=13, public_sources=["a", "tiny"],
                                     also_held_out_under=[(7, (0.7, 0.15, 0.15))])
    both = set(pool["text"][va[13] & va[7]])
    got = set().union(*(set(v["text"]) for v in sets.values())) if sets else set()
    assert got == both and seen["sources"] == ("a", "tiny")
    assert len(both) < len(set(pool["text"][va[13]]))  # a second model's training rows are left out too
    # the tiny source lost every row: said, not silently dropped
    assert "public/tiny" not in sets and any("tiny" in note for note in skipped)


def test_models_on_different_normalisations_each_embed_the_text_their_own_way(monkeypatch):
    """A model trained on names glossed (normalisation 4) must be compared on glossed text, not on the text the
    other model reads; with one normalisation the texts are embedded once."""
    import pandas as pd

    from brandfit.model import RelevanceModel

    def with_version(v: int, version: str) -> RelevanceModel:
        m = make_model(version=version)
        m.config = {**m.config, "normalization_version": v}
        return m

    seen: list[list[str]] = []
    original = RelevanceModel._embed_normalized

    def record(self, texts, *args, **kwargs):
        seen.append(list(texts))
        return original(self, texts, *args, **kwargs)

    monkeypatch.setattr(RelevanceModel, "_embed_normalized", record)
    frame = {"test": pd.DataFrame({"text": ["KIPCHOGE IN BERLIN", "my gym day"], "topic": ["sports_outdoor", "fitness"],
                                   "promo": [False, False]})}
    compare_models(with_version(3, "relevance@1"), with_version(4, "relevance@2"), frame, n_bootstrap=10)
    assert seen == [["KIPCHOGE IN BERLIN", "my gym day"], ["KIPCHOGE (marathon runner) IN BERLIN", "my gym day"]]
    seen.clear()
    compare_models(with_version(4, "relevance@1"), with_version(4, "relevance@2"), frame, n_bootstrap=10)
    assert len(seen) == 1


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_compare_says_when_the_texts_are_too_few_or_lack_promo_positives(registry, capsys, tmp_path):
    """A held-out file of 18 texts without a promo-positive one: promo cannot be computed and topic is computed on
    too few texts. Compare says so (text and JSON); the gate refuses instead of passing on what it never saw."""
    r = ("models", "--registry", str(registry.root))
    small = write_rows(tmp_path / "small.jsonl", [row for row in labeled_rows(5) if not row["promo"]][:18])
    opts = ("--data", str(small), "--all-rows", "--no-public", "--bootstrap", "50")
    code, out, _ = run_cli(capsys, *r, "compare", "relevance@1", "relevance@2", *opts)
    assert code == 0
    assert "test/promo_ap: not computed (no promo-positive text among the 18 texts)" in out
    assert "test/topic_macro_ap: computed on 18 texts, fewer than 50: too few to judge" in out
    assert "too few texts (<50), not judged" in out and "WARNING: no headline topic or promo figure" in out
    data = json.loads(run_cli(capsys, *r, "compare", "relevance@1", "relevance@2", *opts, "--json")[1])
    assert data["unjudged_tasks"] == ["topic", "promo"] and data["not_computed"] == {
        "test/promo_ap": "no promo-positive text among the 18 texts"}
    assert [row["n"] for row in data["rows"]] == [18]
    # relevance@1 -> relevance@2 is a regression on these texts, and still: the gate cannot judge on 18 texts
    code, out, err = run_cli(capsys, *r, "promote", "relevance@2", *opts)
    assert code == 2 and "refusing to promote relevance@2" in err and "the gate cannot judge it" in err
    assert "topic and promo not judged: no headline figure on at least 50 texts" in err
    assert registry.aliases()["production"] == "relevance@1"
    # a lower bar is a choice the user makes and sees; --force --reason overrides and is recorded
    code, out, err = run_cli(capsys, *r, "promote", "relevance@2", *opts, "--force", "--reason", "small pilot")
    assert code == 0 and registry.aliases()["production"] == "relevance@2"
    gate = registry.history("relevance@2")[-1]["gate"]
    assert gate["passed"] is False and any("not computed" in p for p in gate["cannot_judge"])


def test_all_rows_scores_a_whole_held_out_file_and_warns_on_training_data(registry, capsys, tmp_path):
    r = ("models", "--registry", str(registry.root))
    held_out = write_rows(tmp_path / "held_out.jsonl", labeled_rows(12, seed=5))  # 72 texts, 24 promo
    code, _, err = run_cli(capsys, *r, "compare", "relevance@1", "relevance@2", "--all-rows", "--no-public")
    assert code == 2 and "--all-rows" in err and "give --data PATH" in err
    data = json.loads(run_cli(capsys, *r, "compare", "relevance@1", "relevance@2", "--data", str(held_out),
                              "--all-rows", "--no-public", "--json", "--bootstrap", "50")[1])
    assert [(row["metric"], row["n"]) for row in data["rows"]] == [("topic_macro_ap", 72), ("promo_ap", 72)]
    assert data["unjudged_tasks"] == [] and data["warnings"] == []
    # the same file as a version's training data: every row is scored, and that is said
    import brandfit.data.labeled as labeled

    digest = labeled.dataset_hash(labeled.load_labeled([str(held_out)]).frame)
    src = tmp_path / "m3"
    make_model(version="relevance@3").save(src)
    registry.publish("relevance", src, metadata={"metrics": {}, "embedding_model": "fake", "dataset_hash": digest})
    code, out, _ = run_cli(capsys, *r, "compare", "relevance@1", "relevance@3", "--data", str(held_out),
                           "--all-rows", "--no-public", "--bootstrap", "50")
    assert code == 0 and "WARNING: --data is the data relevance@3 was trained on" in out
    assert "relevance@1 was trained on" not in out


def test_without_data_compare_uses_the_data_a_was_trained_on(registry, capsys, tmp_path):
    """compare, promote and evaluate share one default: the labeled data the (first) version records in its config,
    relative to the current folder; data/labeled/texts only for a version that records none."""
    r = ("models", "--registry", str(registry.root))
    write_rows(tmp_path / "mine" / "texts" / "t.jsonl", labeled_rows(20, seed=3))  # 120 texts
    config = {"data": ["mine/texts"], "accounts": None, "seed": 13, "split": [0.7, 0.15, 0.15]}
    for i in (3, 4):
        src = tmp_path / f"m{i}"
        make_model(version=f"relevance@{i}").save(src)
        registry.publish("relevance", src, metadata={"metrics": {}, "embedding_model": "fake", "config": config})
    data = json.loads(run_cli(capsys, *r, "compare", "relevance@3", "relevance@4", "--no-public", "--json",
                              "--bootstrap", "20")[1])
    from brandfit.data import assign_splits, load_labeled

    frame = load_labeled(["mine/texts"]).frame
    n_test = int((assign_splits(frame) == "test").sum())
    assert 0 < n_test < 120 and data["rows"][0]["n"] == n_test
    # relevance@1 records no config: the repository's data/labeled/texts (the fixture's 360 texts) as before
    data = json.loads(run_cli(capsys, *r, "compare", "relevance@1", "relevance@3", "--no-public", "--json",
                              "--bootstrap", "20")[1])
    assert data["rows"][0]["n"] == 54


def recorded(dataset: str, n_test: int, topic_ap: float, promo_ap: float | None, seed: int = 13) -> dict:
    return {"dataset_hash": f"sha256:{dataset}", "training_sources": {"ours": {"n": n_test * 7}},
            "config": {"seed": seed, "split": [0.7, 0.15, 0.15]},
            "metrics": {"test": {"topic": {"macro_ap": topic_ap, "n": n_test},
                                 "promo": {"ap": promo_ap, "n": n_test}}}}


@pytest.fixture
def foreign(tmp_path: Path, monkeypatch) -> ModelRegistry:
    """Versions that cannot be evaluated here (no relevance model inside): the gate has only recorded figures."""
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "model.json").write_text("{}", encoding="utf-8")
    reg = ModelRegistry(tmp_path / "models")
    reg.publish("relevance", src, metadata=recorded("a" * 64, 7, 1.0, None))
    reg.publish("relevance", src, metadata=recorded("b" * 64, 1633, 0.93, 0.93))
    reg.publish("relevance", src, metadata=recorded("b" * 64, 1633, 0.95, 0.94))
    reg.publish("relevance", src, metadata=recorded("b" * 64, 1633, 0.90, 0.94))
    reg.publish("relevance", src, metadata=recorded("b" * 64, 1633, 0.90, 0.94, seed=7))
    return reg


def test_gate_never_compares_recorded_figures_from_different_datasets(foreign, capsys):
    r = ("models", "--registry", str(foreign.root))
    foreign.promote("relevance@1")
    code, out, err = run_cli(capsys, *r, "promote", "relevance@2", "--no-public")
    assert code == 2 and foreign.aliases()["production"] == "relevance@1"
    assert "cannot evaluate relevance@1 and relevance@2 on the same texts here" in err  # the reason, not a log line
    assert "not comparable: they were computed on different datasets" in err
    assert "relevance@1: dataset aaaaaaaaaa, a test split of 7 texts of 49 labeled texts" in err
    assert "relevance@2: dataset bbbbbbbbbb, a test split of 1633 texts" in err
    assert "-0.07" not in out + err and "WORSE" not in out + err  # no delta presented as a regression
    assert "--data" in err and "--no-gate" in err
    # the same dataset but split differently: not the same test texts either
    foreign.promote("relevance@4", details=None)
    code, _, err = run_cli(capsys, *r, "promote", "relevance@5", "--no-public")
    assert code == 2 and "split it differently" in err
    # --no-gate, or --force --reason (recorded), still promote
    code, out, _ = run_cli(capsys, *r, "promote", "relevance@5", "--no-public", "--force", "--reason", "new seed")
    assert code == 0 and foreign.aliases()["production"] == "relevance@5"
    assert "split it differently" in foreign.history()[-1]["gate"]["cannot_judge"][0]


def test_gate_compares_recorded_figures_of_the_same_test_texts(foreign, capsys):
    r = ("models", "--registry", str(foreign.root))
    foreign.promote("relevance@3")
    code, out, err = run_cli(capsys, *r, "promote", "relevance@4", "--no-public")  # topic 0.95 -> 0.90
    assert code == 2 and "worse than relevance@3 beyond the tolerance 0.01 on test/topic_macro_ap -0.0500" in err
    assert "recorded headline metrics (the same test texts)" in out and "same dataset, seed and split" in err
    code, out, _ = run_cli(capsys, *r, "promote", "relevance@2", "--no-public")  # 0.95 -> 0.93 also worse
    assert code == 2
    foreign.promote("relevance@4")
    code, out, _ = run_cli(capsys, *r, "promote", "relevance@3", "--no-public")  # better: passes
    assert code == 0 and "gate passed" in out and foreign.aliases()["production"] == "relevance@3"


# ------------------------------------------------- H1, M1 (review of today's changes): folders, usage errors


def labeled_folder(root: Path, n_per_topic: int = 60) -> Path:
    """A labeled folder as ``brandfit train --data FOLDER`` takes it (texts/ + accounts/). Every account posts on
    several topics and its core topic (accounts/) is not the most common topic of its texts, so the split training
    uses (strata by the accounts' topics) differs from one computed without the accounts."""
    rows = labeled_rows(n_per_topic)
    posts: dict[str, list[dict]] = {}
    for k, row in enumerate(rows):
        row["account_id"] = f"acc-{k % 24:02d}"
        posts.setdefault(row["account_id"], []).append({"id": row["id"], "likes": 1, "comments": 0})
    accounts = [{"account_id": acc, "handle": f"@{acc}", "topic": TOPICS[j % len(TOPICS)], "followers": 10,
                 "note": "", "posts": p} for j, (acc, p) in enumerate(sorted(posts.items()))]
    write_rows(root / "texts" / "t.jsonl", rows)
    write_rows(root / "accounts" / "a.jsonl", accounts)
    return root


def test_a_version_trained_on_a_labeled_folder_is_compared_and_gated_on_the_split_training_used(registry, capsys,
                                                                                               tmp_path):
    """``brandfit train --data lab`` records ``data: [lab], accounts: null``: compare and promote read the folder
    as training does (texts/ and the accounts/ that group and stratify the split), never "no .jsonl files"."""
    from brandfit.config import TrainConfig
    from brandfit.data import assign_splits
    from brandfit.train import load_training_frame

    labeled_folder(tmp_path / "lab")
    frame, _ = load_training_frame(TrainConfig(data=("lab",), accounts=None))
    n_test = int((frame["split"] == "test").sum())
    assert n_test != int((assign_splits(frame) == "test").sum())  # the accounts' topics change the split
    config = {"data": ["lab"], "accounts": None, "seed": 13, "split": [0.7, 0.15, 0.15]}
    for i, model in ((3, make_model(version="relevance@3")), (4, worse_model("relevance@4"))):
        model.save(tmp_path / f"m{i}")
        registry.publish("relevance", tmp_path / f"m{i}", metadata={"metrics": {}, "embedding_model": "fake",
                                                                    "config": config})
    r = ("models", "--registry", str(registry.root))
    code, out, err = run_cli(capsys, *r, "compare", "relevance@3", "relevance@4", "--no-public", "--json",
                             "--bootstrap", "20")
    assert code == 0, err
    assert json.loads(out)["rows"][0]["n"] == n_test
    # --data FOLDER reads it the same way
    code, out, err = run_cli(capsys, *r, "compare", "relevance@3", "relevance@4", "--data", "lab", "--no-public",
                             "--json", "--bootstrap", "20")
    assert code == 0 and json.loads(out)["rows"][0]["n"] == n_test, err
    # the gate evaluates both on that split and refuses the worse one (never "gate skipped")
    registry.promote("relevance@3")
    code, out, err = run_cli(capsys, *r, "promote", "relevance@4", "--no-public", "--bootstrap", "20")
    assert code == 2 and "refusing to promote relevance@4" in err and "WORSE" in out, out + err
    assert "gate skipped" not in err and "cannot evaluate" not in err
    assert registry.aliases()["production"] == "relevance@3"


@pytest.mark.parametrize("extra", [("--all-rows",), ("--data", "missing.jsonl"), ("--data", "empty"),
                                   ("--accounts", "missing-accounts")])
def test_a_usage_error_in_promote_is_exit_2_and_never_skips_the_gate(registry, capsys, tmp_path, extra):
    """--all-rows without --data, a --data (or --accounts) that does not exist or holds nothing readable: exit 2
    before the gate, nothing promoted. Only versions that cannot be evaluated here fall back to recorded figures."""
    (tmp_path / "empty").mkdir()
    r = ("models", "--registry", str(registry.root))
    code, out, err = run_cli(capsys, *r, "promote", "relevance@2", "--no-public", "--bootstrap", "20", *extra)
    assert code == 2 and "brandfit: error: " in err, out + err
    assert "gate skipped" not in err and "cannot evaluate" not in err and "production ->" not in out
    assert registry.aliases()["production"] == "relevance@1"
    assert len(registry.history()) == 1  # only the fixture's promotion
