"""Numbered migrations of the store, applied in order on open (see :class:`briefing.core.store.Store`).

Every table of the application is created here. Numbers are never reused or edited once landed; a change
is a new migration. Ranges by area: 1-9 core, 10-19 schedule/invitations/jitsi, 20-29 distribution,
30-39 archive/search, 40-49 recording, 50-59 live/quality, 60-69 review desk.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from briefing.core.text import NAME_MAX, TITLE_MAX, is_clean, strip

Migration = tuple[int, str, Callable[[sqlite3.Connection], None]]
MIGRATIONS: list[Migration] = []


def migration(number: int, name: str) -> Callable[[Callable[[sqlite3.Connection], None]], Callable]:
    def deco(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
        if any(n == number for n, _, _ in MIGRATIONS):
            raise RuntimeError(f"duplicate migration number {number}")
        MIGRATIONS.append((number, name, fn))
        MIGRATIONS.sort(key=lambda m: m[0])
        return fn

    return deco


def run_script(db: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the caller's transaction (executescript would commit)."""
    buffer = ""
    for piece in sql.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):  # a trigger body holds ";" of its own
            if buffer.strip(" \n\t;"):
                db.execute(buffer)
            buffer = ""
    if buffer.strip(" \n\t;"):
        db.execute(buffer)


