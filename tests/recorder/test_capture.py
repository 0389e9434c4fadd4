"""Live capture from a real nginx-rtmp on loopback, fed by ffmpeg with real speech; kill -9 midway,
restart with the same command, stop, join. The CLI is run as a separate process, as systemd would."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recorder import capture as rc
from recorder import ffmpeg
from recorder.probe import probe
from tests.recorder import rtmp
from tests.recorder.media import SPEECH_DIR

REPO = Path(__file__).resolve().parents[2]
CLIPS = ["0002", "0013", "0025", "0030", "0041", "0042", "0048"]  # LJSpeech LJ001-*, ~41 s with pauses
PAUSE = 0.6
SEGMENT = 4.0
KILL_AT = 15.0  # seconds after the publisher started
RESTART_AFTER = 2.0
BID = "2026-11-25-press-briefing"


def make_source(dest: Path) -> list[tuple[float, float, str]]:
    """An FLV (H.264 1 s GOP + AAC) of LJSpeech sentences with pauses; returns (start, end, text) each."""
    import ffmpeg as fg

    audios, timeline, t = [], [], 0.0
    for c in CLIPS:
        wav = SPEECH_DIR / f"en_ljspeech_LJ001-{c}.wav"
        dur = float(probe(wav).duration)
        text = (SPEECH_DIR / f"en_ljspeech_LJ001-{c}.txt").read_text().strip()
        timeline.append((t, t + dur, text))
        t += dur + PAUSE
        audios.append(fg.input(str(wav))["a"].filter("aresample", 16000).filter("apad", pad_dur=PAUSE))
    audio = fg.concat(*audios, v=0, a=1)
    video = fg.input("testsrc=size=320x240:rate=25", f="lavfi", t=f"{t:.2f}")
    out = fg.output(
        video,
        audio,
        str(dest),
        vcodec="libx264",
        preset="ultrafast",
        g=25,
        pix_fmt="yuv420p",
        acodec="aac",
        audio_bitrate="96k",
        t=f"{t:.2f}",
        f="flv",
    )
    ffmpeg.run(ffmpeg.compile_graph(out))
    return timeline


def cli(home: Path, *args: str, env: dict, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "--home", str(home), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kw,
    )


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory):
    why = rtmp.available()
    if why:
        pytest.skip(why)
    if not (SPEECH_DIR / "en_ljspeech_LJ001-0002.wav").is_file():
        pytest.skip(f"real speech clips not found in {SPEECH_DIR}")
    work = tmp_path_factory.mktemp("capture")
    home = work / "home"
    source = work / "source.flv"
    timeline = make_source(source)
    server = rtmp.RtmpServer(work / "nginx").start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update(BRIEFING_HOME=str(home), BRIEFING_CAPTURE_STALL_TIMEOUT="4")
    url = server.url("briefing")
    argv = ("record", "capture", BID, "--source", url, "--segment", f"{SEGMENT:g}s")
    publisher = first = again = dup = None
    try:
        first = cli(home, *argv, env=env, start_new_session=True)
        # The stream starts once the capture listens: on a loaded machine Python's start and the RTMP
        # handshake can take seconds, and a player joining late misses the start of a live stream.
        server.wait_for_connection()
        publisher = subprocess.Popen(
            [
                ffmpeg.find_tool("ffmpeg"),
                "-nostdin",
                "-v",
                "error",
                "-re",
                "-i",
                str(source),
                "-c",
                "copy",
                "-f",
                "flv",
                url,
            ]
        )
        t_pub = time.monotonic()
        time.sleep(KILL_AT)
        os.killpg(first.pid, signal.SIGKILL)  # the whole process group: the CLI and its ffmpeg
        first.wait()
        t_kill = time.monotonic() - t_pub
        segs_at_kill = rc.segments(home / "briefings" / BID / "capture")
        sizes_at_kill = {p.name: p.stat().st_size for p in segs_at_kill}
        time.sleep(RESTART_AFTER)
        again = cli(home, *argv, env=env, start_new_session=True)
        # The restart counts from the moment the new capture receives the stream again (its first new
        # segment file appears), not from the command's launch: on a loaded machine Python's start and
        # the RTMP handshake can take seconds, during which nothing can be recorded by anyone.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(rc.segments(home / "briefings" / BID / "capture")) <= len(
            segs_at_kill
        ):
            time.sleep(0.05)
        if len(rc.segments(home / "briefings" / BID / "capture")) <= len(segs_at_kill):
            # Say why, rather than fail later on a duplicate capture that is then not refused.
            again_err = b""
            if again.poll() is not None:
                again_err = again.communicate()[1]
            log = server.dir / "error.log"
            pytest.fail(
                f"the restarted capture recorded nothing in 30 s: capture exit {again.returncode} "
                f"{again_err.decode()[-800:]!r}; publisher exit {publisher.poll()}; nginx exit "
                f"{server.proc.poll()}, its log: {log.read_text()[-800:] if log.exists() else ''!r}"
            )
        t_restart = time.monotonic() - t_pub
        # A second capture for the same briefing is refused while this one runs.
        time.sleep(1.0)
        dup = cli(home, *argv, env=env, start_new_session=True)
        dup_out, dup_err = dup.communicate(timeout=30)
        publisher.wait(timeout=90)
        time.sleep(1.0)
        stop = cli(home, "record", "stop", BID, "--json", env=env)
        out, err = stop.communicate(timeout=120)
        assert stop.returncode == 0, err.decode()
        again_out, again_err = again.communicate(timeout=60)
        yield {
            "home": home,
            "timeline": timeline,
            "t_kill": t_kill,
            "t_restart": t_restart,
            "stop": json.loads(out),
            "sizes_at_kill": sizes_at_kill,
            "dup": (dup.returncode, dup_err.decode()),
            "again": (again.returncode, again_err.decode()),
            "env": env,
        }
    finally:
        for p in (first, again, dup):
            if p is not None and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
        if publisher and publisher.poll() is None:
            publisher.kill()
        for p in (first, again, dup):
            if p is not None:
                p.stdout.close()
                p.stderr.close()
        server.stop()


@pytest.mark.whisper
def test_capture_survives_kill_and_restart(captured) -> None:
    home = captured["home"]
    cdir = home / "briefings" / BID / "capture"
    stop = captured["stop"]
    assert stop["stopped"] is True and stop["was_running"] is True
    assert captured["again"][0] == 0, captured["again"][1]
    # the duplicate capture was refused with a clear message, naming the running pid
    code, err = captured["dup"]
    assert code != 0 and "already running" in err
    state = rc.read_state(cdir)
    assert len(state["runs"]) == 2 and state["stopped_at"]
    # no finished segment was lost or overwritten by the restart
    for name, size in captured["sizes_at_kill"].items():
        assert (cdir / "segments" / name).stat().st_size >= size
    assert state["runs"][1]["first_segment"] == len(captured["sizes_at_kill"])
    rec = Path(stop["recording"])
    info = probe(rec)
    assert info.has_video and info.has_audio and info.video_codec == "h264" and info.audio_codec == "aac"
    total = captured["timeline"][-1][1] + PAUSE
    gap = captured["t_restart"] - captured["t_kill"]
    # everything but the gap (and at most one segment around the kill) is in the joined recording
    assert info.duration >= total - gap - SEGMENT - 2.0, (info.duration, total, gap)
    assert info.duration <= total + 2.0
    # recorded in the store and queued for processing exactly once
    from briefing.core.store import Store

    store = Store(home / "briefing.db")
    rows = store.query("SELECT * FROM recordings WHERE briefing_id = ?", (BID,))
    assert [(r["method"], r["status"]) for r in rows] == [("capture", "ingested")]
    assert json.loads(rows[0]["meta"])["runs"] == 2
    assert len(store.query("SELECT * FROM recording_jobs WHERE briefing_id = ?", (BID,))) == 1
    # record stop again is harmless
    again = subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", "--home", str(home), "record", "stop", BID, "--json"],
        cwd=REPO,
        env=captured["env"],
        capture_output=True,
        timeout=60,
    )
    assert again.returncode == 0 and json.loads(again.stdout)["was_running"] is False


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


@pytest.mark.whisper
def test_captured_speech_transcribes(captured, tmp_path: Path) -> None:
    from recorder.normalize import extract_speech_audio
    from transcribe.model import ensure_bundled_model
    from transcribe.whisper import TranscribeOptions, WhisperTranscriber

    rec = Path(captured["stop"]["recording"])
    wav = extract_speech_audio(rec, tmp_path / "speech.wav")
    model = ensure_bundled_model(Path(os.environ["BRIEFING_CACHE_DIR"]))
    t = WhisperTranscriber(model, device="cpu").transcribe(wav, TranscribeOptions(language="en"))
    heard = set(_words(" ".join(s.text for s in t.segments)))
    t_kill, t_restart = captured["t_kill"], captured["t_restart"]
    checked = 0
    for start, end, text in captured["timeline"]:
        before_kill = end <= t_kill - SEGMENT - 1.0
        after_restart = start >= t_restart + 2.0
        if not (before_kill or after_restart):
            continue  # spoken while the capture was dead (or in the segment cut by the kill)
        words = [w for w in _words(text) if len(w) > 3]
        found = sum(w in heard for w in words) / len(words)
        assert found >= 0.6, (text, found, sorted(heard))
        checked += 1
    assert checked >= 4


def test_segments_are_probed_once_and_again_when_they_change(tmp_path: Path) -> None:
    """The probe cache: a segment of the same size and mtime is not probed again; a changed one is."""
    from tests.recorder.media import make_sine

    wav = make_sine(tmp_path / "tone.wav", duration=2.0)
    seg = tmp_path / "seg-000000.ts"
    ffmpeg.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", "-f", "mpegts", str(seg)])
    empty = tmp_path / "seg-000001.ts"
    empty.write_bytes(b"")
    cache = tmp_path / rc.PROBED_NAME
    good, bad = rc.usable_segments([seg, empty], cache=cache)
    assert (good, bad) == ([seg], [empty])
    assert json.loads(cache.read_text())[seg.name][2] is True
    # Same bytes count, same mtime, but garbage: the cached verdict stands (not probed again) ...
    st = seg.stat()
    seg.write_bytes(b"\0" * st.st_size)
    os.utime(seg, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert rc.usable_segments([seg], cache=cache) == ([seg], [])
    # ... a new mtime (the file changed) is probed again, and without a cache always
    os.utime(seg, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert rc.usable_segments([seg], cache=cache) == ([], [seg])
    assert rc.usable_segments([seg]) == ([], [seg])
    # a damaged cache is only a cache
    cache.write_text("{not json")
    assert rc.usable_segments([seg], cache=cache) == ([], [seg])


def test_looking_at_the_lock_never_stops_a_capture_from_starting(tmp_path: Path) -> None:
    """`record status`, `record stop` and the live transcriber ask who holds the capture lock while a
    capture may be starting; the question must never take the lock (a restarted capture once stopped as
    "already running" because its own live transcriber was looking)."""
    import threading

    stop = threading.Event()
    looked = []

    def look() -> None:
        while not stop.is_set():
            looked.append(rc.running_pid(tmp_path))

    watcher = threading.Thread(target=look)
    watcher.start()
    try:
        for _ in range(300):
            with rc.holding_lock(tmp_path, timeout=0):  # timeout 0: a busy lock is CaptureBusy at once
                assert rc.running_pid(tmp_path) == os.getpid()
    finally:
        stop.set()
        watcher.join()
    assert set(looked) <= {None, -1, os.getpid()} and None in looked and os.getpid() in looked


def test_the_lock_names_another_process_and_goes_with_it_when_killed(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from recorder import capture as rc\n"
            "with rc.holding_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(600)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout.readline() == b"held\n"
        assert rc.running_pid(tmp_path) == holder.pid
        with pytest.raises(rc.CaptureBusy, match=f"already running in .* \\(pid {holder.pid}\\)"):
            with rc.holding_lock(tmp_path, timeout=0):
                pass
    finally:
        holder.kill()
        holder.communicate()
    assert rc.running_pid(tmp_path) is None  # the kernel let go of it with the process
    with rc.holding_lock(tmp_path, timeout=0):
        assert rc.running_pid(tmp_path) == os.getpid()
