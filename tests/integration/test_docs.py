"""The runnable examples in the public modules' docstrings stay true."""

import doctest
import importlib
from pathlib import Path

import pytest

MODULES = [
    "brandfit",
    "brandfit.api",
    "brandfit.model",
    "brandfit.account",
    "brandfit.cues",
    "brandfit.topics",
    "brandfit.embedding",
    "brandfit.evaluation.backends",
    "brandfit.data.labeled",
    "brandfit.data.check",
    "brandfit.data.shape",
    "brandfit.data.split",
    "brandfit.text._names",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, production_model):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0


def test_readme_python_example_runs(monkeypatch, tmp_path):
    """The README's "Use it from Python" block, run as written (offline; the cache goes to a temporary file)."""
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    code = re.search(r"## Use it from Python\n\n```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.setenv("BRANDFIT_CACHE_DB", str(tmp_path / "cache.sqlite"))
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["rel"].primary_topic == "sports_outdoor"
