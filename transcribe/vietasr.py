"""The viet-asr engine: Vietnamese speech recognition with ``viet-asr`` (a 68M-parameter streaming CTC
conformer, int8 ONNX embedded in its native library ``libvietasr.so``; Apache-2.0 by its package
metadata; alpha; training data not documented). The one module that imports ``vietasr``.

viet-asr gives lowercase text without punctuation, times or confidence, and loses text when handed more
than 20-30 s at once. This engine supplies the rest, and labels what it estimated:

- **Chunks at pauses.** Silero VAD (the one faster-whisper ships) finds the speech; stretches of it are
  joined into chunks of at most :attr:`VietAsrOptions.chunk_seconds` of speech, cut in the longest
  pauses, each given to the engine with up to 2 s of the pause before it and 1 s after (at most 23 s of
  audio); one engine call per chunk. Each chunk is brought to one speech level first (RMS -20 dBFS, gain at most +30 dB): on
  ../shared/speech the model is markedly better at that level than at the recordings' own.
- **Segments** are the VAD's stretches of speech (times within ``speech_pad`` of the speech), a stretch
  longer than a caption cue (``cue_seconds``) split in equal parts.
- **Word times** are estimated: the chunk is fed to the engine in 0.2 s steps and each word is placed at
  the step in which it first appeared (the engine's own emission), then spread within its segment in
  proportion to its length. Segments carry the flag ``estimated-times`` and the transcript's options say
  ``word_times: estimated``; anything that links to a moment links to the segment's start.
- **Confidence** is derived, not the engine's (it exposes none): the agreement of a second pass over the
  same chunk shifted by 0.17 s. A word both passes agree on has probability 1, one they do not 0; a
  segment's confidence is the share of its words agreed on.
- **Sentence case and punctuation** by rule: a full stop where the pause after a segment is
  sentence-length (``sentence_pause``) and at the end, a capital after it.

The native library is checked against :data:`LIBVIETASR_SHA256S` (one per wheel) before it is loaded;
another file is refused with :class:`~transcribe.errors.LibraryChecksumError`.
"""

from __future__ import annotations

import atexit
import difflib
import importlib.util
import math
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from transcribe.engines import Capabilities
from transcribe.errors import AudioError, EngineError, LibraryChecksumError, TranscribeError
from transcribe.model import sha256_file
from transcribe.summary import ESTIMATED_TIMES
from transcribe.types import Segment, Transcript, Word

VIETASR_VERSION = "0.1.0.dev11"
# SHA-256 of vietasr/_native/libvietasr.so in each Linux wheel of viet-asr 0.1.0.dev11 on PyPI (the library
# differs from wheel to wheel): a file with any other digest is not one of them, and is refused.
LIBVIETASR_SHA256S: dict[str, str] = {
    "cp311-manylinux_2_28_x86_64": "0b4a3e8ebe72e7aa8342d66b19c60a73061d3032877eba5def0a1ce900e4cb52",
    "cp312-manylinux_2_28_x86_64": "6228b49e4c7e9dcb24f541b9b47449d98e0e467ec1e594fd101671f8f53edb09",
    "cp313-manylinux_2_28_x86_64": "11c40b200c07146cc6932f2dffb1551cffe34adbc2571b31e8d0e026db4c7bea",
    "cp311-manylinux_2_28_aarch64": "d7fbd02109f6beba16dc7aaa563e5241c7bd8c3a3dcbaf9e63fe1aa52d4103f6",
    "cp312-manylinux_2_28_aarch64": "a8a78ee1e746588e2075fb51447b54e3d7c5ded0083b95ebacb31d1e5cd4fbf6",
    "cp313-manylinux_2_28_aarch64": "09daf6d13e3b8d800f3b1588e9164c54f11bfa974051d3ddf6ade8f6cb51b9d3",
}
LIBVIETASR_SHA256 = LIBVIETASR_SHA256S["cp311-manylinux_2_28_x86_64"]  # the one this project's CI installs
SAMPLE_RATE = 16_000
REINSTALL = f"pip install --force-reinstall viet-asr=={VIETASR_VERSION}"
ESTIMATED = ESTIMATED_TIMES  # the segment flag: its word times are estimated, not measured
LOW_CONFIDENCE = 0.5  # as transcribe.whisper: segments below this are flagged "low-confidence"

CAPABILITIES = Capabilities(
    languages=frozenset({"vi"}),
    word_times="estimated",
    confidence="derived",
    punctuation="rule",
    translate=False,
    streaming=True,
)


