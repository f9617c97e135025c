"""``brandfit rank``, the tag progress bar's total, and plurals in CLI messages."""

from __future__ import annotations

import json
from pathlib import Path

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
