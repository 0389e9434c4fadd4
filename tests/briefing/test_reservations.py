"""The reservation service as a real server, driven exactly as prosody's mod_reservations drives it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from briefing.core import webserver
from briefing.core.store import Store
from briefing.meeting import reservations, schedule
from tests.briefing.helpers_jitsi import local_start
from tests.net import WaitressThread, free_port

UA = {"User-Agent": "Prosody (0.12.4; Linux)"}


def _prosody_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _form(room: str, **extra: str) -> dict[str, str]:
    return {"name": room, "start_time": _prosody_now(), "mail_owner": "focus@auth.meet.gov.example", **extra}


@pytest.fixture
def rooms(briefing_env: Path) -> dict[str, str]:
    """Briefings around now: open, later today, yesterday, cancelled. Returns series id -> room."""
    briefing_env.mkdir(parents=True, exist_ok=True)
    store = Store(briefing_env / "briefing.db")
    out = {}
    for title, delta in (
        ("Open", timedelta(minutes=-5)),
        ("Later", timedelta(hours=3)),
        ("Yesterday", timedelta(days=-1)),
        ("Cancelled", timedelta(minutes=-5)),
    ):
        s = schedule.add_series(store, title=title, start=local_start(delta), duration="60m", timezone_name="UTC")
        occ = schedule.find_occurrence(store, s.id, s.dtstart.date().isoformat())
        out[s.id] = occ.room
    schedule.cancel(store, "cancelled")
    store.close()
    return out


def _serve(home: Path, token: str = "", **kw):
    server = WaitressThread(
        reservations.make_server(str(home / "briefing.db"), host="127.0.0.1", port=0, token=token, **kw),
        "the reservation server",
    )
    return server, f"http://127.0.0.1:{server.effective_port}"


@pytest.fixture
def service(rooms, briefing_env: Path):
    server, url = _serve(briefing_env)
    with httpx.Client(base_url=url, headers=UA, timeout=5) as client:
        yield client
    server.close()


def test_open_room_is_reserved_until_the_window_closes_then_conflicts_and_ends(
    service, rooms, briefing_env, caplog
) -> None:
    caplog.set_level("INFO", logger="briefing.meeting.reservations")
    form = _form(rooms["open"])
    r = service.post("/conference", data=form)  # httpx sends application/x-www-form-urlencoded
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == rooms["open"] and body["mail_owner"] == form["mail_owner"]
    assert body["start_time"].endswith("Z") and len(body["start_time"]) == len("2048-04-20T17:55:12.000Z")
    # Started 5 minutes ago, 60 minutes long, 30 minutes grace: about 85 minutes left, in seconds.
    assert 84 * 60 <= body["duration"] <= 85 * 60 + 5
    assert any("200" in rec.getMessage() and rooms["open"] in rec.getMessage() for rec in caplog.records)

    again = service.post("/conference", data=_form(rooms["open"].upper()))  # names compare case-insensitively
    assert again.status_code == 409
    assert again.json() == {"conflict_id": body["id"]}
    # prosody then fetches the conflicting reservation, which must have the same shape
    got = service.get(f"/conference/{body['id']}")
    assert got.status_code == 200 and got.json() == body

    gone = service.delete(f"/conference/{body['id']}")
    assert gone.status_code == 200
    ended = Store(briefing_env / "briefing.db").query(
        "SELECT ended_at FROM schedule_occurrences WHERE room = ?", (rooms["open"],)
    )[0][0]
    assert ended  # the room's end is recorded
    # everyone left and came back within the window: a new reservation
    fresh = service.post("/conference", data=_form(rooms["open"]))
    assert fresh.status_code == 200 and fresh.json()["id"] != body["id"]

    tenant = service.post("/conference", data=_form(f"[ministry]{rooms['open']}"))
    assert tenant.status_code == 409  # same room behind a tenant prefix


def test_rooms_outside_their_window_or_unknown_are_refused_with_a_reason(service, rooms) -> None:
    r = service.post("/conference", data=_form(rooms["later"]))
    assert r.status_code == 403
    opens = (datetime.now(UTC) + timedelta(hours=3) - timedelta(minutes=30)).strftime("%H:%M")
    assert "opens at" in r.json()["message"] and opens[:2] in r.json()["message"]
    assert r.json()["opens_at"].endswith("Z")

    r = service.post("/conference", data=_form(rooms["yesterday"]))
    assert r.status_code == 403 and "closed" in r.json()["message"]

    r = service.post("/conference", data=_form(rooms["cancelled"]))
    assert r.status_code == 403 and "cancelled" in r.json()["message"]

    r = service.post("/conference", data=_form("daily-briefing-guessed-room"))
    assert r.status_code == 403 and "not a scheduled briefing" in r.json()["message"]

    assert service.get("/conference/999").status_code == 404
    assert service.delete("/conference/999").status_code == 404
    assert service.get("/conference/not-a-number").status_code == 404


def test_malformed_requests_get_400_and_the_service_keeps_working(service, rooms) -> None:
    room = rooms["open"]
    bad = [
        service.post("/conference", data={"name": room, "mail_owner": "x@y"}),  # no start_time
        service.post("/conference", data={"start_time": _prosody_now(), "mail_owner": "x@y"}),  # no name
        service.post("/conference", data=_form(room, start_time="yesterday-ish")),
        service.post("/conference", data=_form("room with spaces")),
        service.post("/conference", data=_form(f"{room}@muc.meet.gov.example")),
        service.post("/conference", json=_form(room)),  # JSON is not what prosody sends
        service.post(
            "/conference",
            content=b"name=%ZZ&&&==&start_time",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        service.post(
            "/conference", content=b"\xff\xfe\x00garbage", headers={"Content-Type": "application/x-www-form-urlencoded"}
        ),
        service.post("/conference", data=_form(room, padding="x" * 200_000)),  # a huge body
    ]
    for r in bad:
        assert r.status_code == 400, (r.request.content[:60], r.status_code, r.text)
        assert r.json()["message"]
    ok = service.post("/conference", data=_form(room))
    assert ok.status_code == 200  # still serving, and nothing was reserved by the bad requests


def test_bearer_token_from_reservations_api_headers_is_required(rooms, briefing_env) -> None:
    server, url = _serve(briefing_env, token="prosody-shared-token")
    try:
        with httpx.Client(base_url=url, headers=UA, timeout=5) as client:
            assert client.post("/conference", data=_form(rooms["open"])).status_code == 401
            wrong = {"Authorization": "Bearer nope"}
            assert client.post("/conference", data=_form(rooms["open"]), headers=wrong).status_code == 401
            right = {"Authorization": "Bearer prosody-shared-token"}
            r = client.post("/conference", data=_form(rooms["open"]), headers=right)
            assert r.status_code == 200
            assert client.get(f"/conference/{r.json()['id']}").status_code == 401
            assert client.get(f"/conference/{r.json()['id']}", headers=right).status_code == 200
    finally:
        server.close()


def test_cli_serves_with_a_production_server_and_logs_decisions(rooms, briefing_env, tmp_path) -> None:
    port = free_port()
    token_file = tmp_path / "token"
    token_file.write_text("secret-from-file\n")
    env = {**os.environ, "BRIEFING_HOME": str(briefing_env)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import cli; cli.main()",
            "jitsi",
            "reservations",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--token-file",
            str(token_file),
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(url + "/conference/1", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        r = httpx.post(
            url + "/conference",
            data=_form(rooms["open"]),
            headers={**UA, "Authorization": "Bearer secret-from-file"},
            timeout=5,
        )
        assert r.status_code == 200, r.text
        r = httpx.post(
            url + "/conference",
            data=_form(rooms["later"]),
            headers={**UA, "Authorization": "Bearer secret-from-file"},
            timeout=5,
        )
        assert r.status_code == 403
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert "listening on http://127.0.0.1" in out and "bearer token required" in out
    assert f"200 {rooms['open']}" in out and "too early, opens at" in out


# -- failing closed: no silent open service, no starvation by idle connections -----------------------------
def _serve_cli(briefing_env: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "BRIEFING_HOME": str(briefing_env), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "jitsi", "reservations", "serve", *args],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def _until_listening(proc: subprocess.Popen[str]) -> list[str]:
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if "listening on" in line:
            break
    return lines


def _refused(briefing_env: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Start the service in its own process: it must stop by itself (a refusal), not start serving."""
    proc = _serve_cli(briefing_env, *args, **({"env": env} if env else {}))
    try:
        lines = _until_listening(proc)  # the whole output if it stops, else up to the "listening" line
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.communicate(timeout=30)
    out = "".join(lines)
    assert "listening on" not in out, f"it served: {out}"
    return proc.returncode, out


