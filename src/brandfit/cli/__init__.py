"""The ``brandfit`` command line: one program, one subcommand per job.

Each subcommand lives in its own module exposing ``register(subparsers)``; the handler it sets as
``func`` takes the parsed arguments and returns an exit code. Only :func:`main` configures logging.
A :class:`~brandfit.errors.BrandfitError` prints one line (``brandfit: error: ...``, exit 2) unless ``-v`` asks for
the traceback; an OS error about a named file prints one line with exit 1; anything else is a bug and shows its
traceback (exit 1).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from typing import Sequence

from brandfit import __version__
from brandfit.errors import BrandfitError

__all__ = ["main", "build_parser"]

logger = logging.getLogger("brandfit")

# module name -> what it adds; imported lazily so `brandfit --help` stays fast
_SUBCOMMAND_MODULES = ("data", "train", "evaluate", "models", "predict", "tag", "rank", "cache", "export_onnx",
                       "embed", "serve")

EXIT_OK = 0
EXIT_FAILURE = 1  # the job ran and found problems (bad rows, failed checks)
EXIT_USAGE = 2  # bad arguments, missing files, unknown models


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brandfit",
        description="Which influencers really fit a brand's core topic: train, evaluate, publish and apply "
        "topic-relevance and advertorial-tone models.",
    )
    parser.add_argument("--version", action="version", version=f"brandfit {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging; -v also shows tracebacks")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in _SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(f"brandfit.cli._{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"brandfit.cli._{name}":
                raise
            continue  # subcommand not built yet
        module.register(sub)
    return parser


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose >= 2 else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    _configure_logging(args.verbose, args.quiet)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        hint = " (run the same command again with --resume to continue)" if args.command == "tag" else ""
        print(f"brandfit: interrupted{hint}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        if not _stdout_closed():
            raise  # another pipe (a worker, a FIFO): a real error
        # stdout's reader went away (`brandfit models show REF | head`): stop quietly
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the final flush must not fail
        return 141  # 128 + SIGPIPE, as a shell reports a pipeline cut short
    except BrandfitError as exc:  # a deliberate error: one line, unless -v asks for the traceback
        if args.verbose:
            raise
        print(f"brandfit: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        if exc.filename is None or args.verbose:
            raise  # not about a file the user named: a bug, show the traceback
        print(f"brandfit: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILURE


def _stdout_closed() -> bool:
    """Whether stdout is a pipe whose reading end is closed (poll reports an error on it)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), no real stdout (a test's capture)
        return False


def _one_line(exc: BaseException) -> str:
    text = str(exc) if not isinstance(exc, KeyError) or not exc.args else str(exc.args[0])
    text = " ".join(text.split()) or type(exc).__name__
    return text
