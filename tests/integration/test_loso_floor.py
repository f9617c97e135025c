"""Leave-one-source-out with a disclosure floor (``Candidate.disclosure_floor``): in this tier because the metrics
(scikit-learn's average precision) need the array libraries the unit tier hides."""

from __future__ import annotations

import numpy as np
import pytest


def test_run_loso_chooses_the_threshold_on_the_heads_scores_and_floors_only_the_held_out_rows():
    """The floor is a rule on top of the scores: the threshold chosen on the other sources' validation rows is
    the same with or without it, and only held-out rows with a paid disclosure move (to the floor)."""
    import dataclasses

    import pandas as pd

    from brandfit.evaluation.loso import Candidate, LosoData, run_loso

    rng = np.random.default_rng(0)
    n = 240
    src = np.repeat(["a", "b", "c"], n // 3)
    y = rng.random(n) < 0.4
    p = np.clip(np.where(y, 0.65, 0.3) + rng.normal(0, 0.15, n), 0.01, 0.99)
    paid = y & (np.arange(n) % 5 == 0)
    assert all(paid[src == s].any() for s in 'abc')
    p[paid] = 0.2  # the heads miss these disclosed ads: long captions
    frame = pd.DataFrame({"text": [f"t{i}" for i in range(n)], "source": src, "topic": None, "promo": y,
                          "group": [f"g{i}" for i in range(n)], "augmented": False})
    d = LosoData(frame=frame, emb={}, norm={}, desc_emb=np.zeros((0, 384), np.float32), desc_topic=np.zeros(0, int),
                 cues=np.zeros((n, 1), np.float32), val=np.arange(n) % 4 == 0, paid=paid)
    plain = Candidate("c", lambda d, task, fit, w, out: p[out])
    floored_c = dataclasses.replace(plain, disclosure_floor=0.9)
    a, b = (run_loso(d, [c], tasks=("promo",)).set_index("source") for c in (plain, floored_c))
    np.testing.assert_allclose(b["threshold"], a["threshold"])  # chosen before the floor, on the same scores
    assert (b["ap"] > a["ap"]).all() and (b["f1"] >= a["f1"]).all()  # the missed ads now rank first and count
    with pytest.raises(ValueError, match="paid-disclosure flags"):
        run_loso(dataclasses.replace(d, paid=None), [floored_c], tasks=("promo",))
