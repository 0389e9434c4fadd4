"""The schedule: a series (one-off or recurring) expands into occurrences, and each occurrence is a briefing.

A series keeps its first start as local wall-clock time in an IANA zone plus an RFC 5545 rule, so a daily
09:00 briefing stays at 09:00 local time across DST changes. Occurrences are materialised lazily (for the
range someone asks about) into ``schedule_occurrences`` and the ``briefings`` table; their state
(cancelled, moved, ended) lives in the row, so exceptions survive re-expansion. The id of an occurrence is
``<original date>-<series id>`` and never changes, even when the occurrence is moved to another day.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from base64 import b32encode
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from email.utils import formataddr, parseaddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from briefing.core import config, text
from briefing.core.errors import ConfigError, InputError, NotFoundError
from briefing.core.ids import slugify
from briefing.core.store import Briefing, Store, now_iso
from briefing.core.text import NAME_MAX, check

config.register(
    config.Setting("schedule.timezone", "UTC", "Time zone of new schedules (IANA name, e.g. Asia/Ho_Chi_Minh)."),
)


class ScheduleSettings(config.Area, area="schedule"):
    timezone: str


UTC = UTC
MAX_DURATION_S = 24 * 3600


# -- value parsing ------------------------------------------------------------------------------------
def parse_zone(name: str) -> ZoneInfo:
    try:
        if not name or "/" not in name and name not in ("UTC", "GMT"):
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {name!r}", hint="use an IANA name such as Asia/Ho_Chi_Minh, Europe/Berlin or UTC"
        ) from None


def parse_start(text: str, tz: ZoneInfo) -> datetime:
    """A local wall-clock start (naive, in ``tz``) from 2026-12-01T09:00 (an offset is converted to tz)."""
    s = (text or "").strip().replace(" ", "T", 1)
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise InputError(f"bad --start {text!r}", hint="use local time like 2026-12-01T09:00") from None
    if "T" not in s:
        raise InputError(f"bad --start {text!r}: it has no time of day", hint="use e.g. 2026-12-01T09:00")
    if dt.tzinfo is not None:
        dt = dt.astimezone(tz).replace(tzinfo=None)
    return dt.replace(microsecond=0)


def parse_date(text: str, what: str = "date") -> date:
    t = (text or "").strip().lower()
    today = datetime.now(UTC).date()
    if t == "today":
        return today
    if t == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(t)
    except ValueError:
        raise InputError(f"bad {what} {text!r}", hint="use YYYY-MM-DD") from None


def parse_duration(text: str | int | float) -> int:
    try:
        seconds = int(config.duration(text))
    except ValueError as exc:
        raise InputError(f"bad --duration {text!r}: {exc}") from None
    if seconds <= 0 or seconds > MAX_DURATION_S:
        raise InputError(f"bad --duration {text!r}", hint="give a length between 1m and 24h, e.g. 60m")
    return seconds


def parse_person(text: str, what: str = "person") -> dict[str, str]:
    """ "Name <email>" or "email" or "Name" -> {"name", "email"}."""
    text = check(text, what, max_len=NAME_MAX + 256)
    if not text:
        raise InputError(f"empty {what}", hint='use "Name <email@example.org>"')
    if "<" in text or "@" in text:
        name, email = parseaddr(text)
        if not email or "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
            raise InputError(f"bad {what} {text!r}", hint='use "Name <email@example.org>"')
        return {
            "name": check(name, f"the name in {what}", max_len=NAME_MAX) or email.split("@")[0],
            "email": check(email, f"the address in {what}", max_len=254).lower(),
        }
    return {"name": check(text, what, max_len=NAME_MAX), "email": ""}


def person_str(p: dict[str, str]) -> str:
    return formataddr((p.get("name", ""), p["email"])) if p.get("email") else p.get("name", "")


# -- series -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Series:
    id: str
    title: str
    timezone: str
    dtstart: datetime  # naive local
    duration_s: int
    rrule: str | None
    language: str
    chair: dict[str, str]
    speakers: tuple[dict[str, str], ...]
    press_list: str | None
    uid: str
    secret: str
    sequence: int
    status: str
    created_at: str = ""
    updated_at: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_row(cls, r: Any) -> Series:
        return cls(
            r["id"],
            r["title"],
            r["timezone"],
            datetime.fromisoformat(r["dtstart"]),
            r["duration_s"],
            r["rrule"],
            r["language"],
            json.loads(r["chair"]),
            tuple(json.loads(r["speakers"])),
            r["press_list"],
            r["uid"],
            r["secret"],
            r["sequence"],
            r["status"],
            r["created_at"],
            r["updated_at"],
        )

    def rule(self) -> Any:
        from dateutil.rrule import rrulestr

        return rrulestr(self.rrule, dtstart=self.dtstart) if self.rrule else None

    def starts(self, lo: datetime, hi: datetime) -> list[datetime]:
        """Original local starts (naive) whose UTC time lies in [lo, hi] (aware)."""
        # Expand in local time with a day of slack on each side, then filter in UTC.
        lo_l = lo.astimezone(self.tz).replace(tzinfo=None) - timedelta(days=1)
        hi_l = hi.astimezone(self.tz).replace(tzinfo=None) + timedelta(days=1)
        rule = self.rule()
        cands = rule.between(lo_l, hi_l, inc=True) if rule else ([self.dtstart] if lo_l <= self.dtstart <= hi_l else [])
        return [c for c in cands if lo <= to_utc(c, self.tz) <= hi]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "timezone": self.timezone,
            "start": self.dtstart.isoformat(timespec="minutes"),
            "duration_s": self.duration_s,
            "rrule": self.rrule,
            "language": self.language,
            "chair": self.chair,
            "speakers": list(self.speakers),
            "press_list": self.press_list,
            "uid": self.uid,
            "sequence": self.sequence,
            "status": self.status,
        }


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """Local wall-clock -> UTC. A time in a spring-forward gap moves forward by the gap, like calendars do."""
    return local.replace(tzinfo=tz).astimezone(UTC)


def _rule_text(
    *, daily: bool, weekdays: bool, rrule: str | None, until: date | None, count: int | None, start: datetime
) -> str | None:
    from dateutil.rrule import rrulestr

    picked = [x for x in (daily, weekdays, bool(rrule)) if x]
    if len(picked) > 1:
        raise InputError("give only one of --daily, --weekdays and --rrule")
    if daily:
        rule = "FREQ=DAILY"
    elif weekdays:
        rule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    elif rrule:
        rule = rrule.strip()
        if rule.upper().startswith("RRULE:"):
            rule = rule[6:]
        rule = rule.upper()
        if "DTSTART" in rule or "\n" in rule:
            raise InputError(f"bad --rrule {rrule!r}", hint="give only the rule, e.g. FREQ=WEEKLY;BYDAY=MO,WE")
    else:
        if until or count:
            raise InputError("--until and --count need a recurrence", hint="add --daily, --weekdays or --rrule")
        return None
    parts = [p for p in rule.split(";") if p]
    keys = {p.split("=", 1)[0] for p in parts}
    if until and count:
        raise InputError("give --until or --count, not both")
    if (until or count) and keys & {"UNTIL", "COUNT"}:
        raise InputError("the --rrule already has UNTIL or COUNT", hint="drop --until/--count")
    if until:
        if until < start.date():
            raise InputError(f"--until {until} is before the first briefing on {start.date()}")
        parts.append("UNTIL=" + datetime.combine(until, time(23, 59, 59)).strftime("%Y%m%dT%H%M%S"))
    if count is not None:
        if count < 1:
            raise InputError("--count must be at least 1")
        parts.append(f"COUNT={count}")
    rule = ";".join(parts)
    if not rule.startswith("FREQ=") and "FREQ=" not in rule:
        raise InputError(f"bad --rrule {rrule!r}: it has no FREQ", hint="e.g. FREQ=WEEKLY;BYDAY=MO,WE")
    for p in parts:
        if p.startswith("UNTIL=") and p.endswith("Z"):
            raise InputError("write UNTIL in the rule as local time (no Z), or use --until DATE")
    try:
        r = rrulestr(rule, dtstart=start)
    except (ValueError, TypeError) as exc:
        raise InputError(f"bad --rrule {rrule or rule!r}: {exc}", hint="e.g. FREQ=WEEKLY;BYDAY=MO,WE") from None
    if r.after(start, inc=True) is None:
        raise InputError("the recurrence yields no briefing at all", hint="check --start, --until and the rule")
    return rule


def add_series(
    store: Store,
    *,
    title: str,
    start: str,
    duration: str | int,
    timezone_name: str,
    daily: bool = False,
    weekdays: bool = False,
    rrule: str | None = None,
    until: str | None = None,
    count: int | None = None,
    language: str = "auto",
    chair: str | None = None,
    speakers: tuple[str, ...] = (),
    press_list: str | None = None,
) -> Series:

    title = text.check(title, "--title")
    if not title:
        raise InputError("a schedule needs a --title")
    tz = parse_zone(timezone_name)
    dtstart = parse_start(start, tz)
    duration_s = parse_duration(duration)
    until_d = parse_date(until, "--until") if until else None
    rule = _rule_text(daily=daily, weekdays=weekdays, rrule=rrule, until=until_d, count=count, start=dtstart)
    chair_p = parse_person(chair, "--chair") if chair else {}
    speaker_ps = [parse_person(s, "--speaker") for s in speakers]
    base = slugify(title, max_len=40)
    sid, n = base, 1
    taken = {r["id"] for r in store.query("SELECT id FROM schedule_series")}
    while sid in taken:
        n += 1
        sid = f"{base}-{n}"
    ts = now_iso()
    uid = f"{sid}-{secrets.token_hex(8)}@briefing"
    with store.tx() as db:
        db.execute(
            """INSERT INTO schedule_series (id, title, timezone, dtstart, duration_s, rrule, language, chair,
                 speakers, press_list, uid, secret, sequence, status, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'active', ?, ?)""",
            (
                sid,
                title,
                timezone_name,
                dtstart.isoformat(),
                duration_s,
                rule,
                language or "auto",
                json.dumps(chair_p, ensure_ascii=False),
                json.dumps(speaker_ps, ensure_ascii=False),
                press_list,
                uid,
                secrets.token_hex(32),
                ts,
                ts,
            ),
        )
    s = get_series(store, sid)
    # The first occurrences exist at once, so `briefing links` / `invite` work right away.
    first = s.rule().after(dtstart, inc=True) if s.rule() else dtstart
    materialize(store, to_utc(first, tz), to_utc(first, tz) + timedelta(days=7), series=[s])
    return s


def get_series(store: Store, series_id: str) -> Series:
    rows = store.query("SELECT * FROM schedule_series WHERE id = ?", (series_id,))
    if not rows:
        raise NotFoundError(f"no schedule {series_id!r}", hint="run `briefing schedule list` to see the ids")
    return Series.from_row(rows[0])


def all_series(store: Store) -> list[Series]:
    return [Series.from_row(r) for r in store.query("SELECT * FROM schedule_series ORDER BY dtstart")]


# -- occurrences --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Occurrence:
    id: str
    series: Series
    original_start: datetime  # naive local
    start: datetime  # aware UTC
    end: datetime  # aware UTC
    room: str
    sequence: int
    status: str  # scheduled | cancelled (an occurrence of a cancelled series counts as cancelled)
    moved: bool
    ended_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled" or self.series.status == "cancelled"

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(self.series.tz)

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(self.series.tz)

    @property
    def title(self) -> str:
        return self.series.title

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "series": self.series.id,
            "title": self.title,
            "start": self.local_start.isoformat(),
            "end": self.local_end.isoformat(),
            "start_utc": self.start.isoformat(),
            "timezone": self.series.timezone,
            "original_start": self.original_start.isoformat(timespec="minutes"),
            "room": self.room,
            "status": "cancelled" if self.cancelled else "scheduled",
            "moved": self.moved,
            "sequence": self.sequence,
            "ended_at": self.ended_at,
        }


def occurrence_id(series_id: str, original_start: datetime) -> str:
    return f"{original_start.date().isoformat()}-{series_id}"


def room_name(series: Series, original_start: datetime) -> str:
    """Lowercase, [a-z0-9-], stable per occurrence, unguessable: a keyed hash under the series' secret."""
    mac = hmac.new(
        bytes.fromhex(series.secret), f"{series.id}|{original_start.isoformat()}".encode(), hashlib.sha256
    ).digest()
    token = b32encode(mac).decode("ascii").lower().rstrip("=")[:20]  # 100 bits
    prefix = re.sub(r"[^a-z0-9]+", "-", series.id)[:24].strip("-")
    return f"{prefix}-{token}" if prefix else token


