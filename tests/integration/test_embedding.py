import numpy as np
import pytest

from brandfit.embedding import DIM, Embedder, default_embedder, get_embedder


def test_default_embedder_is_cached_and_conforms(embedder):
    assert get_embedder("torch") is embedder and default_embedder() is get_embedder()
    assert isinstance(embedder, Embedder)
    assert embedder.dim == DIM == 384
    assert "MiniLM" in embedder.name


def test_vectors_are_normalised_float32(embedder):
    v = embedder.encode(["trail running shoes", "matte lipstick review", ""])
    assert v.shape == (3, 384)
    assert v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v[:2], axis=1), 1.0, atol=1e-5)


def test_semantic_similarity(embedder):
    a, b, c = embedder.encode(["trail running shoes", "running sneakers for trails", "matte lipstick review"])
    assert float(a @ b) > 0.6
    assert float(a @ c) < 0.25


def test_empty_batch(embedder):
    assert embedder.encode([]).shape == (0, 384)


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown embedding backend"):
        get_embedder("tensorflow")
