"""Throughput and memory of ``brandfit tag`` (local engine) on synthetic accounts.

Measures, each in a fresh subprocess so start-up state and peak RSS are not shared:

- raw ``SentenceTransformer.encode`` of the texts (bio + posts) of the first ``--encode-accounts`` accounts
  (the same settings brandfit uses: batch 64, max 256 tokens, normalised), after a warm-up;
- ``brandfit tag`` on ``--accounts`` accounts (default 10,000), model loaded and warmed before the clock
  starts, so both rows time the work and not the start-up;
- with ``--big``: ``brandfit tag`` on 100,000 accounts, to compare peak RSS (``ru_maxrss``) with the
  10,000-account run (the goal: within 10%).

Synthetic accounts: a bio and ``--posts`` posts, sentences drawn from per-topic word lists (seeded), so
texts are varied but cheap to make. They say nothing about accuracy, only about speed and memory.

    .venv/bin/python benchmarks/bench_tag.py                      # 10k accounts, tagging's default backend (onnx)
    .venv/bin/python benchmarks/bench_tag.py --backend both --accounts 2000  # torch and onnx tag runs, their ratio
    .venv/bin/python benchmarks/bench_tag.py --backend onnx --big # also 100k accounts
    .venv/bin/python benchmarks/bench_tag.py --accounts 1000      # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

WORDS = {
    "sports_outdoor": "trail run ultra hike summit tent backpack climb crag bouldering ski snowboard surf paddle kayak "
                      "bike gravel singletrack marathon 10k pace cadence hydration vest trekking poles basecamp ridge".split(),
    "fashion": "outfit jacket denim sneakers boots heels dress thrifted vintage streetwear linen tailoring blazer "
               "handbag sunglasses jewellery capsule wardrobe layering knitwear trench loafers silhouette".split(),
    "fitness": "squat deadlift bench press reps sets PR gym mobility yoga pilates protein meal prep macros "
               "hypertrophy deload warmup kettlebell HIIT recovery sleep steps cardio".split(),
    "beauty": "skincare serum moisturiser sunscreen SPF retinol cleanser toner foundation concealer mascara "
              "lipstick eyeshadow palette blush highlighter nails manicure fragrance perfume haircare curls".split(),
    "electronics": "phone laptop tablet earbuds headphones speaker camera lens drone smartwatch monitor keyboard "
                   "GPU console firmware battery charger OLED benchmark unboxing review specs".split(),
    "other": "coffee breakfast family dog cat garden book movie playlist holiday train city weekend rain "
             "recipe pasta friends birthday museum podcast commute homework".split(),
}
GLUE = "today this week finally honestly my new the a and with for after before my favourite so much love trying".split()
PROMO = ["use code {c} for 20% off", "link in bio", "#ad", "shop now, limited stock", "thanks to {b} for gifting this"]
TOPICS = list(WORDS)


def _sentence(rng: random.Random, topic: str, n: int) -> str:
    words = [rng.choice(WORDS[topic]) if rng.random() < 0.6 else rng.choice(GLUE) for _ in range(n)]
    return " ".join(words).capitalize()


def make_accounts(n: int, posts: int, seed: int = 0):
    rng = random.Random(seed)
    for i in range(n):
        topic = rng.choice(TOPICS)
        bio = _sentence(rng, topic, rng.randint(6, 14))
        items = []
        for _ in range(posts):
            t = topic if rng.random() < 0.75 else rng.choice(TOPICS)
            text = _sentence(rng, t, rng.randint(8, 24))
            if rng.random() < 0.15:
                text += " " + rng.choice(PROMO).format(c=f"SAVE{rng.randint(10, 99)}", b="@brand")
            items.append({"text": text, "likes": rng.randint(0, 500), "comments": rng.randint(0, 40)})
        yield {"account_id": f"syn-{i:07d}", "handle": f"@user{i}", "followers": rng.randint(100, 200_000),
               "bio": bio, "posts": items}


def write_input(path: Path, n: int, posts: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for acc in make_accounts(n, posts):
            fh.write(json.dumps(acc) + "\n")


# --- what runs in the fresh subprocesses ---------------------------------------------------------
ENCODE_CHILD = r"""
import json, sys, time
from sentence_transformers import SentenceTransformer
from brandfit.embedding._torch import BATCH_SIZE, MAX_SEQ_LENGTH, packaged_model_dir
path, n = sys.argv[1], int(sys.argv[2])
texts, accounts, posts = [], 0, 0
with open(path, encoding="utf-8") as fh:
    for line in fh:
        if accounts == n:
            break
        a = json.loads(line)
        texts += [a["bio"]] + [p["text"] for p in a["posts"]]
        accounts += 1
        posts += len(a["posts"])
m = SentenceTransformer(packaged_model_dir(), device="cpu", local_files_only=True)
m.max_seq_length = MAX_SEQ_LENGTH
m.encode(texts[:256], batch_size=BATCH_SIZE, normalize_embeddings=True)
t0 = time.perf_counter()
m.encode(texts, batch_size=BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False)
print("BENCH " + json.dumps({"seconds": time.perf_counter() - t0, "accounts": accounts, "posts": posts, "texts": len(texts)}))
"""

TAG_CHILD = r"""
import json, sys, threading, time
import psutil
import brandfit
from brandfit.cli import main
inp, out, backend, chunk, engine = sys.argv[1:6]
tree_peak = [0]

