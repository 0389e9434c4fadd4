"""Recording a briefing: Jibri control, live capture, and ingest of recordings (queued for the worker).

    record start/stop/status ID    Jibri's HTTP API (recorder.jibri); sessionId = the briefing id
    record capture ID --source URL  crash-safe segmented capture (recorder.capture) in the workspace
    ingest ID PATH                 copy a media file or a Jibri session directory in (checksum-verified)
    jibri-finalize DIR             Jibri's finalize script: queue the session directory, return at once

Each recording is a row of ``recordings``; what to process is queued in :mod:`briefing.recording.queue`
and processed by :mod:`briefing.recording.worker` (``briefing work``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date as date_cls
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from briefing.core import config, text, workspace
from briefing.core.config import BriefingSettings, Setting, Settings
from briefing.core.errors import BriefingError, ConfigError, InputError, JitsiError, NotFoundError, translated
from briefing.core.ids import briefing_id as make_briefing_id
from briefing.core.results import ABSENT, Absent, Result, optional
from briefing.core.store import Briefing, Store, now_iso
from briefing.meeting import schedule
from briefing.meeting.jitsi import JitsiSettings
from briefing.processing import live
from briefing.recording import queue as work_queue
from publish.files import sha256_file

config.register(
    Setting("jibri.url", "", "Jibri's external HTTP API, e.g. http://127.0.0.1:2222."),
    Setting("jibri.sink", "file", "What Jibri makes: file (a recording) or stream (RTMP to jibri.rtmp_url)."),
    Setting(
        "jibri.rtmp_url",
        "",
        "RTMP base URL Jibri streams to (the ministry's nginx-rtmp); the briefing id is appended as the stream key.",
    ),
    Setting("jibri.xmpp_domain", "", "XMPP domain of the hidden recorder account, e.g. recorder.meet.example.org."),
    Setting("jibri.xmpp_username", "recorder", "XMPP user of the recorder account."),
    Setting("jibri.xmpp_password", "", "XMPP password of the recorder account.", secret=True),
    Setting("jibri.meet_url", "", "Base URL Jibri opens (default: jitsi.url)."),
    Setting("jibri.start_timeout", 60.0, "Seconds to wait for Jibri to report BUSY after a start.", float),
    Setting(
        "jibri.finalize_worker",
        True,
        "jibri-finalize and `record stop` of a capture also start `briefing work` in the background.",
        config.boolean,
    ),
    Setting("record.method", "jibri", "How `briefing daily` records: jibri, capture or none."),
    Setting(
        "capture.source",
        "",
        "Live source for `record capture` and daily capture, e.g. rtmp://127.0.0.1/live/{id} ({id} = the briefing id).",
    ),
    Setting("capture.segment", "10s", "Length of a capture segment."),
    Setting("capture.stall_timeout", 15.0, "Seconds without data before the capture reconnects.", float),
)


class JibriSettings(config.Area, area="jibri"):
    url: str
    sink: str
    rtmp_url: str
    xmpp_domain: str
    xmpp_username: str
    xmpp_password: str
    meet_url: str
    start_timeout: float
    finalize_worker: bool


class RecordSettings(config.Area, area="record"):
    method: str


class CaptureSettings(config.Area, area="capture"):
    source: str
    segment: str
    stall_timeout: float


RECORDING_SUFFIXES = {".mp4", ".mkv", ".webm", ".mov", ".flv", ".ts", ".m4a", ".mp3", ".wav", ".ogg", ".opus"}


# -- briefings and store rows --------------------------------------------------------------------------
def ensure_briefing(store: Store, settings: Settings, bid: str) -> Briefing:
    """The briefing ``bid``; an unscheduled id of the form YYYY-MM-DD-slug is created on the fly."""
    b = store.find_briefing(bid)
    if b is not None:
        return b
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})-([a-z0-9-]+)", bid or "")
    if not m:
        raise NotFoundError(
            f"no briefing with id {bid!r}",
            hint="use a scheduled briefing's id (`briefing schedule list`) or YYYY-MM-DD-title",
        )
    try:
        date_cls.fromisoformat(m.group(1))
    except ValueError:
        raise NotFoundError(f"no briefing with id {bid!r} ({m.group(1)} is not a date)") from None
    title = m.group(2).replace("-", " ").capitalize()
    if bid == make_briefing_id(m.group(1), BriefingSettings.of(settings).title):
        title = BriefingSettings.of(settings).title
    return store.save_briefing(
        Briefing(id=bid, title=title, date=m.group(1), language=BriefingSettings.of(settings).language)
    )


@dataclass(frozen=True)
class Recording(Result):
    """A recording of a briefing (a row of ``recordings``), paths absolute in this home."""

    id: int
    briefing_id: str
    method: str  # jibri | capture | file
    session_id: str | None
    source: str | None
    status: str  # starting | recording | stopped | ingested | failed
    path: str | None
    sha256: str | None
    meta: dict[str, Any]  # meeting_url, participants, segments ...
    started_at: str | None
    stopped_at: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class JibriState(Result):
    """Jibri's health as `record start/stop/status` report it, or why it could not be asked."""

    busy_status: str = ""
    health_status: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    environment: str | None = None
    error: str | None = None

    @classmethod
    def of(cls, health: Any) -> JibriState:
        d = health.to_dict()
        return cls(d["busy_status"], d["health_status"], d["details"], d["environment"])

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return {"error": self.error}
        return {
            "busy_status": self.busy_status,
            "health_status": self.health_status,
            "details": self.details,
            "environment": self.environment,
        }


