"""The other half of generalisation: held-out *groups* of sources the candidate did train on.

    PYTHONPATH=src python training/experiments/in_source.py [--set default]

Leave-one-source-out (loso.py) asks how a recipe does on a kind of text it never saw. A shipped model also meets
text like its training sources (sponsor reads like the podcast corpus, comments like the Reddit ones), and a recipe
regularised hard for LOSO may underfit those. Here every source keeps 20% of its groups (accounts, episodes,
videos, subreddits: never split) out of training; candidates train on everything else (all sources, the same
source weighting and validation rows as ``brandfit train``) and are scored on each source's held-out groups.
Promo F1 is at the threshold chosen on the validation rows, as in LOSO. Public corpora are read in place.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from brandfit.config import LexicalConfig, TrainConfig
from brandfit.evaluation import loso
from brandfit.evaluation.loso import Candidate, linear
from brandfit.evaluation.public import available

log = logging.getLogger("in_source")


def _coverage_mixed(a, b, weight: float, min_df: int, n_buckets: int = 1 << 17, base: float = 0.0):
    """Promo: logits mixed ``(1 - weight x c) : weight x c``, where ``c`` is the share of the text's word n-gram
    mass (squared tf-idf) in buckets seen in at least ``min_df`` training texts: the lexical head counts for
    less where its n-grams are new (``base`` + that, with ``base``). Topic: ``a``."""
    from brandfit.lexical import document_frequency, featurize, idf_from

    def fp(d, task, fit, w, out):
        pa = a(d, task, fit, w, out)
        if task != "promo":
            return pa
        pb = b(d, task, fit, w, out)
        texts = d.norm["emoji"]
        df, n = document_frequency([texts[i] for i in fit], n_buckets)
        rows, cols, vals = featurize([texts[i] for i in out], n_buckets=n_buckets, idf=idf_from(df, n))
        word = cols < n_buckets
        seen = word & (df[cols] >= min_df)
        total = np.bincount(rows[word], weights=vals[word] ** 2, minlength=len(out))
        cov = np.bincount(rows[seen], weights=vals[seen] ** 2, minlength=len(out)) / np.where(total > 0, total, 1)
        wc = base + weight * cov
        la, lb = (np.log(np.clip(q, 1e-6, 1 - 1e-6) / np.clip(1 - q, 1e-6, 1)) for q in (pa, pb))
        return 1 / (1 + np.exp(-((1 - wc) * la + wc * lb)))
    return fp


def _knn_familiarity(d, fit: np.ndarray, out: np.ndarray, k: int = 10, chunk: int = 1024) -> np.ndarray:
    """Mean cosine of each ``out`` row's ``k`` nearest ``fit`` rows (MiniLM embeddings): how familiar its kind is."""
    e = d.emb["emoji"]
    base = e[fit] / np.linalg.norm(e[fit], axis=1, keepdims=True).clip(1e-9)
    res = np.empty(len(out), dtype=np.float32)
    for i in range(0, len(out), chunk):
        q = e[out[i:i + chunk]]
        q = q / np.linalg.norm(q, axis=1, keepdims=True).clip(1e-9)
        sims = q @ base.T
        res[i:i + chunk] = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
    return res


def _knn_gated(reg, flex, quantile: float, tau: float = 0.02, k: int = 10):
    """Promo: each head Platt-calibrated and centred on its own mean-F1 threshold on the validation rows, then mixed
    ``(1 - g) : g`` with ``g`` the text's familiarity (kNN cosine to the training rows) relative to the validation
    rows' familiarity: familiar kinds get the flexible head, unfamiliar ones the regularised one. Topic: ``reg``."""
    def logit(p):
        p = np.clip(p, 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))

    def fp(d, task, fit, w, out):
        if task == "topic":
            return reg(d, task, fit, w, out)
        src = d.frame["source"].to_numpy()
        cal = np.flatnonzero(d.val[out] & np.isin(src[out], np.unique(src[fit])))
        y = loso._labels(d, task, out[cal])
        parts = []
        for head in (reg, flex):
            p = head(d, task, fit, w, out)
            ab = loso.platt_by_source(p[cal], y, src[out[cal]])
            p = loso.apply_platt(p, ab)
            t = loso.mean_f1_threshold(y, p[cal], src[out[cal]])
            parts.append(logit(p) - logit(np.array(t)))
        fam = _knn_familiarity(d, fit, out, k=k)
        mid = np.quantile(fam[cal], quantile)
        g = 1 / (1 + np.exp(-(fam - mid) / tau))
        rest = np.setdiff1d(np.arange(len(out)), cal)
        log.info("knn gate q%.2f: mean g validation %.2f, other rows %.2f (familiarity %.3f vs %.3f)",
                     quantile, g[cal].mean(), g[rest].mean() if len(rest) else float("nan"), fam[cal].mean(),
                     fam[rest].mean() if len(rest) else float("nan"))
        return 1 / (1 + np.exp(-((1 - g) * parts[0] + g * parts[1])))
    return fp


