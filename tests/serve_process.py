"""A real ``brandfit serve`` process on a free loopback port, and a load of concurrent clients recording every call
(importable as ``serve_process``: tests/ is on sys.path). Used by the integration tier's serve tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    base: str
    log: Path

    def text(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


def start_server(folder: Path, registry: Path, *args: str, timeout: float = 180) -> Server:
    """``brandfit serve`` (this checkout's code) on ``registry``, once ``/readyz`` answers 200."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    log = folder / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "brandfit", "serve", "--port", str(port), "--registry",
                                 str(registry), *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}:\n{server.text()}")
        try:
            if httpx.get(f"{server.base}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"server not ready after {timeout} s:\n{server.text()}")
        time.sleep(0.2)


@dataclass
class Call:
    """One request of the load: when it was written to the socket and answered (``time.perf_counter``)."""

    client: int
    started: float
    sent: float | None
    """When its body was fully written to the socket (None: never was)."""
    ended: float
    status: int | None = None
    version: str | None = None
    error: str | None = None


class Load:
    """``clients`` concurrent clients, each sending ``body`` to ``path`` again as soon as it has its answer, until
    :meth:`stop` (or, with ``stop_on_error``, its first transport error: a stopped server refuses connections)."""

    def __init__(self, base: str, path: str, body: dict[str, Any], *, clients: int = 16,
                 stop_on_error: bool = False) -> None:
        self.base, self.path, self.body, self.clients = base, path, body, clients
        self.stop_on_error = stop_on_error
        self.calls: list[Call] = []
        self.in_flight = 0
        """Requests written to the socket and not answered yet."""
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
        async with httpx.AsyncClient(base_url=self.base, timeout=120, limits=limits) as http:
            await asyncio.gather(*(self._client(http, i) for i in range(self.clients)))

    async def _client(self, http: httpx.AsyncClient, i: int) -> None:
        while not self._stop.is_set():
            sent: list[float] = []

            async def trace(event: str, info: dict, sent: list[float] = sent) -> None:
                if event == "http11.send_request_body.complete":
                    sent.append(time.perf_counter())
                    self.in_flight += 1

            started = time.perf_counter()
            try:
                r = await http.post(self.path, json=self.body, extensions={"trace": trace})
            except httpx.TransportError as exc:
                call = Call(i, started, sent[0] if sent else None, time.perf_counter(),
                            error=f"{type(exc).__name__}: {exc}")
            else:
                call = Call(i, started, sent[0] if sent else None, time.perf_counter(), r.status_code,
                            r.json().get("model_version") if r.status_code == 200 else None,
                            None if r.status_code == 200 else r.text[:300])
            if sent:
                self.in_flight -= 1
            self.calls.append(call)
            if call.error is not None and call.status is None and self.stop_on_error:
                return


async def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        assert time.perf_counter() < deadline, f"timed out after {timeout} s waiting for {what}"
        await asyncio.sleep(0.01)


def publish_copy(registry, version_dir: Path, scratch: Path, name: str):
    """A new version in ``registry`` with the files of ``version_dir`` (the same model under a new version)."""
    import json
    import shutil

    folder = scratch / name
    folder.mkdir()
    for f in version_dir.iterdir():
        if f.name not in ("manifest.json", "metadata.json"):
            shutil.copy2(f, folder / f.name)
    meta = json.loads((version_dir / "metadata.json").read_text())
    for key in ("name", "version", "published_at", "format_version"):
        meta.pop(key, None)
    return registry.publish("relevance", folder, metadata=meta)
