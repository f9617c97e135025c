"""Finding M3 (review s36/batchrev): nothing capped the posts of one account, so one account with 20,000 posts took a
minute and the job's peak memory. ``--max-posts N`` (default :data:`brandfit.tagging.DEFAULT_MAX_POSTS`, 0: no cap)
sets an account over the cap aside as one row error naming the account, the count and the option, in both input
shapes, never cut short; accounts under the cap are tagged exactly as before; the cap is a setting ``--resume``
must match; ``brandfit rank`` reads with the same option."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import brandfit.tagging as tagging
from brandfit.cli import main
from brandfit.errors import InputError
from brandfit.tagging import DEFAULT_MAX_POSTS, errors_path_for, read_account_items, tag_files

TOPIC = "fitness"


def _account(acc_id: str, n_posts: int) -> dict:
    return {"account_id": acc_id, "bio": f"trail runner {acc_id}",
            "posts": [f"gym day {k} for {acc_id}" for k in range(n_posts)]}


def _jsonl(path: Path, records) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _texts(path: Path, accounts: dict[str, int], *, interleave: bool = True) -> Path:
    """Row-per-text JSONL: each account's bio, then its posts; with ``interleave`` the accounts' post rows alternate."""
    rows = [{"account_id": a, "kind": "bio", "text": f"trail runner {a}"} for a in accounts]
    posts = {a: [{"account_id": a, "kind": "post", "text": f"gym day {k} for {a}"} for k in range(n)]
             for a, n in accounts.items()}
    if interleave:
        for k in range(max(accounts.values())):
            rows += [p[k] for p in posts.values() if k < len(p)]
    else:
        for p in posts.values():
            rows += p
    return _jsonl(path, rows)


def _tag(inp, out, model, **kw):
    kw.setdefault("show_progress_bar", False)
    kw.setdefault("cache", False)
    return tag_files(inp, out, TOPIC, model=model, **kw)


def _rows(path: Path, drop=("run_id",)) -> dict[str, dict]:
    rows = pq.read_table(path).to_pylist()
    return {r["account_id"]: {k: v for k, v in r.items() if k not in drop} for r in rows}


def _errors(out: Path) -> list[dict]:
    return [json.loads(line) for line in errors_path_for(out).read_text(encoding="utf-8").splitlines()]


# --- one row per account --------------------------------------------------------------------------------------------
def test_an_account_over_the_cap_is_set_aside_with_a_reason_and_the_others_are_unchanged(tmp_path, fake_model):
    inp = _jsonl(tmp_path / "in" / "a.jsonl", [_account("a1", 3), _account("a2", 5), _account("big", 6)])
    ref = _jsonl(tmp_path / "ref" / "a.jsonl", [_account("a1", 3), _account("a2", 5)])
    out, ref_out = tmp_path / "out.parquet", tmp_path / "ref.parquet"
    summary = _tag(inp, out, fake_model, max_posts=5)
    _tag(ref, ref_out, fake_model, max_posts=0)
    assert summary.accounts_tagged == 2 and summary.rows_set_aside == 1
    [err] = _errors(out)
    assert err["account_id"] == "big" and err["line"] == 3 and err["source_file"].endswith("a.jsonl")
    assert "'big'" in err["reason"] and "6 posts" in err["reason"] and "--max-posts 5" in err["reason"]
    assert "not truncated" in err["reason"]
    drop = ("run_id", "source_file")
    assert _rows(out, drop) == _rows(ref_out, drop)  # a1 and a2: identical scores, rows and lines


def test_the_cap_holds_for_posts_given_as_a_json_string_in_csv(tmp_path, fake_model):
    inp = tmp_path / "in" / "a.csv"
    inp.parent.mkdir()
    inp.write_text("account_id,bio,posts\n"
                   f"a1,runner,\"{json.dumps(['one', 'two']).replace(chr(34), chr(34) * 2)}\"\n"
                   f"big,runner,\"{json.dumps(['p'] * 4).replace(chr(34), chr(34) * 2)}\"\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    summary = _tag(inp, out, fake_model, max_posts=3)
    assert summary.accounts_tagged == 1
    [err] = _errors(out)
    assert err["account_id"] == "big" and err["line"] == 3 and "4 posts" in err["reason"]


def test_exactly_the_cap_is_tagged_and_zero_means_no_cap(tmp_path, fake_model):
    inp = _jsonl(tmp_path / "in" / "a.jsonl", [_account("a1", 5), _account("big", 40)])
    out = tmp_path / "out.parquet"
    assert _tag(inp, out, fake_model, max_posts=5).accounts_tagged == 1  # a1 (exactly 5) is tagged
    summary = _tag(inp, out, fake_model, max_posts=0, overwrite=True)
    assert summary.accounts_tagged == 2 and summary.rows_set_aside == 0 and _errors(out) == []
    assert _rows(out)["big"]["n_posts"] == 40  # all of them: nothing cut


def test_the_default_cap(tmp_path, fake_model):
    assert DEFAULT_MAX_POSTS == 1000
    inp = _jsonl(tmp_path / "in" / "a.jsonl", [_account("a1", 2), _account("big", DEFAULT_MAX_POSTS + 1)])
    out = tmp_path / "out.parquet"
    summary = _tag(inp, out, fake_model)
    assert summary.accounts_tagged == 1
    [err] = _errors(out)
    assert err["account_id"] == "big" and f"{DEFAULT_MAX_POSTS + 1} posts" in err["reason"]
    assert f"--max-posts {DEFAULT_MAX_POSTS}" in err["reason"]


def test_under_the_cap_the_output_is_the_same_bytes_whatever_the_cap(tmp_path, fake_model):
    inp = _jsonl(tmp_path / "in" / "a.jsonl", [_account(f"a{i}", i + 1) for i in range(6)] + [{"account_id": "x"}])
    outs = []
    for cap in (0, 6, DEFAULT_MAX_POSTS):
        out = tmp_path / f"out{cap}.jsonl"
        _tag(inp, out, fake_model, max_posts=cap, chunk_size=4)
        run_id = json.loads(out.read_text().splitlines()[0])["run_id"]
        outs.append((out.read_text().replace(run_id, "RUN"), errors_path_for(out).read_bytes()))
    assert outs[0] == outs[1] == outs[2]


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
def test_a_bad_cap_is_refused_before_any_work(tmp_path, fake_model, bad):
    out = tmp_path / "out.parquet"
    with pytest.raises(InputError, match="max_posts"):
        _tag(_jsonl(tmp_path / "in" / "a.jsonl", [_account("a1", 1)]), out, fake_model, max_posts=bad)
    assert not out.exists() and not (tmp_path / "out.parquet.parts").exists()


# --- one row per text -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("interleave", [True, False])
def test_row_per_text_an_account_over_the_cap_is_set_aside_once(tmp_path, fake_model, interleave):
    inp = _texts(tmp_path / "in" / "t.jsonl", {"a1": 3, "big": 9, "a2": 5}, interleave=interleave)
    ref = _texts(tmp_path / "ref" / "t.jsonl", {"a1": 3, "a2": 5}, interleave=interleave)
    out, ref_out = tmp_path / "out.parquet", tmp_path / "ref.parquet"
    summary = _tag(inp, out, fake_model, max_posts=5)
    _tag(ref, ref_out, fake_model, max_posts=0)
    assert summary.accounts_tagged == 2 and summary.rows_set_aside == 1
    [err] = _errors(out)
    assert err["account_id"] == "big" and err["line"] == 2  # its first row (the bio)
    assert "9 posts" in err["reason"] and "--max-posts 5" in err["reason"]
    drop = ("run_id", "source_file", "source_line")  # big's rows moved the others' lines
    assert _rows(out, drop) == _rows(ref_out, drop)
    assert _tag(inp, out, fake_model, max_posts=0, overwrite=True).accounts_tagged == 3


def test_row_per_text_rows_past_the_cap_are_counted_not_held(tmp_path, monkeypatch):
    """Past the cap an account's rows are not decoded nor kept: the reader holds at most ``cap`` of them."""
    from brandfit.tagging import _input

    inp = _texts(tmp_path / "t.jsonl", {"a1": 2, "big": 500}, interleave=False)
    decoded: list[str] = []
    real_loads = json.loads

    class CountingJSON:
        dumps = staticmethod(json.dumps)

        @staticmethod
        def loads(s, *a, **k):
            value = real_loads(s, *a, **k)
            if isinstance(value, dict) and "gym day" in str(value.get("text")) and "big" in value["text"]:
                decoded.append(value["text"])
            return value

    monkeypatch.setattr(_input, "json", CountingJSON)
    assembled: list[int] = []
    real_assemble = _input.AccountReader._assemble
    monkeypatch.setattr(_input.AccountReader, "_assemble",
                        lambda self, acc_id, rows: assembled.append(len(rows)) or real_assemble(self, acc_id, rows))
    items, set_aside = read_account_items([inp], max_posts=10)
    assert [it.account.account_id for it in items] == ["a1"]
    assert len(set_aside) == 1 and "500 posts" in set_aside[0]["reason"]
    assert len(decoded) <= 10 and assembled == [3]  # big: never assembled, at most the cap decoded


