"""One process per briefing: a second command for a briefing that is being worked on waits for it or says
who holds it; a lock left by a process killed with -9 is taken over. Real processes, held at a named
point by the pause hook (no sleeps, no timing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from briefing.core import faults, locks
from briefing.core.config import load_settings
from briefing.core.store import Briefing, Store
from tests.recorder import media

REPO = Path(__file__).resolve().parents[2]
BRIEFING = [sys.executable, "-c", "import cli; cli.main()"]
BID = "2026-11-25-locked"


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def start_holder(*args: str) -> subprocess.Popen[str]:
    """A `briefing` command stopped right after it took the briefing's lock (it says so on stderr)."""
    proc = subprocess.Popen(
        [*BRIEFING, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=_env(**{faults.PAUSE_ENV: "locked"}),
    )
    seen = []
    assert proc.stderr is not None
    for line in proc.stderr:  # blocks until the line comes, or the process ends
        seen.append(line)
        if line.startswith("paused at locked"):
            return proc
    proc.wait()
    raise AssertionError(f"{args} never took the lock (exit {proc.returncode}): {''.join(seen)}")


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BRIEFING, *args], capture_output=True, text=True, cwd=REPO, timeout=120, env=_env(**env))


def kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)


def waits_then_goes_on(holder: subprocess.Popen[str], *args: str) -> subprocess.Popen[str]:
    """Start `briefing ARGS` while ``holder`` holds the briefing: it says it waits for the holder (bounded
    by lock.wait); then ``holder`` is killed. Returns the waiter, whose stdout and rest of stderr are
    still to read (``communicate``)."""
    waiter = subprocess.Popen(
        [*BRIEFING, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=_env(BRIEFING_LOCK_WAIT="600"),
    )
    assert waiter.stderr is not None
    line = waiter.stderr.readline()
    assert line.strip() == f"waiting: briefing {BID} is being processed (pid {holder.pid})"
    kill(holder)
    return waiter


def test_second_command_is_refused_while_the_first_holds_the_briefing(
    tmp_path: Path, briefing_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tone = media.make_sine(tmp_path / "tone.wav", duration=2.0)
    proc_args = ("process", str(tone), "--title", "Locked", "--date", "2026-11-25", "--language", "en")
    settings = load_settings()
    Store(settings.store_path).save_briefing(Briefing(id=BID, title="Locked", date="2026-11-25"))
    first = start_holder(*proc_args)
    try:
        lock_file = briefing_env / "briefings" / BID / ".lock"
        assert locks.holder(lock_file) == first.pid
        srt = tmp_path / "fix.srt"
        srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nHello\n", encoding="utf-8")
        for args in (
            proc_args,
            ("transcribe", BID),
            ("summarize", BID),
            ("publish", BID),
            ("correct", BID, "--file", str(srt)),
        ):
            p = run(*args, BRIEFING_LOCK_WAIT="0")
            err = p.stderr.strip()
            assert p.returncode == 75, (args, p.returncode, err)
            assert err.splitlines() == [
                f"error: briefing {BID} is being processed (pid {first.pid}) — wait until "
                "it has finished, then run the command again"
            ], (args, err)
        # the queue worker leaves the job of a busy briefing queued (for the next worker), not failed
        from briefing.recording import queue, worker

        monkeypatch.setenv("BRIEFING_LOCK_WAIT", "0")
        store = Store(settings.store_path)
        job = queue.enqueue(store, BID, tone)
        res = worker.work(store, load_settings())
        assert [f.id for f in res.failed] == [job.id] and "being processed" in res.failed[0].error
        assert [j.status for j in queue.jobs(store, bid=BID)] == ["queued"]
        assert first.poll() is None  # the first run was not disturbed
    finally:
        kill(first)


def test_lock_of_a_killed_process_is_taken_over_and_a_waiter_goes_on(tmp_path: Path, briefing_env: Path) -> None:
    tone = media.make_sine(tmp_path / "tone.wav", duration=2.0)
    proc_args = ("process", str(tone), "--title", "Locked", "--date", "2026-11-25", "--language", "en")
    settings = load_settings()
    Store(settings.store_path).save_briefing(Briefing(id=BID, title="Locked", date="2026-11-25"))
    first = start_holder(*proc_args)
    kill(first)  # kill -9: no cleanup; the lock file stays behind, naming the dead process
    lock_file = briefing_env / "briefings" / BID / ".lock"
    assert locks.holder(lock_file) == first.pid

    second = start_holder(*proc_args)  # takes it over at once
    try:
        assert locks.holder(lock_file) == second.pid
        # a third command waits for the second (bounded), and goes on when the second is gone
        waiter = waits_then_goes_on(second, "transcribe", BID)
        _, rest = waiter.communicate(timeout=120)
        # past the lock: it now says what is really missing (the speech was never extracted)
        assert waiter.returncode != 0 and "being processed" not in rest and "has no speech yet" in rest, rest
        assert "Traceback" not in rest
    finally:
        kill(second)


def test_lock_is_reentrant_in_one_process_and_released_after(briefing_env: Path) -> None:
    settings = load_settings()
    with locks.briefing_lock(settings, BID, wait=0):
        with locks.briefing_lock(settings, BID, wait=0):  # process → publish in the same process
            pass
        # another open file description of the same lock (as another process would have) is refused
        import fcntl

        fd = os.open(locks.lock_path(settings, BID), os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    with locks.briefing_lock(settings, BID, wait=0):
        pass
    assert locks.holder(locks.lock_path(settings, BID)) == os.getpid()


# -- archive create and prune take the briefing's lock too ----------------------------------------------
def _archived(bid: str, *, date: str) -> None:
    """A processed briefing, archived and verified, its working files due to be freed (0 working days)."""
    from briefing.records import archive
    from tests.briefing.helpers_archive import env
    from tests.factory import processed_vi

    settings, store = env()
    processed_vi(settings, store, bid, date=date)
    archive.create(store, settings, bid)
    store.close()
    (settings.home / "briefing.toml").write_text("[retention.standard]\nworking_days = 0\n")


def _working_files(bid: str) -> set[str]:
    settings = load_settings()
    store = Store(settings.store_path)
    try:
        return {r for r, a in store.artifacts(bid).items() if Path(a.path).is_file()}
    finally:
        store.close()


def test_archive_and_prune_of_a_briefing_being_processed_wait_or_say_who_holds_it(briefing_env: Path) -> None:
    import json

    other = "2026-11-24-archived"
    _archived(BID, date="2026-11-25")
    _archived(other, date="2026-11-24")
    before = _working_files(BID)
    assert {"source", "speech", "video", "audio"} <= before

    first = start_holder("publish", BID)
    try:
        busy = (
            f"error: briefing {BID} is being processed (pid {first.pid}) — wait until it has finished, then "
            "run the command again"
        )
        for args in (
            ("archive", "create", BID, "--force"),
            ("archive", BID, "--force"),
            ("prune", BID),
            ("prune", BID, "--dry-run"),
        ):
            p = run(*args, BRIEFING_LOCK_WAIT="0")
            assert p.returncode == 75, (args, p.returncode, p.stderr)
            assert p.stderr.strip().splitlines() == [busy], (args, p.stderr)
        assert _working_files(BID) == before  # nothing freed under the running command

        # prune of every briefing: the one being processed is kept, and said; the others are pruned
        p = run("prune", "--json")
        assert p.returncode == 0, p.stderr
        res = json.loads(p.stdout)
        assert {f["briefing_id"] for f in res["freed"]} == {other}
        assert {
            "briefing_id": BID,
            "reason": f"being processed (pid {first.pid}); run `briefing prune` again once it has finished",
        } in res["kept"]
        p = run("prune")
        assert p.returncode == 0, p.stderr
        assert (
            f"kept {BID}: being processed (pid {first.pid}); run `briefing prune` again once it has finished"
            in p.stdout.splitlines()
        ), p.stdout
        assert _working_files(BID) == before

        # a prune of it waits for the command (bounded by lock.wait), then goes on
        waiter = waits_then_goes_on(first, "prune", BID, "--json")
        out, rest = waiter.communicate(timeout=120)
        assert waiter.returncode == 0, rest
        assert {f["role"] for f in json.loads(out)["freed"]} >= {"source", "video"}
        assert not {"source", "video"} & _working_files(BID)
    finally:
        kill(first)


@pytest.mark.parametrize("holder", [("prune", BID), ("archive", "create", BID, "--force")])
def test_a_briefing_being_archived_or_pruned_is_not_processed_meanwhile(
    briefing_env: Path, holder: tuple[str, ...]
) -> None:
    _archived(BID, date="2026-11-25")
    before = _working_files(BID)
    first = start_holder(*holder)  # it holds the briefing's lock (on main it never took it)
    try:
        assert locks.holder(briefing_env / "briefings" / BID / ".lock") == first.pid
        for args in (("publish", BID), ("transcribe", BID), ("prune", BID), ("archive", "create", BID)):
            p = run(*args, BRIEFING_LOCK_WAIT="0")
            assert p.returncode == 75 and f"briefing {BID} is being processed (pid {first.pid})" in p.stderr, (
                args,
                p.returncode,
                p.stderr,
            )
        assert _working_files(BID) == before
    finally:
        kill(first)
