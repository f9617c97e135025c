"""Brand topics given as words *and example posts*: how should the examples be used? AP per source.

    PYTHONPATH=src python training/experiments/brand_examples.py [--k 3 --k 5] [--seeds 3]

A brand often describes its topic with a few example posts as well as words. brand_eval.py measures words only.
Here every real sub-topic (Amazon sub-categories, Reddit cycling / climbing / yoga, YouTube categories; see
``brandfit.evaluation.public.subtopic_tasks``) gets its name plus ``k`` of its own texts as examples; those
``k`` texts leave the pool being ranked. Scorings of the pool compared (all minus 0.5 x the best cosine to the
other built-in topics' descriptions, as shipped; ``--lexical W`` adds W x the n-gram cosine to the words, raised
to the mean n-gram cosine to the examples where that is higher, as ``relevance@12`` does with 0.5):

- ``words``: the name alone (what brand_eval measures), for reference;
- ``max``: the highest cosine to any brand row (name or example): what ``brandfit.brand`` does today;
- ``centroid``: the cosine to the normalised mean of the brand rows;
- ``max+centroid``: the mean of the two;
- ``top2``: the mean of the two highest cosines to brand rows;
- ``words+examples centroid``: the mean of the cosine to the words and the cosine to the examples' centroid;
- ``max(words, words+examples centroid)``: the higher of the words' cosine and that mean, so examples can only
  raise a text's score above what the words alone give (the calibration is fitted on words alone).

Public corpora are read at run time from ../shared/datasets (never copied); without them it says so and exits.
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd

from brandfit.brand import other_topic_descriptions
from brandfit.evaluation import loso
from brandfit.evaluation.brandtopics import _EXCLUDE
from brandfit.evaluation.loso import embed_cached, fit_topic_model, source_weights
from brandfit.evaluation.public import available, subtopic_tasks
from brandfit.features import embed_phrases
from brandfit.lexical import document_frequency, idf_from, similarity

TOPIC_PARAMS = {"description_weight": 3.0, "prior_weight": 1.0, "temperature": True, "balanced": False}
CONTRAST = 0.5


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def scorings(emb: np.ndarray, words: np.ndarray, examples: np.ndarray) -> dict[str, np.ndarray]:
    rows = np.vstack([words[None, :], examples]) if len(examples) else words[None, :]
    cos = emb @ rows.T
    top = np.sort(cos, axis=1)[:, ::-1]
    cen = emb @ _unit(rows.mean(axis=0))
    out = {"words": emb @ words, "max": top[:, 0], "centroid": cen, "max+centroid": 0.5 * (top[:, 0] + cen)}
    out["top2"] = top[:, :2].mean(axis=1) if rows.shape[0] >= 2 else top[:, 0]
    if len(examples):
        out["words+examples centroid"] = 0.5 * (emb @ words + emb @ _unit(examples.mean(axis=0)))
        out["max(words, words+examples centroid)"] = np.maximum(emb @ words, out["words+examples centroid"])
    return out


def main(argv: list[str] | None = None) -> int:
    from sklearn.metrics import average_precision_score

    from brandfit.text import normalize

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, action="append", help="examples per brand topic (repeatable; default 3, 5)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--lexical", type=float, default=0.0,
                    help="add this x the n-gram cosine between a text and the brand's words (relevance@12: 0.5)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    ks = args.k or [3, 5]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not available():
        print("public corpora not found (../shared/datasets or $BRANDFIT_PUBLIC_DATA): nothing to evaluate")
        return 1
    from brandfit.embedding import get_embedder

    embedder = get_embedder("onnx")
    d = loso.build_data(loso.load_sources(), embedder, variants=("emoji",))
    src = d.frame["source"].to_numpy()
    has = d.frame["topic"].notna().to_numpy()
    rows = []
    for source, df in subtopic_tasks().items():
        fit_rows = np.flatnonzero(has & ~np.isin(src, _EXCLUDE.get(source, ())))
        predict = fit_topic_model(d, fit_rows, source_weights(src[fit_rows]), **TOPIC_PARAMS)
        norm = [normalize(t) for t in df["text"]]
        emb = embed_cached(norm, embedder, tag=f"brand-{source}")
        topics = list(dict.fromkeys(df["subtopic"]))
        names = dict(zip(df["subtopic"], df["words"]))
        # the words framed as posts, as production embeds them (the descriptions in d.desc_emb are framed too)
        w_emb = embed_phrases(lambda x: embedder.encode([normalize(t) for t in x], show_progress_bar=False),
                              [names[t] for t in topics], d.desc_templates)
        q_all = predict(w_emb)
        idf = idf_from(*document_frequency([d.norm["emoji"][i] for i in fit_rows]))
        lex = similarity(norm, [normalize(names[t]) for t in topics], idf=idf)
        labels = df["subtopic"].to_numpy()
        for k in ks:
            for seed in range(args.seeds):
                rng = np.random.default_rng(seed)
                aps: dict[str, list[float]] = {}
                for i, t in enumerate(topics):
                    own = np.flatnonzero(labels == t)
                    ex = rng.choice(own, size=min(k, len(own) - 1), replace=False)
                    keep = np.setdiff1d(np.arange(len(df)), ex)
                    neg = other_topic_descriptions(d.desc_emb, d.desc_topic, q_all[i])
                    # the n-gram term as brand.brand_score computes it: the words' match, raised (never lowered)
                    # by the mean match with the examples
                    lex_ex = similarity([norm[j] for j in keep], [norm[j] for j in ex], idf=idf)
                    lx = np.maximum(lex[keep, i], lex_ex.mean(axis=1)) if args.lexical else 0.0
                    penalty = CONTRAST * (emb[keep] @ neg.T).max(axis=1) - args.lexical * lx
                    y = labels[keep] == t
                    for name, z in scorings(emb[keep], w_emb[i], emb[ex]).items():
                        aps.setdefault(name, []).append(average_precision_score(y, z - penalty))
                for name, v in aps.items():
                    rows.append({"source": source, "k": k, "seed": seed, "scoring": name, "ap": float(np.mean(v))})
    res = pd.DataFrame(rows)
    if args.out:
        res.to_csv(args.out, index=False)
    table = res.groupby(["k", "source", "scoring"])["ap"].mean().unstack("scoring")
    for k, g in table.groupby(level="k"):
        g = g.droplevel("k")
        g.loc["**mean**"] = g.mean()
        print(f"\nk = {k} examples per brand topic (mean AP over topics, then over {args.seeds} draws)")
        cols = list(g.columns)
        print("| source | " + " | ".join(cols) + " |\n|---|" + "---:|" * len(cols))
        for src_name, r in g.iterrows():
            print(f"| {src_name} | " + " | ".join(f"{r[c]:.3f}" for c in cols) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
