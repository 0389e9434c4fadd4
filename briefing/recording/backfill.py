"""``briefing backfill``: register many past recordings at once and queue them; and ``briefing cluster
status``: what the cluster and the queue are doing.

Recordings come from a directory (every media file in it, sorted by name; title from ``--title-pattern``,
date from the file name with ``--date-from-name``, else from the file's date) or from a CSV file with the
columns ``path,title,date,language,speakers`` (speakers separated by ``;``; a relative path is relative to
the CSV). Each is registered as a briefing and queued once, keyed by its briefing and SHA-256: running the
same backfill again registers and queues nothing twice."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from briefing.cluster import conf as cluster_conf
from briefing.cluster import view as cluster_view
from briefing.core.config import Settings
from briefing.core.errors import BriefingError, InputError
from briefing.core.results import Result
from briefing.core.store import Store
from briefing.processing import pipeline
from briefing.recording import queue, record

MEDIA = {".mp4", ".mkv", ".webm", ".mov", ".m4a", ".mp3", ".wav", ".flac", ".ogg", ".opus", ".aac"}
_DATE = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")


@dataclass
class Entry:
    path: Path
    title: str | None = None
    date: str | None = None
    language: str | None = None
    speakers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registered(Result):
    """A recording registered (now or by an earlier run) and its job in the queue."""

    path: str
    briefing: str
    job: int
    status: str


@dataclass(frozen=True)
class NotRegistered(Result):
    path: str
    error: str


@dataclass
class BackfillResult(Result):
    registered: list[Registered] = field(default_factory=list)  # newly queued
    already: list[Registered] = field(default_factory=list)  # queued by an earlier run
    failed: list[NotRegistered] = field(default_factory=list)

    @property
    def jobs(self) -> list[int]:
        return [r.job for r in (*self.registered, *self.already)]


@dataclass(frozen=True)
class JobState(Result):
    briefing: str
    job: int
    status: str  # done, running, waiting, failed
    attempts: int
    error: str | None


@dataclass(frozen=True)
class QueueStatus(Result):
    """The queue (per briefing), its throughput and the time left; the cluster's view when configured."""

    done: int
    running: int
    waiting: int
    failed: int
    total: int
    per_hour: float | None  # recordings per hour
    seconds_left: int | None
    briefings: list[JobState]
    cluster: cluster_view.ClusterView | None


def date_in_name(name: str) -> str | None:
    m = _DATE.search(name)
    if not m:
        return None
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3])).date().isoformat()
    except ValueError:
        return None


def _title(pattern: str | None, path: Path, date: str | None) -> str | None:
    if not pattern:
        return None
    words = " ".join(_DATE.sub(" ", path.stem).replace("_", " ").replace("-", " ").split())
    try:
        return pattern.format(name=words or path.stem, stem=path.stem, date=date or "")
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(
            f"bad --title-pattern {pattern!r} ({exc})",
            hint='use the fields {name}, {stem} and {date}, e.g. "Press briefing {date}"',
        ) from None


def entries(source: Path, *, title_pattern: str | None = None, date_from_name: bool = False) -> list[Entry]:
    source = Path(source)
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in MEDIA)
        if not files:
            raise InputError(
                f"{source} holds no recordings",
                hint="give a directory of media files (" + ", ".join(sorted(MEDIA)) + ") or a CSV",
            )
        out = []
        for p in files:
            d = date_in_name(p.name) if date_from_name else None
            if date_from_name and d is None:
                raise InputError(
                    f"no date (YYYY-MM-DD or YYYYMMDD) in the name of {p}",
                    hint="rename it, or leave out --date-from-name to take the file's date",
                )
            out.append(Entry(p, title=_title(title_pattern, p, d), date=d))
        return out
    if source.is_file() and source.suffix.lower() == ".csv":
        with open(source, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        if not rows or "path" not in rows[0]:
            raise InputError(
                f"{source} has no path column",
                hint="the first line must name the columns: path,title,date,language,speakers",
            )
        out = []
        for n, r in enumerate(rows, 2):
            raw = (r.get("path") or "").strip()
            if not raw:
                raise InputError(f"{source} line {n}: no path", hint="give every row the recording's path")
            p = Path(raw) if Path(raw).is_absolute() else source.parent / raw
            d = (r.get("date") or "").strip() or (date_in_name(p.name) if date_from_name else None)
            title = (r.get("title") or "").strip() or _title(title_pattern, p, d)
            out.append(
                Entry(
                    p,
                    title=title or None,
                    date=d or None,
                    language=(r.get("language") or "").strip() or None,
                    speakers=tuple(s.strip() for s in (r.get("speakers") or "").split(";") if s.strip()),
                )
            )
        return out
    raise InputError(
        f"{source} is neither a directory nor a .csv file",
        hint="give a directory of recordings, or a CSV with path,title,date,language,speakers",
    )


def backfill(
    store: Store, settings: Settings, source: Path, *, title_pattern: str | None = None, date_from_name: bool = False
) -> BackfillResult:
    """Register and queue every recording of ``source``; one that cannot be registered is reported and the
    others go on."""
    result = BackfillResult()
    for e in entries(source, title_pattern=title_pattern, date_from_name=date_from_name):
        try:
            reg = pipeline.register(
                store, settings, e.path, title=e.title, date=e.date, language=e.language, speakers=e.speakers
            )
            bid = reg.briefing.id
            key = f"{bid}:{reg.sha256}"
            before = store.query("SELECT id FROM recording_jobs WHERE key = ?", (key,))
            record.ingest(store, settings, bid, e.path, queue=True, priority=queue.BACKFILL)
            job = store.query("SELECT id, status FROM recording_jobs WHERE key = ?", (key,))[0]
            row = Registered(str(e.path), bid, int(job["id"]), str(job["status"]))
            (result.already if before else result.registered).append(row)
        except BriefingError as exc:
            result.failed.append(NotRegistered(str(e.path), str(exc)))
    return result


def status(store: Store, settings: Settings) -> QueueStatus:
    """The queue (done / running / waiting / failed, per briefing), throughput and time left; with a
    cluster configured, its workers and queues too."""
    jobs = queue.jobs(store)
    counts = {"done": 0, "running": 0, "waiting": 0, "failed": 0}
    per = []
    for j in jobs:
        state = "waiting" if j.status == "queued" else j.status
        counts[state] += 1
        per.append(JobState(j.briefing_id, j.id, state, j.attempts, j.error))
    done = [j for j in jobs if j.status == "done"]
    throughput = None
    left = None
    if done:
        start = min(datetime.fromisoformat(j.created_at) for j in jobs)
        end = max(datetime.fromisoformat(j.updated_at) for j in done)
        hours = max((end - start).total_seconds(), 1.0) / 3600
        throughput = round(len(done) / hours, 2)  # recordings per hour
        remaining = counts["waiting"] + counts["running"]
        left = round(remaining / throughput * 3600) if remaining else 0
    return QueueStatus(
        **counts,
        total=len(jobs),
        per_hour=throughput,
        seconds_left=left,
        briefings=per,
        cluster=cluster_view.view(settings) if cluster_conf.configured(settings) else None,
    )
