"""Issue "No single input kills, hangs or floods a job": the output of `brandfit tag` can never be the input
(checked in brandfit.tagging._check_paths before anything is read or written)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from brandfit.errors import InputError
from brandfit.tagging import tag_files
from brandfit.topics import BRAND_TOPICS

TOPIC = next(iter(BRAND_TOPICS))


def _input(path: Path) -> Path:
    path.write_text(json.dumps({"account_id": "a1", "bio": "trail runner"}) + "\n", encoding="utf-8")
    return path


def _refused(inp: Path, out: Path, fake_model, match: str, **kw) -> None:
    before = {p: p.read_bytes() for p in inp.parent.rglob("*") if p.is_file()}
    with pytest.raises(InputError, match=match):
        tag_files(inp, out, TOPIC, model=fake_model, show_progress_bar=False, **kw)
    after = {p: p.read_bytes() for p in inp.parent.rglob("*") if p.is_file()}
    assert after == before  # nothing written, nothing overwritten


@pytest.mark.parametrize("overwrite", [False, True])
def test_output_same_file_as_input(tmp_path, fake_model, overwrite):
    inp = _input(tmp_path / "accounts.jsonl")
    _refused(inp, inp, fake_model, "overwrite the input file", overwrite=overwrite)


def test_output_same_file_through_another_path(tmp_path, fake_model):
    inp = _input(tmp_path / "accounts.jsonl")
    (tmp_path / "sub").mkdir()
    _refused(inp, tmp_path / "sub" / ".." / "accounts.jsonl", fake_model, "overwrite the input file", overwrite=True)
    link = tmp_path / "link.jsonl"
    os.symlink(inp, link)
    _refused(inp, link, fake_model, "overwrite the input file", overwrite=True)


def test_errors_file_would_overwrite_the_input(tmp_path, fake_model):
    inp = _input(tmp_path / "out.jsonl.errors.jsonl")
    _refused(inp, tmp_path / "out.jsonl", fake_model, "overwrite the input file", overwrite=True)


@pytest.mark.parametrize("where", ["out.parquet", "sub/out.parquet", "notes"])
def test_output_inside_the_input_folder(tmp_path, fake_model, where):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    inp = _input(folder / "accounts.jsonl")
    with pytest.raises(InputError, match="input folder"):
        tag_files(folder, folder / where, TOPIC, model=fake_model, overwrite=True, show_progress_bar=False)
    assert sorted(p.name for p in folder.rglob("*")) == ["accounts.jsonl", "sub"]
    assert inp.exists()


def test_an_output_that_is_a_folder_or_not_writable_is_refused_before_any_work(tmp_path, fake_model, monkeypatch):
    inp = _input(tmp_path / "in" / "accounts.jsonl") if (tmp_path / "in").mkdir() is None else None
    (tmp_path / "out").mkdir()
    _refused(inp, tmp_path / "out", fake_model, "is a folder", overwrite=True)
    assert not list((tmp_path).glob("out*.parts")) and not (tmp_path / "out.errors.jsonl").exists()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path / "ro" else real_access(p, mode))
    (tmp_path / "ro").mkdir()
    _refused(inp, tmp_path / "ro" / "tags.parquet", fake_model, "not a writable folder")


@pytest.mark.parametrize("name", ["tags.xlsx", "tags.txt", "tags.PARQUET.bak"])
def test_an_output_suffix_that_names_no_format_is_refused_before_any_work(tmp_path, fake_model, name):
    """``-o out/tags.xlsx`` would have held Parquet bytes; it is refused unless the format is given."""
    (tmp_path / "in").mkdir()
    _refused(_input(tmp_path / "in" / "a.jsonl"), tmp_path / "out" / name, fake_model, "cannot tell the output format")
    assert not (tmp_path / "out").exists()
    summary = tag_files(tmp_path / "in" / "a.jsonl", tmp_path / "out" / name, TOPIC, model=fake_model, format="csv",
                        show_progress_bar=False)
    assert summary.accounts_this_run == 1 and (tmp_path / "out" / name).read_text().startswith("account_id")


@pytest.mark.parametrize(("name", "head"), [("tags.parquet", b"PAR1"), ("tags.pq", b"PAR1"), ("tags", b"PAR1"), ("tags.json", b"{")])
def test_the_output_format_follows_a_known_suffix(tmp_path, fake_model, name, head):
    out = tmp_path / "out" / name
    tag_files(_input(tmp_path / "a.jsonl"), out, TOPIC, model=fake_model, show_progress_bar=False)
    assert out.read_bytes().startswith(head)
