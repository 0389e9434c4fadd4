"""The worker: processes the queued recordings, one worker per home at a time (``briefing work``).

With a ``[cluster]`` configured, speech extraction, recognition and web media run on the cluster's
workers: the speech extractions and transcriptions of the next ``cluster.ahead`` jobs are queued at once
(so every cluster worker has work), and each job is then finished here in turn, its stages recorded in
the store as in-process (the coordinator is the store's one writer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefing.cluster import conf as cluster_conf
from briefing.cluster import coordinator
from briefing.cluster import tasks as cluster_tasks
from briefing.core import workspace
from briefing.core.config import Settings
from briefing.core.errors import BriefingError
from briefing.core.locks import BriefingBusy, FileLock
from briefing.core.results import Result, optional
from briefing.core.store import Store
from briefing.processing import pipeline
from briefing.recording import queue, record
from briefing.records import archive as records_archive


@dataclass(frozen=True)
class JobDone(Result):
    """A job the worker processed: the recording copied in, the stages that ran, the page."""

    id: int
    briefing: str
    recording: str | None
    ran: list[str]
    page: str
    archived: bool | None = optional()  # with archive=True (backfill): whether a package was made now


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


def work(
    store: Store,
    settings: Settings,
    *,
    bid: str | None = None,
    reporter: Any = None,
    process: Callable[..., Any] | None = None,
    archive: bool = False,
    jobs: list[int] | None = None,
    follow: Callable[[int, int, int, str], None] | None = None,
) -> WorkResult:
    """Process queued recordings (one worker at a time; a second returns at once with busy=True).

    The queue is read again after each job, so a recording queued while this runs (one finalized by
    Jibri, the day's briefing during a backfill) is taken by this run, and in priority order: the
    recordings of the day before the rest of a backfill. ``jobs`` (a backfill's) restricts the run to
    those jobs and the recordings of the day; ``bid`` to that briefing's jobs.

    A job left ``running`` by a worker that died is picked up again: every stage is idempotent. A job
    whose briefing another command is working on stays queued, for the next worker. ``follow(done,
    failed, total, briefing)`` is told at the start and after each job (the progress of the recordings).
    """
    lock = FileLock(workspace.home_lock(settings, "work"))
    if not lock.try_acquire():
        return WorkResult(busy=True)
    result = WorkResult()
    tried: set[int] = set()  # each job once per run (one left queued because its briefing was busy too)

    def todo() -> list[queue.Job]:
        return [
            j
            for j in queue.pending(store, bid=bid)
            if j.id not in tried and (jobs is None or j.id in jobs or j.priority == queue.NOW)
        ]

    try:
        coord = coordinator.Coordinator(settings) if process is None and cluster_conf.configured(settings) else None
        if coord is not None:
            coord.sweep()  # what a killed run left in the cluster storage, and results past cluster.keep
        ahead: set[int] = set()

        def tell(left: list[queue.Job]) -> None:
            if follow is not None:
                n = len(result.done) + len(result.failed)
                follow(len(result.done), len(result.failed), n + len(left), left[0].briefing_id if left else "")

        left = todo()
        tell(left)
        while left:
            job = left[0]
            tried.add(job.id)
            if coord is not None:
                _prefetch(
                    store, settings, coord, left[: max(cluster_conf.ClusterSettings.of(settings).ahead, 1)], ahead
                )
            queue.set_job(store, job.id, status="running", attempts=job.attempts + 1, error=None)
            try:
                out = _run_job(store, settings, job, reporter=reporter, process=process, coord=coord)
                if archive:
                    rec = records_archive.create(store, settings, job.briefing_id, bagger=_bagger(coord, job))
                    out["archived"] = bool(rec.created)
            except BriefingBusy as exc:  # another command works on the briefing: left for the next worker
                queue.set_job(store, job.id, status="queued", error=str(exc))
                result.failed.append(JobFailed(job.id, job.briefing_id, str(exc)))
            except BriefingError as exc:
                queue.set_job(store, job.id, status="failed", error=str(exc))
                result.failed.append(JobFailed(job.id, job.briefing_id, str(exc)))
            else:
                queue.set_job(store, job.id, status="done", result=out)
                result.done.append(JobDone(job.id, job.briefing_id, **out))
            finally:
                if coord is not None:  # its objects leave the cluster storage (unless another job uses them)
                    coord.release(job.briefing_id)
            left = todo()
            tell(left)
    finally:
        lock.release()
    return result


def _bagger(coord: coordinator.Coordinator | None, job: queue.Job) -> records_archive.Bagger | None:
    """With a cluster, the archive package's bag is made by a worker (the coordinator checks and stores it)."""
    if coord is None:
        return None
    return lambda staging, items, info: coord.bag(staging, items, info, label=job.briefing_id)


def _prefetch(
    store: Store, settings: Settings, coord: coordinator.Coordinator, window: list[queue.Job], ahead: set[int]
) -> None:
    """Queue on the cluster the speech extractions and transcriptions of the jobs in ``window`` not queued
    yet. A job whose recording cannot be read is left to its turn, which reports it."""
    todo = []
    for job in window:
        if job.id in ahead:
            continue
        ahead.add(job.id)
        coord.priority[job.briefing_id] = _tasks_priority(job)
        try:
            rec = record.ingest(store, settings, job.briefing_id, Path(job.path), queue=False)
            b = store.briefing(job.briefing_id)
            prev = store.stage(b.id, "transcribe")
            if prev is not None and prev.status == "done" or rec.path is None:
                continue
            todo.append((Path(rec.path), None if b.language in ("", "auto") else b.language, b.id))
        except BriefingError:
            continue
    if todo:
        coord.prefetch(todo)


def _tasks_priority(job: queue.Job) -> int:
    """The priority of a job's tasks on the cluster: a recording of the day's before a backfill's."""
    return cluster_tasks.TODAY if job.priority == queue.NOW else cluster_tasks.BACKLOG


def _run_job(
    store: Store,
    settings: Settings,
    job: queue.Job,
    *,
    reporter: Any,
    process: Callable[..., Any] | None,
    coord: coordinator.Coordinator | None = None,
) -> dict[str, Any]:
    bid = job.briefing_id
    path = Path(job.path)
    rec = record.ingest(store, settings, bid, path, queue=False)
    b = store.briefing(bid)
    lang = None if b.language in ("", "auto") else b.language
    if coord is not None:  # recognition on the cluster, keyed by the queue's model settings
        assert rec.path is not None
        res = pipeline.process(
            store,
            coord.qsettings,
            Path(rec.path),
            title=b.title,
            date=b.date,
            language=lang,
            speakers=tuple(b.speakers),
            reporter=reporter,
            bid=bid,
            engine=coord.transcriber,
            media=lambda src, out, opts: coord.web_media(src, out, opts, label=bid),
            speech_audio=lambda src, dest: coord.speech_audio(src, dest, label=bid),
        )
        return {"recording": rec.path, "ran": list(res.ran), "page": str(res.page or "")}
    run = process or pipeline.process
    assert rec.path is not None  # an ingested recording has its copy
    res = run(
        store,
        settings,
        Path(rec.path),
        title=b.title,
        date=b.date,
        language=lang,
        speakers=tuple(b.speakers),
        reporter=reporter,
        bid=bid,
    )
    return {"recording": rec.path, "ran": list(getattr(res, "ran", [])), "page": str(getattr(res, "page", "") or "")}
