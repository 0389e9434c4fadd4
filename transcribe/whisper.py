"""Speech recognition with faster-whisper (CTranslate2). The one module that calls faster-whisper,
ctranslate2 and av: their exceptions become :mod:`transcribe.errors` here.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from transcribe.engines import WHISPER_CAPABILITIES
from transcribe.errors import AudioError, LanguageError, ModelError, TranscribeError
from transcribe.types import Segment, Transcript, Word

# faster_whisper.tokenizer._LANGUAGE_CODES (faster-whisper 1.2.1), copied so that validating a code
# does not import faster-whisper. tests/transcribe checks the copy against the installed library.
LANGUAGE_CODES = frozenset(
    (
        "af",
        "am",
        "ar",
        "as",
        "az",
        "ba",
        "be",
        "bg",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "eu",
        "fa",
        "fi",
        "fo",
        "fr",
        "gl",
        "gu",
        "ha",
        "haw",
        "he",
        "hi",
        "hr",
        "ht",
        "hu",
        "hy",
        "id",
        "is",
        "it",
        "ja",
        "jw",
        "ka",
        "kk",
        "km",
        "kn",
        "ko",
        "la",
        "lb",
        "ln",
        "lo",
        "lt",
        "lv",
        "mg",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "ne",
        "nl",
        "nn",
        "no",
        "oc",
        "pa",
        "pl",
        "ps",
        "pt",
        "ro",
        "ru",
        "sa",
        "sd",
        "si",
        "sk",
        "sl",
        "sn",
        "so",
        "sq",
        "sr",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "tk",
        "tl",
        "tr",
        "tt",
        "uk",
        "ur",
        "uz",
        "vi",
        "yi",
        "yo",
        "yue",
        "zh",
    )
)

LOW_CONFIDENCE = 0.5  # segments below this mean word probability are flagged "low-confidence"


def validate_language(code: str | None) -> str | None:
    """``None``/``"auto"``/``""`` → None (detect); otherwise a known Whisper language code, lower-cased."""
    if code is None:
        return None
    c = code.strip().lower()
    if c in ("", "auto"):
        return None
    if c not in LANGUAGE_CODES:
        raise LanguageError(f"unknown language code '{code}': use an ISO 639-1 code such as vi or en, or auto")
    return c


@dataclass(frozen=True)
class TranscribeOptions:
    """Decoding options. Defaults follow faster-whisper, except ``condition_on_previous_text=False``
    (guards against repetition loops on long, noisy recordings) and VAD and word timestamps on."""

    language: str | None = None  # None = detect
    # The languages detection may choose from (the best of them by Whisper's probabilities); empty: any.
    # A blip of noise is otherwise "Polish, 0.27" and gets invented words in Polish.
    languages: tuple[str, ...] = ()
    task: str = "transcribe"  # or "translate" (to English)
    beam_size: int = 5
    best_of: int = 5
    vad_filter: bool = True
    word_timestamps: bool = True
    compute_type: str = "auto"  # "auto": float16 on CUDA, int8 on CPU
    device: str = "auto"  # "auto", "cpu", "cuda"
    cpu_threads: int = 0  # 0 = CTranslate2's default
    initial_prompt: str | None = None
    hotwords: str | None = None
    condition_on_previous_text: bool = False
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    no_speech_threshold: float | None = 0.6
    compression_ratio_threshold: float | None = 2.4
    log_prob_threshold: float | None = -1.0
    hallucination_silence_threshold: float | None = None  # seconds; only with word timestamps
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    # The temperature fallback samples at random; a fixed seed makes the same audio give the same
    # transcript on every run (a re-run or a second machine reproduces the official record).
    seed: int | None = 0
    # Parts of a long recording decoded side by side, their model calls batched (transcribe.streams):
    # 0 = by length (one part per 90 s, at most 4), 1 = faster-whisper's plain sequential decoding.
    streams: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "language", validate_language(self.language))
        langs = (self.languages,) if isinstance(self.languages, str) else tuple(self.languages or ())
        object.__setattr__(
            self, "languages", tuple(dict.fromkeys(c for c in (validate_language(x) for x in langs) if c))
        )
        object.__setattr__(
            self,
            "temperature",
            tuple(
                float(t)
                for t in (self.temperature if isinstance(self.temperature, (tuple, list)) else (self.temperature,))
            ),
        )
        if self.task not in ("transcribe", "translate"):
            raise TranscribeError(f"unknown task '{self.task}': use transcribe or translate")
        if self.beam_size < 1:
            raise TranscribeError(f"beam size must be at least 1, not {self.beam_size}")
        if self.streams < 0:
            raise TranscribeError(f"streams must be 0 (by length) or more, not {self.streams}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["temperature"] = list(self.temperature)
        d["languages"] = list(self.languages)
        return d

    def decode_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``WhisperModel.transcribe``."""
        return dict(
            language=self.language,
            task=self.task,
            beam_size=self.beam_size,
            best_of=self.best_of,
            vad_filter=self.vad_filter,
            word_timestamps=self.word_timestamps,
            initial_prompt=self.initial_prompt or None,
            hotwords=self.hotwords or None,
            condition_on_previous_text=self.condition_on_previous_text,
            temperature=list(self.temperature),
            no_speech_threshold=self.no_speech_threshold,
            compression_ratio_threshold=self.compression_ratio_threshold,
            log_prob_threshold=self.log_prob_threshold,
            hallucination_silence_threshold=(self.hallucination_silence_threshold if self.word_timestamps else None),
            repetition_penalty=self.repetition_penalty,
            no_repeat_ngram_size=self.no_repeat_ngram_size,
        )


