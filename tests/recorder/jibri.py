"""A loopback HTTP server answering as Jibri's HttpApi.kt does (contracts §1), for the recorder and briefing
tests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler

from tests.net import QuietHTTPServer


def health_json(busy: str = "IDLE", healthy: str = "HEALTHY", env: str | None = None) -> dict:
    body = {
        "status": {
            "busyStatus": busy,
            "health": {"healthStatus": healthy, "details": {"JibriManager": {"healthStatus": healthy, "detail": None}}},
        }
    }
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
                    allowed = {
                        "sessionId",
                        "callParams",
                        "callLoginParams",
                        "sinkType",
                        "youTubeStreamKey",
                        "sipClientParams",
                    }
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

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeJibri:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