@dataclass(frozen=True)
class RecordStarted(Result):
    briefing: str
    session_id: str
    sink: str
    room: str
    jibri: JibriState


@dataclass(frozen=True)
class JibriStopped(Result):
    briefing: str
    method: str
    jibri: JibriState
    queued: list[int]


@dataclass(frozen=True)
class CaptureResult(Result):
    """What a capture (or its stop) did: joined into ``recording`` and queued, or not stopped yet. The
    fields that a step does not report are ABSENT (left out of the JSON)."""

    briefing: str
    stopped: bool
    was_running: bool | Absent = ABSENT  # `record stop`: the capture process was alive
    recording: str | None | Absent = ABSENT
    segments: int | None = None
    skipped: list[str] | Absent = ABSENT
    runs: int | None | Absent = ABSENT
    queued: list[int] | Absent = ABSENT
    worker: int | None | Absent = ABSENT  # `record stop`: the pid of the worker started, None if none
    log: str | None = optional()


@dataclass(frozen=True)
class CaptureState(Result):
    running_pid: int | None
    segments: int
    bytes: int
    state: dict[str, Any]


@dataclass(frozen=True)
class RecordStatus(Result):
    briefing: str
    recordings: list[Recording]
    jobs: list[work_queue.Job]
    capture: CaptureState | None = optional()
    jibri: JibriState | None = optional()


@dataclass(frozen=True)
class Finalized(Result):
    """jibri-finalize: the job queued, and the worker started (its pid) or None."""

    briefing: str
    job: int
    status: str
    worker: int | None


def recordings(store: Store, bid: str) -> list[Recording]:
    return [
        Recording.from_row(work_queue.row(store, r))
        for r in store.query("SELECT * FROM recordings WHERE briefing_id = ? ORDER BY id", (bid,))
    ]


