"""Undisclosed promo in caption form: how a registry model scores gifted praise and hard sells with no tag, code or
link, against organic look-alikes (bought-it-myself praise, critical gifted posts, "sent" in other senses, thanks
to friends).

    PYTHONPATH=src python training/experiments/undisclosed_promo.py relevance@16 relevance@17

The 80 captions in ``training/eval/undisclosed_promo.jsonl`` were written for this project by a helper who read
only data/labeled/GUIDE.md (not the code, the cues or the tests), after every text the models train on; they are
never trained on. Prints promo AP / F1 at the model's own threshold and, per kind, the share on the right side of
it and the median probability.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

EVAL = Path(__file__).resolve().parents[1] / "eval" / "undisclosed_promo.jsonl"


def main(argv: list[str] | None = None) -> int:
    from sklearn.metrics import average_precision_score, f1_score

    import brandfit

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", help="registry references, e.g. relevance@17 or production")
    ap.add_argument("--file", type=Path, default=EVAL)
    args = ap.parse_args(argv)
    rows = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["text"] for r in rows]
    y = np.array([bool(r["promo"]) for r in rows])
    kinds = np.array([r["kind"] for r in rows])
    for ref in args.models:
        model = brandfit.load_model(ref)
        p = model.analyze(texts, show_progress_bar=False).promo_proba
        thr = model.promo_threshold
        print(f"{ref}: threshold {thr:.3f}, promo AP {average_precision_score(y, p):.3f}, "
              f"F1 {f1_score(y, p >= thr):.3f} ({len(rows)} captions, {y.sum()} promo)")
        for kind in dict.fromkeys(kinds):
            k = kinds == kind
            print(f"  {kind:16s} n {k.sum():2d}  promo={str(y[k][0]).lower():5s}  right {((p[k] >= thr) == y[k]).mean():.2f}"
                  f"  median p {np.median(p[k]):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