@migration(1, "briefings and stages")
def _m001(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE briefings (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            date TEXT NOT NULL,
            language TEXT NOT NULL DEFAULT 'auto',
            speakers TEXT NOT NULL DEFAULT '[]',
            source_path TEXT,
            source_sha256 TEXT,
            meta TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE stages (
            briefing_id TEXT NOT NULL REFERENCES briefings(id) ON DELETE CASCADE,
            stage TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
            inputs_key TEXT,
            info TEXT NOT NULL DEFAULT '{}',
            error TEXT,
            started_at TEXT,
            finished_at TEXT,
            PRIMARY KEY (briefing_id, stage)
        );
        CREATE TABLE artifacts (
            briefing_id TEXT NOT NULL REFERENCES briefings(id) ON DELETE CASCADE,
            stage TEXT NOT NULL,
            role TEXT NOT NULL,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (briefing_id, role)
        );
        CREATE INDEX briefings_date ON briefings(date);
        """,
    )


@migration(2, "outbox")
def _m002(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,            -- invitation, email, channel, upload ...
            key TEXT NOT NULL UNIQUE,      -- what makes a message the same message (no duplicates)
            briefing_id TEXT,
            target TEXT NOT NULL,          -- recipient address, channel URL (secrets masked), target name
            payload TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before TEXT,               -- embargo: do not send before this time (ISO)
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX outbox_briefing ON outbox(briefing_id);
        CREATE INDEX outbox_status ON outbox(status)
    """,
    )


@migration(9, "people's text stored before it was checked: control characters and direction overrides out")
def _m009(db: sqlite3.Connection) -> None:
    import json

    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _loads(raw: str) -> object:
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def names(raw: str) -> str:
        try:
            value = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(value, list):
            value = [strip(v, max_len=NAME_MAX) if isinstance(v, str) else v for v in value]
            value = [
                (
                    {**v, "name": strip(v["name"], max_len=NAME_MAX)}
                    if isinstance(v, dict) and isinstance(v.get("name"), str)
                    else v
                )
                for v in value
            ]
        elif isinstance(value, dict) and isinstance(value.get("name"), str):
            value = {**value, "name": strip(value["name"], max_len=NAME_MAX)}
        return json.dumps(value, ensure_ascii=False)

    def clean(table: str, key: str, cols: dict[str, object]) -> None:
        if table not in tables:  # a new store: nothing stored yet
            return
        for row in db.execute(f"SELECT {key}, {', '.join(cols)} FROM {table}").fetchall():
            new = {}
            for i, (col, how) in enumerate(cols.items(), 1):
                v = row[i]
                if not isinstance(v, str):
                    continue
                if how is names:  # JSON keeps C0 controls escaped: compare what it decodes to
                    fixed = names(v)
                    if json.loads(fixed) != _loads(v):
                        new[col] = fixed
                elif not is_clean(v):
                    new[col] = how(v)  # type: ignore[operator]
            if new:
                sets = ", ".join(f"{c} = ?" for c in new)
                db.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", (*new.values(), row[0]))

    title = lambda v: strip(v, max_len=TITLE_MAX) or "Press briefing"  # noqa: E731
    clean("briefings", "id", {"title": title, "speakers": names})
    clean("schedule_series", "id", {"title": title, "chair": names, "speakers": names})
    clean("speaker_turns", "rowid", {"name": lambda v: strip(v, max_len=NAME_MAX) or "Speaker"})


@migration(10, "schedule: series, occurrences, reservations")
def _m010(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE schedule_series (
            id TEXT PRIMARY KEY,              -- slug of the title, e.g. daily-press-briefing
            title TEXT NOT NULL,
            timezone TEXT NOT NULL,           -- IANA zone, e.g. Asia/Ho_Chi_Minh
            dtstart TEXT NOT NULL,            -- local wall-clock start of the first occurrence (no offset)
            duration_s INTEGER NOT NULL,
            rrule TEXT,                       -- RFC 5545 RRULE value (UNTIL in local time), NULL = one-off
            language TEXT NOT NULL DEFAULT 'auto',
            chair TEXT NOT NULL DEFAULT '{}', -- {"name", "email"}
            speakers TEXT NOT NULL DEFAULT '[]',
            press_list TEXT,
            uid TEXT NOT NULL UNIQUE,         -- iCalendar UID of the series
            secret TEXT NOT NULL,             -- random, makes room names unguessable
            sequence INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE schedule_occurrences (
            id TEXT PRIMARY KEY,              -- = briefings.id
            series_id TEXT NOT NULL REFERENCES schedule_series(id) ON DELETE CASCADE,
            original_start TEXT NOT NULL,     -- local wall-clock start from the rule (RECURRENCE-ID)
            start_utc TEXT NOT NULL,
            end_utc TEXT NOT NULL,
            room TEXT NOT NULL UNIQUE,
            sequence INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
            moved INTEGER NOT NULL DEFAULT 0,
            ended_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (series_id, original_start)
        );
        CREATE INDEX schedule_occurrences_start ON schedule_occurrences(start_utc);
        CREATE TABLE jitsi_reservations (
            id INTEGER PRIMARY KEY,
            occurrence_id TEXT NOT NULL REFERENCES schedule_occurrences(id) ON DELETE CASCADE,
            name TEXT NOT NULL,               -- room name as prosody sent it ([tenant]room)
            mail_owner TEXT NOT NULL,
            start_time TEXT NOT NULL,
            duration_s INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            ended_at TEXT
        );
        CREATE INDEX jitsi_reservations_occurrence ON jitsi_reservations(occurrence_id)
    """,
    )


@migration(30, "archive: packages and pruned working copies")
def _m030(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE archives (
            id INTEGER PRIMARY KEY,
            briefing_id TEXT NOT NULL,        -- no foreign key: the record of an archive outlives the briefing
            version INTEGER NOT NULL,         -- 1, 2 ... per briefing (a new package after a correction)
            target TEXT NOT NULL CHECK (target IN ('local', 's3')),
            location TEXT NOT NULL,           -- the bag's directory, or s3://bucket/prefix/
            bag_name TEXT NOT NULL,
            retention_class TEXT NOT NULL,
            retain_until TEXT,                -- ISO date, NULL = forever
            payload_oxum TEXT NOT NULL,
            files TEXT NOT NULL,              -- JSON {bag path: {sha256, size, role}}
            objects TEXT NOT NULL DEFAULT '{}', -- JSON {s3 key: version id}
            created_at TEXT NOT NULL,
            verified_at TEXT,
            verify_ok INTEGER,
            verify_error TEXT,
            UNIQUE (briefing_id, version)
        );
        CREATE INDEX archives_briefing ON archives(briefing_id);
        CREATE TABLE pruned (
            briefing_id TEXT NOT NULL,
            role TEXT NOT NULL,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            archive_id INTEGER NOT NULL REFERENCES archives(id),
            pruned_at TEXT NOT NULL,
            PRIMARY KEY (briefing_id, role, sha256)
        )
    """,
    )


@migration(31, "search: transcript passages and their FTS5 index")
def _m031(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE search_segments (
            id INTEGER PRIMARY KEY,
            briefing_id TEXT NOT NULL REFERENCES briefings(id) ON DELETE CASCADE,
            seg INTEGER NOT NULL,
            start REAL NOT NULL,
            end REAL NOT NULL,
            speaker TEXT,
            speaker_folded TEXT NOT NULL DEFAULT '',
            date TEXT NOT NULL,
            text TEXT NOT NULL
        );
        CREATE INDEX search_segments_briefing ON search_segments(briefing_id);
        CREATE VIRTUAL TABLE search_fts USING fts5(folded, tokenize = 'unicode61 remove_diacritics 0');
        CREATE TABLE search_index (
            briefing_id TEXT PRIMARY KEY REFERENCES briefings(id) ON DELETE CASCADE,
            transcript_sha256 TEXT NOT NULL,
            briefing_updated_at TEXT NOT NULL,
            segments INTEGER NOT NULL,
            indexed_at TEXT NOT NULL
        )
    """,
    )


@migration(20, "distribution: publications per target, announcements, delivery attempts")
def _m020(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE publications (
            briefing_id TEXT NOT NULL,
            target TEXT NOT NULL,             -- the target's name from [[publish.targets]] ("site" = local site)
            version INTEGER,                  -- the version the target holds (NULL until one went up)
            url TEXT,                         -- the briefing's public URL at that target
            status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
            uploaded INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            published_at TEXT,                -- when the version above finished going up
            updated_at TEXT NOT NULL,
            PRIMARY KEY (briefing_id, target)
        );
        CREATE TABLE announcements (
            briefing_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            notify INTEGER NOT NULL,          -- 1: tell the channels and the press list; 0: decided not to
            embargo TEXT,                     -- ISO time before which the press email is not sent
            requested_at TEXT NOT NULL,
            recorded_at TEXT,                 -- when its messages were put in the outbox
            PRIMARY KEY (briefing_id, version)
        );
        CREATE TABLE delivery_attempts (
            key TEXT PRIMARY KEY,             -- outbox key
            started_at TEXT NOT NULL,         -- a send began ...
            finished_at TEXT                  -- ... and came back (NULL: interrupted, outcome unknown)
        )
    """,
    )


@migration(40, "recordings, recording jobs and the daily run state")
def _m040(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE recordings (
            id INTEGER PRIMARY KEY,
            briefing_id TEXT NOT NULL REFERENCES briefings(id) ON DELETE CASCADE,
            method TEXT NOT NULL,             -- jibri | capture | file
            session_id TEXT,                  -- Jibri sessionId (= briefing id when we started it)
            source TEXT,                      -- capture URL, Jibri URL, or the ingested path
            status TEXT NOT NULL,             -- starting | recording | stopped | ingested | failed
            path TEXT,                        -- the recording copied into the workspace
            sha256 TEXT,
            meta TEXT NOT NULL DEFAULT '{}',  -- meeting_url, participants, segments ...
            started_at TEXT,
            stopped_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX recordings_briefing ON recordings(briefing_id);
        CREATE TABLE recording_jobs (
            id INTEGER PRIMARY KEY,
            briefing_id TEXT NOT NULL REFERENCES briefings(id) ON DELETE CASCADE,
            key TEXT NOT NULL UNIQUE,         -- what makes a job the same job (queued once)
            path TEXT NOT NULL,               -- media file or Jibri session directory
            status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            result TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX recording_jobs_status ON recording_jobs(status);
        CREATE TABLE daily_runs (
            briefing_id TEXT PRIMARY KEY REFERENCES briefings(id) ON DELETE CASCADE,
            state TEXT NOT NULL,              -- waiting open starting recording stopping queued published done ...
            method TEXT,
            info TEXT NOT NULL DEFAULT '{}',
            updated_at TEXT NOT NULL
        )
    """,
    )


@migration(50, "live transcription: runs, the capture segments consumed, the transcribed chunks")
def _m050(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE live_runs (
            briefing_id TEXT PRIMARY KEY REFERENCES briefings(id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('running', 'complete')),
            language TEXT,                    -- as requested (NULL = detect)
            options_key TEXT NOT NULL,        -- the decoding options and model it was made with
            samples INTEGER NOT NULL DEFAULT 0,  -- 16 kHz samples received so far
            info TEXT NOT NULL DEFAULT '{}',  -- engine, device, timings
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            completed_at TEXT
        );
        CREATE TABLE live_sources (
            briefing_id TEXT NOT NULL REFERENCES briefings(id) ON DELETE CASCADE,
            name TEXT NOT NULL,               -- capture segment file name (seg-NNNNNN.ts)
            size INTEGER NOT NULL,
            start_sample INTEGER NOT NULL,    -- where its audio begins in the live timeline
            samples INTEGER NOT NULL,         -- 0: it could not be decoded (skipped, as the join skips it)
            PRIMARY KEY (briefing_id, name)
        );
        CREATE TABLE live_chunks (
            briefing_id TEXT NOT NULL REFERENCES briefings(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            start_sample INTEGER NOT NULL,
            end_sample INTEGER NOT NULL,
            data TEXT NOT NULL,               -- transcribe.live.Chunk as JSON
            PRIMARY KEY (briefing_id, idx)
        )
    """,
    )


@migration(55, "speaker turns named by the chair during review")
def _m055(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE speaker_turns (
            briefing_id TEXT NOT NULL REFERENCES briefings(id) ON DELETE CASCADE,
            start REAL NOT NULL,              -- seconds
            end REAL NOT NULL,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (briefing_id, start)
        )
    """,
    )


def home_relative(path: object, home: Path | None) -> str:
    """``path`` relative to ``home`` (POSIX separators) when it lies inside it, else ``str(path)`` unchanged.

    The store keeps the paths of files in the home this way, so that a copied, moved or restored home
    acts on its own files only."""
    text = str(path)
    if home is None or not text or "://" in text:
        return text
    p = Path(os.path.abspath(text))
    home = Path(home)
    for base, cand in ((home, p), (Path(os.path.realpath(home)), Path(os.path.realpath(p.parent)) / p.name)):
        try:
            rel = cand.relative_to(base)
        except ValueError:
            continue
        if rel.parts:
            return rel.as_posix()
    return text


def _old_home(rows: list[tuple[str, str, str]], home: Path) -> Path | None:
    """The home that absolute artifact paths were written in (``<home>/briefings/<id>/...``), when it is
    not this one: the home was copied or moved before its paths were made relative."""
    counts: dict[Path, int] = {}
    for bid, role, path in rows:
        if role == "page" or not path or not os.path.isabs(path):
            continue
        parts = Path(path).parts
        for i in range(len(parts) - 2):
            if parts[i] == "briefings" and parts[i + 1] == bid:
                cand = Path(*parts[:i])
                if cand != home:
                    counts[cand] = counts.get(cand, 0) + 1
                break
    if not counts:
        return None
    return max(counts, key=lambda c: (counts[c], -len(c.parts)))


def _db_home(db: sqlite3.Connection) -> Path | None:
    """The home a store's database file lies in (None for an in-memory store)."""
    files = [r[2] for r in db.execute("PRAGMA database_list") if r[1] == "main"]
    return Path(files[0]).absolute().parent if files and files[0] else None


def _in_home(path: str, home: Path, old: Path | None) -> str:
    """``path`` relative to ``home``, else to the ``old`` home it was written in (see :func:`_old_home`)."""
    out = home_relative(path, home)
    if out == path and old is not None:
        out = home_relative(path, old)
    return out


@migration(32, "paths of files in the home are stored relative to it (a home can be copied or moved)")
def _m032(db: sqlite3.Connection) -> None:
    home = _db_home(db)
    if home is None:
        return  # an in-memory store has no home
    arts = [(r[0], r[1], r[2]) for r in db.execute("SELECT briefing_id, role, path FROM artifacts")]
    old = _old_home(arts, home)

    def rel(path: str) -> str:
        return _in_home(path, home, old)

    for bid, role, path in arts:
        new = rel(path)
        if new != path:
            db.execute("UPDATE artifacts SET path = ? WHERE briefing_id = ? AND role = ?", (new, bid, role))
    for rowid, path in list(db.execute("SELECT rowid, path FROM pruned")):
        new = rel(path)
        if new != path:
            db.execute("UPDATE pruned SET path = ? WHERE rowid = ?", (new, rowid))
    for rid, location in list(db.execute("SELECT id, location FROM archives WHERE target = 'local'")):
        new = rel(location)
        if new != location:
            db.execute("UPDATE archives SET location = ? WHERE id = ?", (new, rid))


@migration(41, "recordings, recording jobs, local publications and sources: paths in the home stored relative to it")
def _m041(db: sqlite3.Connection) -> None:
    """As migration 32 did for artifacts: ``recordings.path`` (and an ingested ``source``, ``meta.original``),
    ``recording_jobs.path`` (with a key made of it, and the paths of its result), ``publications.url`` of
    a local target and ``briefings.source_path``. A home copied before this ran is recognised by where
    those absolute paths point (``<old home>/briefings/<id>/…``, ``<old home>/site/briefings/<id>/…``).
    And the page and site a publish stage's info names."""
    import json

    home = _db_home(db)
    if home is None:
        return  # an in-memory store has no home
    recs = [tuple(r) for r in db.execute("SELECT id, briefing_id, method, source, path, meta FROM recordings")]
    jobs = [tuple(r) for r in db.execute("SELECT id, briefing_id, key, path, result FROM recording_jobs")]
    pubs = [tuple(r) for r in db.execute("SELECT briefing_id, target, url FROM publications")]
    srcs = [tuple(r) for r in db.execute("SELECT id, source_path FROM briefings WHERE source_path IS NOT NULL")]

    seen: list[tuple[str, str, str]] = []  # (briefing, role, path) as _old_home reads them
    seen += [(r[1], "recording", r[4]) for r in recs if r[4]]
    seen += [(j[1], "job", j[3]) for j in jobs if j[3]]
    seen += [(s[0], "source", s[1]) for s in srcs if s[1]]
    for bid, _, url in pubs:
        p = Path(url) if url and os.path.isabs(url) else None
        if p is not None and len(p.parents) > 3 and p.parents[2].name == "site":  # <home>/site/briefings/<id>/…
            seen.append((bid, "site", str(p.parents[3] / "briefings" / bid / p.name)))
    old = _old_home(seen, home)

    def rel(path: object) -> object:
        return _in_home(path, home, old) if isinstance(path, str) and path else path

    for rid, _bid, method, source, path, meta in recs:
        cols: dict[str, object] = {}
        if rel(path) != path:
            cols["path"] = rel(path)
        if method != "capture" and source and "://" not in source and rel(source) != source:
            cols["source"] = rel(source)
        try:
            m = json.loads(meta or "{}")
        except ValueError:
            m = None
        if isinstance(m, dict) and isinstance(m.get("original"), str) and rel(m["original"]) != m["original"]:
            cols["meta"] = json.dumps({**m, "original": rel(m["original"])}, ensure_ascii=False)
        if cols:
            db.execute(
                f"UPDATE recordings SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?", (*cols.values(), rid)
            )
    for jid, bid, key, path, result in jobs:
        cols = {}
        new = rel(path)
        if new != path:
            cols["path"] = new
            if key == f"{bid}:{path}":  # the default key names the path: the same job, queued once
                taken = db.execute("SELECT 1 FROM recording_jobs WHERE key = ?", (f"{bid}:{new}",)).fetchone()
                if not taken:
                    cols["key"] = f"{bid}:{new}"
        try:
            res = json.loads(result or "{}")
        except ValueError:
            res = None
        if isinstance(res, dict):
            fixed = {k: (rel(v) if k in ("recording", "page") else v) for k, v in res.items()}
            if fixed != res:
                cols["result"] = json.dumps(fixed, ensure_ascii=False)
        if cols:
            db.execute(
                f"UPDATE recording_jobs SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?", (*cols.values(), jid)
            )
    for bid, target, url in pubs:
        if url and "://" not in url and rel(url) != url:
            db.execute("UPDATE publications SET url = ? WHERE briefing_id = ? AND target = ?", (rel(url), bid, target))
    for bid, source_path in srcs:
        if rel(source_path) != source_path:
            db.execute("UPDATE briefings SET source_path = ? WHERE id = ?", (rel(source_path), bid))
    for bid, info in list(db.execute("SELECT briefing_id, info FROM stages WHERE stage = 'publish'")):
        try:
            value = json.loads(info or "{}")
        except ValueError:
            continue
        if isinstance(value, dict):
            fixed = {k: (rel(v) if k in ("page", "site") else v) for k, v in value.items()}
            if fixed != value:
                db.execute(
                    "UPDATE stages SET info = ? WHERE briefing_id = ? AND stage = 'publish'",
                    (json.dumps(fixed, ensure_ascii=False), bid),
                )


@migration(60, "review desk: accounts, sessions, failed logins, draft versions and the audit trail")
def _m060(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE review_users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('reviewer', 'publisher')),
            password_hash TEXT NOT NULL,      -- argon2id (argon2-cffi), never the password
            created_at TEXT NOT NULL
        );
        CREATE TABLE review_sessions (
            token_sha256 TEXT PRIMARY KEY,    -- the cookie holds the token; only its hash is kept
            user TEXT NOT NULL,
            role TEXT NOT NULL,
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at REAL NOT NULL          -- unix time
        );
        CREATE TABLE review_login_failures (
            key TEXT PRIMARY KEY,             -- 'user:<name>' or 'addr:<ip>'
            failures INTEGER NOT NULL,
            last_at REAL NOT NULL
        );
        CREATE TABLE review_drafts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            briefing_id TEXT NOT NULL REFERENCES briefings(id) ON DELETE CASCADE,
            version INTEGER,                  -- the draft version; NULL for a save refused as a conflict
            base_version INTEGER NOT NULL,    -- the version the officer's editor was based on
            kind TEXT NOT NULL,               -- draft | conflict | published | external
            author TEXT NOT NULL,
            created_at TEXT NOT NULL,
            published_sha256 TEXT,            -- the published transcript the segments refer to
            pending_stamp TEXT,               -- the rev of the pending correction this row makes
            materialized INTEGER NOT NULL DEFAULT 1, -- 0: a draft saved, its pending correction not yet written
            segments TEXT NOT NULL            -- the officer's segments (JSON)
        );
        CREATE INDEX review_drafts_by_briefing ON review_drafts (briefing_id, id);
        CREATE TABLE review_audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            briefing_id TEXT NOT NULL,
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            role TEXT NOT NULL,
            action TEXT NOT NULL,             -- save | conflict | publish | speaker
            detail TEXT NOT NULL              -- JSON
        );
        CREATE INDEX review_audit_by_briefing ON review_audit (briefing_id, id)
    """,
    )


@migration(61, "recording jobs: a priority (a backfill's recordings after the recordings of the day)")
def _m061(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        ALTER TABLE recording_jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0; -- 0: of the day, 1: backfill
        CREATE INDEX recording_jobs_next ON recording_jobs (status, priority, id)
    """,
    )
