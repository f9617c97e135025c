"""Compare model designs on public corpora we did not write (cross-domain), per source and pooled.

    .venv/bin/python training/compare_designs.py [--config training/configs/default.yaml] [--variants]

Trains the configured model on data/labeled (train split), plus the two baselines (zero-shot cosine to
the topic descriptions; TF-IDF + logistic regression on the same training texts), and prints one Markdown
table. Embeddings are cached under .cache/embeddings (arrays only) so repeated runs are fast. Exits 0
with a message when ../shared/datasets is absent.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

from brandfit.config import load_config
from brandfit.embedding import default_embedder
from brandfit.embedding.cache import CachedEmbedder
from brandfit.evaluation.baselines import TfidfScorer, ZeroShotScorer
from brandfit.evaluation.crossdomain import evaluate_public, format_public_table
from brandfit.evaluation.public import load_public
from brandfit.train import fit_model, load_training_frame


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--config", default="training/configs/default.yaml")
    ap.add_argument("--variants", action="store_true", help="also try a few alternative head settings")
    ap.add_argument("--json", default=None, help="write all results to this JSON file")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    corpora = load_public()
    if corpora.empty:
        print("public corpora not found (../shared/datasets or $BRANDFIT_PUBLIC_DATA): nothing to compare")
        return 0
    config = load_config(args.config)
    emb = CachedEmbedder(default_embedder(), Path(".cache/embeddings.sqlite"))
    frame, _ = load_training_frame(config)
    train = frame[frame["split"] == "train"]
    results = {
        "zero-shot": evaluate_public(ZeroShotScorer(emb), corpora),
        "tfidf+lr": evaluate_public(TfidfScorer().fit(train["text"], train["topic"], train["promo"]), corpora),
    }
    variants = {"brandfit": config}
    if args.variants:
        variants.update({
            "no-desc-features": replace(config, topic=replace(config.topic, desc_scale=0.0, description_weight=0.0,
                                                                  prior_weight=0.0)),
            "prior-0": replace(config, topic=replace(config.topic, prior_weight=0.0)),
            "prior-0.5": replace(config, topic=replace(config.topic, prior_weight=0.5)),
            "prior-1": replace(config, topic=replace(config.topic, prior_weight=1.0)),
            "desc-weight-10": replace(config, topic=replace(config.topic, description_weight=10.0)),
            "C=0.5": replace(config, topic=replace(config.topic, c=0.5), promo=replace(config.promo, c=0.5)),
            "no-cues": replace(config, promo=replace(config.promo, cue_scale=0.0)),
            "cues-x2": replace(config, promo=replace(config.promo, cue_scale=2.0)),
        })
    for name, cfg in variants.items():
        model, _ = fit_model(frame, cfg, emb)
        results[name] = evaluate_public(model, corpora)
    print(format_public_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
