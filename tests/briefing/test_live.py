"""Live transcription of a capture (briefing.processing.live): segments written progressively by ffmpeg from real
speech, followed as they finish; a restart continues without duplication; at the end the pipeline adopts
the live transcript instead of transcribing again; the live page says "live, unverified"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import ffmpeg as fg
import pytest

from recorder import capture as rc
from recorder import ffmpeg
from tests.transcribe.helpers import clips, speech_dir

CLIPS = [
    "en_ljspeech_LJ001-0025.wav",
    "en_ljspeech_LJ001-0030.wav",
    "en_ljspeech_LJ001-0042.wav",
    "en_ljspeech_LJ001-0048.wav",
]


@pytest.fixture(scope="module")
def speech():
    d = speech_dir()
    if d is None:
        pytest.skip("real speech set not found at ../shared/speech")
    return d


@pytest.fixture(scope="module")
def speech_clips(speech):
    return {c.audio.name: c for c in clips(speech)}


@pytest.fixture(scope="module")
def segment_files(tmp_path_factory, speech):
    """~30 s of real speech as a capture writes it: AAC in MPEG-TS segments of 4 s, timestamps reset."""
    d = tmp_path_factory.mktemp("segs")
    listing = d / "list.txt"
    listing.write_text("".join(f"file '{speech / n}'\n" for n in CLIPS))
    out = fg.output(
        fg.input(str(listing), f="concat", safe=0).audio,
        str(d / "seg-%06d.ts"),
        f="segment",
        segment_time=4,
        reset_timestamps=1,
        segment_format="mpegts",
        acodec="aac",
        ar=48000,
        ac=2,
    )
    ffmpeg.run(ffmpeg.compile_graph(out))
    return sorted(d.glob("seg-*.ts"))


@pytest.fixture
def env(tmp_path, briefing_env):
    from briefing.core.config import load_settings
    from briefing.core.store import Store
    from briefing.recording import record  # noqa: F401  (live declares the live.* settings)

    settings = load_settings(
        str(briefing_env),
        overrides={"live.min_chunk": 6.0, "live.max_chunk": 12.0, "live.page": True, "briefing.language": "en"},
    )
    store = Store(settings.store_path)
    bid = "2026-11-25-live-test"
    record.ensure_briefing(store, settings, bid)
    return store, settings, bid


def _deliver(settings, bid, seg: Path) -> None:
    d = rc.segment_dir(settings.workspace / bid / "capture")
    d.mkdir(parents=True, exist_ok=True)
    shutil.copy(seg, d / (seg.name + ".part"))
    (d / (seg.name + ".part")).rename(d / seg.name)


def _words(t):
    return [w for s in t.segments for w in s.words]


@pytest.mark.whisper
def test_live_run_restart_and_adoption(env, segment_files, speech_clips):
    import jiwer

    from briefing.processing import live, pipeline
    from briefing.recording import record
    from tests.transcribe.helpers import normalize

    store, settings, bid = env
    cdir = settings.workspace / bid / "capture"
    cdir.mkdir(parents=True, exist_ok=True)
    lock = rc._Lock(cdir)  # a capture is running: its newest segment is not finished yet
    lock.acquire()
    rc._write_json(cdir / rc.STATE_NAME, {"source": "rtmp://127.0.0.1/live/x", "runs": [], "stopped_at": None})
    record._open_recording(store, bid, "capture", source="rtmp://127.0.0.1/live/x")
    half = len(segment_files) * 3 // 4
    f = live.Follower(store, settings, bid)
    for seg in segment_files[:half]:  # segments arrive one by one while the follower steps
        _deliver(settings, bid, seg)
        f.step()
    names = [r["name"] for r in store.query("SELECT name FROM live_sources WHERE briefing_id = ?", (bid,))]
    assert names == [s.name for s in segment_files[: half - 1]]  # the newest one is still being written
    before = live._chunks(store, bid)
    assert before, "chunks are transcribed while the capture runs"
    page = settings.site_dir / "live" / bid / "index.html"
    assert "LIVE, UNVERIFIED" in page.read_text()
    assert json.loads((page.parent / "transcript.json").read_text())["verified"] is False

    # A restart: a new follower (new process) continues from the store.
    del f
    g = live.Follower(store, settings, bid)
    for seg in segment_files[half:]:
        _deliver(settings, bid, seg)
        g.step()
    lock.release()
    (cdir / rc.STOP_NAME).write_text("stop\n")
    after = live._chunks(store, bid)
    assert after[: len(before)] == before  # nothing redone
    assert [c.index for c in after] == list(range(len(after)))
    assert all(a.end == b.start for a, b in zip(after, after[1:], strict=False))

    # The end: stop → join → ingest → process. The transcribe stage finishes the last chunk and adopts it.
    out = record.capture_stop(store, settings, bid)
    assert out.stopped
    # every segment was probed as the follower took it in (the join at the end probes none again), and
    # the joined recording was moved into the workspace, not copied
    probed = json.loads((cdir / rc.PROBED_NAME).read_text())
    assert sorted(probed) == [s.name for s in segment_files] and all(v[2] for v in probed.values())
    assert not (cdir / "recording.mp4").exists()
    assert Path(out.recording).is_file() and Path(out.recording).parent.name == "recording"
    res = pipeline.process(
        store, settings, Path(out.recording), bid=bid, language="en", title="Live test", date="2026-11-25"
    )
    info = store.stage(bid, "transcribe").info
    assert info["live"] is True  # adopted: what the stage made is the live transcript (checked below), not a new run
    assert live.run_row(store, bid)["status"] == "complete"
    assert "Ended" in page.read_text()
    from transcribe import formats

    t = formats.from_json(Path(store.artifacts(bid)["json"].path).read_text())
    words = _words(t)
    starts = [w.start for w in words]
    assert starts == sorted(starts) and starts[-1] <= t.duration
    texts = [normalize(w.text) for w in words]
    assert len(set(zip(texts, starts, strict=True))) == len(texts)
    ref = normalize(" ".join(speech_clips[n].reference for n in CLIPS))
    result = jiwer.process_words(ref, normalize(t.text))
    assert result.wer < 0.15 and result.insertions <= 1 and result.deletions <= 2
    assert res.page and res.page.is_file()
    # Processing again is a no-op; a live transcript never replaces a recording it does not cover.
    assert (
        "transcribe"
        in pipeline.process(
            store, settings, Path(out.recording), bid=bid, language="en", title="Live test", date="2026-11-25"
        ).skipped
    )


def test_no_live_run_means_no_adoption(env, tmp_path):
    from briefing.processing import live

    store, settings, bid = env
    wav = tmp_path / "s.wav"
    wav.write_bytes(b"\0" * 1044)
    assert live.adoptable(store, settings, bid, source_sha="x", speech_path=wav, language="en") is None
    assert live.status(store, settings, bid) is None


def test_choose_device_prefers_cuda_float16(monkeypatch):
    import ctranslate2

    from transcribe import whisper

    monkeypatch.setattr(whisper, "cuda_device_count", lambda: 1)
    monkeypatch.setattr(
        ctranslate2,
        "get_supported_compute_types",
        lambda device: {"float16", "int8_float16", "float32"} if device == "cuda" else {"int8", "float32"},
    )
    assert whisper.choose_device("auto", "auto") == ("cuda", "float16")
    assert whisper.choose_device("cpu", "auto") == ("cpu", "int8")
    monkeypatch.setattr(whisper, "cuda_device_count", lambda: 0)
    assert whisper.choose_device("auto", "auto") == ("cpu", "int8")


def test_cuda_load_failure_falls_back_to_cpu_int8(monkeypatch, tmp_path):
    import faster_whisper

    from transcribe import whisper
    from transcribe.errors import ModelError

    (tmp_path / "model.bin").write_bytes(b"x")
    monkeypatch.setattr(whisper, "cuda_device_count", lambda: 1)
    monkeypatch.setattr(
        whisper,
        "choose_device",
        lambda d="auto", c="auto": ("cuda", "float16") if d in ("auto", "cuda") else ("cpu", "int8"),
    )
    calls = []

    class FakeModel:
        def __init__(self, path, device, compute_type, **kw):
            calls.append((device, compute_type))
            if device == "cuda":
                raise RuntimeError("CUDA failed with error no CUDA-capable device is detected")
            self.model = type("M", (), {"device": device, "compute_type": compute_type})()

    monkeypatch.setattr(faster_whisper, "WhisperModel", FakeModel)
    t = whisper.WhisperTranscriber(tmp_path)
    info = t.device_info()
    assert calls == [("cuda", "float16"), ("cpu", "int8")]
    assert (info.device, info.compute_type) == ("cpu", "int8") and "CUDA" in info.fallback
    with pytest.raises(ModelError):  # an explicit cuda request does not fall back silently
        whisper.WhisperTranscriber(tmp_path, device="cuda").load()
