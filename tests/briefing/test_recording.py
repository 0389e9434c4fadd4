"""Ingest (file and Jibri session directory), jibri-finalize's queue, and `record start/stop` against a
loopback Jibri."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from briefing.core import workspace
from briefing.core.config import load_settings
from briefing.core.errors import InputError, JitsiError
from briefing.core.store import Briefing, Store
from briefing.recording import queue, record, worker
from tests.briefing.helpers_recording import BID, ROOM, jibri_session_dir
from tests.recorder.jibri import FakeJibri
from tests.recorder.media import make_video_with_speech

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path):
    settings = load_settings()
    store = Store(settings.store_path)
    store.save_briefing(
        Briefing(
            id=BID,
            title="Daily press briefing",
            date="2026-11-25",
            speakers=("Spokesperson",),
            meta={"schedule": {"room": ROOM}},
        )
    )
    return store, settings


def test_ingest_session_dir_copies_verifies_and_reads_metadata(env, tmp_path: Path) -> None:
    store, settings = env
    d = jibri_session_dir(tmp_path / "recordings")
    rec = record.ingest(store, settings, "-", d)  # linked by sessionId
    assert rec.briefing_id == BID and rec.status == "ingested"
    media = next(d.glob("*.mp4"))
    copied = Path(rec.path)
    assert copied.read_bytes() == media.read_bytes() and copied.parent == settings.workspace / BID / "recording"
    assert rec.meta["meeting_url"] == f"https://meet.gov.example/{ROOM}" and rec.meta["room"] == ROOM
    assert store.briefing(BID).speakers == ("Spokesperson", "Minister Nguyen Van A", "Dr. Tran Thi B")
    assert [j.status for j in queue.jobs(store, bid=BID)] == ["queued"]
    # the same recording again: nothing new
    again = record.ingest(store, settings, BID, d)
    assert again.id == rec.id and len(queue.jobs(store, bid=BID)) == 1


def test_ingest_links_by_room_when_the_session_id_is_foreign(env, tmp_path: Path) -> None:
    store, settings = env
    d = jibri_session_dir(tmp_path / "recordings", "6f1c0c9e-0b5e-4f3c-9a51-1d0d35a3c0aa")
    sd = record.read_session_dir(d)
    assert sd.room == ROOM and sd.speaker_names == ("Minister Nguyen Van A", "Dr. Tran Thi B")
    # no schedule row for the room → cannot tell; named explicitly → fine
    with pytest.raises(Exception, match="which briefing|no briefing"):
        record.ingest(store, settings, "-", d)
    assert record.ingest(store, settings, BID, d).briefing_id == BID


def test_ingest_refuses_empty_and_changed_files(env, tmp_path: Path, monkeypatch) -> None:
    store, settings = env
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        record.ingest(store, settings, BID, empty)
    src = make_video_with_speech(tmp_path / "r.mp4")
    real = record.sha256_file
    calls = []

    def flaky(path):  # the second hash (of the copy) differs: the file changed while copied
        calls.append(path)
        return real(path) if len(calls) == 1 else "0" * 64

    monkeypatch.setattr(record, "sha256_file", flaky)
    with pytest.raises(InputError, match="changed while it was copied"):
        record.ingest(store, settings, BID, src)
    assert not list((settings.workspace / BID / "recording").glob("*"))


def test_jibri_finalize_returns_within_seconds_and_queues(env, tmp_path: Path) -> None:
    store, settings = env
    d = jibri_session_dir(tmp_path / "recordings")
    t0 = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import cli; cli.main()",
            "--home",
            str(settings.home),
            "jibri-finalize",
            str(d),
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        timeout=60,
        env={**__import__("os").environ, "BRIEFING_JIBRI_FINALIZE_WORKER": "0"},
    )
    took = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert data["briefing"] == BID and data["status"] == "queued" and data["worker"] is None
    assert took < 5, took
    jobs = queue.jobs(store, bid=BID)
    assert [(j.status, j.path) for j in jobs] == [("queued", str(d.resolve()))]
    # Jibri may run the script twice: still one job
    record.jibri_finalize(store, settings, d, spawn_worker=False)
    assert len(queue.jobs(store, bid=BID)) == 1

    # the worker copies it in and processes it (processing stubbed here; the real pipeline is in test_daily)
    seen = []

    def fake_process(store_, settings_, path, **kw):
        seen.append((path, kw["bid"]))
        return type("R", (), {"ran": ["ingest", "publish"], "page": "page.html"})()

    res = worker.work(store, settings, process=fake_process)
    assert len(res.done) == 1 and seen[0][1] == BID and seen[0][0].parent == settings.workspace / BID / "recording"
    assert worker.work(store, settings, process=fake_process).done == []


def test_record_start_stop_status_with_loopback_jibri(env, monkeypatch) -> None:
    store, settings = env
    with FakeJibri() as j:
        for k, v in {
            "BRIEFING_JIBRI_URL": j.url,
            "BRIEFING_JITSI_URL": "https://meet.gov.example",
            "BRIEFING_JIBRI_XMPP_DOMAIN": "recorder.meet.gov.example",
            "BRIEFING_JIBRI_XMPP_PASSWORD": "s3cret",
        }.items():
            monkeypatch.setenv(k, v)
        settings = load_settings()
        out = record.record_start(store, settings, BID)
        assert out.jibri.busy_status == "BUSY" and out.room == ROOM
        body = [b for m, p, b in j.requests if p.endswith("startService")][0]
        assert body["sessionId"] == BID and body["callParams"]["callUrlInfo"]["callName"] == ROOM
        assert body["callLoginParams"]["password"] == "s3cret"
        with pytest.raises(JitsiError, match="busy"):
            record.record_start(store, settings, BID)
        st = record.record_status(store, settings, BID)
        assert st.jibri is not None and st.jibri.busy_status == "BUSY"
        assert [r.status for r in st.recordings] == ["recording"]
        stopped = record.record_stop(store, settings, BID)
        assert isinstance(stopped, record.JibriStopped) and stopped.jibri.busy_status == "IDLE"
        assert record.recordings(store, BID)[0].status == "stopped"
    # the secret never shows in `briefing settings`
    rows = {r.name: r for r in settings.describe()}
    assert rows["jibri.xmpp_password"].value == "***"


@pytest.mark.whisper
def test_record_stop_of_a_capture_processes_it_in_the_background(env, tmp_path: Path) -> None:
    """The manual capture path: `record capture` left its segments, `record stop` joins them and starts
    `briefing work` itself (as jibri-finalize does), so the page appears without anyone running work."""
    import os

    import ffmpeg as fg

    from recorder import capture as rc
    from recorder import ffmpeg
    from tests.recorder.media import require_speech

    store, settings = env
    clip = require_speech("en_jfk.flac")
    cdir = workspace.capture_dir(settings, BID)
    segs = rc.segment_dir(cdir)
    segs.mkdir(parents=True)
    out = fg.output(
        fg.input(str(clip)).audio,
        str(segs / "seg-%06d.ts"),
        f="segment",
        segment_time=4,
        reset_timestamps=1,
        segment_format="mpegts",
        acodec="aac",
        ar=48000,
        ac=2,
    )
    ffmpeg.run(ffmpeg.compile_graph(out))  # as a capture writes them; its process has ended
    rc._write_json(cdir / rc.STATE_NAME, {"source": "rtmp://127.0.0.1/live/x", "runs": [], "stopped_at": None})
    record._open_recording(store, BID, "capture", source="rtmp://127.0.0.1/live/x")

    proc = subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", "--home", str(settings.home), "record", "stop", BID],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith(f"stopped {BID}: ") and "segments)" in lines[0]
    assert lines[1].startswith("processing it in the background (briefing work, pid ")
    assert lines[1].endswith(f"log: {settings.home / 'work.log'})")
    # the worker runs on its own; its job ends done and the page is there (no one ran `briefing work`)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and [j.status for j in queue.jobs(store, bid=BID)] != ["done"]:
        assert "failed" not in [j.status for j in queue.jobs(store, bid=BID)], (settings.home / "work.log").read_text()
        time.sleep(0.2)
    assert [j.status for j in queue.jobs(store, bid=BID)] == ["done"], (settings.home / "work.log").read_text()
    assert (settings.site_dir / "briefings" / BID / "index.html").is_file()

    # stopped again: already joined and processed, nothing queued, no second worker
    stopped = record.record_stop(store, settings, BID)
    assert isinstance(stopped, record.CaptureResult) and stopped.worker is None
