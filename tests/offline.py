"""A guard for tests that must work with the network cut: any non-loopback connection fails the test."""

from __future__ import annotations

import contextlib
import ipaddress
import socket

import pytest


@contextlib.contextmanager
def no_internet():
    """Any attempt to reach a non-loopback address fails loudly; the HF libraries are told they are offline."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not ipaddress.ip_address(address[0]).is_loopback:
            raise AssertionError(f"network access attempted: {address!r}")
        return real_connect(self, address)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", guarded)
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        yield