def _open_recording(
    store: Store,
    bid: str,
    method: str,
    *,
    session_id: str | None = None,
    source: str | None = None,
    status: str = "recording",
    meta: dict | None = None,
) -> int:
    ts = now_iso()
    if method != "capture":  # the ingested file or session directory (a capture's source is a URL)
        source = work_queue.stored(store, source)
    with store.tx() as db:
        cur = db.execute(
            """INSERT INTO recordings (briefing_id, method, session_id, source, status, meta, started_at,
                                       created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (bid, method, session_id, source, status, json.dumps(meta or {}, ensure_ascii=False), ts, ts, ts),
        )
        assert cur.lastrowid is not None  # an INSERT sets it
        return cur.lastrowid


def _update_recording(store: Store, rid: int, **cols: Any) -> None:
    if "path" in cols:
        cols["path"] = work_queue.stored(store, cols["path"])
    if "meta" in cols:
        meta = dict(cols["meta"])
        if "original" in meta:
            meta["original"] = work_queue.stored(store, meta["original"])
        cols["meta"] = json.dumps(meta, ensure_ascii=False)
    cols["updated_at"] = now_iso()
    sets = ", ".join(f"{k} = ?" for k in cols)
    with store.tx() as db:
        db.execute(f"UPDATE recordings SET {sets} WHERE id = ?", (*cols.values(), rid))


def _latest(store: Store, bid: str, method: str) -> Recording | None:
    rows = store.query(
        "SELECT * FROM recordings WHERE briefing_id = ? AND method = ? ORDER BY id DESC LIMIT 1", (bid, method)
    )
    return Recording.from_row(work_queue.row(store, rows[0])) if rows else None


# -- ingest ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionDir:
    """A Jibri recording directory: ``<recordings-dir>/<sessionId>/`` with the media and metadata.json."""

    path: Path
    session_id: str
    media: Path
    meeting_url: str | None
    room: str | None
    participants: tuple[dict[str, Any], ...]
    metadata: dict[str, Any]

    @property
    def speaker_names(self) -> tuple[str, ...]:
        names = []
        for p in self.participants:
            user = p.get("user") if isinstance(p, dict) else None
            name = (user or {}).get("name") if isinstance(user, dict) else None
            name = text.strip(str(name)) if name else None  # a Jitsi display name: cleaned, not refused
            if name and name not in names:
                names.append(name)
        return tuple(names)


def read_session_dir(path: Path) -> SessionDir:
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path} is not a directory", hint="pass Jibri's per-session recording directory")
    media = [
        p
        for p in path.iterdir()
        if p.is_file() and p.suffix.lower() in RECORDING_SUFFIXES and not p.name.startswith(".")
    ]
    if not media:
        raise InputError(f"no recording in {path}", hint="Jibri writes <room>_<timestamp>.mp4 there; wait for it")
    main = max(media, key=lambda p: (p.stat().st_size, p.name))
    metadata: dict[str, Any] = {}
    meta_path = path / "metadata.json"
    if meta_path.exists():
        try:
            metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(
                f"{meta_path} is not valid JSON: {exc}",
                hint="fix or remove it; the recording can be ingested without it",
            ) from None
    url = metadata.get("meeting_url") if isinstance(metadata.get("meeting_url"), str) else None
    room = None
    if url:
        room = urlsplit(url.split("#", 1)[0]).path.rstrip("/").rsplit("/", 1)[-1] or None
    elif "_" in main.stem:  # <callName>_<yyyy-MM-dd-HH-mm-ss>
        room = main.stem.rsplit("_", 1)[0]
    participants = tuple(p for p in metadata.get("participants") or () if isinstance(p, dict))
    return SessionDir(path, path.name, main, url, room, participants, metadata)


def link_briefing(store: Store, *, session_id: str | None, room: str | None) -> str | None:
    """The briefing a Jibri session belongs to: by sessionId (= briefing id), else by room name."""
    if session_id and store.find_briefing(session_id):
        return session_id
    if room:
        occ = schedule.occurrence_by_room(store, room)
        if occ is not None:
            return occ.id
    return None


def ingest(
    store: Store,
    settings: Settings,
    bid: str | None,
    path: Path,
    *,
    queue: bool = True,
    move: bool = False,
    priority: int = work_queue.NOW,
) -> Recording:
    """Copy a recording (file, or Jibri session directory) into the briefing's workspace, verified by
    SHA-256; take meeting URL and participants from metadata.json; queue its processing (at ``priority``:
    a backfill's after the recordings of the day). ``move``: the file is the application's own (a joined
    capture): renamed into place when on the same file system."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist", hint="check the path of the recording")
    session: SessionDir | None = read_session_dir(path) if path.is_dir() else None
    media = session.media if session else path
    if not bid or bid == "-":
        bid = link_briefing(
            store, session_id=session.session_id if session else None, room=session.room if session else None
        )
        if bid is None:
            raise NotFoundError(
                f"cannot tell which briefing {path} belongs to", hint="name it: `briefing ingest ID PATH`"
            )
    b = ensure_briefing(store, settings, bid)
    if media.stat().st_size == 0:
        raise InputError(f"{media} is empty", hint="the recorder wrote nothing; check Jibri's log")
    sha = sha256_file(media)
    dest = workspace.recording_dir(settings, bid) / media.name
    for r in recordings(store, bid):  # the same file already copied in: nothing to do
        if r.sha256 == sha and r.path and Path(r.path).is_file() and r.status == "ingested":
            if queue:
                work_queue.enqueue(store, bid, r.path, key=f"{bid}:{sha}", priority=priority)
            return r
    meta: dict[str, Any] = {"original": str(media.resolve())}
    if not (move and _move_into(media, dest)):
        _copy_verified(media, dest, sha)
    if session:
        meta.update(
            meeting_url=session.meeting_url,
            room=session.room,
            session_id=session.session_id,
            participants=list(session.participants),
        )
        names = session.speaker_names
        if names:
            speakers = tuple(dict.fromkeys((*b.speakers, *names)))
            store.save_briefing(replace(b, speakers=speakers))
    existing = [
        r for r in recordings(store, bid) if r.method in ("jibri", "capture") and r.status in ("recording", "stopped")
    ]
    if existing:
        rid = existing[-1].id
        meta = {**existing[-1].meta, **meta}
    else:
        rid = _open_recording(
            store,
            bid,
            "jibri" if session else "file",
            source=str(path.absolute()),
            status="stopped",
            session_id=session.session_id if session else None,
        )
    _update_recording(store, rid, status="ingested", path=str(dest), sha256=sha, meta=meta, stopped_at=now_iso())
    if queue:
        work_queue.enqueue(store, bid, dest, key=f"{bid}:{sha}", priority=priority)
    return Recording.from_row(work_queue.row(store, store.query("SELECT * FROM recordings WHERE id = ?", (rid,))[0]))


def _segment_seconds(value: str | float) -> float:
    try:
        return config.duration(value)
    except ValueError:
        raise InputError(f"bad segment length {value!r}", hint="use e.g. 10s, 6s or 1m") from None


def _move_into(src: Path, dest: Path) -> bool:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dest)
    except OSError:  # another file system: copy
        return False
    return True


