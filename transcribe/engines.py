"""The engine seam: every recognizer is audio in, :class:`~transcribe.types.Transcript` out, and says what
it can do. The engine is chosen per language by configuration (:func:`engine_for`).

- ``whisper``: faster-whisper on CTranslate2 (:class:`transcribe.whisper.WhisperTranscriber`). Any
  CTranslate2 Whisper directory is configuration, not code: the bundled ``base``, or a ministry's
  converted PhoWhisper or ``large-v3`` on a GPU server (``make_engine("whisper", model_path=DIR,
  device="cuda")``).
- ``vietasr``: viet-asr, a Vietnamese streaming CTC conformer (:class:`transcribe.vietasr.VietAsrEngine`).
  What it lacks (times, confidence, casing, punctuation) the engine supplies and labels as estimated.

What an engine lacks is declared in its :class:`Capabilities`, so the layers above (captions, key
figures, the review desk) know which times were measured and which were estimated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from transcribe.errors import EngineError
from transcribe.types import Transcript

ENGINE_NAMES = ("whisper", "vietasr")
# The default choice: viet-asr where it knows the language, Whisper for the rest (and for "auto").
DEFAULT_ENGINES: dict[str, str] = {"vi": "vietasr"}


@dataclass(frozen=True)
class Capabilities:
    """What an engine gives by itself. ``languages`` None: every language Whisper knows."""

    languages: frozenset[str] | None
    word_times: str  # "measured" (from the model) or "estimated" (spread within a segment)
    confidence: str  # "engine" (the model's probabilities) or "derived" (computed by the engine wrapper)
    punctuation: str  # "model" (the model writes it) or "rule" (restored by rule from pauses)
    translate: bool  # can translate to English
    streaming: bool  # works chunk by chunk (the live transcriber)

    def knows(self, language: str | None) -> bool:
        return self.languages is None or (language is not None and language in self.languages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "languages": sorted(self.languages) if self.languages is not None else "any",
            "word_times": self.word_times,
            "confidence": self.confidence,
            "punctuation": self.punctuation,
            "translate": self.translate,
            "streaming": self.streaming,
        }


WHISPER_CAPABILITIES = Capabilities(
    languages=None, word_times="measured", confidence="engine", punctuation="model", translate=True, streaming=True
)


@runtime_checkable
class Engine(Protocol):
    """A recognizer. ``transcribe`` takes a path or 16 kHz mono float32 samples (a numpy array) and the
    decoding options (:class:`transcribe.whisper.TranscribeOptions`; an engine uses those it has)."""

    name: str
    capabilities: Capabilities

    @property
    def model_name(self) -> str: ...

    def load(self) -> Any: ...

    def engine(self) -> str: ...

    def transcribe(
        self, audio_path: Any, options: Any = None, *, progress: Callable[[float, float], None] | None = None
    ) -> Transcript: ...


def check_name(name: str) -> str:
    n = (name or "").strip().lower().replace("-", "")
    if n not in ENGINE_NAMES:
        raise EngineError(f"unknown recognition engine '{name}': use {' or '.join(ENGINE_NAMES)}")
    return n


def parse_engines(node: Any) -> dict[str, str]:
    """A ``transcribe.engines`` table (``{ vi = "vietasr", en = "whisper" }``; the key ``default`` is for
    every other language), checked: language codes Whisper knows, engine names this package has."""
    from transcribe.whisper import validate_language

    if node is None:
        return {}
    if not isinstance(node, Mapping):
        raise EngineError('transcribe.engines must be a table such as { vi = "vietasr", en = "whisper" }')
    out: dict[str, str] = {}
    for key, value in node.items():
        lang = "default" if str(key).strip().lower() == "default" else validate_language(str(key))
        if lang is None:
            raise EngineError(f"transcribe.engines: '{key}' is not a language: use a code such as vi or en, or default")
        if not isinstance(value, str):
            raise EngineError(f"transcribe.engines.{key} must be an engine name ({' or '.join(ENGINE_NAMES)})")
        out[lang] = check_name(value)
    return out


def engine_for(language: str | None, table: Mapping[str, str] | None = None) -> str:
    """The engine for ``language`` (None: detect, which only Whisper does): the table's entry, else its
    ``default``, else :data:`DEFAULT_ENGINES`, else ``whisper``. An engine that does not know the language
    is never chosen by default; chosen explicitly it is an :class:`EngineError`."""
    table = dict(table or {})
    if language is None:
        return "whisper"
    name = table.get(language) or table.get("default") or DEFAULT_ENGINES.get(language, "whisper")
    name = check_name(name)
    if name == "vietasr" and language != "vi":
        if language not in table:  # from "default": viet-asr only for Vietnamese
            return "whisper"
        raise EngineError(
            f"the vietasr engine knows only Vietnamese, not '{language}'",
            hint=f'set transcribe.engines.{language} = "whisper"',
        )
    return name


def make_engine(
    name: str,
    *,
    model_path: Path | str | None = None,
    device: str = "auto",
    compute_type: str = "auto",
    cpu_threads: int = 0,
    download_root: Path | None = None,
    library: Path | None = None,
) -> Engine:
    """An engine by name. ``model_path`` (whisper): any CTranslate2 Whisper directory or a hub name;
    ``library`` (vietasr): the native library to load instead of the package's own (it must still match
    the pinned checksum)."""
    n = check_name(name)
    if n == "whisper":
        from transcribe.whisper import WhisperTranscriber

        if model_path is None:
            raise EngineError("the whisper engine needs a model directory", hint="use the bundled base model")
        return WhisperTranscriber(
            model_path, device=device, compute_type=compute_type, cpu_threads=cpu_threads, download_root=download_root
        )
    from transcribe.vietasr import VietAsrEngine

    return VietAsrEngine(library=library)
