"""``brandfit models``: the readable list/show, alias --delete, the registry history and train's --tag parsing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from brandfit.registry import ModelRegistry


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    from brandfit.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def reg(tmp_path: Path) -> ModelRegistry:
    src = tmp_path / "src"
    src.mkdir()
    (src / "model.json").write_text("{}", encoding="utf-8")
    reg = ModelRegistry(tmp_path / "models")
    metrics = {"test": {"topic": {"macro_ap": 0.9, "n": 10}, "promo": {"ap": 0.95}},
               "public": {"pooled_topic": {"macro_ap": 0.8}, "pooled_promo": {"ap": 0.85}}}
    reg.publish("relevance", src, metadata={"metrics": metrics, "dataset_hash": "sha256:abcdef0123456789"})
    reg.publish("relevance", src, metadata={"metrics": metrics, "description": "c=4 topic head",
                                            "tags": {"experiment": "c4"}})
    return reg


def test_list_is_a_table_with_headline_metrics_and_description(reg, capsys):
    reg.promote("relevance@1")
    code, out, _ = run_cli(capsys, "models", "--registry", str(reg.root), "list")
    assert code == 0
    header, first, second = out.splitlines()
    assert header.split()[:4] == ["VERSION", "ALIASES", "CREATED", "(UTC)"] and "PUB PROMO AP" in header
    assert re.match(r"relevance@1\s+production\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+abcdef0123\s+0\.900\s+0\.950\s+0\.800\s+0\.850",
                    first), first
    assert second.rstrip().endswith("c=4 topic head experiment=c4")
    listed = json.loads(run_cli(capsys, "models", "--registry", str(reg.root), "list", "--json")[1])
    assert listed[1]["tags"] == {"experiment": "c4"} and listed[0]["headline"]["test/promo_ap"] == 0.95


def test_show_has_sections_and_history(reg, capsys):
    reg.promote("relevance@1")
    reg.promote("relevance@2", details={"forced": True, "reason": "hotfix"})
    code, out, _ = run_cli(capsys, "models", "--registry", str(reg.root), "show", "relevance@2")
    assert code == 0 and "c=4 topic head" in out
    for title in ("Version", "Headline metrics", "History"):
        assert f"\n{title}\n" in out
    assert re.search(r"promote\s+production\s+relevance@1 -> relevance@2\s+FORCED: hotfix", out), out
    data = json.loads(run_cli(capsys, "models", "--registry", str(reg.root), "show", "relevance@2", "--json")[1])
    assert data["history"][-1]["reason"] == "hotfix" and data["history"][-1]["who"]


def test_alias_delete(reg, capsys):
    r = ("models", "--registry", str(reg.root))
    assert run_cli(capsys, *r, "alias", "staging", "relevance@2")[0] == 0
    code, out, _ = run_cli(capsys, *r, "alias", "--delete", "staging")
    assert code == 0 and out.strip() == "deleted alias staging (was relevance@2)"
    assert "staging" not in reg.aliases()
    code, _, err = run_cli(capsys, *r, "alias", "--delete", "staging")
    assert code == 2 and "unknown alias 'staging'" in err
    assert run_cli(capsys, *r, "alias", "staging")[0] == 2
    assert [h["event"] for h in reg.history()] == ["alias", "alias-deleted"]


def test_train_tags_are_parsed():
    from brandfit.cli._train import parse_tags
    from brandfit.errors import InputError

    assert parse_tags(["experiment=c4", "owner = ana "]) == {"experiment": "c4", "owner": "ana"}
    with pytest.raises(InputError):
        parse_tags(["nokey"])
