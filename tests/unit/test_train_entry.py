"""``brandfit train``: every mistake is caught before anything is embedded and reported as one line (exit 2); the
data the model was trained on is described as it was (the printout, the model card, the metadata); a labeled folder
brings its accounts; tiny splits and figures that cannot be computed are said to be so. On the fake embedder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from brandfit.cli import main
from fakes import FakeEmbedder

WORDS = {"sports_outdoor": ["trail", "hike", "marathon", "climb"], "fashion": ["dress", "outfit", "denim", "jacket"],
         "fitness": ["gym", "squat", "deadlift", "yoga"], "beauty": ["lipstick", "serum", "mascara", "skincare"],
         "electronics": ["phone", "laptop", "camera", "keyboard"], "other": ["cat", "dinner", "garden", "rain"]}
FAST = "lexical: {n_buckets: 1024}\ntopic: {neighbours: 0.0}\npromo: {augment: 20}\n"  # same recipe, smaller


def _texts(n_per_topic: int = 12, *, promo: bool = True, topics=tuple(WORDS), prefix: str = "t") -> list[dict]:
    rows = []
    for topic in topics:
        for i in range(n_per_topic):
            w = WORDS[topic][i % 4]
            ad = promo and i % 3 == 0
            text = f"{w} day number {i} with {topic} vibes" + (" use code SAVE20 link in bio #ad" if ad else "")
            rows.append({"id": f"{prefix}-{topic}-{i}", "kind": "post", "text": text, "topic": topic, "promo": ad,
                         "disclosed": ad, "account_id": None})
    return rows


def _write(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _labeled_folder(root: Path, *, ghost: bool = False) -> Path:
    """texts/ + accounts/ (the layout `brandfit data check` reads): two accounts of four posts each."""
    rows = _texts()
    for k, acc in enumerate(("acc-a", "acc-b")):
        for j in range(4):
            rows[k * 12 + j]["account_id"] = acc
    if ghost:
        rows[-1]["account_id"] = "acc-ghost"
    _write(root / "texts" / "t.jsonl", rows)
    accounts = [{"account_id": acc, "handle": f"@{acc}", "topic": "sports_outdoor" if k == 0 else "fashion",
                 "followers": 100, "note": "", "posts": [{"id": rows[k * 12 + j]["id"], "likes": 1, "comments": 0}
                                                         for j in range(4)]}
                for k, acc in enumerate(("acc-a", "acc-b"))]
    _write(root / "accounts" / "accounts.jsonl", accounts)
    return root


@pytest.fixture()
def no_embedding(monkeypatch):
    """Fail the test if anything is embedded (every check must come first)."""

    class Refuse:
        name = "refuse/none"

        def encode(self, *a, **k):
            raise AssertionError("embedded before the error")

    monkeypatch.setattr("brandfit.train.get_embedder", lambda *a, **k: Refuse())


@pytest.fixture()
def fake_embedder(monkeypatch):
    """Training on the fake embedder. The unit tier blocks torch with ``sys.modules["torch"] = None``, which scipy's
    array-type check (reached by sklearn's fits) trips over: the block is lifted here, and the test checks that
    nothing imported torch meanwhile."""
    import sys

    blocked = "torch" in sys.modules and sys.modules["torch"] is None
    if blocked:
        monkeypatch.delitem(sys.modules, "torch")
    class OnnxNamed(FakeEmbedder):
        name = "fake/onnx-keywords"  # the backend a model records comes from the embedder's name

    monkeypatch.setattr("brandfit.train.get_embedder", lambda *a, **k: OnnxNamed())
    monkeypatch.setenv("BRANDFIT_PUBLIC_DATA", "/nonexistent/brandfit-public")
    yield
    if blocked:
        assert "torch" not in sys.modules, "training on the fake embedder imported torch"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("brandfit: error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ------------------------------------------------------------------------------------------------ H1: the config

@pytest.mark.parametrize("yaml_text, words", [
    ("topic: {c: -1}\n", "topic.c: expected a number > 0, got -1"),
    ("topic: {cc: 2}\n", "topic: unknown key(s) cc; expected"),
    ("topic: {c: abc}\n", "topic.c: expected a number, got 'abc'"),
    ("promo: {c: .nan}\n", "promo.c: expected a finite number, got nan"),
    ("promo: {c: .inf}\n", "promo.c: expected a finite number, got inf"),
    ("lexical: {topic_c: .nan}\n", "lexical.topic_c: expected a finite number"),
    ("promo: {ours_weight: .nan}\n", "promo.ours_weight: expected a number in (0, 20]"),
    ("split: [0.5, 0.5, 0.5]\n", "split: expected three positive fractions"),
    ("split: [0.5, .nan, 0.5]\n", "split: expected three positive fractions"),
    ("promo: {threshold: bogus}\n", "promo.threshold: expected one of mean_f1, mean_f1_smooth, pooled"),
    ("lexical: {n_buckets: 0}\n", "lexical.n_buckets: expected a power of two >= 1024"),
    ("topic: {neighbours_k: 0}\n", "topic.neighbours_k: expected an integer in [1, 10000]"),
    ("seed: abc\n", "seed: expected an integer, got 'abc'"),
    ("seed: -3\n", "seed: expected an integer in [0, 2**32 - 1]"),
    ("topic: {balanced: maybe}\n", "topic.balanced: expected true or false"),
    ("topic: 5\n", "topic: expected a mapping of keys"),
    ("data: 5\n", "data: expected a list"),
    ("public_sources: [nope]\n", "public_sources: unknown source(s) nope"),
    ("name: Bad Name\n", "name: invalid model name 'Bad Name'"),
    ("promo: {c: 1e-3}\n", "write 1.0e-3"),
    ("- a\n- b\n", "expected a mapping of keys at the top level"),
    ("data: [good/texts\n", ":2:1: not valid YAML"),
])
def test_every_config_mistake_is_one_line_exit_2_before_any_work(tmp_path, capsys, no_embedding, yaml_text, words):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml_text, encoding="utf-8")
    code, _, err = _run(capsys, "train", "--config", str(cfg), "--dry-run", "--no-backend-check")
    line = _error_line(err)
    assert code == 2 and line.startswith(f"brandfit: error: {cfg}") and words in line, line


def test_a_missing_config_is_one_line_exit_2(tmp_path, capsys, no_embedding):
    code, _, err = _run(capsys, "train", "--config", str(tmp_path / "nope.yaml"), "--dry-run")
    assert code == 2 and "nope.yaml: training config not found" in _error_line(err)


def test_config_errors_are_typed_in_python_too():
    from brandfit.config import PromoConfig, TopicConfig, TrainConfig
    from brandfit.errors import ConfigError, InputError

    for make in (lambda: TopicConfig(c=float("nan")), lambda: PromoConfig(c="x"), lambda: TrainConfig(seed="abc"),
                 lambda: TrainConfig(split=(0.5, 0.5, 0.5)), lambda: TrainConfig(name="Bad Name")):
        with pytest.raises(ConfigError) as info:
            make()
        assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)


def test_evaluate_cross_source_reads_the_config_with_the_same_checks(tmp_path, capsys, no_embedding):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("topic: {c: -1}\n", encoding="utf-8")
    code, _, err = _run(capsys, "evaluate", "--cross-source", "--config", str(cfg))
    assert code == 2 and "topic.c: expected a number > 0" in _error_line(err)


def test_evaluate_cross_source_never_falls_back_from_a_config_that_does_not_exist(tmp_path, capsys, no_embedding):
    code, _, err = _run(capsys, "evaluate", "--cross-source", "--config", str(tmp_path / "typo.yaml"))
    assert code == 2 and "typo.yaml" in _error_line(err) and "not found" in _error_line(err)


def test_a_config_that_sets_data_but_not_accounts_has_no_accounts(tmp_path):
    from brandfit.config import TrainConfig, load_config

    cfg = tmp_path / "c.yaml"
    cfg.write_text("data: [x/texts]\n", encoding="utf-8")
    assert load_config(cfg).accounts is None
    assert TrainConfig().accounts == "data/labeled/accounts"


# -------------------------------------------------------------------------------------- H2: one promo class

@pytest.mark.parametrize("extra", ["", "promo: {caption_weight: 0}\n"])
def test_data_without_promo_texts_is_refused_up_front_and_the_advice_is_not_a_dead_end(tmp_path, capsys,
                                                                                       no_embedding, extra):
    data = _write(tmp_path / "t.jsonl", _texts(promo=False))
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data: [{data}]\n{extra}", encoding="utf-8")
    code, _, err = _run(capsys, "train", "--config", str(cfg), "--dry-run", "--no-backend-check", "--no-public")
    line = _error_line(err)
    assert code == 2 and "promo: the train rows hold 0 promo texts" in line
    assert "needs promo texts too" in line and "caption_weight" not in line  # no advice that then crashes


def test_the_caption_layer_advice_is_given_only_when_following_it_works(tmp_path):
    """Our data lacks promo texts but a public source has both classes: then promo.caption_weight: 0 trains."""
    from brandfit.config import PromoConfig, TrainConfig
    from brandfit.data import assign_splits
    from brandfit.errors import DataError
    from brandfit.train import check_trainable

    frame = pd.DataFrame(_texts(promo=False))
    frame = frame.assign(split=assign_splits(frame, fractions=(0.7, 0.15, 0.15), seed=13))
    public = pd.DataFrame({"text": [f"buy now {i}" for i in range(40)] + [f"hello {i}" for i in range(40)],
                           "source": "sms_spam", "topic": None, "promo": [True] * 40 + [False] * 40,
                           "group": [f"g{i}" for i in range(80)]})
    config = TrainConfig(data=("mine",), accounts=None, public_data=None)
    with pytest.raises(DataError, match="set promo.caption_weight: 0"):
        check_trainable(frame, config, public)
    check_trainable(frame, TrainConfig(data=("mine",), accounts=None, promo=PromoConfig(caption_weight=0.0)), public)


# ------------------------------------------------------------------------------------ M1: explicit public data

def test_an_explicit_public_folder_that_is_missing_or_empty_is_an_error_naming_it(tmp_path, capsys, no_embedding):
    data = _write(tmp_path / "t.jsonl", _texts())
    (tmp_path / "empty").mkdir()
    for where, why in ((tmp_path / "nowhere", "no such folder"), (tmp_path / "empty", "holds none of the known")):
        code, _, err = _run(capsys, "train", "--data", str(data), "--public-data", str(where), "--dry-run")
        line = _error_line(err)
        assert code == 2 and f"--public-data: {where}: {why}" in line


def test_only_the_default_public_folder_absent_falls_back(tmp_path, monkeypatch):
    from brandfit.config import TrainConfig
    from brandfit.errors import InputError
    from brandfit.train import resolve_public_root

    monkeypatch.setenv("BRANDFIT_PUBLIC_DATA", str(tmp_path / "nowhere"))
    assert resolve_public_root(TrainConfig(), tmp_path, strict=True) is None  # the default: ours alone, with a note
    with pytest.raises(InputError, match="public_data: .*no/such/folder: no such folder"):
        resolve_public_root(TrainConfig(public_data="no/such/folder"), tmp_path, strict=True)


# ------------------------------------------------------------------------------- M4/M5: labeled folder, accounts

def test_a_labeled_folder_brings_its_accounts_and_keeps_each_account_in_one_split(tmp_path):
    from brandfit.config import TrainConfig
    from brandfit.train import load_training_frame

    folder = _labeled_folder(tmp_path / "mine")
    frame, _ = load_training_frame(TrainConfig(data=(str(folder),), accounts=None), base=tmp_path)
    assert len(frame) == 72
    for acc in ("acc-a", "acc-b"):
        assert frame.loc[frame["account_id"] == acc, "split"].nunique() == 1
    # texts/ and accounts/ given apart (the default config's shape) are the same folder, checked the same way
    same, _ = load_training_frame(TrainConfig(data=(str(folder / "texts"),), accounts=str(folder / "accounts")))
    pd.testing.assert_series_equal(frame["split"], same["split"])


def test_account_reference_errors_stop_training_with_data_checks_messages(tmp_path, capsys, no_embedding):
    from brandfit.data import check_labeled_folder

    folder = _labeled_folder(tmp_path / "refs", ghost=True)
    expected = [str(p) for p in check_labeled_folder(folder).problems]
    assert any("acc-ghost' has no accounts line" in p for p in expected)
    for argv in (["--data", str(folder)], ["--data", str(folder / "texts"), "--accounts", str(folder / "accounts")]):
        code, _, err = _run(capsys, "train", *argv, "--dry-run", "--no-public")
        assert code == 2 and _error_line(err)
        assert [ln.strip() for ln in err.splitlines() if not ln.startswith("brandfit:")] == expected


def test_a_missing_accounts_path_is_an_error(tmp_path, capsys, no_embedding):
    from brandfit.config import TrainConfig
    from brandfit.errors import MissingFileError
    from brandfit.train import load_training_frame

    data = _write(tmp_path / "t.jsonl", _texts())
    with pytest.raises(MissingFileError, match="accounts: .*acounts_TYPO: no such file or folder"):
        load_training_frame(TrainConfig(data=(str(data),), accounts=str(tmp_path / "acounts_TYPO")))
    code, _, err = _run(capsys, "train", "--data", str(data), "--accounts", str(tmp_path / "nope"), "--dry-run")
    assert code == 2 and "nope: no such file or folder" in _error_line(err)


def test_refused_data_lists_its_problems_one_a_line_capped(tmp_path, capsys, no_embedding):
    rows = _texts()
    for r in rows[:30]:
        r["topic"] = "golf"
    data = _write(tmp_path / "t.jsonl", rows)
    code, _, err = _run(capsys, "train", "--data", str(data), "--dry-run", "--no-public")
    listed = [ln for ln in err.splitlines() if ln.startswith("  ")]
    assert code == 2 and len(listed) == 21 and listed[-1].strip() == "... and 10 more"
    assert all("topic: unknown topic 'golf'" in ln for ln in listed[:20])
    assert "30 problems in the training data" in _error_line(err)


# ----------------------------------------------------------------------------------- M7: the registry, up front

def test_publishing_is_checked_before_training(tmp_path, capsys, no_embedding, monkeypatch):
    from brandfit.settings import bundled_registry

    data = _write(tmp_path / "t.jsonl", _texts())
    (tmp_path / "afile").write_text("x")
    cases = [(["--registry", str(tmp_path / "afile")], "not a folder"),
             (["--registry", str(tmp_path / "reg"), "--alias", "Bad Alias"], "invalid alias 'Bad Alias'"),
             (["--registry", str(bundled_registry())], "read-only registry bundled with brandfit")]
    monkeypatch.delenv("BRANDFIT_REGISTRY", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./models: the only registry is the bundled one
    cases.append(([], "no registry to publish to"))
    tmp_before = (bundled_registry() / ".tmp").exists()
    for argv, words in cases:
        code, _, err = _run(capsys, "train", "--data", str(data), "--no-public", *argv)
        assert code == 2 and words in _error_line(err), err
    assert (bundled_registry() / ".tmp").exists() == tmp_before and not (tmp_path / "reg").exists()


def test_an_unwritable_registry_is_refused_before_training(tmp_path):
    import os

    from brandfit.errors import InputError
    from brandfit.train import check_publish_target

    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running with the right to write anywhere (root)")
        with pytest.raises(InputError, match="cannot create the registry in"):
            check_publish_target(ro / "reg", "relevance")
    finally:
        ro.chmod(0o700)
    assert check_publish_target(tmp_path / "new" / "reg", "relevance") == tmp_path / "new" / "reg"
    assert not (tmp_path / "new").exists()  # checked, not created


# ----------------------------------------------------------------- M2, M6, L1, L10: a run end to end (fake)

def test_a_run_describes_the_data_it_used_and_warns_about_tiny_splits(tmp_path, capsys, fake_embedder, monkeypatch,
                                                                       caplog):
    monkeypatch.chdir(tmp_path)
    _labeled_folder(tmp_path / "mine")
    rows = [r for r in _texts(prefix="x") if r["topic"] in ("fitness", "beauty", "electronics", "fashion")]
    cfg = tmp_path / "c.yaml"
    cfg.write_text(FAST, encoding="utf-8")
    _write(tmp_path / "few" / "t.jsonl", rows)
    with caplog.at_level("INFO", logger="brandfit"):
        code, out, err = _run(capsys, "train", "--config", str(cfg), "--data", "few", "--registry", "reg",
                              "--no-backend-check", "--no-public-eval")
    assert code == 0, err
    log = caplog.text
    for stage in ("reading the labeled data: few", "embedding 48 labeled texts", "fitting the topic and promo heads",
                  "publishing into"):
        assert stage in log
    assert "no labeled text of topics sports_outdoor, other" in log
    assert "public corpora not found" in log and log.count("public corpora not found") == 1
    assert "public corpora not found" not in out  # said once, as a warning, not again on stdout
    assert "the test split of few has" in log and "fewer than 50" in log
    assert "trained on few (48 texts), no public corpora" in out
    assert "too few for these figures to mean much" in out
    meta = json.loads((tmp_path / "reg" / "relevance" / "1" / "metadata.json").read_text())
    ours = meta["training_sources"]["ours"]
    assert ours["path"] == ["few"] and ours["path_as_given"] == ["few"]  # as given: no absolute local path
    assert "base" not in ours and str(tmp_path) not in json.dumps(meta)
    card = (tmp_path / "reg" / "relevance" / "1" / "README.md").read_text()
    assert "hand-written for this project" not in card and "Trained only on our own" not in card
    assert "Trained on the labeled data `few`" in card and "48 texts" in card and "no public corpora" in card
    assert "**Warning:** the test split of few" in card


def test_a_figure_that_cannot_be_computed_is_na_and_never_a_validated_gap(fake_model):
    from brandfit.evaluation.backends import check_backend, gaps_within_tolerance
    from brandfit.evaluation.metrics import promo_report, topic_report
    from brandfit.modelcard import render_card

    assert not gaps_within_tolerance({"test/promo_ap": float("nan")})
    assert gaps_within_tolerance({"test/promo_ap": 0.001})
    texts = ["trail run today", "new lipstick", "gym squat day", "my laptop broke"]
    frame = pd.DataFrame({"text": texts, "topic": ["sports_outdoor", "beauty", "fitness", "electronics"],
                          "promo": [False] * 4, "split": ["validation", "validation", "test", "test"]})
    fake_model.with_backend = lambda backend: fake_model  # the same embeddings: every gap is 0
    a = fake_model.analyze(texts)
    reference = {s: {"topic": topic_report(frame["topic"][m].tolist(), a.topic_proba[m]),
                     "promo": promo_report(np.zeros(int(m.sum()), bool), a.promo_proba[m], 0.5)}
                 for s in ("validation", "test") for m in [(frame["split"] == s).to_numpy()]}
    assert math.isnan(reference["test"]["promo"]["ap"])
    check = check_backend(fake_model, frame, "torch", reference=reference)
    assert "test/promo_ap" in check["not_compared"] and "test/promo_ap" not in check["gaps"]
    assert all(np.isfinite(v) for v in check["gaps"].values()) and check["validated"]
    one_sided = {**reference, "test": {**reference["test"], "promo": {**reference["test"]["promo"], "ap": 0.5}}}
    assert not check_backend(fake_model, frame, "torch", reference=one_sided)["validated"]  # nan gap: OUT
    meta = {"backend": "onnx", "validated_backends": ["onnx", "torch"], "n_texts": 4, "dataset_hash": "h",
            "metrics": {"test": reference["test"], "backends": {"torch": check}}}
    card = render_card("relevance", meta)
    assert "promo: n/a (no promo text in the split)" in card and "| gap to onnx |" in card
    assert "| torch | test/promo_ap | n/a | | not computable" in card and "OUT" not in card


def test_a_model_trained_but_not_published_is_kept(tmp_path, capsys, fake_embedder, monkeypatch):
    """A late failure (the disk filled, the registry changed under us) does not throw the trained model away."""
    from brandfit.errors import InputError

    monkeypatch.chdir(tmp_path)
    _labeled_folder(tmp_path / "mine")
    (tmp_path / "c.yaml").write_text(FAST, encoding="utf-8")

    def fail(*a, **k):
        raise InputError("the registry went away")

    monkeypatch.setattr("brandfit.train.publish", fail)
    code, _, err = _run(capsys, "train", "--config", "c.yaml", "--data", "mine", "--registry", "reg",
                        "--no-backend-check", "--no-public-eval")
    assert code == 2 and "the registry went away" in _error_line(err)
    (kept,) = tmp_path.glob("brandfit-unpublished-*")
    assert f"the trained model is kept in {kept}" in err
    meta = json.loads((kept / "metadata.json").read_text())
    assert meta["training_sources"]["ours"]["accounts"] == ["mine/accounts"]
    from brandfit.registry import ModelRegistry

    mv = ModelRegistry(tmp_path / "reg").publish("relevance", kept / "model", metadata=meta,
                                                 card=(kept / "README.md").read_text())
    assert mv.ref == "relevance@1"


# ------------------------------------------------------------ review of today's changes: L4, L7, L8


def _result_with(warnings: list[str], n_val: int, n_test: int):
    from types import SimpleNamespace

    nan = float("nan")
    metrics = {"training_sources": {"ours": {"n": 2000, "path_as_given": ["mine"]}},
               "test": {"topic": {"n": n_test, "accuracy": 0.9, "macro_ap": 0.9},
                        "promo": {"ap": nan, "f1": nan}},
               "n_texts": {"train": 1400, "validation": n_val, "test": n_test}, "warnings": warnings}
    model = SimpleNamespace(promo_threshold=0.5, brand_calibration=(1.0, 0.0), validated_backends=("onnx",),
                            backend="onnx")
    return SimpleNamespace(metrics=metrics, model=model, frame=pd.DataFrame({"text": []}))


def test_the_too_few_texts_note_is_given_for_small_splits_only(capsys):
    """L4: a large test split without a promo text is not "too few texts"; a split under the threshold is."""
    from brandfit.cli._train import _report

    _report(_result_with(["the test split of mine holds no promo text: its promo AP and F1 cannot be computed"],
                         300, 300))
    out = capsys.readouterr().out
    assert "n/a (no promo text in the split)" in out and "too few" not in out
    _report(_result_with(["the test split of mine has 12 texts (fewer than 50): its figures are not meaningful; "
                          "label more texts"], 300, 12))
    assert "(validation 300 texts, test 12 texts: too few for these figures to mean much" in capsys.readouterr().out


def test_path_fields_of_the_config_accept_path_objects():
    """L7: ``Path`` values (os.PathLike) for the path fields work in the Python API, stored as strings."""
    from brandfit.config import TrainConfig

    cfg = TrainConfig(data=[Path("mine"), "other/texts"], accounts=Path("mine/accounts"),
                      public_data=Path("corpora"))
    assert cfg.data == ("mine", "other/texts") and cfg.accounts == "mine/accounts" and cfg.public_data == "corpora"
    assert TrainConfig(data=Path("mine")).data == ("mine",)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


def test_model_metadata_carries_no_absolute_path_the_user_did_not_give(tmp_path, monkeypatch):
    """L8: the sources a published model records are the paths as given (relative stays relative), with where they
    sit in their git checkout; the trainer's folders (home, working directory) are not written."""
    from brandfit.config import TrainConfig
    from brandfit.train import load_training_frame, source_manifest

    (tmp_path / ".git").mkdir()  # a checkout: the sources are found again from its top
    work = tmp_path / "project"
    _labeled_folder(work / "mine")
    _write(work / "few" / "t.jsonl", [{**r, "text": r["text"] + " again"} for r in _texts(prefix="x")])
    monkeypatch.chdir(work)
    cfg = TrainConfig(data=("mine", "few"), accounts=None)
    frame, _ = load_training_frame(cfg)
    ours = source_manifest(frame, cfg, work, None, None)["ours"]
    assert str(tmp_path) not in json.dumps(ours)
    assert ours["path"] == ["mine", "few"] and ours["accounts"] == ["mine/accounts"]
    assert ours["repo_path"] == ["project/mine", "project/few"] and "base" not in ours
    assert ours["sha256"] == source_manifest(frame, cfg, work, None, None)["ours"]["sha256"]
    # an absolute path the user gave stays absolute: theirs to publish
    absolute = TrainConfig(data=(str(work / "few"),), accounts=None)
    ours = source_manifest(load_training_frame(absolute)[0], absolute, work, None, None)["ours"]
    assert ours["path"] == [str(work / "few")]