def _occ_from_row(r: Any, series: Series) -> Occurrence:
    return Occurrence(
        r["id"],
        series,
        datetime.fromisoformat(r["original_start"]),
        datetime.fromisoformat(r["start_utc"]),
        datetime.fromisoformat(r["end_utc"]),
        r["room"],
        r["sequence"],
        r["status"],
        bool(r["moved"]),
        r["ended_at"],
    )


def _sync_briefing(store: Store, occ: Occurrence) -> None:
    """Create or update the briefing row of an occurrence, keeping what other stages wrote."""
    s = occ.series
    speakers = tuple(p["name"] for p in ([s.chair] if s.chair else []) + list(s.speakers) if p.get("name"))
    sched = {
        "series": s.id,
        "room": occ.room,
        "start": occ.local_start.isoformat(),
        "end": occ.local_end.isoformat(),
        "timezone": s.timezone,
        "status": "cancelled" if occ.cancelled else "scheduled",
        "moved": occ.moved,
    }
    existing = store.find_briefing(occ.id)
    if existing is None:
        store.save_briefing(
            Briefing(
                id=occ.id,
                title=s.title,
                date=occ.local_start.date().isoformat(),
                language=s.language,
                speakers=speakers,
                meta={"schedule": sched},
            )
        )
        return
    meta = dict(existing.meta)
    meta["schedule"] = sched
    store.save_briefing(replace(existing, title=s.title, date=occ.local_start.date().isoformat(), meta=meta))