def test_an_empty_or_unreadable_token_file_is_an_error(rooms, briefing_env, tmp_path) -> None:
    empty = tmp_path / "empty-token"
    empty.write_text("\n")
    code, out = _refused(briefing_env, "--port", str(free_port()), "--token-file", str(empty))
    assert code == 2 and "is empty" in out and str(empty) in out
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out

    garbled = tmp_path / "garbled-token"
    garbled.write_bytes(b"\xff\xfe\x00\x01")
    code, out = _refused(briefing_env, "--port", str(free_port()), "--token-file", str(garbled))
    assert code == 2 and "cannot read the token file" in out and len(out.strip().splitlines()) == 1

    # the same through the environment (BRIEFING_JITSI_RESERVATIONS_TOKEN_FILE)
    code, out = _refused(
        briefing_env, "--port", str(free_port()), env={"BRIEFING_JITSI_RESERVATIONS_TOKEN_FILE": str(empty)}
    )
    assert code == 2 and "BRIEFING_JITSI_RESERVATIONS_TOKEN_FILE" in out and "is empty" in out


def test_no_token_on_a_public_address_is_refused_unless_insecure_is_asked_for(rooms, briefing_env) -> None:
    code, out = _refused(briefing_env, "--host", "0.0.0.0", "--port", str(free_port()))
    assert code == 2 and "without a bearer token" in out and "--insecure-no-token" in out
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out
    assert not webserver.is_loopback("0.0.0.0") and not webserver.is_loopback("::")
    assert not webserver.is_loopback("meet.gov.example")
    assert webserver.is_loopback("127.0.0.1") and webserver.is_loopback("::1")
    assert webserver.is_loopback("localhost")

    for _attempt in range(2):  # a warning at every start, not only the first
        proc = _serve_cli(briefing_env, "--host", "0.0.0.0", "--port", str(free_port()), "--insecure-no-token")
        try:
            lines = _until_listening(proc)
        finally:
            proc.terminate()
            rest, _ = proc.communicate(timeout=30)
        out = "".join(lines)
        assert "WARNING" in out and "without a bearer token" in out and "--insecure-no-token" in out, out + rest
        assert "NOT required" in out


