"""Helpers of the review desk tests: the desk served on a thread, a browser page, logging in."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from tests.net import WaitressThread

BID = "2026-11-25-daily-briefing"
PASSWORD = "correct horse battery"


class Running(WaitressThread):
    """The desk's waitress server on a thread (tests.net.WaitressThread), and its one-time login link."""

    def __init__(self, store: Any, settings: Any) -> None:
        from briefing.web import server

        srv, self.link = server.make_server(store, settings, host="127.0.0.1", port=0)
        super().__init__(srv, "the review desk")
        self.url = f"http://127.0.0.1:{self.effective_port}"


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


class Officer:
    """An HTTP client that logs in through the form as a browser does and keeps the CSRF token of its pages."""

    def __init__(self, url: str) -> None:
        self.c = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
        self.csrf = ""

    def login(self, user: str, password: str = PASSWORD) -> httpx.Response:
        page = self.c.get("/login")
        token = re.search(r'id="login-form".*?name="csrf_token" value="([^"]+)"', page.text, re.S).group(1)
        return self.c.post("/login", data={"csrf_token": token, "user": user, "password": password, "next": "/"})

    def editor(self) -> dict[str, Any]:
        r = self.c.get(f"/b/{BID}")
        assert r.status_code == 200, r.text
        data = json.loads(re.search(r'id="desk-data">(.*?)</script>', r.text, re.S).group(1))
        self.csrf = data["csrf"]
        return data

    def post(self, path: str, body: dict[str, Any], csrf: str | None = None) -> httpx.Response:
        headers = {} if csrf == "" else {"X-CSRF-Token": self.csrf if csrf is None else csrf}
        return self.c.post(path, json=body, headers=headers)


def with_flags(store: Any) -> None:
    """Guard events, glossary fixes and redactions recorded as the stages record them."""
    tr = store.stage(BID, "transcribe")
    arts = list(store.artifacts(BID, "transcribe").values())
    store.stage_done(
        BID,
        "transcribe",
        tr.inputs_key,
        arts,
        {
            "quality": {
                "guards": [
                    {
                        "kind": "repetition",
                        "action": "removed",
                        "start": 1.2,
                        "end": 1.3,
                        "text": "thank you thank you thank you",
                    },
                    {"kind": "silence", "action": "flagged", "start": 2.9, "end": 3.0, "text": "..."},
                ],
                "glossary": [
                    {"segment_id": 2, "start": 1.5, "end": 1.7, "heard": "hospitable", "term": "hospital", "score": 0.9}
                ],
            }
        },
    )
    red = store.stage(BID, "redact")
    store.stage_done(
        BID,
        "redact",
        red.inputs_key,
        list(store.artifacts(BID, "redact").values()),
        {"hits": [{"kind": "phone", "segment_id": 3, "start": 2.3, "end": 2.6, "text": "0912 345 678"}]},
    )
