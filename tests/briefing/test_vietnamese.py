"""A Vietnamese briefing end to end with the engine chosen per language (issue 18): `briefing process
--language vi` transcribes with viet-asr by default (real speech from ../shared/speech), the page and
`briefing status` say which engine and model made the transcript, key figures link to their segment;
transcribe.engines switches Vietnamese back to Whisper; an altered native library is refused with one
line and nothing published."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.transcribe.helpers import clips, normalize, speech_dir

REPO = Path(__file__).resolve().parents[2]
CLIPS = ("vi_fosd_Set001_V0.1_002741.mp3", "vi_fosd_Set002_V0.1_000211.mp3", "vi_fosd_Set002_V0.1_000289.mp3")
BID = "2026-11-25-hop-bao"


@pytest.fixture(scope="module")
def speech() -> Path:
    d = speech_dir()
    if d is None:
        pytest.skip("real speech set not found at ../shared/speech")
    return d


@pytest.fixture(scope="module")
def recording(speech: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The clips joined into one 16 kHz WAV, a second of silence between them; and the reference text."""
    from transcribe.whisper import decode_samples

    refs = {c.audio.name: c.reference for c in clips(speech)}
    parts = []
    for n in CLIPS:
        parts += [decode_samples(speech / n), np.zeros(16000, dtype=np.float32)]
    x = (np.concatenate(parts) * 32767).astype("<i2")
    path = tmp_path_factory.mktemp("rec") / "hop-bao.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(x.tobytes())
    return path, " ".join(normalize(refs[n]) for n in CLIPS)


@pytest.fixture(scope="module")
def processed(recording: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory):
    """One Vietnamese briefing processed with the default settings (translation off: Whisper's part)."""
    from briefing.core.config import load_settings
    from briefing.core.store import Store
    from briefing.processing import pipeline

    home = tmp_path_factory.mktemp("home")
    settings = load_settings(str(home), overrides={"translate.enabled": "off"})
    store = Store(settings.store_path)
    res = pipeline.process(store, settings, recording[0], bid=BID, language="vi", title="Họp báo", date="2026-11-25")
    return home, store, settings, res


