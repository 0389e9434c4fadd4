"""Live transcription: audio arrives while it is recorded; it is cut at silences into chunks, and each
chunk is transcribed as soon as it is complete, with the text before it as context.

    live = LiveTranscriber(transcriber, TranscribeOptions(language="en"))
    for pcm in stream_of_16khz_float32_arrays:
        for chunk in live.feed(pcm):      # zero or more chunks finished by this audio
            show(chunk.segments)
    live.finish()                         # the audio ended: the rest is the last chunk
    transcript = live.transcript()

- A chunk ends in the middle of a pause that faster-whisper's VAD (Silero) found, at least
  ``min_chunk`` seconds after the chunk's start and only once ``lookahead`` seconds of audio after the
  pause have arrived; so no word is cut in two. Without such a pause a chunk is cut by ``max_chunk``
  at its longest short pause (or, failing that, its quietest 20 ms).
- Chunks never overlap, and word and segment times are offset by the chunk's start, so times are
  absolute and increase. At a boundary a word whose time goes back before the last word kept, or a
  repeat of the previous chunk's last words right at the start of the next (Whisper echoing its
  prompt), is dropped: no word appears twice, none is lost to the cut. A word placed at or past the end
  of the chunk's audio is text the model went on with where the audio had stopped, and is dropped too.
- With ``guards`` (:class:`transcribe.guards.GuardOptions`) each chunk's segments pass the hallucination
  guards against that chunk's own audio as soon as it is transcribed, so what is invented never reaches
  the live page, nor the next chunk's prompt; what was removed is kept in :attr:`Chunk.guarded`.
- The last ``prompt_chars`` characters of the text so far are the next chunk's ``initial_prompt``
  (after the caller's own prompt, e.g. a glossary). A language detected on the first chunk with
  speech is kept for the rest.
- State to resume after a restart is the list of finished :class:`Chunk` objects: a new
  LiveTranscriber given them continues at the last chunk's end; audio fed again from before that
  point (``feed(pcm, start=...)``) is skipped.

No knowledge of briefings, files or stores: audio in, chunks and a Transcript out.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from transcribe.types import Segment, Transcript, Word

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class LiveOptions:
    min_chunk: float = 20.0  # seconds: no cut before this much audio
    max_chunk: float = 30.0  # seconds: a chunk is cut by this length (Whisper's window)
    min_silence: float = 0.3  # seconds: a pause at least this long is a cut point
    lookahead: float = 0.6  # seconds of audio needed after a pause before cutting in it
    prompt_chars: int = 224  # characters of previous text given as context
    echo_window: float = 2.0  # seconds after a cut in which a repeat of the previous words is an echo

    def __post_init__(self) -> None:
        if not 1.0 <= self.min_chunk <= self.max_chunk:
            raise ValueError("live chunks need 1 <= min_chunk <= max_chunk")


@dataclass(frozen=True)
class Chunk:
    """A transcribed piece of the audio: samples [start, end) and its segments in absolute time."""

    index: int
    start: int  # sample
    end: int  # sample (exclusive)
    segments: tuple[Segment, ...]
    language: str = ""
    language_probability: float = 0.0
    seconds: float = 0.0  # time spent transcribing it
    dropped: int = 0  # boundary words dropped as duplicates
    forced: bool = False  # cut without a pause (max_chunk reached)
    guarded: tuple[dict[str, Any], ...] = ()  # the guards' events for this chunk (GuardEvent.to_dict())

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def end_s(self) -> float:
        return self.end / SAMPLE_RATE

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        d = dict(d)
        d["segments"] = tuple(Segment.from_dict(s) for s in d.get("segments", ()))
        d["guarded"] = tuple(dict(e) for e in d.get("guarded", ()))
        return cls(**d)


def _words(segments: Iterable[Segment]) -> list[Word]:
    return [w for s in segments for w in s.words]


def _norm(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch.isalnum())


@dataclass
class LiveTranscriber:
    """Feed 16 kHz mono float32 samples; get chunks as they complete. Not thread-safe."""

    transcriber: Any  # transcribe.whisper.WhisperTranscriber (anything with .transcribe(ndarray, options))
    options: Any = None  # transcribe.whisper.TranscribeOptions
    live: LiveOptions = field(default_factory=LiveOptions)
    chunks: list[Chunk] = field(default_factory=list)
    guards: Any = None  # transcribe.guards.GuardOptions: guard each chunk as it is transcribed; None = off

    def __post_init__(self) -> None:
        import numpy as np

        from transcribe.whisper import TranscribeOptions

        self.options = self.options or TranscribeOptions()
        self.chunks = list(self.chunks)
        self._np = np
        self._buf = np.zeros(0, dtype=np.float32)
        self.cursor = self.chunks[-1].end if self.chunks else 0  # absolute sample of _buf[0]
        self.language = next((c.language for c in self.chunks if c.language and c.segments), None)
        self.language = self.options.language or self.language
        self.finished = False

    # -- input -------------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        """Samples received so far (absolute)."""
        return self.cursor + len(self._buf)

    def feed(self, pcm: Any, *, start: int | None = None) -> list[Chunk]:
        """Append samples (at absolute sample ``start``: what is already here is skipped; None = at
        the end) and transcribe every chunk they complete."""
        np = self._np
        pcm = np.asarray(pcm, dtype=np.float32).reshape(-1)
        if start is not None:
            if start > self.total:  # a hole (a segment that could not be decoded): keep time right
                pcm = np.concatenate([np.zeros(start - self.total, dtype=np.float32), pcm])
            else:
                pcm = pcm[self.total - start :]
        if len(pcm):
            self._buf = np.concatenate([self._buf, pcm])
        return self._drain(final=False)

    def finish(self) -> list[Chunk]:
        """The audio has ended: transcribe what remains."""
        out = self._drain(final=True)
        self.finished = True
        return out

    # -- cutting -----------------------------------------------------------------------------------
    def _speech(self, audio: Any) -> list[tuple[int, int]]:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        vad = VadOptions(min_silence_duration_ms=int(self.live.min_silence * 1000), speech_pad_ms=100)
        return [(int(t["start"]), int(t["end"])) for t in get_speech_timestamps(audio, vad)]

    def _find_cut(self, final: bool) -> tuple[int, bool] | None:
        """Where the next chunk ends (samples into the buffer) and whether the cut is forced."""
        sr, lv = SAMPLE_RATE, self.live
        n = len(self._buf)
        if final and n <= lv.max_chunk * sr:
            return n, False
        if not final and n < (lv.min_chunk + lv.lookahead) * sr:
            return None
        window = self._buf[: int(min(n, (lv.max_chunk + lv.lookahead) * sr))]
        speech = self._speech(window)
        w = len(window)
        lo, hi = lv.min_chunk * sr, lv.max_chunk * sr
        if not speech:  # nothing but silence so far: cut it off (no model call for it)
            at = min(w, hi) if (final or w < n) else w - lv.lookahead * sr
            return (int(at), False) if at >= lo or final else None
        gaps = [(0, speech[0][0])] + [(a[1], b[0]) for a, b in zip(speech, speech[1:], strict=False)]
        gaps.append((speech[-1][1], w))
        best = None
        for g0, g1 in gaps:
            if g1 - g0 < lv.min_silence * sr:
                continue
            if g1 >= w - lv.lookahead * sr and not (final and w == n):  # need audio after the pause
                if g1 - g0 < lv.min_silence * sr + lv.lookahead * sr:
                    continue
                g1 = int(w - lv.lookahead * sr)
            mid = (g0 + g1) // 2
            if lo <= mid <= hi and (best is None or g1 - g0 > best[1] - best[0]):
                best = (g0, g1, mid)
        if best is not None:
            return best[2], False
        if w < hi + lv.lookahead * sr and not final:
            return None  # wait for a pause
        # forced: the longest short pause in the second half of the window, else the quietest 20 ms
        short = [(a, b) for a, b in gaps if hi / 2 <= (a + b) // 2 <= hi and b > a]
        if short:
            a, b = max(short, key=lambda g: g[1] - g[0])
            return (a + b) // 2, True
        frame = sr // 50
        seg = self._buf[int(hi / 2) : int(hi)]
        k = len(seg) // frame
        energy = (seg[: k * frame].reshape(k, frame) ** 2).mean(axis=1)
        return int(hi / 2) + int(energy.argmin()) * frame + frame // 2, True

    def _drain(self, final: bool) -> list[Chunk]:
        out = []
        while len(self._buf):
            cut = self._find_cut(final)
            if cut is None:
                break
            at, forced = cut
            if at <= 0:
                break
            out.append(self._transcribe(self._buf[:at], forced))
            self._buf = self._buf[at:]
            self.cursor += at
        return out

    # -- transcribing --------------------------------------------------------------------------------
    def _prompt(self) -> str | None:
        tail = " ".join(c.text for c in self.chunks[-3:] if c.segments).strip()
        tail = tail[-self.live.prompt_chars :]
        if " " in tail and len(tail) == self.live.prompt_chars:
            tail = tail.split(" ", 1)[1]  # not half a word
        own = (self.options.initial_prompt or "").strip()
        text = " ".join(p for p in (own, tail) if p)
        return text or None

    def _transcribe(self, audio: Any, forced: bool) -> Chunk:
        t0 = time.perf_counter()
        start, end = self.cursor, self.cursor + len(audio)
        index = len(self.chunks)
        if not self._speech(audio):  # silence: no model call
            chunk = Chunk(index, start, end, (), self.language or "", 0.0, time.perf_counter() - t0, 0, forced)
            self.chunks.append(chunk)
            return chunk
        opts = dataclasses.replace(self.options, initial_prompt=self._prompt(), language=self.language)
        t = self.transcriber.transcribe(audio, opts)
        if self.language is None and t.segments:
            self.language = t.language
        segments, dropped = self._place(t.segments, start / SAMPLE_RATE, end / SAMPLE_RATE)
        guarded: tuple[dict[str, Any], ...] = ()
        if self.guards is not None and segments:
            segments, guarded = self._guard(segments, audio, start / SAMPLE_RATE)
        chunk = Chunk(
            index,
            start,
            end,
            tuple(segments),
            t.language,
            float(t.language_probability),
            round(time.perf_counter() - t0, 3),
            dropped,
            forced,
            guarded,
        )
        self.chunks.append(chunk)
        self.engine, self.model = t.engine, t.model
        self.decoded_with = t.options
        return chunk

    def _guard(self, segments: list[Segment], audio: Any, offset: float) -> tuple[list[Segment], tuple[Any, ...]]:
        """The guards over one chunk's segments, with the quiet spans of its own audio."""
        from transcribe import guards

        quiet = [(round(a + offset, 3), round(b + offset, 3)) for a, b in guards.quiet_spans(audio)]
        g = guards.apply_guards(
            Transcript(language="", duration=0.0, segments=tuple(segments)), quiet=quiet, options=self.guards
        )
        base = segments[0].id
        kept = [dataclasses.replace(s, id=base + i) for i, s in enumerate(g.transcript.segments)]
        return kept, tuple(e.to_dict() for e in g.events)

    def _place(self, segments: Iterable[Segment], offset: float, limit: float) -> tuple[list[Segment], int]:
        """Offset to absolute time; drop boundary duplicates; keep times monotonic within [offset, limit]."""
        spoken = [c for c in self.chunks if c.segments]
        prev = _words(spoken[-1].segments[-3:]) if spoken else []
        prev_end = max((w.end for w in prev), default=0.0)
        # Whisper may echo the end of its prompt at the start of the chunk: drop a repeat of the last
        # 2..6 words when it lies within echo_window seconds of the cut.
        new_words = [w for s in segments for w in s.words]
        echo = 0
        tail = [_norm(w.text) for w in prev[-6:]]
        for k in range(min(6, len(tail), len(new_words)), 1, -1):
            head = new_words[:k]
            if [_norm(w.text) for w in head] == tail[-k:] and head[-1].start <= self.live.echo_window:
                echo = k
                break
        out: list[Segment] = []
        dropped = 0
        seen = 0
        last = prev_end
        base = sum(len(c.segments) for c in self.chunks)
        for s in segments:
            words = []
            for w in s.words:
                seen += 1
                if seen <= echo:
                    dropped += 1
                    continue
                if w.start + offset >= limit - 0.005:  # past the chunk's audio: text with nothing said
                    dropped += 1
                    continue
                ws = round(min(max(w.start + offset, offset), limit), 3)
                we = round(min(max(w.end + offset, ws), limit), 3)
                if we <= last - 0.05 and ws < last - 0.05:  # goes back in time: a duplicate
                    dropped += 1
                    continue
                ws = max(ws, round(last, 3)) if ws < last else ws
                we = max(we, ws)
                words.append(Word(ws, we, w.text, w.probability))
                last = we
            if s.words and not words:
                continue
            text = "".join(w.text for w in words).strip() if s.words else s.text
            if not text:
                continue
            st = words[0].start if words else round(min(s.start + offset, limit), 3)
            en = words[-1].end if words else round(min(s.end + offset, limit), 3)
            out.append(
                dataclasses.replace(s, id=base + len(out), start=st, end=max(en, st), text=text, words=tuple(words))
            )
        return out, dropped

    # -- output -------------------------------------------------------------------------------------
    def transcript(self, *, duration: float | None = None) -> Transcript:
        """Everything transcribed so far (all of it after :meth:`finish`)."""
        return assemble(
            self.chunks,
            duration=self.total / SAMPLE_RATE if duration is None else duration,
            model=getattr(self, "model", "") or getattr(self.transcriber, "model_name", ""),
            engine=getattr(self, "engine", ""),
            options=self.options.to_dict() | engine_options(self.transcriber),
        )


