"""predict_relevance() speed against the raw embedding it is built on, measured in one run.

    .venv/bin/python benchmarks/bench_predict.py [--accounts 200] [--repeats 20]

Prints (1) warm latency of predict_relevance() for one account with a bio and 12 posts against
SentenceTransformer.encode of the same 13 texts, and (2) predict_relevance_batch() throughput against
encode of the same texts. Goals (issue 6): latency ratio <= 1.25, throughput ratio >= 0.85.
Accounts are built from the bundled sample accounts (data/sample), cycled to the requested count.
"""

from __future__ import annotations

import argparse
import glob
import json
import statistics
import time
from pathlib import Path

import brandfit
from brandfit.text import normalize

REPO = Path(__file__).resolve().parents[1]


def _accounts(n: int) -> list[dict]:
    base = [json.loads(line) for f in sorted(glob.glob(str(REPO / "data/sample/*.jsonl"))) for line in open(f)]
    out = []
    for i in range(n):
        a = dict(base[i % len(base)])
        # make texts distinct per copy so nothing is served from a duplicate
        a["posts"] = [{**p, "text": f"{p['text']} ({i})"} for p in a["posts"]]
        a["bio"] = f"{a['bio']} #{i}"
        out.append(a)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    model = brandfit.load_model(backend="torch")
    st = model.embedder._model  # the raw SentenceTransformer behind the torch backend

    one = _accounts(1)[0]
    posts = [p["text"] for p in one["posts"]]
    posts = (posts * 2)[:12]
    acc = {"bio": one["bio"], "posts": posts, "followers": one.get("followers")}
    texts = [acc["bio"], *posts]
    for _ in range(3):  # warm both paths
        st.encode(texts, batch_size=64)
        brandfit.predict_relevance(acc, "fitness", model=model)
    raw, ours = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        st.encode(texts, batch_size=64, normalize_embeddings=True)
        raw.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        brandfit.predict_relevance(acc, "fitness", model=model)
        ours.append(time.perf_counter() - t0)
    r_med, o_med = statistics.median(raw), statistics.median(ours)

    accs = _accounts(args.accounts)
    all_texts = [t for a in accs for t in [a["bio"], *[p["text"] for p in a["posts"]]]]
    norm = [normalize(t) for t in all_texts]
    raw_times, our_times = [], []
    for _ in range(2):  # interleaved, best of two each, so a burst of load elsewhere hits both sides alike
        t0 = time.perf_counter()
        st.encode(norm, batch_size=64, normalize_embeddings=True)
        raw_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        df = brandfit.predict_relevance_batch(accs, "fitness", model=model, show_progress_bar=False)
        our_times.append(time.perf_counter() - t0)
        assert len(df) == len(accs)
    raw_s, ours_s = min(raw_times), min(our_times)

    print("| measure | raw SentenceTransformer.encode | brandfit | ratio | goal |")
    print("|---|---:|---:|---:|---|")
    print(f"| warm latency, 1 account (bio + 12 posts), median of {args.repeats} | {1000 * r_med:.1f} ms | "
          f"{1000 * o_med:.1f} ms | {o_med / r_med:.2f}x | <= 1.25x |")
    print(f"| batch throughput, best of 2, {len(accs)} accounts / {len(all_texts)} texts | {len(all_texts) / raw_s:.0f} texts/s | "
          f"{len(all_texts) / ours_s:.0f} texts/s ({len(accs) / ours_s:.1f} accounts/s) | "
          f"{raw_s / ours_s:.2f}x | >= 0.85x |")
    missed = [name for name, ok in (("latency", o_med / r_med <= 1.25), ("throughput", raw_s / ours_s >= 0.85)) if not ok]
    if missed:
        print(f"MISSED: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