@dataclass(frozen=True)
class DeviceInfo:
    device: str  # "cpu" or "cuda"
    compute_type: str  # as CTranslate2 reports it, e.g. "int8_float32", "float16"
    cpu_threads: int = 0
    cuda_devices: int = 0
    fallback: str = ""  # why CUDA was not used although a GPU is visible ("" when it was, or none is)


def cuda_device_count() -> int:
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception:  # no CUDA runtime at all
        return 0


def choose_device(device: str = "auto", compute_type: str = "auto") -> tuple[str, str]:
    """Resolve ``"auto"``: CUDA when CTranslate2 sees a GPU, float16 there and int8 on CPU."""
    device = (device or "auto").lower()
    if device == "auto":
        device = "cuda" if cuda_device_count() > 0 else "cpu"
    if device not in ("cpu", "cuda"):
        raise ModelError(f"unknown device '{device}': use auto, cpu or cuda", hint="use auto, cpu or cuda")
    if device == "cuda" and cuda_device_count() == 0:
        raise ModelError("no CUDA device is visible to CTranslate2", hint="use device cpu (or auto)")
    ct = (compute_type or "auto").lower()
    if ct in ("auto", "default"):
        ct = "float16" if device == "cuda" else "int8"
        try:
            import ctranslate2

            supported = ctranslate2.get_supported_compute_types(device)
            if ct not in supported:
                for alt in ("int8_float16", "int8", "float32"):
                    if alt in supported:
                        ct = alt
                        break
        except Exception:
            pass
    return device, ct


_HEAP_KEPT = False


def keep_heap() -> None:
    """Keep the memory CTranslate2 frees for its next call (glibc only; once per process).

    On a CPU the encoder's attention scores are tens of MB a layer, allocated and freed every window.
    glibc serves blocks that large with mmap, and every new mapping is faulted in again page by page:
    3.1 million page faults, 11 s of system time, for 10 minutes of speech on 2 cores. One heap (one
    arena), no mmap, and no trimming below 1 GB keeps them mapped: 0.17 million faults, 1 s, and a
    lower peak (0.7-0.9 GB instead of 1.3 GB in six parts: the threads no longer keep heaps of
    their own).

    Call it before the process starts a thread: glibc gives a thread its arena at its first allocation,
    and a thread that had one before this call keeps it, and hands it on to threads made later. In
    ``briefing process`` the web-media thread started before the model loaded, and one of the two
    CTranslate2 workers was given its arena, which cannot hold the encoder's blocks (a thread's heap
    is at most 64 MB), so they were mapped anew every window: 1.6 million faults, 5.9 s of system
    time, against 0.2 million and 1.6 s when it is called first. The CLI calls it before any command;
    :meth:`WhisperTranscriber.load` calls it too, for other callers."""
    global _HEAP_KEPT
    if _HEAP_KEPT:
        return
    _HEAP_KEPT = True
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc: nothing to tune
        return
    m_trim_threshold, m_mmap_max, m_arena_max = -1, -4, -8
    mallopt(m_arena_max, 1)
    mallopt(m_mmap_max, 0)
    mallopt(m_trim_threshold, 1 << 30)


def _versions() -> tuple[str, str]:
    try:
        import faster_whisper

        fw = faster_whisper.__version__
    except Exception:
        fw = "?"
    try:
        import ctranslate2

        ct = ctranslate2.__version__
    except Exception:
        ct = "?"
    return fw, ct


