"""``briefing review serve``: the review desk on waitress, bound to loopback unless told otherwise.

With no account, the desk serves only on a loopback address and prints a one-time login link (a publisher
session for the officer at this machine); on any other address it refuses to start until accounts exist
(``briefing review users add``). Behind a TLS reverse proxy on the same machine, the proxy's
``X-Forwarded-Proto``/``X-Forwarded-For`` from 127.0.0.1 are trusted (secure cookies, the client's address
for the failed-login count).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from briefing.core import webserver
from briefing.core.config import Settings
from briefing.core.errors import ConfigError
from briefing.core.store import Store
from briefing.web import accounts
from briefing.web.app import create_app

log = logging.getLogger("briefing.web")


def check_exposure(store: Store, host: str) -> None:
    if webserver.is_loopback(host) or accounts.has_users(store):
        return
    raise ConfigError(
        f"refusing to serve the review desk on {host} without accounts: anyone who can reach it could publish",
        hint="add one with `briefing review users add NAME --role publisher`, or listen on 127.0.0.1",
    )


def make_server(store: Store, settings: Settings, *, host: str, port: int) -> tuple[Any, str | None]:
    """A waitress server (call .run(), .close() to stop) and the one-time login link, if there is one."""
    check_exposure(store, host)
    one_time = None if accounts.has_users(store) else accounts.OneTimeToken()
    app = create_app(store, settings, one_time=one_time)
    server = webserver.make_server(
        app,
        host=host,
        port=port,
        threads=8,
        ident="briefing-desk",
        trusted_proxy="127.0.0.1",
        trusted_proxy_count=1,
        trusted_proxy_headers={"x-forwarded-proto", "x-forwarded-for"},
        clear_untrusted_proxy_headers=True,
        max_request_body_size=8 << 20,
    )
    shown = host if ":" not in host else f"[{host}]"
    url = f"http://{shown}:{server.effective_port}/"
    link = f"{url}login?token={one_time.value}" if one_time and one_time.value else None
    return server, link


def serve(store: Store, settings: Settings, *, host: str, port: int, say: Callable[[str], None] = print) -> None:
    """Serve until interrupted (Ctrl-C ends it as any command)."""
    server, link = make_server(store, settings, host=host, port=port)
    shown = host if ":" not in host else f"[{host}]"
    say(f"review desk: http://{shown}:{server.effective_port}/")
    if link:
        say(f"no accounts yet: open this one-time link to log in as the publisher at this machine:\n    {link}")
    webserver.run_until_interrupted(server)
