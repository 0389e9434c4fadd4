"""The worker: processes the queued recordings, one worker per home at a time (``briefing work``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from briefing.core import workspace
from briefing.core.config import Settings
from briefing.core.errors import BriefingError
from briefing.core.locks import BriefingBusy, FileLock
from briefing.core.results import Result
from briefing.core.store import Store
from briefing.processing import pipeline
from briefing.recording import queue, record


@dataclass(frozen=True)
class JobDone(Result):
    """A job the worker processed: the recording copied in, the stages that ran, the page."""
    id: int
    briefing: str
    recording: str | None
    ran: list[str]
    page: str


@dataclass(frozen=True)
class JobFailed(Result):
    id: int
    briefing: str
    error: str


@dataclass
class WorkResult(Result):
    done: list[JobDone] = field(default_factory=list)
    failed: list[JobFailed] = field(default_factory=list)
    busy: bool = False  # another worker holds the queue


def work(store: Store, settings: Settings, *, bid: str | None = None, reporter: Any = None,
         process: Callable[..., Any] | None = None) -> WorkResult:
    """Process queued recordings (one worker at a time; a second returns at once with busy=True).

    A job left ``running`` by a worker that died is picked up again: every stage is idempotent. A job
    whose briefing another command is working on stays queued, for the next worker.
    """
    lock = FileLock(workspace.home_lock(settings, "work"))
    if not lock.try_acquire():
        return WorkResult(busy=True)
    result = WorkResult()
    try:
        todo = [j for j in queue.jobs(store, bid=bid) if j.status in ("queued", "running")]
        for job in todo:
            queue.set_job(store, job.id, status="running", attempts=job.attempts + 1, error=None)
            try:
                out = _run_job(store, settings, job, reporter=reporter, process=process)
            except BriefingBusy as exc:  # another command works on the briefing: left for the next worker
                queue.set_job(store, job.id, status="queued", error=str(exc))
                result.failed.append(JobFailed(job.id, job.briefing_id, str(exc)))
                continue
            except BriefingError as exc:
                queue.set_job(store, job.id, status="failed", error=str(exc))
                result.failed.append(JobFailed(job.id, job.briefing_id, str(exc)))
                continue
            queue.set_job(store, job.id, status="done", result=out)
            result.done.append(JobDone(job.id, job.briefing_id, **out))
    finally:
        lock.release()
    return result


def _run_job(store: Store, settings: Settings, job: queue.Job, *, reporter: Any,
             process: Callable[..., Any] | None) -> dict[str, Any]:
    bid = job.briefing_id
    path = Path(job.path)
    rec = record.ingest(store, settings, bid, path, queue=False)
    b = store.briefing(bid)
    run = process or pipeline.process
    assert rec.path is not None  # an ingested recording has its copy
    res = run(store, settings, Path(rec.path), title=b.title, date=b.date,
              language=None if b.language in ("", "auto") else b.language, speakers=tuple(b.speakers),
              reporter=reporter, bid=bid)
    return {"recording": rec.path, "ran": list(getattr(res, "ran", [])),
            "page": str(getattr(res, "page", "") or "")}

