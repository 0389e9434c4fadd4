"""Join links and tokens, verified the way prosody verifies them; room status against a mod_muc_size server."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import jwt
import pytest

from tests.briefing.helpers_jitsi import APP_ID, SECRET, local_start
from tests.net import QuietHTTPServer, free_port


def _verify(token: str, key=SECRET, algorithms=("HS256",), **options) -> dict:
    """What prosody's token_verification checks: signature, alg, iss, aud, exp, nbf, room present."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "JWT" and header["alg"] in algorithms
    return jwt.decode(
        token,
        key,
        algorithms=list(algorithms),
        audience="jitsi",
        issuer=APP_ID,
        options={"require": ["iss", "aud", "sub", "room", "exp", "nbf"], **options},
    )


def _split(url: str) -> tuple[str, str, dict]:
    u = urlsplit(url)
    token = dict(parse_qsl(u.query))["jwt"]
    overrides = {}
    for part in u.fragment.split("&"):
        key, _, value = part.partition("=")
        overrides[key] = json.loads(unquote(value))  # Jitsi URI-decodes then JSON-parses each value
    return f"{u.scheme}://{u.netloc}{u.path}", token, overrides


@pytest.fixture
def scheduled(run, jitsi_env) -> dict:
    r = run(
        "schedule",
        "add",
        "--title",
        "Daily briefing",
        "--start",
        "2026-12-01T09:00",
        "--timezone",
        "Asia/Ho_Chi_Minh",
        "--duration",
        "60m",
        "--daily",
        "--count",
        "3",
        "--chair",
        "Nguyen Van A <chair@gov.example>",
        "--speaker",
        "Tran Thi B <speaker@gov.example>",
    )
    assert r.code == 0, r.err
    return run("schedule", "list", "--from", "2026-12-01", "--to", "2026-12-01", "--json").json()[0]


def test_links_per_role_carry_claims_features_and_hash_overrides(run, scheduled) -> None:
    r = run("links", scheduled["id"], "--json")
    assert r.code == 0, r.err
    data = r.json()
    by_role = {link["role"]: link for link in data["links"]}
    assert set(by_role) == {"chair", "speaker", "press", "recorder"}
    start = datetime.fromisoformat("2026-12-01T09:00:00+07:00")
    for role, link in by_role.items():
        base, token, overrides = _split(link["url"])
        assert base == f"https://meet.gov.example/{scheduled['room']}"
        claims = _verify(token, verify_nbf=False, verify_exp=False)
        assert claims["room"] == scheduled["room"]
        assert claims["sub"] == "meet.gov.example"
        assert claims["nbf"] == int(start.timestamp()) - 1800  # 30 min lead
        assert claims["exp"] == int((start + timedelta(hours=1)).timestamp()) + 1800  # 30 min grace
        user = claims["context"]["user"]
        assert set(user) >= {"id", "name", "email", "avatar"}
        assert all(isinstance(v, str) for v in user.values())  # the client breaks on null or numbers
        features = claims["context"]["features"]
        assert all(isinstance(v, bool) for v in features.values())
        recording = {features["recording"], features["livestreaming"], features["transcription"]}
        if role in ("chair", "recorder"):
            assert recording == {True} and user["affiliation"] == "owner"
        else:
            assert recording == {False} and user["affiliation"] == "member"
        assert overrides["userInfo.displayName"] == user["name"]
        muted = overrides.get("config.startWithAudioMuted", False)
        assert muted is (role in ("press", "recorder"))
    chair = _verify(_split(by_role["chair"]["url"])[1], verify_nbf=False, verify_exp=False)
    assert chair["context"]["user"]["name"] == "Nguyen Van A"
    assert chair["context"]["user"]["email"] == "chair@gov.example"
    assert chair["context"]["features"]["moderation"] is True

    # One named journalist; the name travels JSON-quoted and URI-encoded in the hash.
    r = run(
        "links",
        scheduled["id"],
        "--role",
        "press",
        "--name",
        'Lê Thị "Hoa" & Co',
        "--email",
        "hoa@press.example",
        "--json",
    )
    link = r.json()["links"][0]
    assert "userInfo.displayName=%22L%C3%AA%20Th%E1%BB%8B%20%5C%22Hoa%5C%22%20%26%20Co%22" in link["url"]
    _, token, overrides = _split(link["url"])
    assert overrides["userInfo.displayName"] == 'Lê Thị "Hoa" & Co'
    assert overrides["userInfo.email"] == "hoa@press.example"

    text = run("links", scheduled["id"], "--role", "speaker").out
    assert "Tran Thi B" in text and f"https://meet.gov.example/{scheduled['room']}?jwt=" in text


