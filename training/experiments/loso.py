"""Leave-one-source-out comparison of candidate designs (see brandfit.evaluation.loso and docs/quality.md).

    PYTHONPATH=src python training/experiments/loso.py --set baselines --out /tmp/loso-baselines.csv

Reads the public corpora from ../shared/datasets at run time (never copied); embeddings are cached in
~/.cache/brandfit-exp. Without the public folder it says so and exits.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from brandfit.evaluation import loso
from brandfit.evaluation.loso import Candidate, linear, tfidf_lr, zero_shot

SETS = {
    "baselines": lambda: [loso.CANDIDATES[k]() for k in ("zero_shot", "tfidf_lr", "minilm_lr", "production_v1")],
    "emoji": lambda: [
        Candidate("minilm_lr_raw", linear(variant="raw"), weighting="none"),
        Candidate("minilm_lr_emoji", linear(variant="emoji"), weighting="none"),
        Candidate("prod_raw", linear(variant="raw", desc_scale=4, description_weight=3, cue_scale=1, temperature=True),
                  weighting="none"),
        Candidate("prod_emoji", linear(variant="emoji", desc_scale=4, description_weight=3, cue_scale=1,
                                       temperature=True), weighting="none"),
    ],
    "weighting": lambda: [
        Candidate("lr_w_none", linear(), weighting="none"),
        Candidate("lr_w_equal", linear(), weighting="equal"),
        Candidate("lr_w_sqrt", linear(), weighting="equal", weight_power=0.5),
        Candidate("lr_w_equal_ours2", linear(), weighting="equal", fixed_weights=(("ours", 2.0),)),
    ],
    "features": lambda: [
        Candidate("eq_desc4", linear(desc_scale=4, description_weight=3, temperature=True)),
        Candidate("eq_desc4_cue1", linear(desc_scale=4, description_weight=3, cue_scale=1, temperature=True)),
        Candidate("eq_desc4_cue03", linear(desc_scale=4, description_weight=3, cue_scale=0.3, temperature=True)),
        Candidate("eq_desc2_prior", linear(desc_scale=2, description_weight=3, prior_weight=0.3, temperature=True)),
    ],
    "c": lambda: [
        Candidate("eq_c0.5", linear(topic_c=0.5, promo_c=0.3, desc_scale=4, description_weight=3, temperature=True)),
        Candidate("eq_c8", linear(topic_c=8, promo_c=4, desc_scale=4, description_weight=3, temperature=True)),
    ],
    "prior": lambda: [
        Candidate("prior0.3", linear(prior_weight=0.3, temperature=True)),
        Candidate("prior0.6", linear(prior_weight=0.6, temperature=True)),
        Candidate("prior1.0", linear(prior_weight=1.0, temperature=True)),
        Candidate("desc2_prior0.6", linear(desc_scale=2, description_weight=3, prior_weight=0.6, temperature=True)),
        Candidate("desc0_dw3_prior0.6", linear(description_weight=3, prior_weight=0.6, temperature=True)),
    ],
    "promo": lambda: [
        Candidate("cue0.1", linear(cue_scale=0.1), threshold="mean_f1"),
        Candidate("cue0.3", linear(cue_scale=0.3), threshold="mean_f1"),
        Candidate("cue0.3_pooled", linear(cue_scale=0.3)),
        Candidate("cue0.5", linear(cue_scale=0.5), threshold="mean_f1"),
        Candidate("cue0.3_c0.3", linear(cue_scale=0.3, promo_c=0.3), threshold="mean_f1"),
        Candidate("cue0.3_c3", linear(cue_scale=0.3, promo_c=3), threshold="mean_f1"),
        Candidate("cue0.3_wnone", linear(cue_scale=0.3), weighting="none", threshold="mean_f1"),
    ],
    "prior2": lambda: [
        Candidate("prior1.5", linear(prior_weight=1.5, temperature=True)),
        Candidate("prior2.0", linear(prior_weight=2.0, temperature=True)),
        Candidate("dw3_prior1.0", linear(description_weight=3, prior_weight=1.0, temperature=True)),
        Candidate("prior1.0_c0.5", linear(prior_weight=1.0, topic_c=0.5, temperature=True)),
        Candidate("prior1.0_c8", linear(prior_weight=1.0, topic_c=8, temperature=True)),
        Candidate("prior1.0_wnone", linear(prior_weight=1.0, temperature=True), weighting="none"),
    ],
    "promo2": lambda: [
        Candidate("cue0.3_c0.1", linear(cue_scale=0.3, promo_c=0.1), threshold="mean_f1"),
        Candidate("cue0.3_c0.03", linear(cue_scale=0.3, promo_c=0.03), threshold="mean_f1"),
        Candidate("cue0.1_c0.1", linear(cue_scale=0.1, promo_c=0.1), threshold="mean_f1"),
        Candidate("cue0.6_c0.1", linear(cue_scale=0.6, promo_c=0.1), threshold="mean_f1"),
        Candidate("cue0_c0.1", linear(cue_scale=0.0, promo_c=0.1), threshold="mean_f1"),
        Candidate("cue0.3_c0.1_pooled", linear(cue_scale=0.3, promo_c=0.1)),
    ],
    "promo3": lambda: [
        Candidate("cue0.3_c0.01", linear(cue_scale=0.3, promo_c=0.01), threshold="mean_f1"),
        Candidate("cue0.6_c0.03", linear(cue_scale=0.6, promo_c=0.03), threshold="mean_f1"),
        Candidate("cue1_c0.03", linear(cue_scale=1.0, promo_c=0.03), threshold="mean_f1"),
        Candidate("cue0.6_c0.01", linear(cue_scale=0.6, promo_c=0.01), threshold="mean_f1"),
        Candidate("cue0.6_c0.03_raw", linear(variant="raw", cue_scale=0.6, promo_c=0.03), threshold="mean_f1"),
        Candidate("cue0.6_c0.03_wnone", linear(cue_scale=0.6, promo_c=0.03), weighting="none", threshold="mean_f1"),
    ],
    "topic3": lambda: [
        Candidate("dw3_prior1.5", linear(description_weight=3, prior_weight=1.5, temperature=True)),
        Candidate("dw3_prior1.5_c1", linear(description_weight=3, prior_weight=1.5, topic_c=1, temperature=True)),
        Candidate("dw6_prior1.0", linear(description_weight=6, prior_weight=1.0, temperature=True)),
        Candidate("dw3_prior1.0_raw", linear(variant="raw", description_weight=3, prior_weight=1.0, temperature=True)),
        Candidate("dw3_prior1.0_sqrt", linear(description_weight=3, prior_weight=1.0, temperature=True),
                  weight_power=0.5),
    ],
    "augment": lambda: [
        Candidate("cue0.6_c0.03", linear(cue_scale=0.6, promo_c=0.03), threshold="mean_f1"),
        Candidate("cue0.6_c0.03_aug", linear(cue_scale=0.6, promo_c=0.03), threshold="mean_f1", augment=True),
        Candidate("cue0.3_c0.03_aug", linear(cue_scale=0.3, promo_c=0.03), threshold="mean_f1", augment=True),
        Candidate("cue0.6_c0.1_aug", linear(cue_scale=0.6, promo_c=0.1), threshold="mean_f1", augment=True),
        Candidate("cue0_c0.03_aug", linear(cue_scale=0.0, promo_c=0.03), threshold="mean_f1", augment=True),
        Candidate("cue1_c0.1_aug", linear(cue_scale=1.0, promo_c=0.1), threshold="mean_f1", augment=True),
    ],
    "final": lambda: [
        Candidate("prod", linear(description_weight=3, prior_weight=1.0, temperature=True, cue_scale=0.6,
                                 promo_c=0.03), threshold="mean_f1", augment=True),
        Candidate("prod_raw", linear(variant="raw", description_weight=3, prior_weight=1.0, temperature=True,
                                     cue_scale=0.6, promo_c=0.03), threshold="mean_f1", augment=True),
        Candidate("prod_platt", linear(description_weight=3, prior_weight=1.0, temperature=True, cue_scale=0.6,
                                       promo_c=0.03), threshold="mean_f1", augment=True, calibrate_promo=True),
        Candidate("prod_topic_unbal", linear(description_weight=3, prior_weight=1.0, temperature=True,
                                             topic_balanced=False, cue_scale=0.6, promo_c=0.03),
                  threshold="mean_f1", augment=True),
        Candidate("minilm_lr_emoji", linear(variant="emoji"), weighting="none"),
        Candidate("minilm_lr_raw", linear(variant="raw"), weighting="none"),
    ],
    "augment2": lambda: [
        Candidate("final", linear(description_weight=3, prior_weight=1.0, temperature=True, topic_balanced=False,
                                  cue_scale=0.6, promo_c=0.03), threshold="mean_f1", augment=True,
                  calibrate_promo=True),
    ],
    "mlp": lambda: [Candidate("mlp256", linear(hidden=256), weighting="none")],
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", choices=sorted(SETS), required=True)
    ap.add_argument("--cap", type=int, default=2500, help="per public source (balanced by label, seeded)")
    ap.add_argument("--augment", type=int, default=300, help="decorated not-promo copies per source")
    ap.add_argument("--task", action="append", choices=("topic", "promo"))
    ap.add_argument("--out", default=None, help="CSV of all rows")
    ap.add_argument("--emoji-subsets", action="store_true", help="also score the held-out rows that carry emoji")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from brandfit.evaluation.public import available

    if not available():
        print("public corpora not found (../shared/datasets or $BRANDFIT_PUBLIC_DATA): nothing to hold out")
        return 1
    t0 = time.perf_counter()
    frame = loso.load_sources(cap=args.cap)
    d = loso.build_data(frame, augment=args.augment)
    print(f"data ready: {len(frame)} texts in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    cands = [c for s in args.set for c in SETS[s]()]
    res = loso.run_loso(d, cands, tasks=tuple(args.task or ("topic", "promo")), emoji_subsets=args.emoji_subsets)
    if args.out:
        res.to_csv(args.out, index=False)
    print(loso.format_table(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
