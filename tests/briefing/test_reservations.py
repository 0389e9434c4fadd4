"""The reservation service as a real server, driven exactly as prosody's mod_reservations drives it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from briefing import reservations, schedule
from briefing.store import Store
from tests.briefing.conftest import free_port, local_start

UA = {"User-Agent": "Prosody (0.12.4; Linux)"}


def _prosody_now() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _form(room: str, **extra: str) -> dict[str, str]:
    return {"name": room, "start_time": _prosody_now(), "mail_owner": "focus@auth.meet.gov.example", **extra}


@pytest.fixture
def rooms(briefing_env: Path) -> dict[str, str]:
    """Briefings around now: open, later today, yesterday, cancelled. Returns series id -> room."""
    briefing_env.mkdir(parents=True, exist_ok=True)
    store = Store(briefing_env / "briefing.db")
    out = {}
    for title, delta in (("Open", timedelta(minutes=-5)), ("Later", timedelta(hours=3)),
                         ("Yesterday", timedelta(days=-1)), ("Cancelled", timedelta(minutes=-5))):
        s = schedule.add_series(store, title=title, start=local_start(delta), duration="60m", timezone_name="UTC")
        occ = schedule.find_occurrence(store, s.id, s.dtstart.date().isoformat())
        out[s.id] = occ.room
    schedule.cancel(store, "cancelled")
    store.close()
    return out


def _serve(home: Path, token: str = ""):
    server = reservations.make_server(str(home / "briefing.db"), host="127.0.0.1", port=0, token=token)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.effective_port}"


@pytest.fixture
def service(rooms, briefing_env: Path):
    server, url = _serve(briefing_env)
    with httpx.Client(base_url=url, headers=UA, timeout=5) as client:
        yield client
    server.close()


def test_open_room_is_reserved_until_the_window_closes_then_conflicts_and_ends(service, rooms, briefing_env,
                                                                               caplog) -> None:
    caplog.set_level("INFO", logger="briefing.reservations")
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
        "SELECT ended_at FROM schedule_occurrences WHERE room = ?", (rooms["open"],))[0][0]
    assert ended  # the room's end is recorded
    # everyone left and came back within the window: a new reservation
    fresh = service.post("/conference", data=_form(rooms["open"]))
    assert fresh.status_code == 200 and fresh.json()["id"] != body["id"]

    tenant = service.post("/conference", data=_form(f"[ministry]{rooms['open']}"))
    assert tenant.status_code == 409  # same room behind a tenant prefix


def test_rooms_outside_their_window_or_unknown_are_refused_with_a_reason(service, rooms) -> None:
    r = service.post("/conference", data=_form(rooms["later"]))
    assert r.status_code == 403
    opens = (datetime.now(timezone.utc) + timedelta(hours=3) - timedelta(minutes=30)).strftime("%H:%M")
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
        service.post("/conference", content=b"name=%ZZ&&&==&start_time",
                     headers={"Content-Type": "application/x-www-form-urlencoded"}),
        service.post("/conference", content=b"\xff\xfe\x00garbage",
                     headers={"Content-Type": "application/x-www-form-urlencoded"}),
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
    proc = subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", "jitsi", "reservations", "serve",
                             "--host", "127.0.0.1", "--port", str(port), "--token-file", str(token_file)],
                            cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(url + "/conference/1", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        r = httpx.post(url + "/conference", data=_form(rooms["open"]),
                       headers={**UA, "Authorization": "Bearer secret-from-file"}, timeout=5)
        assert r.status_code == 200, r.text
        r = httpx.post(url + "/conference", data=_form(rooms["later"]),
                       headers={**UA, "Authorization": "Bearer secret-from-file"}, timeout=5)
        assert r.status_code == 403
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert "listening on http://127.0.0.1" in out and "bearer token required" in out
    assert f"200 {rooms['open']}" in out and "too early, opens at" in out
