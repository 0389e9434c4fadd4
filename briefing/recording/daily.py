"""`briefing daily`: the whole day of a briefing, one idempotent step per run (a systemd timer runs it
every minute).

    waiting ─(start − jitsi.lead)─► open ─(start)─► starting ─► recording
        ─(end, or the room empty for daily.empty_grace)─► stopping ─► stopped
        ─(the recording is queued: Jibri's finalize script, or the joined capture)─► processed ─► done

Every transition is a compare-and-set on the ``daily_runs`` row, taken *before* the side effect; a run
that dies between the two finds ``starting``/``stopping`` and checks the recorder's real state before it
acts again, so a second recording is never started. One run at a time (``locks/daily.lock``); the
processing itself runs in the queue worker (``briefing work``, its own lock), so a long transcription
never holds up the next minute's run.

The reservation window itself is enforced by the reservation service (``briefing jitsi reservations
serve``) from the schedule: ``open`` records that the room may now be created.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from datetime import date as date_cls
from typing import Any, Protocol

from briefing.core import config, workspace
from briefing.core.config import Setting, Settings
from briefing.core.errors import BriefingError, ConfigError
from briefing.core.locks import FileLock
from briefing.core.results import ABSENT, Absent, Result, plain
from briefing.core.store import Store, now_iso
from briefing.meeting import jitsi, schedule
from briefing.meeting.jitsi import JitsiSettings
from briefing.press import embargo
from briefing.processing import pipeline
from briefing.recording import queue, record, worker
from briefing.recording.record import RecordSettings

UTC = UTC

config.register(
    Setting("daily.empty_grace", 120, "Stop recording when the room has been empty this long.", config.duration),
    Setting(
        "daily.recorder_occupants",
        1,
        "Room occupants that are the recorder itself (Jibri); the room counts as empty at or below this.",
        int,
    ),
    Setting(
        "daily.arrival_timeout", 1800, "Give up waiting for the recording this long after the stop.", config.duration
    ),
)


class DailySettings(config.Area, area="daily"):
    empty_grace: float
    recorder_occupants: int
    arrival_timeout: float


class Recorder(Protocol):
    method: str

    def start(self, occ: Any) -> Result | dict[str, Any]: ...

    def running(self, occ: Any) -> bool: ...

    def stop(self, occ: Any) -> Result | dict[str, Any]: ...


@dataclass(frozen=True)
class CaptureStarted(Result):
    pid: int


@dataclass(frozen=True)
class BriefingStep(Result):
    """One of the day's briefings after a daily step: its state and what the step did."""

    id: str
    room: str
    start: str
    end: str
    state: str
    did: str


@dataclass(frozen=True)
class DailyRun(Result):
    now: str
    busy: bool  # another daily run holds the lock
    briefings: list[BriefingStep]
    embargoes: list[pipeline.Lift] | Absent = ABSENT  # the embargoes lifted by the step (not when busy)


@dataclass
class JibriRecorder:
    store: Store
    settings: Settings
    method: str = "jibri"

    def start(self, occ: Any) -> Result:
        return record.record_start(self.store, self.settings, occ.id, room=occ.room)

    def running(self, occ: Any) -> bool:
        client = record.jibri_client(self.settings)
        try:
            return bool(record.jibri_call(client.health).busy)
        finally:
            client.close()

    def stop(self, occ: Any) -> Result:
        return record.record_stop(self.store, self.settings, occ.id, method="jibri")


@dataclass
class CaptureRecorder:
    store: Store
    settings: Settings
    method: str = "capture"

    def start(self, occ: Any) -> Result:
        return CaptureStarted(record.spawn_capture(self.settings, occ.id))

    def running(self, occ: Any) -> bool:
        return record.capture_running(self.settings, occ.id) is not None

    def stop(self, occ: Any) -> Result:
        return record.capture_stop(self.store, self.settings, occ.id)


def default_recorder(store: Store, settings: Settings) -> Recorder | None:
    method = RecordSettings.of(settings).method.lower()
    if method == "jibri":
        return JibriRecorder(store, settings)
    if method == "capture":
        return CaptureRecorder(store, settings)
    if method in ("none", "off", ""):
        return None
    raise ConfigError(f"unknown record.method {method!r}", hint="use jibri, capture or none")


def default_room_size(settings: Settings) -> Callable[[Any], int | None]:
    """Participants in the occurrence's room via prosody's mod_muc_size; None when unknown."""

    def size(occ: Any) -> int | None:
        if not JitsiSettings.of(settings).url:
            return None
        try:
            return int(jitsi.room_status(jitsi.load(settings, need_signing=False), occ.room).participants)
        except (BriefingError, ImportError, KeyError, TypeError, ValueError):
            return None

    return size


