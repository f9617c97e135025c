"""``brandfit tag``: both input shapes, bad rows, output formats, the checkpoint, and SIGKILL + ``--resume``.

Real model, tiny inputs (a dozen sample accounts), so the whole module stays well under a minute and a half.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import brandfit
from brandfit.cli import main
from killed_job import kill_after_chunks
from brandfit.tagging import TagSummary, errors_path_for, tag_files
from brandfit.tagging._checkpoint import Checkpoint, fingerprint, parts_dir_for
from brandfit.tagging._output import COLUMNS
from brandfit.topics import TOPICS

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
PROBS = [f"p_{t}" for t in TOPICS]


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def _tag(*args: str) -> int:
    return main(["tag", *map(str, args)])


@pytest.fixture(scope="module")
def tag_model(onnx_cache):
    """The production model on the backend batch tagging uses by default (onnx)."""
    from brandfit.settings import DEFAULT_BACKEND

    return brandfit.load_model("production", backend=DEFAULT_BACKEND)


@pytest.fixture(scope="module")
def accounts() -> list[dict]:
    """Two bundled sample accounts per topic file: 12 accounts, ~100 texts."""
    out = []
    for f in sorted(SAMPLE.glob("*.jsonl")):
        out += _read_jsonl(f)[:2]
    return out


@pytest.fixture(scope="module")
def reference(accounts, tag_model) -> pd.DataFrame:
    """What predict_relevance_batch says about the same accounts, by account id."""
    return brandfit.predict_relevance_batch(accounts, "fitness", model=tag_model).set_index("account_id")


def _check_against(df: pd.DataFrame, reference: pd.DataFrame, *, id_map=lambda s: s) -> None:
    for row in df.itertuples(index=False):
        ref = reference.loc[id_map(row.account_id)]
        assert row.score == pytest.approx(ref["score"], abs=2e-6)
        assert [getattr(row, p) for p in PROBS] == pytest.approx([ref["topic_probs"][t] for t in TOPICS], abs=2e-6)
        def text(v):
            return v if isinstance(v, str) else None  # pandas reads a null primary topic as NaN

        assert row.n_posts == ref["n_posts"] and text(row.primary_topic) == text(ref["primary_topic"])


# --- input shapes ------------------------------------------------------------------------------------
def test_row_per_account_jsonl_to_parquet(tmp_path, accounts, reference, tag_model, capsys):
    inp = _write_jsonl(tmp_path / "accounts.jsonl", accounts)
    out = tmp_path / "out" / "tags.parquet"  # the folder does not exist yet
    assert _tag(inp, "-o", out, "--brand-topic", "fitness", "--chunk-size", 5) == 0
    df = pd.read_parquet(out)
    assert list(df.columns) == list(COLUMNS)
    assert df["account_id"].tolist() == [a["account_id"] for a in accounts]  # every account once, input order
    _check_against(df, reference)
    assert df[PROBS].sum(axis=1).to_numpy() == pytest.approx(1, abs=1e-4)
    assert set(df["model_version"]) == {tag_model.version} and set(df["brand_topic"]) == {"fitness"}
    assert df["run_id"].nunique() == 1 and set(df["source_file"]) == {str(inp)}
    assert df["source_line"].tolist() == list(range(1, 13))
    ev = json.loads(df["evidence"].iat[0])
    assert ev == reference.loc[accounts[0]["account_id"], "evidence"]
    assert errors_path_for(out).read_text() == ""
    assert not parts_dir_for(out).exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp files left
    printed = capsys.readouterr().out
    assert "tagged 12 accounts" in printed and "accounts/s" in printed and df["run_id"].iat[0] in printed


def test_row_per_text_grouped_across_files_in_any_order(tmp_path, accounts, reference):
    """Bios in one JSONL file, posts interleaved across accounts in a CSV: grouped by account_id."""
    folder = tmp_path / "texts"
    folder.mkdir()
    _write_jsonl(folder / "a_bios.jsonl", [
        {"account_id": a["account_id"], "kind": "bio", "text": a["bio"], "handle": a.get("handle"),
         "followers": a.get("followers")} for a in accounts])
    posts = [[{"account_id": a["account_id"], "kind": "post", "text": p["text"], "likes": p.get("likes"),
               "comments": p.get("comments"), "posted_at": p.get("posted_at")} for p in a["posts"]] for a in accounts]
    rows = [group[i] for i in range(max(map(len, posts))) for group in posts if i < len(group)]  # round robin
    with open(folder / "b_posts.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["account_id", "kind", "text", "likes", "comments", "posted_at"])
        w.writeheader()
        w.writerows(rows)
    out = tmp_path / "tags.parquet"
    summary = tag_files(folder, out, "fitness", chunk_size=5, show_progress_bar=False)
    assert isinstance(summary, TagSummary) and summary.rows_set_aside == 0
    df = pd.read_parquet(out)
    assert df["account_id"].tolist() == [a["account_id"] for a in accounts]
    _check_against(df, reference)
    assert df["followers"].tolist() == [a.get("followers") for a in accounts]
    assert set(df["source_file"]) == {str(folder / "a_bios.jsonl")}


def test_default_backend_is_onnx_and_scores_do_not_depend_on_chunking(tmp_path, accounts, monkeypatch):
    """Batch tagging runs on onnx by default; each text is embedded on its own, so an account's scores are the
    same whatever it is chunked with. ``--backend torch`` is one flag away and lands close to the onnx scores."""
    monkeypatch.delenv("BRANDFIT_BACKEND", raising=False)
    inp = _write_jsonl(tmp_path / "accounts.jsonl", accounts)
    by_one = tag_files(inp, tmp_path / "one.parquet", "fitness", chunk_size=1, show_progress_bar=False)
    whole = tag_files(inp, tmp_path / "all.parquet", "fitness", show_progress_bar=False)
    assert by_one.accounts_tagged == whole.accounts_tagged == len(accounts)
    a, b = pd.read_parquet(tmp_path / "one.parquet"), pd.read_parquet(tmp_path / "all.parquet")
    for col in ["score", *PROBS, "consistency", "promo_ratio"]:  # equal up to float32 rounding in the heads
        assert a[col].to_numpy() == pytest.approx(b[col].to_numpy(), abs=2e-6, rel=0), col
    assert a["primary_topic"].tolist() == b["primary_topic"].tolist()

    assert _tag(inp, "-o", tmp_path / "torch.parquet", "--brand-topic", "fitness", "--backend", "torch",
                "--quiet-summary") == 0
    t = pd.read_parquet(tmp_path / "torch.parquet")
    assert t["account_id"].tolist() == b["account_id"].tolist()
    assert t["score"].to_numpy() == pytest.approx(b["score"].to_numpy(), abs=0.05)
    assert (t["primary_topic"] == b["primary_topic"]).mean() >= 0.9


def test_cli_brand_topic_in_words(tmp_path, accounts, tag_model):
    """``--brand-topic "<description>" --brand-name N --example E``: a brand's own topic, as in predict."""
    inp = _write_jsonl(tmp_path / "accounts.jsonl", accounts)
    out = tmp_path / "trail.parquet"
    assert _tag(inp, "-o", out, "--brand-topic", "trail running shoes and ultramarathon gear",
                "--brand-name", "trail", "--example", "hydration vest for long runs", "--quiet-summary") == 0
    df = pd.read_parquet(out).set_index("account_id")
    assert set(df["brand_topic"]) == {"trail"}
    ref = brandfit.predict_relevance_batch(
        accounts, brandfit.BrandTopic("trail", "trail running shoes and ultramarathon gear",
                                      examples=("hydration vest for long runs",)), model=tag_model,
    ).set_index("account_id")
    assert df.loc[ref.index, "score"].to_numpy() == pytest.approx(ref["score"].to_numpy(), abs=2e-6)
    sports = [a["account_id"] for a in accounts if a["account_id"] in df.index and
              df.loc[a["account_id"], "primary_topic"] == "sports_outdoor"]
    assert sports and df.loc[sports, "score"].mean() > df.drop(index=sports)["score"].mean()
    assert _tag(inp, "-o", tmp_path / "x.parquet", "--brand-topic", "golf") == 2  # a bare unknown id: refused
    assert not (tmp_path / "x.parquet").exists()


