"""Our labelled texts as neighbours (``topic.neighbours``, model format 11): the vote, the mix, the file, the checks."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from fakes import make_model

from brandfit.config import TrainConfig
from brandfit.errors import IntegrityError
from brandfit.model import RelevanceModel
from brandfit.model_format import FORMAT_VERSION
from brandfit.neighbours import NEIGHBOUR_FLOOR, NeighbourIndex, check_settings


def _unit(rows) -> np.ndarray:
    x = np.asarray(rows, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _index_of(model: RelevanceModel, texts: list[str], labels: list[int]) -> NeighbourIndex:
    return NeighbourIndex(model.embed(texts), np.array(labels))


def _with_neighbours(share: float = 0.25, k: int = 3, temperature: float = 0.02) -> RelevanceModel:
    m = make_model()
    # our "texts": questions about a pose labelled fitness (2), a finger injury labelled sports (0); none of their words
    # is one the fake heads know, so the heads alone call such text "other"
    index = _index_of(m, ["knee pain in bridge pose", "hip pain in bridge pose", "wrist pain in plank pose",
                          "finger pulley pain on crimps"], [2, 2, 2, 0])
    config = {**m.config, "topic": {**m.config["topic"], "neighbours": share, "neighbours_k": k,
                                    "neighbours_temperature": temperature}}
    return RelevanceModel(topic_head=m.topic_head, promo_head=m.promo_head, descriptions=m.descriptions,
                          promo_threshold=m.promo_threshold, config=config, embedder=m.embedder, backend="onnx",
                          neighbours=index)


def test_the_vote_follows_the_nearest_texts_and_keeps_a_floor():
    index = NeighbourIndex(_unit([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0]]), np.array([3, 3, 1]))
    p = index.proba(_unit([[1, 0.05, 0], [0, 1, 0.1]]), k=2, temperature=0.05)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p.argmax(axis=1).tolist() == [3, 1]
    # a label no neighbour holds keeps only the floor: floor / (the votes, between 1 (the best neighbour) and k = 2,
    # plus six floors)
    rest = np.delete(p[0], 3)
    assert np.allclose(rest, rest[0]) and 1 - p[0, 3] == pytest.approx(5 * rest[0], rel=1e-9)
    assert NEIGHBOUR_FLOOR / (2 + 6 * NEIGHBOUR_FLOOR) <= rest[0] <= NEIGHBOUR_FLOOR / (1 + 6 * NEIGHBOUR_FLOOR)
    # k larger than the index, one row or many (the similarity matrix is scored in blocks): the same answer
    many = np.repeat(_unit([[1, 0.05, 0]]), 5000, axis=0)
    np.testing.assert_allclose(index.proba(many, k=50, temperature=0.05),
                               np.repeat(index.proba(many[:1], k=3, temperature=0.05), 5000, axis=0))


def test_a_colder_vote_listens_to_the_nearest_text_only():
    index = NeighbourIndex(_unit([[1, 0, 0], [0.8, 0.6, 0], [0.8, 0.6, 0]]), np.array([0, 2, 2]))
    x = _unit([[1, 0.1, 0]])
    warm, cold = (index.proba(x, k=3, temperature=t)[0] for t in (1.0, 0.01))
    assert warm.argmax() == 2 and cold.argmax() == 0  # two fairly close texts outvote one closest text when warm


@pytest.mark.parametrize("emb,labels,match", [
    (np.zeros((2, 4)), np.array([0]), "shapes"),
    (np.zeros((0, 4)), np.zeros(0, int), "no texts"),
    (np.ones((1, 4)), np.array([6]), "labels"),
    (np.ones((1, 4)), np.array([0.5]), "labels"),
    (np.full((1, 4), np.nan), np.array([0]), "finite"),
    (np.array([[1e6, 0, 0, 0]]), np.array([0]), "finite"),  # finite as float32, inf as the float16 it is kept in
    (np.array([[3.0, 0, 0, 0]]), np.array([0]), "L2-normalised"),
    (np.array([["a", "b"]]), np.array([0]), "numbers"),
])
def test_a_bad_index_is_refused(emb, labels, match):
    with pytest.raises(ValueError, match=match):
        NeighbourIndex(emb, labels)


@pytest.mark.parametrize("share,k,temperature,field", [
    (1.0, 100, 0.02, "topic.neighbours"), (-0.1, 100, 0.02, "topic.neighbours"), (True, 100, 0.02, "topic.neighbours"),
    (0.25, 0, 0.02, "topic.neighbours_k"), (0.25, 2.5, 0.02, "topic.neighbours_k"),
    (0.25, 100, 0.0, "topic.neighbours_temperature"), (0.25, 100, float("nan"), "topic.neighbours_temperature"),
])
def test_settings_out_of_range_name_the_field(share, k, temperature, field):
    with pytest.raises(ValueError, match=field):
        check_settings(share, k, temperature)
    with pytest.raises(ValueError, match=field):
        TrainConfig.from_dict({"topic": {"neighbours": share, "neighbours_k": k, "neighbours_temperature": temperature}})


def test_the_model_mixes_the_vote_in_and_round_trips_as_format_11():
    plain, knn = make_model(), _with_neighbours()
    texts = ["knee pain during bridge pose", "lipstick swatches", "🔥🔥"]
    emb = plain.embed(texts)
    a, b = plain.apply_heads(emb, [[]] * 3).topic_proba, knn.apply_heads(emb, [[]] * 3).topic_proba
    np.testing.assert_allclose(b.sum(axis=1), 1.0, atol=1e-9)
    assert a[0].argmax() == 5 and a[0, 2] < 0.1 < 0.3 < b[0, 2]  # the pose questions we labelled pull it to fitness
    assert b[1].argmax() == a[1].argmax() == 3  # a text the heads are sure of stays what it was
    files = knn.to_files()
    meta = json.loads(files["model.json"])
    assert meta["format_version"] == 11 < FORMAT_VERSION  # 12: the qualifier cue columns (test_cue_qualifiers.py)
    back = RelevanceModel.from_files(files).with_backend("onnx")
    assert len(back.neighbours) == 4 and back.neighbour_k == 3
    np.testing.assert_allclose(back.apply_heads(emb, [[]] * 3).topic_proba, b, atol=1e-6)
    assert knn.apply_heads(emb[:0], []).topic_proba.shape == (0, 6)


def _heads_without(files: dict[str, bytes], *drop: str, **replace: np.ndarray) -> bytes:
    with np.load(io.BytesIO(files["heads.npz"]), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k not in drop}
    arrays.update(replace)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_index_and_config_must_agree_on_disk():
    files = _with_neighbours().to_files()
    no_index = {**files, "heads.npz": _heads_without(files, "knn_embeddings", "knn_labels")}
    with pytest.raises(IntegrityError, match="hold no neighbour index"):
        RelevanceModel.from_files(no_index)
    half = {**files, "heads.npz": _heads_without(files, "knn_labels")}
    with pytest.raises(IntegrityError, match="incomplete"):
        RelevanceModel.from_files(half)
    bad_labels = {**files, "heads.npz": _heads_without(files, knn_labels=np.array([0, 1, 2, 9], np.int8))}
    with pytest.raises(IntegrityError, match="knn_labels"):
        RelevanceModel.from_files(bad_labels)
    with np.load(io.BytesIO(files["heads.npz"]), allow_pickle=False) as z:
        emb = z["knn_embeddings"].astype(np.float32)
    for hostile, match in ((emb * 1e6, "too large for float16"), (emb * 300, "L2-normalised")):
        # either would load and give NaN or distorted topic probabilities for every text
        with pytest.raises(IntegrityError, match=match):
            RelevanceModel.from_files({**files, "heads.npz": _heads_without(files, knn_embeddings=hostile)})
    meta = json.loads(files["model.json"])
    meta["format_version"] = 10
    with pytest.raises(IntegrityError, match="needs 11"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})
    meta = json.loads(files["model.json"])
    meta["config"]["topic"]["neighbours"] = 0.0
    with pytest.raises(IntegrityError, match="hold a neighbour index"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})
    meta["config"]["topic"]["neighbours"] = 3
    with pytest.raises(IntegrityError, match="topic.neighbours"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})


def test_a_model_before_neighbours_reads_as_before():
    plain = make_model()
    assert plain.neighbours is None and plain.neighbour_share == 0.0
    assert json.loads(plain.to_files()["model.json"])["format_version"] == 1


def test_the_cross_source_candidate_votes_with_our_fit_rows_only():
    """``loso.neighbours``: the rows of ``ours`` among the fit rows vote (never a public source's, never a decorated
    copy, never an out row); with ``ours`` held out, or for promo, the inner candidate's answer is returned as is."""
    import types

    import pandas as pd

    from brandfit.evaluation import loso

    # the public row and the decorated copy sit closest to the out row: if they voted, fashion would win
    emb = _unit([[1, 0, 0], [1, 0, 0], [0.9, 0.12, 0], [0.9, 0.12, 0], [0.9, 0.1, 0]])
    frame = pd.DataFrame({"source": ["ours", "ours", "pub", "ours", "pub"],
                          "augmented": [False, False, False, True, False],
                          "topic": ["beauty", "beauty", "fashion", "fashion", "beauty"]})
    d = types.SimpleNamespace(frame=frame, emb={"emoji": emb})
    flat = np.full((1, 6), 1 / 6)
    inner = lambda d, task, fit, w, out: np.repeat(flat, len(out), axis=0) if task == "topic" else np.full(len(out), .3)
    fp = loso.neighbours(inner, 0.5, k=10, temperature=0.05)
    fit, out = np.array([0, 1, 2, 3]), np.array([4])
    p = fp(d, "topic", fit, np.ones(4), out)
    assert p.argmax() == 3 and p[0, 3] > 0.5  # the two beauty texts of ours; the public and decorated fashion rows don't
    ours_held_out = fp(d, "topic", np.array([2]), np.ones(1), out)
    np.testing.assert_allclose(ours_held_out, flat)
    np.testing.assert_allclose(fp(d, "promo", fit, np.ones(4), out), [0.3])