def test_the_cap_counts_posts_not_the_bio(tmp_path):
    inp = _texts(tmp_path / "t.jsonl", {"a1": 4})
    items, set_aside = read_account_items([inp], max_posts=4)
    assert set_aside == [] and len(items[0].account.posts) == 4


# --- resume ---------------------------------------------------------------------------------------------------------
def _interrupted(tmp_path, fake_model, monkeypatch, **kw) -> tuple[Path, Path]:
    """A job whose chunks are all checkpointed but whose final write was stopped: OUTPUT.parts/ is left."""
    from brandfit.tagging import _output

    inp = _jsonl(tmp_path / "in" / "a.jsonl", [_account(f"a{i}", 2) for i in range(4)] + [_account("big", 7)])
    out = tmp_path / "out.parquet"

    def stopped(*a, **k):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(_output, "_write_into", stopped)
        with pytest.raises(KeyboardInterrupt):
            _tag(inp, out, fake_model, chunk_size=2, **kw)
    assert (tmp_path / "out.parquet.parts").is_dir()
    return inp, out


def test_resume_with_another_cap_is_refused(tmp_path, fake_model, monkeypatch):
    inp, out = _interrupted(tmp_path, fake_model, monkeypatch, max_posts=5)
    with pytest.raises(InputError, match=r"other settings \(max_posts: 5 then, 1000 now\)"):
        _tag(inp, out, fake_model, chunk_size=2, resume=True)
    with pytest.raises(InputError, match=r"max_posts: 5 then, 0 now"):
        _tag(inp, out, fake_model, chunk_size=2, resume=True, max_posts=0)
    summary = _tag(inp, out, fake_model, chunk_size=2, resume=True, max_posts=5)
    assert summary.accounts_tagged == 4 and summary.rows_set_aside == 1
    assert [e["account_id"] for e in _errors(out)] == ["big"]


