"""Brand topics in words on real sub-topics: AP of brand.brand_score settings vs plain cosine, per source.

    PYTHONPATH=src python training/experiments/brand_eval.py --out /tmp/brand.csv

Public corpora are read at run time from ../shared/datasets (never copied); without them it says so and exits.
"""

from __future__ import annotations

import argparse
import logging

import numpy as np

from brandfit.evaluation import loso
from brandfit.evaluation.brandtopics import evaluate_brand_topics, format_brand_table
from brandfit.evaluation.public import available, subtopic_tasks

TOPIC_PARAMS = {"description_weight": 3.0, "prior_weight": 1.0, "temperature": True, "balanced": False}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not available():
        print("public corpora not found (../shared/datasets or $BRANDFIT_PUBLIC_DATA): nothing to evaluate")
        return 1
    from brandfit.embedding import get_embedder

    embedder = get_embedder("onnx")
    d = loso.build_data(loso.load_sources(), embedder, variants=("emoji",))
    # stand-ins come from the texts a production model stores: the train split of data/labeled (the recipe's seed)
    from brandfit.config import TrainConfig
    from brandfit.train import load_training_frame

    from brandfit.neighbours import capped_rows

    cfg = TrainConfig()
    frame, _ = load_training_frame(cfg)
    train_rows = capped_rows(np.flatnonzero((frame["split"] == "train").to_numpy()), seed=cfg.seed)  # as training
    stored = set(frame["text"].to_numpy()[train_rows])
    res = evaluate_brand_topics(d, subtopic_tasks(), embedder, topic_params=TOPIC_PARAMS, stored_texts=stored)
    if args.out:
        res.to_csv(args.out, index=False)
    print(format_brand_table(res))
    print()
    print("ECE after calibration fitted on the other sources:")
    print(res.pivot(index="source", columns="setting", values="ece").round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
