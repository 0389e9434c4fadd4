"""The review desk's data: the queue, the editor's view of a briefing, draft saves, the diff, publishing.

A draft *is* the briefing's pending correction (``briefing.corrections``): saving one writes the same files
``briefing correct`` writes, so ``briefing review ID``, ``briefing correct ID`` and ``briefing publish ID
--note`` see what the desk saved, and the desk shows what the command line left. Publishing calls
``pipeline.publish_one`` with the note, as ``briefing publish ID --note`` does.

What the officer sends is a list of segments: ``{"p": i}`` for segment ``i`` of the published transcript
left as it was (its words, times and confidence kept), or ``{"s", "e", "t", "w", "f", "src"}`` for a segment
edited, split or merged (``w``: its words with their times, kept only where the text is exactly those
words, as after a split or merge of untouched text; ``src``: the published segment it came from).

Versions: every save, publish, and change made elsewhere (the command line) gets the next version number
of the briefing (``review_drafts``). A save carries the version its editor was based on; when a newer
version exists the save is refused as a conflict, kept as a refused row (nothing lost), and the answer
carries the newer draft, so the officer sees both.
"""

from __future__ import annotations

import difflib
import html
import json
import logging
import secrets
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from briefing.core import errors, locks
from briefing.core import text as txt
from briefing.core.config import Settings
from briefing.core.errors import InputError
from briefing.core.store import Store, now_iso
from briefing.processing import corrections, pipeline, review

log = logging.getLogger("briefing.web")
KEEP_FLAGS = ("low-confidence", "repetition", "hallucination", "corrected", "estimated")
MAX_SEGMENTS = 20000
MAX_TEXT = 5000
_locks: dict[str, threading.Lock] = {}
_write_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()
_cache: dict[tuple[str, str], Any] = {}


def _lock(bid: str) -> threading.Lock:
    """Held for the short work on a briefing's versions (check and record)."""
    with _locks_guard:
        return _locks.setdefault(bid, threading.Lock())


def _write_lock(bid: str) -> threading.RLock:
    """Held while a draft's pending correction is written."""
    with _locks_guard:
        return _write_locks.setdefault(bid, threading.RLock())


class Conflict(Exception):
    """A save or publish based on an older version than the briefing's latest."""

    def __init__(self, latest: dict[str, Any], refused_id: int | None) -> None:
        super().__init__("conflict")
        self.latest = latest
        self.refused_id = refused_id


# -- reading -------------------------------------------------------------------------------------------
def _load(path: Path, sha: str) -> Any:
    from transcribe import formats

    key = (str(path), sha)
    t = _cache.get(key)
    if t is None:
        with errors.translated():
            t = formats.from_json(path.read_text(encoding="utf-8"))
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = t
    return t


def published(store: Store, bid: str) -> tuple[Any, str]:
    """The transcript the briefing's artifacts hold (what a publish without a correction publishes)."""
    arts = store.artifacts(bid)
    if "json" not in arts:
        raise InputError(f"briefing {bid} has no transcript yet", hint="run `briefing process` for it first")
    return _load(Path(arts["json"].path), arts["json"].sha256), arts["json"].sha256


def _pending(store: Store, bid: str) -> dict[str, Any] | None:
    p = store.briefing(bid).meta.get("pending_correction")
    return p if p and not p.get("applying") else None


def current(store: Store, settings: Settings, bid: str) -> Any:
    """The transcript with the latest draft in it (the pending correction, once written), else the published."""
    flush(store, settings, bid)
    p = _pending(store, bid)
    if p:
        path = Path(p["dir"]) / corrections.ROLES["json"]
        if path.is_file():
            return _load(path, f"{p.get('rev')}:{path.stat().st_mtime_ns}")
    return published(store, bid)[0]


def site_version(settings: Settings, bid: str) -> int | None:
    from publish.site import published_metadata

    live = published_metadata(settings.site_dir, bid)
    return int(live.get("version", 1)) if live else None


def _rows(store: Store, bid: str) -> list[Any]:
    return store.query(
        "SELECT * FROM review_drafts WHERE briefing_id = ? AND version IS NOT NULL ORDER BY version DESC LIMIT 1",
        (bid,),
    )


def _latest_row(store: Store, bid: str) -> dict[str, Any] | None:
    rows = _rows(store, bid)
    return dict(rows[0]) if rows else None


def version(store: Store, bid: str) -> int:
    """The briefing's draft version now, after recording a change made outside the desk as a version."""
    with store.tx() as db:
        return _version(db, store, bid)