@dataclass(frozen=True)
class VietAsrOptions:
    chunk_seconds: float = 20.0  # one engine call per chunk of at most this much audio
    min_silence: float = 0.5  # seconds: a pause at least this long separates two stretches of speech
    speech_pad: float = 0.2  # seconds of audio kept on each side of a stretch of speech
    cue_seconds: float = 7.0  # a segment longer than this is split (caption cues of at most ~7 s)
    sentence_pause: float = 0.6  # seconds between segments (padding included) that end a sentence
    level_rms: float = 0.1  # the speech level each chunk is brought to (RMS, full scale 1.0)
    max_gain: float = 31.6  # at most +30 dB: silence and hum are not blown up into "speech"
    step: float = 0.2  # seconds of audio per streaming step (word emission times)
    # A word belongs to the last stretch of speech that began at least this long before the word was
    # emitted. The engine emits a word 0.2-1.4 s after it is said (measured on ../shared/speech), never
    # before: so the first word of a stretch is never given to the one before it; a word emitted late,
    # after the next stretch began, goes to that one (only where the pause is shorter than the delay,
    # never a sentence's end).
    emission_margin: float = 0.1
    # Seconds of the pause before a chunk's speech given to the engine with it, and after it: without
    # the pause before, the engine misses more of a chunk's first words. Pooled WER on ../shared/speech
    # (13 Vietnamese clips, one run; clip by clip / joined): lead-in 0 s 39.2 / 43.6 %, 0.5 s
    # 37.7 / 42.6 %, 1 s 36.3 / 39.7 %, 2 s 35.8 / 38.2 %, 3 s the same as 2 s.
    lead_in: float = 2.0
    tail: float = 1.0
    confidence_pass: bool = True  # the second pass that confidence is derived from
    second_pass_shift: float = 0.17  # seconds of silence put before the chunk for that pass


def library_path() -> Path:
    """The native library viet-asr loads: ``$VIETASR_LIBRARY_PATH`` (its own override), else the one in
    its package. Found without importing ``vietasr`` (importing it loads the library)."""
    override = os.environ.get("VIETASR_LIBRARY_PATH")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("vietasr")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(
            "the vietasr engine is not installed (no Python package vietasr)",
            hint=f'{REINSTALL}, or set transcribe.engines.vi = "whisper"',
        )
    return Path(list(spec.submodule_search_locations)[0]) / "_native" / "libvietasr.so"


def verify_library(path: Path, expected: tuple[str, ...] = tuple(LIBVIETASR_SHA256S.values())) -> str:
    """The SHA-256 of ``path``, which must be one of ``expected`` (the pinned wheels' libraries): else
    :class:`LibraryChecksumError`."""
    try:
        digest = sha256_file(path)
    except OSError as e:
        raise EngineError(f"cannot read viet-asr's native library {path}: {e.strerror or e}", hint=REINSTALL) from e
    if digest not in expected:
        raise LibraryChecksumError(
            f"viet-asr's native library {path} has SHA-256 {digest[:16]}…, not that of any viet-asr "
            f"{VIETASR_VERSION} wheel (e.g. {expected[0][:16]}…): refusing to load it"
        )
    return digest


def level(chunk: Any, opts: VietAsrOptions) -> Any:
    """16-bit samples of ``chunk`` (float32 in -1..1) brought to ``opts.level_rms``."""
    import numpy as np

    x = np.asarray(chunk, dtype=np.float32)
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0
    gain = min(opts.level_rms / rms, opts.max_gain) if rms > 1e-6 else 1.0
    return (np.clip(x * gain, -1.0, 1.0) * 32767).astype(np.int16)


