"""Shared by both tiers: the onnx cache folder and embedding cache of the session, and the Ray loopback check.

The real model's fixtures live in tests/integration/conftest.py; tests/unit never loads it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_OWN_CACHE: list[str] = []

# Property tests draw the same examples on every run (and keep no example database between runs), so a test run, and
# CI on a clean clone, cannot turn red on a random draw; BRANDFIT_HYPOTHESIS_RANDOM=1 explores new examples instead.
# A test's own @settings still sets its example count and deadline.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("brandfit", derandomize=True, database=None)
_hypothesis_settings.register_profile("explore")
_hypothesis_settings.load_profile("explore" if os.environ.get("BRANDFIT_HYPOTHESIS_RANDOM") else "brandfit")


def pytest_configure(config):
    """The onnx model cache for this session: ``$BRANDFIT_CACHE_DIR`` if set, else a fresh temporary folder
    (removed at the end), so a test run neither reads nor writes the user's cache. The first test needing the
    onnx backend exports the model there once (~30-60 s); everything after reuses it."""
    if not os.environ.get("BRANDFIT_CACHE_DIR"):
        _OWN_CACHE.append(tempfile.mkdtemp(prefix="brandfit-test-onnx-"))
        os.environ["BRANDFIT_CACHE_DIR"] = _OWN_CACHE[0]
    if not os.environ.get("BRANDFIT_CACHE_DB"):  # the embedding cache brandfit tag uses by default: the session's own
        _OWN_CACHE.append(tempfile.mkdtemp(prefix="brandfit-test-embcache-"))
        os.environ["BRANDFIT_CACHE_DB"] = str(Path(_OWN_CACHE[-1]) / "embeddings.sqlite")


def pytest_unconfigure(config):
    for path in _OWN_CACHE:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def _loopback_works() -> bool:
    import socket

    try:
        with socket.socket() as srv:
            srv.bind(("127.0.0.1", 0))
            srv.listen(1)
            with socket.create_connection(srv.getsockname(), timeout=2):
                return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    """A local Ray cluster and a real ``brandfit serve`` process talk over 127.0.0.1: in a network namespace whose
    loopback is down (plain ``unshare -n``), skip those tests with the reason instead of hanging or failing."""
    needs = [item for item in items if "ray" in item.keywords or "loopback" in item.keywords]
    if not needs or _loopback_works():
        return
    skip = pytest.mark.skip(reason="loopback 127.0.0.1 is down (e.g. unshare -n without `ip link set lo up`): "
                                   "a local Ray cluster or server process cannot be reached")
    for item in needs:
        item.add_marker(skip)
