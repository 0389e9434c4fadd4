"""Live transcription (transcribe.live): chunks cut at pauses, absolute word times, nothing lost or doubled
at a boundary, resumable from the finished chunks. Real speech, the bundled model."""

from __future__ import annotations

import difflib

import numpy as np
import pytest

from tests.transcribe.helpers import normalize
from transcribe.live import SAMPLE_RATE, Chunk, LiveOptions, LiveTranscriber
from transcribe.whisper import TranscribeOptions

CLIPS = [
    "en_ljspeech_LJ001-0025.wav",
    "en_ljspeech_LJ001-0030.wav",
    "en_ljspeech_LJ001-0042.wav",
    "en_ljspeech_LJ001-0048.wav",
    "en_ljspeech_LJ001-0086.wav",
]
SMALL = LiveOptions(min_chunk=6.0, max_chunk=12.0)


@pytest.fixture(scope="module")
def speech_audio(speech):
    from faster_whisper.audio import decode_audio

    parts = []
    for name in CLIPS:
        parts.append(decode_audio(str(speech / name)))
        parts.append(np.zeros(int(0.25 * SAMPLE_RATE), dtype=np.float32))  # a short breath between sentences
    return np.concatenate(parts)


@pytest.fixture(scope="module")
def reference(speech_clips):
    return normalize(" ".join(speech_clips[n].reference for n in CLIPS))


def _words(t):
    return [w for s in t.segments for w in s.words]


def test_options_are_checked():
    with pytest.raises(ValueError):
        LiveOptions(min_chunk=10, max_chunk=5)


def test_silence_is_cut_without_the_model():
    class NoModel:
        def transcribe(self, *a, **k):
            raise AssertionError("silence must not reach the model")

    lt = LiveTranscriber(NoModel(), TranscribeOptions(language="en"), LiveOptions(min_chunk=2, max_chunk=4))
    out = lt.feed(np.zeros(10 * SAMPLE_RATE, dtype=np.float32))
    out += lt.finish()
    assert out and all(not c.segments for c in out)
    assert out[0].start == 0 and out[-1].end == 10 * SAMPLE_RATE
    assert all(a.end == b.start for a, b in zip(out, out[1:], strict=False))  # contiguous, no overlap


@pytest.mark.whisper
def test_boundaries_match_the_offline_transcript(transcriber, speech_audio, reference):
    import jiwer

    opts = TranscribeOptions(language="en")
    offline = transcriber.transcribe(speech_audio, opts)
    lt = LiveTranscriber(transcriber, opts, SMALL)
    step = SAMPLE_RATE  # one second at a time, as segments arrive
    for i in range(0, len(speech_audio), step):
        lt.feed(speech_audio[i : i + step])
    lt.finish()
    live = lt.transcript()
    assert len(lt.chunks) >= 3, "the audio must have been cut into several chunks"
    assert all(a.end == b.start for a, b in zip(lt.chunks, lt.chunks[1:], strict=False))
    assert lt.chunks[-1].end == len(speech_audio)
    words = _words(live)
    starts = [w.start for w in words]
    assert starts == sorted(starts) and all(w.end >= w.start for w in words)
    for c in lt.chunks:  # each word lies in its chunk: times are offset by the chunk's start
        for s in c.segments:
            for w in s.words:
                assert c.start_s - 0.01 <= w.start <= w.end <= c.end_s + 0.01
    # The same words as offline, at the same times (matched word by word).
    a = [normalize(w.text) for w in _words(offline)]
    b = [normalize(w.text) for w in words]
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    matched = 0
    for blk in sm.get_matching_blocks():
        for k in range(blk.size):
            assert abs(_words(offline)[blk.a + k].start - words[blk.b + k].start) < 0.6
            matched += 1
    assert matched >= 0.9 * len(a)
    live_wer = jiwer.wer(reference, normalize(live.text))
    off_wer = jiwer.wer(reference, normalize(offline.text))
    assert live_wer <= off_wer + 0.03, (live_wer, off_wer)
    # No word doubled or dropped at a boundary: the reference's words around each cut appear once.
    out = jiwer.process_words(reference, normalize(live.text))
    assert out.insertions <= 1 and out.deletions <= 1


