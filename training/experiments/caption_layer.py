"""The caption layers (``promo.caption_weight``, ``topic.caption_weight``): their weights, judged on text they never
trained on.

    PYTHONPATH=src python training/experiments/caption_layer.py --where loso      # public sources held out, ~2 min (embeddings cached)
    PYTHONPATH=src python training/experiments/caption_layer.py --where captions  # the caption sets, ~2 min
    PYTHONPATH=src python training/experiments/caption_layer.py --task topic --where loso      # ~6 min
    PYTHONPATH=src python training/experiments/caption_layer.py --task topic --where captions  # the feeds, ~3 min

The layer is fitted on ``data/labeled`` alone, so holding ``ours`` out removes it; it is judged instead

- ``loso``: on each public source held out (every candidate trained on the other sources, ``ours`` included);
- ``captions``: on the caption sets of ``training/eval/`` (``undisclosed_promo``, ``undisclosed_promo_2``,
  ``brand_tagged``, ``brand_relations``, the posts of the twenty ``feeds``), each appended as one more source and held out, so every candidate trains on all
  of ``data/labeled`` and the public corpora and never on the set.

Candidates: the recipe of ``training/configs/default.yaml`` with the task's caption layer off, then at the weights
measured in docs/quality.md ("The caption layer", "The topic caption layer", "Brand relationships and tweet-form
text"); for promo, signed, only its positive part, or with its logit clipped from below at a floor. ``--task topic``
scores topic, on the public sources and on the twenty feeds (bios and posts). Reads the public corpora from
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
VARIANTS = ((0.25, 10.0, False, None), (0.35, 10.0, False, None), (0.5, 10.0, False, None), (1.0, 10.0, False, None),
            (0.5, 3.0, False, None), (0.5, 10.0, True, None), (1.0, 10.0, True, None),
            (0.35, 10.0, False, -1.0), (0.5, 10.0, False, -1.0), (0.5, 10.0, False, -2.0))
"""(weight, C, only the positive part, floor on the layer's logit) of each promo candidate."""


TOPIC_WEIGHTS = (0.1, 0.2, 0.35)


def candidates(task: str = "promo") -> list[loso.Candidate]:
    from brandfit.config import load_config

    config = load_config(REPO / "training/configs/default.yaml")
    if task == "topic":
        off = dataclasses.replace(config, topic=dataclasses.replace(config.topic, caption_weight=0.0))
        base = loso.production_candidate(off, name="no topic caption layer")
        return [base] + [dataclasses.replace(base, name=f"topic caption {w:g}", fit_predict=loso.caption_topic(
            base.fit_predict, w, c=config.topic.caption_c, n_buckets=config.lexical.n_buckets)) for w in TOPIC_WEIGHTS]
    off = dataclasses.replace(config, promo=dataclasses.replace(config.promo, caption_weight=0.0))
    base = loso.production_candidate(off, name="no caption layer")
    out = [base]
    for weight, c, positive, floor in VARIANTS:
        name = (f"caption {weight:g}, C {c:g}" + (", positive part" if positive else "")
                + (f", floor {floor:g}" if floor is not None else ""))
        out.append(dataclasses.replace(base, name=name, fit_predict=loso.caption_promo(
            base.fit_predict, weight, c=c, positive_only=positive, floor=floor, n_buckets=config.lexical.n_buckets)))
    return out


def caption_sets(task: str = "promo") -> dict[str, pd.DataFrame]:
    from brandfit.data.check import check_labeled_folder

    if task == "topic":  # every text of the feeds (bios too) carries a topic
        feeds = check_labeled_folder(EVAL / "feeds").texts.frame
        return {"feeds": pd.DataFrame({"text": feeds["text"].tolist(), "topic": feeds["topic"].tolist()})}
    sets = {}
    for name in ("undisclosed_promo", "undisclosed_promo_2", "brand_tagged", "brand_relations"):
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
    ap.add_argument("--task", choices=("promo", "topic"), default="promo")
    ap.add_argument("--out", default=None, help="CSV of all rows")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    from brandfit.evaluation.public import available

    if not available():
        print("public corpora not found (../shared/datasets or $BRANDFIT_PUBLIC_DATA): nothing to hold out")
        return 1
    t0 = time.perf_counter()
    frame = loso.load_sources(base=REPO)
    cands = candidates(args.task)
    if args.where == "loso":
        res = loso.run_loso(loso.build_data(frame), cands, tasks=(args.task,))
    else:
        parts = []
        for name, s in caption_sets(args.task).items():
            if args.task == "topic":
                extra = s.assign(source=name, promo=None, group=[f"{name}:{i}" for i in range(len(s))])
            else:
                extra = s.assign(source=name, topic=None, group=[f"{name}:{i}" for i in range(len(s))],
                                 promo=s["promo"].astype(object))
            d = loso.build_data(pd.concat([frame, extra], ignore_index=True))
            parts.append(loso.run_loso(d, cands, tasks=(args.task,), sources=[name]))
        res = pd.concat(parts, ignore_index=True)
    if args.out:
        res.to_csv(args.out, index=False)
    print(loso.format_table(res))
    print(f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
