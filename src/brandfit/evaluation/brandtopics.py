"""Brand topics in words, evaluated on real sub-topics (see :func:`brandfit.evaluation.public.subtopic_tasks`).

For each source (Amazon sub-categories, Reddit cycling / climbing / yoga, YouTube categories) every sub-topic is a
brand topic described by its name; all texts of the source form the pool to rank. The texts' built-in topic
probabilities come from a topic head trained WITHOUT that source (leave-one-source-out), so nothing is tuned on
the texts being ranked. AP per brand topic, averaged per source; :func:`brandfit.brand.brand_score` with
``vertical=0, contrast=0`` is plain cosine-to-the-words. The Platt calibration of each source is fitted on the
other sources' brand topics, and its ECE reported on the source itself.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

import numpy as np
import pandas as pd

from brandfit.brand import (BRAND_EXAMPLE_WEIGHT, brand_score, brand_topic_proba, fit_calibration,
                           other_topic_descriptions, stand_in_examples)
from brandfit.evaluation.loso import LosoData, binary_ece, embed_cached, fit_topic_model, source_weights
from brandfit.features import embed_phrases
from brandfit.topics import TOPIC_DESCRIPTIONS, TOPICS

logger = logging.getLogger(__name__)

__all__ = ["SETTINGS", "evaluate_brand_topics", "format_brand_table"]

# the built-in sources each brand-evaluation source must not be trained on
_EXCLUDE = {
    "amazon_subcategories": ("amazon_in_products_2023",),
    "reddit_cycling_climbing_yoga": ("reddit_cycling_mtb_velo", "reddit_climbing_yoga"),
    "yt_categories": ("yt_trending_us_2017",),
}
# each setting: brand.brand_score's arguments, plus "framed": the brand's words and the topic descriptions embedded
# framed as posts (LosoData.desc_templates: brandfit.topics.PHRASE_TEMPLATES, as relevance@9 on does) instead of as
# written; "lexical" weighs the n-gram cosine to the words (idf of the rows the topic head is fitted on, as a
# model's lexical head holds it; relevance@12 on); "expand": that many of our texts the topic head is fitted on,
# nearest the words, stand in as example posts (brandfit.brand.stand_in_examples; relevance@70 on)
SETTINGS: dict[str, dict[str, Any]] = {
    "cosine": {"vertical": 0.0, "contrast": 0.0},
    "cosine framed": {"vertical": 0.0, "contrast": 0.0, "framed": True},
    "contrast0.5 framed": {"vertical": 0.0, "contrast": 0.5, "framed": True},
    "contrast0.5 framed lexical0.5": {"vertical": 0.0, "contrast": 0.5, "framed": True, "lexical": 0.5},
    "contrast0.5 framed lexical0.5 expand10": {"vertical": 0.0, "contrast": 0.5, "framed": True, "lexical": 0.5,
                                               "expand": 10},
    "vertical0.05": {"vertical": 0.05, "contrast": 0.0},
    "contrast0.3": {"vertical": 0.0, "contrast": 0.3},
    "contrast0.5": {"vertical": 0.0, "contrast": 0.5},
    "contrast0.8": {"vertical": 0.0, "contrast": 0.8},
    "mean1.0": {"vertical": 0.0, "contrast": 1.0, "negative_reduce": "mean"},
    "vertical0.02_contrast0.5": {"vertical": 0.02, "contrast": 0.5},
}


def evaluate_brand_topics(d: LosoData, tasks: dict[str, pd.DataFrame], embedder: Any, *,
                          topic_params: dict[str, Any], settings: dict[str, dict[str, Any]] = SETTINGS,
                          brand_only: Callable[[str, str], bool] | None = None,
                          stored_texts: set[str] | None = None) -> pd.DataFrame:
    """One row per (source, setting): mean AP over the source's brand topics, n topics, ECE after calibration.
    ``stored_texts``: the texts of ours a model would store as neighbours (its train split), from which a setting
    with ``expand`` borrows stand-in examples (pass them capped as training caps them); None = every text of ours
    the topic head is fitted on."""
    from sklearn.metrics import average_precision_score

    from brandfit.lexical import document_frequency, idf_from, similarity
    from brandfit.text import normalize

    src = d.frame["source"].to_numpy()
    has = d.frame["topic"].notna().to_numpy()
    # the descriptions as written (d.desc_emb holds them framed, as production embeds them)
    desc_plain = embedder.encode([x for t in TOPICS for x in TOPIC_DESCRIPTIONS[t]], show_progress_bar=False)
    scores: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = {}
    rows = []
    for source, df in tasks.items():
        rows_fit = np.flatnonzero(has & ~np.isin(src, _EXCLUDE.get(source, ())))
        predict = fit_topic_model(d, rows_fit, source_weights(src[rows_fit]), **topic_params)
        norm = [normalize(t) for t in df["text"]]
        emb = embed_cached(norm, embedder, tag=f"brand-{source}")
        p = predict(emb)
        topics = [t for t in dict.fromkeys(df["subtopic"]) if brand_only is None or brand_only(source, t)]
        words = dict(zip(df["subtopic"], df["words"]))
        idf = idf_from(*document_frequency([d.norm["emoji"][i] for i in rows_fit]))
        lex = similarity(norm, [normalize(words[t]) for t in topics], idf=idf)  # (texts, topics)
        # the brand's words normalised like any text, as the pipeline embeds them; framed like d.desc_emb
        encode = lambda x: embedder.encode([normalize(t) for t in x], show_progress_bar=False)  # noqa: E731
        w_plain = embed_phrases(encode, [words[t] for t in topics], ("{}",))
        w_framed = embed_phrases(encode, [words[t] for t in topics], d.desc_templates)
        q_plain, q_framed = predict(w_plain), predict(w_framed)
        ours = rows_fit[src[rows_fit] == "ours"]  # the texts a model stores as neighbours (ours, never public)
        if stored_texts is not None:
            ours = ours[np.isin(d.frame["text"].to_numpy()[ours], list(stored_texts))]
        bank = d.emb["emoji"][ours]  # gathered once per source, not once per brand topic and setting
        for name, setting in settings.items():
            s = {k: v for k, v in setting.items() if k not in ("framed", "expand")}
            expand = int(setting.get("expand", 0))
            framed = bool(setting.get("framed"))
            w_emb, q_all, desc = (w_framed, q_framed, d.desc_emb) if framed else (w_plain, q_plain, desc_plain)
            aps = []
            for i, t in enumerate(topics):
                y = (df["subtopic"] == t).to_numpy()
                negatives = other_topic_descriptions(desc, d.desc_topic, q_all[i])
                stand_in = stand_in_examples(w_emb[i], bank, expand) if expand else None
                z = brand_score(emb, w_emb[i], p, brand_topic_proba(q_all[i]), negative_emb=negatives,
                                lexical_sim=lex[:, i], example_emb=stand_in, example_weight=BRAND_EXAMPLE_WEIGHT, **s)
                aps.append(average_precision_score(y, z))
                scores.setdefault((source, name), []).append((z, y))
            rows.append({"source": source, "setting": name, "n_topics": len(topics), "n_texts": len(df),
                         "mean_ap": float(np.mean(aps))})
    out = pd.DataFrame(rows)
    # calibration: (a, b) fitted on the other sources' brand topics, ECE on this one
    eces = []
    for _, r in out.iterrows():
        others = [zy for (s, n), v in scores.items() if n == r["setting"] and s != r["source"] for zy in v]
        a, b = fit_calibration([z for z, _ in others], [y for _, y in others])
        mine = scores[(r["source"], r["setting"])]
        z = np.concatenate([z for z, _ in mine])
        y = np.concatenate([y for _, y in mine])
        eces.append(binary_ece(y, 1 / (1 + np.exp(-np.clip(a * z + b, -50, 50)))))
    out["ece"] = eces
    return out


def format_brand_table(res: pd.DataFrame) -> str:
    settings = list(dict.fromkeys(res["setting"]))
    lines = ["| source | brand topics | " + " | ".join(settings) + " |", "|---|---:|" + "---:|" * len(settings)]
    for source, g in res.groupby("source", sort=False):
        cells = [f"{g[g.setting == s]['mean_ap'].iloc[0]:.3f}" for s in settings]
        lines.append(f"| {source} | {int(g['n_topics'].iloc[0])} | " + " | ".join(cells) + " |")
    mean = res.groupby("setting", sort=False)["mean_ap"].mean()
    lines.append("| **mean** | | " + " | ".join(f"{mean[s]:.3f}" for s in settings) + " |")
    return "\n".join(lines)

