"""``brandfit serve``: the HTTP API for discovery tools (FastAPI on uvicorn, the ``serve`` extra).

Modules: :mod:`~brandfit.serve.app` (configuration, lifespan, assembly), :mod:`~brandfit.serve.state` (what the
routes share, handed out as FastAPI dependencies), :mod:`~brandfit.serve.routes_scoring`,
:mod:`~brandfit.serve.routes_texts` and :mod:`~brandfit.serve.routes_ops` (the routes),
:mod:`~brandfit.serve.handlers` (problem+json errors), :mod:`~brandfit.serve.edge` (request id, body limit,
access log), :mod:`~brandfit.serve.batching` (adaptive micro-batching of concurrent requests into one model call),
:mod:`~brandfit.serve.schemas` (request/response shapes and OpenAPI examples), :mod:`~brandfit.serve.limits`
(size limits and RFC 9457 problem details), :mod:`~brandfit.serve.metrics` (Prometheus) and
:mod:`~brandfit.serve.models` (the served model and its hot swap). Importing this package loads none of them:
:func:`require_extra` says what to install when FastAPI is missing.
"""

from __future__ import annotations

import importlib.util

from brandfit.errors import MissingExtraError

__all__ = ["require_extra", "INSTALL_HINT"]

INSTALL_HINT = "pip install 'brandfit[serve]'"
_NEEDED = (("fastapi", "fastapi"), ("uvicorn", "uvicorn"), ("prometheus_client", "prometheus-client"))


def require_extra() -> None:
    """Raise :class:`~brandfit.errors.MissingExtraError` naming what is missing unless the serve extra is installed."""
    missing = [dist for module, dist in _NEEDED if importlib.util.find_spec(module) is None]
    if missing:
        raise MissingExtraError(f"brandfit serve needs {', '.join(missing)} (the serve extra): {INSTALL_HINT}")
