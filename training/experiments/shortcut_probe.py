"""Does a tag, a hashtag or "link in bio" alone make a text promo? Not-promo public texts, scored as written and with
one surface cue appended, by registry models.

    PYTHONPATH=src python training/experiments/shortcut_probe.py relevance@30 relevance@31 [--n 120]

The texts are the not-promo rows of the public promo sources' validation groups (the groups ``brandfit train`` keeps
out of fitting with the default seed 13), at most ``--n`` per source, drawn with a fixed seed, so every model sees
the same texts. Each is scored as written and with each suffix below appended; the script prints the share above
each model's promo threshold and the mean promo probability. By the annotation guide a credit, a friend's tag, a
hashtag wall or "link in bio" does not make a text promo on its own. " thanks @ridgewear" is the exception to read
with care: thanks to a brand is, in our captions, mostly gifted praise, so its share is how far the model carries
that over to texts that praise nothing, not a false-positive rate.

The public texts are comments, SMS and transcript sentences, not captions: read the shares as a measure of how much
a cue alone moves the score, not as a caption false-positive rate. Needs the public corpora (``--public-data``,
default ../shared/datasets); without them it says so and exits 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

SUFFIXES: tuple[str, ...] = (
    "",
    " link in bio",
    " full video linked in my bio",
    " @jess.miller",
    " 📸 @sam.shoots",
    " thanks @ridgewear",
    " #sundayvibes",
    " #gym #fitfam #motivation #reels",
)
"""Appended to every text; ``""`` is the text as written."""


def probe_texts(root: Path | None, n: int, seed: int = 13) -> list[str]:
    """Up to ``n`` not-promo validation texts per public promo source; ``[]`` when the corpora are absent."""
    from brandfit.evaluation.loso import validation_mask
    from brandfit.evaluation.public import PROMO_SOURCES, load_public

    pub = load_public(root, sources=tuple(PROMO_SOURCES))
    if pub.empty:
        return []
    pub = pub.reset_index(drop=True)
    val = validation_mask(pub["group"].tolist(), fraction=0.15, salt=f"val{seed}")
    organic = pub[val & (pub["promo"] == False)]  # noqa: E712 (a pandas mask, not a truth test)
    parts = [g.sample(n=min(len(g), n), random_state=0) for _, g in organic.groupby("source", sort=True)]
    return [str(t) for part in parts for t in part["text"]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("refs", nargs="+", help="registry refs, e.g. relevance@30 production")
    ap.add_argument("--n", type=int, default=120, help="texts per public source (default 120)")
    ap.add_argument("--public-data", type=Path, default=None, help="public corpora folder (default ../shared/datasets)")
    args = ap.parse_args(argv)
    texts = probe_texts(args.public_data, args.n)
    if not texts:
        print("public corpora not found: nothing to probe (pass --public-data)")
        return 0
    from brandfit.model import load_model

    print(f"{len(texts)} not-promo texts of the public promo sources' validation groups")
    print("| model | suffix | flagged | mean promo probability |")
    print("|---|---|---:|---:|")
    for ref in args.refs:
        model = load_model(ref)
        for suffix in SUFFIXES:
            p = model.promo_proba([t + suffix for t in texts])
            label = repr(suffix) if suffix else "as written"
            print(f"| {ref} | {label} | {np.mean(p >= model.promo_threshold):.3f} | {p.mean():.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
