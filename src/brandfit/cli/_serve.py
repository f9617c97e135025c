"""``brandfit serve``: the HTTP API for discovery tools (FastAPI on uvicorn; needs ``brandfit[serve]``).

Loads and verifies the model first (a bad ref or a tampered model exits 2 before anything listens), then serves
on loopback by default. SIGTERM/SIGINT: the server stops accepting, answers requests already written to open
connections (``serve.server.DrainingServer``), lets requests in flight finish (up to ``--graceful-timeout`` s),
then the batcher drains. See docs/serve.md.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from typing import Callable

from brandfit.cli._argtypes import whole_number
from brandfit.settings import BACKENDS

__all__ = ["register"]

MAX_PORT = 65535


def port_number(text: str) -> int:
    """An argparse ``type``: a TCP port, 0 (any free one) to 65535.

    >>> port_number("8000")
    8000
    >>> port_number("70000")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a port in [0, 65535], got '70000'
    """
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"expected a port in [0, {MAX_PORT}], got {text!r}")
    return value


def non_negative(unit: str) -> Callable[[str], float]:
    """An argparse ``type`` accepting a finite number >= 0 (of ``unit``, named in the error).

    >>> non_negative("seconds")("2.5")
    2.5
    >>> non_negative("seconds")("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a number of seconds >= 0, got '-1'
    """
    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= 0):
            raise argparse.ArgumentTypeError(f"expected a number of {unit} >= 0, got {text!r}")
        return value

    convert.__name__ = f"number of {unit} >= 0"
    return convert


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the HTTP API (brand fit, batch, rank, texts) for discovery tools")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: loopback only)")
    p.add_argument("--port", type=port_number, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--model", default="production", help="registry ref to serve and follow (default production)")
    p.add_argument("--backend", choices=BACKENDS, default=None, help="embedding backend (default: settings)")
    p.add_argument("--registry", default=None, help="registry root (default: $BRANDFIT_REGISTRY, ./models, bundled)")
    p.add_argument("--poll-interval", type=non_negative("seconds"), default=2.0, metavar="SECONDS",
                   help="seconds between checks of the alias for a hot swap (>= 0; 0: never swap; default 2)")
    p.add_argument("--max-batch", type=whole_number(1), default=256, metavar="N",
                   help="most accounts in one model call (>= 1; default 256)")
    p.add_argument("--max-wait-ms", type=float, default=None, help=argparse.SUPPRESS)  # removed; warns if given
    p.add_argument("--max-delay-ms", type=non_negative("milliseconds"), default=25.0, metavar="MS",
                   help="longest (ms) a batch waits for requests still arriving once a worker is free (>= 0; "
                        "0: never wait, score what is queued; default 25)")
    p.add_argument("--score-threads", type=whole_number(1), default=2, metavar="N",
                   help="model calls running at once (>= 1; default 2: one's Python stages overlap the other's "
                        "encoding)")
    for name, help_ in (("max-body-bytes", "largest request body"), ("max-accounts", "accounts per request"),
                        ("max-posts", "posts per account"), ("max-chars", "characters per text"),
                        ("max-texts", "texts per /v1/texts request")):
        p.add_argument(f"--{name}", type=whole_number(1), default=None, metavar="N",
                       help=f"{help_} (>= 1; default: $BRANDFIT_SERVE_{name.upper().replace('-', '_')} or built-in)")
    p.add_argument("--graceful-timeout", type=non_negative("seconds"), default=30.0, metavar="SECONDS",
                   help="seconds to let requests in flight finish on SIGTERM (>= 0; 0: cancel them at once; "
                        "default 30)")
    p.set_defaults(func=_serve)


def _access_log_handler() -> None:
    """Access lines are JSON objects, one per line on stderr, without the CLI's log prefix."""
    log = logging.getLogger("brandfit.serve.access")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.INFO)


def _serve(args: argparse.Namespace) -> int:
    from brandfit.serve import require_extra

    require_extra()
    if args.max_wait_ms is not None:
        logging.getLogger("brandfit").warning(
            "--max-wait-ms is ignored: batches now wait only for requests already arriving (see --max-delay-ms)")
    import uvicorn

    from brandfit.serve.app import ServeConfig, create_app
    from brandfit.serve.limits import Limits
    from brandfit.serve.models import ModelManager
    from brandfit.serve.server import DrainingServer

    limits = Limits.from_env(max_body_bytes=args.max_body_bytes, max_accounts=args.max_accounts,
                             max_posts=args.max_posts, max_chars=args.max_chars, max_texts=args.max_texts)
    cfg = ServeConfig(ref=args.model, registry=args.registry, backend=args.backend, limits=limits,
                      max_batch=args.max_batch,
                      max_delay=args.max_delay_ms / 1000.0, workers=args.score_threads,
                      poll_interval=args.poll_interval)
    from brandfit._blas import pin_single_threaded_blas

    pin_single_threaded_blas()  # this process only serves: no OpenBLAS threads spinning beside the embedder
    manager = ModelManager(cfg.ref, registry=cfg.registry, backend=cfg.backend)
    manager.load_initial()  # fail fast, before listening: unknown ref, tampered files
    logging.getLogger("brandfit").info("loaded %s (%s)", manager.current.version, manager.backend)
    app = create_app(cfg, manager=manager)
    _access_log_handler()
    server = DrainingServer(uvicorn.Config(app, host=args.host, port=args.port, access_log=False, log_level="info",
                                           timeout_graceful_shutdown=args.graceful_timeout, lifespan="on"))
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it drained on
        pass
    except SystemExit:  # uvicorn exits (status 3) when it cannot bind the port or the app cannot start
        if server.started:
            raise
    if not server.started:
        print(f"brandfit: could not start serving on {args.host}:{args.port} (see the log above)", file=sys.stderr)
        return 3  # uvicorn's own exit status when it cannot start
    return 0
