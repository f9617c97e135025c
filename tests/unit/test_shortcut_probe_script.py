"""The probes of training/experiments run as scripts from a checkout: without the public corpora they say so and exit
0 (tests/integration/test_heldout_script.py scores a held-out set with the real model)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fakes import REPO


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "training" / "experiments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shortcut_probe_says_so_and_exits_0_without_the_public_corpora(tmp_path: Path, capsys) -> None:
    probe = _script("shortcut_probe")
    assert probe.main(["relevance@1", "--public-data", str(tmp_path)]) == 0  # no model is loaded: none exists here
    assert "public corpora not found" in capsys.readouterr().out
    assert probe.SUFFIXES[0] == "" and len(set(probe.SUFFIXES)) == len(probe.SUFFIXES)


def _probe_file(tmp_path: Path, rows: list[dict]) -> Path:
    import json

    path = tmp_path / "probe.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_probe_eval_baselines_say_so_and_exit_0_without_the_public_corpora(tmp_path: Path, capsys) -> None:
    probe = _script("probe_eval")
    path = _probe_file(tmp_path, [{"text": "virat 82* off 53", "topic": "sports_outdoor", "kind": "fan_tweet"}])
    assert probe.main([str(path), "--baselines", "--public-data", str(tmp_path / "absent")]) == 0
    assert "public corpora not found" in capsys.readouterr().out


def test_probe_eval_stops_on_a_bad_row_with_its_line(tmp_path: Path) -> None:
    import pytest

    probe = _script("probe_eval")
    path = _probe_file(tmp_path, [{"text": "ok", "topic": "other"}, {"text": "no such topic", "topic": "cars"}])
    with pytest.raises(SystemExit, match=r"probe.jsonl:2: a probe row needs a text and a topic"):
        probe.read_probe(path)

