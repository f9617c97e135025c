"""``POST /v1/texts``: topic probabilities, promo probability and cues of single texts (for tools that tag posts)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from brandfit.serve import limits as lim
from brandfit.serve import schemas as S
from brandfit.serve.handlers import problem_docs
from brandfit.serve.models import Served
from brandfit.serve.responses import JSONOut
from brandfit.serve.state import ServeState, get_state, json_body, served
from brandfit.topics import TOPICS

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(json_body)], responses=problem_docs(400, 413, 415, 422, 503), tags=["texts"])


@router.post("/texts", response_model=S.TextsOut, summary="Topic probabilities, promo probability and cues of single texts")
async def texts(req: S.TextsRequest, cur: Served = Depends(served), state: ServeState = Depends(get_state)) -> Response:
    lim.check_texts(req.texts, state.limits)
    model = cur.model
    if req.texts:
        analysis = await asyncio.get_running_loop().run_in_executor(state.batcher.executor, model.analyze, req.texts)
        rows = [{"topic_probs": dict(zip(TOPICS, map(float, tp))), "top_topic": TOPICS[int(tp.argmax())],
                 "promo_probability": float(pp), "promo": bool(pp >= model.promo_threshold), "cues": list(cues)}
                for tp, pp, cues in zip(analysis.topic_proba, analysis.promo_proba, analysis.cues)]
    else:
        rows = []
    return JSONOut({"model_version": cur.version, "topics": list(TOPICS),
                         "promo_threshold": model.promo_threshold, "results": rows})