def test_parquet_and_csv_row_per_account(tmp_path, accounts, reference):
    accounts = accounts[::2]
    folder = tmp_path / "in"
    folder.mkdir()
    pq.write_table(pa.Table.from_pylist(accounts), folder / "a.parquet")  # posts: list<struct>
    with open(folder / "b.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account_id", "handle", "followers", "bio", "posts"])
        for a in accounts:  # posts as a JSON string; plain strings instead of objects for a change
            w.writerow([f"csv-{a['account_id']}", a.get("handle"), a.get("followers"), a["bio"],
                        json.dumps([p["text"] for p in a["posts"]])])
    out = tmp_path / "tags.parquet"
    summary = tag_files(folder, out, "fitness", chunk_size=8, show_progress_bar=False)
    assert summary.accounts_tagged == 12 and summary.rows_set_aside == 0
    df = pd.read_parquet(out)
    assert df["account_id"].is_unique
    _check_against(df, reference, id_map=lambda s: s.removeprefix("csv-"))
    csv_rows = df[df["account_id"].str.startswith("csv-")]
    assert csv_rows["engagement_rate"].isna().all() and csv_rows["followers"].notna().all()


# --- bad rows --------------------------------------------------------------------------------------
def _bad_input(folder: Path) -> Path:
    folder.mkdir()
    _write_jsonl(folder / "a.jsonl", [
        {"account_id": "g1", "bio": "trail runner and ultra coach", "posts": ["hill repeats in the fog"]},
        '{"account_id": "b1", "bio": ',  # 2
        {"account_id": "b2", "bio": 123, "posts": []},  # 3
        {"account_id": "b3", "bio": "runner", "posts": ["ok"], "followers": "lots"},  # 4
        {"account_id": "b4", "bio": "runner", "posts": [], "colour": "red"},  # 5
        {"account_id": "b5", "posts": []},  # 6
        {"account_id": "b6", "bio": "runner", "posts": [{"likes": 3}]},  # 7
        {"account_id": "g1", "bio": "a second g1", "posts": []},  # 8
        {"bio": "no id", "posts": ["x"]},  # 9
        {"account_id": "g2", "bio": "gym", "posts": json.dumps(["leg day", {"text": "deadlift PR", "likes": 4}])},
        {"account_id": "b7", "bio": "x", "posts": "[not json"},  # 11
        {"account_id": "e1", "bio": "  ", "posts": ["", " "]},  # 12: no text to judge, scored as Python scores it
    ])
    (folder / "b.csv").write_text(
        "account_id,kind,text,likes,comments\n"
        "t1,bio,yoga teacher and pilates fan,,\n"
        "t1,post,sunrise flow on the beach,12,3\n"
        "t2,post,,5,\n"  # 4
        "t3,story,hi,,\n"  # 5
        "t1,post,more yoga,many,\n"  # 6
        "t4,bio,lipstick swatches,,\n"
        "t4,bio,a second bio,,\n",  # 8
        encoding="utf-8",
    )
    _write_jsonl(folder / "c.jsonl", [{"account_id": "w1", "colour": "red"}])
    return folder


