"""The caption layer (``promo.caption_weight``): its weight, judged on text it never trained on.

    PYTHONPATH=src python training/experiments/caption_layer.py --where loso      # public sources held out, ~2 min (embeddings cached)
    PYTHONPATH=src python training/experiments/caption_layer.py --where captions  # the caption sets, ~80 s

The layer is fitted on ``data/labeled`` alone, so holding ``ours`` out removes it; it is judged instead

- ``loso``: on each public source held out (every candidate trained on the other sources, ``ours`` included);
- ``captions``: on the three caption sets of ``training/eval/`` (``undisclosed_promo``, ``undisclosed_promo_2``, the
  posts of the twenty ``feeds``), each appended as one more source and held out, so every candidate trains on all
  of ``data/labeled`` and the public corpora and never on the set.

Candidates: the recipe of ``training/configs/default.yaml`` with the caption layer off, then at the weights
measured in docs/quality.md ("The caption layer"), signed or only its positive part. Reads the public corpora from
../shared/datasets at run time (never copied); without them it says so and exits.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time
from pathlib import Path

import pandas as pd

from brandfit.evaluation import loso

EVAL = Path(__file__).resolve().parents[1] / "eval"
REPO = Path(__file__).resolve().parents[2]
VARIANTS = ((0.25, 10.0, False), (0.35, 10.0, False), (0.5, 10.0, False), (1.0, 10.0, False), (0.5, 3.0, False),
            (0.5, 10.0, True), (1.0, 10.0, True))


def candidates() -> list[loso.Candidate]:
    from brandfit.config import load_config

    config = load_config(REPO / "training/configs/default.yaml")
    off = dataclasses.replace(config, promo=dataclasses.replace(config.promo, caption_weight=0.0))
    base = loso.production_candidate(off, name="no caption layer")
    out = [base]
    for weight, c, positive in VARIANTS:
        name = f"caption {weight:g}, C {c:g}" + (", positive part" if positive else "")
        out.append(dataclasses.replace(base, name=name, fit_predict=loso.caption_promo(
            base.fit_predict, weight, c=c, positive_only=positive, n_buckets=config.lexical.n_buckets)))
    return out


def caption_sets() -> dict[str, pd.DataFrame]:
    from brandfit.data.check import check_labeled_folder

    sets = {}
    for name in ("undisclosed_promo", "undisclosed_promo_2"):
        rows = [json.loads(line) for line in (EVAL / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
        sets[name] = pd.DataFrame({"text": [r["text"] for r in rows], "promo": [bool(r["promo"]) for r in rows]})
    feeds = check_labeled_folder(EVAL / "feeds").texts.frame
    posts = feeds[feeds["kind"] == "post"]
    sets["feeds"] = pd.DataFrame({"text": posts["text"].tolist(), "promo": posts["promo"].astype(bool).tolist()})
    return sets


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--where", choices=("loso", "captions"), required=True)
    ap.add_argument("--out", default=None, help="CSV of all rows")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    from brandfit.evaluation.public import available

    if not available():
        print("public corpora not found (../shared/datasets or $BRANDFIT_PUBLIC_DATA): nothing to hold out")
        return 1
    t0 = time.perf_counter()
    frame = loso.load_sources(base=REPO)
    cands = candidates()
    if args.where == "loso":
        res = loso.run_loso(loso.build_data(frame), cands, tasks=("promo",))
    else:
        parts = []
        for name, s in caption_sets().items():
            extra = s.assign(source=name, topic=None, group=[f"{name}:{i}" for i in range(len(s))],
                             promo=s["promo"].astype(object))
            d = loso.build_data(pd.concat([frame, extra], ignore_index=True))
            parts.append(loso.run_loso(d, cands, tasks=("promo",), sources=[name]))
        res = pd.concat(parts, ignore_index=True)
    if args.out:
        res.to_csv(args.out, index=False)
    print(loso.format_table(res))
    print(f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
