"""`briefing process` end to end, as a user runs it: the real console script, real ffmpeg, the real model,
real speech. Also every bad input, re-runs, and crash recovery."""

from __future__ import annotations

import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests import procfs
from tests.recorder import media
from tests.transcribe.helpers import normalize

BRIEFING = [sys.executable, "-c", "import cli; cli.main()"]


def run(*args: str, check: bool = True, timeout: float = 600, **kw) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*BRIEFING, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).resolve().parents[1],
        **kw,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"briefing {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return jiwer.wer(normalize(reference), normalize(hypothesis))


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for k, v in attrs:
            if k in ("href", "src", "poster") and v:
                self.urls.append(v)


def local_targets(page: Path) -> list[Path]:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    out = []
    for url in parser.urls:
        u = urlparse(url)
        if u.scheme or url.startswith("#") or url.startswith("mailto:"):
            continue
        out.append((page.parent / unquote(u.path)).resolve())
    return out


def db(home: Path) -> sqlite3.Connection:
    c = sqlite3.connect(home / "briefing.db")
    c.row_factory = sqlite3.Row
    return c


def stage_status(home: Path) -> dict[str, str]:
    if not (home / "briefing.db").exists():
        return {}
    try:
        return {r["stage"]: r["status"] for r in db(home).execute("SELECT stage, status FROM stages")}
    except sqlite3.OperationalError:  # the store is being created right now
        return {}


def leftovers(*roots: Path) -> list[Path]:
    bad = []
    for root in roots:
        if root.exists():
            bad += [
                p
                for p in root.rglob("*")
                if ".partial" in p.name or p.name.endswith(".tmp") or ".staging" in p.parts and p.is_file()
            ]
    return bad