def test_tokens_only_work_in_the_briefing_window(run, jitsi_env) -> None:
    for title, delta in (
        ("Now", timedelta(minutes=-10)),
        ("Later", timedelta(hours=3)),
        ("Yesterday", timedelta(days=-1)),
    ):
        assert (
            run(
                "schedule",
                "add",
                "--title",
                title,
                "--start",
                local_start(delta),
                "--timezone",
                "UTC",
                "--duration",
                "60m",
            ).code
            == 0
        )
    today = datetime.now(UTC).date()
    occs = {
        o["series"]: o["id"]
        for o in run(
            "schedule",
            "list",
            "--from",
            str(today - timedelta(days=2)),
            "--to",
            str(today + timedelta(days=2)),
            "--json",
        ).json()
    }
    token = lambda sid: _split(run("links", occs[sid], "--role", "press", "--json").json()["links"][0]["url"])[1]  # noqa: E731
    assert _verify(token("now"))["room"]  # valid right now
    with pytest.raises(jwt.ImmatureSignatureError):  # nbf is 30 min before a start 3 h away
        _verify(token("later"))
    with pytest.raises(jwt.ExpiredSignatureError):
        _verify(token("yesterday"))
    with pytest.raises(jwt.InvalidSignatureError):
        _verify(token("now"), key="another-secret-that-prosody-would-have-xx")


