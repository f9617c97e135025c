"""Score a brand probe: brands described in words, each ranking one pool of posts, with registry models.

    PYTHONPATH=src python training/experiments/brand_probe.py BRANDS.jsonl POOL.jsonl production [REF ...]
        [--grid] [--misses]

``BRANDS.jsonl`` holds ``{"brand_id", "vertical", "words"}`` rows (the words a brand manager would type);
``POOL.jsonl`` holds ``{"text", "brand_id" (or null), "vertical", "kind"}`` rows: posts that fit one brand (``kind``
"fit"; their vertical is their brand's), posts of the same verticals' other sub-topics ("sibling", with their
``vertical``) and everyday posts ("everyday", vertical ``other``). Both are written blind by
someone who read nothing of the project and are not kept in the repository: once read, a probe is no longer blind.

For each model it ranks the whole pool for each brand with the brand score the pipeline ships
(:meth:`brandfit.pipeline.Pipeline.brand_relevance`) and prints the mean AP over brands, per vertical, and against
the closest negatives only (fit posts of the brand against its vertical's other posts: siblings and the other
brands' fit posts). With ``--grid``, the same for other weights of :func:`brandfit.brand.brand_score` (cosine to
the words alone, contrast and n-grams on and off, the vertical term, no stored texts borrowed as examples), the
ablations docs/quality.md reports. From ``relevance@70`` on, every ablation but "cosine to the words" keeps the
model's stand-in examples, so its rows differ from the tables of earlier models. With
``--misses``, each brand's fit posts ranked below its 20th best negative.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from brandfit.topics import TOPICS

GRID = {
    "cosine to the words": {"contrast": 0.0, "lexical": 0.0, "vertical": 0.0, "expand": 0},
    "contrast 0.5, no n-grams": {"contrast": 0.5, "lexical": 0.0, "vertical": 0.0},
    "n-grams 0.5, no contrast": {"contrast": 0.0, "lexical": 0.5, "vertical": 0.0},
    "+ vertical 0.05": {"vertical": 0.05},
    "+ vertical 0.1": {"vertical": 0.1},
    "no stand-in examples": {"expand": 0},  # brand.expand (relevance@70 on): none of the stored texts borrowed
}


def _rows(path: Path) -> list[dict]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{n}: not JSON ({e.msg})") from None
    return out


def read_probe(brands_path: Path, pool_path: Path) -> tuple[list[dict], list[dict]]:
    """The brands and the pool; a row missing a field, an unknown vertical or a brand id the brands do not hold
    stops the run with its file and line number."""
    brands = _rows(brands_path)
    ids = set()
    for n, b in enumerate(brands, 1):
        bid = b.get("brand_id")
        if (not isinstance(bid, str) or not bid.strip() or not isinstance(b.get("words"), str)
                or not b["words"].strip() or b.get("vertical") not in TOPICS):
            raise SystemExit(f"{brands_path}:{n}: a brand needs a brand_id, words and a vertical in "
                             f"{', '.join(TOPICS)}")
        if bid in ids:
            raise SystemExit(f"{brands_path}:{n}: brand_id {bid!r} is given twice")
        ids.add(bid)
    pool = _rows(pool_path)
    for n, p in enumerate(pool, 1):
        if not isinstance(p.get("text"), str) or not p["text"].strip():
            raise SystemExit(f"{pool_path}:{n}: a pool row needs a text")
        if p.get("brand_id") is not None and p["brand_id"] not in ids:
            raise SystemExit(f"{pool_path}:{n}: brand_id {p['brand_id']!r} is not in {brands_path.name}")
        if p.get("brand_id") is None and p.get("vertical") not in TOPICS:
            raise SystemExit(f"{pool_path}:{n}: a post that fits no brand needs a vertical in {', '.join(TOPICS)}")
    if not any(p.get("brand_id") is not None for p in pool):
        raise SystemExit(f"{pool_path}: no post fits a brand, so there is nothing to rank")
    return brands, pool


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float:
    """AP of ranking ``scores`` (higher first) for the ``positive`` rows (ties broken by row order)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    hits = np.asarray(positive, dtype=bool)[order]
    if not hits.any():
        return float("nan")
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision[hits].mean())


