"""The one module that starts waitress: the reservation service and the review desk are served through it.

- :func:`make_server` binds first with a plain socket (waitress leaves its sockets open when it cannot bind)
  and turns a taken port or a foreign address into one ConfigError line;
- :func:`run_until_interrupted` serves until Ctrl-C (SIGINT), then closes the server and raises
  KeyboardInterrupt, as every command ends on Ctrl-C (waitress's own ``run()`` swallows it and returns).
"""

from __future__ import annotations

import ipaddress
import signal
import socket
from typing import Any

from briefing.core.errors import ConfigError


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (127.0.0.0/8, ::1) or ``localhost``; 0.0.0.0 and :: are not."""
    h = host.strip().strip("[]").lower()
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def cannot_listen(host: str, port: int, exc: OSError) -> ConfigError:
    reason = exc.strerror or str(exc)
    return ConfigError(
        f"cannot listen on {host}:{port} ({reason})",
        hint="choose another --port, or stop what listens there; --host must be an address of this machine",
    )


def _probe(host: str, port: int) -> None:
    try:
        family, kind, proto, _name, addr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress binds
            s.bind(addr)
    except OSError as exc:
        raise cannot_listen(host, port, exc) from None


def make_server(app: Any, *, host: str, port: int, **options: Any) -> Any:
    """A waitress server for the WSGI ``app`` (call .run(), .close() to stop; port 0 picks a free port, see
    .effective_port); ``options`` are waitress's (threads, ident, proxy headers, limits)."""
    from waitress import create_server

    if port:
        _probe(host, port)  # waitress leaves its sockets open when it cannot bind: find out first
    try:
        return create_server(app, host=host, port=port, **options)
    except OSError as exc:  # the port taken since the probe, or an address not of this machine
        raise cannot_listen(host, port, exc) from None


def run_until_interrupted(server: Any) -> None:
    """Serve until SIGINT; then close the server and raise KeyboardInterrupt."""
    interrupted: list[int] = []

    def on_sigint(signum: int, _frame: Any) -> None:
        interrupted.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        server.run()
    finally:
        signal.signal(signal.SIGINT, previous)
        server.close()
    if interrupted:
        raise KeyboardInterrupt
