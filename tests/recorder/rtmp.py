"""A real nginx-rtmp server on loopback, started by the tests themselves (never a system service)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.net import free_port

NGINX = os.environ.get("BRIEFING_TEST_NGINX", "/usr/sbin/nginx")
MODULE_CANDIDATES = ("/usr/lib/nginx/modules/ngx_rtmp_module.so", "/usr/share/nginx/modules/ngx_rtmp_module.so")


def rtmp_module() -> str | None:
    for m in MODULE_CANDIDATES:
        if Path(m).is_file():
            return m
    return None


def available() -> str:
    """'' when nginx with the RTMP module can run here, else why not."""
    if not (Path(NGINX).is_file() or shutil.which("nginx")):
        return "nginx is not installed (apt-get install nginx libnginx-mod-rtmp)"
    if rtmp_module() is None:
        return "the nginx RTMP module is not installed (apt-get install libnginx-mod-rtmp)"
    return ""


class RtmpServer:
    def __init__(self, workdir: Path) -> None:
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, key: str) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live/{key}"

    def start(self) -> RtmpServer:
        conf = self.dir / "nginx.conf"
        conf.write_text(f"""
load_module {rtmp_module()};
daemon off;
master_process off;
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{self.port};
        chunk_size 4096;
        application live {{ live on; record off; }}
    }}
}}
""")
        nginx = NGINX if Path(NGINX).is_file() else shutil.which("nginx")
        with open(self.dir / "stderr.log", "wb") as err:  # nginx holds its own copy of the descriptor
            self.proc = subprocess.Popen(
                [nginx, "-p", str(self.dir), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=err
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            if self.proc.poll() is not None:
                raise RuntimeError("nginx did not start: " + (self.dir / "stderr.log").read_text())
            time.sleep(0.05)
        raise RuntimeError("nginx-rtmp did not listen within 10 s")

    def connections(self) -> int:
        """Established TCP connections to the server (Linux /proc/net/tcp): a player or publisher."""
        n = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                f = line.split()
                if len(f) > 3 and f[3] == "01" and int(f[1].rsplit(":", 1)[1], 16) == self.port:
                    n += 1
        return n

    def wait_for_connection(self, timeout: float = 30.0) -> None:
        """Until a client (the capture's ffmpeg) has connected, and a moment for its play request."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.connections() == 0:
            time.sleep(0.05)
        time.sleep(0.5)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
