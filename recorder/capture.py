"""Crash-safe live capture: pull a live stream (RTMP, SRT, HLS) into short segments, then join them.

    cap = Capture("rtmp://127.0.0.1/live/key", out_dir, CaptureOptions(segment_seconds=10))
    result = cap.run()            # blocks until request_stop() / a STOP file / the source gives up
    join_segments(result.segments, out_dir / "recording.mp4")

- ffmpeg stream-copies (no re-encode) into ``segments/seg-NNNNNN.ts`` (MPEG-TS: a segment cut short
  by a crash still plays up to the cut). A segment is finished when the next one appears; then it is
  fsynced, with its directory.
- When ffmpeg exits on its own (the source dropped, a network stall past ``stall_timeout``) it is
  started again after ``reconnect_delay``, numbering on from the last segment on disk. A capture that
  is killed (even ``kill -9``) and started again with the same arguments continues in the same
  directory: no finished segment is lost or overwritten.
- Only one capture runs per directory: ``capture.lock`` is held with an open file description lock
  (released by the kernel when the process dies; others test for it without taking it) and holds the
  pid. :func:`request_stop` writes ``STOP`` and sends SIGTERM to that pid; the capture then stops ffmpeg
  with SIGINT, which closes the last segment cleanly.
- :func:`join_segments` joins the segments losslessly (concat demuxer, ``-c copy``) into an MP4.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import signal
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_graph  # ffmpeg-python builds the command; recorder.ffmpeg runs it

from recorder import ffmpeg
from recorder.errors import MediaError, RecorderError

SEGMENT_RE = re.compile(r"^seg-(\d{6})\.ts$")
LOCK_NAME = "capture.lock"
STOP_NAME = "STOP"
STATE_NAME = "capture.json"
SUPPORTED = ("rtmp://", "rtmps://", "srt://", "http://", "https://", "udp://", "tcp://", "rtsp://")


class CaptureError(RecorderError):
    """The capture cannot start or run (bad source, directory in use)."""


class CaptureBusy(CaptureError):
    """Another capture already runs in this directory."""

    def __init__(self, out_dir: Path, pid: int | None) -> None:
        self.pid = pid
        super().__init__(
            f"a capture is already running in {out_dir}" + (f" (pid {pid})" if pid else ""),
            hint="stop it with `briefing record stop`, or wait for it to end",
            path=str(out_dir),
        )


@dataclass(frozen=True)
class CaptureOptions:
    segment_seconds: float = 10.0  # target segment length (cut at the next keyframe)
    reconnect_delay: float = 2.0  # seconds before ffmpeg is started again after the source dropped
    stall_timeout: float = 15.0  # seconds without data before ffmpeg gives up on the connection
    give_up_after: float | None = None  # seconds with no new data after which the capture ends; None = never
    poll_interval: float = 0.25
    stop_grace: float = 5.0  # seconds ffmpeg gets to close the last segment after SIGINT

    def __post_init__(self) -> None:
        if not self.segment_seconds >= 1:
            raise CaptureError(f"segment length {self.segment_seconds:g} s is too short", hint="use 2s or more")


@dataclass
class CaptureResult:
    out_dir: Path
    segments: list[Path]
    runs: int
    stopped: bool  # ended by a stop request (not by give_up_after)
    state: dict[str, Any] = field(default_factory=dict)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_state(out_dir: Path) -> dict[str, Any]:
    try:
        state: dict[str, Any] = json.loads((Path(out_dir) / STATE_NAME).read_text(encoding="utf-8"))
        return state
    except (FileNotFoundError, ValueError):
        return {}


def segment_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "segments"


def segments(out_dir: Path) -> list[Path]:
    """The segment files in capture order."""
    d = segment_dir(out_dir)
    if not d.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in d.iterdir() if (m := SEGMENT_RE.match(p.name))]
    return [p for _, p in sorted(found)]


def next_segment_number(out_dir: Path) -> int:
    segs = segments(out_dir)
    return int(SEGMENT_RE.match(segs[-1].name).group(1)) + 1 if segs else 0  # type: ignore[union-attr]


def check_source(source: str) -> str:
    s = source.strip()
    if not s.lower().startswith(SUPPORTED):
        raise CaptureError(f"unsupported live source {source!r}", hint="use rtmp://…, srt://… or https://….m3u8")
    return s


# -- the lock --------------------------------------------------------------------------------------
# An open file description lock (Linux's F_OFD_SETLK): as with flock, the kernel releases it when its process
# ends, however it ends (kill -9 included). Unlike flock, another process or thread can test for it
# (F_OFD_GETLK) without taking it: `record status`, `record stop` or the live transcriber looking at the
# directory while a capture starts can never make that capture fail as "already running".
_OFD = hasattr(fcntl, "F_OFD_SETLK")
_FLOCK_STRUCT = "@hhqqi0q"  # struct flock: l_type, l_whence, l_start, l_len, l_pid (and its padding)


def _ofd(fd: int, cmd: int, kind: int) -> int:
    """One F_OFD_* call over the whole file; returns the l_type the kernel answered."""
    answer = fcntl.fcntl(fd, cmd, struct.pack(_FLOCK_STRUCT, kind, os.SEEK_SET, 0, 0, 0))
    kind_back: int = struct.unpack(_FLOCK_STRUCT, answer)[0]
    return kind_back


def _try_lock(fd: int) -> bool:
    try:
        if _OFD:
            _ofd(fd, fcntl.F_OFD_SETLK, fcntl.F_WRLCK)
        else:  # other systems: flock, which a probe takes for a moment (see _locked)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _unlock(fd: int) -> None:
    if _OFD:
        _ofd(fd, fcntl.F_OFD_SETLK, fcntl.F_UNLCK)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _locked(fd: int) -> bool:
    """Whether a capture holds the lock of the file open as ``fd``, without taking it."""
    if _OFD:
        return _ofd(fd, fcntl.F_OFD_GETLK, fcntl.F_WRLCK) != fcntl.F_UNLCK
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


class _Lock:
    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            taken = _try_lock(fd)
        except BaseException:
            os.close(fd)
            raise
        if not taken:
            os.close(fd)
            raise CaptureBusy(self.path.parent, running_pid(self.path.parent))
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            _unlock(self.fd)
            os.close(self.fd)
            self.fd = None


@contextmanager
def holding_lock(out_dir: Path, *, timeout: float = 60.0) -> Iterator[None]:
    """Hold the directory's capture lock (waiting up to ``timeout`` s), e.g. to join the segments
    while no capture can start or join at the same time."""
    lock = _Lock(out_dir)
    deadline = time.monotonic() + timeout
    while True:
        try:
            lock.acquire()
            break
        except CaptureBusy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)
    try:
        yield
    finally:
        lock.release()


def running_pid(out_dir: Path) -> int | None:
    """The pid of the capture running in ``out_dir`` (-1 when its pid is not written yet), or None when none
    holds the lock. It only looks: it never takes the lock, so it cannot stop a capture from starting."""
    path = Path(out_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        if not _locked(fd):
            return None
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else -1
    finally:
        os.close(fd)


def request_stop(out_dir: Path, *, wait: float = 30.0) -> bool:
    """Ask the capture in ``out_dir`` to stop cleanly; wait until it has. True if one was running."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / STOP_NAME).write_text(_now() + "\n")
    pid = running_pid(out_dir)
    if pid is None:
        return False
    if pid > 0:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if running_pid(out_dir) is None:
            return True
        time.sleep(0.1)
    raise CaptureError(
        f"the capture in {out_dir} (pid {pid}) did not stop within {wait:g} s",
        hint=f"kill it (kill {pid}); its finished segments are kept",
    )


