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


def test_torch_load_and_encode_print_no_third_party_progress_bar(embedder, capfd):
    """Loading the torch encoder shows no transformers "Loading weights" bar and encoding no sentence-transformers
    "Batches" bar, even with transformers' bars on; asked for a bar, brandfit's own shows, and the vectors are the
    same either way."""
    from transformers.utils import logging as hf_logging

    from brandfit.embedding._torch import SentenceTransformerEmbedder

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.enable_progress_bar()
    try:
        capfd.readouterr()
        fresh = SentenceTransformerEmbedder()  # a load of its own: get_embedder keeps the session's
        texts = [f"trail run number {i} " + "long " * (i % 20) for i in range(70)]
        quiet = fresh.encode(texts)
        assert capfd.readouterr().err == ""
        assert hf_logging.is_progress_bar_enabled()  # put back after loading
        shown = fresh.encode(texts, show_progress_bar=True)
        err = capfd.readouterr().err
    finally:
        if not was_on:
            hf_logging.disable_progress_bar()
    assert "Embedding (torch)" in err and "70/70" in err and "Batches" not in err
    np.testing.assert_array_equal(shown, quiet)
    np.testing.assert_array_equal(quiet, embedder.encode(texts))