def _ensure(store: Store, series: Series, original: datetime) -> Occurrence:
    oid = occurrence_id(series.id, original)
    rows = store.query("SELECT * FROM schedule_occurrences WHERE id = ?", (oid,))
    if rows:
        return _occ_from_row(rows[0], series)
    start = to_utc(original, series.tz)
    end = start + timedelta(seconds=series.duration_s)
    ts = now_iso()
    with store.tx() as db:
        db.execute(
            """INSERT INTO schedule_occurrences (id, series_id, original_start, start_utc, end_utc, room,
                 sequence, status, moved, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, 0, 'scheduled', 0, ?, ?) ON CONFLICT(id) DO NOTHING""",
            (
                oid,
                series.id,
                original.isoformat(),
                start.isoformat(),
                end.isoformat(),
                room_name(series, original),
                ts,
                ts,
            ),
        )
    occ = _occ_from_row(store.query("SELECT * FROM schedule_occurrences WHERE id = ?", (oid,))[0], series)
    _sync_briefing(store, occ)
    return occ


def materialize(store: Store, lo: datetime, hi: datetime, *, series: list[Series] | None = None) -> None:
    """Make sure every occurrence whose rule start lies in [lo, hi] exists (rows + briefings)."""
    for s in series if series is not None else all_series(store):
        for original in s.starts(lo, hi):
            _ensure(store, s, original)


