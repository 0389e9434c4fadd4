"""Recording a briefing: Jibri control, live capture, ingest of recordings, and the processing queue.

    record start/stop/status ID    Jibri's HTTP API (recorder.jibri); sessionId = the briefing id
    record capture ID --source URL  crash-safe segmented capture (recorder.capture) in the workspace
    ingest ID PATH                 copy a media file or a Jibri session directory in (checksum-verified)
    jibri-finalize DIR             Jibri's finalize script: queue the session directory, return at once
    work                           process the queued recordings (ingest → pipeline.process)

Each recording is a row of ``recordings``; each thing to process is a row of ``recording_jobs`` whose key
makes queueing the same recording twice a no-op.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date as date_cls
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from briefing import config
from briefing.config import Setting, Settings
from briefing.errors import BriefingError, ConfigError, InputError, JitsiError, NotFoundError, translated
from briefing.ids import briefing_id as make_briefing_id
from briefing.store import Briefing, Store, now_iso
from publish.files import sha256_file

config.register(
    Setting("jibri.url", "", "Jibri's external HTTP API, e.g. http://127.0.0.1:2222."),
    Setting("jibri.sink", "file", "What Jibri makes: file (a recording) or stream (RTMP to jibri.rtmp_url)."),
    Setting("jibri.rtmp_url", "", "RTMP base URL Jibri streams to (the ministry's nginx-rtmp); the briefing id "
                                  "is appended as the stream key."),
    Setting("jibri.xmpp_domain", "", "XMPP domain of the hidden recorder account, e.g. recorder.meet.example.org."),
    Setting("jibri.xmpp_username", "recorder", "XMPP user of the recorder account."),
    Setting("jibri.xmpp_password", "", "XMPP password of the recorder account.", secret=True),
    Setting("jibri.meet_url", "", "Base URL Jibri opens (default: jitsi.url)."),
    Setting("jibri.start_timeout", 60.0, "Seconds to wait for Jibri to report BUSY after a start.", float),
    Setting("jibri.finalize_worker", True, "jibri-finalize and `record stop` of a capture also start "
            "`briefing work` in the background.",
            config.boolean),
    Setting("record.method", "jibri", "How `briefing daily` records: jibri, capture or none."),
    Setting("capture.source", "", "Live source for `record capture` and daily capture, e.g. "
                                  "rtmp://127.0.0.1/live/{id} ({id} = the briefing id)."),
    Setting("capture.segment", "10s", "Length of a capture segment."),
    Setting("capture.stall_timeout", 15.0, "Seconds without data before the capture reconnects.", float),
    Setting("media.loudness", "-23", "Loudness of the published audio in LUFS (EBU R128: -23), or off.",
            str),
)

RECORDING_SUFFIXES = {".mp4", ".mkv", ".webm", ".mov", ".flv", ".ts", ".m4a", ".mp3", ".wav", ".ogg", ".opus"}


def loudnorm_target(settings: Settings) -> Any:
    """The EBU R128 target of the published audio from ``media.loudness`` (None when off)."""
    from recorder.normalize import Loudnorm

    raw = str(settings["media.loudness"]).strip().lower()
    if raw in ("", "off", "none", "false", "0"):
        return None
    try:
        value = float(raw.removesuffix("lufs").strip())
    except ValueError:
        raise ConfigError(f"bad media.loudness {raw!r}", hint="use a LUFS value such as -23 or -16, or off") from None
    if not -40 <= value <= -5:
        raise ConfigError(f"media.loudness {value} LUFS is out of range", hint="use -23 (EBU R128) or -16 (web)")
    return Loudnorm(integrated=value)


# -- briefings and store rows --------------------------------------------------------------------------
def ensure_briefing(store: Store, settings: Settings, bid: str) -> Briefing:
    """The briefing ``bid``; an unscheduled id of the form YYYY-MM-DD-slug is created on the fly."""
    b = store.find_briefing(bid)
    if b is not None:
        return b
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})-([a-z0-9-]+)", bid or "")
    if not m:
        raise NotFoundError(f"no briefing with id {bid!r}",
                            hint="use a scheduled briefing's id (`briefing schedule list`) or YYYY-MM-DD-title")
    try:
        date_cls.fromisoformat(m.group(1))
    except ValueError:
        raise NotFoundError(f"no briefing with id {bid!r} ({m.group(1)} is not a date)") from None
    title = m.group(2).replace("-", " ").capitalize()
    if bid == make_briefing_id(m.group(1), settings["briefing.title"]):
        title = settings["briefing.title"]
    return store.save_briefing(Briefing(id=bid, title=title, date=m.group(1),
                                        language=settings["briefing.language"]))


def workspace(settings: Settings, bid: str) -> Path:
    return settings.workspace / bid


def capture_dir(settings: Settings, bid: str) -> Path:
    return workspace(settings, bid) / "capture"


# Paths of files in the home are stored relative to it (as the store keeps artifacts, migration 41 for
# rows written before) and given back absolute in the home the store is opened in: a copied, moved or
# restored home works on its own recordings only.
_PATH_KEYS = ("recording", "page")  # the paths of a job's result (a recording's meta has "original")


def _stored(store: Store, value: Any) -> Any:
    return store.rel(value) if isinstance(value, str) and value else value


def _shown(store: Store, value: Any) -> Any:
    if not isinstance(value, str) or not value or "://" in value:
        return value
    return store.abs(value)


def _row(store: Store, r: Any) -> dict[str, Any]:
    d = dict(r)
    if "meta" in d:
        d["meta"] = json.loads(d["meta"] or "{}")
        if "original" in d["meta"]:
            d["meta"]["original"] = _shown(store, d["meta"]["original"])
    if "result" in d:
        d["result"] = json.loads(d["result"] or "{}")
        for k in _PATH_KEYS:
            if k in d["result"]:
                d["result"][k] = _shown(store, d["result"][k])
    if "path" in d:
        d["path"] = _shown(store, d["path"])
    if d.get("source") and d.get("method") != "capture":  # an ingested file or session directory
        d["source"] = _shown(store, d["source"])
    return d


def recordings(store: Store, bid: str) -> list[dict[str, Any]]:
    return [_row(store, r) for r in
            store.query("SELECT * FROM recordings WHERE briefing_id = ? ORDER BY id", (bid,))]


def _open_recording(store: Store, bid: str, method: str, *, session_id: str | None = None,
                    source: str | None = None, status: str = "recording", meta: dict | None = None) -> int:
    ts = now_iso()
    if method != "capture":  # the ingested file or session directory (a capture's source is a URL)
        source = _stored(store, source)
    with store.tx() as db:
        cur = db.execute(
            """INSERT INTO recordings (briefing_id, method, session_id, source, status, meta, started_at,
                                       created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (bid, method, session_id, source, status, json.dumps(meta or {}, ensure_ascii=False), ts, ts, ts))
        assert cur.lastrowid is not None  # an INSERT sets it
        return cur.lastrowid