# -- the capture loop ---------------------------------------------------------------------------------
class Capture:
    def __init__(
        self,
        source: str,
        out_dir: Path,
        options: CaptureOptions = CaptureOptions(),
        *,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.source = check_source(source)
        self.out_dir = Path(out_dir)
        self.options = options
        self.on_event = on_event or (lambda kind, info: None)
        self._stop = False
        self._proc: Any = None
        self._synced: set[str] = set()

    def request_stop(self) -> None:
        """Safe to call from a signal handler."""
        self._stop = True

    def _stop_requested(self) -> bool:
        return self._stop or (self.out_dir / STOP_NAME).exists()

    def argv(self, start_number: int) -> list[str]:
        o = self.options
        src = self.source.lower()
        in_args: dict[str, Any] = {"rw_timeout": int(o.stall_timeout * 1_000_000)}
        if src.startswith(("http://", "https://")):
            in_args.update(
                reconnect=1,
                reconnect_streamed=1,
                reconnect_on_network_error=1,
                reconnect_delay_max=int(max(2, o.reconnect_delay * 2)),
            )
            if ".m3u8" in src:
                in_args["live_start_index"] = -1
        inp = ffmpeg_graph.input(self.source, **in_args)
        pattern = segment_dir(self.out_dir) / "seg-%06d.ts"
        out = ffmpeg_graph.output(
            inp["v?"],
            inp["a?"],
            str(pattern),
            f="segment",
            c="copy",
            segment_format="mpegts",
            segment_time=f"{o.segment_seconds:g}",
            reset_timestamps=1,
            segment_start_number=start_number,
            segment_format_options="flush_packets=1",  # every packet reaches the file at once
            max_muxing_queue_size=4096,
        )
        return ffmpeg.compile_graph(out, loglevel="warning", overwrite=False)

    def _sync_finished(self, *, all_done: bool) -> list[Path]:
        segs = segments(self.out_dir)
        done = segs if all_done else segs[:-1]
        new = [p for p in done if p.name not in self._synced]
        for p in new:
            _fsync_path(p)
            self._synced.add(p.name)
        if new:
            _fsync_path(segment_dir(self.out_dir), directory=True)
            for p in new:
                self.on_event("segment", {"path": str(p), "size": p.stat().st_size})
        return new

    def _end_ffmpeg(self, proc: Any) -> int:
        # ffmpeg finishes the segment on SIGINT; while it blocks on an idle input only a second
        # signal interrupts the read. Packets are flushed as they come, so even a kill loses nothing.
        for sig, wait in ((signal.SIGINT, 1.0), (signal.SIGINT, self.options.stop_grace)):
            if proc.poll() is not None:
                break
            proc.send_signal(sig)
            try:
                return int(proc.wait(wait))
            except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
                pass
        if proc.poll() is None:
            proc.kill()
        return int(proc.wait())

    def run(self) -> CaptureResult:
        lock = _Lock(self.out_dir)
        lock.acquire()
        try:
            (self.out_dir / STOP_NAME).unlink(missing_ok=True)
            return self._loop()
        finally:
            if self._proc is not None and self._proc.poll() is None:
                self._end_ffmpeg(self._proc)
            lock.release()

    def _loop(self) -> CaptureResult:
        o = self.options
        segment_dir(self.out_dir).mkdir(parents=True, exist_ok=True)
        state = read_state(self.out_dir)
        state.setdefault("source", self.source)
        state.setdefault("created_at", _now())
        state.setdefault("runs", [])
        state["stopped_at"] = None
        self._synced = {p.name for p in segments(self.out_dir)}
        last_growth = time.monotonic()
        last_size = -1
        runs = 0
        while not self._stop_requested():
            start_number = next_segment_number(self.out_dir)
            run = {"pid": os.getpid(), "started_at": _now(), "first_segment": start_number, "exit": None}
            state["runs"].append(run)
            _write_json(self.out_dir / STATE_NAME, state)
            self._proc = proc = ffmpeg.spawn(self.argv(start_number), log_path=self.out_dir / "ffmpeg.log")
            runs += 1
            started = time.monotonic()
            self.on_event("ffmpeg-start", {"pid": proc.pid, "first_segment": start_number})
            while proc.poll() is None:
                if self._stop_requested():
                    self._end_ffmpeg(proc)
                    break
                time.sleep(o.poll_interval)
                self._sync_finished(all_done=False)
                size = sum(p.stat().st_size for p in segments(self.out_dir)[-2:])
                if size != last_size:
                    last_size, last_growth = size, time.monotonic()
                elif time.monotonic() - max(last_growth, started) > 2 * o.stall_timeout:
                    # ffmpeg's own timeout did not fire (e.g. server pings keep the link "alive")
                    self.on_event("stalled", {"pid": proc.pid})
                    self._end_ffmpeg(proc)
                    break
            code = proc.wait()
            self._proc = None
            self._sync_finished(all_done=True)
            run.update(exit=code, ended_at=_now())
            _write_json(self.out_dir / STATE_NAME, state)
            self.on_event("ffmpeg-exit", {"code": code})
            if self._stop_requested():
                break
            if o.give_up_after is not None and time.monotonic() - last_growth > o.give_up_after:
                state["gave_up_at"] = _now()
                break
            deadline = time.monotonic() + o.reconnect_delay
            while time.monotonic() < deadline and not self._stop_requested():
                time.sleep(min(o.poll_interval, 0.1))
        stopped = self._stop_requested()
        state["stopped_at"] = _now() if stopped else None
        _write_json(self.out_dir / STATE_NAME, state)
        return CaptureResult(self.out_dir, segments(self.out_dir), runs, stopped, state)


# -- joining ----------------------------------------------------------------------------------------
PROBED_NAME = "probed.json"  # segment name -> [size, mtime_ns, usable]: each finished segment probed once


def usable_segments(paths: list[Path], *, cache: Path | None = None) -> tuple[list[Path], list[Path]]:
    """Split segments into (playable, unusable): empty files or files with no decodable stream.

    With ``cache`` (a JSON file, e.g. ``<capture dir>/probed.json``) a segment whose size and mtime are
    those of its last probe is not probed again: the live follower probes each segment as it finishes,
    so joining a long capture at its end probes only the last one (one ffprobe per segment took ~0.1 s,
    12 s for a 20-minute capture)."""
    from recorder.probe import probe

    known = _read_probed(cache) if cache is not None else {}
    good: list[Path] = []
    bad: list[Path] = []
    changed = False
    for p in paths:
        try:
            st = p.stat()
        except FileNotFoundError:
            bad.append(p)
            continue
        if not p.is_file() or st.st_size < 188 * 4:
            bad.append(p)
            continue
        signature = [st.st_size, st.st_mtime_ns]
        hit = known.get(p.name)
        if isinstance(hit, list) and len(hit) == 3 and hit[:2] == signature:
            ok = bool(hit[2])
        else:
            try:
                probe(p, require_audio=False, timeout=30)
                ok = True
            except MediaError:
                ok = False
            known[p.name] = signature + [ok]
            changed = True
        (good if ok else bad).append(p)
    if cache is not None and changed:
        _write_probed(cache, known)
    return good, bad


def _read_probed(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):  # missing or damaged: probe again
        return {}


def _write_probed(path: Path, data: dict[str, Any]) -> None:
    import threading

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a cache: the next join probes again
        tmp.unlink(missing_ok=True)


def join_segments(
    paths: list[Path], dest: Path, *, timeout: float | None = 600, cache: Path | None = None
) -> tuple[Path, list[Path]]:
    """Join segments losslessly (concat demuxer, stream copy) into an MP4 with faststart.

    Unusable segments (empty, or nothing decodable: a crash right at a segment start) are skipped and
    returned (``cache``: see :func:`usable_segments`). Written atomically.
    """
    dest = Path(dest)
    good, bad = usable_segments(list(paths), cache=cache)
    if not good:
        raise CaptureError(
            f"no usable segments to join into {dest}",
            hint="the capture received nothing: check the source is live",
            path=str(dest),
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    listing = dest.with_name(f".{dest.stem}.concat.txt")
    lines = []
    for p in good:
        escaped = str(p.resolve()).replace("'", "'\\''")
        lines.append(f"file '{escaped}'")
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partial = dest.with_name(f"{dest.stem}.partial-{os.getpid()}{dest.suffix}")
    try:
        stream = ffmpeg_graph.input(str(listing), f="concat", safe=0)
        out = ffmpeg_graph.output(
            stream["v?"],
            stream["a?"],
            str(partial),
            c="copy",
            f="mp4",
            movflags="+faststart",
            max_muxing_queue_size=4096,
        )
        ffmpeg.run(ffmpeg.compile_graph(out), path_for_errors=dest, timeout=timeout)
        with open(partial, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(partial, dest)
        _fsync_path(dest.parent, directory=True)
    finally:
        partial.unlink(missing_ok=True)
        listing.unlink(missing_ok=True)
    return dest, bad
