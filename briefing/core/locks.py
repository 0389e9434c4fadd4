"""One process at a time per briefing.

``process``, ``transcribe``, ``summarize``, ``publish``, ``correct``, ``archive create`` and ``prune`` of
a briefing hold an exclusive OS file lock (``flock``) on ``<workspace>/<id>/.lock``, which holds the pid
of its holder. A second command for the same briefing waits for it (at most ``lock.wait`` seconds), then
stops with "briefing X is being processed (pid N)"; ``prune`` of every briefing skips (and says) one
that is held. The kernel releases the lock when its process ends, however
it ends (``kill -9`` included), so a lock file left by a dead process is simply taken over.

Within one process the lock is re-entrant (``process`` may call code that takes it again).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from briefing.core import config, workspace
from briefing.core.config import Setting, Settings
from briefing.core.errors import BriefingError
from briefing.core.faults import checkpoint

config.register(
    Setting(
        "lock.wait",
        30.0,
        "Seconds a command waits for another process working on the same briefing "
        "before it gives up (0: give up at once).",
        float,
    ),
)


class LockSettings(config.Area, area="lock"):
    wait: float


class BriefingBusy(BriefingError):
    """Another process is working on the briefing."""

    exit_code = 75  # EX_TEMPFAIL: try again later


_held: dict[str, list[int]] = {}  # lock path -> [fd, depth], for this process
_guard = threading.Lock()


lock_path = workspace.lock_path


class FileLock:
    """An exclusive ``flock`` on a file, not re-entrant: for one step at a time across processes (the live
    transcriber of a briefing, the worker, the daily run). Released by the kernel when the process ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def acquire(self, timeout: float) -> bool:
        """Try for up to ``timeout`` seconds; True when held."""
        deadline = time.monotonic() + timeout
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)
        return True

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def holder(path: Path) -> int | None:
    """The pid written in a lock file (None when there is none)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def briefing_lock(settings: Settings, bid: str, *, wait: float | None = None) -> Iterator[None]:
    """Hold the briefing's lock for the block; wait up to ``wait`` seconds (default: ``lock.wait``)
    for another process that holds it, then raise :class:`BriefingBusy`."""
    path = lock_path(settings, bid)
    key = str(path)
    with _guard:
        mine = _held.get(key)
        if mine is not None:
            mine[1] += 1
    if mine is not None:
        try:
            yield
        finally:
            with _guard:
                mine[1] -= 1
        return
    fd = _acquire(path, bid, LockSettings.of(settings).wait if wait is None else float(wait))
    with _guard:
        _held[key] = [fd, 1]
    try:
        checkpoint("locked")
        yield
    finally:
        with _guard:
            del _held[key]
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _acquire(path: Path, bid: str, wait: float) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    deadline = time.monotonic() + max(wait, 0.0)
    said = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pid = holder(path)
                who = f"pid {pid}" if pid else "another process"
                if time.monotonic() >= deadline:
                    raise BriefingBusy(
                        f"briefing {bid} is being processed ({who})",
                        hint="wait until it has finished, then run the command again",
                    ) from None
                if not said:
                    sys.stderr.write(f"waiting: briefing {bid} is being processed ({who})\n")
                    sys.stderr.flush()
                    said = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


F = TypeVar("F", bound=Callable[..., Any])


def locked(fn: F) -> F:
    """For a function ``fn(store, settings, bid, ...)``: run it holding the briefing's lock. An unknown
    id is left to ``fn`` (which says so), without making a workspace for it."""

    @functools.wraps(fn)
    def wrapper(store: Any, settings: Settings, *args: Any, **kwargs: Any) -> Any:
        bid = args[0] if args else kwargs.get("bid")
        if not isinstance(bid, str) or store.find_briefing(bid) is None:
            return fn(store, settings, *args, **kwargs)
        with briefing_lock(settings, bid):
            return fn(store, settings, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
