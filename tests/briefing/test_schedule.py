"""Schedules: recurrence across DST, cancelled and moved days, stable ids and unguessable rooms."""

from __future__ import annotations

import re

from briefing.core.store import Store


def _by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in rows}


def test_daily_series_keeps_local_time_across_dst_with_a_cancelled_and_a_moved_day(run, briefing_env) -> None:
    # Berlin switches to summer time on Sunday 2026-03-29: 09:00 local is 08:00 UTC before, 07:00 UTC after.
    r = run(
        "schedule",
        "add",
        "--title",
        "Daily Press Briefing",
        "--start",
        "2026-03-27T09:00",
        "--duration",
        "45m",
        "--timezone",
        "Europe/Berlin",
        "--daily",
        "--count",
        "6",
        "--language",
        "de",
        "--chair",
        "Anna Weber <anna@bund.example>",
        "--json",
    )
    assert r.code == 0, r.err
    series = r.json()
    assert series["id"] == "daily-press-briefing"
    assert series["rrule"] == "FREQ=DAILY;COUNT=6"

    before = run("schedule", "list", "--from", "2026-03-20", "--to", "2026-04-10", "--json").json()
    assert [o["id"] for o in before] == [f"2026-03-{d}-daily-press-briefing" for d in (27, 28, 29, 30, 31)] + [
        "2026-04-01-daily-press-briefing"
    ]
    assert all(o["start"][11:16] == "09:00" and o["end"][11:16] == "09:45" for o in before)
    utc_hours = [o["start_utc"][11:16] for o in before]
    assert utc_hours == ["08:00", "08:00", "07:00", "07:00", "07:00", "07:00"]
    rooms_before = {o["id"]: o["room"] for o in before}

    assert run("schedule", "cancel", "daily-press-briefing", "--occurrence", "2026-03-28").code == 0
    moved = run(
        "schedule",
        "move",
        "daily-press-briefing",
        "--occurrence",
        "2026-03-30",
        "--start",
        "2026-03-31T14:30",
        "--json",
    )
    assert moved.code == 0, moved.err
    assert moved.json()["start"] == "2026-03-31T14:30:00+02:00"

    after = _by_id(run("schedule", "list", "--from", "2026-03-20", "--to", "2026-04-10", "--json").json())
    assert after["2026-03-28-daily-press-briefing"]["status"] == "cancelled"
    m = after["2026-03-30-daily-press-briefing"]
    assert (m["start"], m["end"], m["moved"], m["sequence"]) == (
        "2026-03-31T14:30:00+02:00",
        "2026-03-31T15:15:00+02:00",
        True,
        1,
    )
    assert m["room"] == rooms_before["2026-03-30-daily-press-briefing"]  # a move keeps the room and id
    assert after["2026-03-29-daily-press-briefing"]["status"] == "scheduled"
    assert {k: v["room"] for k, v in after.items()} == rooms_before  # rooms are stable across listings

    # Each occurrence is a briefing in the store, dated where it actually happens.
    store = Store(briefing_env / "briefing.db")
    b = store.briefing("2026-03-30-daily-press-briefing")
    assert (b.title, b.date, b.language) == ("Daily Press Briefing", "2026-03-31", "de")
    assert b.meta["schedule"]["room"] == m["room"]
    assert b.speakers == ("Anna Weber",)
    assert store.briefing("2026-03-28-daily-press-briefing").meta["schedule"]["status"] == "cancelled"

    # The list shown to humans says so too.
    text = run("schedule", "list", "--from", "2026-03-28", "--to", "2026-03-31").out
    assert "2026-03-28-daily-press-briefing" in text and "CANCELLED" in text and "(moved)" in text


def test_weekdays_until_and_fall_back_in_new_york(run) -> None:
    # US clocks go back on Sunday 2026-11-01; weekdays skip that weekend; --until is inclusive.
    r = run(
        "schedule",
        "add",
        "--title",
        "Governor briefing",
        "--start",
        "2026-10-29T11:00",
        "--timezone",
        "America/New_York",
        "--weekdays",
        "--until",
        "2026-11-03",
        "--json",
    )
    assert r.code == 0, r.err
    occs = run("schedule", "list", "--from", "2026-10-01", "--to", "2026-11-30", "--json").json()
    assert [o["start"] for o in occs] == [
        "2026-10-29T11:00:00-04:00",
        "2026-10-30T11:00:00-04:00",
        "2026-11-02T11:00:00-05:00",
        "2026-11-03T11:00:00-05:00",
    ]


