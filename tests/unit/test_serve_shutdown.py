"""The shutdown of ``brandfit serve``'s server: a request written to an open keep-alive connection after the server
stopped accepting is still answered (uvicorn's own shutdown resets such connections), then the connection closes."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("fastapi")

import uvicorn
from fastapi import FastAPI

from brandfit.serve.server import DrainingServer


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict:
        return {"ok": True}

    return app


def _start(server_cls, **kwargs) -> tuple[uvicorn.Server, threading.Thread, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(_app(), lifespan="off", log_level="warning")
    server = server_cls(config, **kwargs)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    return server, thread, port


def _stop_accepting(server: uvicorn.Server, port: int) -> None:
    """Ask the server to exit and wait until new connections are refused."""
    server.should_exit = True
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return
        time.sleep(0.005)
    raise AssertionError("the server kept accepting connections")


def test_a_request_on_an_open_connection_during_shutdown_is_answered_then_the_connection_closes():
    server, thread, port = _start(DrainingServer, linger=2.0)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/ping")
    first = conn.getresponse()
    assert first.status == 200 and first.read() == b'{"ok":true}'
    assert first.getheader("connection") != "close"  # kept alive, now idle

    _stop_accepting(server, port)
    conn.request("GET", "/ping")  # same socket: written after the server stopped accepting
    second = conn.getresponse()
    assert second.status == 200 and second.read() == b'{"ok":true}'
    assert second.getheader("connection") == "close"
    conn.close()
    thread.join(10)
    assert not thread.is_alive()


def test_uvicorns_own_shutdown_resets_that_request():
    """The failure DrainingServer exists for, shown on plain uvicorn.Server: if this ever passes, uvicorn fixed it."""
    server, thread, port = _start(uvicorn.Server)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/ping")
    assert conn.getresponse().read() == b'{"ok":true}'
    _stop_accepting(server, port)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        conn.request("GET", "/ping")
        conn.getresponse()
    conn.close()
    thread.join(10)


def test_linger_is_bounded_and_checked():
    with pytest.raises(ValueError, match="linger"):
        DrainingServer(uvicorn.Config(_app()), linger=-1)
    server, thread, port = _start(DrainingServer, linger=0.3)
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    idle.request("GET", "/ping")
    idle.getresponse().read()  # an idle keep-alive client that never sends again must not hold the shutdown
    started = time.monotonic()
    _stop_accepting(server, port)
    thread.join(10)
    assert not thread.is_alive() and time.monotonic() - started < 3
    idle.close()
