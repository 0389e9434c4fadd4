"""Errors raised by :mod:`recorder`.

Every error renders as one line that names the file (when there is one) and says what to do.
``str(err)`` is that line; ``err.hint`` is the "what to do" part on its own and ``err.path``
the file concerned, so an application can render or translate them separately.
"""

from __future__ import annotations

from collections.abc import Iterable


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class RecorderError(Exception):
    """Base class of every error raised by the recorder package."""

    def __init__(self, message: str, *, hint: str = "", path: str | None = None) -> None:
        self.message = _one_line(message)
        self.hint = _one_line(hint)
        self.path = None if path is None else str(path)
        full = f"{self.message} — {self.hint}" if self.hint else self.message
        super().__init__(full)


class ToolNotFound(RecorderError):
    """ffmpeg or ffprobe is not installed (or the configured path does not exist)."""

    def __init__(
        self, tool: str, *, configured: str | None = None, env_var: str | None = None, hint: str | None = None
    ) -> None:
        self.tool = tool
        if hint is not None:
            message = f"{tool} not found"
        elif configured:
            message = f"{tool} not found at {configured} (set by {env_var})"
            hint = f"fix {env_var} or unset it to use {tool} from PATH"
        else:
            message = f"{tool} not found"
            hint = (
                "install it (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg)"
                f" or set {env_var or 'BRIEFING_' + tool.upper()} to its path"
            )
        super().__init__(message, hint=hint, path=configured)


class MediaError(RecorderError):
    """A media file is missing, empty, unreadable, corrupt or has no usable audio."""


class FFmpegError(MediaError):
    """ffmpeg/ffprobe exited with an error; ``stderr_tail`` keeps its last stderr lines."""

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        path: str | None = None,
        stderr_tail: Iterable[str] = (),
        returncode: int | None = None,
        argv: Iterable[str] = (),
    ) -> None:
        self.stderr_tail: tuple[str, ...] = tuple(line for line in stderr_tail if line.strip())
        self.returncode = returncode
        self.argv: tuple[str, ...] = tuple(argv)
        super().__init__(message, hint=hint, path=path)
