"""Invitations received by a real SMTP server on loopback (aiosmtpd) and read back with icalendar."""

from __future__ import annotations

import email
from datetime import datetime, timedelta
from email.message import Message
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import jwt
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from icalendar import Calendar

from tests.briefing.helpers_jitsi import SECRET
from tests.net import free_port

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"

    def take(self) -> dict[str, Message]:
        out = {rcpts[0]: msg for rcpts, msg in self.messages}
        self.messages.clear()
        return out


def _auth(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"press-office" and auth_data.password == b"p@ss word"
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp(monkeypatch, jitsi_env):
    inbox = Inbox()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=_auth, auth_require_tls=False)
    ctl.start()
    monkeypatch.setenv("BRIEFING_SMTP_URL", f"smtp://press-office:p%40ss%20word@127.0.0.1:{port}")
    monkeypatch.setenv("BRIEFING_SMTP_FROM", "press@gov.example")
    monkeypatch.setenv("BRIEFING_ORGANIZATION_NAME", "Government Press Office")
    inbox.port = port
    yield inbox
    ctl.stop()


def _calendar(msg: Message) -> tuple[str, Calendar]:
    assert msg.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p for p in msg.walk() if not p.is_multipart()}
    assert set(parts) == {"text/plain", "text/html", "text/calendar"}
    cal_part = parts["text/calendar"]
    cal = Calendar.from_ical(cal_part.get_payload(decode=True))
    assert cal_part.get_param("method") == str(cal["METHOD"])
    assert cal.walk("VTIMEZONE") and str(cal.walk("VTIMEZONE")[0]["TZID"]) == "Asia/Ho_Chi_Minh"
    return parts["text/plain"].get_payload(decode=True).decode(), cal


def _token(url: str) -> dict:
    token = dict(parse_qsl(urlsplit(url).query))["jwt"]
    return jwt.decode(
        token, SECRET, algorithms=["HS256"], audience="jitsi", options={"verify_nbf": False, "verify_exp": False}
    )