def _update_recording(store: Store, rid: int, **cols: Any) -> None:
    if "path" in cols:
        cols["path"] = _stored(store, cols["path"])
    if "meta" in cols:
        meta = dict(cols["meta"])
        if "original" in meta:
            meta["original"] = _stored(store, meta["original"])
        cols["meta"] = json.dumps(meta, ensure_ascii=False)
    cols["updated_at"] = now_iso()
    sets = ", ".join(f"{k} = ?" for k in cols)
    with store.tx() as db:
        db.execute(f"UPDATE recordings SET {sets} WHERE id = ?", (*cols.values(), rid))


def _latest(store: Store, bid: str, method: str) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM recordings WHERE briefing_id = ? AND method = ? ORDER BY id DESC LIMIT 1",
                       (bid, method))
    return _row(store, rows[0]) if rows else None


# -- the queue -------------------------------------------------------------------------------------------
def enqueue(store: Store, bid: str, path: Path | str, *, key: str | None = None) -> dict[str, Any]:
    """Queue a recording (file or Jibri session directory) for processing; the same key is queued once."""
    path = store.rel(Path(path).resolve())  # relative to the home when inside it
    key = key or f"{bid}:{path}"
    ts = now_iso()
    with store.tx() as db:
        db.execute("""INSERT INTO recording_jobs (briefing_id, key, path, status, created_at, updated_at)
                      VALUES (?, ?, ?, 'queued', ?, ?) ON CONFLICT(key) DO NOTHING""", (bid, key, path, ts, ts))
    return _row(store, store.query("SELECT * FROM recording_jobs WHERE key = ?", (key,))[0])


