"""One settings module, one error hierarchy, and the CLI's mapping of errors to exit codes."""

from __future__ import annotations

import inspect
import json

import pytest

from brandfit import errors, settings
from brandfit.cli import main


def test_backend_resolution_order(monkeypatch):
    monkeypatch.delenv(settings.ENV_BACKEND, raising=False)
    assert settings.resolve_backend() == settings.DEFAULT_BACKEND == "onnx"
    monkeypatch.setenv(settings.ENV_BACKEND, "torch")
    assert settings.resolve_backend() == "torch"
    assert settings.resolve_backend("onnx") == "onnx"


def test_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv(settings.ENV_BACKEND, "cuda")
    with pytest.raises(errors.SettingsError, match=r"\$BRANDFIT_BACKEND: unknown embedding backend 'cuda'"):
        settings.resolve_backend()
    with pytest.raises(errors.SettingsError, match="backend: unknown"):
        settings.resolve_backend("gpu")


def test_registry_root_order(monkeypatch, tmp_path):
    monkeypatch.delenv(settings.ENV_REGISTRY, raising=False)
    monkeypatch.chdir(tmp_path)
    assert settings.registry_root() == settings.bundled_registry()
    (tmp_path / "models" / "_aliases").mkdir(parents=True)
    assert settings.registry_root() == tmp_path / "models"
    monkeypatch.setenv(settings.ENV_REGISTRY, str(tmp_path / "elsewhere"))
    assert settings.registry_root() == tmp_path / "elsewhere"
    assert settings.registry_root("given") == settings.Path("given")


def test_an_empty_models_folder_is_not_a_registry(monkeypatch, tmp_path):
    monkeypatch.delenv(settings.ENV_REGISTRY, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models" / "notes").mkdir(parents=True)
    assert settings.registry_root() == settings.bundled_registry()


def test_every_deliberate_error_is_a_brandfit_error_and_a_builtin():
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.BrandfitError), name
        if cls is not errors.BrandfitError:
            assert any(b.__module__ == "builtins" and b is not object for b in inspect.getmro(cls)[1:]), name


def test_cli_prints_a_brandfit_error_as_one_line(tmp_path, capsys):
    bad = tmp_path / "acc.json"
    bad.write_text(json.dumps({"bio": "x", "followers": -3}))
    assert main(["predict", str(bad), "--brand-topic", "fitness"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("brandfit: error: ") and "followers" in err and "Traceback" not in err


def test_cli_shows_the_traceback_of_a_bug(monkeypatch, capsys):
    import brandfit.cli._data as data_cli

    def boom(args):
        raise RuntimeError("a real bug")

    monkeypatch.setattr(data_cli, "_check", boom)
    with pytest.raises(RuntimeError, match="a real bug"):
        main(["data", "check", "nowhere"])


def test_cli_interrupt_on_tag_says_how_to_resume(monkeypatch, capsys, tmp_path):
    import brandfit.cli._tag as tag_cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(tag_cli, "_tag", interrupted)
    assert main(["tag", str(tmp_path), "-o", str(tmp_path / "o.parquet"), "--brand-topic", "fitness"]) == 130
    assert "--resume" in capsys.readouterr().err


def test_the_bundled_registry_is_read_only():
    from brandfit.registry import ModelRegistry

    with pytest.raises(errors.InputError, match="read-only registry bundled"):
        ModelRegistry(settings.bundled_registry()).promote("production")


def test_publishing_into_the_bundled_registry_creates_nothing_there(tmp_path):
    from brandfit.registry import ModelRegistry

    (tmp_path / "heads.npz").write_bytes(b"not a model")
    bundled = settings.bundled_registry()
    before = sorted(p.name for p in bundled.iterdir())
    with pytest.raises(errors.InputError, match="read-only registry bundled"):
        ModelRegistry(bundled).publish("relevance", tmp_path, metadata={})
    assert sorted(p.name for p in bundled.iterdir()) == before  # no .tmp/ folder inside the package


def test_bundled_registry_loads_and_matches_the_repositorys_production():
    from brandfit.registry import ModelRegistry

    bundled, files = ModelRegistry(settings.bundled_registry()).read_verified("production", ("model.json",))
    repo_models = settings.Path(__file__).resolve().parents[2] / "models"
    if not repo_models.is_dir():
        pytest.skip("not a source checkout")
    mv, repo_files = ModelRegistry(repo_models).read_verified("production", ("model.json",))
    assert bundled.ref == mv.ref, "run `brandfit models bundle` after promoting, and commit src/brandfit/bundled"
    assert files == repo_files