@pytest.fixture
def series(run, smtp) -> dict:
    start = (datetime.now(TZ) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    r = run(
        "schedule",
        "add",
        "--title",
        "Họp báo Chính phủ",
        "--start",
        start.strftime("%Y-%m-%dT%H:%M"),
        "--timezone",
        "Asia/Ho_Chi_Minh",
        "--daily",
        "--count",
        "5",
        "--chair",
        "Nguyen Van A <chair@gov.example>",
        "--speaker",
        "Tran Thi B <speaker@gov.example>",
        "--json",
    )
    assert r.code == 0, r.err
    occs = run(
        "schedule", "list", "--from", str(start.date()), "--to", str(start.date() + timedelta(days=6)), "--json"
    ).json()
    return {"series": r.json(), "occs": occs, "start": start}


def test_occurrence_invitation_update_cancel_and_no_duplicates(run, smtp, series) -> None:
    occ = series["occs"][0]
    uid = series["series"]["uid"]
    r = run("invite", occ["id"], "--to", "Hoa <hoa@press.example>", "--json")
    assert r.code == 0, r.err
    assert sorted(r.json()["sent"]) == ["chair@gov.example", "hoa@press.example", "speaker@gov.example"]
    inbox = smtp.take()
    assert set(inbox) == {"chair@gov.example", "hoa@press.example", "speaker@gov.example"}
    links = {}
    for addr, msg in inbox.items():
        text, cal = _calendar(msg)
        assert str(cal["METHOD"]) == "REQUEST"
        (ev,) = cal.walk("VEVENT")
        assert str(ev["UID"]) == uid and int(ev["SEQUENCE"]) == 0
        assert ev["DTSTART"].dt == series["start"] and ev["DTSTART"].dt.tzinfo.key == "Asia/Ho_Chi_Minh"
        assert ev["DTEND"].dt - ev["DTSTART"].dt == timedelta(hours=1)
        assert ev["RECURRENCE-ID"].dt == series["start"]  # this day of the series
        assert str(ev["ORGANIZER"]) == "mailto:press@gov.example"
        assert [str(a) for a in ([ev["ATTENDEE"]] if not isinstance(ev["ATTENDEE"], list) else ev["ATTENDEE"])] == [
            f"mailto:{addr}"
        ]
        url = str(ev["URL"])
        assert url.startswith(f"https://meet.gov.example/{occ['room']}?jwt=")
        assert url in text and url.replace("&", "&amp;") in msg.get_payload()[1].get_payload(decode=True).decode()
        links[addr] = _token(url)
    assert links["chair@gov.example"]["context"]["features"]["recording"] is True
    assert links["chair@gov.example"]["context"]["user"]["name"] == "Nguyen Van A"
    assert links["hoa@press.example"]["context"]["features"]["recording"] is False
    assert links["hoa@press.example"]["context"]["user"]["email"] == "hoa@press.example"
    assert "startWithAudioMuted" in str(_calendar(inbox["hoa@press.example"])[1].walk("VEVENT")[0]["URL"])

    # Re-running sends nothing twice.
    again = run("invite", occ["id"], "--to", "hoa@press.example", "--json").json()
    assert again["sent"] == [] and len(again["already_sent"]) == 3
    assert smtp.take() == {}

    # A moved day is an update: higher SEQUENCE, new time, same UID.
    new_start = series["start"] + timedelta(hours=5)
    assert run("schedule", "move", occ["id"], "--start", new_start.strftime("%Y-%m-%dT%H:%M")).code == 0
    r = run("invite", occ["id"], "--to", "hoa@press.example", "--json").json()
    assert len(r["sent"]) == 3 and r["sequence"] == 1
    for msg in smtp.take().values():
        _, cal = _calendar(msg)
        (ev,) = cal.walk("VEVENT")
        assert (str(ev["UID"]), int(ev["SEQUENCE"])) == (uid, 1)
        assert ev["DTSTART"].dt == new_start and ev["RECURRENCE-ID"].dt == series["start"]
        assert msg["Subject"].startswith("Updated invitation")

    # Cancelling it tells everyone who was invited, once.
    assert run("schedule", "cancel", occ["id"]).code == 0
    r = run("invite", occ["id"], "--json").json()
    assert r["method"] == "CANCEL" and sorted(r["sent"]) == [
        "chair@gov.example",
        "hoa@press.example",
        "speaker@gov.example",
    ]
    for msg in smtp.take().values():
        _, cal = _calendar(msg)
        (ev,) = cal.walk("VEVENT")
        assert str(cal["METHOD"]) == "CANCEL" and str(ev["STATUS"]) == "CANCELLED"
        assert (str(ev["UID"]), int(ev["SEQUENCE"])) == (uid, 2)
        assert "URL" not in ev
    assert run("invite", occ["id"], "--json").json()["sent"] == []
    assert smtp.take() == {}


def test_series_invitation_has_rrule_exdate_and_personal_links_per_day(run, smtp, series, briefing_env) -> None:
    occs = series["occs"]
    (briefing_env / "briefing.toml").write_text(
        '[press_lists]\nnational = ["VNA Newsroom <news@vna.example>", "desk@tuoitre.example"]\n'
    )
    assert run("schedule", "cancel", "hop-bao-chinh-phu", "--occurrence", occs[1]["start"][:10]).code == 0
    r = run("invite", "hop-bao-chinh-phu", "--press-list", "national", "--days", "4", "--json")
    assert r.code == 0, r.err
    assert len(r.json()["sent"]) == 4
    inbox = smtp.take()
    text, cal = _calendar(inbox["news@vna.example"])
    events = cal.walk("VEVENT")
    master = [e for e in events if "RRULE" in e][0]
    assert master["RRULE"]["FREQ"] == ["DAILY"] and master["RRULE"]["COUNT"] == [5]
    assert master["DTSTART"].dt == series["start"]
    exdates = [d.dt for d in master["EXDATE"].dts]
    assert exdates == [series["start"] + timedelta(days=1)]
    overrides = {e["RECURRENCE-ID"].dt: e for e in events if "RECURRENCE-ID" in e}
    # the coming days (cancelled one left out), each with that day's room and a personal press link
    assert sorted(overrides) == [series["start"], series["start"] + timedelta(days=2)]
    for e in overrides.values():
        assert all(str(x["UID"]) == series["series"]["uid"] for x in (e, master))
        claims = _token(str(e["URL"]))
        assert claims["context"]["user"]["email"] == "news@vna.example"
        assert claims["context"]["features"]["recording"] is False
    rooms = {o["start"][:10]: o["room"] for o in occs}
    assert {_token(str(e["URL"]))["room"] for e in overrides.values()} == {
        rooms[occs[0]["start"][:10]],
        rooms[occs[2]["start"][:10]],
    }
    assert "Join:" in text
    # chair's copy carries chair links
    _, chair_cal = _calendar(inbox["chair@gov.example"])
    chair_override = [e for e in chair_cal.walk("VEVENT") if "RECURRENCE-ID" in e][0]
    assert _token(str(chair_override["URL"]))["context"]["features"]["recording"] is True
    assert run("invite", "hop-bao-chinh-phu", "--press-list", "national", "--json").json()["sent"] == []


def test_smtp_failures_are_reported_and_a_rerun_finishes_the_work(run, smtp, series, monkeypatch) -> None:
    occ = series["occs"][0]
    monkeypatch.setenv("BRIEFING_SMTP_URL", f"smtp://press-office:wrong@127.0.0.1:{smtp.port}")
    r = run("invite", occ["id"])
    assert r.code == 2 and "refused the login" in r.err and "wrong" not in r.err
    monkeypatch.setenv("BRIEFING_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    r = run("invite", occ["id"])
    assert r.code == 1 and "cannot reach the SMTP server" in r.err
    assert smtp.take() == {}
    monkeypatch.setenv("BRIEFING_SMTP_URL", f"smtp://press-office:p%40ss%20word@127.0.0.1:{smtp.port}")
    r = run("invite", occ["id"], "--json")
    assert r.code == 0 and len(r.json()["sent"]) == 2  # the pending ones go out now
    assert set(smtp.take()) == {"chair@gov.example", "speaker@gov.example"}


def test_invite_bad_inputs(run, smtp, series, monkeypatch) -> None:
    occ = series["occs"][0]
    assert "no scheduled briefing" in run("invite", "2030-01-01-nope").err
    assert "no press list 'foreign'" in run("invite", occ["id"], "--press-list", "foreign").err
    assert "bad --to" in run("invite", occ["id"], "--to", "Hoa <not an address>").err
    monkeypatch.setenv("BRIEFING_SMTP_URL", "http://mail.example")
    assert "BRIEFING_SMTP_URL" in run("invite", occ["id"]).err
    monkeypatch.delenv("BRIEFING_SMTP_FROM")
    assert "BRIEFING_SMTP_FROM" in run("invite", occ["id"]).err


def test_invitations_never_send_a_password_in_clear(run, smtp, series, monkeypatch) -> None:
    """The one SMTP client's reading: a login over plain SMTP only to this machine; on 587 STARTTLS is
    required (the loopback server offers none, so nothing is sent)."""
    occ = series["occs"][0]
    monkeypatch.setenv("BRIEFING_SMTP_URL", "smtp://press-office:hunter2@mail.gov.example:25")
    r = run("invite", occ["id"])
    assert r.code == 2 and "clear text to mail.gov.example:25" in r.err and "hunter2" not in r.err
    assert len(r.err.strip().splitlines()) == 1
    monkeypatch.setenv("BRIEFING_SMTP_URL", f"smtp://press-office:p%40ss%20word@127.0.0.1:{smtp.port}?starttls=1")
    r = run("invite", occ["id"])
    assert r.code == 1 and "does not offer STARTTLS" in r.err
    assert smtp.take() == {}


@pytest.mark.parametrize("hour", [0, 8, 23])
def test_series_days_are_calendar_days_whatever_the_hour(run, smtp, series, briefing_env, hour) -> None:
    """`--days 3` is today and the next two days in the series' time zone, at any hour it is run."""
    from briefing.core.config import load_settings
    from briefing.core.store import Store
    from briefing.meeting.invite import invite

    settings = load_settings(str(briefing_env))
    today = series["start"] - timedelta(days=1)  # the series begins tomorrow at 09:00
    now = today.replace(hour=hour, minute=30)
    r = invite(
        Store(settings.store_path), settings, "hop-bao-chinh-phu", to=("Hoa <hoa@press.example>",), days=3, now=now
    )
    assert "hoa@press.example" in r.sent
    _, cal = _calendar(smtp.take()["hoa@press.example"])
    days = sorted(e["RECURRENCE-ID"].dt for e in cal.walk("VEVENT") if "RECURRENCE-ID" in e)
    assert days == [series["start"], series["start"] + timedelta(days=1)]
