"""The zero-shot share of the topic mix (``config.topic.zero_shot_share``): geometric, round-trips, format 3."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fakes import make_model

from brandfit.features import geometric_mix, zero_shot_proba
from brandfit.model import RelevanceModel
from brandfit.model_format import FORMAT_VERSION


def _with_share(share: float, temperature: float = 1.0) -> RelevanceModel:
    m = make_model()
    m.config = {**m.config, "topic": {**m.config["topic"], "zero_shot_share": share}}
    m.mix_temperature = temperature
    return m


def test_geometric_mix_needs_agreement_and_keeps_rows_normalised():
    p = np.array([[0.7, 0.3], [0.5, 0.5]])
    q = np.array([[0.7, 0.3], [0.99, 0.01]])
    out = geometric_mix(p, q, 0.5)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    np.testing.assert_allclose(out[0], p[0])  # they agree: unchanged
    assert out[1, 0] > 0.5  # the zero-shot view tips a tie
    np.testing.assert_allclose(geometric_mix(p, q, 0.0), p)  # no share: untouched
    assert np.isfinite(geometric_mix(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), 0.3)).all()  # no log(0)


def test_zero_shot_proba_is_a_softmax_of_the_description_cosines():
    m = make_model()
    emb = m.embed(["gym squat day", "lipstick swatches"])
    z = zero_shot_proba(emb, m.descriptions)
    np.testing.assert_allclose(z.sum(axis=1), 1.0)
    assert np.array_equal(z.argmax(axis=1), m.descriptions.similarities(emb).argmax(axis=1))


def test_a_model_with_a_share_mixes_round_trips_and_is_written_as_format_3():
    texts = ["gym squat day", "lipstick swatches #ad", "🔥🔥"]
    plain, shared = make_model(), _with_share(0.15, temperature=0.8)
    emb = plain.embed(texts)
    a, b = plain.apply_heads(emb, [[]] * 3), shared.apply_heads(emb, [[]] * 3)
    assert not np.allclose(a.topic_proba, b.topic_proba)
    np.testing.assert_allclose(b.topic_proba.sum(axis=1), 1.0, atol=1e-9)
    files = shared.to_files()
    assert json.loads(files["model.json"])["format_version"] == 3 <= FORMAT_VERSION
    back = RelevanceModel.from_files(files).with_backend("onnx")
    assert back.zero_shot_share == pytest.approx(0.15) and back.mix_temperature == pytest.approx(0.8)
    np.testing.assert_allclose(back.apply_heads(emb, [[]] * 3).topic_proba, b.topic_proba)
    # a model without a share keeps the lowest format that holds it, so older brandfit versions still load it
    assert json.loads(plain.to_files()["model.json"])["format_version"] == 1
    assert plain.zero_shot_share == 0.0


def test_an_empty_batch_is_fine():
    m = _with_share(0.15)
    out = m.apply_heads(np.zeros((0, m.embedder.dim), np.float32), [])
    assert out.topic_proba.shape == (0, 6)