def jobs(store: Store, *, bid: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    sql, params = "SELECT * FROM recording_jobs WHERE 1=1", []
    if bid:
        sql += " AND briefing_id = ?"
        params.append(bid)
    if status:
        sql += " AND status = ?"
        params.append(status)
    return [_row(store, r) for r in store.query(sql + " ORDER BY id", tuple(params))]


def _set_job(store: Store, jid: int, **cols: Any) -> None:
    if "result" in cols:
        result = dict(cols["result"])
        for k in _PATH_KEYS:
            if k in result:
                result[k] = _stored(store, result[k])
        cols["result"] = json.dumps(result, ensure_ascii=False, default=str)
    cols["updated_at"] = now_iso()
    sets = ", ".join(f"{k} = ?" for k in cols)
    with store.tx() as db:
        db.execute(f"UPDATE recording_jobs SET {sets} WHERE id = ?", (*cols.values(), jid))


class _FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


@dataclass
class WorkResult:
    done: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    busy: bool = False  # another worker holds the queue

    def to_dict(self) -> dict[str, Any]:
        return {"done": self.done, "failed": self.failed, "busy": self.busy}


def work(store: Store, settings: Settings, *, bid: str | None = None, reporter: Any = None,
         process: Callable[..., Any] | None = None) -> WorkResult:
    """Process queued recordings (one worker at a time; a second returns at once with busy=True).

    A job left ``running`` by a worker that died is picked up again: every stage is idempotent. A job
    whose briefing another command is working on stays queued, for the next worker.
    """
    from briefing.locks import BriefingBusy

    lock = _FileLock(settings.home / "locks" / "work.lock")
    if not lock.try_acquire():
        return WorkResult(busy=True)
    result = WorkResult()
    try:
        todo = [j for j in jobs(store, bid=bid) if j["status"] in ("queued", "running")]
        for job in todo:
            _set_job(store, job["id"], status="running", attempts=job["attempts"] + 1, error=None)
            try:
                out = _run_job(store, settings, job, reporter=reporter, process=process)
            except BriefingBusy as exc:  # another command works on the briefing: left for the next worker
                _set_job(store, job["id"], status="queued", error=str(exc))
                result.failed.append({"id": job["id"], "briefing": job["briefing_id"], "error": str(exc)})
                continue
            except BriefingError as exc:
                _set_job(store, job["id"], status="failed", error=str(exc))
                result.failed.append({"id": job["id"], "briefing": job["briefing_id"], "error": str(exc)})
                continue
            _set_job(store, job["id"], status="done", result=out)
            result.done.append({"id": job["id"], "briefing": job["briefing_id"], **out})
    finally:
        lock.release()
    return result


def _run_job(store: Store, settings: Settings, job: dict[str, Any], *, reporter: Any,
             process: Callable[..., Any] | None) -> dict[str, Any]:
    from briefing import pipeline

    bid = job["briefing_id"]
    path = Path(job["path"])
    rec = ingest(store, settings, bid, path, queue=False)
    b = store.briefing(bid)
    run = process or pipeline.process
    res = run(store, settings, Path(rec["path"]), title=b.title, date=b.date,
              language=None if b.language in ("", "auto") else b.language, speakers=tuple(b.speakers),
              reporter=reporter, bid=bid)
    return {"recording": rec["path"], "ran": list(getattr(res, "ran", [])),
            "page": str(getattr(res, "page", "") or "")}


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
        from briefing import text

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
    media = [p for p in path.iterdir() if p.is_file() and p.suffix.lower() in RECORDING_SUFFIXES
             and not p.name.startswith(".")]
    if not media:
        raise InputError(f"no recording in {path}", hint="Jibri writes <room>_<timestamp>.mp4 there; wait for it")
    main = max(media, key=lambda p: (p.stat().st_size, p.name))
    metadata: dict[str, Any] = {}
    meta_path = path / "metadata.json"
    if meta_path.exists():
        try:
            metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{meta_path} is not valid JSON: {exc}",
                             hint="fix or remove it; the recording can be ingested without it") from None
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
        try:
            from briefing import schedule
        except ImportError:  # pragma: no cover - scheduling not installed
            return None
        occ = schedule.occurrence_by_room(store, room)
        if occ is not None:
            return occ.id
    return None