EXPECTED_ERRORS = [  # (file, line, account_id, words in the reason)
    ("a.jsonl", 2, None, "not valid JSON"),
    ("a.jsonl", 3, "b2", "bio: expected a string"),
    ("a.jsonl", 4, "b3", "followers: expected a number"),
    ("a.jsonl", 5, "b4", "unknown column(s) 'colour'"),
    ("a.jsonl", 6, "b5", "needs a bio or at least one post"),
    ("a.jsonl", 7, "b6", "posts[0].text: missing"),
    ("a.jsonl", 8, "g1", "duplicate account_id 'g1': already read at"),
    ("a.jsonl", 9, None, "account_id: missing"),
    ("a.jsonl", 11, "b7", "posts: not valid JSON"),
    ("c.jsonl", 1, "w1", "can't tell the input shape"),
    ("b.csv", 4, "t2", "text: missing"),
    ("b.csv", 5, "t3", "kind: expected 'bio' or 'post'"),
    ("b.csv", 6, "t1", "likes: expected a number"),
    ("b.csv", 8, "t4", "second bio row"),
]


def test_bad_rows_are_set_aside_with_reasons(tmp_path, capsys, tag_model):
    folder = _bad_input(tmp_path / "in")
    out = tmp_path / "tags.jsonl"
    assert _tag(folder, "-o", out, "--brand-topic", "fitness", "--chunk-size", 2) == 0
    assert f"rows set aside: {len(EXPECTED_ERRORS)}" in capsys.readouterr().out
    tagged = _read_jsonl(out)
    assert [r["account_id"] for r in tagged] == ["g1", "g2", "e1", "t1", "t4"]
    assert [r["n_posts"] for r in tagged] == [1, 2, 2, 1, 0]
    empty = tagged[2]  # an account whose texts are all blank: tagged exactly as Python scores it, not set aside
    py = brandfit.predict_relevance({"bio": "  ", "posts": ["", " "]}, "fitness", model=tag_model)
    assert empty["score"] == py.score == 0.0 and empty["primary_topic"] is py.primary_topic is None
    assert empty["reasons"] == list(py.reasons) and "No text to judge" in py.reasons[0]
    errors = _read_jsonl(errors_path_for(out))
    got = [(Path(e["source_file"]).name, e["line"], e["account_id"], e["reason"]) for e in errors]
    assert len(got) == len(EXPECTED_ERRORS)
    for (f, line, acc, words), (gf, gline, gacc, reason) in zip(EXPECTED_ERRORS, got):
        assert (gf, gline, gacc) == (f, line, acc) and words in reason, (f, line, reason)

    # --fail-on-error: the same job, exit status 1, output still written
    assert _tag(folder, "-o", out, "--brand-topic", "fitness", "--overwrite", "--fail-on-error") == 1
    assert "--fail-on-error" in capsys.readouterr().err
    assert len(_read_jsonl(out)) == 5


