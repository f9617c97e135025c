"""``POST /v1/texts``: topic probabilities, promo probability and cues of single texts (for tools that tag posts).

The texts go through the micro-batcher like accounts do (:class:`~brandfit.serve.models.TextScorer`), so
concurrent requests share one encoder call; texts and accounts are never mixed in one call.
"""

from __future__ import annotations

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

router = APIRouter(dependencies=[Depends(json_body)], responses=problem_docs(400, 413, 415, 422, 503),
                   tags=["texts"])


@router.post("/texts", response_model=S.TextsOut,
             summary="Topic probabilities, promo probability and cues of single texts")
async def texts(req: S.TextsRequest, cur: Served = Depends(served),
                state: ServeState = Depends(get_state)) -> Response:
    lim.check_texts(req.texts, state.limits)
    rows = await state.batcher.score(cur.texts, req.texts, None)  # merged with concurrent /v1/texts requests
    return JSONOut({"model_version": cur.version, "topics": list(TOPICS),
                    "promo_threshold": cur.model.promo_threshold, "results": rows})