# -- the happy path ---------------------------------------------------------------------------------
@pytest.mark.whisper
def test_process_video_end_to_end(tmp_path: Path, briefing_env: Path) -> None:
    import feedparser

    home = briefing_env
    clip = media.require_speech("en_jfk.flac")
    video = media.make_video_with_speech(tmp_path / "briefing.mp4", speech=clip)
    out = run(
        "process",
        str(video),
        "--title",
        'Daily briefing <Health> & "Co"',
        "--date",
        "2026-11-25",
        "--language",
        "en",
        "--speaker",
        "Jane Doe",
        "--json",
    )
    result = json.loads(out.stdout)
    bid = result["id"]
    assert bid == "2026-11-25-daily-briefing-health-co"
    assert set(result["ran"]) == {
        "ingest",
        "audio",
        "video",
        "transcribe",
        "translate",
        "summarize",
        "redact",
        "publish",
    }
    assert "Traceback" not in out.stderr

    # transcript: the expected words, in every format
    work = home / "briefings" / bid / "transcript"
    t = json.loads((work / "transcript.json").read_text())
    reference = (clip.parent / "en_jfk.txt").read_text()
    assert wer(reference, t["text"]) < 0.15
    assert t["segments"] and all(s["words"] for s in t["segments"])
    assert all(0 <= s["confidence"] <= 1 for s in t["segments"])
    assert "fellow americans" in normalize((work / "transcript.srt").read_text())
    vtt = (work / "transcript.vtt").read_text()
    assert vtt.startswith("WEBVTT")

    # the page, its VTT track and the feed agree, and every link resolves
    page = Path(result["page"])
    assert page == home / "site" / "briefings" / bid / "index.html"
    html = page.read_text()
    assert "&lt;Health&gt;" in html and "<Health>" not in html  # escaped
    assert "Jane Doe" in html and 'lang="en"' in html
    assert "ask not what your country" in normalize(html)
    targets = local_targets(page)
    assert targets and all(p.exists() for p in targets), [p for p in targets if not p.exists()]
    assert normalize((page.parent / "transcript.vtt").read_text()) == normalize(vtt)
    names = {p.name for p in targets}
    assert {"video.mp4", "transcript.vtt", "transcript.srt", "transcript.txt", "transcript.json"} <= names

    feed = feedparser.parse((home / "site" / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert len(feed.entries) == 1
    entry = feed.entries[0]
    assert "Daily briefing <Health>" in entry.title
    enclosure = entry.enclosures[0]
    assert enclosure.type == "video/mp4"
    assert int(enclosure.length) == (page.parent / "video.mp4").stat().st_size
    atom = feedparser.parse((home / "site" / "atom.xml").read_bytes())
    assert not atom.bozo and len(atom.entries) == 1
    index = json.loads((home / "site" / "briefings.json").read_text())
    listed = index["briefings"] if isinstance(index, dict) else index
    assert [b["id"] for b in listed] == [bid]

    # web video is H.264/AAC with faststart
    assert media.mp4_box_order(page.parent / "video.mp4").index("moov") < media.mp4_box_order(
        page.parent / "video.mp4"
    ).index("mdat")

    # status shows every stage done with its artifacts
    st = json.loads(run("status", bid, "--json").stdout)[0]
    assert {s["stage"]: s["status"] for s in st["stages"]} == dict.fromkeys(
        ["ingest", "audio", "video", "transcribe", "translate", "summarize", "redact", "publish"], "done"
    )
    assert st["stages"][3]["artifacts"]["json"].endswith("transcript.json")

    # re-run: nothing redone, no duplicate feed item
    before = (work / "transcript.json").stat().st_mtime_ns
    again = json.loads(
        run(
            "process",
            str(video),
            "--title",
            'Daily briefing <Health> & "Co"',
            "--date",
            "2026-11-25",
            "--language",
            "en",
            "--speaker",
            "Jane Doe",
            "--json",
        ).stdout
    )
    assert again["ran"] == [] and len(again["skipped"]) == 8
    assert (work / "transcript.json").stat().st_mtime_ns == before
    assert len(feedparser.parse((home / "site" / "feed.xml").read_bytes()).entries) == 1

    # one stage on its own, and --force redoes it
    assert json.loads(run("summarize", bid, "--json").stdout)["ran"] == []
    assert json.loads(run("summarize", bid, "--force", "--json").stdout)["ran"] == ["summarize"]
    assert leftovers(home / "briefings", home / "site") == []


@pytest.mark.whisper
def test_audio_only_gives_an_audio_page(tmp_path: Path, briefing_env: Path) -> None:
    clip = media.require_speech("en_ljspeech_LJ001-0025.wav")
    mp3 = media.make_mp3(tmp_path / "radio.mp3", speech=clip)
    result = json.loads(run("process", str(mp3), "--title", "Radio", "--date", "2026-11-20", "--json").stdout)
    page = Path(result["page"])
    html = page.read_text()
    assert "<audio" in html and "<video" not in html
    assert all(p.exists() for p in local_targets(page))
    assert result["language"] == "en"  # detected


@pytest.mark.whisper
def test_silence_is_published_with_a_notice(tmp_path: Path, briefing_env: Path) -> None:
    silent = media.make_silence(tmp_path / "silent.wav", duration=4.0)
    result = json.loads(
        run("process", str(silent), "--title", "Quiet", "--date", "2026-11-21", "--language", "en", "--json").stdout
    )
    html = Path(result["page"]).read_text()
    assert "No speech detected" in html
    t = json.loads((briefing_env / "briefings" / result["id"] / "transcript" / "transcript.json").read_text())
    assert t["segments"] == []


@pytest.mark.whisper
def test_a_blip_is_published_as_no_speech(tmp_path: Path, briefing_env: Path) -> None:
    """Half a second of a word: Whisper invents a sentence for it (in any language it likes). Detection
    chooses among the configured languages, and too little speech is published as no speech."""
    import ffmpeg as fg

    from recorder import ffmpeg

    blip = tmp_path / "blip.wav"
    clip = media.require_speech("en_jfk.flac")
    # "Bye bye." on main: made up from half a second of "...fellow Americans"; no guard catches it
    ffmpeg.run(ffmpeg.compile_graph(fg.input(str(clip), ss=1.0, t=0.5).output(str(blip))))
    result = json.loads(run("process", str(blip), "--title", "Blip", "--date", "2026-11-21", "--json").stdout)
    assert result["language"] in ("vi", "en")
    site = Path(result["page"]).parent
    assert "No speech detected" in (site / "index.html").read_text()
    work = briefing_env / "briefings" / result["id"]
    assert json.loads((work / "transcript" / "transcript.json").read_text())["segments"] == []
    assert not (site / "translation.en.vtt").exists()
    st = {s["stage"]: s for s in json.loads(run("status", result["id"], "--json").stdout)[0]["stages"]}
    speech = st["transcribe"]["info"]["quality"]["speech"]
    assert speech["seconds"] < 1.0 and speech["removed"] >= 1
    assert st["translate"]["info"]["skipped"] == "no speech"


@pytest.mark.whisper
def test_rerun_after_a_detected_language_does_nothing_again(tmp_path: Path, briefing_env: Path) -> None:
    """The first run detects English and makes it the briefing's language; a rerun asks for English, which
    is the same transcription: reused. A run held inside the stage shows none of an earlier run's info."""
    clip = media.require_speech("en_ljspeech_LJ001-0025.wav")
    args = ["process", str(clip), "--title", "Auto", "--date", "2026-11-23", "--json"]
    first = json.loads(run(*args).stdout)
    assert first["language"] == "en" and "transcribe" in first["ran"]
    again = json.loads(run(*args).stdout)
    assert again["ran"] == [] and "transcribe" in again["skipped"]
    # the same language said explicitly: the same transcription
    assert "transcribe" in json.loads(run(*args, "--language", "en").stdout)["skipped"]

    # held inside a forced transcription (then killed): the row shows no time or device of the run before
    from briefing.core import faults

    held = subprocess.Popen(
        [*BRIEFING, "transcribe", first["id"], "--force"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, faults.PAUSE_ENV: "stage:transcribe"},
    )
    assert held.stderr is not None
    for line in held.stderr:
        if line.startswith("paused at stage:transcribe"):
            break
    else:
        raise AssertionError("the forced run never reached the stage")
    st = {s["stage"]: s for s in json.loads(run("status", first["id"], "--json").stdout)[0]["stages"]}
    assert st["transcribe"]["status"] == "interrupted" and st["transcribe"]["info"] == {}
    held.kill()
    held.communicate(timeout=60)
    st = {s["stage"]: s for s in json.loads(run("status", first["id"], "--json").stdout)[0]["stages"]}
    assert st["transcribe"]["info"] == {}
    done = json.loads(run(*args).stdout)
    assert "transcribe" in done["ran"]
    st = {s["stage"]: s for s in json.loads(run("status", first["id"], "--json").stdout)[0]["stages"]}
    assert st["transcribe"]["status"] == "done" and 0 < st["transcribe"]["info"]["seconds"] <= done["seconds"]


# -- bad input --------------------------------------------------------------------------------------
def _assert_refused(proc: subprocess.CompletedProcess[str], home: Path, *needles: str) -> None:
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    for n in needles:
        assert n in err, err
    assert "done" not in stage_status(home).values()
    assert not (home / "site" / "briefings").exists() or not any((home / "site" / "briefings").iterdir())


@pytest.mark.parametrize("kind", ["missing", "empty", "text", "truncated", "noaudio"])
def test_bad_recordings_are_refused(kind: str, tmp_path: Path, briefing_env: Path) -> None:
    path = tmp_path / f"{kind}.mp4"
    if kind == "empty":
        media.make_empty_file(path)
    elif kind == "text":
        media.make_text_file(path)
    elif kind == "truncated":
        media.make_truncated_mp4(path)
    elif kind == "noaudio":
        media.make_video_without_audio(path)
    proc = run("process", str(path), check=False)
    _assert_refused(proc, briefing_env, path.name)


def test_unknown_language_is_refused(tmp_path: Path, briefing_env: Path) -> None:
    video = media.make_sine(tmp_path / "tone.wav")
    proc = run("process", str(video), "--language", "xx", check=False)
    _assert_refused(proc, briefing_env, "xx")


def test_bad_date_is_refused(tmp_path: Path, briefing_env: Path) -> None:
    video = media.make_sine(tmp_path / "tone.wav")
    proc = run("process", str(video), "--date", "25/11/2026", check=False)
    _assert_refused(proc, briefing_env, "YYYY-MM-DD")


def test_unwritable_home_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    video = media.make_sine(tmp_path / "tone.wav")
    proc = run("--home", str(blocker / "home"), "process", str(video), check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "cannot write to BRIEFING_HOME" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_missing_ffmpeg_says_how_to_install(tmp_path: Path, briefing_env: Path) -> None:
    video = media.make_sine(tmp_path / "tone.wav")
    env = {**os.environ, "PATH": "/nonexistent"}
    proc = run("process", str(video), check=False, env=env)
    _assert_refused(proc, briefing_env, "ffprobe not found", "apt-get install ffmpeg")


def test_unknown_briefing_id(briefing_env: Path) -> None:
    proc = run("transcribe", "2026-01-01-nope", check=False)
    assert proc.returncode == 1 and "no briefing with id" in proc.stderr and "Traceback" not in proc.stderr


def test_debug_shows_the_traceback(tmp_path: Path, briefing_env: Path) -> None:
    proc = run("--debug", "process", str(tmp_path / "missing.mp4"), check=False)
    assert proc.returncode != 0 and "Traceback" in proc.stderr


# A command as the CLI runs it, then a thread that allocates (as the web-media thread of `process` does
# before the model loads), then glibc's account of its heaps (malloc_info's XML) written to a file.
_HEAPS = """
import ctypes, os, sys, threading
import cli
try:
    cli.main(sys.argv[1:])
except SystemExit:
    pass
kept = []
t = threading.Thread(target=lambda: kept.append(bytearray(8 << 20)))
t.start()
t.join()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
f = libc.fopen(os.environ["HEAPS_OUT"].encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(f))
libc.fclose(ctypes.c_void_p(f))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's arenas and malloc_info")
def test_threads_of_a_command_share_one_heap(tmp_path: Path, briefing_env: Path) -> None:
    """CTranslate2's workers must allocate from the one heap that keeps the encoder's large blocks mapped;
    a thread heap (64 MB at most) maps them afresh every window (1.6 million page faults in a 10-minute
    `process`). glibc gives a thread its heap at its first allocation, so the CLI must set this up before
    a command starts any thread, not when the model loads."""

    def heaps(*args: str) -> int:
        out = tmp_path / f"heaps-{len(args)}.xml"
        env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES")}
        proc = subprocess.run(
            [sys.executable, "-c", _HEAPS, *args],
            capture_output=True,
            text=True,
            env={**env, "HEAPS_OUT": str(out)},
            cwd=Path(__file__).resolve().parents[1],
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        return out.read_text().count("<heap nr=")

    assert heaps("--help") == 2  # no command ran (help only): the thread made a heap of its own
    assert heaps("settings", "--json") == 1


# -- crash recovery ---------------------------------------------------------------------------------
@pytest.mark.whisper
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_killed_mid_transcription_then_rerun_completes(how: int, tmp_path: Path, briefing_env: Path) -> None:
    home = briefing_env
    clips = [
        media.require_speech(n)
        for n in (
            "en_jfk.flac",
            "en_ljspeech_LJ001-0025.wav",
            "en_ljspeech_LJ001-0030.wav",
            "en_ljspeech_LJ001-0042.wav",
        )
    ]
    wav = tmp_path / "long.wav"
    media.concat_audio(wav, clips) if hasattr(media, "concat_audio") else _concat(wav, clips)
    args = ["process", str(wav), "--title", "Crash", "--date", "2026-11-22", "--language", "en", "--json"]
    proc = subprocess.Popen(
        [*BRIEFING, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    deadline = time.time() + 120
    while time.time() < deadline and stage_status(home).get("transcribe") != "running":
        time.sleep(0.05)
    assert stage_status(home).get("transcribe") == "running"
    time.sleep(0.5)
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    if how == signal.SIGINT:
        assert proc.returncode == 130 and "run the same command again" in err and "Traceback" not in err
    assert stage_status(home).get("transcribe") != "done"
    assert not (home / "site" / "briefings").exists()
    assert not (home / "briefings" / "2026-11-22-crash" / "transcript" / "transcript.json").exists()

    result = json.loads(run(*args).stdout)
    assert "transcribe" in result["ran"] and "ingest" in result["skipped"]
    assert Path(result["page"]).exists()
    assert leftovers(home / "briefings", home / "site") == []


def _concat(dest: Path, clips: list[Path]) -> Path:
    import ffmpeg as fg

    from recorder import ffmpeg

    streams = [
        fg.input(str(c)).audio.filter("aresample", 16000).filter("aformat", channel_layouts="mono") for c in clips
    ]
    ffmpeg.run(ffmpeg.compile_graph(fg.concat(*streams, v=0, a=1).output(str(dest), ar=16000, ac=1)))
    return dest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_kill_9_of_process_leaves_no_ffmpeg_behind(tmp_path: Path, briefing_env: Path) -> None:
    """`kill -9` of `briefing process` while the web media is encoded (in a thread beside the speech
    extraction) ends that ffmpeg too: no orphan keeps writing into the workspace or competes with the
    rerun. The run is held at a named point (the pause hook) and the encoder frozen once it is seen
    (SIGSTOP), so the outcome depends on no timing: a frozen orphan would stay until the deadline."""
    from briefing.core import faults

    tone = media.make_sine(tmp_path / "long.flac", duration=600, sample_rate=16_000)  # 10 minutes
    env = {
        **os.environ,
        faults.PAUSE_ENV: "stage:audio",
        "BRIEFING_TRANSCRIBE_MODEL": str(tmp_path / "no-model"),
    }  # the kill comes before any transcription
    proc = subprocess.Popen(
        [*BRIEFING, "process", str(tone), "--title", "Orphans", "--date", "2026-11-25", "--language", "en"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env=env,
    )
    encoder = None
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:  # blocks until the line comes, or the process ends
            seen.append(line)
            if line.startswith("paused at stage:audio"):
                break
        else:
            raise AssertionError(f"process never reached the audio stage: {''.join(seen)}")
        # the web audio's ffmpeg (ffmpeg.run, in the video stage's thread): found, then frozen
        deadline = time.monotonic() + 120
        while encoder is None and time.monotonic() < deadline and proc.poll() is None:
            for pid, argv in procfs.children(proc.pid):
                if argv and Path(argv[0]).name == "ffmpeg" and any(a.endswith("audio.partial.m4a") for a in argv):
                    os.kill(pid, signal.SIGSTOP)
                    encoder = pid
                    break
            else:
                time.sleep(0.01)
        assert encoder is not None, "the web audio's ffmpeg was never seen running"
        proc.kill()  # kill -9: no cleanup of any kind
        proc.wait(timeout=60)
        deadline = time.monotonic() + 30
        while procfs.alive(encoder) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not procfs.alive(encoder), f"ffmpeg {encoder} outlived the killed `briefing process` {proc.pid}"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=60)
        if encoder is not None and procfs.alive(encoder):
            os.kill(encoder, signal.SIGKILL)
