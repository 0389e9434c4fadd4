"""recorder.ffmpeg: finding the tools, running them, converting failures; package hygiene."""

from __future__ import annotations

import ast
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recorder import ffmpeg
from recorder.errors import FFmpegError, MediaError, RecorderError, ToolNotFound
from recorder.normalize import extract_speech_audio
from recorder.probe import probe
from tests.recorder import media

RECORDER = Path(__file__).resolve().parents[2] / "recorder"


def test_find_tool_on_path(monkeypatch):
    monkeypatch.delenv("BRIEFING_FFMPEG", raising=False)
    monkeypatch.delenv("BRIEFING_FFPROBE", raising=False)
    assert Path(ffmpeg.find_tool("ffmpeg")).name == "ffmpeg"
    assert Path(ffmpeg.find_tool("ffprobe")).name == "ffprobe"


def test_env_override_points_to_missing_binary(monkeypatch, tmp_path):
    missing = tmp_path / "bin" / "ffmpeg"
    monkeypatch.setenv("BRIEFING_FFMPEG", str(missing))
    with pytest.raises(ToolNotFound) as exc:
        ffmpeg.find_tool("ffmpeg")
    msg = str(exc.value)
    assert "\n" not in msg and str(missing) in msg and "BRIEFING_FFMPEG" in msg
    assert isinstance(exc.value, RecorderError) and exc.value.hint


def test_missing_ffmpeg_fails_the_stage(monkeypatch, tmp_path):
    src = media.make_sine(tmp_path / "tone.wav", duration=0.5)
    monkeypatch.setenv("BRIEFING_FFMPEG", str(tmp_path / "no-such-ffmpeg"))
    with pytest.raises(ToolNotFound):
        extract_speech_audio(src, tmp_path / "speech.wav")
    assert not (tmp_path / "speech.wav").exists()
    assert not list(tmp_path.glob("*partial*"))


def test_missing_ffprobe_fails_probe(monkeypatch, tmp_path):
    src = media.make_sine(tmp_path / "tone.wav", duration=0.5)
    monkeypatch.setenv("BRIEFING_FFPROBE", str(tmp_path / "no-such-ffprobe"))
    with pytest.raises(ToolNotFound):
        probe(src)


def test_not_on_path_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv("BRIEFING_FFMPEG", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolNotFound) as exc:
        ffmpeg.find_tool("ffmpeg")
    msg = str(exc.value)
    assert msg.startswith("ffmpeg not found")
    assert "apt-get install ffmpeg" in msg and "brew install ffmpeg" in msg and "BRIEFING_FFMPEG" in msg


def test_env_override_used_and_ffprobe_found_beside_it(monkeypatch, tmp_path):
    real = ffmpeg.find_tool("ffmpeg")
    real_probe = ffmpeg.find_tool("ffprobe")
    bindir = tmp_path / "opt"
    bindir.mkdir()
    (bindir / "ffmpeg").symlink_to(real)
    (bindir / "ffprobe").symlink_to(real_probe)
    monkeypatch.setenv("BRIEFING_FFMPEG", str(bindir / "ffmpeg"))
    monkeypatch.delenv("BRIEFING_FFPROBE", raising=False)
    assert ffmpeg.find_tool("ffmpeg") == str(bindir / "ffmpeg")
    assert ffmpeg.find_tool("ffprobe") == str(bindir / "ffprobe")


def test_non_executable_override(monkeypatch, tmp_path):
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(stat.S_IRUSR | stat.S_IWUSR)
    monkeypatch.setenv("BRIEFING_FFMPEG", str(fake))
    with pytest.raises(ToolNotFound):
        ffmpeg.find_tool("ffmpeg")


def test_run_failure_keeps_stderr_tail(tmp_path):
    bad = media.make_text_file(tmp_path / "junk.wav", "RIFF nonsense " * 20)
    with pytest.raises(FFmpegError) as exc:
        ffmpeg.run(["ffmpeg", "-hide_banner", "-i", str(bad), "-f", "null", "-"], path_for_errors=bad)
    err = exc.value
    assert isinstance(err, MediaError)
    assert 1 <= len(err.stderr_tail) <= ffmpeg.STDERR_TAIL_LINES
    assert str(bad) in str(err) and "\n" not in str(err)
    assert err.returncode and err.path == str(bad)
    assert err.argv[0] == ffmpeg.find_tool("ffmpeg")


