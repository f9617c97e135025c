"""``brandfit serve`` under load, as a real process on loopback: 16 clients keep sending while the production
alias is promoted (hot swap), and while the process gets SIGTERM (graceful shutdown).

Each of the 16 clients sends its next request as soon as it has the answer to the previous one, so about 16
requests are in flight at any moment. Every call is recorded with the time it started, the time its body was
fully written to the socket, the time it ended, and the status and ``model_version`` it got.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import time
from collections import Counter

import httpx
import pytest

pytest.importorskip("fastapi")
pytestmark = pytest.mark.loopback  # every test here runs a real server process on 127.0.0.1
from serve_process import REPO, Load, publish_copy, start_server, wait_for  # noqa: E402

_ALIAS = json.loads((REPO / "models" / "_aliases" / "production.json").read_text())
PROD = f"{_ALIAS['name']}@{_ALIAS['version']}"
BODY = {"account": {"bio": "trail runner | ultra training log",
                    "posts": ["20 miles of hill repeats in the fog", "new trail shoes, code TESS15 #ad"]},
        "brand_topic": "sports_outdoor"}
CLIENTS = 16


def _failures(calls) -> str:
    bad = [c for c in calls if c.status != 200]
    return f"{len(bad)} of {len(calls)} failed, e.g. {bad[:3]}"


def test_hot_swap_under_load(tmp_path):
    """Promote a new version while 16 clients send requests: no request fails, and the version switches once.

    What "switches once" means with 16 requests in flight: the server swaps by one assignment, and a request
    scores with the model it found when it started, so the swap is one instant S in the requests' timeline.
    Requests started after S get the new version, requests that ended before S the old one; only requests in
    flight at S may get either, and they may *end* in any order (a request started just before S can finish
    after one started just after). So the test asserts what follows from that and nothing more:

    - each client's own sequence (each request starts after the previous one ended) is old...old new...new:
      exactly one switch, never back;
    - across clients, no request started after any client had received a new-version answer got the old one;
    - hence in completion order the versions interleave only among requests in flight at the swap: at most 15
      old answers (the other clients' requests then in flight) come after the first new one.
    """
    from brandfit.registry import ModelRegistry

    root = tmp_path / "models"
    shutil.copytree(REPO / "models", root)
    registry = ModelRegistry(root)
    server = start_server(tmp_path, root, "--poll-interval", "0.2")
    try:
        load = Load(server.base, "/v1/relevance", BODY, clients=CLIENTS)

        def per_client(version: str) -> list[int]:
            counts = Counter(c.client for c in load.calls if c.version == version)
            return [counts[i] for i in range(CLIENTS)]

        async def scenario() -> str:
            running = asyncio.create_task(load.run())
            await wait_for(lambda: min(per_client(PROD)) >= 2, 120, "two old-version answers per client")
            new = await asyncio.to_thread(publish_copy, registry, root / PROD.replace("@", "/"), tmp_path, "new")
            await asyncio.to_thread(registry.promote, new.ref)
            await wait_for(lambda: min(per_client(new.ref)) >= 3, 120, "three new-version answers per client")
            load.stop()
            await running
            return new.ref

        new = asyncio.run(scenario())
        ready = httpx.get(f"{server.base}/readyz", timeout=10).json()
    finally:
        server.stop()
    calls = load.calls
    assert all(c.status == 200 for c in calls), _failures(calls)
    assert {c.version for c in calls} == {PROD, new}
    for i in range(CLIENTS):
        seq = [c.version for c in calls if c.client == i]  # recorded in the client's own order
        switches = sum(a != b for a, b in zip(seq, seq[1:]))
        assert seq[0] == PROD and seq[-1] == new and switches == 1, (i, seq)
    first_new_received = min(c.ended for c in calls if c.version == new)
    assert not [c for c in calls if c.version == PROD and c.started > first_new_received]
    by_end = sorted(calls, key=lambda c: c.ended)
    first_new = next(k for k, c in enumerate(by_end) if c.version == new)
    assert sum(c.version == PROD for c in by_end[first_new:]) <= CLIENTS - 1
    assert ready["model_version"] == new and ready["swaps"] == 1 and ready["refused"] is None
    assert f"-> {new}" in server.text()  # the server logged the swap


def test_sigterm_under_load(tmp_path):
    """SIGTERM while 16 clients and one 64-account batch are in flight: every request in flight gets its 200,
    the process drains and exits (status 0, or -SIGTERM: uvicorn re-raises the signal after a clean shutdown).

    In flight = the client had written the whole request to the socket before the signal was sent. Requests
    written after it race the shutdown: answered (200) if uvicorn still read them, else refused at the connection
    (a transport error, never an HTTP error status); they are counted apart.
    """
    server = start_server(tmp_path, REPO / "models")
    load = Load(server.base, "/v1/relevance", BODY, clients=CLIENTS, stop_on_error=True)
    many = [{"bio": f"trail runner {i}", "posts": [f"hill repeats, week {i} day {k}" for k in range(12)]}
            for i in range(64)]
    batch_sent: list[float] = []

    async def on_trace(event: str, info: dict) -> None:
        if event == "http11.send_request_body.complete":
            batch_sent.append(time.perf_counter())

    async def big_batch() -> httpx.Response:
        async with httpx.AsyncClient(base_url=server.base, timeout=120) as http:
            return await http.post("/v1/relevance/batch", json={"accounts": many, "brand_topic": "fitness"},
                                   extensions={"trace": on_trace})

    async def scenario() -> tuple[float, httpx.Response]:
        running = asyncio.create_task(load.run())
        await wait_for(lambda: len(load.calls) >= 2 * CLIENTS, 120, "the load to settle")
        batch = asyncio.create_task(big_batch())
        await wait_for(lambda: batch_sent and load.in_flight == CLIENTS, 60, "16 requests and the batch in flight")
        signalled = time.perf_counter()
        server.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(running, 120)  # each client stops at its first refused connection
        return signalled, await asyncio.wait_for(batch, 120)

    try:
        signalled, batch = asyncio.run(scenario())
        status = server.proc.wait(timeout=60)
    finally:
        server.stop()
    in_flight = [c for c in load.calls if c.sent is not None and c.sent < signalled]
    later = [c for c in load.calls if c.sent is None or c.sent >= signalled]
    assert all(c.status == 200 for c in in_flight), _failures(in_flight)
    assert sum(c.ended > signalled for c in in_flight) == CLIENTS  # the 16 that were in flight at the signal
    assert batch.status_code == 200 and batch.json()["n_ok"] == 64
    assert all(c.status == 200 or (c.status is None and c.error) for c in later), later
    assert any(c.status is None for c in later)  # the server did stop accepting
    assert status in (0, -signal.SIGTERM), status
    assert "Application shutdown complete" in server.text()


def test_a_port_in_use_exits_3_with_a_message(tmp_path):
    """``brandfit serve`` on a port another process holds: uvicorn's bind error, then our one-line reason, status 3."""
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        proc = subprocess.run([sys.executable, "-m", "brandfit", "serve", "--port", str(port), "--registry",
                               str(REPO / "models")], env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert f"could not start serving on 127.0.0.1:{port}" in proc.stderr
    assert "Traceback" not in proc.stderr
