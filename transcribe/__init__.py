"""Speech in, Transcript out; summaries and key figures of a Transcript. Knows nothing of briefings.

Importing this package is cheap: faster-whisper, ctranslate2, av and numpy load only when a model is
loaded or audio is decoded.
"""

from transcribe.engines import Capabilities, Engine, engine_for, make_engine, parse_engines
from transcribe.errors import (
    AudioError,
    EngineError,
    LanguageError,
    LibraryChecksumError,
    ModelError,
    TranscribeError,
)
from transcribe.formats import (
    from_json,
    parse_srt,
    parse_timed_txt,
    parse_vtt,
    to_json,
    to_srt,
    to_txt,
    to_vtt,
)
from transcribe.model import BUNDLED_MODEL_SHA256, ensure_bundled_model, resolve_model
from transcribe.summary import key_figures, summarize
from transcribe.types import KeyFigure, Segment, Summary, SummarySentence, Transcript, Word
from transcribe.whisper import TranscribeOptions, WhisperTranscriber, validate_language

__all__ = [
    "AudioError",
    "BUNDLED_MODEL_SHA256",
    "Capabilities",
    "Engine",
    "EngineError",
    "LibraryChecksumError",
    "engine_for",
    "make_engine",
    "parse_engines",
    "KeyFigure",
    "LanguageError",
    "ModelError",
    "Segment",
    "Summary",
    "SummarySentence",
    "TranscribeError",
    "TranscribeOptions",
    "Transcript",
    "WhisperTranscriber",
    "Word",
    "ensure_bundled_model",
    "from_json",
    "key_figures",
    "parse_srt",
    "parse_timed_txt",
    "parse_vtt",
    "resolve_model",
    "summarize",
    "to_json",
    "to_srt",
    "to_txt",
    "to_vtt",
    "validate_language",
]