def test_run_timeout(tmp_path):
    argv = ["ffmpeg", "-hide_banner", "-re", "-f", "lavfi", "-i", "anullsrc", "-t", "30", "-f", "null", "-"]
    with pytest.raises(FFmpegError) as exc:
        ffmpeg.run(argv, timeout=0.5)
    assert "timed out" in str(exc.value)


_RUN_IN_A_THREAD = """
import sys, threading
from recorder import ffmpeg
argv = ["ffmpeg", "-hide_banner", "-nostdin", "-i", sys.argv[1], "-f", "null", "-"]
threading.Thread(target=ffmpeg.run, args=(argv,), daemon=True).start()  # as the video stage runs it
threading.Event().wait()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("how", ["setpriv", "prctl"])
def test_run_child_dies_with_its_parent_killed_with_sigkill(how, tmp_path):
    """ffmpeg started by run() (from a thread) ends when its process is killed with -9: through setpriv
    where there is one, else through one prctl call in the child. ffmpeg waits on a FIFO nobody writes
    to, so it is running, deterministically, until something ends it."""
    from tests import procfs

    fifo = tmp_path / "never-written.wav"
    os.mkfifo(fifo)
    env = {**os.environ, "PYTHONPATH": str(RECORDER.parent)}
    if how == "prctl":  # a PATH without setpriv: the tools only
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        for tool in ("ffmpeg", "ffprobe"):
            (bin_dir / tool).symlink_to(ffmpeg.find_tool(tool))
        env["PATH"] = str(bin_dir)
    else:
        assert shutil.which("setpriv"), "util-linux's setpriv is not installed"
    proc = subprocess.Popen(
        [sys.executable, "-c", _RUN_IN_A_THREAD, str(fifo)], env=env, stderr=subprocess.PIPE, text=True
    )
    child = None
    try:
        deadline = time.monotonic() + 60
        while child is None and time.monotonic() < deadline and proc.poll() is None:
            found = [pid for pid, argv in procfs.children(proc.pid) if argv and Path(argv[0]).name == "ffmpeg"]
            child = found[0] if found else None
            if child is None:
                time.sleep(0.01)
        assert child is not None, f"ffmpeg never started: {proc.poll()} {proc.stderr.read() if proc.poll() else ''}"
        proc.kill()
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while procfs.alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not procfs.alive(child), f"ffmpeg {child} outlived its parent {proc.pid} ({how})"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
        if child is not None and procfs.alive(child):
            os.kill(child, signal.SIGKILL)


def test_version():
    v = ffmpeg.version()
    assert v and any(ch.isdigit() for ch in v) and " " not in v


def test_find_tool_rejects_unknown_name():
    with pytest.raises(ValueError):
        ffmpeg.find_tool("sox")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_recorder_imports_nothing_of_the_project():
    for path in RECORDER.rglob("*.py"):
        assert not _imports(path) & {"briefing", "transcribe", "publish", "cli", "click"}, path


def test_only_ffmpeg_module_runs_subprocesses():
    for path in RECORDER.rglob("*.py"):
        if path.name == "ffmpeg.py":
            continue
        imported = _imports(path)
        assert "subprocess" not in imported, path
        text = path.read_text()
        assert "os.system(" not in text and "os.popen(" not in text, path
        assert ".run_async(" not in text and "ffmpeg_graph.run(" not in text and ".run(cmd" not in text, path


def test_subprocess_never_uses_a_shell():
    assert "shell=True" not in (RECORDER / "ffmpeg.py").read_text()


def test_no_stray_env(monkeypatch):
    # The suite itself must not depend on the override being set.
    assert os.environ.get("BRIEFING_FFMPEG", "") == "" or Path(os.environ["BRIEFING_FFMPEG"]).exists()