def ingest(store: Store, settings: Settings, bid: str | None, path: Path, *, queue: bool = True,
           move: bool = False) -> dict[str, Any]:
    """Copy a recording (file, or Jibri session directory) into the briefing's workspace, verified by
    SHA-256; take meeting URL and participants from metadata.json; queue its processing. ``move``: the
    file is the application's own (a joined capture): renamed into place when on the same file system."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist", hint="check the path of the recording")
    session: SessionDir | None = read_session_dir(path) if path.is_dir() else None
    media = session.media if session else path
    if not bid or bid == "-":
        bid = link_briefing(store, session_id=session.session_id if session else None,
                            room=session.room if session else None)
        if bid is None:
            raise NotFoundError(f"cannot tell which briefing {path} belongs to",
                                hint="name it: `briefing ingest ID PATH`")
    b = ensure_briefing(store, settings, bid)
    if media.stat().st_size == 0:
        raise InputError(f"{media} is empty", hint="the recorder wrote nothing; check Jibri's log")
    sha = sha256_file(media)
    dest = workspace(settings, bid) / "recording" / media.name
    for r in recordings(store, bid):  # the same file already copied in: nothing to do
        if r["sha256"] == sha and r["path"] and Path(r["path"]).is_file() and r["status"] == "ingested":
            if queue:
                enqueue(store, bid, r["path"], key=f"{bid}:{sha}")
            return r
    meta: dict[str, Any] = {"original": str(media.resolve())}
    if not (move and _move_into(media, dest)):
        _copy_verified(media, dest, sha)
    if session:
        meta.update(meeting_url=session.meeting_url, room=session.room, session_id=session.session_id,
                    participants=list(session.participants))
        names = session.speaker_names
        if names:
            speakers = tuple(dict.fromkeys((*b.speakers, *names)))
            store.save_briefing(replace(b, speakers=speakers))
    existing = [r for r in recordings(store, bid) if r["method"] in ("jibri", "capture")
                and r["status"] in ("recording", "stopped")]
    if existing:
        rid = existing[-1]["id"]
        meta = {**existing[-1]["meta"], **meta}
    else:
        rid = _open_recording(store, bid, "jibri" if session else "file", source=str(path.absolute()),
                              status="stopped", session_id=session.session_id if session else None)
    _update_recording(store, rid, status="ingested", path=str(dest), sha256=sha, meta=meta,
                      stopped_at=now_iso())
    if queue:
        enqueue(store, bid, dest, key=f"{bid}:{sha}")
    return _row(store, store.query("SELECT * FROM recordings WHERE id = ?", (rid,))[0])


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
            raise InputError(f"{src} changed while it was copied in (checksum mismatch)",
                             hint="wait until the recording is complete, then run again")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


# -- Jibri's finalize script ---------------------------------------------------------------------------
def jibri_finalize(store: Store, settings: Settings, directory: Path, *, spawn_worker: bool | None = None) -> dict:
    """Called by Jibri with the session directory: queue it and return at once (Jibri stays BUSY until
    this exits). The copy-in and the processing happen in `briefing work` (started here in the
    background, and run by the daily timer anyway)."""
    directory = Path(directory)
    session = read_session_dir(directory)
    bid = link_briefing(store, session_id=session.session_id, room=session.room)
    if bid is None:
        raise NotFoundError(f"no briefing for Jibri session {session.session_id!r} (room {session.room!r})",
                            hint=f"ingest it by hand: briefing ingest ID {directory}")
    job = enqueue(store, bid, directory, key=f"{bid}:jibri:{session.session_id}:{session.media.name}")
    rec = _latest(store, bid, "jibri")
    if rec and rec["status"] == "recording":
        _update_recording(store, rec["id"], status="stopped", stopped_at=now_iso())
    spawned = None
    if spawn_worker if spawn_worker is not None else settings["jibri.finalize_worker"]:
        spawned = spawn_work(settings)
    return {"briefing": bid, "job": job["id"], "status": job["status"], "worker": spawned}


def spawn_work(settings: Settings) -> int:
    """Start `briefing work` detached (own session, no terminal), so the caller can return at once."""
    argv = [sys.executable, "-c", "import cli; cli.main()", "--home", str(settings.home), "-q", "work"]
    log = open(settings.home / "work.log", "ab")
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                cwd=str(Path(__file__).resolve().parents[1]))
    finally:
        log.close()
    return proc.pid


# -- Jibri ---------------------------------------------------------------------------------------------------
def jibri_client(settings: Settings) -> Any:
    from recorder.jibri import JibriClient

    if not settings["jibri.url"]:
        raise ConfigError("the Jibri URL is not set", hint="set BRIEFING_JIBRI_URL, e.g. http://127.0.0.1:2222")
    return JibriClient(settings["jibri.url"])


def _jibri(fn: Callable[[], Any]) -> Any:
    """Call the Jibri client; its errors become JitsiError (errors.convert)."""
    with translated():
        return fn()


def _room_of(store: Store, b: Briefing) -> str:
    room = (b.meta.get("schedule") or {}).get("room")
    if room:
        return room
    try:
        from briefing import schedule

        return schedule.get_occurrence(store, b.id).room
    except (ImportError, BriefingError):
        raise InputError(f"briefing {b.id} has no Jitsi room", hint="schedule it first, or pass --room") from None


def start_request(store: Store, settings: Settings, b: Briefing, *, room: str | None = None) -> Any:
    from recorder.jibri import CallLogin, StartRequest

    try:
        from briefing import jitsi as _jitsi  # noqa: F401  (declares jitsi.url)
    except ImportError:  # pragma: no cover
        pass
    base = settings["jibri.meet_url"] or settings.get("jitsi.url") or ""
    if not base:
        raise ConfigError("no Jitsi URL for Jibri to open", hint="set BRIEFING_JITSI_URL (or BRIEFING_JIBRI_MEET_URL)")
    domain, user, pw = settings["jibri.xmpp_domain"], settings["jibri.xmpp_username"], settings["jibri.xmpp_password"]
    if not domain or not pw:
        raise ConfigError("the recorder's XMPP login is incomplete",
                          hint="set BRIEFING_JIBRI_XMPP_DOMAIN and BRIEFING_JIBRI_XMPP_PASSWORD (or _FILE)")
    sink = settings["jibri.sink"].lower()
    rtmp = None
    if sink == "stream":
        if not settings["jibri.rtmp_url"]:
            raise ConfigError("jibri.sink is stream but no RTMP URL is set", hint="set BRIEFING_JIBRI_RTMP_URL")
        rtmp = settings["jibri.rtmp_url"].rstrip("/") + "/" + b.id
    return StartRequest(session_id=b.id, base_url=base, call_name=room or _room_of(store, b),
                        login=CallLogin(domain, user, pw), sink=sink, rtmp_url=rtmp)


def record_start(store: Store, settings: Settings, bid: str, *, room: str | None = None,
                 wait: bool = True) -> dict[str, Any]:
    """Start Jibri for the briefing (sessionId = briefing id) and wait until it reports BUSY."""
    b = ensure_briefing(store, settings, bid)
    req = start_request(store, settings, b, room=room)
    client = jibri_client(settings)
    try:
        health = _jibri(client.health)
        if health.expired:
            raise JitsiError("Jibri is EXPIRED (single-use mode): it must be restarted before it records again",
                             hint="restart the Jibri service, or point BRIEFING_JIBRI_URL at another Jibri")
        if not health.healthy:
            raise JitsiError("Jibri reports UNHEALTHY", hint="read Jibri's log and restart it")
        if health.busy:
            raise JitsiError("Jibri is busy with another recording or stream",
                             hint="stop it first (`briefing record stop`) or use another Jibri")
        rid = _open_recording(store, bid, "jibri", session_id=b.id, source=settings["jibri.url"],
                              status="starting", meta={"sink": req.sink, "room": req.call_name,
                                                       "rtmp_url": req.rtmp_url})
        try:
            _jibri(lambda: client.start(req))
            if wait:
                health = _jibri(lambda: client.wait_for("BUSY", timeout=float(settings["jibri.start_timeout"])))
        except BaseException as exc:
            _update_recording(store, rid, status="failed", meta={"error": str(exc)})
            raise
        _update_recording(store, rid, status="recording")
    finally:
        client.close()
    return {"briefing": bid, "session_id": b.id, "sink": req.sink, "room": req.call_name,
            "jibri": health.to_dict()}


def record_stop(store: Store, settings: Settings, bid: str, *, method: str | None = None) -> dict[str, Any]:
    """Stop the briefing's recording: a running capture (cleanly, then joined), else Jibri. A joined
    capture is processed at once in the background (`briefing work`, as jibri-finalize starts it; the
    same setting, jibri.finalize_worker); ``worker`` is its pid (None when nothing was started)."""
    cdir = capture_dir(settings, bid)
    if method == "capture" or (method is None and (cdir / "capture.json").exists()):
        out = capture_stop(store, settings, bid)
        out["worker"] = None
        if settings["jibri.finalize_worker"] and jobs(store, bid=bid, status="queued"):
            out["worker"] = spawn_work(settings)
            out["log"] = str(settings.home / "work.log")
        return out
    client = jibri_client(settings)
    try:
        _jibri(client.stop)
        health = _jibri(lambda: client.wait_for("IDLE", "EXPIRED", timeout=30))
    finally:
        client.close()
    rec = _latest(store, bid, "jibri")
    if rec and rec["status"] in ("starting", "recording"):
        _update_recording(store, rec["id"], status="stopped", stopped_at=now_iso())
    return {"briefing": bid, "method": "jibri", "jibri": health.to_dict(),
            "queued": [j["id"] for j in jobs(store, bid=bid)]}


def record_status(store: Store, settings: Settings, bid: str) -> dict[str, Any]:
    from recorder import capture as rc

    b = ensure_briefing(store, settings, bid)
    out: dict[str, Any] = {"briefing": b.id, "recordings": recordings(store, bid), "jobs": jobs(store, bid=bid)}
    cdir = capture_dir(settings, bid)
    if (cdir / "capture.json").exists():
        segs = rc.segments(cdir)
        out["capture"] = {"running_pid": rc.running_pid(cdir), "segments": len(segs),
                          "bytes": sum(p.stat().st_size for p in segs), "state": rc.read_state(cdir)}
    if settings["jibri.url"]:
        client = jibri_client(settings)
        try:
            out["jibri"] = _jibri(client.health).to_dict()
        except JitsiError as exc:
            out["jibri"] = {"error": str(exc)}
        finally:
            client.close()
    return out


# -- live capture ----------------------------------------------------------------------------------------------
def capture_source(settings: Settings, bid: str, source: str | None) -> str:
    src = source or settings["capture.source"]
    if not src:
        raise ConfigError("no live source to capture", hint="pass --source rtmp://… or set BRIEFING_CAPTURE_SOURCE")
    return src.replace("{id}", bid)


def capture(store: Store, settings: Settings, bid: str, *, source: str | None = None, segment: str | None = None,
            on_event: Callable[[str, dict[str, Any]], None] | None = None, force: bool = False) -> dict[str, Any]:
    """Run the live capture of a briefing until `record stop` (blocking). Started again after a crash with
    the same arguments, it continues in the same directory. At the clean end the segments are joined
    into the recording, which is ingested and queued for processing."""
    from recorder import capture as rc

    b = ensure_briefing(store, settings, bid)
    src = capture_source(settings, bid, source)
    cdir = capture_dir(settings, bid)
    done = _latest(store, bid, "capture")
    if done and done["status"] == "ingested" and not force:
        raise InputError(f"the capture of {bid} was already stopped and joined",
                         hint="use --force to record more into the same briefing")
    with translated():
        opts = rc.CaptureOptions(segment_seconds=_segment_seconds(segment or settings["capture.segment"]),
                                 stall_timeout=float(settings["capture.stall_timeout"]))
        cap = rc.Capture(src, cdir, opts, on_event=on_event)
    rec = _latest(store, bid, "capture")
    if rec is None or rec["status"] not in ("recording", "stopped"):
        rid = _open_recording(store, bid, "capture", source=src, status="recording")
    else:
        rid = rec["id"]
        _update_recording(store, rid, status="recording")
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            previous[sig] = signal.signal(sig, lambda *_: cap.request_stop())
    from briefing import live  # transcribes the finished segments while the capture runs (live.enabled)

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
        return {"briefing": b.id, "stopped": False, "segments": len(result.segments), "runs": result.runs}
    out = _finish_capture(store, settings, bid, rid)
    if follower is not None:
        follower.wait()  # it transcribes the last chunk (or the transcribe stage already did)
    return out


def _finish_capture(store: Store, settings: Settings, bid: str, rid: int) -> dict[str, Any]:
    """Join and ingest under the capture lock: `record stop` and the stopping capture may both get here."""
    from recorder import capture as rc

    with translated(), rc.holding_lock(capture_dir(settings, bid)):
        rec = _latest(store, bid, "capture")
        if rec and rec["status"] == "ingested":
            return {"briefing": bid, "stopped": True, "recording": rec["path"],
                    "segments": rec["meta"].get("segments"), "skipped": rec["meta"].get("skipped_segments", []),
                    "runs": rec["meta"].get("runs"), "queued": [j["id"] for j in jobs(store, bid=bid)]}
        return _join_and_ingest(store, settings, bid, rid)


def _join_and_ingest(store: Store, settings: Settings, bid: str, rid: int) -> dict[str, Any]:
    from recorder import capture as rc

    cdir = capture_dir(settings, bid)
    segs = rc.segments(cdir)
    with translated():
        dest, skipped = rc.join_segments(segs, cdir / "recording.mp4", cache=cdir / rc.PROBED_NAME)
    state = rc.read_state(cdir)
    rec = ingest(store, settings, bid, dest, queue=True, move=True)  # ours: moved in, not copied
    meta = {**rec["meta"], "segments": len(segs), "skipped_segments": [p.name for p in skipped],
            "runs": len(state.get("runs", []))}
    _update_recording(store, rid, status="ingested", path=rec["path"], sha256=rec["sha256"], meta=meta,
                      stopped_at=now_iso())
    if rec["id"] != rid:  # ingest made a row of its own for the file: keep the capture's row only
        with store.tx() as db:
            db.execute("DELETE FROM recordings WHERE id = ?", (rec["id"],))
    return {"briefing": bid, "stopped": True, "recording": rec["path"], "segments": len(segs),
            "skipped": [p.name for p in skipped], "runs": len(state.get("runs", [])),
            "queued": [j["id"] for j in jobs(store, bid=bid, status="queued")]}


def capture_stop(store: Store, settings: Settings, bid: str, *, wait: float = 30.0) -> dict[str, Any]:
    """Stop the capture cleanly (SIGTERM → ffmpeg closes its segment); if no capture process is alive
    (it crashed), join what it left. Idempotent."""
    from recorder import capture as rc

    cdir = capture_dir(settings, bid)
    if not (cdir / "capture.json").exists():
        raise NotFoundError(f"no capture for {bid}", hint=f"start one with `briefing record capture {bid} --source …`")
    with translated():
        was_running = rc.request_stop(cdir, wait=wait)
    rec = _latest(store, bid, "capture")
    if rec and rec["status"] == "ingested":
        return {"briefing": bid, "stopped": True, "was_running": was_running, "recording": rec["path"],
                "segments": rec["meta"].get("segments"), "queued": [j["id"] for j in jobs(store, bid=bid)]}
    rid = rec["id"] if rec else _open_recording(store, bid, "capture", source=rc.read_state(cdir).get("source"))
    out = _finish_capture(store, settings, bid, rid)
    out["was_running"] = was_running
    return out


def capture_running(settings: Settings, bid: str) -> int | None:
    from recorder import capture as rc

    return rc.running_pid(capture_dir(settings, bid))


def spawn_capture(settings: Settings, bid: str, *, source: str | None = None) -> int:
    """Start `briefing record capture ID` detached (used by `briefing daily`)."""
    argv = [sys.executable, "-c", "import cli; cli.main()", "--home", str(settings.home), "-q", "record",
            "capture", bid]
    if source:
        argv += ["--source", source]
    d = capture_dir(settings, bid)
    d.mkdir(parents=True, exist_ok=True)
    log = open(d / "capture.log", "ab")
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                cwd=str(Path(__file__).resolve().parents[1]))
    finally:
        log.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and capture_running(settings, bid) is None and proc.poll() is None:
        time.sleep(0.1)
    return proc.pid
