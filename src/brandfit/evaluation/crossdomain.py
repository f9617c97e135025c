"""Cross-domain evaluation on public corpora we did not write: per source and pooled.

Works for any *scorer* with ``topic_proba(texts) -> DataFrame`` (six topic columns),
``promo_proba(texts) -> ndarray`` and ``promo_threshold`` — the shipped model and the baselines.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol, Sequence

import numpy as np
import pandas as pd

from brandfit.evaluation.metrics import promo_report
from brandfit.topics import TOPICS

logger = logging.getLogger(__name__)

__all__ = ["Scorer", "evaluate_public", "format_public_table"]


class Scorer(Protocol):
    promo_threshold: float

    def topic_proba(self, texts: Sequence[str]) -> pd.DataFrame: ...

    def promo_proba(self, texts: Sequence[str]) -> np.ndarray: ...


def _topic_block(df: pd.DataFrame, proba: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import average_precision_score

    y = df["topic"].to_numpy()
    per_topic = {}
    for i, t in enumerate(TOPICS):
        pos = y == t
        if pos.any() and (~pos).any():
            per_topic[t] = float(average_precision_score(pos, proba[:, i]))
    top1 = np.array(TOPICS)[proba.argmax(axis=1)]
    return {
        "n": int(len(df)),
        "per_topic_ap": per_topic,
        "macro_ap": float(np.mean(list(per_topic.values()))) if per_topic else float("nan"),
        "top1_accuracy": float((top1 == y).mean()),
    }


def evaluate_public(scorer: Scorer, corpora: pd.DataFrame) -> dict[str, Any]:
    """Per-source and pooled topic AP / macro AP / top-1 accuracy and promo AP / F1 for ``scorer``.

    Returns ``{}`` when ``corpora`` is empty (public data absent).
    """
    if corpora.empty:
        return {}
    out: dict[str, Any] = {"sources": {}}
    topic_df = corpora[corpora["topic"].notna()].reset_index(drop=True)
    promo_df = corpora[corpora["promo"].notna()].reset_index(drop=True)
    if len(topic_df):
        tp = scorer.topic_proba(topic_df["text"].tolist()).to_numpy()
        for src, idx in topic_df.groupby("source").indices.items():
            out["sources"].setdefault(src, {})["topic"] = _topic_block(topic_df.iloc[idx], tp[idx])
        out["pooled_topic"] = _topic_block(topic_df, tp)
    if len(promo_df):
        pp = np.asarray(scorer.promo_proba(promo_df["text"].tolist()))
        y = promo_df["promo"].astype(bool).to_numpy()
        for src, idx in promo_df.groupby("source").indices.items():
            out["sources"].setdefault(src, {})["promo"] = promo_report(y[idx], pp[idx], scorer.promo_threshold)
        out["pooled_promo"] = promo_report(y, pp, scorer.promo_threshold)
    return out


def format_public_table(results: dict[str, dict[str, Any]]) -> str:
    """A Markdown table: one row per (scorer, source), topic and promo figures side by side."""
    lines = [
        "| scorer | source | n | topic macro AP | top-1 acc | promo AP | promo F1 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]

    def f(v: Any) -> str:
        return "–" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.3f}"

    for name, res in results.items():
        if not res:
            continue
        rows = [(src, blk) for src, blk in sorted(res["sources"].items())]
        rows.append(("POOLED", {"topic": res.get("pooled_topic"), "promo": res.get("pooled_promo")}))
        for src, blk in rows:
            t, p = blk.get("topic") or {}, blk.get("promo") or {}
            n = (t.get("n") or 0) + (p.get("n") or 0)
            lines.append(
                f"| {name} | {src} | {n} | {f(t.get('macro_ap'))} | {f(t.get('top1_accuracy'))} | "
                f"{f(p.get('ap'))} | {f(p.get('f1'))} |"
            )
    return "\n".join(lines)