def occurrences(
    store: Store, lo: datetime, hi: datetime, *, series_id: str | None = None, include_cancelled: bool = True
) -> list[Occurrence]:
    """Occurrences whose actual start (moves applied) lies in [lo, hi], in time order."""
    chosen = [get_series(store, series_id)] if series_id else all_series(store)
    # A moved occurrence may come from a rule date outside the range: widen the expansion window.
    materialize(store, lo - timedelta(days=7), hi + timedelta(days=7), series=chosen)
    by_id = {s.id: s for s in chosen}
    sql = "SELECT * FROM schedule_occurrences WHERE start_utc >= ? AND start_utc <= ?"
    out = []
    for r in store.query(sql + " ORDER BY start_utc", (lo.isoformat(), hi.isoformat())):
        if r["series_id"] in by_id:
            o = _occ_from_row(r, by_id[r["series_id"]])
            if include_cancelled or not o.cancelled:
                out.append(o)
    return out


def get_occurrence(store: Store, oid: str) -> Occurrence:
    rows = store.query("SELECT * FROM schedule_occurrences WHERE id = ?", (oid,))
    if not rows:
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})-(.+)", oid or "")
        if m and store.query("SELECT 1 FROM schedule_series WHERE id = ?", (m.group(2),)):
            return find_occurrence(store, m.group(2), m.group(1))
        raise NotFoundError(f"no scheduled briefing {oid!r}", hint="run `briefing schedule list` to see the ids")
    return _occ_from_row(rows[0], get_series(store, rows[0]["series_id"]))


def find_occurrence(store: Store, series_id: str, day: str) -> Occurrence:
    """The occurrence of a series on DATE (its original rule date, or the date it was moved to)."""
    s = get_series(store, series_id)
    d = parse_date(day, "--occurrence")
    rule = s.rule()
    lo, hi = datetime.combine(d, time.min), datetime.combine(d, time.max)
    originals = rule.between(lo, hi, inc=True) if rule else ([s.dtstart] if s.dtstart.date() == d else [])
    if originals:
        return _ensure(store, s, originals[0])
    for r in store.query("SELECT * FROM schedule_occurrences WHERE series_id = ?", (s.id,)):
        o = _occ_from_row(r, s)
        if o.local_start.date() == d:
            return o
    raise NotFoundError(
        f"schedule {s.id!r} has no briefing on {d}", hint=f"run `briefing schedule list` to see the dates of {s.id}"
    )


def resolve(store: Store, ident: str) -> Series | Occurrence:
    """An id on the command line: a series id or an occurrence id."""
    rows = store.query("SELECT * FROM schedule_series WHERE id = ?", (ident,))
    if rows:
        return Series.from_row(rows[0])
    return get_occurrence(store, ident)


