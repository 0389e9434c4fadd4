"""The loopback helpers themselves: a fake server says nothing when its client hangs up (so no traceback from a
helper leaks into another test's output), and still reports a real error of its handler."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from tests.net import QuietHTTPServer


def _serve_once(fail_with: type[BaseException] | None) -> tuple[QuietHTTPServer, threading.Event, threading.Event]:
    hung_up, handled = threading.Event(), threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a) -> None:
            pass

        def do_GET(self) -> None:
            hung_up.wait(30)
            if fail_with is not None:
                raise fail_with("a real handler bug")
            self.send_response(200)
            self.end_headers()
            for _ in range(1000):  # the peer is gone: a write fails with EPIPE / ECONNRESET
                self.wfile.write(b"x" * 65536)

    class Server(QuietHTTPServer):
        def handle_error(self, request, client_address) -> None:
            try:
                super().handle_error(request, client_address)
            finally:
                handled.set()

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with socket.create_connection(server.server_address[:2], timeout=30) as c:
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
    hung_up.set()
    return server, hung_up, handled


def test_a_client_that_hangs_up_prints_no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    server, _, handled = _serve_once(None)
    try:
        assert handled.wait(30), "the handler never failed to write to the closed connection"
    finally:
        server.shutdown()
        server.server_close()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipe" not in err and "ConnectionReset" not in err, err


def test_a_handler_bug_is_still_reported(capfd: pytest.CaptureFixture[str]) -> None:
    server, _, handled = _serve_once(ValueError)
    try:
        assert handled.wait(30)
    finally:
        server.shutdown()
        server.server_close()
    assert "ValueError: a real handler bug" in capfd.readouterr().err
