"""Real speech through the real bundled Whisper base model (marked ``whisper``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.transcribe.helpers import normalize
from transcribe.errors import AudioError
from transcribe.formats import from_json, parse_vtt, to_json, to_vtt
from transcribe.whisper import TranscribeOptions

pytestmark = pytest.mark.whisper

EN_CLIPS = ["en_jfk.flac", "en_ljspeech_LJ001-0002.wav", "en_ljspeech_LJ001-0013.wav"]


@pytest.fixture(scope="module")
def english(transcriber, speech_clips):
    """Transcribe the English clips once for this module: name → (clip, transcript, progress calls)."""
    out = {}
    for name in EN_CLIPS:
        calls: list[tuple[float, float]] = []
        t = transcriber.transcribe(
            speech_clips[name].audio,
            TranscribeOptions(language="en"),
            progress=lambda done, total, calls=calls: calls.append((done, total)),
        )
        out[name] = (speech_clips[name], t, calls)
    return out


def test_english_wer(english):
    import jiwer

    refs = [normalize(clip.reference) for clip, _, _ in english.values()]
    hyps = [normalize(t.text) for _, t, _ in english.values()]
    wer = jiwer.wer(refs, hyps)
    assert wer < 0.15, f"WER {wer:.1%}: {list(zip(refs, hyps, strict=False))}"


def test_transcript_shape(english):
    clip, t, calls = english["en_jfk.flac"]
    assert t.language == "en"
    assert t.duration == pytest.approx(clip.duration, abs=0.1)
    assert t.segments and all(s.words for s in t.segments)
    assert 0.5 < t.confidence <= 1.0
    for s in t.segments:
        assert 0 <= s.start < s.end <= t.duration + 0.5
        assert s.confidence == pytest.approx(sum(w.probability for w in s.words) / len(s.words), abs=1e-3)
        assert all(s.start - 0.5 <= w.start <= w.end <= s.end + 0.5 for w in s.words)
    assert t.model.startswith("whisper-base-")
    assert "faster-whisper" in t.engine and "ctranslate2" in t.engine and "int8" in t.engine
    assert t.options["language"] == "en" and t.options["beam_size"] == 5 and t.options["device"] == "cpu"
    assert calls and calls[-1] == (t.duration, t.duration)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:], strict=False))
    # the formats hold a real transcript
    assert from_json(to_json(t)) == t
    assert " ".join(c[2] for c in parse_vtt(to_vtt(t))).split() == t.text.split()


def test_vietnamese_clip_gives_vietnamese_text(transcriber, speech_clips):
    clip = (
        speech_clips["vi_fosd_Set001_V0.1_000717.mp3"]
        if "vi_fosd_Set001_V0.1_000717.mp3" in speech_clips
        else next(c for c in speech_clips.values() if c.language == "vi")
    )
    t = transcriber.transcribe(clip.audio, TranscribeOptions(language="vi"))
    assert t.language == "vi"
    assert t.text.strip()
    assert any(ord(ch) > 127 for ch in t.text), t.text  # Vietnamese diacritics, not English words


def test_detects_language(transcriber, speech_clips):
    t = transcriber.transcribe(speech_clips["en_ljspeech_LJ001-0002.wav"].audio, TranscribeOptions())
    assert t.language == "en" and t.language_probability > 0.5
    assert t.options["language"] is None


def test_silence_is_an_empty_transcript(transcriber, tmp_path: Path):
    import wave

    p = tmp_path / "silence.wav"
    with wave.open(str(p), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 16000 * 3)
    t = transcriber.transcribe(p, TranscribeOptions(language="en"))
    assert t.segments == () and t.text == "" and t.duration == pytest.approx(3.0)


def test_unreadable_audio(transcriber, tmp_path: Path):
    bad = tmp_path / "bad.wav"
    bad.write_text("this is not audio")
    with pytest.raises(AudioError) as exc:
        transcriber.transcribe(bad, TranscribeOptions(language="en"))
    assert "bad.wav" in str(exc.value) and exc.value.hint
    with pytest.raises(AudioError, match="not found"):
        transcriber.transcribe(tmp_path / "missing.wav", TranscribeOptions())
