"""Shared fixtures: the real embedding model and the shipped production model, loaded once per session."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def embedder():
    from brandfit.embedding import default_embedder

    return default_embedder()


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
