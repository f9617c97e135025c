"""The training pipeline: labeled data -> embeddings -> two heads -> held-out metrics -> registry.

Seeds are fixed and the split is deterministic, so two runs on the same data give identical
predictions (see tests/test_train.py).
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from brandfit.config import TrainConfig
from brandfit.cues import find_cues
from brandfit.data import assign_splits, dataset_hash, load_accounts, load_labeled
from brandfit.embedding import DIM, MODEL_ID, Embedder, get_embedder
from brandfit.evaluation.metrics import best_f1_threshold, promo_report, topic_report
from brandfit.features import DescriptionIndex, promo_features, topic_features, topic_prior
from brandfit.heads import SoftmaxHead, fit_logistic_head, fit_softmax_head, fit_temperature
from brandfit.model import RelevanceModel
from brandfit.text import normalize
from brandfit.topics import TOPIC_DESCRIPTIONS, TOPICS

logger = logging.getLogger(__name__)

__all__ = ["TrainResult", "load_training_frame", "fit_model", "train"]


@dataclass(frozen=True)
class TrainResult:
    model: RelevanceModel
    metrics: dict[str, Any]
    frame: pd.DataFrame  # the labeled records with their split
    dataset_hash: str


def load_training_frame(config: TrainConfig, base: Path | None = None) -> tuple[pd.DataFrame, str]:
    """Read and check the labeled data, attach splits; raise :class:`DataError` on any bad row."""
    base = base or Path.cwd()
    paths = [p if Path(p).is_absolute() else base / p for p in config.data]
    labeled = load_labeled(paths)
    labeled.raise_if_problems()
    frame = labeled.frame
    if frame.empty:
        raise ValueError(f"data: no labeled records in {', '.join(map(str, paths))}")
    account_topics: dict[str, str] = {}
    if config.accounts:
        acc_path = Path(config.accounts) if Path(config.accounts).is_absolute() else base / config.accounts
        if acc_path.exists():
            account_topics = dict(zip(*load_accounts(acc_path)[["account_id", "topic"]].T.values))
    frame = frame.assign(split=assign_splits(frame, fractions=config.split, seed=config.seed,
                                             account_topics=account_topics))
    return frame, dataset_hash(frame)


def fit_model(frame: pd.DataFrame, config: TrainConfig, embedder: Embedder, *,
              embeddings: np.ndarray | None = None) -> tuple[RelevanceModel, dict[str, Any]]:
    """Fit both heads on the ``train`` split, calibrate on ``validation``, report on ``test``."""
    t0 = time.perf_counter()
    texts = frame["text"].tolist()
    emb = embeddings if embeddings is not None else embedder.encode([normalize(t) for t in texts])
    cues = find_cues(texts)
    desc = DescriptionIndex.build(embedder)
    y_topic = np.array([TOPICS.index(t) for t in frame["topic"]])
    y_promo = frame["promo"].to_numpy(dtype=bool)
    split = frame["split"].to_numpy()
    tr, va, te = (split == "train"), (split == "validation"), (split == "test")

    # topic head: our examples plus the written descriptions as extra examples
    xt = topic_features(emb, desc, desc_scale=config.topic.desc_scale)
    x_desc = topic_features(desc.embeddings, desc, desc_scale=config.topic.desc_scale)
    x_fit = np.vstack([xt[tr], x_desc])
    y_fit = np.concatenate([y_topic[tr], desc.topic_index])
    w_fit = np.concatenate([np.ones(tr.sum()), np.full(len(x_desc), config.topic.description_weight)])
    head = fit_softmax_head(x_fit, y_fit, len(TOPICS), c=config.topic.c, seed=config.seed, sample_weight=w_fit)
    prior = topic_prior(emb, desc, weight=config.topic.prior_weight)
    temperature = fit_temperature(head.logits(xt[va], None if prior is None else prior[va]), y_topic[va]) \
        if va.any() else 1.0
    topic_head = SoftmaxHead(head.coef, head.intercept, temperature)

    # promo head: embedding + cues
    xp = promo_features(emb, cues, cue_scale=config.promo.cue_scale)
    promo_head = fit_logistic_head(xp[tr], y_promo[tr], c=config.promo.c, seed=config.seed)
    p_val = promo_head.proba(xp[va])
    threshold = best_f1_threshold(y_promo[va], p_val) if va.any() and y_promo[va].any() else 0.5

    # custom brand topics: how cosine-to-description maps to topic membership (Platt scaling on validation)
    sims = desc.similarities(emb[va if va.any() else tr])
    yv = y_topic[va if va.any() else tr]
    cal = fit_logistic_head(
        np.concatenate([sims[:, t] for t in range(len(TOPICS) - 1)])[:, None],
        np.concatenate([yv == t for t in range(len(TOPICS) - 1)]),
        c=100.0, seed=config.seed, balanced=False,
    )
    model = RelevanceModel(
        topic_head=topic_head, promo_head=promo_head, descriptions=desc, promo_threshold=threshold,
        brand_calibration=(float(cal.coef[0]), cal.intercept),
        config=config.to_dict(), embedder=embedder, backend=embedder.name.rsplit("/", 1)[-1],
    )
    metrics: dict[str, Any] = {"n_texts": {s: int((split == s).sum()) for s in ("train", "validation", "test")}}
    for name, m in (("validation", va), ("test", te)):
        if m.any():
            tp = topic_head.proba(xt[m], None if prior is None else prior[m])
            metrics[name] = {
                "topic": topic_report(frame["topic"][m].tolist(), tp),
                "promo": promo_report(y_promo[m], promo_head.proba(xp[m]), threshold),
            }
    metrics["fit_seconds"] = round(time.perf_counter() - t0, 2)
    return model, metrics


def train(
    config: TrainConfig,
    *,
    base: Path | None = None,
    embedder: Embedder | None = None,
    public_eval: bool = True,
    check_backends: tuple[str, ...] = ("onnx",),
) -> TrainResult:
    """Run the whole pipeline (without publishing): data, split, fit, held-out and public metrics.

    Each backend in ``check_backends`` is then checked with the same heads (see
    :mod:`brandfit.evaluation.backends`); those within tolerance join ``model.validated_backends``.
    """
    embedder = embedder or get_embedder("torch")
    frame, dhash = load_training_frame(config, base)
    logger.info("training on %d labeled texts (%s)", len(frame), dhash[:19])
    model, metrics = fit_model(frame, config, embedder)
    corpora = None
    if public_eval:
        from brandfit.evaluation.crossdomain import evaluate_public
        from brandfit.evaluation.public import load_public

        corpora = load_public()
        if not corpora.empty:
            logger.info("cross-domain evaluation on %d public texts", len(corpora))
            metrics["public"] = evaluate_public(model, corpora)
    validated = [model.backend]
    for backend in check_backends:
        if backend == model.backend:
            continue
        from brandfit.evaluation.backends import check_backend

        check = check_backend(model, frame, backend, reference=metrics, corpora=corpora)
        metrics.setdefault("backends", {})[backend] = check
        if check["validated"]:
            validated.append(backend)
    model.validated_backends = tuple(validated)
    return TrainResult(model=model, metrics=metrics, frame=frame, dataset_hash=dhash)


def publish(result: TrainResult, config: TrainConfig, registry_root: str | Path, *,
            aliases: tuple[str, ...] = (), extra_metadata: dict[str, Any] | None = None) -> str:
    """Write the model into a temporary folder and publish it as a new registry version; return its ref."""
    from brandfit.modelcard import render_card
    from brandfit.registry import ModelRegistry

    reg = ModelRegistry(registry_root)
    metadata = {
        "metrics": result.metrics,
        "config": config.to_dict(),
        "dataset_hash": result.dataset_hash,
        "embedding_model": MODEL_ID,
        "embedding_dim": DIM,
        "backend": result.model.backend,
        "validated_backends": list(result.model.validated_backends),
        "labels": {"topics": list(TOPICS), "promo": [False, True]},
        "topic_descriptions": {k: list(v) for k, v in TOPIC_DESCRIPTIONS.items()},
        "n_texts": int(len(result.frame)),
        **(extra_metadata or {}),  # description, tags (brandfit train --description/--tag)
    }
    with tempfile.TemporaryDirectory(prefix="brandfit-model-") as tmp:
        result.model.save(tmp)
        mv = reg.publish(config.name, Path(tmp), metadata=metadata, card=render_card(config.name, metadata),
                         aliases=aliases)
    result.model.version = mv.ref
    return mv.ref