# -- state rows ------------------------------------------------------------------------------------------
def _state(store: Store, bid: str) -> tuple[str | None, dict[str, Any]]:
    rows = store.query("SELECT state, info FROM daily_runs WHERE briefing_id = ?", (bid,))
    return (rows[0]["state"], json.loads(rows[0]["info"])) if rows else (None, {})


def _cas(store: Store, bid: str, old: str | None, new: str, info: dict[str, Any], method: str | None = None) -> bool:
    """Move bid from state ``old`` to ``new`` if nobody else did; True if this run made the move."""
    with store.tx() as db:
        rows = db.execute("SELECT state FROM daily_runs WHERE briefing_id = ?", (bid,)).fetchall()
        current = rows[0]["state"] if rows else None
        if current != old:
            return False
        payload = json.dumps(info, ensure_ascii=False, default=str)
        if rows:
            db.execute(
                "UPDATE daily_runs SET state = ?, info = ?, method = COALESCE(?, method), updated_at = ? "
                "WHERE briefing_id = ?",
                (new, payload, method, now_iso(), bid),
            )
        else:
            db.execute(
                "INSERT INTO daily_runs (briefing_id, state, method, info, updated_at) VALUES (?, ?, ?, ?, ?)",
                (bid, new, method, payload, now_iso()),
            )
    return True


def _save_info(store: Store, bid: str, info: dict[str, Any]) -> None:
    with store.tx() as db:
        db.execute(
            "UPDATE daily_runs SET info = ?, updated_at = ? WHERE briefing_id = ?",
            (json.dumps(info, ensure_ascii=False, default=str), now_iso(), bid),
        )


# -- the run ---------------------------------------------------------------------------------------------------
def todays_occurrences(store: Store, *, day: str | None, now: datetime) -> list[Any]:
    if day:
        try:
            d = date_cls.fromisoformat(day)
        except ValueError:
            raise ConfigError(f"bad date {day!r}", hint="use YYYY-MM-DD") from None
        lo = datetime.combine(d, datetime.min.time(), UTC) - timedelta(days=1)
        occs = schedule.occurrences(store, lo, lo + timedelta(days=3), include_cancelled=False)
        return [o for o in occs if o.local_start.date() == d]
    occs = schedule.occurrences(store, now - timedelta(days=1), now + timedelta(days=1), include_cancelled=False)
    return [o for o in occs if o.local_start.date() == now.astimezone(o.series.tz).date()]


def run(
    store: Store,
    settings: Settings,
    *,
    day: str | None = None,
    now: datetime | None = None,
    recorder: Recorder | None = None,
    room_size: Callable[[Any], int | None] | None = None,
    process: Callable[..., Any] | None = None,
    reporter: Any = None,
) -> DailyRun:
    """One step for each of the day's briefings. ``now``, ``recorder``, ``room_size`` and ``process``
    are injectable (tests run a simulated day)."""
    now = now or datetime.now(UTC)
    lock = FileLock(workspace.home_lock(settings, "daily"))
    if not lock.try_acquire():
        return DailyRun(now.isoformat(), True, [])
    occs: dict[str, Any] = {}
    try:
        rec = recorder if recorder is not None else default_recorder(store, settings)
        size = room_size or default_room_size(settings)
        out = []
        for occ in todays_occurrences(store, day=day, now=now):
            occs[occ.id] = occ
            try:
                state, did = _step(store, settings, occ, now, rec, size)
            except BriefingError as exc:
                state, did = _state(store, occ.id)[0] or "waiting", f"error: {exc}"
            out.append(
                BriefingStep(occ.id, occ.room, occ.local_start.isoformat(), occ.local_end.isoformat(), state, did)
            )
    finally:
        lock.release()
    # The processing runs outside the daily lock, in the queue worker (one at a time); with
    # schedule.embargo its release is held until then (the press email goes at once, marked).
    for i, item in enumerate(out):
        if item.state == "stopped":
            occ = occs[item.id]
            until = embargo.schedule_embargo(
                settings, day=occ.local_start.date().isoformat(), end=occ.local_end, zone=occ.series.tz
            )
            if until is not None and until > embargo.now() and embargo.embargo_of(store, item.id) is None:
                embargo.request(store, item.id, until)
            state, did = _process(store, settings, item.id, now, process, reporter, item.did)
            out[i] = replace(item, state=state, did=did)
    # Embargoes whose time has come: published and announced now, once.
    lifted = pipeline.lift_embargoes(store, settings, reporter=reporter)
    return DailyRun(now.isoformat(), False, out, lifted)