def test_rs256_tokens_carry_the_kid(run, scheduled, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "jitsi.pem"
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    monkeypatch.delenv("BRIEFING_JITSI_APP_SECRET")
    monkeypatch.setenv("BRIEFING_JITSI_PRIVATE_KEY_FILE", str(pem))
    assert "BRIEFING_JITSI_KID" in run("links", scheduled["id"]).err  # a key without kid is refused
    monkeypatch.setenv("BRIEFING_JITSI_KID", "briefing/2026")
    token = _split(run("links", scheduled["id"], "--role", "chair", "--json").json()["links"][0]["url"])[1]
    assert jwt.get_unverified_header(token)["kid"] == "briefing/2026"
    claims = _verify(token, key=key.public_key(), algorithms=("RS256",), verify_nbf=False, verify_exp=False)
    assert claims["room"] == scheduled["room"]


def test_links_refuse_missing_configuration_and_unknown_ids(run, scheduled, monkeypatch) -> None:
    assert run("links", "2030-01-01-nothing").code == 1
    assert "no scheduled briefing" in run("links", "2030-01-01-nothing").err
    monkeypatch.delenv("BRIEFING_JITSI_APP_SECRET")
    r = run("links", scheduled["id"])
    assert r.code == 2 and "BRIEFING_JITSI_APP_SECRET" in r.err
    monkeypatch.delenv("BRIEFING_JITSI_URL")
    r = run("links", scheduled["id"])
    assert r.code == 2 and "BRIEFING_JITSI_URL" in r.err
    assert run("schedule", "cancel", scheduled["id"]).code == 0
    monkeypatch.setenv("BRIEFING_JITSI_URL", "https://meet.gov.example")
    monkeypatch.setenv("BRIEFING_JITSI_APP_SECRET", SECRET)
    r = run("links", scheduled["id"])
    assert r.code == 1 and "cancelled" in r.err


# -- room status against a server that answers as prosody's mod_muc_size does ---------------------------
class MucSize:
    """GET /room-size and /room, parsed with a plain k=v& split like mod_muc_size."""

    def __init__(self) -> None:
        self.rooms: dict[str, list[dict]] = {}
        self.requests: list[str] = []
        self.delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append(self.path)
                time.sleep(outer.delay)
                path, _, query = self.path.partition("?")
                if not query:
                    return self._send(400, None)
                params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
                room = params.get("room")
                if room not in outer.rooms or params.get("domain") != "meet.gov.example":
                    return self._send(404, None)
                occupants = outer.rooms[room]
                if path == "/room-size":
                    # mod_muc_size: occupants minus focus, but a room with only focus reports 1
                    return self._send(200, {"participants": len(occupants) if occupants else 1})
                if path == "/room":
                    # lua cjson encodes an empty table as {}
                    return self._send(200, occupants if occupants else {})
                return self._send(404, None)

            def _send(self, code: int, body) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def muc_size(monkeypatch: pytest.MonkeyPatch):
    server = MucSize()
    monkeypatch.setenv("BRIEFING_JITSI_PROSODY_URL", server.url)
    yield server
    server.close()


def test_status_shows_who_is_in_the_room(run, scheduled, muc_size) -> None:
    room = scheduled["room"]
    r = run("jitsi", "status", scheduled["id"], "--json")
    assert r.code == 0, r.err
    assert (r.json()["active"], r.json()["participants"]) == (False, 0)
    assert "is not open" in run("jitsi", "status", scheduled["id"]).out

    muc_size.rooms[room] = []  # only Jicofo's focus: /room-size says 1, /room says {}
    r = run("jitsi", "status", scheduled["id"], "--json").json()
    assert (r["active"], r["participants"], r["people"]) == (True, 0, [])

    muc_size.rooms[room] = [
        {"jid": f"{room}@muc.meet.gov.example/a1b2", "email": "chair@gov.example", "display_name": "Nguyen Van A"},
        {"jid": f"{room}@muc.meet.gov.example/c3d4", "display_name": "Press Hoa"},
    ]
    r = run("jitsi", "status", scheduled["id"], "--json").json()
    assert r["participants"] == 2
    assert [p["display_name"] for p in r["people"]] == ["Nguyen Van A", "Press Hoa"]
    assert r["people"][1]["email"] == ""
    text = run("jitsi", "status", scheduled["id"]).out
    assert "2 in room" in text and "Nguyen Van A <chair@gov.example>" in text
    # the query is what mod_muc_size parses, with a short-lived token for enable_roomsize_token_verification
    q = dict(p.split("=", 1) for p in muc_size.requests[-1].split("?", 1)[1].split("&"))
    assert q["room"] == room and q["domain"] == "meet.gov.example"
    assert jwt.decode(q["token"], SECRET, algorithms=["HS256"], audience="jitsi")["room"] == room


def test_status_errors_are_clear_when_jitsi_is_unreachable_or_slow(run, scheduled, muc_size, monkeypatch) -> None:
    monkeypatch.setenv("BRIEFING_JITSI_PROSODY_URL", f"http://127.0.0.1:{free_port()}")
    r = run("jitsi", "status", scheduled["id"])
    assert r.code == 1 and "cannot reach prosody" in r.err and "BRIEFING_JITSI_PROSODY_URL" in r.err

    monkeypatch.setenv("BRIEFING_JITSI_PROSODY_URL", muc_size.url)
    monkeypatch.setenv("BRIEFING_JITSI_TIMEOUT", "0.3")
    muc_size.delay = 1.0
    started = time.monotonic()
    r = run("jitsi", "status", scheduled["id"])
    assert r.code == 1 and "did not answer in time" in r.err
    assert time.monotonic() - started < 1.0
    assert run("jitsi", "status", "2030-01-01-nope").code == 1
