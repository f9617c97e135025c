"""The micro-batcher on a fake scorer: merging, grouping per brand and model, bounds, errors, cancellation."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from brandfit.serve.batching import MicroBatcher


class FakeScorer:
    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.calls: list[tuple[list, object]] = []
        self.delay, self.fail = delay, fail
        self.threads: set[str] = set()

    def score(self, accounts, brand):
        self.threads.add(threading.current_thread().name)
        self.calls.append((list(accounts), brand))
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("boom")
        return [f"{brand}:{a}" for a in accounts]


def run(coro):
    return asyncio.run(coro)


def test_concurrent_requests_are_merged_and_fanned_back_in_order():
    scorer = FakeScorer()

    async def main():
        b = MicroBatcher(max_batch=256, max_wait=0.05)
        out = await asyncio.gather(*(b.score(scorer, [f"a{i}", f"b{i}"], "fitness") for i in range(10)))
        await b.close()
        return out

    out = run(main())
    assert out == [[f"fitness:a{i}", f"fitness:b{i}"] for i in range(10)]
    assert len(scorer.calls) == 1 and len(scorer.calls[0][0]) == 20
    assert all(name.startswith("brandfit-score") for name in scorer.threads)  # off the event loop


def test_brands_and_models_are_never_mixed():
    s1, s2 = FakeScorer(), FakeScorer()

    async def main():
        b = MicroBatcher(max_wait=0.05)
        out = await asyncio.gather(b.score(s1, ["x"], "fitness"), b.score(s1, ["y"], "beauty"),
                                   b.score(s2, ["z"], "fitness"), b.score(s1, ["w"], "fitness"))
        await b.close()
        return out

    assert run(main()) == [["fitness:x"], ["beauty:y"], ["fitness:z"], ["fitness:w"]]
    assert sorted(len(c[0]) for c in s1.calls) == [1, 2] and len(s2.calls) == 1
    assert all(len({brand for _, brand in [c]}) == 1 for c in s1.calls)


def test_max_batch_bounds_every_call_and_large_requests_are_split():
    scorer = FakeScorer()

    async def main():
        b = MicroBatcher(max_batch=4, max_wait=0.02)
        big = b.score(scorer, list(range(10)), "t")
        small = [b.score(scorer, [100 + i], "t") for i in range(5)]
        out = await asyncio.gather(big, *small)
        await b.close()
        return out

    out = run(main())
    assert out[0] == [f"t:{i}" for i in range(10)]
    assert out[1:] == [[f"t:{100 + i}"] for i in range(5)]
    assert max(len(c[0]) for c in scorer.calls) <= 4


def test_batches_grow_while_the_worker_is_busy():
    scorer = FakeScorer(delay=0.05)

    async def main():
        b = MicroBatcher(max_batch=256, max_wait=0.0)
        first = asyncio.ensure_future(b.score(scorer, ["first"], "t"))
        await asyncio.sleep(0.01)  # the first call is running now
        rest = [b.score(scorer, [i], "t") for i in range(20)]
        await asyncio.gather(first, *rest)
        await b.close()

    run(main())
    assert [len(c[0]) for c in scorer.calls] == [1, 20]


def test_event_loop_is_not_blocked_while_scoring():
    scorer = FakeScorer(delay=0.3)

    async def main():
        b = MicroBatcher(max_wait=0.0)
        task = asyncio.ensure_future(b.score(scorer, ["a"], "t"))
        await asyncio.sleep(0.02)
        t0 = time.perf_counter()
        await asyncio.sleep(0.01)  # a health check would run here
        lag = time.perf_counter() - t0
        await task
        await b.close()
        return lag

    assert run(main()) < 0.1


def test_a_failing_call_fails_its_waiters_only_and_the_batcher_keeps_going():
    bad, good = FakeScorer(fail=True), FakeScorer()

    async def main():
        b = MicroBatcher(max_wait=0.01)
        res = await asyncio.gather(b.score(bad, ["x"], "t"), b.score(good, ["y"], "t"), return_exceptions=True)
        again = await b.score(good, ["z"], "t")
        await b.close()
        return res, again

    res, again = run(main())
    assert isinstance(res[0], RuntimeError) and res[1] == ["t:y"] and again == ["t:z"]


def test_a_cancelled_request_is_skipped_and_close_drains_the_rest():
    scorer = FakeScorer(delay=0.05)

    async def main():
        b = MicroBatcher(max_wait=0.0)
        busy = asyncio.ensure_future(b.score(scorer, ["busy"], "t"))
        await asyncio.sleep(0.01)
        gone = asyncio.ensure_future(b.score(scorer, ["gone"], "t"))
        kept = asyncio.ensure_future(b.score(scorer, ["kept"], "t"))
        await asyncio.sleep(0)
        gone.cancel()
        await b.close()  # drains: kept is answered
        return await busy, kept.result()

    assert run(main()) == (["t:busy"], ["t:kept"])
    assert ["gone"] not in [c[0] for c in scorer.calls]


def test_empty_and_bad_arguments():
    async def main():
        b = MicroBatcher()
        assert await b.score(FakeScorer(), [], "t") == []
        await b.close()
        with pytest.raises(RuntimeError):
            await b.score(FakeScorer(), ["a"], "t")

    run(main())
    with pytest.raises(ValueError):
        MicroBatcher(max_batch=0)
    with pytest.raises(ValueError):
        MicroBatcher(workers=0)


def test_requests_arriving_in_a_burst_are_gathered_until_an_idle_gap():
    scorer = FakeScorer()

    async def main():
        b = MicroBatcher(max_wait=0.02, max_delay=1.0)
        tasks = []
        for i in range(6):  # one every 5 ms: 30 ms in all, longer than max_wait but never a 20 ms gap
            tasks.append(asyncio.ensure_future(b.score(scorer, [i], "t")))
            await asyncio.sleep(0.005)
        await asyncio.gather(*tasks)
        await b.close()

    run(main())
    assert [len(c[0]) for c in scorer.calls] == [6]


def test_max_delay_bounds_the_wait_for_company():
    scorer = FakeScorer()

    async def main():
        b = MicroBatcher(max_wait=0.05, max_delay=0.05)
        t0 = time.perf_counter()
        first = asyncio.ensure_future(b.score(scorer, ["a"], "t"))
        while not first.done():  # a steady trickle would otherwise hold the first request forever
            asyncio.ensure_future(b.score(scorer, ["b"], "t"))
            await asyncio.sleep(0.01)
        waited = time.perf_counter() - t0
        await b.close()
        return waited

    assert run(main()) < 0.5


def test_missing_extra_names_the_install_command(monkeypatch):
    import importlib.util

    from brandfit.errors import MissingExtraError
    from brandfit.serve import require_extra

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a))
    with pytest.raises(MissingExtraError, match=r"fastapi.*pip install 'brandfit\[serve\]'"):
        require_extra()


def test_concurrent_texts_requests_share_one_encoder_call():
    """/v1/texts goes through the batcher: 8 concurrent requests, one analyze call, each its own rows back."""
    pytest.importorskip("fastapi")
    import httpx
    from fakes import REPO, FakeEmbedder, make_model

    from brandfit.serve.app import ServeConfig, create_app

    embedder = FakeEmbedder()
    app = create_app(ServeConfig(poll_interval=0, registry=REPO / "models", max_delay=1.0),
                     model=make_model(embedder))
    texts = [[f"leg day squats {i}", f"new lipstick shade {i} #ad"] for i in range(8)]

    async def main():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            answers = await asyncio.gather(*(http.post("/v1/texts", json={"texts": t}) for t in texts))
            metrics = (await http.get("/metrics")).text
        await app.state.serve.batcher.close()
        return answers, metrics

    answers, metrics = run(main())
    assert embedder.calls == [16]  # the 16 distinct texts of 8 requests, embedded in one pass
    for t, r in zip(texts, answers):
        rows = r.json()["results"]
        assert r.status_code == 200 and [row["top_topic"] for row in rows] == ["fitness", "beauty"], t
        assert rows[1]["promo"] and "disclosure" in rows[1]["cues"]
    assert "brandfit_serve_batch_texts_count 1.0" in metrics and "brandfit_serve_texts_analyzed_total 16.0" in metrics
    assert "brandfit_serve_batch_accounts_count 0.0" in metrics


# --- waiting for the requests the HTTP edge announced (Arrivals) ----------------------------------------------

def test_with_arrivals_a_lone_request_waits_for_nobody():
    """No request on its way and none recently at once: scored at once, however long max_delay is."""
    from brandfit.serve.batching import Arrivals

    scorer = FakeScorer()

    async def main():
        arrivals = Arrivals()
        b = MicroBatcher(max_wait=1.0, max_delay=1.0, arrivals=arrivals)
        took = []
        for i in range(3):
            t0 = time.perf_counter()
            with arrivals.announce():
                await b.score(scorer, [i], "t")
            took.append(time.perf_counter() - t0)
        await b.close()
        return took

    took = run(main())
    assert max(took) < 0.25, took
    assert [len(c[0]) for c in scorer.calls] == [1, 1, 1]


def test_with_arrivals_a_batch_waits_for_an_announced_request_still_being_read():
    from brandfit.serve.batching import Arrivals

    scorer = FakeScorer()

    async def client(arrivals, b, item, reading):
        with arrivals.announce():
            await asyncio.sleep(reading)  # the body still arriving, being validated
            return await b.score(scorer, [item], "t")

    async def main():
        arrivals = Arrivals()
        b = MicroBatcher(max_wait=0.0, max_delay=1.0, arrivals=arrivals)
        out = await asyncio.gather(client(arrivals, b, "a", 0.0), client(arrivals, b, "b", 0.08))
        await b.close()
        return out

    assert run(main()) == [["t:a"], ["t:b"]]
    assert [c[0] for c in scorer.calls] == [["a", "b"]]  # one call: the first waited for the second


def test_with_arrivals_a_request_that_never_reaches_the_batcher_stops_the_wait():
    """A request refused before scoring (bad input) ends its announcement: the queued one goes at once."""
    from brandfit.serve.batching import Arrivals

    scorer = FakeScorer()

    async def refused(arrivals):
        with pytest.raises(ValueError), arrivals.announce():
            await asyncio.sleep(0.03)
            raise ValueError("422")

    async def main():
        arrivals = Arrivals()
        b = MicroBatcher(max_wait=0.0, max_delay=5.0, arrivals=arrivals)
        t0 = time.perf_counter()

        async def good():
            with arrivals.announce():
                return await b.score(scorer, ["a"], "t")

        out = await asyncio.gather(good(), refused(arrivals))
        took = time.perf_counter() - t0
        await b.close()
        return out[0], took, arrivals.count

    out, took, count = run(main())
    assert out == ["t:a"] and count == 0
    assert took < 1.0, took  # not max_delay (5 s)


def test_the_edge_announces_a_post_only_once_its_body_is_read():
    """A slow upload must not hold every batch: the announcement starts when the body is in hand, and ends
    with the request even when the app never reaches the batcher."""
    pytest.importorskip("prometheus_client")
    from brandfit.serve.batching import Arrivals
    from brandfit.serve.edge import Edge
    from brandfit.serve.limits import Limits
    from brandfit.serve.metrics import ServeMetrics

    arrivals = Arrivals()
    seen: dict[str, int] = {}

    async def app(scope, receive, send):
        seen["in the app"] = arrivals.count
        await send({"type": "http.response.start", "status": 422, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    chunks = [b'{"account": ', b'{"bio": "x"}}']

    async def receive():
        await asyncio.sleep(0.02)
        seen.setdefault("while the body arrives", arrivals.count)
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message):
        pass

    scope = {"type": "http", "method": "POST", "path": "/v1/relevance", "headers": [], "state": {}}
    run(Edge(app, limits=Limits(), metrics=ServeMetrics(), arrivals=arrivals)(scope, receive, send))
    assert seen == {"while the body arrives": 0, "in the app": 1}
    assert arrivals.count == 0
