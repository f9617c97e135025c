"""The lexical head: hashed n-gram features, logits, storage in a model's files and their checks (no scikit-learn
here: see tests/integration/test_lexical_fit.py)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandfit.errors import IntegrityError
from brandfit.lexical import LexicalHead, _grams, document_frequency, featurize, idf_from, to_csr
from brandfit.model import RelevanceModel

TEXTS = ["new lens day 📷 #photography", "leg day, squats 5x5", "GRWM: glass skin routine ✨", "a", "",
         "brought to you by our sponsor, use code RUN20", "ça va? très bien 🇫🇷", "🔥🔥🔥"]


def test_rows_are_unit_length_and_empty_texts_are_empty_rows():
    df, n = document_frequency(TEXTS, 1024)
    x = to_csr(TEXTS, n_buckets=1024, idf=idf_from(df, n)).toarray()
    norms = np.linalg.norm(x, axis=1)
    assert norms[TEXTS.index("")] == 0.0
    assert np.allclose(norms[[i for i, t in enumerate(TEXTS) if t]], 1.0)
    # words and characters land in separate halves
    rows, cols, _ = featurize(["squats"], n_buckets=1024)
    assert (cols < 1024).sum() == 1 and (cols >= 1024).sum() == len(_grams("squats")[1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=8))
def test_logits_equal_the_sparse_matrix_product(texts):
    nb = 1024
    head = _random_head(nb)
    idf = head.idf
    topic, promo = head.logits(texts)
    x = to_csr(texts, n_buckets=nb, idf=idf)
    assert np.allclose(topic, x @ head.topic_coef.T.astype(np.float64) + head.topic_intercept, atol=1e-5)
    assert np.allclose(promo, x @ head.promo_coef.astype(np.float64) + 0.3, atol=1e-5)
    assert np.isfinite(topic).all() and np.isfinite(promo).all()


def _random_head(nb: int = 1024, seed: int = 0) -> LexicalHead:
    rng = np.random.default_rng(seed)
    return LexicalHead(idf=rng.uniform(1, 5, 2 * nb).astype(np.float32),
                       topic_coef=rng.normal(size=(6, 2 * nb)).astype(np.float32),
                       topic_intercept=rng.normal(size=6).astype(np.float32),
                       promo_coef=rng.normal(size=2 * nb).astype(np.float32), promo_intercept=0.3)


def _with_lexical(weight: float = 0.5) -> RelevanceModel:
    from tests.fakes import make_model

    base = make_model()
    config = {**base.config, "lexical": {"topic_weight": weight, "promo_weight": 0.3}}
    return RelevanceModel(topic_head=base.topic_head, promo_head=base.promo_head, descriptions=base.descriptions,
                          promo_threshold=0.5, config=config, embedder=base.embedder, lexical=_random_head())


def test_model_with_a_lexical_head_round_trips_through_its_files():
    m = _with_lexical()
    files = m.to_files()
    back = RelevanceModel.from_files(files)
    assert back.lexical is not None and back.lexical_weight == 0.5
    for name in ("idf", "topic_coef", "topic_intercept", "promo_coef"):
        assert np.array_equal(getattr(back.lexical, name), getattr(m.lexical, name))
    texts = ["gym squat day", "lipstick swatches #ad"]
    emb = m.embed(texts)
    a, b = m.apply_heads(emb, [[], []], texts), back.with_backend("onnx").apply_heads(emb, [[], []], texts)
    assert np.allclose(a.topic_proba, b.topic_proba) and np.allclose(a.promo_proba, b.promo_proba)
    plain = m.topic_head.proba(emb)  # the lexical half moves the probabilities
    assert not np.allclose(plain, a.topic_proba)
    with pytest.raises(ValueError, match="needs the texts"):
        m.apply_heads(emb, [[], []])


def _npz(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def test_files_with_a_broken_lexical_head_are_refused():
    from brandfit.model_format import parse_heads

    files = _with_lexical().to_files()
    with np.load(io.BytesIO(files["heads.npz"])) as z:
        arrays = {k: z[k] for k in z.files}
    incomplete = {k: v for k, v in arrays.items() if k != "lex_promo_coef"}
    with pytest.raises(IntegrityError, match="lexical head incomplete: missing array.s. lex_promo_coef"):
        parse_heads(_npz(incomplete), where="heads.npz")
    wrong = {**arrays, "lex_topic_coef": arrays["lex_topic_coef"][:, :10]}
    with pytest.raises(IntegrityError, match="lex_topic_coef: expected"):
        parse_heads(_npz(wrong), where="heads.npz")
    nan = {**arrays, "lex_idf": np.full_like(arrays["lex_idf"], np.nan)}
    with pytest.raises(IntegrityError, match="lex_idf: expected finite floats"):
        parse_heads(_npz(nan), where="heads.npz")
    # the config promises a lexical head the file does not hold
    plain = {k: v for k, v in arrays.items() if not k.startswith("lex_")}
    with pytest.raises(IntegrityError, match="holds no lexical arrays"):
        RelevanceModel.from_files({"model.json": files["model.json"], "heads.npz": _npz(plain)})


def test_a_heads_file_that_unpacks_to_gigabytes_is_refused_before_unpacking():
    from brandfit.model_format import MAX_HEADS_BYTES, parse_heads

    bomb = _npz({"topic_coef": np.zeros(MAX_HEADS_BYTES // 8 + 1)})  # compresses to ~64 KB
    assert len(bomb) < 1 << 20
    with pytest.raises(IntegrityError, match="unpacks to"):
        parse_heads(bomb, where="heads.npz")


def test_repeated_texts_get_the_same_outputs_as_when_alone():
    m = _with_lexical()
    texts = ["gym squat day", "#reels #fyp", "gym squat day", "lipstick swatches #ad", "#reels #fyp"]
    emb = m.embed(texts)
    both = m.apply_heads(emb, [[] for _ in texts], texts)
    alone = [m.apply_heads(emb[[i]], [[]], [t]) for i, t in enumerate(texts)]
    assert np.allclose(both.topic_proba, np.vstack([a.topic_proba for a in alone]))
    assert np.allclose(both.promo_proba, np.concatenate([a.promo_proba for a in alone]))
