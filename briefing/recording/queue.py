"""The processing queue of recordings (``recording_jobs``), and starting the ``briefing`` command detached.

Each thing to process is a row of ``recording_jobs`` whose key makes queueing the same recording twice a
no-op; the worker (:mod:`briefing.recording.worker`) takes them in order of priority, then of queueing
(:func:`pending`): a recording of the day (:data:`NOW`) before the rest of a backfill (:data:`BACKFILL`).
``jibri-finalize``, ``record stop`` and ``briefing daily`` start the worker (or a capture) as a separate
``briefing`` process, detached from the caller, so they return at once.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefing.core.config import Settings
from briefing.core.errors import ConfigError
from briefing.core.results import Result
from briefing.core.store import Store, now_iso

# Paths of files in the home are stored relative to it (as the store keeps artifacts, migration 41 for
# rows written before) and given back absolute in the home the store is opened in: a copied, moved or
# restored home works on its own recordings only.
_PATH_KEYS = ("recording", "page")  # the paths of a job's result (a recording's meta has "original")
NOW = 0  # priority of a recording of the day (Jibri, a capture, `briefing ingest`)
BACKFILL = 1  # priority of a past recording `briefing backfill` registered


def stored(store: Store, value: Any) -> Any:
    return store.rel(value) if isinstance(value, str) and value else value


def shown(store: Store, value: Any) -> Any:
    if not isinstance(value, str) or not value or "://" in value:
        return value
    return store.abs(value)


def row(store: Store, r: Any) -> dict[str, Any]:
    d = dict(r)
    if "meta" in d:
        d["meta"] = json.loads(d["meta"] or "{}")
        if "original" in d["meta"]:
            d["meta"]["original"] = shown(store, d["meta"]["original"])
    if "result" in d:
        d["result"] = json.loads(d["result"] or "{}")
        for k in _PATH_KEYS:
            if k in d["result"]:
                d["result"][k] = shown(store, d["result"][k])
    if "path" in d:
        d["path"] = shown(store, d["path"])
    if d.get("source") and d.get("method") != "capture":  # an ingested file or session directory
        d["source"] = shown(store, d["source"])
    return d


# -- the queue -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Job(Result):
    """A queued recording (a row of ``recording_jobs``), paths absolute in this home."""

    id: int
    briefing_id: str
    key: str
    path: str  # media file or Jibri session directory
    status: str  # queued | running | done | failed
    attempts: int
    error: str | None
    result: dict[str, Any]  # what the worker made of it: recording, ran, page
    created_at: str
    updated_at: str
    priority: int = NOW  # NOW before BACKFILL


def enqueue(store: Store, bid: str, path: Path | str, *, key: str | None = None, priority: int = NOW) -> Job:
    """Queue a recording (file or Jibri session directory) for processing; the same key is queued once (at
    the more urgent of the priorities it was queued with)."""
    path = store.rel(Path(path).resolve())  # relative to the home when inside it
    key = key or f"{bid}:{path}"
    ts = now_iso()
    with store.tx() as db:
        db.execute(
            """INSERT INTO recording_jobs (briefing_id, key, path, status, created_at, updated_at, priority)
                      VALUES (?, ?, ?, 'queued', ?, ?, ?)
               ON CONFLICT(key) DO UPDATE SET priority = min(priority, excluded.priority)""",
            (bid, key, path, ts, ts, priority),
        )
    return Job.from_row(row(store, store.query("SELECT * FROM recording_jobs WHERE key = ?", (key,))[0]))


def jobs(
    store: Store, *, bid: str | None = None, status: str | tuple[str, ...] | None = None, order: str = "id"
) -> list[Job]:
    """The jobs (of one briefing; with a status, or any of several), ordered by the columns ``order``."""
    sql, params = "SELECT * FROM recording_jobs WHERE 1=1", []
    if bid:
        sql += " AND briefing_id = ?"
        params.append(bid)
    if status:
        wanted = (status,) if isinstance(status, str) else status
        sql += f" AND status IN ({', '.join('?' * len(wanted))})"
        params += wanted
    return [Job.from_row(row(store, r)) for r in store.query(f"{sql} ORDER BY {order}", tuple(params))]


def pending(store: Store, *, bid: str | None = None) -> list[Job]:
    """The jobs still to process (queued, or left running by a worker that died), in the order a worker
    takes them: priority (the recordings of the day first), then the order they were queued in."""
    return jobs(store, bid=bid, status=("queued", "running"), order="priority, id")


def set_job(store: Store, jid: int, **cols: Any) -> None:
    if "result" in cols:
        result = dict(cols["result"])
        for k in _PATH_KEYS:
            if k in result:
                result[k] = stored(store, result[k])
        cols["result"] = json.dumps(result, ensure_ascii=False, default=str)
    cols["updated_at"] = now_iso()
    sets = ", ".join(f"{k} = ?" for k in cols)
    with store.tx() as db:
        db.execute(f"UPDATE recording_jobs SET {sets} WHERE id = ?", (*cols.values(), jid))


def briefing_command() -> list[str]:
    """The installed ``briefing`` entry point of this Python (the one running now), as an argv prefix."""
    beside = Path(sys.executable).with_name("briefing")
    found = str(beside) if beside.is_file() else shutil.which("briefing")
    if not found:
        raise ConfigError(
            "the `briefing` command is not installed beside this Python",
            hint="install the project (pip install -e .) in the environment that runs briefing",
        )
    return [found]


def spawn(settings: Settings, args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``briefing --home HOME -q ARGS`` detached (own session, no terminal), its output to ``log_path``."""
    argv = [*briefing_command(), "--home", str(settings.home), "-q", *args]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, cwd=str(settings.home)
        )


def spawn_work(settings: Settings) -> int:
    """Start `briefing work` detached (own session, no terminal), so the caller can return at once."""
    return spawn(settings, ["work"], settings.home / "work.log").pid