def exceptions(store: Store, series: Series) -> list[Occurrence]:
    """The occurrences of a series that were cancelled or moved."""
    rows = store.query(
        "SELECT * FROM schedule_occurrences WHERE series_id = ? AND (status = 'cancelled'"
        " OR moved = 1) ORDER BY original_start",
        (series.id,),
    )
    return [_occ_from_row(r, series) for r in rows]


def occurrence_by_room(store: Store, room: str, *, now: datetime | None = None) -> Occurrence | None:
    """The occurrence a Jitsi room belongs to (rooms of the days around now are materialised first)."""
    now = now or datetime.now(UTC)
    materialize(store, now - timedelta(days=2), now + timedelta(days=2))
    rows = store.query("SELECT * FROM schedule_occurrences WHERE room = ?", (room.lower(),))
    if not rows:
        return None
    return _occ_from_row(rows[0], get_series(store, rows[0]["series_id"]))


def _bump(db: Any, occ: Occurrence, **cols: Any) -> None:
    sets = ", ".join(f"{k} = ?" for k in cols)
    db.execute(
        f"UPDATE schedule_occurrences SET {sets}, sequence = sequence + 1, updated_at = ? WHERE id = ?",
        (*cols.values(), now_iso(), occ.id),
    )
    db.execute(
        "UPDATE schedule_series SET sequence = sequence + 1, updated_at = ? WHERE id = ?", (now_iso(), occ.series.id)
    )


def cancel(store: Store, ident: str, *, occurrence: str | None = None) -> Series | Occurrence:
    """Cancel a whole series, or one occurrence of it (by date, or by occurrence id)."""
    target = resolve(store, ident)
    if isinstance(target, Series) and occurrence:
        target = find_occurrence(store, target.id, occurrence)
    elif isinstance(target, Occurrence) and occurrence:
        raise InputError("--occurrence goes with a schedule id, not with a briefing id")
    if isinstance(target, Series):
        if target.status != "cancelled":
            with store.tx() as db:
                db.execute(
                    "UPDATE schedule_series SET status = 'cancelled', sequence = sequence + 1,"
                    " updated_at = ? WHERE id = ?",
                    (now_iso(), target.id),
                )
        s = get_series(store, target.id)
        for r in store.query("SELECT * FROM schedule_occurrences WHERE series_id = ?", (s.id,)):
            _sync_briefing(store, _occ_from_row(r, s))
        return s
    if target.status != "cancelled":
        with store.tx() as db:
            _bump(db, target, status="cancelled")
    occ = get_occurrence(store, target.id)
    _sync_briefing(store, occ)
    return occ


def move(
    store: Store, ident: str, *, occurrence: str | None, start: str, duration: str | int | None = None
) -> Occurrence:
    """Move one occurrence to another start (local time in the series' zone); its id and room stay."""
    target = resolve(store, ident)
    if isinstance(target, Series):
        if not occurrence:
            raise InputError("say which day to move with --occurrence DATE")
        target = find_occurrence(store, target.id, occurrence)
    s = target.series
    if s.status == "cancelled":
        raise InputError(f"schedule {s.id!r} is cancelled", hint="add a new schedule instead")
    local = parse_start(start, s.tz)
    new_start = to_utc(local, s.tz)
    length = parse_duration(duration) if duration else int((target.end - target.start).total_seconds())
    new_end = new_start + timedelta(seconds=length)
    if new_start == target.start and new_end == target.end and target.status != "cancelled":
        return target
    with store.tx() as db:
        _bump(
            db,
            target,
            start_utc=new_start.isoformat(),
            end_utc=new_end.isoformat(),
            status="scheduled",
            moved=int(local != target.original_start or length != s.duration_s),
        )
    occ = get_occurrence(store, target.id)
    _sync_briefing(store, occ)
    return occ


def list_range(
    store: Store, *, start: str | None = None, end: str | None = None, days: int = 30
) -> tuple[datetime, datetime, list[Occurrence]]:
    d0 = parse_date(start, "--from") if start else datetime.now(UTC).date()
    d1 = parse_date(end, "--to") if end else d0 + timedelta(days=days)
    if d1 < d0:
        raise InputError(f"--to {d1} is before --from {d0}")
    # Dates are read in UTC with a day of slack either side, then trimmed to local dates per series.
    lo = datetime.combine(d0, time.min, UTC) - timedelta(days=1)
    hi = datetime.combine(d1, time.max, UTC) + timedelta(days=1)
    occs = [o for o in occurrences(store, lo, hi) if d0 <= o.local_start.date() <= d1]
    return lo, hi, occs
