"""``brandfit evaluate``: where the report goes (never into the installed package), the warnings about training
rows and small sets, and the help that says what the defaults are. The metrics and plots need scikit-learn, which
this tier cannot import: they are replaced by a stand-in that records what it was given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import FakeEmbedder, make_model

from brandfit.registry import ModelRegistry
from test_compare_gate import labeled_rows


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    from brandfit.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def evaluated(tmp_path: Path, monkeypatch):
    """A registry with one fake model trained on ``mine/texts`` (recorded as training does), and a stand-in for the
    metrics and the report writer; returns the registry and the list of what was evaluated and written."""
    import brandfit.evaluation.report as report
    import brandfit.model
    from brandfit.train import load_training_frame
    from brandfit.config import TrainConfig

    monkeypatch.setattr(brandfit.model, "get_embedder", lambda backend=None: FakeEmbedder())
    monkeypatch.delenv("BRANDFIT_REGISTRY", raising=False)
    monkeypatch.chdir(tmp_path)
    texts = tmp_path / "mine" / "texts"
    texts.mkdir(parents=True)
    (texts / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in labeled_rows(20)), encoding="utf-8")
    model = make_model()
    model.config = {**model.config, "data": ["mine/texts"], "accounts": None}
    model.save(tmp_path / "m1")
    _, digest = load_training_frame(TrainConfig.from_dict(model.config))
    reg = ModelRegistry(tmp_path / "reg")
    reg.publish("relevance", tmp_path / "m1", metadata={"dataset_hash": digest, "config": model.config},
                aliases=["production"])
    seen: list[dict] = []

    def fake_evaluate(model, frame):
        n, pos = len(frame), int(frame["promo"].sum())
        topic = {"n": n, "accuracy": 1.0, "macro_f1": 1.0, "macro_ap": 1.0, "ece": 0.0}
        promo = {"n": n, "positives": pos, "precision": 1.0, "recall": 1.0, "f1": 1.0, "ap": 1.0}
        return {"topic": topic, "promo": promo}, {}

    def fake_write(out, version, desc, metrics, raw, *, warnings=()):
        seen.append({"out": Path(out), "desc": desc, "n": metrics["topic"]["n"], "warnings": list(warnings)})
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "report.md").write_text("stand-in\n", encoding="utf-8")
        return Path(out) / "report.md"

    monkeypatch.setattr(report, "evaluate_frame", fake_evaluate)
    monkeypatch.setattr(report, "write_report", fake_write)
    return reg, seen


def test_a_model_of_the_bundled_registry_reports_under_the_current_folder(evaluated, capsys, tmp_path, monkeypatch):
    import brandfit.settings

    reg, seen = evaluated
    monkeypatch.setattr(brandfit.settings, "bundled_registry", lambda: reg.root)  # stands for site-packages
    before = sorted(p.relative_to(reg.root) for p in reg.root.rglob("*"))
    code, out, err = run_cli(capsys, "evaluate", "--registry", str(reg.root), "--data", "mine/texts")
    assert code == 0
    assert seen[-1]["out"] == tmp_path / "brandfit-reports" / "relevance@1"
    assert f"report: {tmp_path / 'brandfit-reports' / 'relevance@1' / 'report.md'} (the model is in the read-only " \
           "registry bundled with brandfit; --out PATH to choose)" in out
    assert sorted(p.relative_to(reg.root) for p in reg.root.rglob("*")) == before  # nothing written there
    # a registry of one's own keeps the report beside the version; --out wins over both
    monkeypatch.setattr(brandfit.settings, "bundled_registry", lambda: tmp_path / "elsewhere")
    assert run_cli(capsys, "evaluate", "--registry", str(reg.root), "--data", "mine/texts")[0] == 0
    assert seen[-1]["out"] == reg.root / "_reports" / "relevance@1"
    assert run_cli(capsys, "evaluate", "--registry", str(reg.root), "--data", "mine/texts", "--out", "x")[0] == 0
    assert seen[-1]["out"] == Path("x")


def test_evaluate_honours_the_registry_variable(evaluated, capsys, monkeypatch):
    reg, seen = evaluated
    monkeypatch.setenv("BRANDFIT_REGISTRY", str(reg.root))
    code, out, _ = run_cli(capsys, "evaluate", "--out", "r")
    assert code == 0 and "relevance@1 on test split of mine/texts" in out


def test_evaluating_on_the_training_data_warns(evaluated, capsys, tmp_path):
    reg, seen = evaluated
    code, out, err = run_cli(capsys, "evaluate", "--registry", str(reg.root), "--data", "mine/texts", "--out", "r")
    assert code == 0
    warning = seen[-1]["warnings"][0]
    assert warning.startswith("--data holds exactly the records relevance@1 was trained on: ")
    assert "of these 120 texts are its train or validation rows" in warning and warning in err
    # a file mixing training rows and new ones: the overlap is counted by text
    from brandfit.data import assign_splits, load_labeled

    frame = load_labeled(["mine/texts"]).frame
    fitted = frame[assign_splits(frame) != "test"]
    rows = labeled_rows(20)
    chosen = [r for r in rows if r["text"] in set(fitted["text"][:10])]
    fresh = [{**r, "id": f"new-{i}", "text": f"brand new caption number {i} about my {r['topic']}"}
             for i, r in enumerate(labeled_rows(5, seed=9))]
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("".join(json.dumps(r) + "\n" for r in chosen + fresh), encoding="utf-8")
    assert run_cli(capsys, "evaluate", "--registry", str(reg.root), "--data", str(mixed), "--out", "r")[0] == 0
    assert any(w.startswith(f"{len(chosen)} of these {len(chosen) + len(fresh)} texts are among the train or "
                            "validation rows relevance@1 was fitted on (mine/texts)") for w in seen[-1]["warnings"])
    # only new texts: no overlap warning (the small-set one stays)
    new = tmp_path / "new.jsonl"
    new.write_text("".join(json.dumps(r) + "\n" for r in fresh), encoding="utf-8")
    assert run_cli(capsys, "evaluate", "--registry", str(reg.root), "--data", str(new), "--out", "r")[0] == 0
    assert seen[-1]["warnings"] == [f"only 30 texts in {new}: the figures are uncertain (use at least 50)"]


def test_default_data_is_the_test_split_of_what_the_model_was_trained_on(evaluated, capsys, tmp_path):
    reg, seen = evaluated
    code, out, err = run_cli(capsys, "evaluate", "--registry", str(reg.root), "--out", "r")
    assert code == 0 and seen[-1]["desc"] == "test split of mine/texts" and seen[-1]["n"] < 50
    assert "only" in err and "the figures are uncertain" in err
    # the data changed since training: said, since the recomputed test split may hold fitted rows
    with open(tmp_path / "mine" / "texts" / "t.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps({**labeled_rows(1)[0], "id": "extra", "text": "one more caption"}) + "\n")
    assert run_cli(capsys, "evaluate", "--registry", str(reg.root), "--out", "r")[0] == 0
    assert any("has changed since relevance@1 was trained" in w for w in seen[-1]["warnings"])
    # from another folder: a one-line error naming the recorded paths and --data
    (tmp_path / "elsewhere").mkdir()
    import os

    os.chdir(tmp_path / "elsewhere")
    code, _, err = run_cli(capsys, "evaluate", "--registry", str(reg.root), "--out", "r")
    assert code == 2 and "the data it was trained on, mine/texts, read under the current folder" in err


def test_evaluate_help_states_the_real_defaults(capsys):
    with pytest.raises(SystemExit):
        run_cli(capsys, "evaluate", "--help")
    out = " ".join(capsys.readouterr().out.split())
    assert "$BRANDFIT_REGISTRY, else ./models if it is a registry, else the read-only one bundled" in out
    assert "the test split of the data the model was trained on" in out
    assert "./brandfit-reports/<name>@<version>/" in out.replace(" ", "")  # argparse may wrap at the hyphen
    assert "bundled models/" not in out


def test_evaluate_data_reads_a_labeled_folder_as_training_does(evaluated, capsys, tmp_path):
    """H1: ``--data FOLDER`` (texts/ + accounts/, what ``brandfit train --data`` takes) evaluates its texts."""
    from test_compare_gate import labeled_folder

    reg, seen = evaluated
    labeled_folder(tmp_path / "lab", n_per_topic=10)
    code, out, err = run_cli(capsys, "evaluate", "--registry", str(reg.root), "--data", "lab", "--out", "r")
    assert code == 0, err
    assert seen[-1]["n"] == 60 and seen[-1]["desc"] == "lab"


def test_evaluate_data_warns_on_training_rows_after_the_training_data_gained_rows(evaluated, capsys, tmp_path):
    """M2: the labeled data grew since the model was trained; --data of those texts (most of them rows it was fitted
    on) still gets a visible warning, counted against the current non-test rows under the recorded split."""
    from brandfit.data import assign_splits, load_labeled

    reg, seen = evaluated
    fresh = [{**r, "id": f"later-{i}", "text": f"a caption labeled later number {i} about {r['topic']}"}
             for i, r in enumerate(labeled_rows(3, seed=4))]
    with open(tmp_path / "mine" / "texts" / "t.jsonl", "a", encoding="utf-8") as handle:
        handle.write("".join(json.dumps(r) + "\n" for r in fresh))
    frame = load_labeled(["mine/texts"]).frame
    fitted = int((assign_splits(frame) != "test").sum())
    code, out, err = run_cli(capsys, "evaluate", "--registry", str(reg.root), "--data", "mine/texts", "--out", "r")
    assert code == 0, err
    hits = [w for w in seen[-1]["warnings"] if "train or validation rows" in w]
    assert len(hits) == 1 and hits[0] in err, seen[-1]["warnings"]
    assert hits[0].startswith(f"{fitted} of these {len(frame)} texts are among the train or validation rows")
    assert "changed since relevance@1 was trained" in hits[0]