def test_at_most_max_neighbours_are_stored_a_seeded_sample_in_order():
    from brandfit.neighbours import MAX_NEIGHBOURS, capped_rows

    few = np.arange(10, 20)
    assert capped_rows(few, cap=10).tolist() == few.tolist()  # no more than the cap: all of them, as they are
    many = np.arange(5, 5 + 3 * MAX_NEIGHBOURS)
    a, b = capped_rows(many, seed=13), capped_rows(many, seed=13)
    assert len(a) == MAX_NEIGHBOURS == len(set(a.tolist())) and set(a.tolist()) <= set(many.tolist())
    assert np.array_equal(a, b) and np.all(np.diff(a) > 0)  # reproducible, in order
    assert not np.array_equal(a, capped_rows(many, seed=14))
    # the largest index a cap allows fits the loader's limit on heads.npz many times over (float16, 384-d)
    from brandfit.model_format import MAX_HEADS_BYTES

    assert MAX_NEIGHBOURS * 384 * 2 < MAX_HEADS_BYTES / 4


def test_vote_false_leaves_the_neighbours_out_and_a_brands_vertical_uses_it():
    """A brand's words are not a post: the pipeline takes the brand's vertical from the heads without the vote."""
    from brandfit.pipeline import Pipeline

    plain, knn = make_model(), _with_neighbours(share=0.5)
    texts = ["knee pain during bridge pose", "lipstick swatches"]
    emb = plain.embed(texts)
    np.testing.assert_allclose(knn.apply_heads(emb, [[]] * 2, vote=False).topic_proba,
                               plain.apply_heads(emb, [[]] * 2).topic_proba)
    assert not np.allclose(knn.apply_heads(emb, [[]] * 2).topic_proba, plain.apply_heads(emb, [[]] * 2).topic_proba)
    calls = []
    original = knn.apply_heads

    def spy(*args, **kwargs):
        calls.append(kwargs.get("vote", True))
        return original(*args, **kwargs)

    knn.apply_heads = spy
    knn.config = {**knn.config, "brand": {"contrast": 0.5}}
    from brandfit.account import BrandTopic

    analysis = original(emb, [[]] * 2)
    Pipeline(knn).brand_relevance(analysis, BrandTopic(name="yoga", description="bridge pose"), texts)
    assert calls == [False]
