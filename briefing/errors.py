"""The one error tree of the application.

    BriefingError                 expected failure; the CLI prints its one-line message and exits 1
    ├── ConfigError               bad briefing.toml / environment / flag value
    ├── HomeError                 BRIEFING_HOME missing or not writable
    ├── NotFoundError             no such briefing, schedule, occurrence ...
    ├── InputError                a file the user handed us is missing, empty, or not usable media
    ├── ToolMissingError          ffmpeg or another external program is not installed
    ├── ModelError                the speech model is missing or corrupt
    ├── TranscriptionError        recognition failed
    ├── StageFailed               a stage failed (carries the stage name)
    ├── PublishError              a publishing target or channel failed
    ├── JitsiError                Jitsi / Jibri / reservation endpoints refused or are unreachable
    └── StoreError                the SQLite store cannot be opened or migrated

Library errors (recorder/, transcribe/, publish/) are converted here by :func:`translated`, keeping the
library's message (which already names the file and says what to do).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class BriefingError(Exception):
    """An expected failure with a message that says what to do."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint and self.hint not in self.message:
            return f"{self.message} — {self.hint}"
        return self.message


class ConfigError(BriefingError):
    exit_code = 2


class HomeError(BriefingError):
    pass


class NotFoundError(BriefingError):
    pass


class InputError(BriefingError):
    pass


class ToolMissingError(BriefingError):
    pass


class ModelError(BriefingError):
    pass


class TranscriptionError(BriefingError):
    pass


class StageFailed(BriefingError):
    def __init__(self, stage: str, message: str, *, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.stage = stage


class PublishError(BriefingError):
    pass


class JitsiError(BriefingError):
    pass


class StoreError(BriefingError):
    pass


def convert(exc: BaseException) -> BriefingError | None:
    """Map a library exception to our tree, or None if it is not one we know."""
    msg = str(exc)
    hint = getattr(exc, "hint", "") or ""
    mod = type(exc).__module__.split(".")[0]
    name = type(exc).__name__
    if mod == "recorder":
        if name == "ToolNotFound":
            return ToolMissingError(msg, hint=hint)
        return InputError(msg, hint=hint)
    if mod == "transcribe":
        if name == "ModelError":
            return ModelError(msg, hint=hint)
        if name in ("LanguageError",):
            return ConfigError(msg, hint=hint)
        if name == "AudioError":
            return InputError(msg, hint=hint)
        return TranscriptionError(msg, hint=hint)
    if mod == "publish":
        return PublishError(msg, hint=hint)
    return None


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Re-raise library errors (recorder, transcribe, publish) as BriefingError, chained."""
    try:
        yield
    except BriefingError:
        raise
    except Exception as exc:  # noqa: BLE001 - we re-raise anything we do not know
        mapped = convert(exc)
        if mapped is None:
            raise
        raise mapped from exc