def speech_spans(samples: Any, opts: VietAsrOptions) -> list[tuple[int, int]]:
    """Stretches of speech (sample offsets, padded) by Silero VAD, none longer than a chunk."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(
        min_silence_duration_ms=int(opts.min_silence * 1000),
        speech_pad_ms=int(opts.speech_pad * 1000),
        max_speech_duration_s=opts.chunk_seconds - 2 * opts.speech_pad,
    )
    return [(int(t["start"]), int(t["end"])) for t in get_speech_timestamps(samples, vad)]


def chunk_spans(spans: list[tuple[int, int]], opts: VietAsrOptions) -> list[list[tuple[int, int]]]:
    """Neighbouring stretches joined into chunks of at most ``chunk_seconds``, cut in the longest pauses:
    the engine loses the first words of a chunk more often than others, so a chunk should begin where
    a speaker begins a sentence, not after a breath."""
    limit = int(opts.chunk_seconds * SAMPLE_RATE)

    def split(run: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
        if len(run) <= 1 or run[-1][1] - run[0][0] <= limit:
            return [run]
        mid = (run[0][0] + run[-1][1]) / 2
        k = max(range(1, len(run)), key=lambda i: (run[i][0] - run[i - 1][1], -abs(run[i][0] - mid)))
        return split(run[:k]) + split(run[k:])

    return split(list(spans)) if spans else []


def agreement(primary: list[str], second: list[str]) -> list[bool]:
    """For each word of ``primary``: does the second pass have it at the same place (difflib alignment)?"""
    ok = [False] * len(primary)
    for block in difflib.SequenceMatcher(None, primary, second, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            ok[block.a + k] = True
    return ok


def _emissions(step_words: list[list[str]], final: list[str], step_s: float, total_s: float) -> list[float]:
    """For each word of ``final``: the end (seconds in the chunk) of the first step whose partial result
    already had it, the words before it unchanged; the chunk's end for words only the final result has."""
    out = [total_s] * len(final)
    k = 0  # words placed so far
    for n, words in enumerate(step_words):
        common = 0
        for a, b in zip(words, final, strict=False):
            if a != b:
                break
            common += 1
        while k < common:
            out[k] = min((n + 1) * step_s, total_s)
            k += 1
    return out


def punctuate(segments: list[Segment], opts: VietAsrOptions) -> list[Segment]:
    """Sentence case and full stops by rule: a full stop where the pause after a segment is at least
    ``sentence_pause`` (and after the last), a capital at the start of every sentence."""
    out: list[Segment] = []
    capital = True
    for i, seg in enumerate(segments):
        words = list(seg.words)
        nxt = segments[i + 1] if i + 1 < len(segments) else None
        stop = nxt is None or nxt.start - seg.end >= opts.sentence_pause
        if words and capital:
            w = words[0]
            core = w.text.lstrip()
            words[0] = replace(w, text=w.text[: len(w.text) - len(core)] + core[:1].upper() + core[1:])
        if words and stop:
            words[-1] = replace(words[-1], text=words[-1].text + ".")
        capital = stop
        out.append(replace(seg, words=tuple(words), text="".join(w.text for w in words)))
    return out