def test_resume_on_the_cli_with_another_cap_exits_2(tmp_path, fake_model, monkeypatch, capsys):
    inp, out = _interrupted(tmp_path, fake_model, monkeypatch, max_posts=5)
    monkeypatch.setattr(tagging, "load_model", lambda *a, **k: fake_model)
    argv = ["tag", str(inp), "-o", str(out), "--brand-topic", TOPIC, "--no-cache", "--no-progress",
            "--chunk-size", "2", "--resume"]
    assert main(argv) == 2
    assert "max_posts: 5 then, 1000 now" in capsys.readouterr().err
    assert main(argv + ["--max-posts", "5"]) == 0
    assert "rows set aside: 1" in capsys.readouterr().out


# --- CLI ------------------------------------------------------------------------------------------------------------
def test_the_cli_defaults_agree_with_the_library(capsys):
    from brandfit.cli import _rank, _tag

    assert _tag.MAX_POSTS == _rank.MAX_POSTS == DEFAULT_MAX_POSTS
    for cmd in ("tag", "rank"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "--max-posts N" in text and "default 1,000; 0: no limit" in text


def test_tag_cli_max_posts(tmp_path, fake_model, monkeypatch, capsys):
    monkeypatch.setattr(tagging, "load_model", lambda *a, **k: fake_model)
    inp = _jsonl(tmp_path / "in" / "a.jsonl", [_account("a1", 2), _account("big", 4)])
    out = tmp_path / "out.parquet"
    base = ["tag", str(inp), "-o", str(out), "--brand-topic", TOPIC, "--no-cache", "--no-progress"]
    assert main(base + ["--max-posts", "3", "--fail-on-error"]) == 1
    assert [e["account_id"] for e in _errors(out)] == ["big"]
    assert main(base + ["--max-posts", "0", "--overwrite", "--fail-on-error"]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(base + ["--max-posts", "-1", "--overwrite"])
    assert exc.value.code == 2 and "--max-posts" in capsys.readouterr().err


def test_rank_reads_with_the_same_cap(tmp_path, fake_model, monkeypatch, capsys):
    import brandfit.model

    monkeypatch.setattr(brandfit.model, "load_model", lambda *a, **k: fake_model)
    inp = _texts(tmp_path / "in" / "t.jsonl", {"a1": 2, "big": 4, "a2": 1})
    short = tmp_path / "short.csv"
    assert main(["rank", str(inp), "--brand-topic", TOPIC, "-o", str(short), "--max-posts", "3"]) == 0
    captured = capsys.readouterr()
    assert "1 row set aside" in captured.out and "4 posts" in captured.err and "--max-posts 3" in captured.err
    assert [e["account_id"] for e in _errors(short)] == ["big"]
    assert main(["rank", str(inp), "--brand-topic", TOPIC, "-o", str(short), "--overwrite",
                 "--max-posts", "0"]) == 0
    assert _errors(short) == [] and "set aside" not in capsys.readouterr().out
    items, set_aside = read_account_items([inp])  # the library default is the CLI's
    assert len(items) == 3 and set_aside == []


def test_a_checkpoint_that_recorded_no_cap_is_not_resumed_with_one(tmp_path, fake_model, monkeypatch):
    """A checkpoint written before --max-posts existed read without a cap: resuming it with one could shift the chunks,
    so it is refused, saying so."""
    inp, out = _interrupted(tmp_path, fake_model, monkeypatch, max_posts=5)
    state_path = tmp_path / "out.parquet.parts" / "state.json"
    state = json.loads(state_path.read_text())
    del state["settings"]["max_posts"]
    state_path.write_text(json.dumps(state))
    with pytest.raises(InputError, match=r"max_posts: not recorded then \(a run of an earlier brandfit\), 5 now"):
        _tag(inp, out, fake_model, chunk_size=2, resume=True, max_posts=5)
