"""The embedding cache with the real model: ``brandfit tag`` twice gives the same output, the second run from
the cache; the Ray engine reads the cache the local engine filled; the Python API's ``cache=`` argument."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

import brandfit
from brandfit.embedding.cache import EmbeddingCache


@pytest.fixture(scope="module")
def tag_model(onnx_cache):
    """The production model on the backend batch tagging uses by default (onnx)."""
    from brandfit.settings import DEFAULT_BACKEND

    return brandfit.load_model("production", backend=DEFAULT_BACKEND)


def _rows(path):
    t = pq.read_table(path)
    return t.drop([c for c in ("run_id",) if c in t.column_names]).to_pylist()


def test_retag_reads_the_cache_and_gives_the_same_output(tmp_path, repo, tag_model):
    from brandfit.tagging import tag_files

    db = tmp_path / "emb.sqlite"
    first = tag_files(repo / "data/sample", tmp_path / "a.parquet", "fitness", model=tag_model, cache=db, top=0)
    second = tag_files(repo / "data/sample", tmp_path / "b.parquet", "fitness", model=tag_model, cache=db, top=0)
    off = tag_files(repo / "data/sample", tmp_path / "c.parquet", "fitness", model=tag_model, cache=False, top=0)
    assert first.cache_hits == 0 and first.cache_misses > 0
    assert second.cache_misses == 0 and second.cache_hit_rate == 1.0
    assert off.cache_path is None
    assert _rows(tmp_path / "a.parquet") == _rows(tmp_path / "b.parquet") == _rows(tmp_path / "c.parquet")
    stats = EmbeddingCache(db).stats()
    assert any("backend=onnx" in e["identity"] and "int8-rowdyn" in e["identity"] for e in stats.encoders)
    assert any(e["identity"].startswith("brandfit-cues|") for e in stats.encoders)


def test_api_cache_argument(tmp_path, tag_model):
    import brandfit

    acc = {"bio": "trail runner", "posts": ["hill repeats in the fog", "new shoes! use code RUN20 #ad"]}
    plain = brandfit.predict_relevance(acc, "sports_outdoor", model=tag_model, cache=False)
    db = tmp_path / "api.sqlite"
    for _ in range(2):
        r = brandfit.predict_relevance(acc, "sports_outdoor", model=tag_model, cache=db)
        assert r.to_dict() == plain.to_dict()
    c = EmbeddingCache(db)
    assert c.stats().entries > 0
    # the cue masks live under an identity of their own (dim 1), written first or second depending on the thread
    vectors = [e["identity"] for e in c.stats().encoders if not e["identity"].startswith("brandfit-cues")]
    _, found = c.get(vectors[0], 384, ["trail runner"])
    assert found.all()


@pytest.mark.ray
@pytest.mark.slow
def test_ray_actors_read_the_cache_the_local_engine_filled(tmp_path, repo, tag_model):
    pytest.importorskip("ray.data", reason="needs the optional extra: pip install 'brandfit[ray]'")
    from brandfit.tagging import tag_files

    db = tmp_path / "emb.sqlite"
    tag_files(repo / "data/sample", tmp_path / "local.parquet", "beauty", model=tag_model, cache=db, top=0,
              chunk_size=8)
    before = EmbeddingCache(db).stats().entries
    tag_files(repo / "data/sample", tmp_path / "ray.parquet", "beauty", model=tag_model, cache=db, top=0,
              chunk_size=8, engine="ray", ray_concurrency=2)
    assert EmbeddingCache(db).stats().entries == before  # every text was found: nothing new stored
    assert _rows(tmp_path / "local.parquet") == _rows(tmp_path / "ray.parquet")