def _positive_boost(a, b, weight: float, margin: float):
    """Promo: ``a``'s logit plus ``weight`` x the part of ``b``'s logit above ``margin`` (the lexical head may only
    raise a score, where its n-grams are confidently promotional); topic: ``a``."""
    def logit(p):
        p = np.clip(p, 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))

    def fp(d, task, fit, w, out):
        pa = a(d, task, fit, w, out)
        if task == "topic":
            return pa
        boost = np.maximum(logit(b(d, task, fit, w, out)) - margin, 0.0)
        return 1 / (1 + np.exp(-(logit(pa) + weight * boost)))
    return fp


def candidates(name: str) -> list[Candidate]:
    cfg = TrainConfig()
    base = loso.cross_source_candidates(cfg)
    if name == "default":
        return base
    if name == "knn_gate":  # promo: a flexible head where the text's kind is familiar, the shipped one elsewhere
        prod = loso.production_candidate(cfg)
        reg = loso.memo(prod.fit_predict)
        lf = loso.memo(loso.lexical_lr(promo_c=1.0))
        ef = loso.memo(linear(variant="emoji", promo_c=1.0, cue_scale=cfg.promo.cue_scale))
        flex = loso.memo(loso.mixed(ef, lf, 0, 0.5))
        out = [dataclasses.replace(prod, name="shipped", fit_predict=reg),
               dataclasses.replace(prod, name="flexible (C 1, lexical 0.5)", fit_predict=flex)]
        for q in (0.05, 0.2, 0.4):
            out.append(dataclasses.replace(prod, name=f"knn gate q{q}", fit_predict=_knn_gated(reg, flex, q),
                                           calibrate_promo=False))
        return out
    if name == "promo_boost":  # the mix without a boost, plus the lexical promo logit where it is confidently positive
        prod = loso.production_candidate(dataclasses.replace(cfg, lexical=dataclasses.replace(cfg.lexical,
                                                                                              promo_boost=0.0)))
        reg = loso.memo(prod.fit_predict)
        lf = loso.memo(loso.lexical_lr(promo_c=1.0))
        out = [dataclasses.replace(prod, name="no boost (relevance@6)", fit_predict=reg)]
        for weight, margin in ((0.3, 0.0), (0.5, 0.0), (0.5, 2.0), (1.0, 2.0)):
            out.append(dataclasses.replace(prod, name=f"boost {weight} above {margin}",
                                           fit_predict=_positive_boost(reg, lf, weight, margin)))
        return out
    if name == "one_label":  # topic: a source whose rows all carry one label teaches its style as that label
        prod = loso.production_candidate(cfg)
        return [dataclasses.replace(prod, name=f"one-label sources x{f}", one_label_weight=f)
                for f in (1.0, 0.5, 0.25, 0.1, 0.0)]
    if name == "prior_one_label":  # the zero-shot prior weight again, now that the one-label shortcut is gone
        return [loso.production_candidate(dataclasses.replace(cfg, topic=dataclasses.replace(cfg.topic,
                                                                                             prior_weight=p)),
                                          name=f"prior {p}") for p in (1.0, 0.75, 1.5)]
    if name == "balance_labels":  # topic: inside every source, each label gets the same share of its weight
        prod = loso.production_candidate(cfg)  # one-label sources x0.1 (shipped)
        return [dataclasses.replace(prod, name="shipped"),
                dataclasses.replace(prod, name="labels balanced within sources", balance_labels=True)]
    if name == "threshold":  # promo: the rule that picks the threshold on the validation rows, the heads unchanged
        prod = loso.production_candidate(cfg)
        pf = loso.memo(prod.fit_predict)
        return [dataclasses.replace(prod, name=f"threshold {rule}", fit_predict=pf, threshold=rule)
                for rule in ("mean_f1", "mean_f1_smooth", "pooled")]
    if name == "neighbours":  # topic: the vote of our own train texts mixed in (topic.neighbours), by share
        return [loso.production_candidate(dataclasses.replace(cfg, topic=dataclasses.replace(cfg.topic, neighbours=sh)),
                                          name=f"neighbours x{sh}") for sh in (0.0, 0.15, 0.25)]
    if name == "shipped":  # the shipped recipe alone: for comparing data changes (run from two checkouts)
        return [loso.production_candidate(cfg)]
    if name == "promo_c":
        return [base[0]] + [
            Candidate(f"prod_promo_c{c}", linear(variant="emoji", topic_c=cfg.topic.c, promo_c=c,
                                                 description_weight=cfg.topic.description_weight,
                                                 prior_weight=cfg.topic.prior_weight, cue_scale=cfg.promo.cue_scale,
                                                 temperature=True, topic_balanced=cfg.topic.balanced),
                      augment=True, threshold="mean_f1", calibrate_promo=True)
            for c in (0.1, 0.3, 1.0)]
    if name == "topic":
        return [base[0]] + [
            Candidate(f"prod_prior{p}_c{c}", linear(variant="emoji", topic_c=c, promo_c=cfg.promo.c,
                                                    description_weight=cfg.topic.description_weight, prior_weight=p,
                                                    cue_scale=cfg.promo.cue_scale, temperature=True,
                                                    topic_balanced=cfg.topic.balanced))
            for p, c in ((0.5, 2.0), (1.0, 8.0), (0.5, 8.0))]
    if name == "ensemble":  # the embedding recipe mixed with the lexical head (brandfit.lexical) at several weights
        prod = loso.production_candidate(dataclasses.replace(cfg, lexical=LexicalConfig(promo_boost=0.0)))
        pf, lf = loso.memo(prod.fit_predict), loso.memo(loso.lexical_lr())
        out = [dataclasses.replace(prod, name="embedding heads", fit_predict=pf),
               dataclasses.replace(prod, name="lexical head", fit_predict=lf)]
        for w in (0.15, 0.3, 0.5):
            out.append(dataclasses.replace(prod, name=f"mixed, lexical {w}", fit_predict=loso.mixed(pf, lf, w, w)))
        return out
    if name == "promo_lex":  # the promo mix: lexical share x the lexical promo layer's regularisation
        prod = loso.production_candidate(dataclasses.replace(cfg, lexical=LexicalConfig(promo_boost=0.0)))
        pf = loso.memo(prod.fit_predict)
        out = [dataclasses.replace(prod, name="embedding heads", fit_predict=pf)]
        for c in (1.0, 0.3):
            lf = loso.memo(loso.lexical_lr(promo_c=c))
            for w in (0.15, 0.3, 0.5):
                out.append(dataclasses.replace(prod, name=f"lexical {w} C{c}", fit_predict=loso.mixed(pf, lf, 0, w)))
        return out
    if name == "promo_coverage":  # the lexical promo share scaled by how familiar the text's word n-grams are
        emb_cfg = dataclasses.replace(cfg, lexical=LexicalConfig(promo_weight=0.0))
        prod = loso.production_candidate(emb_cfg)  # topic as shipped; promo: the embedding head alone
        pf, lf = loso.memo(prod.fit_predict), loso.memo(loso.lexical_lr(promo_c=1.0))
        out = [dataclasses.replace(prod, name="shipped (0.15)", fit_predict=loso.mixed(pf, lf, 0, 0.15)),
               dataclasses.replace(prod, name="0.3", fit_predict=loso.mixed(pf, lf, 0, 0.3))]
        for w, k in ((0.3, 2), (0.3, 5), (0.5, 2), (0.5, 5)):
            out.append(dataclasses.replace(prod, name=f"{w} x coverage(df>={k})",
                                           fit_predict=_coverage_mixed(pf, lf, w, k)))
        for base, w, k in ((0.15, 0.2, 5), (0.15, 0.35, 5), (0.15, 0.35, 10), (0.1, 0.5, 10)):
            out.append(dataclasses.replace(prod, name=f"{base} + {w} x coverage(df>={k})",
                                           fit_predict=_coverage_mixed(pf, lf, w, k, base=base)))
        return out
    if name == "zero_shot_share":  # the shipped mix, then a share of the zero-shot topic probabilities on top
        base_cfg = dataclasses.replace(cfg, lexical=LexicalConfig(promo_boost=0.0), topic=dataclasses.replace(cfg.topic,
                                                                                             zero_shot_share=0.0))
        prod = loso.production_candidate(base_cfg)
        pf, zf = loso.memo(prod.fit_predict), loso.memo(loso.zero_shot())
        out = [dataclasses.replace(prod, name="relevance@5 mix", fit_predict=pf)]
        for c in (0.1, 0.2, 0.3):
            out.append(dataclasses.replace(prod, name=f"zero-shot share {c}", fit_predict=loso.mixed(pf, zf, c, 0)))
        for c in (0.15, 0.3):
            out.append(dataclasses.replace(prod, name=f"geometric {c}", fit_predict=loso.geometric(pf, zf, c)))
        return out
    raise SystemExit(f"unknown set {name!r}")


