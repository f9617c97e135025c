"""The integration tier: the real embedding model and the shipped production model, loaded once per session.

Every test here is marked ``slow`` (``make test-fast`` runs tests/unit only).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def embedder():
    from brandfit.embedding import get_embedder

    return get_embedder("torch")  # training fits heads on torch vectors and validates them on onnx


@pytest.fixture(scope="session")
def onnx_cache() -> Path:
    """The session's onnx cache folder, holding the exported int8 model (exported here on first use)."""
    from brandfit.embedding.onnx_export import default_cache_dir, ensure_model
    from offline import no_internet

    with no_internet():  # the export reads only the packaged weights
        status = ensure_model()
    assert status.path.is_file() and status.path.parent == default_cache_dir()
    return status.path.parent


@pytest.fixture(scope="session")
def production_model():
    import brandfit

    return brandfit.load_model("production", registry=REPO / "models")


@pytest.fixture()
def model(production_model):
    """A per-test copy of the production model that shares the (read-only) embedder."""
    m = copy.copy(production_model)
    m.config = copy.deepcopy(production_model.config)
    return m


