"""`briefing daily` across a simulated day: exactly one recording, one processing, one publication."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from briefing.core import workspace
from briefing.core.config import load_settings
from briefing.core.locks import FileLock
from briefing.core.store import Store
from briefing.meeting import schedule
from briefing.processing import pipeline
from briefing.recording import daily, queue, record
from tests.briefing.helpers_recording import jibri_session_dir

UTC = UTC
START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 09:00 in Asia/Ho_Chi_Minh
BID = "2026-11-25-daily-press-briefing"


class FakeJibriRecorder:
    """Stands in for Jibri (which cannot run here): on stop it leaves a session directory as Jibri does
    and runs the finalize step, as Jibri's finalize script would."""

    method = "jibri"

    def __init__(self, store: Store, settings, base: Path, *, die_on_first_start: bool = False) -> None:
        self.store, self.settings, self.base = store, settings, base
        self.starts = self.stops = 0
        self.busy = False
        self.die = die_on_first_start

    def start(self, occ):
        assert not self.busy, "a second recording was started"
        self.starts += 1
        self.busy = True
        if self.die:  # the daily run dies right after Jibri accepted the start
            self.die = False
            raise KeyboardInterrupt
        return {"session": occ.id}

    def running(self, occ):
        return self.busy

    def stop(self, occ):
        self.stops += 1
        if self.busy:
            self.busy = False
            d = jibri_session_dir(self.base, occ.id, room=occ.room)
            record.jibri_finalize(self.store, self.settings, d, spawn_worker=False)
        return {}


@pytest.fixture
def day(tmp_path: Path):
    settings = load_settings()
    store = Store(settings.store_path)
    schedule.add_series(
        store,
        title="Daily press briefing",
        start="2026-11-24T09:00",
        duration="30m",
        timezone_name="Asia/Ho_Chi_Minh",
        daily=True,
    )
    return store, settings


def run_day(store, settings, rec, times, room, process=None):
    states = []
    for t in times:
        out = daily.run(store, settings, now=t, recorder=rec, room_size=lambda occ, t=t: room(t), process=process)
        mine = [b for b in out.briefings if b.id == BID]
        assert len(mine) == 1, out
        states.append((t.strftime("%H:%M"), mine[0].state))
    return states


@pytest.mark.whisper
def test_a_whole_day_with_the_real_pipeline(day, tmp_path: Path) -> None:
    store, settings = day
    rec = FakeJibriRecorder(store, settings, tmp_path / "recordings")
    calls = []
    real = pipeline.process

    def counting(*a, **kw):
        calls.append(kw["bid"])
        return real(*a, **kw)

    def room(t):  # people from 08:58 local; everyone gone at 09:05 (the briefing ends early)
        return 4 if START - timedelta(minutes=2) <= t < START + timedelta(minutes=5) else 1

    times = [
        START + timedelta(minutes=m) for m in (-90, -40, -29, -10, 0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 20, 30, 31, 60, 600)
    ]
    states = run_day(store, settings, rec, times, room, process=counting)
    assert rec.starts == 1 and rec.stops == 1 and calls == [BID]
    assert states[0] == ("00:30", "waiting") and ("01:31", "open") in states
    assert ("02:00", "recording") in states and ("02:06", "recording") in states
    assert states[-1][1] == "done" and states.index(("02:07", "done")) > 0
    jobs = queue.jobs(store, bid=BID)
    assert [j.status for j in jobs] == ["done"]
    pub = store.stage(BID, "publish")
    assert pub.status == "done"
    page = Path(pub.info["page"])
    assert page.is_file() and "fellow Americans" in (settings.site_dir / "briefings" / BID / "index.html").read_text()
    # the speakers of the page came from metadata.json's participants
    assert "Minister Nguyen Van A" in store.briefing(BID).speakers
    # the published audio is loudness-normalized (EBU R128 -23 LUFS by default)
    from recorder.normalize import measure_loudnorm

    assert abs(measure_loudnorm(Path(store.artifacts(BID)["audio"].path))["input_i"] + 23) <= 1.5


def test_stops_at_the_end_survives_a_crash_and_never_starts_twice(day, tmp_path: Path) -> None:
    store, settings = day
    rec = FakeJibriRecorder(store, settings, tmp_path / "recordings", die_on_first_start=True)
    processed = []

    def fake_process(store_, settings_, path, **kw):
        processed.append(kw["bid"])
        return type("R", (), {"ran": ["publish"], "page": "p.html"})()

    with pytest.raises(KeyboardInterrupt):
        daily.run(store, settings, now=START, recorder=rec, room_size=lambda o: None)
    assert daily._state(store, BID)[0] == "starting"
    times = [START + timedelta(minutes=m) for m in (1, 2, 15, 29, 30, 31, 32, 45)]
    states = run_day(store, settings, rec, times, lambda t: None, process=fake_process)
    assert rec.starts == 1 and rec.stops == 1 and processed == [BID]
    assert states[0] == ("02:01", "recording") and ("02:29", "recording") in states
    assert ("02:30", "done") in states and states[-1][1] == "done"
    assert daily._state(store, BID)[1]["stop_reason"] == "the scheduled end"
    # a concurrent run (the timer firing while one is still running) does nothing
    lock = FileLock(workspace.home_lock(settings, "daily"))
    assert lock.try_acquire()
    try:
        assert daily.run(store, settings, now=START, recorder=rec).busy is True
    finally:
        lock.release()


def test_other_days_are_left_alone(day) -> None:
    store, settings = day
    out = daily.run(store, settings, day="2026-11-26", now=START, recorder=None, room_size=lambda o: None)
    assert [b.state for b in out.briefings] == ["waiting"]
    assert out.briefings[0].id == "2026-11-26-daily-press-briefing"
