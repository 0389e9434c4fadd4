"""The true embargo: the press email goes now, marked EMBARGOED UNTIL <time, zone>; nothing public
changes (page, feeds, index, search, an S3 target) until the time; then `briefing outbox send` (or
`briefing daily`) publishes it once and tells the channels. The clock is BRIEFING_NOW: no waiting."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from briefing.press import embargo
from tests.distfixtures import receiver, s3, s3_endpoint, smtp_server  # noqa: F401
from tests.factory import make_briefing

OLD = "2026-11-24-daily-briefing"
BID = "2026-11-25-daily-briefing"
UNTIL = "2026-11-25T14:00:00+07:00"


def configure(home: Path, *, bucket: str, endpoint: str, channel: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "briefing.toml").write_text(
        "\n".join(
            [
                "[site]",
                'base_url = "https://press.example/"',
                "",
                "[[publish.targets]]",
                'name = "cdn"',
                'type = "s3"',
                f'bucket = "{bucket}"',
                'prefix = "site"',
                f'endpoint_url = "{endpoint}"',
                'region = "us-east-1"',
                'addressing_style = "path"',
                "",
                "[[publish.channels]]",
                'name = "newsroom"',
                f'url = "{channel}"',
                "",
                "[publish.email]",
                'from = "Press Office <press@gov.example>"',
                'to = ["press-list@press.example"]',
                "",
                "[publish]",
                "retry_attempts = 1",
                'retry_wait = "0"',
                "",
            ]
        ),
        encoding="utf-8",
    )


def public(site: Path, client, bucket: str) -> dict[str, str]:
    """Everything the public can see: every file of the site (dot-names are working files) and of the
    bucket, with its SHA-256 / ETag."""
    out = {}
    for p in sorted(site.rglob("*")) if site.is_dir() else []:
        rel = p.relative_to(site).as_posix()
        if p.is_file() and not any(part.startswith(".") for part in rel.split("/")):
            out[f"site:{rel}"] = hashlib.sha256(p.read_bytes()).hexdigest()
    for o in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        out[f"s3:{o['Key']}"] = o["ETag"]
    return out


@pytest.fixture
def env(briefing_env: Path, s3, receiver, smtp_server, monkeypatch: pytest.MonkeyPatch):
    client, bucket, endpoint = s3
    smtp_url, box = smtp_server
    monkeypatch.setenv("BRIEFING_SMTP_URL", smtp_url)
    configure(briefing_env, bucket=bucket, endpoint=endpoint, channel=receiver.url("newsroom"))
    return briefing_env, client, bucket, receiver, box, monkeypatch


def test_an_embargoed_release_stays_out_of_every_public_place_until_its_time(env, run) -> None:
    home, client, bucket, receiver, box, monkeypatch = env
    monkeypatch.setenv("BRIEFING_NOW", "2026-11-25T10:00:00+07:00")
    store, settings = make_briefing(home, OLD)
    assert run("publish", OLD).code == 0  # a briefing already public: the site, feeds, search exist
    make_briefing(home, BID)
    assert receiver.count("newsroom") == 1 and len(box.messages) == 1
    before = public(settings.site_dir, client, bucket)
    assert f"site:briefings/{OLD}/index.html" in before and any(k.startswith("s3:") for k in before)

    r = run("publish", BID, "--embargo", UNTIL)
    assert r.code == 0, r.err
    assert "held until 2026-11-25T14:00:00+07:00" in r.out
    # the press has it now, marked, once
    assert len(box.messages) == 2
    msg = box.messages[1]
    mark = "EMBARGOED UNTIL 14:00 UTC+07:00, 25 November 2026"
    assert msg["Subject"].startswith(mark + ": ") and "Daily press briefing" in msg["Subject"]
    assert msg.get_body(("plain",)).get_content().startswith(mark)
    assert mark in msg.get_body(("html",)).get_content()
    assert {a.get_filename() for a in msg.iter_attachments()} == {"transcript.txt", "summary.md"}
    assert f"https://press.example/briefings/{BID}/" in msg.get_body(("plain",)).get_content()
    # nothing public changed: page, feeds, index, search, figures, the S3 target; no channel told
    assert public(settings.site_dir, client, bucket) == before
    assert receiver.count("newsroom") == 1
    st = run("status", BID)
    assert "held until 2026-11-25T14:00:00+07:00" in st.out and "page, feeds, index, search, targets" in st.out

    # before the time: the timer, another publish, all hold it; the email is not sent again
    monkeypatch.setenv("BRIEFING_NOW", "2026-11-25T13:59:59+07:00")
    assert run("outbox", "send").code == 0
    assert run("publish", BID).code == 0
    assert run("daily").code == 0
    assert public(settings.site_dir, client, bucket) == before
    assert len(box.messages) == 2 and receiver.count("newsroom") == 1

    # at the time: published once, everywhere, and announced on the channels then
    monkeypatch.setenv("BRIEFING_NOW", "2026-11-25T14:00:05+07:00")
    r = run("outbox", "send")
    assert r.code == 0, r.err
    assert f"lifted    embargo {BID}" in r.out
    after = public(settings.site_dir, client, bucket)
    for rel in (f"briefings/{BID}/index.html", f"briefings/{BID}/manifest.json", f"briefings/{BID}/audio.m4a"):
        assert f"site:{rel}" in after and f"s3:site/{rel}" in after
    for rel in ("index.html", "feed.xml", "atom.xml", "feed.json", "search-index.json"):
        assert BID in (settings.site_dir / rel).read_text(), rel
        assert after[f"site:{rel}"] != before[f"site:{rel}"]
    assert receiver.count("newsroom") == 2 and len(box.messages) == 2  # the email went at the hold, once
    assert f"https://press.example/briefings/{BID}/" in receiver.bodies("newsroom")[1]["message"]
    assert "held until" not in run("status", BID).out

    # once: the next ticks publish and send nothing again
    assert run("outbox", "send").code == 0 and run("daily").code == 0
    assert public(settings.site_dir, client, bucket) == after
    assert receiver.count("newsroom") == 2 and len(box.messages) == 2


def test_send_at_is_the_old_email_only_delay(env, run) -> None:
    home, client, bucket, receiver, box, monkeypatch = env
    monkeypatch.setenv("BRIEFING_NOW", "2026-11-25T10:00:00+07:00")
    store, settings = make_briefing(home, BID)
    assert run("publish", BID, "--send-at", UNTIL).code == 0
    assert (settings.site_dir / "briefings" / BID / "index.html").is_file()  # public now
    assert receiver.count("newsroom") == 1 and box.messages == []
    monkeypatch.setenv("BRIEFING_NOW", "2026-11-25T14:00:01+07:00")
    assert run("outbox", "send").code == 0 and len(box.messages) == 1
    assert "EMBARGOED" not in box.messages[0]["Subject"]


def test_the_clock_and_the_label(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFING_NOW", "2026-11-25T13:00:00+07:00")
    assert embargo.iso(embargo.now()) == "2026-11-25T13:00:00+07:00"
    assert embargo.label(embargo.parse_time("2026-11-25T07:00:00Z")) == "EMBARGOED UNTIL 07:00 UTC, 25 November 2026"
    monkeypatch.setenv("BRIEFING_NOW", "soon")
    with pytest.raises(Exception, match="bad BRIEFING_NOW"):
        embargo.now()


def test_a_bad_embargo_time_is_one_clear_line(env, run) -> None:
    home, *_ = env
    make_briefing(home, BID)
    r = run("publish", BID, "--embargo", "tomorrow at two")
    assert r.code != 0 and "Traceback" not in r.err and "bad embargo time" in r.err
    assert len([x for x in r.err.splitlines() if x.strip()]) <= 2


def test_the_schedule_embargo_setting(monkeypatch: pytest.MonkeyPatch, briefing_env: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from briefing.core.config import load_settings

    briefing_env.mkdir(parents=True, exist_ok=True)
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    end = datetime(2026, 11, 25, 10, 30, tzinfo=tz)
    (briefing_env / "briefing.toml").write_text('[schedule]\nembargo = "14:00"\n', encoding="utf-8")
    s = load_settings(briefing_env)
    assert embargo.schedule_embargo(s, day="2026-11-25", end=end, zone=tz).isoformat() == "2026-11-25T14:00:00+07:00"
    (briefing_env / "briefing.toml").write_text('[schedule]\nembargo = "+2h"\n', encoding="utf-8")
    s = load_settings(briefing_env)
    assert embargo.schedule_embargo(s, day="2026-11-25", end=end, zone=tz).isoformat() == "2026-11-25T12:30:00+07:00"


def test_the_daily_timer_lifts_an_embargo_at_its_time(env, run) -> None:
    home, client, bucket, receiver, box, monkeypatch = env
    monkeypatch.setenv("BRIEFING_NOW", "2026-11-25T10:00:00+07:00")
    store, settings = make_briefing(home, BID)
    assert run("publish", BID, "--embargo", UNTIL).code == 0
    assert not (settings.site_dir / "briefings" / BID).exists() and len(box.messages) == 1
    assert receiver.count("newsroom") == 0
    monkeypatch.setenv("BRIEFING_NOW", "2026-11-25T14:01:00+07:00")
    r = run("daily")
    assert r.code == 0 and f"{BID}: embargo lifted" in r.out, r.out + r.err
    assert (settings.site_dir / "briefings" / BID / "index.html").is_file()
    assert receiver.count("newsroom") == 1 and len(box.messages) == 1
    assert embargo.embargo_of(store, BID)["lifted_at"] == "2026-11-25T14:01:00+07:00"


@pytest.mark.whisper
def test_process_with_an_embargo_holds_the_new_briefing_until_its_time(env, run, speech_dir: Path) -> None:
    """`briefing process FILE --embargo TIME`, with the real model: the press email goes at once, marked;
    nothing public changes until the time; then the timer publishes it once."""
    home, client, bucket, receiver, box, monkeypatch = env
    monkeypatch.setenv("BRIEFING_NOW", "2026-11-25T10:00:00+07:00")
    store, settings = make_briefing(home, OLD)
    assert run("publish", OLD).code == 0
    before = public(settings.site_dir, client, bucket)
    assert receiver.count("newsroom") == 1 and len(box.messages) == 1

    clip = speech_dir / "en_ljspeech_LJ001-0041.wav"
    r = run("process", str(clip), "--title", "Daily briefing", "--date", "2026-11-25", "--embargo", UNTIL)
    assert r.code == 0, r.err
    assert len(box.messages) == 2
    assert box.messages[1]["Subject"].startswith("EMBARGOED UNTIL 14:00 UTC+07:00, 25 November 2026: ")
    assert public(settings.site_dir, client, bucket) == before and receiver.count("newsroom") == 1
    assert "held until 2026-11-25T14:00:00+07:00" in run("status", BID).out

    monkeypatch.setenv("BRIEFING_NOW", "2026-11-25T14:00:05+07:00")
    r = run("outbox", "send")
    assert r.code == 0 and f"lifted    embargo {BID}" in r.out, r.out + r.err
    after = public(settings.site_dir, client, bucket)
    assert f"site:briefings/{BID}/index.html" in after and f"s3:site/briefings/{BID}/index.html" in after
    assert BID in (settings.site_dir / "feed.xml").read_text()
    assert receiver.count("newsroom") == 2 and len(box.messages) == 2