def run(d: loso.LosoData, cands: list[Candidate], tasks: tuple[str, ...] = ("topic", "promo")) -> pd.DataFrame:
    f = d.frame
    src = f["source"].to_numpy()
    aug = f["augmented"].to_numpy(dtype=bool)
    test_mask = loso.validation_mask(f["group"].tolist(), fraction=0.2, salt="in-source") & ~d.val
    rows = []
    for task in tasks:
        has = f[task].notna().to_numpy()
        train = np.flatnonzero(has & ~test_mask & ~aug)
        train_aug = np.flatnonzero(has & aug & ~test_mask & ~d.val)
        test = np.flatnonzero(has & test_mask & ~aug)
        for c in cands:
            tr = np.concatenate([train, train_aug]) if c.augment else train
            w = c.weights(d, task, tr)
            if task == "topic":
                p = c.fit_predict(d, task, tr, w, test)
                by = {s: loso._topic_metrics(loso._labels(d, task, test[src[test] == s]), p[src[test] == s])
                      for s in dict.fromkeys(src[test])}
            else:
                fit_mask = ~d.val[tr]
                va = tr[~fit_mask]
                ww = w[fit_mask] * (fit_mask.sum() / w[fit_mask].sum())
                p_both = c.fit_predict(d, task, tr[fit_mask], ww, np.concatenate([va, test]))
                p_va, p_te = p_both[:len(va)], p_both[len(va):]
                y_va = loso._labels(d, task, va)
                if c.calibrate_promo:
                    ab = loso.platt_by_source(p_va, y_va, src[va])
                    p_va, p_te = loso.apply_platt(p_va, ab), loso.apply_platt(p_te, ab)
                thr = loso.choose_threshold(c.threshold, y_va, p_va, src[va])
                if c.disclosure_floor > 0:  # as the model and run_loso apply it, on top of the thresholded scores
                    p_te = loso.floored(p_te, d, test, c.disclosure_floor)
                if c.qualifier_ceiling > 0:
                    p_te = loso.capped(p_te, d, test, c.qualifier_ceiling)
                y_te = loso._labels(d, task, test)
                by = {s: loso._promo_metrics(y_te[src[test] == s], p_te[src[test] == s], thr)
                      for s in dict.fromkeys(src[test])}
            for s, m in by.items():
                rows.append({"candidate": c.name, "task": task, "source": s, **m})
            log.info("%s %s done", task, c.name)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default="default", choices=("default", "promo_c", "topic", "ensemble", "promo_lex",
                                                             "zero_shot_share", "promo_coverage", "shipped", "knn_gate", "promo_boost", "one_label", "balance_labels", "prior_one_label", "neighbours",
                                                             "threshold"))
    ap.add_argument("--loso", action="store_true", help="leave-one-source-out instead (loso.run_loso)")
    ap.add_argument("--task", choices=("topic", "promo"), help="one task only")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    repo = Path(__file__).resolve().parents[2]
    if not available():
        print("public corpora not found (../shared/datasets or $BRANDFIT_PUBLIC_DATA): nothing to evaluate")
        return 2
    d = loso.build_data(loso.load_sources(repo), variants=("emoji",))
    tasks = (args.task,) if args.task else ("topic", "promo")
    res = loso.run_loso(d, candidates(args.set), tasks=tasks) if args.loso else run(d, candidates(args.set), tasks)
    if args.out:
        res.to_csv(args.out, index=False)
    print(loso.format_table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
