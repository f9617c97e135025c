"""The unit tier: a fake embedder and a small hand-made model, so scoring, heads, features, account parsing,
registry and tagging I/O are tested in seconds with no model loaded. When this tier runs on its own
(``make test-fast``), torch is made unimportable: a unit test that needs it is in the wrong tier."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fakes import DIM, KEYWORDS, REPO, FakeEmbedder, make_model  # noqa: F401 - re-exported for fixtures


def pytest_configure(config):
    here = Path(__file__).resolve().parent
    paths = [Path(str(a).split("::")[0]).resolve() for a in config.args]
    if paths and all(p == here or here in p.parents for p in paths) and "torch" not in sys.modules:
        sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` now raises ImportError


@pytest.fixture()
def fake_model():
    return make_model()


@pytest.fixture()
def pipeline(fake_model):
    from brandfit.pipeline import Pipeline

    return Pipeline(fake_model)