def _step(
    store: Store, settings: Settings, occ: Any, now: datetime, rec: Recorder | None, size: Callable[[Any], int | None]
) -> tuple[str, str]:
    bid = occ.id
    state, info = _state(store, bid)
    lead = timedelta(seconds=JitsiSettings.of(settings).lead or 0)
    method = rec.method if rec else "none"

    if state in (None, "waiting"):
        if now < occ.start - lead:
            if state is None:
                _cas(store, bid, None, "waiting", {})
            return "waiting", ""
        if now >= occ.end:
            _cas(store, bid, state, "missed", {"at": now.isoformat()})
            return "missed", "the briefing's time passed before any run"
        _cas(store, bid, state, "open", {"opened_at": now.isoformat()}, method)
        state, info = "open", {"opened_at": now.isoformat()}
        if now < occ.start:
            return "open", "room open for the reservation window"

    if state == "open":
        if now < occ.start:
            return "open", ""
        if now >= occ.end:
            _cas(store, bid, "open", "missed", {**info, "missed_at": now.isoformat()})
            return "missed", "no recording: the end passed before the start step ran"
        if rec is None:
            _cas(store, bid, "open", "stopped", {**info, "note": "record.method is none"})
            return "stopped", "not recording (record.method none); waiting for an ingested recording"
        if not _cas(store, bid, "open", "starting", {**info, "starting_at": now.isoformat()}, method):
            return _state(store, bid)[0] or "open", ""
        state, info = "starting", {**info, "starting_at": now.isoformat()}

    if state == "starting":
        assert rec is not None
        if not rec.running(occ):
            if now >= occ.end:
                _cas(store, bid, "starting", "failed", {**info, "error": "never started"})
                return "failed", "the recording never started"
            result = rec.start(occ)
            info = {**info, "start": plain(result)}
        _cas(store, bid, "starting", "recording", {**info, "recording_since": now.isoformat()})
        return "recording", "recording started"

    if state == "recording":
        assert rec is not None
        reason = None
        if now >= occ.end:
            reason = "the scheduled end"
        else:
            n = size(occ)
            threshold = DailySettings.of(settings).recorder_occupants
            if n is not None and n <= threshold and now >= occ.start + timedelta(minutes=1):
                since = info.get("empty_since") or now.isoformat()
                if info.get("empty_since") is None:
                    info["empty_since"] = since
                    _save_info(store, bid, info)
                if now - datetime.fromisoformat(since) >= timedelta(seconds=DailySettings.of(settings).empty_grace):
                    reason = "the room emptied"
            elif info.get("empty_since"):
                info.pop("empty_since")
                _save_info(store, bid, info)
        if reason is None:
            return "recording", ""
        if not _cas(store, bid, "recording", "stopping", {**info, "stop_reason": reason}):
            return _state(store, bid)[0] or "recording", ""
        state, info = "stopping", {**info, "stop_reason": reason}

    if state == "stopping":
        assert rec is not None
        result = rec.stop(occ)
        _cas(store, bid, "stopping", "stopped", {**info, "stop": plain(result), "stopped_at": now.isoformat()})
        return "stopped", f"recording stopped ({info.get('stop_reason', '')})"

    return state or "waiting", ""


def _process(
    store: Store, settings: Settings, bid: str, now: datetime, process: Any, reporter: Any, did: str
) -> tuple[str, str]:
    state, info = _state(store, bid)
    if state != "stopped":
        return state or "stopped", did
    done = queue.jobs(store, bid=bid, status="done")
    if queue.pending(store, bid=bid):
        result = worker.work(store, settings, bid=bid, process=process, reporter=reporter)
        if result.busy:
            return "stopped", (did + "; " if did else "") + "the worker is busy; processing continues there"
        if result.failed:
            return "stopped", (did + "; " if did else "") + f"processing failed: {result.failed[0].error}"
        done = queue.jobs(store, bid=bid, status="done")
    if done:
        page = done[-1].result.get("page")
        _cas(store, bid, "stopped", "done", {**info, "processed_at": now.isoformat(), "page": page})
        return "done", (did + "; " if did else "") + f"processed and published: {page}"
    stopped_at = info.get("stopped_at")
    if stopped_at and now - datetime.fromisoformat(stopped_at) > timedelta(
        seconds=DailySettings.of(settings).arrival_timeout
    ):
        _cas(store, bid, "stopped", "failed", {**info, "error": "no recording arrived"})
        return "failed", "no recording arrived after the stop (check Jibri's finalize script)"
    return "stopped", did or "waiting for the recording (Jibri's finalize script queues it)"