def _version(db: Any, store: Store, bid: str) -> int:
    row = db.execute(
        "SELECT * FROM review_drafts WHERE briefing_id = ? AND version IS NOT NULL ORDER BY version DESC LIMIT 1",
        (bid,),
    ).fetchone()
    pend = _pending(store, bid)
    rev = pend.get("rev") or pend.get("created_at") if pend else None
    sha = store.artifacts(bid).get("json")
    sha_now = sha.sha256 if sha else None
    if row is None and rev is None:
        return 0
    if (
        row is not None
        and row["published_sha256"] == sha_now
        and (row["pending_stamp"] == rev or (row["kind"] == "draft" and not row["materialized"]))
    ):
        return int(row["version"])  # (a draft whose files are still being written counts as it is)
    new = (int(row["version"]) if row else 0) + 1  # changed from the command line (or first seen): a version
    db.execute(
        "INSERT INTO review_drafts (briefing_id, version, base_version, kind, author, created_at, "
        "published_sha256, pending_stamp, segments) VALUES (?, ?, ?, 'external', ?, ?, ?, ?, '[]')",
        (bid, new, new - 1, "command line", now_iso(), sha_now, rev),
    )
    return new


def _flags_of(store: Store, bid: str) -> dict[str, list[dict[str, Any]]]:
    info = review.quality_info(store, bid)
    guards = [
        {
            "start": float(g.get("start", 0)),
            "kind": str(g.get("kind", "")),
            "action": str(g.get("action", "")),
            "text": str(g.get("text", ""))[:300],
        }
        for g in info.get("guards", []) or []
    ]
    glossary = [
        {"start": float(g.get("start", 0)), "heard": str(g.get("heard", "")), "term": str(g.get("term", ""))}
        for g in info.get("glossary", []) or []
    ]
    # a redaction shows its kind and time only: never the removed data
    redactions = [
        {
            "start": float(r.get("start", 0)),
            "end": float(r.get("end", r.get("start", 0))),
            "kind": str(r.get("kind", "")),
        }
        for r in info.get("redactions", []) or []
    ]
    return {"guards": guards, "glossary": glossary, "redactions": redactions}


def editor_data(store: Store, settings: Settings, bid: str) -> dict[str, Any]:
    """Everything the editor page needs about one briefing, compact (lists, rounded times)."""
    b = store.briefing(bid)
    pub, _sha = published(store, bid)
    cur = review.apply_turns(current(store, settings, bid), review.turns(store, bid))
    threshold = review.ReviewSettings.of(settings).low_confidence
    index = {(round(s.start, 3), round(s.end, 3), " ".join(s.text.split())): i for i, s in enumerate(pub.segments)}
    segs = []
    for s in cur.segments:
        p = index.get((round(s.start, 3), round(s.end, 3), " ".join(s.text.split())))
        segs.append(
            {
                "p": p,
                "s": round(s.start, 3),
                "e": round(s.end, 3),
                "t": s.text.strip(),
                "sp": s.speaker or "",
                "c": round(s.confidence, 3),
                "f": [f for f in s.flags if f in KEEP_FLAGS],
                "low": bool("low-confidence" in s.flags or s.confidence < threshold),
                "w": [[round(w.start, 3), round(w.end, 3), w.text, round(w.probability, 3)] for w in s.words],
            }
        )
    pend = _pending(store, bid)
    return {
        "id": bid,
        "title": b.title,
        "date": b.date,
        "language": cur.language or b.language,
        "duration": cur.duration,
        "threshold": threshold,
        "segments": segs,
        "version": version(store, bid),
        "site_version": site_version(settings, bid),
        "pending": bool(pend),
        "pending_source": pend.get("source") if pend else None,
        "roster": review.roster(store, bid),
        **_flags_of(store, bid),
    }


def media(store: Store, bid: str) -> tuple[Path, str] | None:
    """The briefing's web video, else its audio: (path, mimetype)."""
    arts = store.artifacts(bid)
    for role, mime in (("video", "video/mp4"), ("audio", "audio/mp4")):
        if role in arts and Path(arts[role].path).is_file():
            return Path(arts[role].path), mime
    return None


