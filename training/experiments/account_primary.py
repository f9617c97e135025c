"""Which rule turns per-text topic probabilities into an account's primary topic? Judged out of source.

    PYTHONPATH=src python training/experiments/account_primary.py [--seeds 5]

Every text gets topic probabilities from the production recipe trained on all *other* sources (leave-one-source-
out, brandfit.evaluation.loso), so no prediction comes from a model that saw its source. Then accounts are scored
under each candidate rule:

- ``ours``: the hand-written accounts of data/labeled/accounts (bio + posts, account-level topic);
- ``pseudo``: accounts assembled from one public source's texts of one topic (5-10 of them) plus 30-60% texts
  labelled ``other`` from any source (the selfies, food and "thank you 2k" posts of a real feed), label = the topic;
  and pure-``other`` accounts (10 ``other`` texts), label ``other``.

A primary topic is *wrong* when it is given and differs from the label; ``None`` (no clear core topic) is not wrong
but not right either. Public corpora are read in place (../shared/datasets); without them the script says so and
stops.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from brandfit.config import TrainConfig
from brandfit.evaluation import loso
from brandfit.evaluation.public import available
from brandfit.topics import TOPICS

OTHER = TOPICS.index("other")
VERTICALS = [i for i in range(len(TOPICS)) if i != OTHER]


def loso_topic_proba(d: loso.LosoData) -> np.ndarray:
    """Out-of-source topic probabilities for every row with a topic label (NaN elsewhere)."""
    f = d.frame
    src = f["source"].to_numpy()
    aug = f["augmented"].to_numpy(dtype=bool)
    has = f["topic"].notna().to_numpy() & ~aug
    cand = loso.production_candidate(TrainConfig())
    out = np.full((len(f), len(TOPICS)), np.nan)
    for s in dict.fromkeys(src[has]):
        train = np.flatnonzero(has & (src != s))
        test = np.flatnonzero(has & (src == s))
        w = cand.weights(d, "topic", train)
        out[test] = cand.fit_predict(d, "topic", train, w, test)
        logging.info("fold %s: %d texts", s, len(test))
    return out


# ------------------------------------------------------------------------------------------------ rules
# A rule maps (texts' probabilities (n, 6), word counts (n,), has_bio) -> primary topic index or None.

def _mix(p: np.ndarray, has_bio: bool) -> np.ndarray:
    if has_bio and len(p) > 1:
        return 0.3 * p[0] + 0.7 * p[1:].mean(axis=0)
    return p.mean(axis=0)


def _confidence(p: np.ndarray, words: np.ndarray) -> float:
    clear = p.max(axis=1) >= 0.5
    w = np.minimum(1.0, words / 3)
    return min(1.0, float((w * clear).sum()) / max(len(p), 3))


def current(p, words, has_bio):
    return int(np.argmax(_mix(p, has_bio))) if _confidence(p, words) >= 0.3 else None


def vertical_share(tau: float) -> Callable:
    """The best vertical when it holds at least ``tau`` of the account's mixed probability, else the argmax
    (which may be ``other``); None under the current confidence floor."""
    def rule(p, words, has_bio):
        if _confidence(p, words) < 0.3:
            return None
        m = _mix(p, has_bio)
        v = VERTICALS[int(np.argmax(m[VERTICALS]))]
        return v if m[v] >= tau else int(np.argmax(m))
    return rule


def vertical_vote(min_share: float, min_votes: int = 2) -> Callable:
    """Votes of texts that are clearly about one topic (top prob >= 0.5, weighted by words): the best vertical wins
    when it has ``min_votes`` and ``min_share`` of the clear votes; else ``other`` if other has most; else None."""
    def rule(p, words, has_bio):
        top = p.argmax(axis=1)
        clear = p.max(axis=1) >= 0.5
        w = np.minimum(1.0, words / 3) * clear
        if has_bio and len(p) > 1:
            w = w.copy()
            w[0] *= 2  # a clear bio counts twice
        votes = np.array([w[top == t].sum() for t in range(len(TOPICS))])
        if votes.sum() < 1e-9:
            return None
        v = VERTICALS[int(np.argmax(votes[VERTICALS]))]
        if votes[v] >= min_votes and votes[v] >= min_share * votes.sum():
            return v
        if _confidence(p, words) < 0.3:
            return None
        return OTHER if votes[OTHER] >= votes.max() else None
    return rule


def share_band(lo: float, hi: float, dominance: float = 1.0) -> Callable:
    """The best vertical when it holds at least ``hi`` of the mix (and ``dominance`` x the runner-up vertical);
    ``other`` when it holds less than ``lo`` and ``other`` leads; in between no primary topic (None)."""
    def rule(p, words, has_bio):
        if _confidence(p, words) < 0.3:
            return None
        m = _mix(p, has_bio)
        order = sorted(VERTICALS, key=lambda i: -m[i])
        v, second = order[0], order[1]
        if m[v] >= hi and m[v] >= dominance * m[second]:
            return v
        if m[v] < lo and int(np.argmax(m)) == OTHER:
            return OTHER
        return None
    return rule


def shipped(p, words, has_bio):
    """What brandfit ships: :func:`brandfit.scoring.core_topic` under the confidence floor."""
    from brandfit.scoring import core_topic

    return None if _confidence(p, words) < 0.3 else (lambda t: None if t is None else TOPICS.index(t))(
        core_topic(_mix(p, has_bio)))


RULES: dict[str, Callable] = {
    "shipped: scoring.core_topic": shipped,
    "argmax of the mix (before)": current,
    **{f"vertical_share {t}": vertical_share(t) for t in (0.15, 0.2, 0.25, 0.3)},
    **{f"vertical_vote {s}": vertical_vote(s) for s in (0.2, 0.25, 0.3, 0.4)},
    **{f"band {lo}-{hi} dom{k}": share_band(lo, hi, k) for lo, hi, k in (
        (0.2, 0.25, 1), (0.2, 0.3, 1), (0.15, 0.25, 1), (0.2, 0.25, 2), (0.25, 0.25, 2), (0.2, 0.2, 2),
        (0.15, 0.2, 2), (0.2, 0.3, 2), (0.25, 0.25, 1.5))},
}


# --------------------------------------------------------------------------------------------- accounts

def our_accounts(d: loso.LosoData, proba: np.ndarray, repo: Path) -> list[dict]:
    from brandfit.data import load_accounts, load_labeled

    labeled = load_labeled(repo / "data/labeled/texts").frame.set_index("id")
    ours = d.frame[(d.frame["source"] == loso.OURS) & ~d.frame["augmented"]]
    row_of = dict(zip(ours["text"], ours.index))
    accs = []
    for a in load_accounts(repo / "data/labeled/accounts").itertuples():
        bio = labeled[(labeled["account_id"] == a.account_id) & (labeled["kind"] == "bio")]["text"].tolist()
        posts = [labeled.loc[p["id"], "text"] for p in a.posts]
        texts = bio[:1] + posts
        accs.append({"kind": "ours", "label": TOPICS.index(a.topic), "has_bio": bool(bio),
                     "rows": [row_of[t] for t in texts], "texts": texts})
    return accs


def pseudo_accounts(d: loso.LosoData, proba: np.ndarray, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    f = d.frame
    ok = f["topic"].notna().to_numpy() & ~f["augmented"].to_numpy(dtype=bool) & ~np.isnan(proba[:, 0])
    others = np.flatnonzero(ok & (f["topic"] == "other").to_numpy())
    accs = []
    for (s, t), g in f[ok & (f["topic"] != "other").to_numpy()].groupby(["source", "topic"]):
        for _ in range(12):
            n_on = int(rng.integers(5, 11))
            on = rng.choice(g.index.to_numpy(), size=min(n_on, len(g)), replace=False)
            share = rng.uniform(0.3, 0.6)  # of the feed that is off topic
            n_off = int(round(len(on) * share / (1 - share)))
            off = rng.choice(others, size=n_off, replace=False)
            rows = list(rng.permutation(np.concatenate([on, off])))
            accs.append({"kind": f"pseudo:{s}", "label": TOPICS.index(t), "has_bio": False, "rows": rows,
                         "texts": f.loc[rows, "text"].tolist()})
    for _ in range(60):
        rows = list(rng.choice(others, size=10, replace=False))
        accs.append({"kind": "pseudo:other", "label": OTHER, "has_bio": False, "rows": rows,
                     "texts": f.loc[rows, "text"].tolist()})
    return accs


def evaluate(accs: list[dict], proba: np.ndarray) -> pd.DataFrame:
    out = []
    for name, rule in RULES.items():
        for a in accs:
            p = proba[a["rows"]]
            words = np.array([sum(1 for w in t.split() if any(c.isalnum() for c in w)) for t in a["texts"]])
            got = rule(p, words, a["has_bio"])
            out.append({"rule": name, "kind": a["kind"], "vertical": a["label"] != OTHER,
                        "right": got == a["label"], "wrong": got is not None and got != a["label"],
                        "none": got is None})
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    repo = Path(__file__).resolve().parents[2]
    if not available():
        print("public corpora not found (../shared/datasets or $BRANDFIT_PUBLIC_DATA): nothing to hold out")
        return 2
    frame = loso.load_sources(repo)
    d = loso.build_data(frame, variants=("emoji",))
    proba = loso_topic_proba(d)
    accs = our_accounts(d, proba, repo)
    for seed in range(args.seeds):
        accs += pseudo_accounts(d, proba, seed)
    res = evaluate(accs, proba)
    res["group"] = np.where(res["kind"] == "ours", "ours",
                            np.where(res["kind"] == "pseudo:other", "pseudo other", "pseudo vertical"))
    table = res.groupby(["rule", "group"])[["right", "wrong", "none"]].mean().unstack("group")
    pd.set_option("display.width", 200)
    print(f"{len(accs)} accounts ({sum(a['kind'] == 'ours' for a in accs)} ours)")
    print(table.round(3).to_string())
    print("\nwrong by source (pseudo vertical):")
    pv = res[res["group"] == "pseudo vertical"]
    print(pv.groupby(["rule", "kind"])["wrong"].mean().unstack("kind").round(3).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
