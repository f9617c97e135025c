"""Promo read clause by clause: does the most promotional clause of a long text add what the whole text hides?

    PYTHONPATH=src python training/experiments/clauses.py [--min-chars 120]

A long caption or transcript segment may carry its sponsor line in one sentence among many; the embedding of the
whole text averages it away. Here every text of at least ``--min-chars`` characters that splits into two or more
clauses of 15+ characters (sentence ends, line breaks, " | " and " - " separators; at most 12 per text) is also
scored clause by clause with the same fitted promo head (embedding, cues, lexical and caption layers: each clause
is one more row, never trained on), and the whole text's promo logit is combined with its clauses' highest:

- ``clause max above x w``: ``whole + w x max(0, best clause - whole)`` (a clause can raise the score, never lower);
- ``clause mix 0.5``: ``0.5 x whole + 0.5 x best clause``.

Each candidate is then Platt-calibrated and thresholded on the validation rows like production, and scored
leave-one-source-out on the promo sources (``loso.run_loso``). Needs the public corpora
(``../shared/datasets`` or ``$BRANDFIT_PUBLIC_DATA``); about 3 minutes with the embeddings cached (the clauses add
about 31,500 texts to embed once, 50-80 s with the onnx backend).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from brandfit.config import TrainConfig
from brandfit.evaluation import loso
from brandfit.evaluation.public import available

REPO = Path(__file__).resolve().parents[2]
SPLIT = re.compile(r"(?<=[.!?])\s+|\n+|\s+\|\s+|\s+-{1,2}\s+|(?<=[.!?])(?=[A-Z#@])")
MIN_CLAUSE, MAX_CLAUSES = 15, 12


def clauses(text: str, min_chars: int) -> list[str]:
    """The clauses of ``text`` when it is long enough and splits into two or more; else ``[]``.

    >>> clauses("Loved the climb today. Use code PEAK10 for 10% off my guide!", 40)
    ['Loved the climb today.', 'Use code PEAK10 for 10% off my guide!']
    """
    if len(text) < min_chars:
        return []
    parts = [p.strip() for p in SPLIT.split(text) if p and len(p.strip()) >= MIN_CLAUSE]
    return parts[:MAX_CLAUSES] if len(parts) >= 2 else []


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def clause_candidate(base, by_parent: dict[int, list[int]], weight: float, mode: str):
    """Promo: ``base``'s logit combined with its best clause's (see the module docstring); topic: ``base``."""
    def fp(d, task, fit, w, out):
        if task == "topic":
            return base(d, task, fit, w, out)
        cl = [r for o in out for r in by_parent.get(int(o), [])]
        owner = [i for i, o in enumerate(out) for _ in by_parent.get(int(o), [])]
        p_all = base(d, task, fit, w, np.concatenate([out, np.array(cl, dtype=int)]))
        whole = _logit(p_all[:len(out)])
        best = np.full(len(out), -np.inf)
        np.maximum.at(best, np.array(owner, dtype=int), _logit(p_all[len(out):]))
        has = np.isfinite(best)
        z = whole.copy()
        if mode == "above":
            z[has] = whole[has] + weight * np.maximum(best[has] - whole[has], 0.0)
        else:
            z[has] = (1 - weight) * whole[has] + weight * best[has]
        return 1 / (1 + np.exp(-z))
    return fp


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--min-chars", type=int, default=120, help="texts shorter than this are scored whole only")
    ap.add_argument("--out", type=Path, help="also write the table's rows as CSV")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not available():
        print("public corpora not found (../shared/datasets or $BRANDFIT_PUBLIC_DATA): nothing to evaluate")
        return 2
    frame = loso.load_sources(REPO)
    rows, parent = [], []
    for i, (text, src, group) in enumerate(zip(frame["text"], frame["source"], frame["group"])):
        for c in clauses(text, args.min_chars):
            rows.append({"text": c, "source": src, "topic": None, "promo": None, "group": group})
            parent.append(i)
    print(f"{len(set(parent))} of {len(frame)} texts split into {len(rows)} clauses")
    # clause rows carry no label, so they are never trained on or scored; build_data appends its decorated copies
    # after them, so the clause rows keep their positions
    data = loso.build_data(pd.concat([frame, pd.DataFrame(rows)], ignore_index=True), variants=("emoji",))
    by_parent: dict[int, list[int]] = {}
    for r, p in zip(range(len(frame), len(frame) + len(rows)), parent):
        by_parent.setdefault(p, []).append(r)
    prod = loso.production_candidate(TrainConfig())
    base = loso.memo(prod.fit_predict)
    cands = [dataclasses.replace(prod, name="shipped", fit_predict=base)]
    for w in (0.25, 0.5, 1.0):
        cands.append(dataclasses.replace(prod, name=f"clause max above x{w}",
                                         fit_predict=clause_candidate(base, by_parent, w, "above")))
    cands.append(dataclasses.replace(prod, name="clause mix 0.5",
                                     fit_predict=clause_candidate(base, by_parent, 0.5, "mix")))
    res = loso.run_loso(data, cands, tasks=("promo",))
    if args.out:
        res.to_csv(args.out, index=False)
    print(loso.format_table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