# --- output formats --------------------------------------------------------------------------------
def test_jsonl_and_csv_carry_the_same_values(tmp_path, accounts):
    inp = _write_jsonl(tmp_path / "a.jsonl", accounts[:4])
    base = tmp_path / "t.parquet"
    tag_files(inp, base, "beauty", show_progress_bar=False)
    tag_files(inp, tmp_path / "t.jsonl", "beauty", show_progress_bar=False)
    tag_files(inp, tmp_path / "t.txt", "beauty", format="csv", show_progress_bar=False)
    ref = pd.read_parquet(base)
    nested = _read_jsonl(tmp_path / "t.jsonl")
    flat = pd.read_csv(tmp_path / "t.txt", keep_default_na=False, dtype={"handle": str})
    assert list(flat.columns) == list(COLUMNS)
    for i, r in enumerate(ref.to_dict("records")):
        n = nested[i]
        assert n["account_id"] == r["account_id"] and n["score"] == r["score"]
        assert n["topic_probs"] == {t: r[f"p_{t}"] for t in TOPICS}
        assert n["evidence"] == json.loads(r["evidence"]) and n["reasons"] == json.loads(r["reasons"])
        assert flat["score"].iat[i] == r["score"]  # floats survive CSV exactly
        assert json.loads(flat["evidence"].iat[i]) == json.loads(r["evidence"])
        assert flat["too_promotional"].iat[i] in ("true", "false", True, False)