def model_label(model_path: Path | str) -> str:
    """A short name for a model: the directory name for a path, else the name itself."""
    if isinstance(model_path, Path):
        return model_path.name
    p = Path(model_path)
    return p.name if p.is_dir() else str(model_path)


class WhisperTranscriber:
    """A faster-whisper model, loaded on first use and kept for later calls (thread-safe loading). The
    ``whisper`` engine of :mod:`transcribe.engines`: any CTranslate2 Whisper directory (the bundled base,
    a converted PhoWhisper, large-v3) is a ``model_path``."""

    name = "whisper"
    capabilities = WHISPER_CAPABILITIES

    def __init__(
        self,
        model_path: Path | str,
        *,
        device: str = "auto",
        compute_type: str = "auto",
        cpu_threads: int = 0,
        download_root: Path | None = None,
    ) -> None:
        self.model_path = model_path
        self._device_req = device
        self._compute_req = compute_type
        self.cpu_threads = int(cpu_threads or 0)
        self.download_root = download_root
        self._model: Any = None
        self._lanes = 1  # CTranslate2 workers of the loaded model (see cpu_lanes)
        self._lock = threading.Lock()
        self._info: DeviceInfo | None = None

    @property
    def model_name(self) -> str:
        return model_label(self.model_path)

    def cpu_lanes(self) -> int:
        """How many CTranslate2 workers decode parts of a long recording side by side on the CPU: two
        where there are two cores or more, each with half of them. On 2 cores two one-thread workers
        decoded 10 minutes in 0.71 of the sequential time, against 0.84 for one two-thread worker running
        the same four parts: a beam-search step of a few windows is too small to split across cores."""
        return 2 if self.threads() >= 2 else 1

    def threads(self) -> int:
        """The CPU threads this transcriber may use: the setting, else the cores this process may run on
        (its affinity where the system has one: a container or ``taskset`` may allow fewer than exist)."""
        if self.cpu_threads:
            return self.cpu_threads
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # macOS, Windows
            return os.cpu_count() or 1

    def parts_memory_allows(self) -> int:
        """How many parts of a long recording may be decoded at once in half the memory available now.
        Each part holds its own beam-search state; estimated at the size of the model file (base:
        145 MB; measured about 85 MB a part: 0.93 GB sequential, 1.33 GB in six parts)."""
        try:
            with open("/proc/meminfo", encoding="ascii") as f:
                avail = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
        except (OSError, StopIteration, ValueError, IndexError):
            return 1 << 10  # not Linux: no limit known
        path = Path(str(self.model_path)) / "model.bin"
        per_part = path.stat().st_size if path.is_file() else 1 << 30  # a hub name: assume a large model
        return max(1, int(avail // 2 // per_part))

    def load(self, lanes: int = 1) -> Any:
        """Load (once) and return the ``faster_whisper.WhisperModel``; with ``lanes`` > 1 on a CPU, one
        whose CTranslate2 model runs that many calls at once, each on its share of the threads. One
        model is held at a time: asking for other lanes replaces it (a caller still using the old one
        keeps it until it is done)."""
        model = self._model
        if model is not None and self._lanes == lanes:
            return model
        with self._lock:
            if self._model is not None and self._lanes == lanes:
                return self._model
            self._model = None
            device, ct = choose_device(self._device_req, self._compute_req)
            if device == "cpu":
                keep_heap()
            threads = self.cpu_threads
            if lanes > 1:
                threads = max(1, self.threads() // lanes)
            if isinstance(self.model_path, Path) and not (self.model_path / "model.bin").is_file():
                raise ModelError(
                    f"no model.bin in {self.model_path}",
                    hint="use base for the bundled model, or a CTranslate2 model directory",
                )
            fallback = ""
            try:
                from faster_whisper import WhisperModel

                try:
                    model = WhisperModel(
                        str(self.model_path),
                        device=device,
                        compute_type=ct,
                        cpu_threads=threads,
                        num_workers=lanes,
                        download_root=str(self.download_root) if self.download_root else None,
                    )
                except (RuntimeError, ValueError, OSError) as e:
                    if device != "cuda" or (self._device_req or "auto").lower() != "auto":
                        raise
                    # "auto" picked a GPU that cannot run the model (driver, cuBLAS/cuDNN, memory): use the CPU
                    fallback = (str(e).splitlines() or [type(e).__name__])[0]
                    device, ct = choose_device("cpu", "auto")
                    model = WhisperModel(
                        str(self.model_path),
                        device=device,
                        compute_type=ct,
                        cpu_threads=threads,
                        num_workers=lanes,
                        download_root=str(self.download_root) if self.download_root else None,
                    )
            except ModelError:
                raise
            except ValueError as e:  # e.g. unsupported compute type
                raise ModelError(
                    f"cannot load speech model {self.model_name} on {device} as {ct}: {e}",
                    hint="use compute type auto (or int8 on CPU, float16 on GPU)",
                ) from e
            except Exception as e:  # RuntimeError from CTranslate2, hub/network errors from a download
                msg = str(e).splitlines()[0] if str(e) else type(e).__name__
                if isinstance(self.model_path, Path) or Path(str(self.model_path)).is_dir():
                    hint = "the model directory is damaged: rebuild it, or use base for the bundled model"
                else:
                    hint = (
                        "a named model is downloaded from the Hugging Face hub, which needs a network; "
                        "offline, use base (bundled) or a local model directory"
                    )
                raise ModelError(f"cannot load speech model {self.model_name}: {msg}", hint=hint) from e
            inner = getattr(model, "model", None)
            self._info = DeviceInfo(
                device=str(getattr(inner, "device", device)),
                compute_type=str(getattr(inner, "compute_type", ct)),
                cpu_threads=self.cpu_threads,
                cuda_devices=cuda_device_count(),
                fallback=fallback,
            )
            self._model, self._lanes = model, lanes
            return model

    def device_info(self) -> DeviceInfo:
        """The device and compute type actually in use (loads the model if it is not yet loaded)."""
        if self._info is None:
            self.load()
        assert self._info is not None
        return self._info

    def engine(self) -> str:
        fw, ct = _versions()
        info = self.device_info()
        return f"faster-whisper {fw} / ctranslate2 {ct}, {info.device} {info.compute_type}"

    def _plan(self, seconds: float, options: TranscribeOptions) -> tuple[int, int]:
        """How :meth:`transcribe` decodes ``seconds`` of audio: in how many parts, with the model loaded
        for how many CTranslate2 workers (lanes)."""
        if options.streams == 1:
            return 1, 1
        from transcribe import streams

        device = self._info.device if self._info else choose_device(self._device_req, self._compute_req)[0]
        lanes = self.cpu_lanes() if device == "cpu" else 1  # a GPU runs one batch best
        parts = options.streams or streams.auto_streams(seconds, lanes, self.parts_memory_allows())
        return (parts, lanes) if parts > 1 else (1, 1)

    def preload(self, seconds: float, options: TranscribeOptions | None = None) -> None:
        """Load the model as :meth:`transcribe` will want it for ``seconds`` of audio (for a caller that
        has other work to do first: the pipeline extracts the speech meanwhile). Errors are raised here
        as they would be there."""
        self.load(self._plan(seconds, options or TranscribeOptions())[1])

    def transcribe(
        self,
        audio_path: Any,
        options: TranscribeOptions | None = None,
        *,
        progress: Callable[[float, float], None] | None = None,
    ) -> Transcript:
        """Transcribe one audio (or video) file, or 16 kHz mono float32 samples (a numpy array).
        Silence gives a Transcript with no segments."""
        options = options or TranscribeOptions()
        samples = None if isinstance(audio_path, (str, Path)) else audio_path
        audio_path = Path("<samples>") if samples is not None else Path(audio_path)
        if samples is None and not audio_path.is_file():
            raise AudioError(f"audio file {audio_path} not found", hint="check the path")
        if samples is None and audio_path.stat().st_size == 0:
            raise AudioError(f"audio file {audio_path} is empty", hint="record or convert it again")
        kwargs = options.decode_kwargs()
        if options.seed is not None:
            import ctranslate2

            ctranslate2.set_random_seed(options.seed)
        if options.streams != 1 or (options.language is None and options.languages):
            if samples is None:
                try:
                    samples = decode_samples(audio_path)
                except Exception as e:
                    raise _convert(e, audio_path) from e
        parts, lanes = 1, 1
        if options.streams != 1:
            from transcribe.streams import SAMPLE_RATE

            assert samples is not None  # decoded above
            parts, lanes = self._plan(len(samples) / SAMPLE_RATE, options)
        model = self.load(lanes) if parts > 1 else self.load()
        detected: tuple[str, float] | None = None
        if options.language is None and options.languages:  # chosen here among the allowed ones
            detected = self._detect_language(model, samples, options)
            kwargs = kwargs | {"language": detected[0]}
        if parts > 1:
            return self._transcribe_parts(model, samples, parts, options, kwargs, audio_path, progress, lanes, detected)
        try:
            segments_iter, info = model.transcribe(str(audio_path) if samples is None else samples, **kwargs)
        except Exception as e:
            raise _convert(e, audio_path) from e
        total = float(info.duration or 0.0)
        segments: list[Segment] = []
        it = iter(segments_iter)
        while True:
            try:
                s = next(it)
            except StopIteration:
                break
            except Exception as e:  # decoding runs lazily, inside the generator
                raise _convert(e, audio_path) from e
            seg = _segment(len(segments), s, options)
            if seg is not None:
                segments.append(seg)
            if progress is not None:  # the caller's exceptions pass through unchanged
                progress(min(float(s.end), total) if total else float(s.end), total)
        if progress is not None:
            progress(total, total)
        if detected is not None:
            return self._result(detected[0], detected[1], total, segments, options)
        return self._result(info.language, info.language_probability, total, segments, options)

    def detect_language(self, samples: Any, options: TranscribeOptions) -> tuple[str, float]:
        """The spoken language of ``samples`` (16 kHz mono float32) and its probability: the most probable
        of ``options.languages`` (Whisper gives a probability for every language it knows), or of all
        languages when that is empty. Audio with no speech at all gets the first allowed language. The
        model already loaded is used as it is (for however many lanes: asking for one would load it again)."""
        model = self._model
        return self._detect_language(model if model is not None else self.load(), samples, options)

    def _detect_language(self, model: Any, samples: Any, options: TranscribeOptions) -> tuple[str, float]:
        try:
            inner = getattr(model, "model", None)
            if inner is not None and not getattr(inner, "is_multilingual", True):
                return "en", 1.0  # an English-only model
            try:
                best, prob, probs = model.detect_language(audio=samples, vad_filter=options.vad_filter)
            except ValueError:  # the VAD found no speech at all: nothing to concatenate
                if not options.languages:
                    raise
                return options.languages[0], 0.0
        except Exception as e:
            raise _convert(e, Path("<samples>")) from e
        if not options.languages:
            return str(best), float(prob)
        allowed = [(str(code), float(p)) for code, p in probs if code in options.languages]
        if not allowed:
            return options.languages[0], 0.0
        return max(allowed, key=lambda x: x[1])

    def _transcribe_parts(
        self,
        model: Any,
        samples: Any,
        parts: int,
        options: TranscribeOptions,
        kwargs: dict[str, Any],
        audio_path: Path,
        progress: Callable[[float, float], None] | None,
        lanes: int = 1,
        detected: tuple[str, float] | None = None,
    ) -> Transcript:
        """A long recording as several parts decoded side by side (:mod:`transcribe.streams`)."""
        from transcribe import streams

        total = len(samples) / streams.SAMPLE_RATE
        language, probability = options.language, 1.0
        if detected is not None:  # chosen among the allowed languages, for the whole recording
            language, probability = detected
        theirs: list[BaseException] = []
        try:
            if language is None:  # once for the whole recording, so that every part has the same
                language, probability, _ = model.detect_language(audio=samples, vad_filter=options.vad_filter)
            kwargs = kwargs | {"language": language}
            done: dict[int, float] = {}

            def on_segment(part: int, offset: float, s: Any) -> None:
                done[part] = float(s.end) - offset
                if progress is not None:
                    try:
                        progress(min(sum(done.values()), total), total)
                    except BaseException as e:
                        theirs.append(e)
                        raise

            found = streams.transcribe_parts(model, samples, parts, kwargs, on_segment, lanes=lanes)
        except streams.Cancelled:
            raise TranscribeError("transcription was stopped") from None
        except TranscribeError:
            raise
        except Exception as e:
            if theirs and e is theirs[0]:  # the caller's exceptions pass through unchanged
                raise
            raise _convert(e, audio_path) from e
        segments: list[Segment] = []
        for s in found:
            seg = _segment(len(segments), s, options)
            if seg is not None:
                segments.append(seg)
        if progress is not None:
            progress(total, total)
        return self._result(language, probability, total, segments, options)

    def _result(
        self,
        language: str | None,
        probability: float | None,
        total: float,
        segments: list[Segment],
        options: TranscribeOptions,
    ) -> Transcript:
        return Transcript(
            language=str(language or options.language or ""),
            duration=total,
            segments=tuple(segments),
            language_probability=float(probability or 0.0),
            model=self.model_name,
            engine=self.engine(),
            options=options.to_dict()
            | {"device": self.device_info().device, "compute_type": self.device_info().compute_type},
        )


def is_repetitive(text: str, *, min_repeats: int = 3, max_n: int = 4) -> bool:
    """True when an n-gram of 1..max_n words repeats back to back ``min_repeats`` times or more
    ("chân vô chân vô chân vô"): the typical Whisper loop on audio it cannot follow."""
    words = text.lower().split()
    for n in range(1, max_n + 1):
        for i in range(0, len(words) - n * min_repeats + 1):
            gram = words[i : i + n]
            if all(words[i + k * n : i + (k + 1) * n] == gram for k in range(1, min_repeats)):
                if n == 1 and gram[0].isdigit():
                    continue
                return True
    return False


def decode_samples(path: Path | str) -> Any:
    """The audio of ``path`` as 16 kHz mono float32 samples in [-1, 1) (a numpy array), as faster-whisper
    decodes it. The speech the pipeline extracts (a 16 kHz mono 16-bit WAV) is read as it is, without
    PyAV and its resampler: the same samples, in 0.1 s instead of 0.36 s for 10 minutes."""
    import wave

    import numpy as np

    try:
        with wave.open(str(path), "rb") as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getcomptype()) == (16000, 1, 2, "NONE"):
                samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32)
                return np.multiply(samples, 1 / 32768, out=samples)  # a power of two: as exact as / 32768
    except (wave.Error, EOFError):  # not a plain WAV: any format ffmpeg reads
        pass
    from faster_whisper.audio import decode_audio

    return decode_audio(str(path))


def _convert(e: Exception, audio_path: Path) -> TranscribeError:
    if isinstance(e, TranscribeError):
        return e
    from av.error import FFmpegError  # PyAV, which faster-whisper decodes with: every error of it is one

    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    if isinstance(e, (FFmpegError, OSError, EOFError)):
        return AudioError(f"cannot decode audio {audio_path.name}: {text}")
    if isinstance(e, ValueError) and "language code" in text:
        return LanguageError(f"unknown language code: {text.split(' (')[0]}")
    if isinstance(e, MemoryError):
        return TranscribeError(
            f"out of memory transcribing {audio_path.name}",
            hint="use a smaller model, compute type int8, or fewer cpu threads",
        )
    return TranscribeError(
        f"speech recognition failed on {audio_path.name}: {type(e).__name__}: {text}",
        hint="run again with --debug and report the error",
    )


def _segment(index: int, s: Any, options: TranscribeOptions) -> Segment | None:
    text = (s.text or "").strip()
    if not text:
        return None
    words = tuple(
        Word(
            start=round(float(w.start), 3),
            end=round(float(w.end), 3),
            text=str(w.word),
            probability=round(float(w.probability), 4),
        )
        for w in (s.words or ())
    )
    if words:
        confidence = sum(w.probability for w in words) / len(words)
    else:
        confidence = math.exp(min(float(s.avg_logprob), 0.0))
    flags: list[str] = []
    if confidence < LOW_CONFIDENCE:
        flags.append("low-confidence")
    crt = options.compression_ratio_threshold
    if (crt is not None and float(s.compression_ratio) > crt) or is_repetitive(text):
        flags.append("repetition")
    if options.no_speech_threshold is not None and float(s.no_speech_prob) > options.no_speech_threshold:
        flags.append("maybe-no-speech")
    return Segment(
        id=index,
        start=round(float(s.start), 3),
        end=round(float(s.end), 3),
        text=text,
        words=words,
        confidence=round(confidence, 4),
        avg_logprob=round(float(s.avg_logprob), 4),
        no_speech_prob=round(float(s.no_speech_prob), 4),
        compression_ratio=round(float(s.compression_ratio), 4),
        flags=tuple(flags),
    )


def speech_seconds(samples: Any) -> float:
    """Seconds of speech in 16 kHz mono float32 ``samples`` by Silero VAD (the VAD faster-whisper filters
    with), counted without the padding it adds around each stretch of speech."""
    try:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        spans = get_speech_timestamps(samples, VadOptions(speech_pad_ms=0))
    except Exception as e:
        raise _convert(e, Path("<samples>")) from e
    return sum(int(s["end"]) - int(s["start"]) for s in spans) / 16000
