"""``brandfit data audit``: flipped labels in a small labeled set are ranked on top (fake embedder, no model)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from fakes import KEYWORDS, FakeEmbedder

from brandfit.data.audit import audit_labels, confident_learning_issues, cross_val_proba
from brandfit.topics import TOPICS

FILLER = ("today", "really", "love", "new", "week", "with", "my", "the", "best", "morning", "friends", "again")


def small_set(n_per_topic: int = 40, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for t, topic in enumerate(TOPICS):
        words = KEYWORDS.get(t, ("weather", "garden", "recipe", "dinner", "cat"))
        for i in range(n_per_topic):
            promo = i % 4 == 0
            text = " ".join([*rng.choice(words, 2), *rng.choice(FILLER, 4)])
            if promo:
                text += " use code SAVE20 link in bio sponsored"
            rows.append({"id": f"{topic[:3]}-{i:03d}", "kind": "post", "text": text, "topic": topic, "promo": promo,
                         "disclosed": promo, "account_id": None})
    return pd.DataFrame(rows)


def test_confident_learning_rule_on_known_probabilities():
    labels = np.array([0, 0, 0, 1, 1, 1])
    proba = np.array([[.9, .1], [.8, .2], [.1, .9], [.2, .8], [.1, .9], [.7, .3]])
    flagged, suggested = confident_learning_issues(labels, proba)
    assert flagged.tolist() == [False, False, True, False, False, True]
    assert suggested[[2, 5]].tolist() == [1, 0]


def test_cross_validated_probabilities_are_out_of_fold():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8))
    y = (x[:, 0] > 0).astype(int)
    proba = cross_val_proba(x, y, 2, folds=5)
    assert proba.shape == (60, 2) and np.allclose(proba.sum(axis=1), 1)
    assert ((proba[:, 1] > 0.5) == y).mean() > 0.85


def test_flipped_labels_are_ranked_on_top():
    frame = small_set()
    rng = np.random.default_rng(7)
    flip = rng.choice(len(frame), 12, replace=False)
    for i in flip[:8]:  # topic flips
        frame.loc[i, "topic"] = TOPICS[(TOPICS.index(frame.loc[i, "topic"]) + 1 + rng.integers(5)) % 6]
    for i in flip[8:]:  # promo flips
        frame.loc[i, "promo"] = not frame.loc[i, "promo"]
    frame.loc[len(frame)] = {**frame.loc[0].to_dict(), "id": "dup-0", "text": frame.loc[0, "text"] + " !",
                             "topic": "other"}
    result = audit_labels(frame, FakeEmbedder(), top=20, method="builtin")
    assert result.method == "builtin"
    flipped_ids = set(frame.loc[flip, "id"])
    found = {r["id"] for r in result.issues} & flipped_ids
    assert len(found) >= 10, (len(found), result.issues[:5])
    top_topic = next(r for r in result.issues if r["field"] == "topic" and r["id"] in flipped_ids)
    i = frame.index[frame["id"] == top_topic["id"]][0]
    assert top_topic["given"] == frame.loc[i, "topic"] and top_topic["suggested"] != top_topic["given"]
    assert [r["rank"] for r in result.issues] == list(range(1, len(result.issues) + 1))
    dup = result.duplicates[0]
    assert {dup["id_a"], dup["id_b"]} == {frame.loc[0, "id"], "dup-0"} and dup["same_labels"] is False
    assert len(result.outliers) == 20
    assert json.dumps(result.records())  # JSONL-ready