# --- refusing to clobber, and resume checks ---------------------------------------------------------
def test_existing_output_and_unfinished_runs_need_a_decision(tmp_path, accounts, tag_model, capsys):
    inp = _write_jsonl(tmp_path / "a.jsonl", accounts[:2])
    out = tmp_path / "t.parquet"
    assert _tag(inp, "-o", out, "--brand-topic", "fitness") == 0
    capsys.readouterr()
    assert _tag(inp, "-o", out, "--brand-topic", "fitness") == 2
    assert "already exists" in capsys.readouterr().err

    # an unfinished run of the same job (as a killed run leaves it)
    settings = {"brand_topic": "fitness", "model_version": tag_model.version, "backend": tag_model.backend,
                "chunk_size": 512, "max_posts": 1000}  # brandfit.tagging.DEFAULT_MAX_POSTS
    running = Checkpoint.open(out, settings=settings, inputs=[fingerprint(inp)], resume=False, overwrite=True)
    assert _tag(inp, "-o", out, "--brand-topic", "fitness", "--resume") == 2  # it holds the lock
    assert "another brandfit tag job" in capsys.readouterr().err
    running.close()
    assert _tag(inp, "-o", out, "--brand-topic", "fitness") == 2
    err = capsys.readouterr().err
    assert "did not finish" in err and "--resume" in err and "--overwrite" in err
    assert _tag(inp, "-o", out, "--brand-topic", "beauty", "--resume") == 2
    assert "brand_topic: 'fitness' then, 'beauty' now" in capsys.readouterr().err
    assert _tag(inp, "-o", out, "--brand-topic", "fitness", "--resume", "--chunk-size", 64) == 2
    assert "chunk_size: 512 then, 64 now" in capsys.readouterr().err
    with open(inp, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(accounts[2]) + "\n")
    assert _tag(inp, "-o", out, "--brand-topic", "fitness", "--resume") == 2
    assert "changed since the checkpoint" in capsys.readouterr().err
    assert pd.read_parquet(out)["account_id"].tolist() == [a["account_id"] for a in accounts[:2]]  # untouched
    assert _tag(inp, "-o", out, "--brand-topic", "fitness", "--overwrite") == 0
    assert len(pd.read_parquet(out)) == 3 and not parts_dir_for(out).exists()


def test_empty_input_writes_an_empty_output(tmp_path):
    inp = _write_jsonl(tmp_path / "a.jsonl", ['{"oops'])
    summary = tag_files(inp, tmp_path / "t.parquet", "fitness", show_progress_bar=False)
    assert summary.accounts_tagged == 0 and summary.rows_set_aside == 1
    assert pq.read_table(tmp_path / "t.parquet").schema.names == list(COLUMNS)


# --- SIGKILL mid-run, then --resume -----------------------------------------------------------------
@pytest.mark.slow
def test_sigkill_then_resume_tags_every_account_once_with_identical_scores(tmp_path, accounts, capsys):
    rows = [dict(a, account_id=f"{a['account_id']}-{k}", bio=f"{a['bio']} #{k}") for k in range(2) for a in accounts[:8]]
    inp = _write_jsonl(tmp_path / "a.jsonl", rows)  # 16 accounts, 8 chunks
    args = ["tag", str(inp), "--brand-topic", "sports_outdoor", "--chunk-size", "2"]
    ref_out, out = tmp_path / "ref.parquet", tmp_path / "t.parquet"
    assert main([*args, "-o", str(ref_out)]) == 0
    capsys.readouterr()

    state = kill_after_chunks(args, out, 3)
    assert not out.exists() and state.exists()
    killed_run = json.loads(state.read_text())["run_id"]

    assert main([*args, "-o", str(out), "--resume"]) == 0
    printed = capsys.readouterr().out
    assert "from the checkpoint" in printed
    got, ref = pd.read_parquet(out), pd.read_parquet(ref_out)
    assert got["account_id"].is_unique and got["account_id"].tolist() == ref["account_id"].tolist()
    cols = ["score", *PROBS, "consistency", "promo_ratio", "evidence", "reasons", "promo_cues"]
    pd.testing.assert_frame_equal(got[cols], ref[cols])  # identical, not merely close
    assert set(got["run_id"]) == {killed_run}
    assert not parts_dir_for(out).exists()