def sample():  # RSS of this process and every descendant (a local Ray cluster's raylet and workers), summed
    me = psutil.Process()
    while True:
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        tree_peak[0] = max(tree_peak[0], total)
        time.sleep(0.25)

threading.Thread(target=sample, daemon=True).start()
from brandfit.settings import resolve_backend
model = brandfit.load_model("production", backend=resolve_backend(None if backend == "default" else backend))
model.analyze(["warm up the encoder"] * 8)
t0 = time.perf_counter()
rc = main(["-q", "tag", inp, "-o", out, "--brand-topic", "fitness", "--overwrite", "--no-progress",
           "--quiet-summary", "--chunk-size", chunk, "--engine", engine]
          + ([] if backend == "default" else ["--backend", backend]))
print("BENCH " + json.dumps({"seconds": time.perf_counter() - t0, "rc": rc, "tree_peak_mib": tree_peak[0] / 2**20}))
"""


def run_child(code: str, *args: str) -> tuple[dict, float]:
    """Run ``code`` in a fresh interpreter; return its BENCH record and its peak RSS in MiB."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed with status {proc.returncode}:\n{out}")
    rec = json.loads([line for line in out.splitlines() if line.startswith("BENCH ")][-1][6:])
    return rec, usage.ru_maxrss / 1024  # Linux: KiB


def count(path: Path) -> tuple[int, int]:
    accounts = posts = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            accounts += 1
            posts += len(json.loads(line)["posts"])
    return accounts, posts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=10_000, help="accounts of the main run (default 10,000)")
    p.add_argument("--big", action="store_true", help="also tag 100,000 accounts to compare peak RSS")
    p.add_argument("--big-accounts", type=int, default=100_000, help=argparse.SUPPRESS)
    p.add_argument("--backend", choices=("default", "torch", "onnx", "both"), default="default",
                   help="embedding backend of the tag runs (default: tagging's default, onnx); both: tag the main "
                        "input with torch and with onnx and print their ratio")
    p.add_argument("--posts", type=int, default=8, help="posts per account (default 8)")
    p.add_argument("--encode-accounts", type=int, default=1_000,
                   help="accounts whose texts the raw-encode baseline embeds (default 1,000)")
    p.add_argument("--chunk-size", type=int, default=512)
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="tagging engine; with ray, peak RSS is summed over the driver and the cluster's processes")
    p.add_argument("--workdir", type=Path, default=None, help="where inputs and outputs go (default: a temp folder)")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_tag-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        sizes = [args.accounts] + ([args.big_accounts] if args.big else [])
        rows = []
        for n in sizes:
            inp = work / f"accounts_{n}.jsonl"
            if not inp.exists():
                print(f"writing {n} synthetic accounts to {inp}", file=sys.stderr)
                write_input(inp, n, args.posts)
        print("raw SentenceTransformer.encode ...", file=sys.stderr)
        enc, enc_rss = run_child(ENCODE_CHILD, str(work / f"accounts_{sizes[0]}.jsonl"), str(args.encode_accounts))
        rows.append(("raw ST encode (torch)", enc["accounts"], enc["posts"], enc["seconds"], enc_rss))
        runs = [(n, args.backend) for n in sizes]
        if args.backend == "both":
            runs = [(sizes[0], "torch"), (sizes[0], "onnx")] + [(n, "onnx") for n in sizes[1:]]
        for n, backend in runs:
            inp = work / f"accounts_{n}.jsonl"
            print(f"brandfit tag ({backend}) on {n} accounts ...", file=sys.stderr)
            rec, rss = run_child(TAG_CHILD, str(inp), str(work / f"tags_{n}.parquet"), backend, str(args.chunk_size),
                                 args.engine)
            if args.engine == "ray":
                rss = rec["tree_peak_mib"]
            n_acc, n_posts = count(inp)
            rows.append((f"brandfit tag ({backend}, {args.engine})", n_acc, n_posts, rec["seconds"], rss))

    head = f"{'run':<24} {'accounts':>9} {'posts':>9} {'seconds':>9} {'accounts/s':>11} {'posts/s':>9} {'peak RSS MiB':>13}"
    print(head)
    print("-" * len(head))
    for name, acc, posts, secs, rss in rows:
        print(f"{name:<24} {acc:>9} {posts:>9} {secs:>9.1f} {acc / secs:>11.1f} {posts / secs:>9.1f} {rss:>13.0f}")
    raw_rate = rows[0][1] / rows[0][3]
    tag_rate = rows[1][1] / rows[1][3]
    print(f"\ntag / raw encode throughput (accounts/s, same texts per account): {tag_rate / raw_rate:.2f}x")
    if args.backend == "both":
        onnx_rate = rows[2][1] / rows[2][3]
        print(f"tag onnx / tag torch throughput: {onnx_rate / tag_rate:.2f}x; "
              f"peak RSS onnx / torch: {rows[2][4] / rows[1][4]:.2f}x")
        big = rows[3:]
        base = rows[2]
    else:
        big = rows[2:]
        base = rows[1]
    if big:
        ratio = big[0][4] / base[4]
        print(f"peak RSS {big[0][1]:,} / {base[1]:,} accounts: {ratio:.3f}x (goal <= 1.10)")
        if ratio > 1.10:
            print("MISSED: memory grows with the input")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
