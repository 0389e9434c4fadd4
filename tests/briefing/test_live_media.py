"""The web audio of a live capture made while it records (briefing.processing.live over recorder.progressive):
fed segment by segment, adopted by the video stage when it matches the joined recording, normalized to
the target; a recording it does not cover gets the ordinary two-pass web audio."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import ffmpeg as fg
import pytest

from briefing.processing import live
from recorder import capture as rc
from recorder import ffmpeg
from tests.transcribe.helpers import speech_dir

CLIPS = ["en_ljspeech_LJ001-0025.wav", "en_ljspeech_LJ001-0030.wav", "en_ljspeech_LJ001-0042.wav"]


@pytest.fixture(scope="module")
def segment_files(tmp_path_factory):
    """~20 s of quiet real speech (-18 dB) as a capture writes it: AAC in MPEG-TS segments of 4 s."""
    speech = speech_dir()
    if speech is None:
        pytest.skip("real speech set not found at ../shared/speech")
    d = tmp_path_factory.mktemp("segs")
    listing = d / "list.txt"
    listing.write_text("".join(f"file '{speech / n}'\n" for n in CLIPS))
    audio = fg.input(str(listing), f="concat", safe=0).audio.filter("volume", "-18dB")
    out = fg.output(
        audio,
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
def env(briefing_env, monkeypatch):
    from briefing.core.config import load_settings
    from briefing.core.store import Store
    from briefing.recording import record  # noqa: F401  (the live.* settings)

    monkeypatch.setattr(live, "LEAD", 8.0)
    settings = load_settings(str(briefing_env), overrides={"media.loudness": "-23"})
    store = Store(settings.store_path)
    bid = "2026-11-25-live-media"
    record.ensure_briefing(store, settings, bid)
    yield store, settings, bid
    live.forget_media(settings, bid)


def _capture(store, settings, bid, segment_files):
    """Deliver the segments one by one, stepping the media follower as the live Follower does."""
    from briefing.recording import record

    cdir = settings.workspace / bid / "capture"
    d = rc.segment_dir(cdir)
    d.mkdir(parents=True, exist_ok=True)
    rc._write_json(cdir / rc.STATE_NAME, {"source": "rtmp://127.0.0.1/live/x", "runs": [], "stopped_at": None})
    record._open_recording(store, bid, "capture", source="rtmp://127.0.0.1/live/x")
    mf = live.media_follower(settings, bid)
    for i, seg in enumerate(segment_files):
        shutil.copy(seg, d / seg.name)
        mf.step(rc.segments(cdir)[:-1], final=False)  # the newest one is still being written
        if i == 1:
            assert mf.enc is None  # fewer than LEAD seconds: the gain is not chosen yet
    assert mf.enc is not None and not mf.done
    return cdir, mf


def _video_stage(store, settings, bid, recording_path):
    from briefing.processing import pipeline

    b, sha, _, _ = pipeline.register(
        store, settings, Path(recording_path), bid=bid, language="en", title="Live media", date="2026-11-25"
    )
    r = pipeline.Runner(store, settings, b)
    r.ingest(Path(recording_path), sha)
    r.audio()
    r.video()
    return store.stage(bid, "video").info, Path(store.artifacts(bid)["audio"].path)


def test_progressive_web_audio_is_adopted(env, segment_files):
    from briefing.recording import record
    from recorder.normalize import measure_loudnorm
    from recorder.probe import probe

    store, settings, bid = env
    cdir, mf = _capture(store, settings, bid, segment_files)
    (cdir / rc.STOP_NAME).write_text("stop\n")
    out = record.capture_stop(store, settings, bid)
    info, audio = _video_stage(store, settings, bid, out.recording)  # finishes the encoder, adopts it
    assert mf.done
    state = json.loads(live.state_path(settings, bid).read_text())
    assert [s[0] for s in state["segments"]] == [p.name for p in segment_files]
    assert info["live"] is True and abs(info["lufs"] - (-23.0)) <= 0.5
    m = measure_loudnorm(audio)
    assert abs(m["input_i"] - (-23.0)) <= 1.0 and m["input_tp"] <= -1.0 + 0.5
    a, speech = probe(audio), probe(Path(store.artifacts(bid)["speech"].path))
    assert a.audio_codec == "aac" and a.sample_rate == 48_000 and abs(a.duration - speech.duration) < 0.1
    assert audio.read_bytes()[4:8] == b"ftyp" and b"moov" in audio.read_bytes()[:4096]  # faststart


def test_not_adopted_when_the_segments_differ(env, segment_files):
    from briefing.recording import record

    store, settings, bid = env
    cdir, mf = _capture(store, settings, bid, segment_files)
    mf.step(rc.segments(cdir), final=True)
    assert mf.done
    rc.segments(cdir)[-1].unlink()  # the joined recording no longer has what was encoded
    (cdir / rc.STOP_NAME).write_text("stop\n")
    out = record.capture_stop(store, settings, bid)
    info, audio = _video_stage(store, settings, bid, out.recording)
    assert info["live"] is False  # the ordinary two passes instead
    from recorder.normalize import measure_loudnorm

    assert abs(measure_loudnorm(audio)["input_i"] - (-23.0)) <= 1.0


def test_loudness_of_segments_matches_loudnorm(segment_files):
    from recorder.normalize import Loudnorm, measure_loudnorm
    from recorder.progressive import gain_for, measure_loudness

    i, tp = measure_loudness(segment_files)
    joined = segment_files[0].parent / "joined.m4a"
    ffmpeg.run(
        ffmpeg.compile_graph(
            fg.input("concat:" + "|".join(map(str, segment_files)), f="mpegts")["a:0"].output(
                str(joined), acodec="copy"
            )
        )
    )
    m = measure_loudnorm(joined)
    assert abs(i - m["input_i"]) <= 0.5 and abs(tp - m["input_tp"]) <= 0.5  # ebur128 vs loudnorm: both R128
    assert gain_for(-120.0, Loudnorm()) is None and gain_for(-30.0, Loudnorm()) == 7.0