# -- saving ---------------------------------------------------------------------------------------------
def build(pub: Any, items: Any) -> tuple[Any, int]:
    """The transcript a draft's segments make, and how many segments differ from ``pub``."""
    from transcribe.types import Segment, Word

    if not isinstance(items, list) or len(items) > MAX_SEGMENTS:
        raise InputError("the draft is not a list of segments", hint="reload the page")
    n = len(pub.segments)
    out: list[Any] = []
    used: set[int] = set()
    changed = 0
    for it in items:
        if not isinstance(it, dict):
            raise InputError("a segment of the draft is not an object", hint="reload the page")
        p = it.get("p")
        if p is not None and (not isinstance(p, int) or isinstance(p, bool) or not 0 <= p < n):
            raise InputError(
                f"the draft refers to segment {p!r}, which the transcript does not have", hint="reload the page"
            )
        if set(it) == {"p"}:
            if p is None:
                raise InputError("a segment of the draft refers to no segment", hint="reload the page")
            if p in used:
                raise InputError(f"the draft holds segment {p} twice", hint="reload the page")
            used.add(p)
            out.append(pub.segments[p])
            continue
        src = it.get("src")
        if isinstance(src, int) and not isinstance(src, bool) and 0 <= src < n:
            used.add(src)
        else:
            src = None
        try:
            start, end, words_in = float(it["s"]), float(it["e"]), it.get("w") or []
            body = str(it["t"])
        except (KeyError, TypeError, ValueError):
            raise InputError("a segment of the draft lacks its start, end or text", hint="reload the page") from None
        body = " ".join(body.split())
        if not body:
            changed += 1  # emptied: deleted
            continue
        if len(body) > MAX_TEXT or not txt.is_clean(body):
            raise InputError(
                f"the segment at {start:.1f} s is too long or holds a control character",
                hint="use plain text, and split long segments",
            )
        dur = pub.duration or 0
        if (
            start < 0
            or end < start
            or (dur > 0 and (start >= dur + corrections.END_SLACK_S or end > dur + corrections.END_SLACK_S))
        ):
            raise InputError(f"the segment at {start:.1f} s lies outside the recording", hint="reload the page")
        words: tuple[Any, ...] = ()
        try:
            words = tuple(Word(float(a), float(b), str(c), float(d)) for a, b, c, d in words_in)
        except (TypeError, ValueError):
            words = ()
        if words and " ".join("".join(w.text for w in words).split()) != body:
            words = ()  # the text was edited: the words' times no longer belong to it
        base = pub.segments[src] if src is not None else None
        if (
            base is not None
            and words
            and " ".join(base.text.split()) == body
            and abs(base.start - start) < 1e-3
            and abs(base.end - end) < 1e-3
        ):
            out.append(base)  # unchanged after all
            continue
        changed += 1
        if words:  # split or merged, words untouched: their times and probabilities stay
            conf = sum(w.probability for w in words) / len(words)
            flags = tuple(f for f in it.get("f") or () if f in KEEP_FLAGS)
        else:
            conf, flags = 1.0, tuple(f for f in it.get("f") or () if f in KEEP_FLAGS and f != "low-confidence")
            flags = tuple(dict.fromkeys((*flags, "corrected")))
        out.append(
            Segment(
                id=0,
                start=start,
                end=end,
                text=" " + body,
                words=words,
                confidence=conf,
                speaker=base.speaker if base is not None else _speaker(it.get("sp")),
                flags=flags,
            )
        )
    changed += n - len(used)  # published segments the draft no longer holds
    out.sort(key=lambda s: s.start)
    return replace(pub, segments=tuple(replace(s, id=i) for i, s in enumerate(out))), changed


def _speaker(value: Any) -> str | None:
    name = " ".join(str(value or "").split())[: txt.NAME_MAX]
    return name if name and txt.is_clean(name) else None


