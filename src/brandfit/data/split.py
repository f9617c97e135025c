"""Deterministic, stratified train/validation/test split, grouped by account.

Texts of one account never span two splits. Each group (an account, or a single text without an
account) is placed by its stratum (account core topic, or the text's topic and promo flag) and a
seeded hash of its id, so the split is reproducible, stable when rows are appended, and close to
the requested fractions inside every stratum.

>>> import pandas as pd
>>> from brandfit.data.split import assign_splits
>>> df = pd.DataFrame({"id": [f"t{i}" for i in range(20)], "topic": ["fashion"] * 20,
...                    "promo": [False] * 20, "account_id": [None] * 20})
>>> assign_splits(df).value_counts().to_dict()
{'train': 14, 'validation': 3, 'test': 3}
"""

from __future__ import annotations

import hashlib
from typing import Mapping

import pandas as pd

from brandfit.errors import InputError

__all__ = ["SPLITS", "assign_splits"]

SPLITS = ("train", "validation", "test")


def _rank_key(seed: int, group: str) -> str:
    return hashlib.sha256(f"{seed}:{group}".encode()).hexdigest()


def assign_splits(
    frame: pd.DataFrame,
    *,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    seed: int = 13,
    account_topics: Mapping[str, str] | None = None,
) -> pd.Series:
    """Return a Series (aligned with ``frame``) of ``train`` / ``validation`` / ``test``.

    ``account_topics`` maps account ids to their core topic (from the accounts file); an account not
    in it is stratified by its most common text topic.
    """
    if abs(sum(fractions) - 1.0) > 1e-9 or any(f < 0 for f in fractions):
        raise InputError(f"fractions: must be three non-negative numbers summing to 1, got {fractions}")
    account_topics = dict(account_topics or {})
    acc = frame["account_id"].where(frame["account_id"].notna(), None)
    group = [a if isinstance(a, str) else f"text:{i}" for a, i in zip(acc, frame["id"])]
    g = pd.DataFrame({"group": group, "topic": frame["topic"].values, "promo": frame["promo"].values}, index=frame.index)
    strata: dict[str, str] = {}
    for name, part in g.groupby("group", sort=True):
        if name.startswith("text:"):
            strata[name] = f"{part['topic'].iat[0]}|{bool(part['promo'].iat[0])}"
        else:
            topic = account_topics.get(name) or part["topic"].mode().sort_values().iat[0]
            strata[name] = f"account|{topic}"
    sizes = g.groupby("group").size().to_dict()
    assignment: dict[str, str] = {}
    by_stratum: dict[str, list[str]] = {}
    for name, stratum in strata.items():
        by_stratum.setdefault(stratum, []).append(name)
    for stratum in sorted(by_stratum):
        groups = sorted(by_stratum[stratum], key=lambda n: _rank_key(seed, n))
        total = sum(sizes[n] for n in groups)
        cut_train = fractions[0] * total
        cut_val = (fractions[0] + fractions[1]) * total
        done = 0
        for n in groups:
            mid = done + sizes[n] / 2  # place a group by where its middle falls
            assignment[n] = "train" if mid < cut_train else "validation" if mid < cut_val else "test"
            done += sizes[n]
    return pd.Series([assignment[n] for n in group], index=frame.index, name="split")