class VietAsrEngine:
    """viet-asr behind the engine seam (see the module's docstring). Loaded on first use; thread-safe."""

    name = "vietasr"
    capabilities = CAPABILITIES

    def __init__(self, *, library: Path | None = None, options: VietAsrOptions | None = None) -> None:
        self.library = library
        self.options = options or VietAsrOptions()
        self._pipeline: Any = None
        self._native_version = ""
        self.library_sha256 = ""  # of the library loaded, once checked
        self._lock = threading.Lock()
        self._call_lock = threading.Lock()  # one native call at a time per engine

    @property
    def model_name(self) -> str:
        return f"viet-asr {VIETASR_VERSION}"

    def engine(self) -> str:
        return f"viet-asr {VIETASR_VERSION} (libvietasr {self._native_version or '?'}, onnx int8), cpu"

    def load(self) -> Any:
        """Check the native library's checksum, then load it and build the recognizer (once)."""
        if self._pipeline is not None:
            return self._pipeline
        with self._lock:
            if self._pipeline is not None:
                return self._pipeline
            path = Path(self.library) if self.library is not None else library_path()
            self.library_sha256 = verify_library(path)
            if "vietasr.ffi" in sys.modules:  # loaded before: it must be the file just checked
                loaded = Path(sys.modules["vietasr.ffi"].NativeLibrary.resolve_library_path())
                if loaded.resolve() != path.resolve():
                    raise EngineError(
                        f"viet-asr is already loaded from {loaded}, not {path}",
                        hint="use one viet-asr library per process",
                    )
            elif self.library is not None:
                os.environ["VIETASR_LIBRARY_PATH"] = str(path)  # what vietasr's own loader reads
            try:
                import vietasr
                from vietasr.ffi import native

                native.lib.vietasr_set_log_level(4)  # errors only: its INFO lines are not ours to print
                pipeline = vietasr.Pipeline.preset("transcribe")
                self._native_version = native.ffi.string(native.lib.vietasr_version()).decode("utf-8")
            except (OSError, RuntimeError) as e:  # dlopen failed; vietasr.pipeline.PipelineError
                raise EngineError(
                    f"cannot load viet-asr: {str(e).splitlines()[0] if str(e) else type(e).__name__}", hint=REINSTALL
                ) from e
            self._pipeline = pipeline
            # vietasr frees its native objects in __del__, which at interpreter exit runs after cffi is torn
            # down ("Exception ignored ... TypeError" on stderr): free it while everything is still there
            atexit.register(pipeline.close)
            return pipeline

    def preload(self, seconds: float = 0.0, options: Any = None) -> None:
        self.load()

    @property
    def loaded(self) -> bool:
        return self._pipeline is not None

    def device_info(self) -> Any:
        """As :meth:`WhisperTranscriber.device_info`: viet-asr runs its int8 ONNX model on the CPU."""
        from transcribe.whisper import DeviceInfo

        self.load()
        return DeviceInfo(device="cpu", compute_type="int8")

    # -- recognition --------------------------------------------------------------------------------
    def _stream(self, pcm: Any) -> tuple[list[str], list[float]]:
        """One streaming pass: the final words and each one's emission time (seconds in ``pcm``)."""
        step = max(1, int(self.options.step * SAMPLE_RATE))
        seen: list[list[str]] = []
        with self._call_lock, self.load().stream(float(SAMPLE_RATE)) as session:
            for i in range(0, len(pcm), step):
                session.accept(pcm[i : i + step])
                seen.append(session.partial().text.split())
            final = session.final().text.split()
        return final, _emissions(seen, final, step / SAMPLE_RATE, len(pcm) / SAMPLE_RATE)

    def _once(self, pcm: Any) -> list[str]:
        with self._call_lock:
            return str(self.load().transcribe(pcm, float(SAMPLE_RATE)).text).split()

    def transcribe(
        self, audio_path: Any, options: Any = None, *, progress: Callable[[float, float], None] | None = None
    ) -> Transcript:
        """Transcribe a file or 16 kHz mono float32 samples (see :meth:`WhisperTranscriber.transcribe`).
        ``options`` (:class:`~transcribe.whisper.TranscribeOptions`): its language must be vi (or
        detection), its task transcribe; its decoding options are Whisper's and are not used."""
        import numpy as np

        from transcribe.whisper import TranscribeOptions, _convert, decode_samples

        options = options or TranscribeOptions(language="vi")
        if options.language not in (None, "vi"):
            raise EngineError(
                f"the vietasr engine knows only Vietnamese, not '{options.language}'",
                hint=f"use the whisper engine for {options.language}",
            )
        if options.task != "transcribe":
            raise EngineError(
                "the vietasr engine cannot translate", hint="translate with the whisper engine (transcribe.engines)"
            )
        self.load()
        if isinstance(audio_path, (str, Path)):
            path = Path(audio_path)
            if not path.is_file():
                raise AudioError(f"audio file {path} not found", hint="check the path")
            if path.stat().st_size == 0:
                raise AudioError(f"audio file {path} is empty", hint="record or convert it again")
            try:
                samples = decode_samples(path)
            except Exception as e:
                raise _convert(e, path) from e
        else:
            samples = np.asarray(audio_path, dtype=np.float32).reshape(-1)
        o = self.options
        total = len(samples) / SAMPLE_RATE
        try:
            spans = speech_spans(samples, o) if len(samples) else []
        except Exception as e:
            raise _convert(e, Path("<samples>")) from e
        raw: list[Segment] = []
        groups = chunk_spans(spans, o)
        for n, group in enumerate(groups):
            try:
                raw.extend(self._chunk(samples, group, len(raw), self._bounds(groups, n, len(samples))))
            except TranscribeError:
                raise
            except MemoryError as e:
                raise TranscribeError("out of memory transcribing with viet-asr") from e
            except Exception as e:  # the native library's errors (vietasr.pipeline.PipelineError)
                text = str(e).splitlines()[0] if str(e) else ""
                raise TranscribeError(
                    f"viet-asr failed: {type(e).__name__}: {text}", hint="run again with --debug and report the error"
                ) from e
            if progress is not None:  # the caller's exceptions pass through unchanged
                progress(group[-1][1] / SAMPLE_RATE, total)
        if progress is not None:
            progress(total, total)
        segments = [replace(s, id=i) for i, s in enumerate(punctuate(raw, o))]
        return Transcript(
            language="vi",
            duration=round(total, 3),
            segments=tuple(segments),
            language_probability=1.0,
            model=self.model_name,
            engine=self.engine(),
            options={
                "engine": self.name,
                "language": "vi",
                "task": "transcribe",
                "device": "cpu",
                "compute_type": "int8",
                "word_times": "estimated",
                "confidence": "agreement of two passes" if o.confidence_pass else "none",
                "punctuation": "rule",
                "capabilities": CAPABILITIES.to_dict(),
                "vietasr": asdict(o),
            },
        )

    def _chunk(
        self, samples: Any, group: list[tuple[int, int]], first_id: int, bounds: tuple[int, int] | None = None
    ) -> list[Segment]:
        """The segments of one chunk (``group``: its stretches of speech, sample offsets; ``bounds``: the
        audio given to the engine, the stretches and the pauses around them)."""
        import numpy as np

        o = self.options
        a, b = bounds or (group[0][0], group[-1][1])
        pcm = level(samples[a:b], o)
        words, emitted = self._stream(pcm)
        if not words:
            return []
        if o.confidence_pass:
            shift = np.zeros(int(o.second_pass_shift * SAMPLE_RATE), dtype=np.int16)
            agreed = agreement(words, self._once(np.concatenate([shift, pcm])))
        else:
            agreed = [True] * len(words)
        offset = a / SAMPLE_RATE
        spans = [(s / SAMPLE_RATE, e / SAMPLE_RATE) for s, e in group]
        # each word to the stretch of speech in which it was (about) said
        owner: list[int] = []
        for t in emitted:
            at = offset + t - o.emission_margin
            owner.append(max((k for k, (s, _) in enumerate(spans) if s <= at), default=0))
        out: list[Segment] = []
        for k, (s, e) in enumerate(spans):
            idx = [i for i, w in enumerate(owner) if w == k]
            if not idx:
                continue
            parts = max(1, math.ceil((e - s) / o.cue_seconds - 1e-9))
            parts = min(parts, len(idx))
            size = (e - s) / parts
            chars = [len(words[i]) + 1 for i in idx]
            whole = sum(chars)
            # split the words into ``parts`` runs of about equal length, one per equal slice of time
            cuts, acc, cut = [0], 0, 1
            for n, c in enumerate(chars):
                acc += c
                if cut < parts and acc >= whole * cut / parts and n + 1 < len(chars):
                    cuts.append(n + 1)
                    cut += 1
            cuts.append(len(idx))
            for p in range(len(cuts) - 1):
                run = idx[cuts[p] : cuts[p + 1]]
                if not run:
                    continue
                ps = s + p * size
                pe = s + (p + 1) * size if p < len(cuts) - 2 else e
                out.append(
                    self._segment(first_id + len(out), ps, pe, [words[i] for i in run], [agreed[i] for i in run])
                )
        return out

    def _bounds(self, groups: list[list[tuple[int, int]]], n: int, total: int) -> tuple[int, int]:
        """The audio of chunk ``n``: its speech and the pause around it, up to ``lead_in`` before and
        ``tail`` after, and never past the middle of the pause to the next chunk (chunks never overlap)."""
        o = self.options
        a, b = groups[n][0][0], groups[n][-1][1]
        lo = (groups[n - 1][-1][1] + a) // 2 if n > 0 else 0
        hi = (b + groups[n + 1][0][0]) // 2 if n + 1 < len(groups) else total
        return max(lo, a - int(o.lead_in * SAMPLE_RATE)), min(hi, b + int(o.tail * SAMPLE_RATE))

    @staticmethod
    def _segment(index: int, start: float, end: float, words: list[str], agreed: list[bool]) -> Segment:
        total = sum(len(w) + 1 for w in words)
        span = max(end - start, 0.0)
        out: list[Word] = []
        t = start
        for w, ok in zip(words, agreed, strict=True):
            d = span * (len(w) + 1) / total
            out.append(Word(start=round(t, 3), end=round(t + d, 3), text=" " + w, probability=1.0 if ok else 0.0))
            t += d
        confidence = sum(agreed) / len(agreed)
        flags = [ESTIMATED] + (["low-confidence"] if confidence < LOW_CONFIDENCE else [])
        return Segment(
            id=index,
            start=round(start, 3),
            end=round(end, 3),
            text="".join(w.text for w in out),
            words=tuple(out),
            confidence=round(confidence, 4),
            flags=tuple(flags),
        )
