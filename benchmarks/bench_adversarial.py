"""Per-post cost of adversarial texts (one long run of a punctuation mark or an emoji) against ordinary texts of the
same length, through brandfit.cues.find_cues and the text normaliser (brandfit.text.normalize).

    PYTHONPATH=src .venv/bin/python benchmarks/bench_adversarial.py [--repeat 5] [--max-ratio 3]

spaCy's tokenizer strips prefixes and suffixes one character at a time, so a "word" of 5000 "!" used to cost
seconds; inputs are now cut to the length limit and runs squeezed before any tokenizer reads them. For each path
the best of --repeat passes (CPU seconds of this process, the fair figure on a shared machine) is printed per post,
for ordinary texts and for each adversarial text of the same length. Exits 1 if an adversarial text costs more
than --max-ratio times the ordinary texts (with a 50 µs floor on the ordinary figure, below which timer noise rules).
"""

from __future__ import annotations

import argparse
import sys
import time

from brandfit.cues import find_cues
from brandfit.text import normalize

ADVERSARIAL = {
    "'!' x 5000": "!" * 5000,
    "'🔥' x 2000": "🔥" * 2000,
    "'$' x 5000": "$" * 5000,
    "'!?' x 2500": "!?" * 2500,
    "'❤️' x 2000": "❤️" * 2000,
    "'_' x 5000": "_" * 5000,
    "'(' x 5000": "(" * 5000,
    "'a' + '!' x 4999": "a" + "!" * 4999,
}
ORDINARY_WORDS = (
    "went for a long trail run today legs are done but worth it new shoes felt amazing use code GLOW20 for 20% off "
    "link in bio #trailrunning #ad morning coffee then gym squats and deadlifts 🔥 loving this serum glow "
)


def ordinary(length: int, seed: int) -> str:
    words = ORDINARY_WORDS.split()
    out, i = [], seed
    while sum(map(len, out)) + len(out) < length:
        out.append(words[i % len(words)])
        i = i * 7 + 3
    return " ".join(out)[:length]


def best_cpu(fn, texts: list[str], repeat: int) -> float:
    """Best CPU seconds per text over ``repeat`` passes."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn(texts)
        best = min(best, time.process_time() - t0)
    return best / len(texts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--max-ratio", type=float, default=3.0)
    args = ap.parse_args()
    paths = {
        "find_cues": find_cues,
        "normalize": lambda texts: [normalize(t) for t in texts],
    }
    find_cues(["warm up the tokenizer #ad"])
    failed = []
    for path, fn in paths.items():
        print(f"{path}: CPU ms per post (best of {args.repeat})")
        for name, text in ADVERSARIAL.items():
            plain = [ordinary(len(text), seed) for seed in range(8)]
            base = best_cpu(fn, plain, args.repeat)
            cost = best_cpu(fn, [text], args.repeat)
            ratio = cost / max(base, 5e-5)
            verdict = "ok" if ratio <= args.max_ratio else "TOO SLOW"
            print(f"  {name:<18} len {len(text):>5}  ordinary {base * 1e3:7.3f}  adversarial {cost * 1e3:7.3f}  "
                  f"ratio {cost / base if base else float('inf'):6.2f}  {verdict}")
            if ratio > args.max_ratio:
                failed.append(f"{path} {name}")
    if failed:
        print(f"FAILED: adversarial > {args.max_ratio:g}x ordinary for {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"all adversarial texts within {args.max_ratio:g}x ordinary")
    return 0


if __name__ == "__main__":
    sys.exit(main())
