"""Ctrl-C stops a command cleanly however it was started, even from a shell that ignores SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.net import free_port

REPO = Path(__file__).resolve().parents[2]
# The child ignores SIGINT before it becomes `briefing`, as nohup, `cmd &` and some CI runners do: the
# test does not depend on how pytest itself was started.
IGNORING = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, '-c', 'import cli; cli.main()', *sys.argv[1:]])"
)


def _start_ignoring_sigint(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", IGNORING, *args],
        cwd=REPO,
        env=env,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _sigignored(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return int(line.split()[1], 16)
    return 0


def test_ctrl_c_stops_a_command_started_with_sigint_ignored(briefing_env: Path) -> None:
    env = {**os.environ, "BRIEFING_HOME": str(briefing_env), "PYTHONPATH": str(REPO)}
    port = free_port()
    proc = _start_ignoring_sigint("jitsi", "reservations", "serve", "--host", "127.0.0.1", "--port", str(port), env=env)
    try:
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:  # wait until the command is provably inside its work: serving
            lines.append(line)
            if "listening on http://127.0.0.1" in line:
                break
        assert any("listening on" in line for line in lines), "".join(lines)
        # briefing replaced the inherited SIG_IGN with a handler of its own
        assert not _sigignored(proc.pid) & (1 << (signal.SIGINT - 1))
        os.kill(proc.pid, signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest
    tail = [line for line in rest.splitlines() if line.strip()]
    assert tail and tail[-1] == "interrupted: run the same command again to finish the work"
    assert sum("interrupted" in line for line in tail) == 1


def test_the_wrapper_really_ignores_sigint(tmp_path: Path) -> None:
    """The premise of the test above: a child started this way inherits SIGINT ignored."""
    probe = (
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "os.execv(sys.executable, [sys.executable, '-c', "
        "'import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)'])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True"


def test_ctrl_c_in_the_middle_of_a_correction_keeps_nothing_half_done(briefing_env: Path, tmp_path: Path) -> None:
    """`briefing correct ID` waiting for $EDITOR: Ctrl-C stops it (130), no pending correction is kept."""
    from tests.factory import make_briefing

    bid = "2026-11-25-daily-briefing"
    store, _ = make_briefing(briefing_env, bid)
    store.close()
    editor = tmp_path / "editor.py"  # says it is open (with its pid), then waits to be killed
    editor.write_text(
        "import os, signal, sys\nprint(f'EDITOR-OPEN {os.getpid()}', flush=True)\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.pause()\n"
    )
    env = {
        **os.environ,
        "BRIEFING_HOME": str(briefing_env),
        "PYTHONPATH": str(REPO),
        "EDITOR": f"{sys.executable} {editor}",
        "VISUAL": f"{sys.executable} {editor}",
    }
    proc = _start_ignoring_sigint("correct", bid, env=env)
    editor_pid = 0
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("EDITOR-OPEN"):
                editor_pid = int(line.split()[1])
                break
        assert editor_pid, "the editor never opened"
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)  # briefing itself; the editor still holds the output pipe open
        os.kill(editor_pid, signal.SIGKILL)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if editor_pid:
            try:
                os.kill(editor_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest and rest.strip().splitlines()[-1].startswith("interrupted:")
    from briefing.core.store import Store

    assert not Store(briefing_env / "briefing.db").briefing(bid).meta.get("pending_correction")
