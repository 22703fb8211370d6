"""The benchmark server helper picks a free port and fails loudly when its own server does not
start (it never measures another process that happens to answer on the port)."""

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import _server  # noqa: E402


def test_free_port_is_free():
    port = _server.free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))  # nobody holds it


def test_a_taken_port_fails_loudly_instead_of_measuring_the_other_server():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(RuntimeError, match=r"benchmark server exited with \d+ before answering"):
            with _server.running_server("sqlite:///unused.sqlite3", port=port, workers=1):
                pass