def test_vietnamese_is_transcribed_by_vietasr_and_the_page_says_so(
    processed, recording, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jiwer

    from transcribe import formats

    home, store, settings, res = processed
    info = store.stage(BID, "transcribe").info
    assert info["model"] == "viet-asr 0.1.0.dev11" and info["engine"].startswith("viet-asr 0.1.0.dev11")
    t = formats.from_json(Path(store.artifacts(BID)["json"].path).read_text(encoding="utf-8"))
    assert t.options["word_times"] == "estimated" and t.options["punctuation"] == "rule"
    assert all("estimated-times" in s.flags for s in t.segments)
    assert jiwer.wer(recording[1], normalize(t.text)) < 0.5
    page = res.page.read_text(encoding="utf-8")
    assert "viet-asr 0.1.0.dev11" in page and "thời gian theo từng đoạn, ước tính" in page
    # the key figure said in words ("một trăm mười tuổi") is on the page as digits, at its segment's time
    release = json.loads((res.page.parent / "release.json").read_text(encoding="utf-8"))
    figs = [f for f in release["key_figures"] if f["value"] == 110]
    assert figs and figs[0]["said"].lower() == "một trăm mười", release["key_figures"]
    seg = t.segments[figs[0]["segment_id"]]
    assert figs[0]["start"] == seg.start and figs[0]["said"] in seg.text
    monkeypatch.setenv("BRIEFING_HOME", str(home))
    out = run("status", BID)
    assert out.code == 0, out.err
    line = next(x for x in out.out.splitlines() if x.strip().startswith("transcribe"))
    assert "model viet-asr 0.1.0.dev11, engine viet-asr 0.1.0.dev11" in line and "cpu int8" in line


def test_transcribe_engines_switches_vietnamese_back_to_whisper(briefing_env: Path, run) -> None:
    from briefing.core.config import load_settings
    from briefing.core.errors import ConfigError
    from briefing.processing import speech
    from transcribe.vietasr import VietAsrEngine
    from transcribe.whisper import WhisperTranscriber

    default = load_settings(str(briefing_env))
    assert speech.engine_name(default, "vi") == "vietasr" and speech.engine_name(default, "en") == "whisper"
    assert isinstance(speech.recognizer(default, "vi")[0], VietAsrEngine)
    (briefing_env / "briefing.toml").write_text('[transcribe]\nengines = { vi = "whisper" }\n', encoding="utf-8")
    back = load_settings(str(briefing_env))
    assert speech.engine_name(back, "vi") == "whisper"
    assert isinstance(speech.recognizer(back, "vi")[0], WhisperTranscriber)
    os.environ["BRIEFING_TRANSCRIBE_ENGINES"] = "vi=vietasr,en=whisper"  # the environment wins
    try:
        assert speech.engine_name(load_settings(str(briefing_env)), "vi") == "vietasr"
        os.environ["BRIEFING_TRANSCRIBE_ENGINES"] = "vi=kaldi"
        with pytest.raises(ConfigError, match="unknown recognition engine 'kaldi'"):
            speech.engine_name(load_settings(str(briefing_env)), "vi")
    finally:
        del os.environ["BRIEFING_TRANSCRIBE_ENGINES"]


def test_an_altered_native_library_is_refused_in_one_line(recording, tmp_path: Path, briefing_env: Path) -> None:
    from transcribe import vietasr as va

    bad = tmp_path / "libvietasr.so"
    shutil.copyfile(va.library_path(), bad)
    with open(bad, "r+b") as f:
        f.seek(2_000_000)
        b = f.read(1)
        f.seek(2_000_000)
        f.write(bytes([b[0] ^ 0x01]))
    env = {**os.environ, "VIETASR_LIBRARY_PATH": str(bad), "PYTHONPATH": str(REPO)}
    p = subprocess.run(
        [
            sys.executable,
            "-c",
            "import cli; cli.main()",
            "process",
            str(recording[0]),
            "--language",
            "vi",
            "--title",
            "Họp báo",
            "--date",
            "2026-11-25",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert p.returncode != 0
    assert "Traceback" not in p.stderr
    lines = [x for x in p.stderr.splitlines() if x.startswith("error:")]  # the one line that says it all
    assert len(lines) == 1 and str(bad) in lines[0] and "refusing to load it" in lines[0], p.stderr
    assert "pip install --force-reinstall viet-asr==0.1.0.dev11" in lines[0]
    site = briefing_env / "site"
    assert not any(site.glob("briefings/*/index.html"))  # nothing published


def test_the_vietnamese_demo_says_plainly_that_there_is_none(briefing_env: Path, run) -> None:
    """No redistributable Vietnamese speech and no offline synthesizer the engine follows: the demo says
    so in one line and makes nothing, rather than publishing garbage as the product."""
    out = run("demo", "--language", "vi")
    assert out.code != 0 and "Traceback" not in out.err
    lines = [x for x in out.err.splitlines() if x.strip()]
    assert len(lines) <= 2 and "there is no Vietnamese demo" in lines[0], out.err
    assert "briefing process RECORDING.mp4 --language vi" in out.err
    assert not (briefing_env / "site").exists() or not any((briefing_env / "site").rglob("index.html"))


def test_a_vietnamese_live_transcript_by_vietasr_is_adopted(speech: Path, briefing_env: Path, tmp_path: Path) -> None:
    """The live transcriber works chunk by chunk with the Vietnamese engine while the capture records;
    at the end the transcribe stage adopts its transcript instead of transcribing again."""
    import ffmpeg as fg
    import jiwer

    from briefing.core.config import load_settings
    from briefing.core.store import Store
    from briefing.processing import live, pipeline
    from briefing.recording import record
    from recorder import capture as rc
    from recorder import ffmpeg
    from transcribe import formats

    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"file '{speech / n}'\n" for n in CLIPS[:2]))
    segs = tmp_path / "segs"
    segs.mkdir()
    ffmpeg.run(
        ffmpeg.compile_graph(
            fg.output(
                fg.input(str(listing), f="concat", safe=0).audio,
                str(segs / "seg-%06d.ts"),
                f="segment",
                segment_time=4,
                reset_timestamps=1,
                segment_format="mpegts",
                acodec="aac",
                ar=48000,
                ac=2,
            )
        )
    )
    settings = load_settings(
        str(briefing_env),
        overrides={
            "live.min_chunk": 6.0,
            "live.max_chunk": 12.0,
            "briefing.language": "vi",
            "translate.enabled": "off",
        },
    )
    store = Store(settings.store_path)
    bid = "2026-11-25-truc-tiep"
    record.ensure_briefing(store, settings, bid)
    cdir = settings.workspace / bid / "capture"
    cdir.mkdir(parents=True, exist_ok=True)
    lock = rc._Lock(cdir)
    lock.acquire()
    rc._write_json(cdir / rc.STATE_NAME, {"source": "rtmp://127.0.0.1/live/x", "runs": [], "stopped_at": None})
    record._open_recording(store, bid, "capture", source="rtmp://127.0.0.1/live/x")
    f = live.Follower(store, settings, bid)
    assert f.transcriber.name == "vietasr"
    d = rc.segment_dir(cdir)
    d.mkdir(parents=True, exist_ok=True)
    for seg in sorted(segs.glob("seg-*.ts")):
        shutil.copy(seg, d / (seg.name + ".part"))
        (d / (seg.name + ".part")).rename(d / seg.name)
        f.step()
    assert live._chunks(store, bid), "chunks are transcribed while the capture runs"
    lock.release()
    (cdir / rc.STOP_NAME).write_text("stop\n")
    out = record.capture_stop(store, settings, bid)
    pipeline.process(
        store, settings, Path(str(out.recording)), bid=bid, language="vi", title="Trực tiếp", date="2026-11-25"
    )
    info = store.stage(bid, "transcribe").info
    assert info["live"] is True and info["engine"].startswith("viet-asr")
    t = formats.from_json(Path(store.artifacts(bid)["json"].path).read_text(encoding="utf-8"))
    assert t.options["punctuation"] == "rule" and all("estimated-times" in s.flags for s in t.segments)
    starts = [s.start for s in t.segments]
    assert starts == sorted(starts) and t.segments[-1].end <= t.duration + 0.01
    refs = {c.audio.name: c.reference for c in clips(speech)}
    assert jiwer.wer(" ".join(normalize(refs[n]) for n in CLIPS[:2]), normalize(t.text)) < 0.5


@pytest.mark.whisper
def test_a_briefing_of_unknown_language_goes_to_the_engine_of_what_whisper_detects(
    recording, speech: Path, briefing_env: Path
) -> None:
    from briefing.core.config import load_settings
    from briefing.processing import speech as sp

    settings = load_settings(str(briefing_env))
    assert sp.detect_for_engine(settings, recording[0]) == "vi"  # then viet-asr transcribes it
    assert sp.detect_for_engine(settings, speech / "en_jfk.flac") is None  # Whisper detects and transcribes
    (briefing_env / "briefing.toml").write_text('[transcribe]\nengines = { vi = "whisper" }\n', encoding="utf-8")
    assert sp.detect_for_engine(load_settings(str(briefing_env)), recording[0]) is None  # nothing to choose
