"""The uvicorn server ``brandfit serve`` runs: uvicorn's, with a shutdown that serves requests already on the wire.

uvicorn's shutdown closes every idle keep-alive connection at once. A request the client had already written to
such a connection, but that the event loop had not read yet, is then lost: the client sees the connection reset,
not an answer. On a busy 2-core machine that window is tens of milliseconds, so under load a SIGTERM drops a few
requests that were, from the client's side, in flight.

:class:`DrainingServer` stops accepting new connections first, then lingers (``linger`` seconds, 0.5 by default):
every request in that time is answered with ``Connection: close`` and its connection then closes; idle
connections are left open until the linger ends (or until none is left). Then uvicorn's own shutdown runs: idle connections close, requests in
flight finish (up to ``timeout_graceful_shutdown``), the lifespan drains the batcher.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from brandfit.errors import InputError, InputTypeError

__all__ = ["DrainingServer"]

logger = logging.getLogger(__name__)

_TICK = 0.01  # how often the linger marks newly busy connections to close after their response


def _busy(connection: object) -> bool:
    """A connection whose current request has not been answered yet (uvicorn's h11 and httptools protocols)."""
    cycle = getattr(connection, "cycle", None)
    return cycle is not None and not cycle.response_complete


class _CloseWhileDraining:
    """ASGI wrapper: once draining, every response says ``Connection: close`` (uvicorn then closes after it)."""

    def __init__(self, app: Any, draining: Callable[[], bool]) -> None:
        self.app, self.draining = app, draining

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_closing(message: dict) -> None:
            if message["type"] == "http.response.start" and self.draining():
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_closing)


class DrainingServer(uvicorn.Server):
    """``uvicorn.Server`` whose shutdown first serves requests already written to open connections.

    ``config.app`` must be the application object (not an import string).
    """

    def __init__(self, config: uvicorn.Config, *, linger: float = 0.5) -> None:
        if not linger >= 0:
            raise InputError(f"linger: must be >= 0 seconds, got {linger!r}")
        if isinstance(config.app, str):
            raise InputTypeError("DrainingServer needs the application object, not an import string")
        self.draining = False
        config.app = _CloseWhileDraining(config.app, lambda: self.draining)
        super().__init__(config)
        self.linger = linger

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's startup (lifespan, then bind); says "listening" only once connections can be accepted."""
        await super().startup(sockets)
        if self.started:
            logger.info("listening on %s", ", ".join(self.addresses()))

    def addresses(self) -> list[str]:
        """The ``http://host:port`` addresses the server accepts on (the real port when asked for port 0)."""
        out = []
        for server in getattr(self, "servers", []):
            for sock in server.sockets or ():
                name = sock.getsockname()
                if isinstance(name, tuple) and len(name) >= 2:
                    host = f"[{name[0]}]" if ":" in str(name[0]) else name[0]
                    out.append(f"http://{host}:{name[1]}")
                else:  # a unix socket
                    out.append(f"unix:{name}")
        return out

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.draining = True
        for server in self.servers:
            server.close()  # stop accepting; connections already open keep working during the linger
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.linger
        while self.server_state.connections and not self.force_exit and loop.time() < deadline:
            for connection in list(self.server_state.connections):
                if _busy(connection):
                    connection.shutdown()  # a response begun before draining: close after it, not keep alive
            await asyncio.sleep(_TICK)
        await super().shutdown(sockets)
