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
    ├── StoreError                the SQLite store cannot be opened or migrated
    ├── ArchiveError              an archive package cannot be made, copied, verified or pruned
    ├── ClusterError              the cluster's broker, storage or a worker refused or is unreachable
    └── DiskFullError             a write failed with ENOSPC: says the disk is full, and where

This module is the one edge where library errors (recorder/, transcribe/, publish/, each with one base
error) become BriefingErrors: :func:`convert` looks their class up in :func:`library_errors` (by class,
most specific first) and keeps the library's message, which already names the file and says what to do;
:func:`translated` does it for a ``with`` block. The libraries turn their vendors' errors (httpx, botocore,
smtplib, ctranslate2 ...) into their own, so those arrive here as library errors; a full disk (ENOSPC)
anywhere is a DiskFullError.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable, Iterator


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


class ArchiveError(BriefingError):
    pass


class ClusterError(BriefingError):
    pass


class DiskFullError(BriefingError):
    pass


NO_SPACE = os.strerror(errno.ENOSPC)  # "No space left on device"


def _enospc(exc: BaseException) -> OSError | None:
    """The ENOSPC OSError behind ``exc`` (itself or a cause), if there is one."""
    seen = 0
    e: BaseException | None = exc
    while e is not None and seen < 10:
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            return e
        e = e.__cause__ or e.__context__
        seen += 1
    return None


def disk_full(exc: OSError, *, places: Iterable[os.PathLike[str] | str] = ()) -> DiskFullError:
    """The one line for a write that found the disk full: which file, and which disk to free space on.

    ``exc.filename`` names the file when the OS reported it; else the fullest of ``places`` (the home,
    site, cache ...) is named."""
    target = exc.filename2 or exc.filename  # shutil.copyfile: filename2 is the destination
    if target:
        folder = os.path.dirname(os.path.abspath(os.fsdecode(target)))
        return DiskFullError(
            f"the disk is full: cannot write {os.fsdecode(target)} ({NO_SPACE})",
            hint=f"free space on the disk holding {folder} (df -h {folder}) and run the same command again",
        )
    best: tuple[int, str] | None = None
    for p in places:
        d = os.fspath(p)
        while d and not os.path.exists(d):
            d = os.path.dirname(d.rstrip("/")) if d.rstrip("/") else ""
        if not d:
            continue
        try:
            st = os.statvfs(d)
        except OSError:
            continue
        free = st.f_bavail * st.f_frsize
        if best is None or free < best[0]:
            best = (free, d)
    if best is None or best[0] > 64 << 20:  # none of the places is the full one
        checked = ", ".join(os.fspath(p) for p in places)
        return DiskFullError(
            f"the disk is full ({NO_SPACE})" + (f"; not the one holding {checked}" if checked else ""),
            hint="find the full disk with df -h, free space on it and run the same command again",
        )
    return DiskFullError(
        f"the disk is full ({NO_SPACE}): {best[1]} has {best[0]:,} bytes free",
        hint=f"free space on the disk holding {best[1]} (df -h {best[1]}) and run the same command again",
    )


def library_errors() -> tuple[tuple[type[BaseException], type[BriefingError]], ...]:
    """Which BriefingError each library error class becomes: the first row whose class the error is an
    instance of wins, so subclasses come before their bases. The libraries are imported here, lazily (they
    are heavy, and a command that never calls them should not pay for them)."""
    import publish.archive
    import publish.errors
    import recorder.errors
    import recorder.jibri
    import transcribe.errors

    return (
        (recorder.errors.ToolNotFound, ToolMissingError),
        (recorder.jibri.JibriError, JitsiError),
        (recorder.errors.RecorderError, InputError),  # media, ffmpeg, capture
        (transcribe.errors.ModelError, ModelError),  # LibraryChecksumError too: a damaged engine
        (transcribe.errors.EngineError, ConfigError),
        (transcribe.errors.LanguageError, ConfigError),
        (transcribe.errors.AudioError, InputError),
        (transcribe.errors.TranscribeError, TranscriptionError),
        (publish.archive.ArchiveError, ArchiveError),
        (publish.errors.PublishError, PublishError),  # site, targets, mail, notify, manifest, pack
    )


def convert(exc: BaseException, *, places: Iterable[os.PathLike[str] | str] = ()) -> BriefingError | None:
    """Map a library exception to our tree by its class, or None if it is not one we know. A full disk
    (ENOSPC) is a DiskFullError naming the file, or else the fullest of ``places``."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return disk_full(exc, places=places)
    ours = next((b for lib, b in library_errors() if isinstance(exc, lib)), None)
    if ours is None:
        return None
    msg = str(exc)
    hint = getattr(exc, "hint", "") or ""
    if msg.startswith("the disk is full"):  # the library said so itself, and where
        return DiskFullError(msg, hint=hint)
    cause = _enospc(exc)
    if cause is not None:  # a library error raised from a full disk: say that, not the library's guess
        return disk_full(cause, places=places)
    return ours(msg, hint=hint)


@contextlib.contextmanager
def translated(*, places: Iterable[os.PathLike[str] | str] = ()) -> Iterator[None]:
    """Re-raise library errors (recorder, transcribe, publish) as BriefingError, chained; and a full disk
    as DiskFullError (``places``: where the work writes, named when the OS names no file)."""
    try:
        yield
    except BriefingError:
        raise
    except Exception as exc:  # noqa: BLE001 - we re-raise anything we do not know
        mapped = convert(exc, places=places)
        if mapped is None:
            raise
        raise mapped from exc
