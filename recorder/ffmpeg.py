"""The one module that runs ffmpeg/ffprobe (the only subprocess call in :mod:`recorder`).

Command graphs are built with ffmpeg-python elsewhere and compiled to argv lists here
(:func:`compile`); they are run as argv lists, never through a shell (:func:`run`).
Failures become :class:`~recorder.errors.FFmpegError` carrying ffmpeg's last stderr lines.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from recorder.errors import FFmpegError, ToolNotFound

TOOLS = ("ffmpeg", "ffprobe")
STDERR_TAIL_LINES = 5


def _env_var(name: str) -> str:
    return f"BRIEFING_{name.upper()}"


def _resolve(value: str) -> str | None:
    """An explicit path or a bare command name → an executable path, or None."""
    if os.sep in value or (os.altsep and os.altsep in value):
        p = Path(value).expanduser()
        return str(p) if p.is_file() and os.access(p, os.X_OK) else None
    return shutil.which(value)


def find_tool(name: str) -> str:
    """The path of ``ffmpeg`` or ``ffprobe``.

    ``BRIEFING_FFMPEG`` / ``BRIEFING_FFPROBE`` override the search. When only ``BRIEFING_FFMPEG``
    is set, ffprobe is looked for beside it first. Otherwise the tool is found on PATH.
    Raises :class:`ToolNotFound` with install instructions.
    """
    if name not in TOOLS:
        raise ValueError(f"unknown tool {name!r}; expected one of {TOOLS}")
    var = _env_var(name)
    configured = os.environ.get(var, "").strip()
    if configured:
        found = _resolve(configured)
        if found is None:
            raise ToolNotFound(name, configured=configured, env_var=var)
        return found
    if name == "ffprobe":
        sibling = os.environ.get(_env_var("ffmpeg"), "").strip()
        if sibling:
            candidate = Path(sibling).expanduser().with_name("ffprobe")
            found = _resolve(str(candidate))
            if found:
                return found
    found = shutil.which(name)
    if found is None:
        raise ToolNotFound(name, env_var=var)
    return found


def compile_graph(stream: Any, *, loglevel: str = "error", overwrite: bool = True) -> list[str]:
    """Compile an ffmpeg-python output graph into an argv list for :func:`run`."""
    global_args = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", loglevel]
    stream = stream.global_args(*global_args)
    if overwrite:
        stream = stream.overwrite_output()
    return list(stream.compile(cmd=find_tool("ffmpeg")))


def _tail(stderr: str, n: int = STDERR_TAIL_LINES) -> list[str]:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-n:]


def run(
    argv: Sequence[str],
    *,
    path_for_errors: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    nice: int = 0,
) -> subprocess.CompletedProcess[bytes]:
    """Run an ffmpeg/ffprobe argv list; return the completed process (stdout/stderr as bytes).

    A bare ``ffmpeg``/``ffprobe`` as argv[0] is resolved with :func:`find_tool`. ``nice`` lowers its
    priority; 19 or more runs it on idle cycles only (SCHED_IDLE, through chrt where there is one).
    A non-zero exit or a timeout raises :class:`FFmpegError` naming ``path_for_errors``
    and keeping the last stderr lines. The tool dies with the calling process, even when that is killed
    with SIGKILL (:func:`_dying_with_parent`): a killed ``briefing process`` leaves no encoder behind.
    """
    argv = [str(a) for a in argv]
    if not argv:
        raise ValueError("empty argv")
    tool = Path(argv[0]).name
    if argv[0] in TOOLS:
        argv[0] = find_tool(argv[0])
    if nice >= 19 and shutil.which("chrt"):  # SCHED_IDLE: only cycles nobody else wants
        argv = [shutil.which("chrt") or "chrt", "--idle", "0", *argv]
    elif nice and shutil.which("nice"):  # lower priority: give way to work sharing the same cores
        argv = [shutil.which("nice") or "nice", "-n", str(nice), *argv]
    where = str(path_for_errors) if path_for_errors is not None else None
    subject = where or "its input"
    exec_argv, preexec = _dying_with_parent(argv)
    try:
        proc = subprocess.run(  # the only subprocess call in recorder/
            exec_argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
            preexec_fn=preexec,
        )
    except FileNotFoundError:
        if tool in TOOLS:
            raise ToolNotFound(tool, env_var=_env_var(tool)) from None
        raise ToolNotFound(argv[0], hint="install it or check the path") from None
    except subprocess.TimeoutExpired as exc:
        stderr = (exc.stderr or b"").decode("utf-8", "replace")
        raise FFmpegError(
            f"{tool} timed out after {timeout:g} s on {subject}",
            hint="check the file is a finite local recording, or raise the timeout",
            path=where,
            stderr_tail=_tail(stderr),
            argv=argv,
        ) from None
    stderr = proc.stderr.decode("utf-8", "replace") if proc.stderr else ""
    if _NO_SPACE in stderr:  # the disk is full (ffmpeg may even exit 0): say so, never "re-record it"
        out = _output_of(argv)
        place = f" {out}" if out else ""
        folder = str(Path(out).parent) if out else "the output's directory"
        raise FFmpegError(
            f"the disk is full: {tool} could not write{place} (No space left on device)",
            hint=f"free space on the disk holding {folder} (df -h {folder}) and run the same command again",
            path=out or where,
            stderr_tail=_tail(stderr),
            returncode=proc.returncode,
            argv=argv,
        )
    if proc.returncode != 0:
        tail = _tail(stderr)
        last = tail[-1] if tail else f"exit status {proc.returncode}"
        raise FFmpegError(
            f"{tool} failed on {subject}: {last}",
            hint="check the file plays in a media player; re-export or re-record it if not",
            path=where,
            stderr_tail=tail,
            returncode=proc.returncode,
            argv=argv,
        )
    return proc


_NO_SPACE = "No space left on device"  # strerror(ENOSPC), as ffmpeg prints it

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_prctl: Any = None  # libc's prctl, resolved in the parent (never looked up between fork and exec)


def _dying_with_parent(argv: list[str]) -> tuple[list[str], Callable[[], Any] | None]:
    """How to start ``argv`` so that the kernel kills it (SIGKILL, Linux's parent-death signal) when the
    calling process dies, however it dies. ``(argv to execute, preexec_fn)``.

    Through util-linux's ``setpriv --pdeathsig KILL`` where there is one: it sets the signal and execs
    the tool (the signal is kept across exec), so no Python code runs in the child between fork and
    exec — safe in a process with threads. Without setpriv: a preexec_fn that is one call of libc's
    prctl, resolved beforehand (it imports and looks up nothing in the child; CPython still runs its own
    after-fork handlers there whenever a preexec_fn is given, which is why setpriv comes first).
    Elsewhere (not Linux, no libc): started as before. The signal follows the *thread* that started the
    child; :func:`run` waits for it in that thread, so the thread outlives it. (:func:`spawn` keeps its
    own preexec_fn: its child also needs SIGINT/SIGTERM reset, which a background parent may ignore.)
    A parent killed in the instant between the fork and the prctl still leaves its child behind."""
    global _prctl
    if not sys.platform.startswith("linux") or shutil.which(argv[0]) is None:
        return argv, None  # a missing program: Popen's FileNotFoundError says so, as before
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, "--pdeathsig", "KILL", "--", *argv], None
    if _prctl is None:
        try:
            import ctypes

            _prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            _prctl = False
    if not _prctl:
        return argv, None
    return argv, functools.partial(_prctl, _PR_SET_PDEATHSIG, int(signal.SIGKILL))


def _output_of(argv: Sequence[str]) -> str | None:
    """The output file of an ffmpeg command line (its last argument), if it names one."""
    last = str(argv[-1]) if argv else ""
    if not last or last.startswith("-") or last == "pipe:" or ":" in last.split("/")[0]:
        return None
    return last


_versions: dict[str, str] = {}


def version(name: str = "ffmpeg") -> str:
    """The version of ffmpeg (or ffprobe), e.g. ``"5.1.6-0+deb12u1"`` — for provenance records."""
    path = find_tool(name)
    if path not in _versions:
        out = run([path, "-hide_banner", "-version"]).stdout.decode("utf-8", "replace")
        first = out.splitlines()[0] if out else ""
        parts = first.split()
        # "ffmpeg version 5.1.6-0+deb12u1 Copyright ..."
        _versions[path] = parts[2] if len(parts) >= 3 and parts[1] == "version" else first.strip()
    return _versions[path]


def _die_with_parent() -> None:  # runs in the child between fork and exec (Linux only)
    try:
        import ctypes
        import signal

        for sig in (signal.SIGINT, signal.SIGTERM):  # a parent started in the background may ignore them
            signal.signal(sig, signal.SIG_DFL)
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort; other systems rely on the caller's cleanup
        pass


def spawn(
    argv: Sequence[str],
    *,
    log_path: str | os.PathLike[str] | None = None,
    die_with_parent: bool = True,
    stdin_pipe: bool = False,
) -> subprocess.Popen[bytes]:
    """Start a long-running ffmpeg (live capture) and return the process; stderr goes to ``log_path``.

    With ``die_with_parent`` the child gets SIGTERM when the calling process dies (even by SIGKILL),
    so a killed capture never leaves an orphan ffmpeg writing into the same directory.
    With ``stdin_pipe`` the caller feeds the process through ``proc.stdin`` (a progressive encode).
    """
    argv = [str(a) for a in argv]
    if argv[0] in TOOLS:
        argv[0] = find_tool(argv[0])
    log = open(log_path, "ab") if log_path is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(  # the long-running counterpart of run()
            argv,
            stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            preexec_fn=_die_with_parent if die_with_parent and os.name == "posix" else None,
        )
    except FileNotFoundError:
        raise ToolNotFound(Path(argv[0]).name, env_var=_env_var("ffmpeg")) from None
    finally:
        if not isinstance(log, int):  # a file we opened, not subprocess.DEVNULL
            log.close()
