"""The scoring routes: ``POST /v1/relevance``, ``/v1/relevance/batch`` and ``/v1/rank``.

Each checks its input against the limits (a :class:`~brandfit.serve.limits.Problem` naming the field), then hands
the accounts to the micro-batcher with the model snapshot it took when it started.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from brandfit.scoring import Relevance, rank_score
from brandfit.serve import limits as lim
from brandfit.serve import schemas as S
from brandfit.serve.handlers import problem_docs
from brandfit.serve.limits import Limits, Problem
from brandfit.serve.models import Served
from brandfit.serve.responses import JSONOut
from brandfit.serve.state import ServeState, get_state, json_body, served

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(json_body)], responses=problem_docs(400, 413, 415, 422, 503),
                   tags=["relevance"])


def relevance_json(r: Relevance) -> dict[str, Any]:
    d = r.to_dict()
    d["rank_score"] = r.rank_score
    return d


def _brand(value: Any, limits: Limits) -> Any:
    raw = value.model_dump() if isinstance(value, S.BrandTopicIn) else value
    return lim.check_brand(raw, limits)


def _accounts(raw: list[Any], limits: Limits) -> list[Any]:
    if len(raw) > limits.max_accounts:
        raise lim.too_large("accounts", f"at most {limits.max_accounts} accounts per request, got {len(raw)}")
    return raw


@router.post("/relevance", response_model=S.RelevanceOut, summary="Brand fit of one account")
async def relevance(req: S.RelevanceRequest, cur: Served = Depends(served),
                    state: ServeState = Depends(get_state)) -> Response:
    brand = _brand(req.brand_topic, state.limits)
    account = lim.check_account(req.account, "account", state.limits)
    [result] = await state.batcher.score(cur.pipeline, [account], brand)
    return JSONOut(relevance_json(result))


@router.post("/relevance/batch", response_model=S.BatchOut,
             summary="Brand fit of many accounts; a bad account is a per-item error")
async def relevance_batch(req: S.BatchRequest, cur: Served = Depends(served),
                          state: ServeState = Depends(get_state)) -> Response:
    brand = _brand(req.brand_topic, state.limits)
    items: list[dict[str, Any]] = []
    good: list[tuple[int, Any]] = []
    for i, raw in enumerate(_accounts(req.accounts, state.limits)):
        try:
            good.append((i, lim.check_account(raw, f"accounts[{i}]", state.limits)))
            items.append({"index": i, "ok": True, "result": None, "error": None})
        except Problem as p:
            items.append({"index": i, "ok": False, "result": None, "error": p.item()})
    results = await state.batcher.score(cur.pipeline, [a for _, a in good], brand)
    for (i, _), r in zip(good, results):
        items[i]["result"] = relevance_json(r)
    return JSONOut({"model_version": cur.version, "n_ok": len(good), "n_errors": len(items) - len(good),
                         "results": items})


@router.post("/rank", response_model=S.RankOut,
             summary="Shortlist: the top accounts by rank_score = score x (1 - promo_penalty x promo_ratio)")
async def rank(req: S.RankRequest, cur: Served = Depends(served),
               state: ServeState = Depends(get_state)) -> Response:
    brand = _brand(req.brand_topic, state.limits)
    accounts = [lim.check_account(raw, f"accounts[{i}]", state.limits)
                for i, raw in enumerate(_accounts(req.accounts, state.limits))]
    results = await state.batcher.score(cur.pipeline, accounts, brand)
    rows = []
    for i, r in enumerate(results):
        d = relevance_json(r)
        d["rank_score"] = rank_score(r.score, r.promo_ratio, req.promo_penalty)
        d["index"] = i
        rows.append(d)
    rows.sort(key=lambda d: (d["rank_score"], d["score"]), reverse=True)  # stable: ties keep input order
    rows = rows[:req.top]
    for n, d in enumerate(rows, 1):
        d["rank"] = n
    return JSONOut({"model_version": cur.version, "n_scored": len(results), "results": rows})
