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


class WaitressThread:
    """A waitress server run on a thread and stopped from inside its own loop: closing its sockets from another
    thread races the loop's select() ("Bad file descriptor" raised in the server thread, into a later test)."""

    def __init__(self, server: Any, name: str = "the server") -> None:
        import threading

        self.server, self.name = server, name
        self.effective_port = server.effective_port
        self.thread = threading.Thread(target=server.run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        from waitress import wasyncore

        # the worker threads first: one finishing a request wakes the loop through its trigger, which must
        # still be open (a closed one is an OSError in that thread); then every dispatcher, closed by the
        # loop itself, empties its map, so the loop returns.
        self.server.task_dispatcher.shutdown(timeout=60)
        trigger = self.server.trigger
        # waitress's pull_trigger() adds the thunk, then writes to the pipe: a wake-up already in the pipe (a
        # worker's) can run the thunk in between, which closes the pipe before that write ("Bad file
        # descriptor", or a byte written into whatever file got the number since). The loop runs thunks
        # under the trigger's lock, so holding it over both keeps the closing thunk after the write.
        with trigger.lock:
            trigger.thunks.append(lambda: wasyncore.close_all(self.server._map, ignore_all=True))
            trigger._physical_pull()
        self.thread.join(60)
        assert not self.thread.is_alive(), f"{self.name} did not stop"
