"""The cue matcher against a plain spaCy Matcher holding the same patterns: same cues, and how much faster.

    .venv/bin/python benchmarks/bench_cues.py [--no-public] [--repeat 1]

Texts: every labeled text in data/labeled/texts, plus the public corpora under ../shared/datasets when present
(read through brandfit.evaluation.public; nothing is copied). Both matchers see the same cleaned, tokenised
texts; the reference runs spaCy's ``Matcher`` with ``brandfit.cues.token_patterns()`` and the same
``PhraseMatcher``. Prints the number of texts whose cue lists differ (must be 0) and each side's wall time
(the fast matcher's first pass builds its per-token memo; ``--repeat`` adds warm passes).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def labeled_texts() -> list[str]:
    files = sorted((REPO / "data" / "labeled" / "texts").glob("*.jsonl"))
    return [json.loads(line)["text"] for f in files for line in f.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def public_texts() -> list[str]:
    from brandfit.evaluation import public

    if not public.available():
        return []
    return public.load_public(cap=None)["text"].astype(str).tolist()  # every row, not the evaluation's sample


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--no-public", action="store_true", help="labeled texts only")
    p.add_argument("--repeat", type=int, default=1, help="passes of the fast matcher (default 1)")
    args = p.parse_args(argv)

    from brandfit import cues

    texts = labeled_texts()
    n_labeled = len(texts)
    if not args.no_public:
        texts += public_texts()
    cues.find_cues(["build the matcher before the clock starts"])

    t = time.perf_counter()
    got = cues.find_cues(texts)
    t_fast = [time.perf_counter() - t]
    for _ in range(args.repeat - 1):
        t = time.perf_counter()
        cues.find_cues(texts)
        t_fast.append(time.perf_counter() - t)
    t = time.perf_counter()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from reference_cues import plain_spacy_cues

    want = plain_spacy_cues(texts)
    t_ref = time.perf_counter() - t
    differ = sum(a != b for a, b in zip(got, want))
    print(f"{len(texts):,} texts ({n_labeled:,} labeled, {len(texts) - n_labeled:,} public)")
    print(f"texts whose cues differ from spaCy's Matcher: {differ}")
    print(f"plain spaCy Matcher: {t_ref:.1f} s ({1e3 * t_ref / len(texts):.3f} ms/text)")
    print("fast matcher: " + ", ".join(f"{s:.1f} s" for s in t_fast)
          + f" ({1e3 * min(t_fast) / len(texts):.3f} ms/text) -> {t_ref / min(t_fast):.2f}x "
          "(both include cleaning, spaCy's tokenizer and the PhraseMatcher)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
