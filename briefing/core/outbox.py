"""The outbox: every message to the outside world is recorded before it is sent and marked after.

A message is identified by its ``key`` (e.g. ``invite:<occurrence>:<email>:<sequence>``): recording the
same key twice returns the existing row, so a re-run never sends anything twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from briefing.core.store import Store, now_iso


@dataclass(frozen=True)
class Message:
    id: int
    kind: str
    key: str
    briefing_id: str | None
    target: str
    payload: dict[str, Any]
    status: str
    attempts: int
    not_before: str | None
    last_error: str | None
    created_at: str
    sent_at: str | None


def _row(r: Any) -> Message:
    return Message(
        r["id"],
        r["kind"],
        r["key"],
        r["briefing_id"],
        r["target"],
        json.loads(r["payload"]),
        r["status"],
        r["attempts"],
        r["not_before"],
        r["last_error"],
        r["created_at"],
        r["sent_at"],
    )


def record(
    store: Store,
    *,
    kind: str,
    key: str,
    target: str,
    briefing_id: str | None = None,
    payload: dict[str, Any] | None = None,
    not_before: str | None = None,
) -> Message:
    """Record a message to send (or return the one already recorded under ``key``)."""
    with store.tx() as db:
        db.execute(
            """INSERT INTO outbox (kind, key, briefing_id, target, payload, status, not_before, created_at)
               VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT(key) DO NOTHING""",
            (kind, key, briefing_id, target, json.dumps(payload or {}, ensure_ascii=False), not_before, now_iso()),
        )
    return get(store, key)


def get(store: Store, key: str) -> Message:
    return _row(store.query("SELECT * FROM outbox WHERE key = ?", (key,))[0])


def find(store: Store, key: str) -> Message | None:
    rows = store.query("SELECT * FROM outbox WHERE key = ?", (key,))
    return _row(rows[0]) if rows else None


def mark_sent(store: Store, key: str) -> None:
    with store.tx() as db:
        db.execute(
            "UPDATE outbox SET status='sent', sent_at=?, attempts=attempts+1, last_error=NULL WHERE key=?",
            (now_iso(), key),
        )


def mark_failed(store: Store, key: str, error: str) -> None:
    with store.tx() as db:
        db.execute("UPDATE outbox SET status='failed', attempts=attempts+1, last_error=? WHERE key=?", (error, key))


def messages(
    store: Store, *, briefing_id: str | None = None, kind: str | None = None, status: str | None = None
) -> list[Message]:
    sql, params = "SELECT * FROM outbox WHERE 1=1", []
    for col, val in (("briefing_id", briefing_id), ("kind", kind), ("status", status)):
        if val is not None:
            sql += f" AND {col} = ?"
            params.append(val)
    return [_row(r) for r in store.query(sql + " ORDER BY id", tuple(params))]


def due(store: Store, *, kind: str | None = None, now: str | None = None) -> list[Message]:
    """Messages not yet sent (pending or failed) whose embargo, if any, has passed."""
    now = now or now_iso()
    out = []
    for m in messages(store, kind=kind):
        if m.status == "sent":
            continue
        if m.not_before and m.not_before > now:
            continue
        out.append(m)
    return out