def engine_options(transcriber: Any) -> dict[str, Any]:
    """What an engine other than Whisper says of its transcripts (``engine``, ``word_times``,
    ``confidence``, ``punctuation``: transcribe.vietasr's estimated times, rule punctuation), for a
    transcript assembled from its chunks; nothing for Whisper, whose transcripts stay as they were."""
    caps = getattr(transcriber, "capabilities", None)
    name = getattr(transcriber, "name", "whisper")
    if caps is None or name == "whisper":
        return {}
    return {
        "engine": name,
        "word_times": caps.word_times,
        "confidence": caps.confidence,
        "punctuation": caps.punctuation,
    }


def assemble(
    chunks: Iterable[Chunk],
    *,
    duration: float,
    model: str = "",
    engine: str = "",
    options: dict[str, Any] | None = None,
) -> Transcript:
    """One Transcript of finished chunks (in order), segments numbered from 0."""
    chunks = list(chunks)
    segments: list[Segment] = []
    for c in chunks:
        for s in c.segments:
            segments.append(dataclasses.replace(s, id=len(segments)))
    spoken = [c for c in chunks if c.segments]
    language = spoken[0].language if spoken else (chunks[0].language if chunks else "")
    prob = max((c.language_probability for c in spoken), default=0.0)
    opts = dict(options or {})
    opts["live"] = {
        "chunks": len(chunks),
        "forced_cuts": sum(c.forced for c in chunks),
        "dropped_words": sum(c.dropped for c in chunks),
        "guarded": [e for c in chunks for e in c.guarded],
    }
    return Transcript(
        language=language,
        duration=round(duration, 3),
        segments=tuple(segments),
        language_probability=prob,
        model=model,
        engine=engine,
        options=opts,
    )
