"""Real servers on loopback for the distribution tests: S3 (moto's server mode), SMTP (aiosmtpd), and an
HTTP receiver for apprise's json:// posts. Import the fixtures you need into a test module."""

from __future__ import annotations

import json
import threading
import time
import uuid
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.net import QuietHTTPServer, free_port


# ------------------------------------------------------------------------------------------------ S3
@pytest.fixture(scope="session")
def s3_endpoint() -> Any:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """(boto3 client, fresh bucket name, endpoint URL)."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    bucket = f"press-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    return client, bucket, s3_endpoint


# ---------------------------------------------------------------------------------------------- SMTP
class _Collector:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Any:
    """An aiosmtpd server on loopback; yields (url, collector)."""
    from aiosmtpd.controller import Controller

    handler = _Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", handler
    finally:
        controller.stop()


# --------------------------------------------------------------------------------------- HTTP receiver
class Receiver:
    """Records every POST (path, JSON body). ``fail`` = paths that answer 500; ``hold`` = paths whose
    requests are recorded and then held until ``release`` is set (to kill a sender mid-send)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, Any]] = []
        self.fail: set[str] = set()
        self.hold: set[str] = set()
        self.held = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.port = 0

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.posts if p.rstrip("/") == "/" + path.strip("/"))

    def bodies(self, path: str) -> list[Any]:
        with self.lock:
            return [b for p, b in self.posts if p.rstrip("/") == "/" + path.strip("/")]


@pytest.fixture
def receiver() -> Any:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            n = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(n)
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            path = self.path.split("?")[0]
            if path.strip("/") in rec.fail:
                self.send_response(500)
                self.end_headers()
                return
            with rec.lock:
                rec.posts.append((path, body))
            if path.strip("/") in rec.hold:
                rec.held.set()
                rec.release.wait(30)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = QuietHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    rec.port = server.server_address[1]
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield rec
    finally:
        rec.release.set()
        server.shutdown()
        server.server_close()


def wait_for(pred: Any, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False