def audit(db: Any, bid: str, user: str, role: str, action: str, detail: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO review_audit (briefing_id, at, user, role, action, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (bid, now_iso(), user, role, action, json.dumps(detail, ensure_ascii=False)),
    )


def _latest_info(store: Store, settings: Settings, bid: str) -> dict[str, Any]:
    row = _latest_row(store, bid) or {}
    return {
        "version": row.get("version", 0),
        "author": row.get("author"),
        "created_at": row.get("created_at"),
        "kind": row.get("kind"),
        "segments": editor_data(store, settings, bid)["segments"],
    }


def save(
    store: Store, settings: Settings, bid: str, *, user: str, role: str, base_version: int, segments: Any
) -> dict[str, Any]:
    """Keep the officer's draft (a new version; its pending correction is written just after, see
    :func:`flush`); Conflict when it was based on an older version than the latest."""
    pub, sha = published(store, bid)
    _fixed, changed = build(pub, segments)  # refuse a bad draft before anything is kept
    payload = json.dumps(segments, ensure_ascii=False, separators=(",", ":"))
    rev = secrets.token_hex(8) if changed else None
    with _lock(bid), store.tx() as db:
        latest = _version(db, store, bid)
        if base_version != latest:
            cur = db.execute(
                "INSERT INTO review_drafts (briefing_id, version, base_version, kind, author, "
                "created_at, published_sha256, pending_stamp, segments) "
                "VALUES (?, NULL, ?, 'conflict', ?, ?, ?, NULL, ?)",
                (bid, base_version, user, now_iso(), sha, payload),
            )
            refused = int(cur.lastrowid or 0)
            audit(db, bid, user, role, "conflict", {"base_version": base_version, "latest": latest, "kept_as": refused})
        else:
            refused = None
            new = latest + 1
            db.execute(
                "INSERT INTO review_drafts (briefing_id, version, base_version, kind, author, created_at, "
                "published_sha256, pending_stamp, materialized, segments) "
                "VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, 0, ?)",
                (bid, new, base_version, user, now_iso(), sha, rev, payload),
            )
            audit(db, bid, user, role, "save", {"version": new, "changed": changed})
    if refused is not None:
        raise Conflict(_latest_info(store, settings, bid), refused)
    _write_soon(store, settings, bid)
    return {"id": bid, "version": new, "changed": changed, "saved_at": now_iso()}


_writing: set[str] = set()


def _write_soon(store: Store, settings: Settings, bid: str) -> None:
    """Write the latest draft's pending correction on a thread, so that the save answers at once."""
    with _locks_guard:
        if bid in _writing:
            return
        _writing.add(bid)

    def work() -> None:
        try:
            while True:
                try:
                    flush(store, settings, bid)
                except Exception:  # noqa: BLE001 - kept in the store; the next read (flush) says what is wrong
                    log.exception("writing the draft of %s", bid)
                    return
                with _locks_guard:
                    if not _unwritten(store, bid):
                        _writing.discard(bid)
                        return
        finally:
            with _locks_guard:
                _writing.discard(bid)

    threading.Thread(target=work, name=f"desk-draft-{bid}", daemon=True).start()


def _unwritten(store: Store, bid: str) -> dict[str, Any] | None:
    row = _latest_row(store, bid)
    return row if row and row["kind"] == "draft" and not row["materialized"] else None


def flush(store: Store, settings: Settings, bid: str) -> None:
    """Write the pending correction of the latest draft, if it is not written yet (after a save, or a crash
    between a save and its write): the same files ``briefing correct`` writes."""
    with _write_lock(bid):
        while True:
            row = _unwritten(store, bid)
            if row is None:
                return
            pub, sha = published(store, bid)
            if sha != row["published_sha256"]:
                return  # published since (by the command line): the draft stays in the store, a version behind
            try:
                fixed, changed = build(pub, json.loads(row["segments"]))
            except InputError:  # cannot happen for a draft checked when saved; kept in the store, skipped
                log.exception("the draft version %s of %s cannot be applied", row["version"], bid)
                with store.tx() as db:
                    db.execute("UPDATE review_drafts SET materialized = 1 WHERE id = ?", (row["id"],))
                continue
            with locks.briefing_lock(settings, bid):
                # what is on disk now, if nothing changed it since: the correction of the last version that
                # was written (or seen there), not of the version just before this one, which a save that came
                # before its write (two saves in a row) leaves unwritten
                before = store.query(
                    "SELECT pending_stamp FROM review_drafts WHERE briefing_id = ? AND version < ? "
                    "AND version IS NOT NULL AND materialized = 1 ORDER BY version DESC LIMIT 1",
                    (bid, row["version"]),
                )
                pend = _pending(store, bid)
                now_rev = (pend.get("rev") or pend.get("created_at")) if pend else None
                if now_rev not in ((before[0]["pending_stamp"] if before else None), row["pending_stamp"]):
                    pass  # `briefing correct` changed it since: kept; the desk's draft stays in the store, and
                    # the next save is refused as a conflict with that change (see _version)
                elif changed:
                    corrections.keep_pending(
                        store,
                        settings,
                        bid,
                        fixed,
                        changed=changed,
                        source=f"desk:{row['author']}",
                        rev=row["pending_stamp"],
                    )
                else:
                    corrections.discard(store, settings, bid)
            with store.tx() as db:
                db.execute("UPDATE review_drafts SET materialized = 1 WHERE id = ?", (row["id"],))


def name_speaker(
    store: Store,
    settings: Settings,
    bid: str,
    *,
    user: str,
    role: str,
    name: str,
    start: float,
    end: float,
    allow_new: bool = False,
) -> list[dict[str, Any]]:
    """Name the speaker of [start, end): ``briefing review ID --speaker NAME --from --to``."""
    with _lock(bid):
        turns = review.assign_speaker(store, bid, name, start, end, allow_new=allow_new)
        with store.tx() as db:
            audit(db, bid, user, role, "speaker", {"name": name, "start": start, "end": end})
    return [t.to_dict() for t in turns]


def publish(
    store: Store,
    settings: Settings,
    bid: str,
    *,
    user: str,
    role: str,
    base_version: int,
    note: str,
    notify: bool = False,
) -> dict[str, Any]:
    """``briefing publish ID --note NOTE`` for the draft the officer was looking at."""
    note = " ".join(txt.check(note, "the change note", max_len=txt.NOTE_MAX, multiline=True).split())
    if not note:
        raise InputError(
            "a correction needs a change note", hint="say what was corrected, e.g. 'a figure was misheard'"
        )
    flush(store, settings, bid)
    with _write_lock(bid), _lock(bid):
        latest = version(store, bid)
        if base_version != latest:
            raise Conflict(_latest_info(store, settings, bid), None)
        result = pipeline.publish_one(store, settings, bid, note=note, notify=True if notify else None)
        d = result.distribution
        ver = (d.version if d else None) or site_version(settings, bid)
        link = (d.link if d else None) or (str(result.page) if result.page else None)
        with store.tx() as db:
            new = _version(db, store, bid)  # the publish changed the transcript: recorded as a version
            db.execute(
                "UPDATE review_drafts SET kind = 'published', author = ? WHERE briefing_id = ? AND version = ?",
                (user, bid, new),
            )
            audit(
                db,
                bid,
                user,
                role,
                "publish",
                {"version": ver, "note": note, "notify": notify, "link": link, "draft_version": base_version},
            )
    return {"id": bid, "site_version": ver, "version": new, "link": link, "note": note}


# -- the diff and the queue -------------------------------------------------------------------------------
def diff_html(store: Store, settings: Settings, bid: str) -> str:
    """The draft against the published transcript: changed passages, words struck and inserted."""
    from transcribe.formats import format_timestamp

    pub = published(store, bid)[0]
    cur = current(store, settings, bid)
    a = [(s.start, " ".join(s.text.split())) for s in pub.segments]
    b = [(s.start, " ".join(s.text.split())) for s in cur.segments]
    out = []
    sm = difflib.SequenceMatcher(a=[x[1] for x in a], b=[x[1] for x in b], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        t0 = (b[j1][0] if j1 < len(b) else a[i1][0]) if (j2 > j1 or i2 > i1) else 0.0
        old = " ".join(x[1] for x in a[i1:i2]).split()
        new = " ".join(x[1] for x in b[j1:j2]).split()
        words = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        parts = []
        for wop, w1, w2, v1, v2 in words.get_opcodes():
            if wop == "equal":
                parts.append(html.escape(" ".join(old[w1:w2])))
                continue
            if w2 > w1:
                parts.append(f"<del>{html.escape(' '.join(old[w1:w2]))}</del>")
            if v2 > v1:
                parts.append(f"<ins>{html.escape(' '.join(new[v1:v2]))}</ins>")
        out.append(
            f'<p class="d"><a class="ts" href="#" data-t="{t0:.3f}">[{format_timestamp(t0)[:8]}]</a> '
            + " ".join(parts)
            + "</p>"
        )
    return "\n".join(out)


def queue(store: Store, settings: Settings) -> list[dict[str, Any]]:
    """Every briefing with a transcript, newest first: its review state and what there is to check."""
    from transcribe.guards import needs_review

    threshold = review.ReviewSettings.of(settings).low_confidence
    out = []
    for b in sorted(store.briefings(), key=lambda x: (x.date, x.created_at), reverse=True):
        if "json" not in store.artifacts(b.id):
            continue
        try:
            cur = current(store, settings, b.id)
        except errors.BriefingError:
            continue
        flags = _flags_of(store, b.id)
        ver = site_version(settings, b.id)
        reviewed = store.query(
            "SELECT 1 FROM review_audit WHERE briefing_id = ? AND action = 'publish' LIMIT 1", (b.id,)
        )
        if _pending(store, b.id):
            state = "draft"
        elif ver and (reviewed or ver > 1):
            state = "published"
        else:
            state = "new"
        out.append(
            {
                "id": b.id,
                "title": b.title,
                "date": b.date,
                "language": b.language,
                "state": state,
                "site_version": ver,
                "low": sum(1 for s in cur.segments if needs_review(s, threshold)),
                "guards": sum(1 for g in flags["guards"] if g["action"] in ("removed", "cut")),
                "redactions": len(flags["redactions"]),
                "glossary": len(flags["glossary"]),
                "segments": len(cur.segments),
            }
        )
    return out
