"""What to label next (``brandfit data suggest``): uncertain, novel and diverse unlabeled texts.

For every unlabeled text the model gives topic probabilities and a promo probability. Its *uncertainty* is the
larger of the topic entropy (divided by log 6, so in [0, 1]) and the promo closeness to the threshold
(1 at the threshold, 0 at 0 or 1). Its *novelty* is the cosine distance to the nearest labeled text. Picks are
made by weighted k-center greedy: each step takes the text with the largest ``uncertainty x distance``, where
distance is to the nearest labeled *or already picked* text, so a second near-copy of a pick loses its claim.
The result is written in the labeled schema with the model's guesses, for an annotator to correct.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from brandfit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Suggestion", "uncertainty", "k_center_greedy", "mean_pairwise_cosine", "suggest", "run_suggest"]

logger = logging.getLogger(__name__)


def uncertainty(topic_proba: np.ndarray, promo_proba: np.ndarray, threshold: float) -> np.ndarray:
    """max(normalised topic entropy, promo closeness to ``threshold``), each in [0, 1]."""
    p = np.clip(topic_proba, 1e-12, 1.0)
    entropy = -(p * np.log(p)).sum(axis=1) / np.log(p.shape[1])
    span = np.where(promo_proba >= threshold, 1.0 - threshold, threshold)
    closeness = 1.0 - np.abs(promo_proba - threshold) / np.maximum(span, 1e-12)
    return np.maximum(entropy, np.clip(closeness, 0.0, 1.0))


def k_center_greedy(emb: np.ndarray, weight: np.ndarray, n: int, reference: np.ndarray | None = None) -> list[int]:
    """Indices of ``n`` rows of ``emb`` (L2-normalised) chosen one at a time by the largest
    ``weight x cosine distance to the nearest reference row or earlier pick``."""
    n = min(n, len(emb))
    dist = np.ones(len(emb))
    if reference is not None and len(reference):
        for start in range(0, len(reference), 2048):
            dist = np.minimum(dist, 1.0 - (emb @ reference[start:start + 2048].T).max(axis=1))
    dist = np.clip(dist, 0.0, 2.0)
    picked: list[int] = []
    chosen = np.zeros(len(emb), dtype=bool)
    for _ in range(n):
        gain = np.where(chosen, -np.inf, weight * dist)
        i = int(np.argmax(gain))
        picked.append(i)
        chosen[i] = True
        dist = np.minimum(dist, np.clip(1.0 - emb @ emb[i], 0.0, 2.0))
    return picked


def mean_pairwise_cosine(emb: np.ndarray) -> float:
    """Mean cosine similarity over all distinct pairs of rows (L2-normalised): lower = more diverse."""
    if len(emb) < 2:
        return float("nan")
    sims = emb @ emb.T
    n = len(emb)
    return float((sims.sum() - np.trace(sims)) / (n * (n - 1)))


@dataclass
class Suggestion:
    records: list[dict[str, Any]]  # the labeled schema, with the model's guesses
    scores: list[dict[str, float]]  # uncertainty and novelty of each pick
    diversity_picks: float  # mean pairwise cosine of the picks
    diversity_uncertain: float  # ... of the same number of most uncertain texts
    n_candidates: int


def suggest(frame: pd.DataFrame, model: Any, *, n: int = 200, labeled_texts: list[str] | None = None,
            pool: int = 0) -> Suggestion:
    """Pick ``n`` texts of ``frame`` (``id, kind, text, account_id``) to label next with ``model``."""
    from brandfit.cues import has_disclosure
    from brandfit.text import normalize
    from brandfit.topics import TOPICS

    if n < 1:
        raise InputError(f"-n: must be at least 1, got {n}")
    if labeled_texts:
        known = {normalize(t) for t in labeled_texts}
        frame = frame[[normalize(t) not in known for t in frame["text"]]].reset_index(drop=True)
    if frame.empty:
        raise InputError("no unlabeled texts left (all empty, or all already labeled)")
    analysis = model.analyze(frame["text"].tolist())
    emb = analysis.embeddings.astype(np.float64)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    unc = uncertainty(analysis.topic_proba, analysis.promo_proba, model.promo_threshold)
    candidates = np.arange(len(frame))
    if pool and pool < len(frame):
        candidates = np.argsort(-unc, kind="mergesort")[:pool]
    reference = None
    if labeled_texts:
        reference = model.embed(labeled_texts).astype(np.float64)
        reference /= np.maximum(np.linalg.norm(reference, axis=1, keepdims=True), 1e-12)
    novelty = np.ones(len(frame))
    if reference is not None:
        for start in range(0, len(reference), 2048):
            novelty = np.minimum(novelty, 1.0 - (emb @ reference[start:start + 2048].T).max(axis=1))
    local = k_center_greedy(emb[candidates], unc[candidates], n, reference)
    picks = candidates[local]
    by_uncertainty = np.argsort(-unc, kind="mergesort")[: len(picks)]
    records, scores = [], []
    for i in picks:
        row = frame.iloc[int(i)]
        records.append({
            "id": str(row["id"]), "kind": row["kind"], "text": row["text"],
            "topic": TOPICS[int(analysis.topic_proba[i].argmax())],
            "promo": bool(analysis.promo_proba[i] >= model.promo_threshold),
            "disclosed": bool(has_disclosure(analysis.cues[i])),
            "account_id": row["account_id"] if isinstance(row["account_id"], str) else None,
        })
        scores.append({"uncertainty": float(unc[i]), "novelty": float(novelty[i]),
                       "topic_p": float(analysis.topic_proba[i].max()), "promo_p": float(analysis.promo_proba[i])})
    return Suggestion(records, scores, mean_pairwise_cosine(emb[picks]), mean_pairwise_cosine(emb[by_uncertainty]),
                      len(candidates))


def _table(headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    cells = [list(headers)] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)


DEFAULT_LABELED = "data/labeled/texts"


def labeled_set_path(given: str | None) -> str | None:
    """The labeled texts novelty is measured against: ``given`` (a texts file or folder, or a labeled folder holding
    ``texts/``), ``None`` for ``"none"``; when not given, ``data/labeled/texts`` under the current folder. A path
    that does not exist is an error, not a silent skip (every novelty would read 1.00)."""
    from brandfit.data.check import is_labeled_folder
    from brandfit.errors import MissingFileError

    if given is not None and given.strip().lower() == "none":
        return None
    path = given if given is not None else DEFAULT_LABELED
    if not Path(path).exists():
        if given is None:
            raise MissingFileError(
                f"no labeled set found: the default {DEFAULT_LABELED} does not exist under {Path.cwd()}. Novelty "
                "(distance to what is labeled already) needs it: pass --labeled PATH (texts file or folder, or a "
                "labeled folder with texts/), or --labeled none to pick on uncertainty and diversity alone")
        raise MissingFileError(f"--labeled {given}: no such file or folder (or --labeled none to pick without a "
                               "labeled set)")
    if is_labeled_folder(path) and (Path(path) / "texts").is_dir():
        return str(Path(path) / "texts")
    return path


def run_suggest(args: argparse.Namespace) -> int:
    """``brandfit data suggest``."""
    from brandfit.data import load_labeled
    from brandfit.data.unlabeled import read_texts
    from brandfit.model import load_model

    labeled_path = labeled_set_path(args.labeled)  # before any work: a missing labeled set is an error
    frame = read_texts(args.unlabeled)
    labeled_texts: list[str] | None = None
    if labeled_path is not None:
        labeled = load_labeled(labeled_path)
        labeled_texts = labeled.frame["text"].tolist()
        if not labeled_texts:
            raise InputError(f"--labeled {labeled_path}: no labeled text in it, so novelty would be 1.00 for every "
                             "pick; give the labeled set, or --labeled none to pick without it")
    model = load_model(args.model, args.registry, backend=args.backend)
    result = suggest(frame, model, n=args.n, labeled_texts=labeled_texts, pool=args.pool)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        for record in result.records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    from collections import Counter

    n = len(result.records)
    print(f"picked {n} of {result.n_candidates} unlabeled text{'s' if result.n_candidates != 1 else ''} with "
          f"{model.version} (weighted k-center greedy over uncertainty x distance to the labeled set)")
    print(f"mean pairwise cosine of the picks: {result.diversity_picks:.3f}; of the top {n} by uncertainty alone: "
          f"{result.diversity_uncertain:.3f} (lower = more diverse)")
    mean = {k: float(np.mean([s[k] for s in result.scores])) for k in ("uncertainty", "novelty")}
    if labeled_texts is None:
        print(f"mean uncertainty {mean['uncertainty']:.3f}; no labeled set (--labeled none): novelty is 1.00 for "
              "every pick")
    else:
        print(f"mean uncertainty {mean['uncertainty']:.3f}, mean distance to the labeled set {mean['novelty']:.3f} "
              f"({len(labeled_texts)} labeled texts in {labeled_path})")
    guesses = Counter(r["topic"] for r in result.records)
    print("model's topic guesses: " + ", ".join(f"{t} {c}" for t, c in guesses.most_common()))
    promo = sum(r["promo"] for r in result.records)
    print(f"model's promo guesses: {promo} promo, {n - promo} not")
    rows = [(r["id"], r["kind"], r["topic"], f"{s['topic_p']:.2f}", f"{s['promo_p']:.2f}", f"{s['uncertainty']:.2f}",
             f"{s['novelty']:.2f}") for r, s in list(zip(result.records, result.scores))[:10]]
    print(_table(("ID", "KIND", "GUESS", "P(TOPIC)", "P(PROMO)", "UNCERTAINTY", "NOVELTY"), rows))
    print(f"wrote {out} (labeled schema; topic/promo/disclosed are the model's guesses: correct them)")
    return 0