def test_a_hundred_idle_connections_do_not_starve_prosody(rooms, briefing_env) -> None:
    server, url = _serve(briefing_env)
    port = server.effective_port
    held: list[socket.socket] = []
    try:
        for _ in range(100):  # idle: connected, nothing sent
            held.append(socket.create_connection(("127.0.0.1", port), timeout=30))
        for _ in range(20):  # half-open: a request started and never finished
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(b"POST /conference HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nname=")
            held.append(s)
        with httpx.Client(base_url=url, headers=UA, timeout=30) as client:
            r = client.post("/conference", data=_form(rooms["open"]))
            assert r.status_code == 200, r.text
            assert client.get(f"/conference/{r.json()['id']}").status_code == 200
    finally:
        for s in held:
            s.close()
        server.close()


def test_idle_connections_are_closed_by_the_server(rooms, briefing_env) -> None:
    server, _ = _serve(briefing_env, idle_timeout_s=1)
    try:
        idle = socket.create_connection(("127.0.0.1", server.effective_port), timeout=60)
        half = socket.create_connection(("127.0.0.1", server.effective_port), timeout=60)
        half.sendall(b"POST /conference HTTP/1.1\r\nHost: x\r\n")
        try:
            assert idle.recv(1) == b""  # EOF: the server hung up on it (a generous 60 s bound, not a timing)
            assert half.recv(1) == b""
        finally:
            idle.close()
            half.close()
    finally:
        server.close()
    assert reservations.IDLE_TIMEOUT_S <= 30 and reservations.CONNECTION_LIMIT > 120
