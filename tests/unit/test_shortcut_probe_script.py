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



def _brand_probe_files(tmp_path: Path, brands: list[dict], pool: list[dict]) -> tuple[Path, Path]:
    import json

    b, p = tmp_path / "brands.jsonl", tmp_path / "pool.jsonl"
    b.write_text("".join(json.dumps(r) + "\n" for r in brands), encoding="utf-8")
    p.write_text("".join(json.dumps(r) + "\n" for r in pool), encoding="utf-8")
    return b, p


def test_brand_probe_stops_on_a_pool_row_naming_an_unknown_brand(tmp_path: Path) -> None:
    import pytest

    probe = _script("brand_probe")
    b, p = _brand_probe_files(tmp_path, [{"brand_id": "b1", "vertical": "beauty", "words": "curly hair care"}],
                              [{"text": "wash day 🫧", "brand_id": "b1"}, {"text": "oud haul", "brand_id": "b9"}])
    with pytest.raises(SystemExit, match=r"pool.jsonl:2: brand_id 'b9' is not in brands.jsonl"):
        probe.read_probe(b, p)
    b, p = _brand_probe_files(tmp_path, [{"brand_id": "b1", "vertical": "cars", "words": "tyres"}], [])
    with pytest.raises(SystemExit, match=r"brands.jsonl:1: a brand needs"):
        probe.read_probe(b, p)
    curly = {"brand_id": "b1", "vertical": "beauty", "words": "curly hair care"}
    b, p = _brand_probe_files(tmp_path, [curly, {**curly, "words": "curl creams"}], [])
    with pytest.raises(SystemExit, match=r"brands.jsonl:2: brand_id 'b1' is given twice"):
        probe.read_probe(b, p)
    b, p = _brand_probe_files(tmp_path, [{**curly, "brand_id": None}], [])
    with pytest.raises(SystemExit, match=r"brands.jsonl:1: a brand needs a brand_id"):
        probe.read_probe(b, p)
    # a post that fits no brand needs its vertical, or the `close` figure would silently leave it out
    b, p = _brand_probe_files(tmp_path, [curly], [{"text": "wash day 🫧", "brand_id": "b1"}, {"text": "oud haul"}])
    with pytest.raises(SystemExit, match=r"pool.jsonl:2: a post that fits no brand needs a vertical"):
        probe.read_probe(b, p)
    b, p = _brand_probe_files(tmp_path, [curly], [{"text": "oud haul", "brand_id": None, "vertical": "beauty"}])
    with pytest.raises(SystemExit, match=r"no post fits a brand"):
        probe.read_probe(b, p)


def test_brand_probe_average_precision_and_the_close_negatives() -> None:
    import numpy as np

    probe = _script("brand_probe")
    assert probe.average_precision(np.array([0.9, 0.8, 0.1]), np.array([True, False, True])) == (1 + 2 / 3) / 2
    brands = [{"brand_id": "trail", "vertical": "sports_outdoor"}, {"brand_id": "road", "vertical": "sports_outdoor"}]
    pool = [{"text": "utmb lottery 🤞", "brand_id": "trail"}, {"text": "stelvio done", "brand_id": "road"},
            {"text": "running late", "brand_id": None, "vertical": "other"}]
    # trail ranks the everyday post above its own: AP 0.5 over the pool, 1.0 against its own vertical only
    scores = {"trail": np.array([0.5, 0.1, 0.9]), "road": np.array([0.1, 0.9, 0.2])}
    s = probe.summarise(scores, brands, pool)
    assert s["all"] == 0.75 and s["sports_outdoor"] == 0.75 and s["close"] == 1.0
    brands[0]["words"] = "trail running shoes"
    brands[1]["words"] = "road cycling kit"
    line = "  miss [trail trail running shoes] 0.500 < 0.900: utmb lottery 🤞"
    assert probe.misses(scores, brands, pool, depth=1) == [line]
