"""recorder.jibri against a loopback HTTP server answering as Jibri's HttpApi.kt does (contracts §1)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from recorder.jibri import (CallLogin, JibriBusy, JibriClient, JibriError, JibriHealth, JibriRejected,
                            JibriServerError, JibriUnreachable, StartRequest)


def health_json(busy: str = "IDLE", healthy: str = "HEALTHY", env: str | None = None) -> dict:
    body = {"status": {"busyStatus": busy,
                       "health": {"healthStatus": healthy,
                                  "details": {"JibriManager": {"healthStatus": healthy, "detail": None}}}}}
    if env:
        body["environmentContext"] = {"name": env}
    return body


class FakeJibri:
    """State machine of a Jibri: IDLE → (startService) BUSY → (stopService) IDLE, or EXPIRED in single-use."""

    def __init__(self, *, single_use: bool = False) -> None:
        self.busy = "IDLE"
        self.single_use = single_use
        self.requests: list[tuple[str, str, object]] = []
        self.next_start: tuple[int, str] | None = None  # force an answer (status, body)
        self.on_stop = None
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def _send(self, code: int, body: str = "", ctype: str = "text/plain") -> None:
                data = body.encode()
                self.send_response(code)
                if data:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                srv.requests.append(("GET", self.path, None))
                if self.path == "/jibri/api/v1.0/health":
                    self._send(200, json.dumps(health_json(srv.busy)), "application/json")
                else:
                    self._send(404)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                body = None
                if raw:
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        srv.requests.append(("POST", self.path, raw))
                        return self._send(500)
                srv.requests.append(("POST", self.path, body))
                if self.path == "/jibri/api/v1.0/startService":
                    if srv.next_start:
                        code, text = srv.next_start
                        srv.next_start = None
                        return self._send(code, text)
                    if srv.busy != "IDLE":
                        return self._send(412, "Jibri is currently busy")
                    allowed = {"sessionId", "callParams", "callLoginParams", "sinkType", "youTubeStreamKey",
                               "sipClientParams"}
                    if set(body) - allowed:  # Jackson fails on unknown properties
                        return self._send(500)
                    if body["sinkType"].upper() in ("FILE", "STREAM") and not body.get("callLoginParams"):
                        return self._send(412, "Call login params missing")
                    if body["sinkType"].upper() == "STREAM" and not body.get("youTubeStreamKey"):
                        return self._send(412, "Stream key missing")
                    srv.busy = "BUSY"
                    return self._send(200)
                if self.path == "/jibri/api/v1.0/stopService":
                    if srv.on_stop:
                        srv.on_stop()
                    srv.busy = "EXPIRED" if srv.single_use and srv.busy == "BUSY" else "IDLE"
                    return self._send(200)
                self._send(404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeJibri":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def jibri():
    with FakeJibri() as j:
        yield j


def request(**kw) -> StartRequest:
    args = dict(session_id="2026-11-25-daily-press-briefing", base_url="https://meet.example.org/",
                call_name="daily-abc", login=CallLogin("recorder.meet.example.org", "recorder", "pw"))
    args.update(kw)
    return StartRequest(**args)


def test_health_shapes_idle_busy_expired() -> None:
    assert JibriHealth.from_json(health_json("IDLE")).idle
    busy = JibriHealth.from_json(health_json("BUSY", env="meet.example.org"))
    assert busy.busy and busy.environment == "meet.example.org" and busy.healthy
    assert busy.details[0].name == "JibriManager"
    exp = JibriHealth.from_json(health_json("EXPIRED", "UNHEALTHY"))
    assert exp.expired and not exp.healthy
    with pytest.raises(JibriError, match="unknown shape"):
        JibriHealth.from_json({"busyStatus": "IDLE"})


def test_start_stop_cycle_sends_only_documented_fields(jibri: FakeJibri) -> None:
    with JibriClient(jibri.url) as c:
        assert c.health().idle
        c.start(request())
        assert c.wait_for("BUSY", timeout=2).busy
        c.stop()
        assert c.wait_for("IDLE", timeout=2).idle
    method, path, body = jibri.requests[1]
    assert (method, path) == ("POST", "/jibri/api/v1.0/startService")
    assert body == {"sessionId": "2026-11-25-daily-press-briefing",
                    "callParams": {"callUrlInfo": {"baseUrl": "https://meet.example.org", "callName": "daily-abc"}},
                    "callLoginParams": {"domain": "recorder.meet.example.org", "username": "recorder",
                                        "password": "pw"},
                    "sinkType": "file"}


def test_stream_sink_sends_the_rtmp_url_as_youtube_key(jibri: FakeJibri) -> None:
    with JibriClient(jibri.url + "/jibri/api/v1.0") as c:
        c.start(request(sink="stream", rtmp_url="rtmp://media.gov.example/live/2026-11-25"))
    body = jibri.requests[-1][2]
    assert body["sinkType"] == "stream" and body["youTubeStreamKey"] == "rtmp://media.gov.example/live/2026-11-25"
    with pytest.raises(JibriError, match="rtmp"):
        request(sink="stream", rtmp_url="abcd-key").to_json()


def test_412_busy_and_412_missing_field_and_500(jibri: FakeJibri) -> None:
    with JibriClient(jibri.url) as c:
        c.start(request())
        with pytest.raises(JibriBusy, match="busy") as e:
            c.start(request())
        assert e.value.status_code == 412 and "record stop" in str(e.value)
        c.stop()
        jibri.next_start = (412, "Call login params missing")
        with pytest.raises(JibriRejected, match="Call login params missing"):
            c.start(request())
        jibri.next_start = (500, "")
        with pytest.raises(JibriServerError, match="HTTP 500") as e:
            c.start(request())
        assert "journalctl" in str(e.value)


def test_expired_single_use() -> None:
    with FakeJibri(single_use=True) as j, JibriClient(j.url) as c:
        c.start(request())
        c.stop()
        assert c.health().expired


def test_unreachable_names_the_url() -> None:
    with JibriClient("http://127.0.0.1:9", timeout=2) as c:
        with pytest.raises(JibriUnreachable, match="127.0.0.1:9"):
            c.health()
