"""``brandfit evaluate``: held-out metrics, a Markdown report and PNG plots for one model version."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from brandfit.evaluation.metrics import promo_report, topic_report
from brandfit.topics import TOPICS

logger = logging.getLogger(__name__)

__all__ = ["evaluate_frame", "write_report"]


def evaluate_frame(model: Any, frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Metrics on labeled ``frame`` (``text``, ``topic``, ``promo``) and the raw scores for plots."""
    a = model.analyze(frame["text"].tolist())
    y_promo = frame["promo"].to_numpy(dtype=bool)
    metrics = {
        "topic": topic_report(frame["topic"].tolist(), a.topic_proba),
        "promo": promo_report(y_promo, a.promo_proba, model.promo_threshold),
    }
    raw = {"topic_proba": a.topic_proba, "y_topic": np.array([TOPICS.index(t) for t in frame["topic"]]),
           "promo_proba": a.promo_proba, "y_promo": y_promo}
    return metrics, raw


def _plots(out: Path, metrics: dict[str, Any], raw: dict[str, np.ndarray]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return [_plot_confusion(out, metrics, plt), _plot_reliability(out, metrics, raw, plt),
            _plot_pr_curves(out, metrics, raw, plt)]


def _plot_confusion(out: Path, metrics: dict[str, Any], plt: Any) -> str:
    """Draw the topic confusion matrix into ``out``; return the file name."""
    cm = np.array(metrics["topic"]["confusion"])
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(TOPICS)), TOPICS, rotation=45, ha="right")
    ax.set_yticks(range(len(TOPICS)), TOPICS)
    for i in range(len(TOPICS)):
        for j in range(len(TOPICS)):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Topic confusion matrix")
    fig.tight_layout()
    fig.savefig(out / "confusion.png", dpi=110)
    plt.close(fig)
    return "confusion.png"


def _plot_reliability(out: Path, metrics: dict[str, Any], raw: dict[str, np.ndarray], plt: Any) -> str:
    """Draw the topic reliability diagram into ``out``; return the file name."""
    proba, y = raw["topic_proba"], raw["y_topic"]
    conf, correct = proba.max(axis=1), proba.argmax(axis=1) == y
    bins = np.linspace(0, 1, 11)
    idx = np.clip(np.digitize(conf, bins) - 1, 0, 9)
    xs, ys = [], []
    for b in range(10):
        m = idx == b
        if m.any():
            xs.append(conf[m].mean())
            ys.append(correct[m].mean())
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey")
    ax.plot(xs, ys, "o-")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(f"Reliability (ECE {metrics['topic']['ece']:.3f})")
    fig.tight_layout()
    fig.savefig(out / "reliability.png", dpi=110)
    plt.close(fig)
    return "reliability.png"


def _plot_pr_curves(out: Path, metrics: dict[str, Any], raw: dict[str, np.ndarray], plt: Any) -> str:
    """Draw the per-topic and promo precision-recall curves into ``out``; return the file name."""
    from sklearn.metrics import precision_recall_curve

    proba, y = raw["topic_proba"], raw["y_topic"]
    fig, ax = plt.subplots(figsize=(6, 5))
    for i, t in enumerate(TOPICS):
        pos = y == i
        if pos.any() and (~pos).any():
            p, r, _ = precision_recall_curve(pos, proba[:, i])
            ax.plot(r, p, label=f"{t} (AP {metrics['topic']['per_topic'][t]['ap']:.2f})")
    if raw["y_promo"].any() and (~raw["y_promo"]).any():
        p, r, _ = precision_recall_curve(raw["y_promo"], raw["promo_proba"])
        ax.plot(r, p, "k--", label=f"promo (AP {metrics['promo']['ap']:.2f})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("Precision-recall")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "pr_curves.png", dpi=110)
    plt.close(fig)
    return "pr_curves.png"


def write_report(out: Path, version: str, data_desc: str, metrics: dict[str, Any], raw: dict[str, np.ndarray],
                 *, warnings: Sequence[str] = ()) -> Path:
    """Write ``report.md``, ``metrics.json`` and the PNG plots into ``out``; return the report path. ``warnings``
    (the data overlaps the training rows, too few texts, ...) are written under the data line."""
    out.mkdir(parents=True, exist_ok=True)
    plots = _plots(out, metrics, raw)
    t, p = metrics["topic"], metrics["promo"]
    lines = [
        f"# Evaluation of `{version}`",
        "",
        f"Data: {data_desc} ({t['n']} texts).",
        "",
        *[f"> **Warning:** {w}\n" for w in warnings],
        "## Topic",
        "",
        f"accuracy {t['accuracy']:.3f} · macro precision {t['macro_precision']:.3f} · macro recall "
        f"{t['macro_recall']:.3f} · macro F1 {t['macro_f1']:.3f} · macro AP {t['macro_ap']:.3f} · ECE {t['ece']:.3f}",
        "",
        "| topic | precision | recall | F1 | AP | support |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for topic, m in t["per_topic"].items():
        lines.append(f"| {topic} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['ap']:.3f} | {m['support']} |")
    lines += ["", "Confusion matrix (rows true, columns predicted):", "", "| | " + " | ".join(TOPICS) + " |",
              "|---|" + "---:|" * len(TOPICS)]
    for topic, row in zip(TOPICS, t["confusion"]):
        lines.append(f"| {topic} | " + " | ".join(str(v) for v in row) + " |")
    lines += [
        "",
        "## Advertorial tone",
        "",
        f"threshold {p['threshold']:.3f} · precision {p['precision']:.3f} · recall {p['recall']:.3f} · "
        f"F1 {p['f1']:.3f} · AP {p['ap']:.3f} ({p['positives']} promotional of {p['n']})",
        "",
        "## Plots",
        "",
    ]
    lines += [f"![{f}]({f})" for f in plots]
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
