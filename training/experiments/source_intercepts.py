"""Per-source intercepts in the topic head: can a source's label shares stop being learned as its style?

    PYTHONPATH=src python training/experiments/source_intercepts.py [--scale 0 --scale 1 --scale 4]

Each source has its own label shares (Reddit where2spreddit is 93% `other`, Reddit cycling all `sports_outdoor`,
only Reddit climbing/yoga holds `fitness`), and a head fitted on the pooled rows can learn a source's *style* (a Reddit
question, a product title) as those shares. Here the embedding topic head is fitted with one extra column per
training source (one-hot x ``scale``), so a source's shares can go to its own intercept instead of to the
embedding weights. At prediction the columns are zero, and the six class intercepts are refitted, by weighted
log-likelihood on the same training rows with the source columns zeroed, so the pooled label shares are kept and
only the style's part is removed (``topic.source_intercepts``, ``brandfit.heads.fit_group_debiased``; shipped at 1
since ``relevance@43``, 0 = off). Everything else is the shipped recipe (lexical head, descriptions' n-gram match,
caption layer, temperature). Scored leave-one-source-out on the topic sources
(``loso.run_loso``); needs the public corpora (``../shared/datasets`` or ``$BRANDFIT_PUBLIC_DATA``), about 8
minutes per candidate with the embeddings cached.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path

from brandfit.config import TrainConfig
from brandfit.evaluation import loso
from brandfit.evaluation.public import available

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, action="append",
                    help="topic.source_intercepts to compare (repeatable; default 0 and 1)")
    ap.add_argument("--out", type=Path, help="also write the table's rows as CSV")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not available():
        print("public corpora not found (../shared/datasets or $BRANDFIT_PUBLIC_DATA): nothing to evaluate")
        return 2
    data = loso.build_data(loso.load_sources(REPO), variants=("emoji",))
    base = TrainConfig()
    cands = []
    for s in args.scale or [0.0, 1.0]:
        cfg = dataclasses.replace(base, topic=dataclasses.replace(base.topic, source_intercepts=s))
        cands.append(loso.production_candidate(cfg, name=f"source intercepts x{s:g}"))
    res = loso.run_loso(data, cands, tasks=("topic",))
    if args.out:
        res.to_csv(args.out, index=False)
    print(loso.format_table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
