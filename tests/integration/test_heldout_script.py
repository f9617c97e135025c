"""training/experiments/heldout.py scores a held-out topic set (tweets and comments) with the production model: one
line for the set, one per kind."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from fakes import REPO


def test_heldout_comments_scores_topic_per_kind(model, tmp_path: Path, capsys) -> None:
    spec = importlib.util.spec_from_file_location("heldout", REPO / "training" / "experiments" / "heldout.py")
    heldout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(heldout)
    rows = [{"text": "new trail running shoes for the mountain marathon 🏔️", "topic": "sports_outdoor", "kind": "tweet"},
            {"text": "my lipstick and mascara haul, the liner is perfect", "topic": "beauty", "kind": "tweet"},
            {"text": "which laptop has the best battery for uni? budget 800", "topic": "electronics", "kind": "comment"},
            {"text": "running late to my own birthday dinner again", "topic": "other", "kind": "trap"}]
    path = tmp_path / "comments.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    heldout.comments(model, "production", path)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("production comments: topic macro AP ") and out[0].endswith("(4 texts)")
    kinds = {line.split()[0]: line for line in out[1:]}
    assert set(kinds) == {"tweet", "comment", "trap"}
    assert kinds["tweet"].split()[1:] == ["n", "2", "top-1", "1.00"]


def test_heldout_senses_counts_figurative_texts_read_as_the_vertical_they_borrow(model, tmp_path: Path, capsys) -> None:
    spec = importlib.util.spec_from_file_location("heldout", REPO / "training" / "experiments" / "heldout.py")
    heldout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(heldout)
    rows = [{"text": "makeup exam tomorrow and i have not opened the book 😭", "topic": "other", "kind": "figurative",
             "vertical": "beauty"},
            {"text": "my lipstick and mascara haul, the liner is perfect", "topic": "beauty", "kind": "literal",
             "vertical": "beauty"},
            {"text": "new trail running shoes for the mountain marathon 🏔️", "topic": "sports_outdoor", "kind": "literal",
             "vertical": "sports_outdoor"}]
    path = tmp_path / "word_senses.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    heldout.senses(model, "production", path)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("production word_senses: topic macro AP ") and "(3 texts)" in out[0]
    assert "figurative read as the vertical they borrow from " in out[0] and " of 1 " in out[0]
    kinds = {line.split()[0]: line for line in out[1:]}
    assert kinds["literal"].split()[1:] == ["n", "2", "top-1", "1.00"]
