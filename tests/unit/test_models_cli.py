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


def test_rollback_past_the_history_is_a_one_line_error_not_a_traceback(reg, capsys):
    from brandfit.errors import BrandfitError, RollbackError

    r = ("models", "--registry", str(reg.root))
    reg.promote("relevance@1")
    reg.promote("relevance@2")
    code, out, _ = run_cli(capsys, *r, "rollback")
    assert code == 0 and out.strip() == "production -> relevance@1 (rolled back)"
    code, out, err = run_cli(capsys, *r, "rollback")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("brandfit: error: alias 'production' -> relevance@1 has no earlier target to roll back to")
    assert "brandfit models alias production REF" in err and "Traceback" not in err
    with pytest.raises(RollbackError) as info:
        reg.rollback()
    assert isinstance(info.value, LookupError) and isinstance(info.value, BrandfitError)  # still a LookupError
    assert reg.aliases()["production"] == "relevance@1"
    code, _, err = run_cli(capsys, *r, "rollback", "--alias", "staging")
    assert code == 2 and err.startswith("brandfit: error: unknown alias 'staging'")


def test_rollback_onto_a_deleted_version_is_a_one_line_error(reg, capsys):
    r = ("models", "--registry", str(reg.root))
    reg.set_alias("staging", "relevance@1")
    reg.set_alias("staging", "relevance@2")
    reg.delete("relevance@1")
    code, _, err = run_cli(capsys, *r, "rollback", "--alias", "staging")
    assert code == 2 and "relevance@1: that version was deleted" in err and err.count("\n") == 1
    assert reg.aliases()["staging"] == "relevance@2"


def test_refused_and_unknown_registry_operations_all_exit_2_with_one_line(reg, capsys):
    r = ("models", "--registry", str(reg.root))
    reg.promote("relevance@1")
    for argv, expected in ((("delete", "relevance@1"), "refusing to delete relevance@1: alias 'production'"),
                           (("alias", "--delete", "nope"), "unknown alias 'nope'"),
                           (("resolve", "relevance@0"), "invalid ref 'relevance@0'"),
                           (("resolve", "nope@3"), "unknown model 'nope'"),
                           (("show", "relevance@9"), "relevance@9 does not exist"),
                           (("verify", "nope"), "unknown model or alias 'nope'"),
                           (("promote", "relevance@2", "--alias", "Bad", "--no-gate"), "invalid alias 'Bad'"),
                           (("rollback",), "no earlier target")):
        code, out, err = run_cli(capsys, *r, *argv)
        assert code == 2 and err.startswith("brandfit: error: ") and expected in err, (argv, err)
        assert err.count("\n") == 1 and "Traceback" not in err, argv


def test_verify_all_fails_on_a_registry_that_does_not_exist_is_empty_or_is_a_file(tmp_path, reg, capsys):
    missing = tmp_path / "nonexist_reg"
    code, out, err = run_cli(capsys, "models", "--registry", str(missing), "verify", "--all")
    assert code == 2 and "no such registry folder" in err and str(missing) in err
    assert not missing.exists()  # verifying made nothing
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(capsys, "models", "--registry", str(empty), "verify", "--all")
    assert code == 2 and "holds no model version and no alias" in err
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    for argv in (("verify", "--all"), ("list",), ("resolve", "production")):
        code, _, err = run_cli(capsys, "models", "--registry", str(afile), *argv)
        assert code == 2 and "the registry must be a folder" in err, argv
    assert run_cli(capsys, "models", "--registry", str(reg.root), "verify", "--all")[0] == 0  # a real one passes


def test_promoting_over_an_alias_whose_target_was_removed_skips_the_gate_and_says_why(reg, capsys):
    import shutil

    reg.promote("relevance@1")
    shutil.rmtree(reg.root / "relevance" / "1")  # removed by hand: production now dangles
    code, out, err = run_cli(capsys, "models", "--registry", str(reg.root), "promote", "relevance@2")
    assert code == 0 and out.strip() == "production -> relevance@2"
    assert "gate skipped: production points to relevance@1, which no longer exists" in err


def test_help_renders_percent_signs_once(capsys):
    with pytest.raises(SystemExit):
        run_cli(capsys, "models", "compare", "--help")
    out = capsys.readouterr().out
    assert "95% interval" in " ".join(out.split()) and "%%" not in out
    with pytest.raises(SystemExit):
        run_cli(capsys, "models", "--help")
    out = capsys.readouterr().out
    assert "95% interval" in " ".join(out.split()) and "%%" not in out


def test_the_judged_texts_threshold_and_the_default_data_are_defined_once():
    """L2: 50 (the fewest texts a figure is judged on) and data/labeled/texts are defined in brandfit.settings alone;
    the gate, compare, evaluate, train and the config import them."""
    import ast

    import brandfit.cli._evaluate as evaluate
    import brandfit.cli._models as models
    import brandfit.config as config
    import brandfit.registry.compare as compare
    import brandfit.settings as settings
    import brandfit.train as train

    defined = []
    for module in (settings, config, compare, models, evaluate, train):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if value is None:
                continue
            for const in ast.walk(value):
                if isinstance(const, ast.Constant) and const.value in (50, "data/labeled/texts"):
                    defined.append((module.__name__, const.value))
    assert sorted(defined, key=str) == [("brandfit.settings", "data/labeled/texts"), ("brandfit.settings", 50)]
    assert config.DEFAULT_DATA == (settings.DEFAULT_LABELED_TEXTS,)
    assert compare.MIN_JUDGED_TEXTS is models.MIN_JUDGED_TEXTS is settings.MIN_JUDGED_TEXTS