@pytest.mark.whisper
def test_resume_from_finished_chunks(transcriber, speech_audio):
    opts = TranscribeOptions(language="en")
    first = LiveTranscriber(transcriber, opts, SMALL)
    half = len(speech_audio) // 2
    first.feed(speech_audio[:half])
    saved = [Chunk.from_dict(c.to_dict()) for c in first.chunks]  # what the store keeps
    assert saved and saved[-1].end <= half
    again = LiveTranscriber(transcriber, opts, SMALL, chunks=saved)
    assert again.cursor == saved[-1].end
    again.feed(speech_audio, start=0)  # the whole audio again: what was done is skipped
    again.finish()
    assert [c.index for c in again.chunks] == list(range(len(again.chunks)))
    assert again.chunks[: len(saved)] == saved
    words = _words(again.transcript())
    texts = [normalize(w.text) for w in words]
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    assert len(texts) == len(set(zip(texts, starts, strict=True)))  # no word twice


class _SignsOff:
    """A recognizer that says what Whisper says at the end of some windows: the words it heard, then a
    sign-off it learnt from subtitled video, its words squeezed to nothing at or past the audio's end.
    Records the prompt each call was given."""

    def __init__(self) -> None:
        self.prompts: list[str | None] = []

    def transcribe(self, audio, opts):
        from transcribe.types import Segment, Transcript, Word

        self.prompts.append(opts.initial_prompt)
        d = round(len(audio) / SAMPLE_RATE, 3)
        n = len(self.prompts)
        heard = tuple(
            Word(round(0.2 + 0.4 * i, 3), round(0.6 + 0.4 * i, 3), f" call{n}word{i}", 0.95) for i in range(5)
        )
        tail = tuple(Word(d - 0.3, d - 0.3, " " + w, 0.4) for w in ("This", "is", "the", "end"))
        tail += tuple(Word(d + 0.2, d + 0.2, " " + w, 0.4) for w in ("of", "the", "video."))
        segs = (
            Segment(0, 0.2, 2.2, "".join(w.text for w in heard), heard, 0.95),
            Segment(1, d - 0.3, d + 0.2, " This is the end of the video.", tail, 0.4, -1.5, 0.59),
        )
        return Transcript(language="en", duration=d, segments=segs, engine="scripted", model="scripted")


def test_live_chunks_pass_the_guards_before_anything_sees_them(speech_audio):
    from transcribe.guards import GuardOptions

    rec = _SignsOff()
    lt = LiveTranscriber(rec, TranscribeOptions(language="en"), SMALL, guards=GuardOptions())
    lt.feed(speech_audio)
    lt.finish()
    spoken = [c for c in lt.chunks if c.segments]
    assert len(spoken) >= 2
    t = lt.transcript()
    assert "video" not in t.text and "the end" not in t.text  # not on the live page, not in the transcript
    assert all("video" not in (p or "") for p in rec.prompts)  # nor in the next chunk's prompt
    for c in spoken:
        assert [e["kind"] for e in c.guarded] and all(e["action"] == "removed" for e in c.guarded)
        assert all(w.end <= c.end_s for s in c.segments for w in s.words)
    assert t.options["live"]["guarded"] and all(e["text"] for e in t.options["live"]["guarded"])
    # without guards the sign-off's words placed past the chunk's end are still dropped at the boundary
    raw = LiveTranscriber(_SignsOff(), TranscribeOptions(language="en"), SMALL)
    raw.feed(speech_audio)
    raw.finish()
    assert all(" of the video." not in s.text for c in raw.chunks for s in c.segments)
    assert sum(c.dropped for c in raw.chunks) >= 3 * len([c for c in raw.chunks if c.segments])
