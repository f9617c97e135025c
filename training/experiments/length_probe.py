"""Does the promo score survive a long caption? Texts of data/labeled padded with organic posts, scored with
registry models.

    PYTHONPATH=src python training/experiments/length_probe.py relevance@18 relevance@21 [--n 300]

Real influencer captions often run to several hundred characters: a story, then the sponsor line or the
``#ad`` at the end. Our labelled posts are short (median 73 characters), so a model may learn a promo cue's
weight from texts where nothing else speaks. Here every probe text is one labelled post plus organic posts of
data/labeled (60-200 characters each, none with a paid disclosure, drawn at random) until it reaches 300 / 600 / 1,000 characters, the
labelled post first or last. For each length the script prints, at each model's threshold:

- ``disclosed``: the share caught of promo posts carrying an explicit paid disclosure
  (:func:`brandfit.disclosure.paid_disclosure`; 1.0 by construction for a model with ``promo.disclosure_floor``
  above its threshold);
- ``other promo``: the share caught of the other promo posts;
- ``organic``: the share flagged of padded organic posts. The padding is several unrelated posts, each of which
  may carry a tag, a link or a price, so this over-states what one long organic caption would do.

Every model sees the same texts (seeded). data/labeled only: needs no public corpora.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def probe_texts(n: int, seed: int = 0) -> dict[tuple[int, str], dict[str, list[str]]]:
    from brandfit.data import load_labeled
    from brandfit.disclosure import paid_disclosure

    frame = load_labeled(REPO / "data" / "labeled" / "texts").frame
    frame = frame[frame["promo"].notna()]
    texts = frame["text"].tolist()
    promo = frame["promo"].astype(bool).to_numpy()
    paid = paid_disclosure(texts)
    rng = np.random.default_rng(seed)
    organic = [t for t, p in zip(texts, promo) if not p]
    filler = [t for t, q in zip(organic, paid_disclosure(organic)) if 60 <= len(t) <= 200 and not q]

    def pick(pool: list[str]) -> list[str]:
        return [pool[i] for i in rng.choice(len(pool), min(n, len(pool)), replace=False)]

    groups = {"disclosed": pick([t for t, p, q in zip(texts, promo, paid) if p and q]),
              "other promo": pick([t for t, p, q in zip(texts, promo, paid) if p and not q]),
              "organic": pick(organic)}
    out: dict[tuple[int, str], dict[str, list[str]]] = {}
    for target in (0, 300, 600, 1000):
        for where in (("first", "last") if target else ("alone",)):
            padded = {}
            for name, pool in groups.items():
                rows = []
                for t in pool:
                    parts = [t]
                    while sum(len(p) + 1 for p in parts) < target:
                        parts.append(filler[rng.integers(len(filler))])
                    if where == "last":
                        parts = parts[1:] + parts[:1]
                    rows.append(" ".join(parts))
                padded[name] = rows
            out[(target, where)] = padded
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("refs", nargs="+", help="registry refs, e.g. relevance@18 production")
    ap.add_argument("--n", type=int, default=300, help="posts per group (default 300)")
    args = ap.parse_args(argv)
    from brandfit.model import load_model

    probes = probe_texts(args.n)
    print("| model | length | labelled post | disclosed caught | other promo caught | organic flagged |")
    print("|---|---:|---|---:|---:|---:|")
    for ref in args.refs:
        model = load_model(ref)
        thr = model.promo_threshold
        for (target, where), groups in probes.items():
            shares = {name: float(np.mean(model.analyze(rows, show_progress_bar=False).promo_proba >= thr))
                      for name, rows in groups.items()}
            print(f"| {ref} | {'as written' if not target else f'>= {target}'} | {where} | "
                  f"{shares['disclosed']:.3f} | {shares['other promo']:.3f} | {shares['organic']:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