def test_rooms_are_lowercase_unguessable_and_distinct(run) -> None:
    for _ in range(2):  # the same title and date twice: different series, different rooms
        assert (
            run(
                "schedule",
                "add",
                "--title",
                "Briefing",
                "--start",
                "2026-12-01T09:00",
                "--timezone",
                "UTC",
                "--rrule",
                "FREQ=WEEKLY;BYDAY=TU,TH",
                "--count",
                "4",
            ).code
            == 0
        )
    occs = run("schedule", "list", "--from", "2026-12-01", "--to", "2026-12-31", "--json").json()
    assert len(occs) == 8
    assert {o["series"] for o in occs} == {"briefing", "briefing-2"}
    rooms = [o["room"] for o in occs]
    assert len(set(rooms)) == 8
    for room in rooms:
        assert re.fullmatch(r"[a-z0-9-]+", room)
        assert "2026" not in room and "12-01" not in room
        assert len(room.rsplit("-", 1)[1]) == 20  # 100 random-looking bits after the readable prefix
    first = {o["series"]: o["room"] for o in occs if o["start"].startswith("2026-12-01")}
    assert first["briefing"] != first["briefing-2"]


def test_one_off_briefing_and_cancelling_a_series(run) -> None:
    r = run(
        "schedule",
        "add",
        "--title",
        "Special session",
        "--start",
        "2026-12-24T10:00+07:00",
        "--timezone",
        "Asia/Ho_Chi_Minh",
        "--duration",
        "1h30m",
        "--json",
    )
    assert r.code == 0, r.err
    assert r.json()["rrule"] is None
    occs = run("schedule", "list", "--from", "2026-12-24", "--to", "2026-12-24", "--json").json()
    assert [(o["id"], o["start"], o["end"]) for o in occs] == [
        ("2026-12-24-special-session", "2026-12-24T10:00:00+07:00", "2026-12-24T11:30:00+07:00")
    ]
    assert run("schedule", "cancel", "special-session").code == 0
    occs = run("schedule", "list", "--from", "2026-12-24", "--to", "2026-12-24", "--json").json()
    assert occs[0]["status"] == "cancelled"


def test_bad_inputs_say_what_to_do(run) -> None:
    base = ("schedule", "add", "--title", "T", "--timezone", "UTC")
    cases = [
        (base + ("--start", "tomorrow 9am"), "bad --start"),
        (base + ("--start", "2026-12-01"), "no time of day"),
        (base + ("--start", "2026-02-30T09:00"), "bad --start"),
        (
            ("schedule", "add", "--title", "T", "--start", "2026-12-01T09:00", "--timezone", "Mars/Olympus"),
            "unknown time zone",
        ),
        (base + ("--start", "2026-12-01T09:00", "--duration", "0m"), "bad --duration"),
        (base + ("--start", "2026-12-01T09:00", "--duration", "ten"), "bad --duration"),
        (base + ("--start", "2026-12-01T09:00", "--count", "3"), "need a recurrence"),
        (base + ("--start", "2026-12-01T09:00", "--daily", "--until", "2026-11-01"), "before the first"),
        (base + ("--start", "2026-12-01T09:00", "--rrule", "FREQ=SOMETIMES"), "bad --rrule"),
        (base + ("--start", "2026-12-01T09:00", "--daily", "--weekdays"), "only one of"),
        (base + ("--start", "2026-12-01T09:00", "--chair", "Anna <not-an-address>"), "bad --chair"),
    ]
    for args, expected in cases:
        r = run(*args)
        assert r.code != 0, args
        assert expected in r.err, (args, r.err)
        assert "Traceback" not in r.err
        assert len(r.err.strip().splitlines()) == 1
    assert run("schedule", "list", "--json").json() == []  # nothing half-created

    assert run("schedule", "add", "--title", "T", "--start", "2026-12-01T09:00", "--daily", "--count", "3").code == 0
    for args, expected in [
        (("schedule", "cancel", "nope"), "no scheduled briefing 'nope'"),
        (("schedule", "cancel", "t", "--occurrence", "2026-12-09"), "has no briefing on 2026-12-09"),
        (("schedule", "cancel", "t", "--occurrence", "9 Dec"), "bad --occurrence"),
        (("schedule", "move", "t", "--start", "2026-12-02T10:00"), "--occurrence"),
        (("schedule", "move", "t", "--occurrence", "2026-12-02", "--start", "noon"), "bad --start"),
        (("schedule", "list", "--from", "2026-12-05", "--to", "2026-12-01"), "before --from"),
    ]:
        r = run(*args)
        assert r.code != 0 and expected in r.err, (args, r.err)
