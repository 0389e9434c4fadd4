"""Loopback helpers shared by the tests: one free port, and an HTTP server for fakes that stays quiet when a
client hangs up (a client that timed out or closed early is not an error of the test that owns the fake)."""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class QuietHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer whose handler threads do not print a traceback when the client disconnects
    (BrokenPipeError, ConnectionResetError); every other error still reaches socketserver's handle_error."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on loopback (quietly) while the block runs; yields its base URL,
    ``http://127.0.0.1:PORT/``."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = QuietHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
