"""Check a trained model on another embedding backend: the same heads, threshold and calibration, other embeddings.

The heads are fitted on one backend's embeddings (``brandfit train``: onnx, the serving default). Serving them with
another backend (torch, sentence-transformers) is only safe if the figures they were tuned for hold there too, so training re-runs the validation and test splits (and,
when present, the public corpora) with each backend in ``check_backends`` and records the result in the model's
metadata. A backend is *validated* when every gap to the training backend's figures is within :data:`TOLERANCE`;
only validated backends are listed in the model's ``validated_backends``, and loading a model with any other
backend logs a warning. A figure neither backend can compute (a promo AP on a split with no promo text) is listed
under ``not_compared``, not as a gap; a gap that is not a number (one backend could compute the figure, the other not)
fails the check, as the model card's table marks it; with no gap to compare at all, the backend is not validated.

>>> from brandfit.evaluation.backends import gaps_within_tolerance
>>> gaps_within_tolerance({"validation/topic_macro_ap": -0.004, "validation/promo_f1": 0.01})
True
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from brandfit.evaluation.metrics import promo_report, topic_report

if TYPE_CHECKING:
    from brandfit.model import RelevanceModel

logger = logging.getLogger(__name__)

__all__ = ["TOLERANCE", "check_backend", "gap_ok", "gaps_within_tolerance"]

TOLERANCE = {"topic_macro_ap": 0.01, "promo_ap": 0.01, "promo_f1": 0.02}
"""Largest absolute difference to the training backend's figure that still counts as the same model (issue 8: AP within 0.01;
F1 at a fixed threshold moves in steps of a few examples on a 378-text split, hence 0.02)."""


def _split_figures(model: "RelevanceModel", frame: pd.DataFrame, split: str) -> dict[str, Any] | None:
    mask = (frame["split"] == split).to_numpy()
    if not mask.any():
        return None
    a = model.analyze(frame.loc[mask, "text"].tolist())
    return {
        "topic": topic_report(frame.loc[mask, "topic"].tolist(), a.topic_proba),
        "promo": promo_report(frame.loc[mask, "promo"].to_numpy(dtype=bool), a.promo_proba, model.promo_threshold),
    }


def _headline(metrics: dict[str, Any]) -> dict[str, float]:
    """The figures compared across backends, as flat ``"<part>/<figure>"`` keys."""
    out: dict[str, float] = {}
    for part in ("validation", "test"):
        block = metrics.get(part) or {}
        if block:
            out[f"{part}/topic_macro_ap"] = block["topic"]["macro_ap"]
            out[f"{part}/promo_ap"] = block["promo"]["ap"]
            out[f"{part}/promo_f1"] = block["promo"]["f1"]
    public = metrics.get("public") or {}
    if "pooled_topic" in public:
        out["public/topic_macro_ap"] = public["pooled_topic"]["macro_ap"]
    if "pooled_promo" in public:
        out["public/promo_ap"] = public["pooled_promo"]["ap"]
    return out


def gap_ok(key: str, gap: float) -> bool:
    """Whether one ``"<part>/<figure>"`` gap is within :data:`TOLERANCE` (a gap that is not a number is not)."""
    return bool(np.isfinite(gap)) and abs(gap) <= TOLERANCE[key.rsplit("/", 1)[-1]]


def gaps_within_tolerance(gaps: dict[str, float]) -> bool:
    """True if every ``"<part>/<figure>": other - reference`` gap is within :data:`TOLERANCE` for its figure (a NaN
    gap is not: the model card marks it OUT)."""
    return all(gap_ok(k, v) for k, v in gaps.items())


def check_backend(
    model: "RelevanceModel",
    frame: pd.DataFrame,
    backend: str,
    *,
    reference: dict[str, Any],
    corpora: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Figures of ``model`` embedding with ``backend`` on ``frame``'s validation and test splits (and ``corpora``),
    their gaps to ``reference`` (the training metrics, on the training backend) and whether the backend is validated."""
    other = model.with_backend(backend)
    logger.info("checking the model with the %s backend", backend)
    out: dict[str, Any] = {"embedder": other.embedder.name}
    model_path = getattr(other.embedder, "model_path", None)
    if model_path is not None:  # the onnx file's name carries the export recipe
        out["embedder_file"] = Path(model_path).name
    for split in ("validation", "test"):
        figures = _split_figures(other, frame, split)
        if figures is not None:
            out[split] = figures
    if corpora is not None and not corpora.empty and reference.get("public"):
        from brandfit.evaluation.crossdomain import evaluate_public

        out["public"] = evaluate_public(other, corpora)
    ref, got = _headline(reference), _headline(out)
    shared = [k for k in sorted(got) if k in ref]
    # a figure neither side can compute (no promo text in the split) is no disagreement: listed, not a gap
    out["not_compared"] = [k for k in shared if not np.isfinite(got[k]) and not np.isfinite(ref[k])]
    out["gaps"] = {k: round(got[k] - ref[k], 5) for k in shared if k not in out["not_compared"]}
    out["tolerance"] = dict(TOLERANCE)
    out["validated"] = bool(out["gaps"]) and gaps_within_tolerance(out["gaps"])
    level = logging.INFO if out["validated"] else logging.WARNING
    logger.log(level, "%s backend %s: %s", backend, "validated" if out["validated"] else "NOT validated",
               ", ".join(f"{k} {v:+.4f}" for k, v in out["gaps"].items()))
    return out