def summarise(scores: dict[str, np.ndarray], brands: list[dict], pool: list[dict]) -> dict[str, float]:
    """``{"all": mean AP over brands, "close": mean AP against the brand's own vertical only, vertical: ...}``."""
    brand_vertical = {b["brand_id"]: b["vertical"] for b in brands}
    owner = [p.get("brand_id") for p in pool]
    vertical = [brand_vertical.get(o) if o is not None else p.get("vertical") for o, p in zip(owner, pool)]
    per, close = defaultdict(list), []
    for b in brands:
        bid, s = b["brand_id"], scores[b["brand_id"]]
        pos = np.array([o == bid for o in owner])
        if not pos.any():
            continue
        ap = average_precision(s, pos)
        per["all"].append(ap)
        per[b["vertical"]].append(ap)
        same = np.array([v == b["vertical"] for v in vertical]) | pos
        close.append(average_precision(s[same], pos[same]))
    out = {k: float(np.mean(v)) for k, v in per.items()}
    out["close"] = float(np.mean(close)) if close else float("nan")
    return out


def score_model(ref: str, brands: list[dict], pool: list[dict], grid: bool) -> dict[str, dict[str, np.ndarray]]:
    """``{setting: {brand_id: scores over the pool}}`` for one registry model: the shipped setting, and with
    ``grid`` the ablations of :data:`GRID`."""
    from brandfit import load_model
    from brandfit.account import BrandTopic
    from brandfit.brand import brand_score
    from brandfit.pipeline import Pipeline

    model = load_model(ref)
    texts = [p["text"] for p in pool]
    pipe = Pipeline(model)
    analysis = model.analyze(texts, show_progress_bar=False)
    settings = {"shipped": {}}
    if grid and model.config.get("brand") is not None:  # models before relevance@9 score by plain cosine
        settings.update(GRID)
    grid = len(settings) > 1
    out: dict[str, dict[str, np.ndarray]] = {name: {} for name in settings}
    for b in brands:
        brand = BrandTopic(b["brand_id"], b["words"])
        out["shipped"][b["brand_id"]] = pipe.brand_relevance(analysis, brand, texts)
        if grid:
            args = pipe.brand_arguments(analysis, brand, texts)
            for name, change in GRID.items():
                change = dict(change)
                a = pipe.brand_arguments(analysis, brand, texts, expand=change.pop("expand")) if "expand" in change \
                    else args
                out[name][b["brand_id"]] = brand_score(**a, **{**model.brand_settings, **change})
    return out


def misses(scores: dict[str, np.ndarray], brands: list[dict], pool: list[dict], depth: int = 20) -> list[str]:
    """Each brand's fit posts that rank below its ``depth``-th best negative."""
    lines = []
    for b in brands:
        s = scores[b["brand_id"]]
        pos = np.array([p.get("brand_id") == b["brand_id"] for p in pool])
        if not pos.any() or pos.all():
            continue
        bar = np.sort(s[~pos])[::-1][min(depth, (~pos).sum()) - 1]
        for i in np.flatnonzero(pos & (s < bar)):
            lines.append(f"  miss [{b['brand_id']} {b['words'][:40]}] {s[i]:.3f} < {bar:.3f}: {pool[i]['text']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("brands", type=Path)
    ap.add_argument("pool", type=Path)
    ap.add_argument("refs", nargs="+", help="registry versions, e.g. production relevance@66")
    ap.add_argument("--grid", action="store_true", help="also score the ablations of the brand score")
    ap.add_argument("--misses", action="store_true", help="list each brand's fit posts ranked below 20 negatives")
    args = ap.parse_args(argv)
    brands, pool = read_probe(args.brands, args.pool)
    verticals = [t for t in TOPICS if any(b["vertical"] == t for b in brands)]
    for ref in args.refs:
        for name, scores in score_model(ref, brands, pool, args.grid).items():
            s = summarise(scores, brands, pool)
            cells = "  ".join(f"{v} {s[v]:.3f}" for v in verticals if v in s)  # a vertical with no fit posts
            print(f"{ref} {name}: mean AP {s['all']:.3f}  close {s['close']:.3f}  {cells}")
            if args.misses and name == "shipped":
                for line in misses(scores, brands, pool):
                    print(line)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
