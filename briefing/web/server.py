"""``briefing review serve``: the review desk on waitress, bound to loopback unless told otherwise.

With no account, the desk serves only on a loopback address and prints a one-time login link (a publisher
session for the officer at this machine); on any other address it refuses to start until accounts exist
(``briefing review users add``). Behind a TLS reverse proxy on the same machine, the proxy's
``X-Forwarded-Proto``/``X-Forwarded-For`` from 127.0.0.1 are trusted (secure cookies, the client's address
for the failed-login count).
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable
from typing import Any

from briefing.core.config import Settings
from briefing.core.errors import ConfigError
from briefing.core.store import Store
from briefing.meeting.reservations import is_loopback
from briefing.web import accounts
from briefing.web.app import create_app

log = logging.getLogger("briefing.web")


def check_exposure(store: Store, host: str) -> None:
    if is_loopback(host) or accounts.has_users(store):
        return
    raise ConfigError(f"refusing to serve the review desk on {host} without accounts: anyone who can reach it "
                      "could publish", hint="add one with `briefing review users add NAME --role publisher`, or "
                                            "listen on 127.0.0.1")


def _cannot_listen(host: str, port: int, exc: OSError) -> ConfigError:
    reason = exc.strerror or str(exc)
    return ConfigError(f"cannot listen on {host}:{port} ({reason})",
                       hint="choose another --port, or stop what listens there; --host must be an address "
                            "of this machine")


def _probe(host: str, port: int) -> None:
    try:
        family, kind, proto, _name, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                              flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress binds
            s.bind(addr)
    except OSError as exc:
        raise _cannot_listen(host, port, exc) from None


def make_server(store: Store, settings: Settings, *, host: str, port: int) -> tuple[Any, str | None]:
    """A waitress server (call .run(), .close() to stop) and the one-time login link, if there is one."""
    from waitress import create_server

    check_exposure(store, host)
    one_time = None if accounts.has_users(store) else accounts.OneTimeToken()
    app = create_app(store, settings, one_time=one_time)
    _probe(host, port)  # waitress leaves its sockets open when it cannot bind: find out first
    try:
        server = create_server(app, host=host, port=port, threads=8, ident="briefing-desk",
                               trusted_proxy="127.0.0.1", trusted_proxy_count=1,
                               trusted_proxy_headers={"x-forwarded-proto", "x-forwarded-for"},
                               clear_untrusted_proxy_headers=True, max_request_body_size=8 << 20)
    except OSError as exc:  # the port taken since the probe
        raise _cannot_listen(host, port, exc) from None
    shown = host if ":" not in host else f"[{host}]"
    url = f"http://{shown}:{server.effective_port}/"
    link = f"{url}login?token={one_time.value}" if one_time and one_time.value else None
    return server, link


def serve(store: Store, settings: Settings, *, host: str, port: int,
          say: Callable[[str], None] = print) -> None:
    """Serve until interrupted (Ctrl-C ends it as any command)."""
    server, link = make_server(store, settings, host=host, port=port)
    shown = host if ":" not in host else f"[{host}]"
    say(f"review desk: http://{shown}:{server.effective_port}/")
    if link:
        say(f"no accounts yet: open this one-time link to log in as the publisher at this machine:\n    {link}")
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
