"""The runnable examples in the public modules' docstrings stay true."""

import doctest
import importlib

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
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, production_model):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0