def _copy_verified(src: Path, dest: Path, sha: str) -> None:
    import shutil

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
            fout.flush()
            os.fsync(fout.fileno())
        got = sha256_file(tmp)
        if got != sha:
            raise InputError(
                f"{src} changed while it was copied in (checksum mismatch)",
                hint="wait until the recording is complete, then run again",
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


# -- Jibri's finalize script ---------------------------------------------------------------------------
def jibri_finalize(store: Store, settings: Settings, directory: Path, *, spawn_worker: bool | None = None) -> Finalized:
    """Called by Jibri with the session directory: queue it and return at once (Jibri stays BUSY until
    this exits). The copy-in and the processing happen in `briefing work` (started here in the
    background, and run by the daily timer anyway)."""
    directory = Path(directory)
    session = read_session_dir(directory)
    bid = link_briefing(store, session_id=session.session_id, room=session.room)
    if bid is None:
        raise NotFoundError(
            f"no briefing for Jibri session {session.session_id!r} (room {session.room!r})",
            hint=f"ingest it by hand: briefing ingest ID {directory}",
        )
    job = work_queue.enqueue(store, bid, directory, key=f"{bid}:jibri:{session.session_id}:{session.media.name}")
    rec = _latest(store, bid, "jibri")
    if rec and rec.status == "recording":
        _update_recording(store, rec.id, status="stopped", stopped_at=now_iso())
    spawned = None
    if spawn_worker if spawn_worker is not None else JibriSettings.of(settings).finalize_worker:
        spawned = work_queue.spawn_work(settings)
    return Finalized(bid, job.id, job.status, spawned)


# -- Jibri ---------------------------------------------------------------------------------------------------
def jibri_client(settings: Settings) -> Any:
    from recorder.jibri import JibriClient

    if not JibriSettings.of(settings).url:
        raise ConfigError("the Jibri URL is not set", hint="set BRIEFING_JIBRI_URL, e.g. http://127.0.0.1:2222")
    return JibriClient(JibriSettings.of(settings).url)


def jibri_call(fn: Callable[[], Any]) -> Any:
    """Call the Jibri client; its errors become JitsiError (errors.convert)."""
    with translated():
        return fn()


def _room_of(store: Store, b: Briefing) -> str:
    room = (b.meta.get("schedule") or {}).get("room")
    if room:
        return room
    try:
        return schedule.get_occurrence(store, b.id).room
    except (ImportError, BriefingError):
        raise InputError(f"briefing {b.id} has no Jitsi room", hint="schedule it first, or pass --room") from None


def start_request(store: Store, settings: Settings, b: Briefing, *, room: str | None = None) -> Any:
    from recorder.jibri import CallLogin, StartRequest

    o = JibriSettings.of(settings)
    base = o.meet_url or JitsiSettings.of(settings).url or ""
    if not base:
        raise ConfigError("no Jitsi URL for Jibri to open", hint="set BRIEFING_JITSI_URL (or BRIEFING_JIBRI_MEET_URL)")
    domain, user, pw = o.xmpp_domain, o.xmpp_username, o.xmpp_password
    if not domain or not pw:
        raise ConfigError(
            "the recorder's XMPP login is incomplete",
            hint="set BRIEFING_JIBRI_XMPP_DOMAIN and BRIEFING_JIBRI_XMPP_PASSWORD (or _FILE)",
        )
    sink = o.sink.lower()
    rtmp = None
    if sink == "stream":
        if not o.rtmp_url:
            raise ConfigError("jibri.sink is stream but no RTMP URL is set", hint="set BRIEFING_JIBRI_RTMP_URL")
        rtmp = o.rtmp_url.rstrip("/") + "/" + b.id
    return StartRequest(
        session_id=b.id,
        base_url=base,
        call_name=room or _room_of(store, b),
        login=CallLogin(domain, user, pw),
        sink=sink,
        rtmp_url=rtmp,
    )


def record_start(
    store: Store, settings: Settings, bid: str, *, room: str | None = None, wait: bool = True
) -> RecordStarted:
    """Start Jibri for the briefing (sessionId = briefing id) and wait until it reports BUSY."""
    b = ensure_briefing(store, settings, bid)
    req = start_request(store, settings, b, room=room)
    client = jibri_client(settings)
    try:
        health = jibri_call(client.health)
        if health.expired:
            raise JitsiError(
                "Jibri is EXPIRED (single-use mode): it must be restarted before it records again",
                hint="restart the Jibri service, or point BRIEFING_JIBRI_URL at another Jibri",
            )
        if not health.healthy:
            raise JitsiError("Jibri reports UNHEALTHY", hint="read Jibri's log and restart it")
        if health.busy:
            raise JitsiError(
                "Jibri is busy with another recording or stream",
                hint="stop it first (`briefing record stop`) or use another Jibri",
            )
        rid = _open_recording(
            store,
            bid,
            "jibri",
            session_id=b.id,
            source=JibriSettings.of(settings).url,
            status="starting",
            meta={"sink": req.sink, "room": req.call_name, "rtmp_url": req.rtmp_url},
        )
        try:
            jibri_call(lambda: client.start(req))
            if wait:
                health = jibri_call(lambda: client.wait_for("BUSY", timeout=JibriSettings.of(settings).start_timeout))
        except BaseException as exc:
            _update_recording(store, rid, status="failed", meta={"error": str(exc)})
            raise
        _update_recording(store, rid, status="recording")
    finally:
        client.close()
    return RecordStarted(bid, b.id, req.sink, req.call_name, JibriState.of(health))


def record_stop(
    store: Store, settings: Settings, bid: str, *, method: str | None = None
) -> CaptureResult | JibriStopped:
    """Stop the briefing's recording: a running capture (cleanly, then joined), else Jibri. A joined
    capture is processed at once in the background (`briefing work`, as jibri-finalize starts it; the
    same setting, jibri.finalize_worker); ``worker`` is its pid (None when nothing was started)."""
    cdir = workspace.capture_dir(settings, bid)
    if method == "capture" or (method is None and (cdir / "capture.json").exists()):
        out = capture_stop(store, settings, bid)
        if JibriSettings.of(settings).finalize_worker and work_queue.jobs(store, bid=bid, status="queued"):
            return replace(out, worker=work_queue.spawn_work(settings), log=str(settings.home / "work.log"))
        return replace(out, worker=None)
    client = jibri_client(settings)
    try:
        jibri_call(client.stop)
        health = jibri_call(lambda: client.wait_for("IDLE", "EXPIRED", timeout=30))
    finally:
        client.close()
    rec = _latest(store, bid, "jibri")
    if rec and rec.status in ("starting", "recording"):
        _update_recording(store, rec.id, status="stopped", stopped_at=now_iso())
    return JibriStopped(bid, "jibri", JibriState.of(health), [j.id for j in work_queue.jobs(store, bid=bid)])


def record_status(store: Store, settings: Settings, bid: str) -> RecordStatus:
    from recorder import capture as rc

    b = ensure_briefing(store, settings, bid)
    recs, jobs = recordings(store, bid), work_queue.jobs(store, bid=bid)
    capture_state = None
    cdir = workspace.capture_dir(settings, bid)
    if (cdir / "capture.json").exists():
        segs = rc.segments(cdir)
        capture_state = CaptureState(
            rc.running_pid(cdir), len(segs), sum(p.stat().st_size for p in segs), rc.read_state(cdir)
        )
    jibri = None
    if JibriSettings.of(settings).url:
        client = jibri_client(settings)
        try:
            jibri = JibriState.of(jibri_call(client.health))
        except JitsiError as exc:
            jibri = JibriState(error=str(exc))
        finally:
            client.close()
    return RecordStatus(b.id, recs, jobs, capture_state, jibri)


# -- live capture ----------------------------------------------------------------------------------------------
def capture_source(settings: Settings, bid: str, source: str | None) -> str:
    src = source or CaptureSettings.of(settings).source
    if not src:
        raise ConfigError("no live source to capture", hint="pass --source rtmp://… or set BRIEFING_CAPTURE_SOURCE")
    return src.replace("{id}", bid)


def capture(
    store: Store,
    settings: Settings,
    bid: str,
    *,
    source: str | None = None,
    segment: str | None = None,
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
    force: bool = False,
) -> CaptureResult:
    """Run the live capture of a briefing until `record stop` (blocking). Started again after a crash with
    the same arguments, it continues in the same directory. At the clean end the segments are joined
    into the recording, which is ingested and queued for processing."""
    from recorder import capture as rc

    b = ensure_briefing(store, settings, bid)
    src = capture_source(settings, bid, source)
    cdir = workspace.capture_dir(settings, bid)
    done = _latest(store, bid, "capture")
    if done and done.status == "ingested" and not force:
        raise InputError(
            f"the capture of {bid} was already stopped and joined",
            hint="use --force to record more into the same briefing",
        )
    with translated():
        opts = rc.CaptureOptions(
            segment_seconds=_segment_seconds(segment or CaptureSettings.of(settings).segment),
            stall_timeout=CaptureSettings.of(settings).stall_timeout,
        )
        cap = rc.Capture(src, cdir, opts, on_event=on_event)
    rec = _latest(store, bid, "capture")
    if rec is None or rec.status not in ("recording", "stopped"):
        rid = _open_recording(store, bid, "capture", source=src, status="recording")
    else:
        rid = rec.id
        _update_recording(store, rid, status="recording")
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            previous[sig] = signal.signal(sig, lambda *_: cap.request_stop())

    follower = live.start_follower(store, settings, bid)
    try:
        with translated():
            result = cap.run()
    except BaseException:
        if follower is not None:
            follower.stop()
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not result.stopped:  # the source gave up for good: keep the segments, let `record stop` join them
        _update_recording(store, rid, status="stopped")
        if follower is not None:
            follower.stop()
        return CaptureResult(b.id, False, segments=len(result.segments), runs=result.runs)
    out = _finish_capture(store, settings, bid, rid)
    if follower is not None:
        follower.wait()  # it transcribes the last chunk (or the transcribe stage already did)
    return out


def _finish_capture(store: Store, settings: Settings, bid: str, rid: int) -> CaptureResult:
    """Join and ingest under the capture lock: `record stop` and the stopping capture may both get here."""
    from recorder import capture as rc

    with translated(), rc.holding_lock(workspace.capture_dir(settings, bid)):
        rec = _latest(store, bid, "capture")
        if rec and rec.status == "ingested":
            return CaptureResult(
                bid,
                True,
                recording=rec.path,
                segments=rec.meta.get("segments"),
                skipped=rec.meta.get("skipped_segments", []),
                runs=rec.meta.get("runs"),
                queued=[j.id for j in work_queue.jobs(store, bid=bid)],
            )
        return _join_and_ingest(store, settings, bid, rid)


def _join_and_ingest(store: Store, settings: Settings, bid: str, rid: int) -> CaptureResult:
    from recorder import capture as rc

    cdir = workspace.capture_dir(settings, bid)
    segs = rc.segments(cdir)
    with translated():
        dest, skipped = rc.join_segments(segs, cdir / "recording.mp4", cache=cdir / rc.PROBED_NAME)
    state = rc.read_state(cdir)
    rec = ingest(store, settings, bid, dest, queue=True, move=True)  # ours: moved in, not copied
    meta = {
        **rec.meta,
        "segments": len(segs),
        "skipped_segments": [p.name for p in skipped],
        "runs": len(state.get("runs", [])),
    }
    _update_recording(store, rid, status="ingested", path=rec.path, sha256=rec.sha256, meta=meta, stopped_at=now_iso())
    if rec.id != rid:  # ingest made a row of its own for the file: keep the capture's row only
        with store.tx() as db:
            db.execute("DELETE FROM recordings WHERE id = ?", (rec.id,))
    return CaptureResult(
        bid,
        True,
        recording=rec.path,
        segments=len(segs),
        skipped=[p.name for p in skipped],
        runs=len(state.get("runs", [])),
        queued=[j.id for j in work_queue.jobs(store, bid=bid, status="queued")],
    )


def capture_stop(store: Store, settings: Settings, bid: str, *, wait: float = 30.0) -> CaptureResult:
    """Stop the capture cleanly (SIGTERM → ffmpeg closes its segment); if no capture process is alive
    (it crashed), join what it left. Idempotent."""
    from recorder import capture as rc

    cdir = workspace.capture_dir(settings, bid)
    if not (cdir / "capture.json").exists():
        raise NotFoundError(f"no capture for {bid}", hint=f"start one with `briefing record capture {bid} --source …`")
    with translated():
        was_running = rc.request_stop(cdir, wait=wait)
    rec = _latest(store, bid, "capture")
    if rec and rec.status == "ingested":
        return CaptureResult(
            bid,
            True,
            was_running=was_running,
            recording=rec.path,
            segments=rec.meta.get("segments"),
            queued=[j.id for j in work_queue.jobs(store, bid=bid)],
        )
    rid = rec.id if rec else _open_recording(store, bid, "capture", source=rc.read_state(cdir).get("source"))
    return replace(_finish_capture(store, settings, bid, rid), was_running=was_running)


def capture_running(settings: Settings, bid: str) -> int | None:
    from recorder import capture as rc

    return rc.running_pid(workspace.capture_dir(settings, bid))


def spawn_capture(settings: Settings, bid: str, *, source: str | None = None) -> int:
    """Start `briefing record capture ID` detached (used by `briefing daily`)."""
    d = workspace.capture_dir(settings, bid)
    proc = work_queue.spawn(
        settings, ["record", "capture", bid, *(["--source", source] if source else [])], d / "capture.log"
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and capture_running(settings, bid) is None and proc.poll() is None:
        time.sleep(0.1)
    return proc.pid
