"""Long recordings decoded as parts side by side (transcribe.streams) against plain sequential decoding,
with the real bundled model on real speech."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from tests.transcribe.helpers import normalize
from transcribe import streams
from transcribe.errors import TranscribeError
from transcribe.whisper import TranscribeOptions

SR = 16000
CLIPS = ["en_jfk.flac", "en_ljspeech_LJ001-0002.wav", "en_ljspeech_LJ001-0013.wav", "en_jfk.flac"]


def test_cuts_fall_in_the_quiet_between_sounds():
    rng = np.random.default_rng(0)
    burst, gap = rng.normal(0, 0.3, 3 * SR).astype(np.float32), np.zeros(SR, np.float32)
    samples = np.concatenate([burst, gap] * 6)
    points = streams.cut_points(samples, 3)
    assert points[0] == 0 and points[-1] == len(samples) and points == sorted(points) and len(points) == 4
    for p in points[1:-1]:
        assert not samples[p - 1600 : p + 1600].any(), f"cut at {p / SR:.2f} s is not in a silence"
    shares = np.diff(points) / len(samples)
    assert all(0.2 < s < 0.45 for s in shares), shares


def test_cuts_take_the_pause_nearest_an_even_share_not_the_deepest_silence():
    rng = np.random.default_rng(1)
    word, pause = rng.normal(0, 0.3, int(2.6 * SR)), rng.normal(0, 0.001, int(0.4 * SR))
    speech = np.concatenate([word, pause] * 20).astype(np.float32)  # 60 s, a pause every 3 s
    samples = np.concatenate([speech[: 40 * SR], np.zeros(2 * SR, np.float32), speech[40 * SR :]])
    c = streams.cut_points(samples, 2)[1] / SR  # the digital silence at 40 s is in reach of 31 s
    assert abs(c - len(samples) / SR / 2) < 2.0, c
    assert not np.abs(samples[int(c * SR) - 800 : int(c * SR) + 800]).max() > 0.01  # in a pause


def test_short_audio_is_not_cut():
    assert streams.cut_points(np.zeros(SR, np.float32), 4) == [0, SR]
    assert streams.cut_points(np.zeros(10 * SR, np.float32), 1) == [0, 10 * SR]
    assert [streams.auto_streams(d) for d in (30, 89, 200, 300, 3600)] == [1, 1, 2, 3, 6]
    # two lanes: an even number of parts, so that both end together
    assert [streams.auto_streams(d, lanes=2) for d in (89, 200, 300, 500, 600)] == [1, 2, 2, 4, 6]
    assert streams.auto_streams(3600, lanes=2, most=3) == 2  # what the memory allows


def test_negative_streams_is_refused():
    with pytest.raises(TranscribeError, match="streams"):
        TranscribeOptions(streams=-1)


@pytest.fixture(scope="module")
def briefing_audio(speech_clips):
    """Four real clips with 1.5 s pauses between them: (samples, [(start, end, reference)])."""
    from faster_whisper.audio import decode_audio

    pause = np.zeros(int(1.5 * SR), np.float32)
    pieces, spans, t = [], [], 0.0
    for name in CLIPS:
        a = decode_audio(str(speech_clips[name].audio))
        pieces += [a, pause]
        spans.append((t, t + len(a) / SR, speech_clips[name].reference))
        t += (len(a) + len(pause)) / SR
    return np.concatenate(pieces), spans


@pytest.mark.whisper
def test_parts_give_the_sequential_transcript(transcriber, briefing_audio):
    import jiwer

    samples, spans = briefing_audio
    calls: list[tuple[float, float]] = []
    parts = transcriber.transcribe(
        samples, TranscribeOptions(language="en", streams=3), progress=lambda done, total: calls.append((done, total))
    )
    one = transcriber.transcribe(samples, TranscribeOptions(language="en", streams=1))
    reference = normalize(" ".join(r for _, _, r in spans))
    assert jiwer.wer(reference, normalize(parts.text)) < 0.15
    assert jiwer.wer(normalize(one.text), normalize(parts.text)) < 0.1
    assert parts.options["streams"] == 3 and parts.duration == pytest.approx(len(samples) / SR, abs=0.01)
    # one time line for the whole recording: segments in order, numbered, words inside their clip
    assert [s.id for s in parts.segments] == list(range(len(parts.segments)))
    words = [w for s in parts.segments for w in s.words]
    assert [w.start for w in words] == sorted(w.start for w in words)
    for start, end, ref in spans:
        inside = normalize(" ".join(w.text for w in words if start - 0.5 <= w.start <= end + 0.5))
        assert jiwer.wer(normalize(ref), inside) < 0.25, (start, inside)
    assert calls[-1] == (parts.duration, parts.duration)
    assert all(a[0] <= b[0] <= b[1] for a, b in zip(calls, calls[1:], strict=False))


@pytest.mark.whisper
def test_the_parts_model_calls_are_batched(transcriber, briefing_audio):
    samples, spans = briefing_audio
    stats: dict[str, int] = {}
    kwargs = TranscribeOptions(language="en").decode_kwargs()
    found = streams.transcribe_parts(transcriber.load(), samples, 3, kwargs, stats=stats)
    assert stats["parts"] == 3 and found
    assert stats["batches"] < stats["calls"], stats  # encode, generate and align ran for several parts at once
    assert all(s.end <= len(samples) / SR + 0.5 for s in found)


@pytest.mark.whisper
def test_two_lanes_call_the_model_side_by_side_and_give_the_same_words(transcriber, briefing_audio):
    import jiwer

    samples, _ = briefing_audio
    kwargs = TranscribeOptions(language="en").decode_kwargs()
    one_lane = streams.transcribe_parts(transcriber.load(), samples, 4, kwargs)
    model = transcriber.load(2)
    assert model.model.num_workers == 2  # two CTranslate2 workers, each on its share of the cores
    stats: dict[str, int] = {}
    two_lanes = streams.transcribe_parts(model, samples, 4, kwargs, stats=stats, lanes=2)
    assert stats["parts"] == 4 and stats["lanes"] == 2 and stats["batches"] < stats["calls"], stats
    text = [normalize(" ".join(s.text for s in found)) for found in (one_lane, two_lanes)]
    assert jiwer.wer(text[0], text[1]) < 0.05, text
    starts = [s.start for s in two_lanes]
    assert starts == sorted(starts) and two_lanes[-1].end <= len(samples) / SR + 0.5


@pytest.mark.whisper
def test_a_long_recording_on_the_cpu_uses_two_lanes_and_then_one_again(bundled_model_dir, briefing_audio):
    from transcribe.whisper import WhisperTranscriber

    samples, _ = briefing_audio
    t = WhisperTranscriber(bundled_model_dir, device="cpu", compute_type="int8", cpu_threads=2)
    assert t.cpu_lanes() == 2
    assert t.transcribe(samples, TranscribeOptions(language="en", streams=2)).text
    assert t._model.model.num_workers == 2 and t.device_info().device == "cpu"
    assert t.transcribe(samples[: 12 * SR], TranscribeOptions(language="en", streams=1)).text
    assert t._model.model.num_workers == 1  # one model held at a time: the one-lane model replaced it
    assert WhisperTranscriber(bundled_model_dir, device="cpu", cpu_threads=1).cpu_lanes() == 1


def test_the_threads_come_from_the_setting_else_the_allowed_cores(bundled_model_dir, monkeypatch):
    import os

    from transcribe.whisper import WhisperTranscriber

    assert WhisperTranscriber(bundled_model_dir, cpu_threads=3).threads() == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)  # taskset / a container
    assert WhisperTranscriber(bundled_model_dir).threads() == 1
    assert WhisperTranscriber(bundled_model_dir).cpu_lanes() == 1
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)  # macOS and Windows have no affinity call
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert WhisperTranscriber(bundled_model_dir).threads() == 4
    assert WhisperTranscriber(bundled_model_dir).cpu_lanes() == 2


def test_the_memory_bounds_the_number_of_parts(bundled_model_dir, tmp_path, monkeypatch):
    from transcribe.whisper import WhisperTranscriber

    assert WhisperTranscriber(bundled_model_dir).parts_memory_allows() >= 2  # base, on a test machine
    huge = tmp_path / "huge"
    huge.mkdir()
    with open(huge / "model.bin", "wb") as f:
        f.truncate(1 << 42)  # sparse: a 4 TB model file, bigger than the memory
    assert WhisperTranscriber(huge).parts_memory_allows() == 1


class Stop(Exception):
    pass


@pytest.mark.whisper
def test_a_failing_progress_callback_stops_every_part(transcriber, briefing_audio):
    samples, _ = briefing_audio

    def progress(done: float, total: float) -> None:
        if done > 0:
            raise Stop()

    with pytest.raises(Stop):  # the caller's own exception, unchanged
        transcriber.transcribe(samples, TranscribeOptions(language="en", streams=3), progress=progress)
    alive = [t for t in threading.enumerate() if t.name.startswith(("whisper-part-", "whisper-batcher"))]
    assert not [t for t in alive if t.is_alive()]
    # and the model still works afterwards
    again = transcriber.transcribe(samples[: 12 * SR], TranscribeOptions(language="en", streams=1))
    assert "ask not" in normalize(again.text)


@pytest.mark.whisper
def test_the_transcript_does_not_depend_on_which_part_is_ready_first(transcriber, briefing_audio):
    """The same audio gives the same text however the parts' threads are scheduled: here the last part is
    held back until another part has produced text (or a few seconds have passed, where no part may start
    without it), which on a loaded machine happens by itself."""
    samples, _ = briefing_audio
    kwargs = TranscribeOptions(language="en").decode_kwargs()
    model = transcriber.load()
    free: dict[str, Any] = {}
    plain = streams.transcribe_parts(model, samples, 3, kwargs, stats=free)
    other_text = threading.Event()

    def hold_last(j: int) -> None:
        if j == 2:
            other_text.wait(timeout=5)

    held: dict[str, Any] = {}
    late = streams.transcribe_parts(
        model, samples, 3, kwargs, stats=held, before_part=hold_last, on_segment=lambda j, offset, seg: other_text.set()
    )
    assert held["schedule"] == free["schedule"]  # the same batches, of the same parts, in the same order
    assert [(s.start, s.end, s.text) for s in late] == [(s.start, s.end, s.text) for s in plain]
    assert [w for s in late for w in s.words] == [w for s in plain for w in s.words]
    assert any(len(parts) > 1 for kind, parts in free["schedule"][0])  # and the parts were batched


def test_parts_need_a_language_decided_for_the_whole_recording():
    with pytest.raises(ValueError, match="language"):
        streams.transcribe_parts(object(), np.zeros(10 * SR, np.float32), 2, {"beam_size": 5})
