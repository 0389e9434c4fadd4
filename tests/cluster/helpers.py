"""A real redis-server on a free loopback port, real `briefing worker` processes and the `briefing` command,
for the cluster tests (S3 is moto's server, tests.distfixtures)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.net import free_port

REPO = Path(__file__).resolve().parents[2]
CLIPS = (
    "en_ljspeech_LJ001-0041.wav",
    "en_ljspeech_LJ001-0051.wav",
    "en_ljspeech_LJ001-0064.wav",
    "en_ljspeech_LJ001-0048.wav",
    "en_ljspeech_LJ001-0030.wav",
    "en_ljspeech_LJ001-0042.wav",
)
DEADLINE = 300.0  # generous: the machine is shared; every wait polls for a condition


def poll(pred: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Redis:
    """redis-server on 127.0.0.1:<free port>, append-only (a restart keeps the queue, as a ministry's should)."""

    def __init__(self, directory: Path) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.skip("redis-server is not installed (Debian package redis-server)")
        self.exe = exe
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=2)

    def start(self) -> None:
        with open(self.dir / "redis.log", "ab") as log:
            self.proc = subprocess.Popen(
                [
                    self.exe,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(self.dir),
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                    "--save",
                    "",
                    "--protected-mode",
                    "no",
                ],
                stdout=log,
                stderr=log,
            )

        def up() -> bool:
            try:
                return bool(self.client().ping())
            except Exception:  # noqa: BLE001 - not listening yet
                return False

        poll(up, "redis-server to answer")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # redis flushes its append-only file and exits
            self.proc.wait(60)
        self.proc = None


def env(home: Path, **extra: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    e.update(
        BRIEFING_HOME=str(home),
        PYTHONPATH=str(REPO),
        BRIEFING_CACHE_DIR=os.environ["BRIEFING_CACHE_DIR"],
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    e.update(extra)
    return e


def briefing(home: Path, *args: str, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", *args],
        env=env(home, **extra),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def spawn(home: Path, log: Path, *args: str, stdin: Any = subprocess.DEVNULL, **extra: str) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "import cli; cli.main()", *args],
            env=env(home, **extra),
            cwd=REPO,
            stdin=stdin,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


class Worker:
    def __init__(self, home: Path, name: str, concurrency: int = 1, **extra: str) -> None:
        self.log = home.parent / f"{name}.log"
        self.proc = spawn(
            home,
            self.log,
            "worker",
            "--queues",
            "cpu",
            "--concurrency",
            str(concurrency),
            stdin=subprocess.PIPE,
            **extra,
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def ready(self) -> None:
        poll(lambda: " ready." in self.text() or self.proc.poll() is not None, "the worker to be ready")
        assert self.proc.poll() is None, self.text()[-3000:]

    def stop(self) -> None:
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def configure(
    home: Path, *, broker: str, bucket: str, endpoint: str, receiver_url: str | None = None, visibility: str = "6h"
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    lines = [
        "[cluster]",
        f'broker = "{broker}"',
        f'storage = "s3://{bucket}/cluster"',
        f's3_endpoint_url = "{endpoint}"',
        's3_region = "us-east-1"',
        f'visibility_timeout = "{visibility}"',
        "",
    ]
    if receiver_url:
        lines += [
            "[[publish.channels]]",
            'name = "press"',
            f'url = "{receiver_url}"',
            "",
            "[publish]",
            "retry_attempts = 1",
            'retry_wait = "0"',
            "",
        ]
    (home / "briefing.toml").write_text("\n".join(lines), encoding="utf-8")


def recordings(speech_dir: Path, dest: Path, n: int) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for i, clip in enumerate(CLIPS[:n], 1):
        shutil.copyfile(speech_dir / clip, dest / f"2025-03-{i:02d}_press_briefing.wav")
    return dest


def objects(s3: Any) -> list[str]:
    """The objects left in the cluster storage (moto's S3)."""
    client, bucket, _ = s3
    return [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="cluster/objects/").get("Contents", [])]


def published(home: Path) -> dict[str, int]:
    site = home / "site" / "briefings"
    return {
        p.parent.name: int(json.loads(p.read_text(encoding="utf-8"))["version"])
        for p in sorted(site.glob("*/release.json"))
    }


def feed_ids(home: Path) -> list[str]:
    import feedparser

    parsed = feedparser.parse((home / "site" / "feed.xml").read_bytes())
    return [str(e.get("id", "")) for e in parsed.entries]


def jobs(home: Path) -> list[dict[str, Any]]:
    import sqlite3

    db = sqlite3.connect(f"file:{home / 'briefing.db'}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM recording_jobs ORDER BY id")]
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()
