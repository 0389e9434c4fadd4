"""Helpers of the review desk tests: the desk served on a thread, a browser page, logging in."""

from __future__ import annotations

import threading
from typing import Any

BID = "2026-11-25-daily-briefing"
PASSWORD = "correct horse battery"


class Running:
    """The desk's waitress server on a thread, stopped from inside its own loop (see the reservations tests)."""

    def __init__(self, store: Any, settings: Any) -> None:
        from briefing.web import server

        self.server, self.link = server.make_server(store, settings, host="127.0.0.1", port=0)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        from waitress import wasyncore

        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map, ignore_all=True))
        self.thread.join(60)
        assert not self.thread.is_alive(), "the review desk did not stop"
        self.server.task_dispatcher.shutdown()


def new_page(browser: Any, errors: list[str] | None = None) -> Any:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(20000)
    if errors is not None:
        page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def log_in(page: Any, url: str, user: str, password: str = PASSWORD) -> None:
    page.goto(url + "/")
    page.wait_for_url("**/login**")
    page.fill("#user", user)
    page.fill("#password", password)
    page.click("#login-button")
    page.wait_for_selector("#queue")
