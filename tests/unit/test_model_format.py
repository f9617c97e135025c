"""A model's two files: round trip, and every way a tampered or broken file is refused at load time."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from brandfit.errors import FormatVersionError, IntegrityError
from brandfit.model import HEADS_FILE, MODEL_FILE, RelevanceModel
from fakes import FakeEmbedder, make_model


def _files():
    return make_model().to_files()


def _with_array(files, name, value):
    with np.load(io.BytesIO(files[HEADS_FILE])) as z:
        arrays = {k: z[k] for k in z.files}
    arrays[name] = value
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return {**files, HEADS_FILE: buf.getvalue()}


def test_round_trip_predicts_the_same(tmp_path):
    m = make_model()
    m.save(tmp_path)
    back = RelevanceModel.from_folder(tmp_path, backend="onnx")
    back._embedder = m.embedder
    texts = ["squat at the gym", "use code GLOW20 for 20% off"]
    a, b = m.analyze(texts), back.analyze(texts)
    assert np.array_equal(a.topic_proba, b.topic_proba) and np.array_equal(a.promo_proba, b.promo_proba)
    assert RelevanceModel.from_files(m.to_files()).to_files() == m.to_files()


@pytest.mark.parametrize("name, value, message", [
    ("topic_coef", np.full((6, 384), np.nan), "NaN"),
    ("topic_coef", np.zeros((5, 384)), "topic_coef: expected shape"),
    ("promo_intercept", np.zeros(3), "promo_intercept"),
    ("desc_topic_index", np.array([0, 1, 2, 3, 4, 9]), "desc_topic_index"),
    ("desc_embeddings", np.array(["a"] * 6), "dtype"),
])
def test_bad_arrays_are_refused_at_load(name, value, message):
    with pytest.raises(IntegrityError, match=message):
        RelevanceModel.from_files(_with_array(_files(), name, value))


def test_pickled_arrays_are_never_loaded():
    files = _with_array(_files(), "topic_coef", np.array([object()], dtype=object))
    with pytest.raises(IntegrityError, match="plain arrays"):
        RelevanceModel.from_files(files)


@pytest.mark.parametrize("blob, message", [
    (b"[" * 100_000, "not valid JSON"),
    (b"[1, 2]", "expected a JSON object"),
    (b"\xff\xfe", "not valid JSON"),
    (b'{"format_version": 1, "topics": []}', "topics"),
])
def test_bad_metadata_is_an_integrity_error(blob, message):
    with pytest.raises(IntegrityError, match=message):
        RelevanceModel.from_files({**_files(), MODEL_FILE: blob})


def test_newer_format_is_refused_with_upgrade_advice():
    meta = json.loads(_files()[MODEL_FILE])
    meta["format_version"] = 99
    with pytest.raises(FormatVersionError, match="upgrade brandfit"):
        RelevanceModel.from_files({**_files(), MODEL_FILE: json.dumps(meta).encode()})


def test_threshold_out_of_range_is_refused():
    meta = json.loads(_files()[MODEL_FILE])
    meta["promo_threshold"] = 1.5
    with pytest.raises(IntegrityError, match="promo_threshold"):
        RelevanceModel.from_files({**_files(), MODEL_FILE: json.dumps(meta).encode()})


def test_model_travels_as_bytes_without_a_registry():
    m = make_model()
    clone = RelevanceModel.from_files(m.to_files(), version="relevance@9", backend="onnx")
    clone._embedder = FakeEmbedder()
    assert clone.version == "relevance@9" and clone.promo_threshold == m.promo_threshold
