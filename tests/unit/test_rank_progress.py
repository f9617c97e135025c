"""``brandfit rank``, the tag progress bar's total, and plurals in CLI messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import REPO, FakeEmbedder, make_model

from brandfit.registry import ModelRegistry


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    from brandfit.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rank_prints_a_table_and_writes_a_file(tmp_path: Path, monkeypatch, capsys):
    import brandfit.model

    monkeypatch.setattr(brandfit.model, "get_embedder", lambda backend=None: FakeEmbedder())
    make_model().save(tmp_path / "m")
    reg = ModelRegistry(tmp_path / "models")
    reg.publish("relevance", tmp_path / "m", metadata={}, aliases=["production"])
    texts = tmp_path / "texts.jsonl"
    texts.write_text("".join(json.dumps(r) + "\n" for r in (
        {"account_id": "a", "kind": "bio", "text": "trail runner and hiker"},
        {"account_id": "a", "kind": "post", "text": "ultra race in the hills, trail shoes held up"},
        {"account_id": "b", "kind": "post", "text": "new lipstick and serum haul"},
    )), encoding="utf-8")
    r = ("rank", "--registry", str(reg.root), "--brand-topic", "sports_outdoor")
    code, out, _ = run_cli(capsys, *r, str(texts), "--top", "1")
    assert code == 0 and out.startswith("best 1 of 2 accounts for sports_outdoor (relevance@1):")
    assert out.splitlines()[2].split()[:3] == ["1", "-", "a"]
    code, out, _ = run_cli(capsys, *r, str(texts), "-o", str(tmp_path / "short.jsonl"))
    rows = [json.loads(line) for line in (tmp_path / "short.jsonl").read_text().splitlines()]
    assert code == 0 and [row["account_id"] for row in rows] == ["a", "b"]
    assert run_cli(capsys, *r, str(texts), "-o", str(tmp_path / "short.txt"))[0] == 2
    code, out, _ = run_cli(capsys, *r, str(texts), "-o", str(tmp_path / "new" / "folder" / "short.csv"))
    assert code == 0 and (tmp_path / "new" / "folder" / "short.csv").read_text().startswith("rank,")  # as tag does
    assert (tmp_path / "new" / "folder" / "short.csv.errors.jsonl").read_text() == ""


def _registry(tmp_path: Path, monkeypatch) -> ModelRegistry:
    import brandfit.model

    monkeypatch.setattr(brandfit.model, "get_embedder", lambda backend=None: FakeEmbedder())
    make_model().save(tmp_path / "m")
    reg = ModelRegistry(tmp_path / "models")
    reg.publish("relevance", tmp_path / "m", metadata={}, aliases=["production"])
    return reg


def test_rank_reads_csv_numbers_and_sets_bad_rows_aside_as_tag_does(tmp_path: Path, monkeypatch, capsys):
    reg = _registry(tmp_path, monkeypatch)
    csv = tmp_path / "texts.csv"  # the README's row-per-text CSV: followers is a number written as text
    csv.write_text("account_id,kind,text,likes,comments,followers\n"
                   "a1,bio,trail + ultra runner | coach,,,2400\n"
                   "a1,post,20 miles of hill repeats in the fog,120,8,\n"
                   "a2,post,new lipstick haul,5,1,\n"
                   "a3,selfie,what kind is this,1,1,\n", encoding="utf-8")
    r = ("rank", "--registry", str(reg.root), "--brand-topic", "sports_outdoor")
    code, out, err = run_cli(capsys, *r, str(csv), "-o", str(tmp_path / "short.csv"))
    assert code == 0, err
    import pandas as pd

    short = pd.read_csv(tmp_path / "short.csv")
    assert list(short["account_id"]) == ["a1", "a2"]
    assert short.loc[0, "followers"] == 2400
    assert "1 row set aside" in out and f"{csv}:5" in err
    errors = [json.loads(x) for x in (tmp_path / "short.csv.errors.jsonl").read_text().splitlines()]
    assert [(e["line"], e["account_id"]) for e in errors] == [(5, "a3")]


def test_rank_never_overwrites_its_input_or_an_existing_file_unasked(tmp_path: Path, monkeypatch, capsys):
    reg = _registry(tmp_path, monkeypatch)
    src = tmp_path / "in.jsonl"
    original = json.dumps({"account_id": "a", "bio": "trail runner", "posts": ["hill reps"]}) + "\n"
    src.write_text(original, encoding="utf-8")
    r = ("rank", "--registry", str(reg.root), "--brand-topic", "sports_outdoor", str(src))
    code, _, err = run_cli(capsys, *r, "-o", str(src), "--overwrite")
    assert code == 2 and "would overwrite the input file" in err
    assert src.read_text(encoding="utf-8") == original
    out = tmp_path / "short.jsonl"
    out.write_text("keep me\n", encoding="utf-8")
    code, _, err = run_cli(capsys, *r, "-o", str(out))
    assert code == 2 and "already exists" in err and out.read_text() == "keep me\n"
    assert run_cli(capsys, *r, "-o", str(out), "--overwrite")[0] == 0
    assert json.loads(out.read_text().splitlines()[0])["account_id"] == "a"
    assert not list(tmp_path.glob(".short.jsonl.*.tmp"))


def test_count_accounts_knows_the_total_only_for_account_rows(tmp_path: Path):
    from brandfit.tagging._local import Progress, count_accounts

    samples = sorted((REPO / "data" / "sample").glob("*.jsonl"))
    assert count_accounts(samples) == 24
    texts = tmp_path / "t.jsonl"
    texts.write_text(json.dumps({"account_id": "a", "kind": "post", "text": "x"}) + "\n", encoding="utf-8")
    assert count_accounts([texts]) is None
    asked = []
    quiet = Progress(show_progress_bar=False, total=lambda: asked.append(1) or 5)
    assert quiet.total is None and not asked  # not counted when no bar is shown
    shown = Progress(show_progress_bar=True, total=lambda: 5)
    assert shown.total == 5 and shown._bar.total == 5
    shown.close()


def test_data_check_message_uses_plurals(tmp_path: Path, capsys):
    good = {"id": "x1", "kind": "post", "text": "hi", "topic": "other", "promo": False, "disclosed": False}
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "data", "check", str(path))
    assert code == 0 and err.strip() == "1 file: 1 valid record, 0 problems"


def test_predict_reads_hostile_files_with_a_clear_error_before_loading_a_model(tmp_path: Path, capsys):
    cases = {
        "latin.json": b'{"bio": "caf\xe9"}',
        "deep.json": b"[" * 100_000 + b"]" * 100_000,
        "big.json": b'{"bio": "gym", "followers": ' + b"9" * 5000 + b"}",
        "typo.json": b'{"bio": "coach", "post": ["leg day"]}',
    }
    expected = {"latin.json": "not valid UTF-8", "deep.json": "nested deeper than 64 levels",
                "big.json": "5000-digit integer", "typo.json": "unknown field 'post'"}
    registry = str(tmp_path / "no-registry")  # never reached: every error comes first
    for name, raw in cases.items():
        (tmp_path / name).write_bytes(raw)
        code, _, err = run_cli(capsys, "predict", str(tmp_path / name), "--brand-topic", "fitness",
                               "--registry", registry)
        assert code == 2 and expected[name] in err and "Traceback" not in err, (name, err)
    code, _, err = run_cli(capsys, "predict", str(tmp_path), "--brand-topic", "fitness", "--registry", registry)
    assert code == 2 and "not a file" in err


def test_a_topic_id_with_a_brand_name_or_examples_is_refused_not_read_as_words():
    import pytest

    from brandfit.account import BrandTopic
    from brandfit.cli._predict import brand_from_args
    from brandfit.errors import InputError

    assert brand_from_args("fitness", None, []) == "fitness"
    for name, examples in (("foo", []), (None, ["kettlebell swings"])):
        with pytest.raises(InputError, match="a built-in topic id takes no --brand-name or --example"):
            brand_from_args("fitness", name, examples)
    with pytest.raises(InputError, match="did you mean 'fitness'"):
        brand_from_args("Fitness", None, [])
    with pytest.raises(InputError, match="must not be empty"):
        brand_from_args("kettlebells and home gyms", " ", [])
    assert brand_from_args("kettlebells and home gyms", "kb", ["swings"]) == BrandTopic(
        "kb", "kettlebells and home gyms", ("swings",))


def test_cli_messages_for_a_missing_registry_and_a_file_with_no_valid_records(tmp_path: Path, capsys):
    acc = tmp_path / "a.json"
    acc.write_text('{"bio": "gym"}', encoding="utf-8")
    code, _, err = run_cli(capsys, "predict", str(acc), "--brand-topic", "fitness",
                           "--registry", str(tmp_path / "nope"))
    assert code == 2 and "the registry folder" in err and "does not exist" in err and "Known the" not in err
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(capsys, "predict", str(acc), "--brand-topic", "fitness",
                           "--registry", str(tmp_path / "empty"))
    assert code == 2 and "is empty; publish a model first" in err
    bad = tmp_path / "e.jsonl"
    bad.write_text("{}\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "data", "stats", str(bad))
    assert code == 2 and "no valid labeled records" in err and "Traceback" not in err


def test_rank_writes_the_errors_file_even_when_every_row_is_set_aside(tmp_path: Path, monkeypatch, capsys):
    reg = _registry(tmp_path, monkeypatch)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad.jsonl").write_text(json.dumps({"account_id": "a", "bio": 5}) + "\n", encoding="utf-8")
    r = ("rank", "--registry", str(reg.root), "--brand-topic", "sports_outdoor", str(folder))
    code, _, err = run_cli(capsys, *r, "-o", str(folder / "short.jsonl"))
    assert code == 2 and "input folder" in err  # the shortlist would be read as input next time
    out = tmp_path / "short.jsonl"
    code, _, err = run_cli(capsys, *r, "-o", str(out))
    assert code == 2 and "no usable accounts" in err and "short.jsonl.errors.jsonl" in err and not out.exists()
    errors = [json.loads(x) for x in (tmp_path / "short.jsonl.errors.jsonl").read_text().splitlines()]
    assert [e["account_id"] for e in errors] == ["a"]


def _read_output(path: Path, fmt: str) -> tuple[list[str], list[dict]]:
    """(column names in file order, rows) of a ``tag``/``rank`` output, cells as written (CSV: the raw strings)."""
    import csv

    if fmt == "csv":
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
    if fmt == "jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return list(rows[0]), rows
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return table.schema.names, table.to_pylist()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_rank_writes_the_shortlist_with_tags_writer_columns_and_encoding(tmp_path: Path, monkeypatch, capsys, fmt):
    """``rank -o x.FMT`` has ``tag -o x.FMT``'s columns, in its order, with its encoding of every cell (CSV header,
    true/false, empty nulls, JSON strings for evidence/reasons/promo_cues; JSONL nested), plus ``rank`` in front."""
    from brandfit.tagging import tag_files
    from brandfit.tagging._output import COLUMNS, RANK_SCHEMA

    reg = _registry(tmp_path, monkeypatch)
    inp = tmp_path / "in" / "accounts.jsonl"
    inp.parent.mkdir()
    inp.write_text("".join(json.dumps(r) + "\n" for r in (
        {"account_id": "a", "handle": "@trail_ana", "followers": 2400, "bio": "trail runner, ultra race log",
         "posts": [{"text": "hill repeats on the trail before the marathon", "likes": 120, "comments": 8},
                   "new trail shoes for the ultra \u00e9t\u00e9 \U0001f3c3"]},
        {"account_id": "b", "bio": "makeup and skincare",
         "posts": ["my lipstick and serum haul", "use my code SAVE20 at the link in bio #ad"]},
        {"account_id": "c", "handle": "@gear", "followers": 50000, "bio": "running gear deals",
         "posts": ["use code RUN10 for 10% off these trail shoes #ad", "link in bio: race vest sponsored #ad"]},
    )), encoding="utf-8")
    tagged, ranked = tmp_path / f"tags.{fmt}", tmp_path / f"short.{fmt}"
    tag_files(inp, tagged, "sports_outdoor", model=make_model(), show_progress_bar=False, cache=False, top=0)
    code, _, err = run_cli(capsys, "rank", "--registry", str(reg.root), "--brand-topic", "sports_outdoor", str(inp),
                           "-o", str(ranked))
    assert code == 0, err

    tag_cols, tag_rows = _read_output(tagged, fmt)
    rank_cols, rank_rows = _read_output(ranked, fmt)
    assert rank_cols == ["rank", *tag_cols]
    if fmt != "jsonl":
        assert tag_cols == list(COLUMNS)
    else:
        assert "topic_probs" in tag_cols and isinstance(rank_rows[0]["topic_probs"], dict)
        assert isinstance(rank_rows[0]["evidence"], list) and isinstance(rank_rows[0]["promo_cues"], dict)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        assert pq.read_schema(ranked).remove_metadata() == RANK_SCHEMA
    by_id = {r["account_id"]: r for r in tag_rows}
    assert len(rank_rows) == len(by_id) == 3
    for k, row in enumerate(rank_rows, start=1):
        assert row["rank"] == (str(k) if fmt == "csv" else k)
        expected = dict(by_id[row["account_id"]])
        # the same cells, byte for byte in CSV, except the run's id (each command is its own run)
        assert {c: v for c, v in row.items() if c not in ("rank", "run_id")} == \
               {c: v for c, v in expected.items() if c != "run_id"}
        assert row["run_id"] and row["source_file"] == str(inp)
    keys = [float(r["rank_score"]) for r in rank_rows]
    assert keys == sorted(keys, reverse=True) and rank_rows[-1]["account_id"] != "a"
    if fmt == "csv":
        text = ranked.read_text(encoding="utf-8")
        assert "\u00e9t\u00e9 \U0001f3c3" in text  # UTF-8, not \\u escapes
        assert {r["too_promotional"] for r in rank_rows} <= {"true", "false"}
        assert any(r["handle"] == "" for r in rank_rows)  # a null is an empty cell, as in tag's CSV
        assert all(isinstance(json.loads(r["evidence"]), list) for r in rank_rows)


def test_rank_output_rank_score_follows_promo_penalty(tmp_path: Path, monkeypatch, capsys):
    reg = _registry(tmp_path, monkeypatch)
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"account_id": "c", "bio": "running gear deals",
                               "posts": ["use code RUN10 for 10% off trail shoes #ad", "trail race vest"]}) + "\n",
                   encoding="utf-8")
    r = ("rank", "--registry", str(reg.root), "--brand-topic", "sports_outdoor", str(inp))
    assert run_cli(capsys, *r, "-o", str(tmp_path / "p0.jsonl"), "--promo-penalty", "0")[0] == 0
    assert run_cli(capsys, *r, "-o", str(tmp_path / "p1.jsonl"))[0] == 0
    p0 = json.loads((tmp_path / "p0.jsonl").read_text())
    p1 = json.loads((tmp_path / "p1.jsonl").read_text())
    assert p0["promo_ratio"] > 0 and p0["rank_score"] == p0["score"]
    assert p1["rank_score"] == pytest.approx(p1["score"] * (1 - p1["promo_ratio"]))
