"""``brandfit serve``'s numbers are checked before anything loads or listens, and "listening" is logged only once the
port accepts connections."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from brandfit.cli import build_parser, main
from brandfit.errors import SettingsError


def _refuse_to_load(monkeypatch) -> None:
    """Loading a model would mean the bad option got past the parser."""
    def boom(*_a, **_k):
        raise AssertionError("serve started although an option was invalid")

    monkeypatch.setattr("brandfit.cli._serve._serve", boom)


@pytest.mark.parametrize("args,option,expected", [
    (["--max-batch", "0"], "--max-batch", "whole number >= 1"),
    (["--max-batch", "-1"], "--max-batch", "whole number >= 1"),
    (["--score-threads", "0"], "--score-threads", "whole number >= 1"),
    (["--max-accounts", "0"], "--max-accounts", "whole number >= 1"),
    (["--max-body-bytes", "-3"], "--max-body-bytes", "whole number >= 1"),
    (["--poll-interval", "-1"], "--poll-interval", "number of seconds >= 0"),
    (["--poll-interval", "nan"], "--poll-interval", "number of seconds >= 0"),
    (["--max-delay-ms", "-5"], "--max-delay-ms", "number of milliseconds >= 0"),
    (["--graceful-timeout", "-0.5"], "--graceful-timeout", "number of seconds >= 0"),
    (["--graceful-timeout", "inf"], "--graceful-timeout", "number of seconds >= 0"),
    (["--port", "70000"], "--port", "port in [0, 65535]"),
    (["--port", "-1"], "--port", "port in [0, 65535]"),
])
def test_a_bad_number_is_a_usage_error_naming_the_option(monkeypatch, capsys, args, option, expected):
    _refuse_to_load(monkeypatch)
    with pytest.raises(SystemExit) as exited:
        main(["serve", *args])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "listening" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"brandfit serve: error: argument {option}: ") and expected in last, err


def test_zero_is_accepted_where_it_means_something():
    """0 s between alias checks: never swap; 0 ms delay: never wait for company; 0 s grace: cancel at once."""
    args = build_parser().parse_args(["serve", "--poll-interval", "0", "--max-delay-ms", "0",
                                      "--graceful-timeout", "0", "--port", "0"])
    assert (args.poll_interval, args.max_delay_ms, args.graceful_timeout, args.port) == (0.0, 0.0, 0.0, 0)
    defaults = build_parser().parse_args(["serve"])
    assert (defaults.max_batch, defaults.score_threads, defaults.poll_interval) == (256, 2, 2.0)


def test_the_config_refuses_bad_numbers_and_keeps_a_zero_delay():
    pytest.importorskip("fastapi")
    from fakes import REPO, make_model

    from brandfit.serve.app import ServeConfig, create_app

    for bad in ({"max_batch": 0}, {"workers": 0}, {"workers": True}, {"max_delay": -0.001},
                {"poll_interval": float("nan")}):
        with pytest.raises(SettingsError, match=next(iter(bad))):
            ServeConfig(**bad)
    app = create_app(ServeConfig(poll_interval=0, max_delay=0, registry=REPO / "models"), model=make_model())
    assert app.state.serve.batcher.max_delay == 0  # not raised to the batcher's 5 ms idle gap


def _draining_server(port: int):
    pytest.importorskip("fastapi")
    uvicorn = pytest.importorskip("uvicorn")
    from fastapi import FastAPI

    from brandfit.serve.server import DrainingServer

    return DrainingServer(uvicorn.Config(FastAPI(), host="127.0.0.1", port=port, lifespan="off",
                                         log_level="warning"))


def test_listening_is_logged_once_the_port_accepts_and_names_the_port_it_got(caplog):
    server = _draining_server(0)
    with caplog.at_level(logging.INFO, logger="brandfit.serve.server"):
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        [address] = server.addresses()
        port = int(address.rsplit(":", 1)[1])
        assert port > 0 and f"listening on http://127.0.0.1:{port}" in caplog.text
        socket.create_connection(("127.0.0.1", port), timeout=5).close()  # it does accept
        server.should_exit = True
        thread.join(10)
    assert not thread.is_alive()


def test_listening_is_not_logged_when_the_port_cannot_open(caplog):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = _draining_server(taken.getsockname()[1])
        with caplog.at_level(logging.INFO, logger="brandfit.serve.server"), pytest.raises(SystemExit):
            server.run()
    assert not server.started and "listening" not in caplog.text
