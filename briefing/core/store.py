"""The SQLite store: briefings, stage runs and their artifacts.

WAL mode, numbered migrations applied on open (``MIGRATIONS``; other modules append with
:func:`migration`). Callers use the methods here and never write SQL of their own for these tables.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from briefing.core.errors import NotFoundError, StoreError
from briefing.core.migrations import MIGRATIONS, home_relative


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class Briefing:
    id: str
    title: str
    date: str
    language: str = "auto"
    speakers: tuple[str, ...] = ()
    source_path: str | None = None
    source_sha256: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Briefing:
        return cls(
            id=row["id"],
            title=row["title"],
            date=row["date"],
            language=row["language"],
            speakers=tuple(json.loads(row["speakers"])),
            source_path=row["source_path"],
            source_sha256=row["source_sha256"],
            meta=json.loads(row["meta"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True)
class Artifact:
    role: str
    path: str
    sha256: str
    size: int
    stage: str = ""


@dataclass(frozen=True)
class StageRun:
    briefing_id: str
    stage: str
    status: str
    inputs_key: str | None
    info: dict[str, Any]
    error: str | None
    started_at: str | None
    finished_at: str | None


INFO_PATHS = ("page", "site")  # keys of a stage's info that hold a path (publish: the page, the site)


class Store:
    """One SQLite database file. Safe to share between the threads of one process.

    Paths of files inside the home (the directory holding the database) are stored relative to it, and
    given back absolute in the home the store is opened in: a copied, moved or restored home acts only on
    its own files (:meth:`rel`, :meth:`abs`; migrations 32 and 41 convert rows written before)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self.home: Path | None = None
        if self.path != ":memory:" and not self.path.startswith("file:"):
            self.home = Path(self.path).absolute().parent
        self._lock = threading.RLock()
        try:
            self.db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA busy_timeout = 30000")
            if self.path != ":memory:":
                self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot open the store {self.path}: {exc}",
                hint="check the file is a briefing database and the disk is writable",
            ) from None

    @classmethod
    def memory(cls) -> Store:
        return cls(":memory:")

    # -- paths ----------------------------------------------------------------------------------
    def rel(self, path: Path | str) -> str:
        """How a path is stored: relative to the home (POSIX separators) when inside it, else as given."""
        return home_relative(path, self.home)

    def abs(self, stored: str) -> str:
        """A stored path as an absolute path in this home (paths outside the home are stored absolute)."""
        if self.home is None or not stored or Path(stored).is_absolute():
            return stored
        return str(self.home / stored)

    def close(self) -> None:
        self.db.close()

    # -- plumbing -------------------------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            else:
                self.db.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.db.execute(sql, params).fetchall()

    def _migrate(self) -> None:
        with self.tx() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (number INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)"
            )
            done = {r[0] for r in db.execute("SELECT number FROM _migrations")}
            for number, name, fn in MIGRATIONS:
                if number not in done:
                    fn(db)
                    db.execute("INSERT INTO _migrations VALUES (?, ?, ?)", (number, name, now_iso()))

    def migrations_applied(self) -> list[int]:
        return [r[0] for r in self.query("SELECT number FROM _migrations ORDER BY number")]

    # -- briefings ------------------------------------------------------------------------------
    def save_briefing(self, b: Briefing) -> Briefing:
        ts = now_iso()
        with self.tx() as db:
            db.execute(
                """INSERT INTO briefings (id, title, date, language, speakers, source_path, source_sha256,
                                          meta, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET title=excluded.title, date=excluded.date,
                     language=excluded.language, speakers=excluded.speakers,
                     source_path=excluded.source_path, source_sha256=excluded.source_sha256,
                     meta=excluded.meta, updated_at=excluded.updated_at""",
                (
                    b.id,
                    b.title,
                    b.date,
                    b.language,
                    json.dumps(list(b.speakers), ensure_ascii=False),
                    self.rel(b.source_path) if b.source_path else b.source_path,
                    b.source_sha256,
                    json.dumps(b.meta, ensure_ascii=False),
                    b.created_at or ts,
                    ts,
                ),
            )
        return self.briefing(b.id)

    def briefing(self, briefing_id: str) -> Briefing:
        rows = self.query("SELECT * FROM briefings WHERE id = ?", (briefing_id,))
        if not rows:
            raise NotFoundError(
                f"no briefing with id {briefing_id!r}", hint="run `briefing status` to list the briefings"
            )
        return self._briefing(rows[0])

    def find_briefing(self, briefing_id: str) -> Briefing | None:
        rows = self.query("SELECT * FROM briefings WHERE id = ?", (briefing_id,))
        return self._briefing(rows[0]) if rows else None

    def briefings(self) -> list[Briefing]:
        return [self._briefing(r) for r in self.query("SELECT * FROM briefings ORDER BY date DESC, created_at DESC")]

    def _briefing(self, row: sqlite3.Row) -> Briefing:
        b = Briefing.from_row(row)
        if b.source_path and not Path(b.source_path).is_absolute():  # a recording in the home
            b = replace(b, source_path=self.abs(b.source_path))
        return b

    def update_meta(self, briefing_id: str, **changes: Any) -> Briefing:
        b = self.briefing(briefing_id)
        meta = dict(b.meta)
        meta.update(changes)
        with self.tx() as db:
            db.execute(
                "UPDATE briefings SET meta = ?, updated_at = ? WHERE id = ?",
                (json.dumps(meta, ensure_ascii=False), now_iso(), briefing_id),
            )
        return self.briefing(briefing_id)

    def set_language(self, briefing_id: str, language: str) -> None:
        with self.tx() as db:
            db.execute(
                "UPDATE briefings SET language = ?, updated_at = ? WHERE id = ?", (language, now_iso(), briefing_id)
            )

    # -- stages ---------------------------------------------------------------------------------
    def stage(self, briefing_id: str, stage: str) -> StageRun | None:
        rows = self.query("SELECT * FROM stages WHERE briefing_id = ? AND stage = ?", (briefing_id, stage))
        if not rows:
            return None
        r = rows[0]
        return StageRun(
            r["briefing_id"],
            r["stage"],
            r["status"],
            r["inputs_key"],
            self._info(r["info"]),
            r["error"],
            r["started_at"],
            r["finished_at"],
        )

    def stages(self, briefing_id: str) -> dict[str, StageRun]:
        out = {}
        for r in self.query("SELECT * FROM stages WHERE briefing_id = ?", (briefing_id,)):
            out[r["stage"]] = StageRun(
                r["briefing_id"],
                r["stage"],
                r["status"],
                r["inputs_key"],
                self._info(r["info"]),
                r["error"],
                r["started_at"],
                r["finished_at"],
            )
        return out

    def _info(self, raw: str) -> dict[str, Any]:
        """A stage's stored info, its paths (:data:`INFO_PATHS`) absolute in this home."""
        info = json.loads(raw)
        for k in INFO_PATHS:
            if isinstance(info.get(k), str) and "://" not in info[k]:
                info[k] = self.abs(info[k])
        return info

    def stage_started(self, briefing_id: str, stage: str, inputs_key: str) -> None:
        with self.tx() as db:
            db.execute(
                """INSERT INTO stages (briefing_id, stage, status, inputs_key, info, error, started_at,
                                       finished_at)
                   VALUES (?, ?, 'running', ?, '{}', NULL, ?, NULL)
                   ON CONFLICT(briefing_id, stage) DO UPDATE SET status='running',
                     inputs_key=excluded.inputs_key, info='{}', error=NULL, started_at=excluded.started_at,
                     finished_at=NULL""",
                (briefing_id, stage, inputs_key, now_iso()),
            )

    def stage_done(
        self,
        briefing_id: str,
        stage: str,
        inputs_key: str,
        artifacts: list[Artifact],
        info: dict[str, Any] | None = None,
    ) -> None:
        ts = now_iso()
        with self.tx() as db:
            db.execute("DELETE FROM artifacts WHERE briefing_id = ? AND stage = ?", (briefing_id, stage))
            for a in artifacts:
                db.execute(
                    "INSERT OR REPLACE INTO artifacts VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (briefing_id, stage, a.role, self.rel(a.path), a.sha256, a.size, ts),
                )
            db.execute(
                """UPDATE stages SET status='done', inputs_key=?, info=?, error=NULL, finished_at=?
                   WHERE briefing_id=? AND stage=?""",
                (
                    inputs_key,
                    json.dumps(
                        {
                            k: (self.rel(v) if k in INFO_PATHS and isinstance(v, str) else v)
                            for k, v in (info or {}).items()
                        },
                        ensure_ascii=False,
                    ),
                    ts,
                    briefing_id,
                    stage,
                ),
            )

    def stage_failed(self, briefing_id: str, stage: str, error: str) -> None:
        with self.tx() as db:
            db.execute(
                """INSERT INTO stages (briefing_id, stage, status, error, started_at, finished_at)
                   VALUES (?, ?, 'failed', ?, ?, ?)
                   ON CONFLICT(briefing_id, stage) DO UPDATE SET status='failed', error=excluded.error,
                     finished_at=excluded.finished_at""",
                (briefing_id, stage, error, now_iso(), now_iso()),
            )

    def invalidate(self, briefing_id: str, *stages: str) -> None:
        with self.tx() as db:
            for s in stages:
                db.execute("DELETE FROM stages WHERE briefing_id = ? AND stage = ?", (briefing_id, s))

    def artifacts(self, briefing_id: str, stage: str | None = None) -> dict[str, Artifact]:
        sql = "SELECT * FROM artifacts WHERE briefing_id = ?"
        params: tuple = (briefing_id,)
        if stage:
            sql += " AND stage = ?"
            params += (stage,)
        return {
            r["role"]: Artifact(r["role"], self.abs(r["path"]), r["sha256"], r["size"], r["stage"])
            for r in self.query(sql + " ORDER BY stage, role", params)
        }
