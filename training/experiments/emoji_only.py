"""Stress test of emoji handling: our labeled texts reduced to their emoji alone (at least two), topic by
zero-shot cosine to the topic descriptions and by the production topic head trained LOSO-style without `ours`,
with emoji as words (normalisation v2) vs as characters (v1, [UNK] for MiniLM).

    PYTHONPATH=src python training/experiments/emoji_only.py
"""

from __future__ import annotations

import logging

import emoji
import numpy as np

from brandfit.evaluation import loso
from brandfit.text import normalize
from brandfit.topics import TOPICS


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    from brandfit.embedding import get_embedder

    emb = get_embedder("onnx")
    frame = loso.load_sources()
    d = loso.build_data(frame, emb)
    ours = frame[frame["source"] == "ours"]
    texts, ys = [], []
    for t, topic in zip(ours["text"], ours["topic"]):
        e = [m["emoji"] for m in emoji.emoji_list(t)]
        if len(set(e)) >= 2:
            texts.append(" ".join(e))
            ys.append(TOPICS.index(topic))
    y = np.array(ys)
    src = d.frame["source"].to_numpy()
    rows = np.flatnonzero(d.frame["topic"].notna().to_numpy() & (src != "ours") & ~d.frame["augmented"].to_numpy())
    print(f"{len(texts)} texts of ours reduced to their emoji (>= 2 distinct)")
    print("| variant | zero-shot macro AP / top-1 | production head (trained without ours) macro AP / top-1 |")
    print("|---|---:|---:|")
    for v in ("raw", "emoji"):
        e = emb.encode([normalize(t, emoji_words=(v == "emoji")) for t in texts], show_progress_bar=False)
        zs = loso._topic_metrics(y, loso._softmax(d.sims_of(e) / 0.05))
        predict = loso.fit_topic_model(d, rows, loso.source_weights(src[rows]), variant=v, description_weight=3.0,
                                       prior_weight=1.0, temperature=True, balanced=False)
        pr = loso._topic_metrics(y, predict(e))
        print(f"| {v} | {zs['macro_ap']:.3f} / {zs['top1']:.3f} | {pr['macro_ap']:.3f} / {pr['top1']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
