"""The true embargo: the press has the release now, the public at the embargo's time (the state and the
clock; the hold and the lift are :func:`briefing.processing.pipeline.hold_release` and
:func:`briefing.processing.pipeline.lift_embargoes`).

``briefing publish ID --embargo TIME`` (also on ``process``, and ``schedule.embargo`` for what ``daily``
publishes):

1. builds and signs the new version in a private area of the home (``<home>/embargo/<id>/site``), never
   in the site, so nothing public changes: not the page, the feeds, the index, the search page, the
   figures, nor any publish target;
2. sends the press email now, marked ``EMBARGOED UNTIL <time, zone>`` in its subject and body (with the
   link the page will have, and its attachments), once;
3. records the hold in the briefing (``embargo``: until, version, when asked), which ``briefing
   status`` shows.

At the time, the timer (``briefing daily`` each minute, or ``briefing outbox send``) lifts it, once: the
version is published as any other (site, search, targets), then announced on the channels; the email,
already sent, is not sent again. A lift that fails (a target down) is retried by the next tick, which
sends nothing twice.

The clock is ``BRIEFING_NOW`` (an ISO time) when set, else the system's: the tests set it rather than
wait. ``--send-at TIME`` is the older, email-only behaviour: the page is public now, the email waits.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from briefing.core import config
from briefing.core.config import Setting, Settings, duration, register
from briefing.core.errors import ConfigError
from briefing.core.store import Store
from publish.i18n import format_date

CLOCK_ENV = "BRIEFING_NOW"

register(
    Setting(
        "schedule.embargo",
        "",
        "Embargo of what `briefing daily` publishes: HH:MM (that day, in the "
        "schedule's time zone) or +DURATION after the briefing's end (e.g. +2h); empty = none.",
    ),
)


class EmbargoSettings(config.Area, area="schedule"):
    embargo: str


def now() -> datetime:
    """The time: ``BRIEFING_NOW`` when set (tests, rehearsals), else the system clock (aware, local)."""
    value = os.environ.get(CLOCK_ENV, "").strip()
    if value:
        return parse_time(value, what=CLOCK_ENV)
    return datetime.now(UTC).astimezone()


def clock_iso() -> str:
    """:func:`now` written as the store writes times (local time with its offset): for comparing with
    the outbox's not_before, which is text."""
    return now().astimezone().isoformat(timespec="seconds")


def parse_time(value: str, *, what: str = "embargo time") -> datetime:
    """An ISO time, with or without offset (local time when without)."""
    try:
        dt = datetime.fromisoformat(str(value).strip().replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"bad {what} {value!r}", hint="use e.g. 2026-11-25T14:00 or 2026-11-25T14:00+07:00") from None
    return dt if dt.tzinfo else dt.astimezone()


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def label(until: datetime) -> str:
    """``EMBARGOED UNTIL 14:00 UTC+07:00, 25 November 2026``: the time and its zone, as newsrooms read it."""
    offset = until.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    zone = (
        "UTC" if minutes == 0 else f"UTC{'+' if minutes > 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    )
    name = until.tzname()
    if name and not name.startswith(("UTC", "+", "-")):
        zone = f"{name}, {zone}"
    return f"EMBARGOED UNTIL {until.strftime('%H:%M')} {zone}, {format_date(until.date(), 'en')}"


def embargo_of(store: Store, bid: str) -> dict[str, Any] | None:
    """The briefing's embargo as recorded ({"until", "version", "requested_at", "notify", "lifted_at"})."""
    b = store.find_briefing(bid)
    e = (b.meta.get("embargo") if b else None) or None
    return dict(e) if isinstance(e, dict) else None


def held(store: Store, bid: str, *, at: datetime | None = None) -> dict[str, Any] | None:
    """The embargo holding the briefing now (not lifted, its time not come), or None."""
    e = embargo_of(store, bid)
    if not e or e.get("lifted_at"):
        return None
    if parse_time(e["until"]) <= (at or now()):
        return None  # due: the next tick lifts it
    return e


def held_dir(settings: Settings, bid: str) -> Path:
    return settings.home / "embargo" / bid


def schedule_embargo(settings: Settings, *, day: str, end: datetime, zone: Any) -> datetime | None:
    """The embargo ``schedule.embargo`` gives a scheduled briefing ending at ``end`` on ``day``."""
    spec = (EmbargoSettings.of(settings).embargo or "").strip()
    if not spec:
        return None
    if spec.startswith("+"):
        try:
            return end + timedelta(seconds=float(duration(spec[1:])))
        except ValueError:
            raise ConfigError(
                f"bad schedule.embargo {spec!r}",
                hint="use HH:MM (e.g. 14:00) or +DURATION after the briefing's end (e.g. +2h)",
            ) from None
    try:
        hh, mm = (int(x) for x in spec.split(":", 1))
        return datetime.fromisoformat(f"{day}T{hh:02d}:{mm:02d}").replace(tzinfo=zone)
    except ValueError:
        raise ConfigError(
            f"bad schedule.embargo {spec!r}",
            hint="use HH:MM (e.g. 14:00) or +DURATION after the briefing's end (e.g. +2h)",
        ) from None


def request(store: Store, bid: str, until: datetime, *, notify: bool | None = None) -> dict[str, Any]:
    """Record that the briefing's next release is held until ``until`` (kept across runs: a re-run of
    process or publish before the time holds it again, never publishes it)."""
    before = embargo_of(store, bid) or {}
    same = not before.get("lifted_at") and before.get("until") == iso(until)
    record = {
        "until": iso(until),
        "version": before.get("version") if same else None,
        "notify": notify if notify is not None else before.get("notify") if same else None,
        "lifted_at": None,
        "requested_at": before.get("requested_at") if same else iso(now()),
    }
    store.update_meta(bid, embargo=record)
    return record


def mark(store: Store, bid: str, **changes: Any) -> dict[str, Any]:
    e = {**(embargo_of(store, bid) or {}), **changes}
    store.update_meta(bid, embargo=e)
    return e


def due(store: Store, *, at: datetime | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The held briefings whose time has come (not lifted yet)."""
    at = at or now()
    out = []
    for b in store.briefings():
        e = b.meta.get("embargo")
        if isinstance(e, dict) and not e.get("lifted_at") and parse_time(e["until"]) <= at:
            out.append((b.id, dict(e)))
    return out
