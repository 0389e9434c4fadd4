"""Calendar invitations: iCalendar (RFC 5545/5546) by SMTP, each recipient with their own join link.

- One UID per series (``schedule_series.uid``). A recurring series is sent as a master VEVENT with RRULE,
  EXDATE for cancelled days and RECURRENCE-ID overrides for moved days and for the coming days (these carry
  the recipient's personal link of that day). One day alone is sent as a RECURRENCE-ID instance of the
  series (or as the event itself for a one-off briefing).
- SEQUENCE is the series' (or occurrence's) change counter: a move or cancel raises it, so calendars apply
  the update. A cancelled series or day is sent with METHOD:CANCEL to everyone invited before.
- Every message goes through the outbox under ``invite:<id>:<email>:<sequence>`` (``cancel:`` for
  cancellations): running the command again never sends the same invitation twice.
- SMTP from ``BRIEFING_SMTP_URL``, read and spoken by the project's one SMTP client (publish.mail):
  ``smtp://user:pass@host:587`` (STARTTLS) or ``smtps://user:pass@host``.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from briefing.core import config, outbox
from briefing.core.config import OrganizationSettings
from briefing.core.errors import ConfigError, InputError, PublishError
from briefing.core.results import Result
from briefing.meeting import jitsi, schedule
from briefing.meeting import jitsi as _jitsi  # noqa: F401  (jitsi declares the jitsi.* settings)
from briefing.meeting.schedule import Occurrence, parse_person, to_utc
from publish.mail import Mailer, MailError, MailLoginError, MailRecipientsRefused, SmtpServer

config.register(
    config.Setting(
        "smtp.url", "", "SMTP server: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host", secret=True
    ),
    config.Setting("smtp.from", "", "Sender and organizer of invitations (default: organization.contact)."),
    config.Setting("smtp.timeout", 30.0, "Seconds to wait for the SMTP server.", float),
    config.Setting("invite.days", 7, "How many coming days a series invitation carries personal links for.", int),
)


class SmtpSettings(config.Area, area="smtp"):
    url: str
    from_: str
    timeout: float


class InviteSettings(config.Area, area="invite"):
    days: int


UTC = UTC
PRODID = "-//briefing//press briefings//EN"


# -- SMTP -----------------------------------------------------------------------------------------------
def smtp_server(settings: Any) -> SmtpServer:
    """The SMTP server of ``smtp.url``, read by the project's one SMTP client (publish.mail)."""
    url = SmtpSettings.of(settings).url
    if not url:
        raise ConfigError(
            "no SMTP server configured", hint="set BRIEFING_SMTP_URL, e.g. smtp://user:pass@mail.example.org:587"
        )
    try:
        return SmtpServer.from_url(url)
    except MailError as exc:
        raise ConfigError(f"BRIEFING_SMTP_URL: {exc.message}", hint=exc.hint) from None


@contextlib.contextmanager
def _mail_errors() -> Iterator[None]:
    """The SMTP client's errors as BriefingErrors: a refused login is the configuration's fault."""
    try:
        yield
    except MailLoginError as exc:
        raise ConfigError(exc.message, hint=exc.hint) from None
    except MailError as exc:
        raise PublishError(exc.message, hint=exc.hint) from None


# -- calendar ---------------------------------------------------------------------------------------------
def _event(
    *,
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    title: str,
    organizer: dict[str, str],
    attendee: dict[str, str],
    url: str | None,
    description: str,
    status: str,
    recurrence_id: datetime | None = None,
    rrule: str | None = None,
    exdates: list[datetime] | None = None,
) -> Any:
    from icalendar import Event, vCalAddress, vRecur, vText

    ev = Event()
    ev.add("uid", uid)
    ev.add("dtstamp", datetime.now(UTC).replace(microsecond=0))
    ev.add("sequence", sequence)
    ev.add("summary", title)
    ev.add("dtstart", start)
    ev.add("dtend", end)
    if recurrence_id is not None:
        ev.add("recurrence-id", recurrence_id)
    if rrule:
        ev.add("rrule", vRecur.from_ical(rrule))
    if exdates:
        ev.add("exdate", exdates)
    ev.add("status", status)
    ev.add("transp", "OPAQUE")
    if url:
        ev.add("url", url)
        ev.add("location", url)
    ev.add("description", description)
    org = vCalAddress(f"mailto:{organizer['email']}")
    org.params["cn"] = vText(organizer.get("name") or organizer["email"])
    ev.add("organizer", org)
    att = vCalAddress(f"mailto:{attendee['email']}")
    if attendee.get("name"):
        att.params["cn"] = vText(attendee["name"])
    att.params["role"] = vText("CHAIR" if attendee["role"] == "chair" else "REQ-PARTICIPANT")
    att.params["partstat"] = vText("NEEDS-ACTION")
    att.params["rsvp"] = vText("TRUE" if attendee["role"] != "press" else "FALSE")
    ev.add("attendee", att)
    return ev


def _ical_rrule(series: Any) -> str:
    """The series rule for iCalendar: UNTIL must be UTC when DTSTART has a TZID (RFC 5545 3.3.10)."""
    parts = []
    for p in series.rrule.split(";"):
        if p.startswith("UNTIL="):
            local = datetime.strptime(p[6:], "%Y%m%dT%H%M%S").replace(tzinfo=series.tz)
            p = "UNTIL=" + local.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        parts.append(p)
    return ";".join(parts)


def _calendar(method: str, events: list[Any], first: datetime, last: datetime) -> bytes:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add("calscale", "GREGORIAN")
    for ev in events:
        cal.add_component(ev)
    cal.add_missing_timezones(
        first_date=(first - timedelta(days=366)).date(), last_date=(last + timedelta(days=366)).date()
    )
    return cal.to_ical()


# -- the invitation of one recipient ----------------------------------------------------------------------
ROLE_TEXT = {"chair": "chair", "speaker": "speaker", "press": "press (you join muted)", "recorder": "recorder"}


def _when(occ: Any) -> str:
    s, e = occ.local_start, occ.local_end
    return f"{s:%A %d %B %Y, %H:%M}–{e:%H:%M} ({occ.series.timezone}, UTC{s:%z})"


def _build(
    *,
    target: Any,
    occs_with_links: list[tuple[Any, str]],
    method: str,
    sequence: int,
    organizer: dict[str, str],
    person: dict[str, str],
    org_name: str,
    cancelled: Sequence[Any] = (),
    lead_min: int = 30,
) -> EmailMessage:

    is_occ = isinstance(target, Occurrence)
    series = target.series if is_occ else target
    title = series.title
    status = "CANCELLED" if method == "CANCEL" else "CONFIRMED"
    events = []
    lines: list[str] = []
    html_items: list[str] = []
    for occ, link in occs_with_links:
        lines.append(f"- {_when(occ)}" + (f"\n  Join: {link}" if link else ""))
        html_items.append(
            f"<li>{html.escape(_when(occ))}"
            + (f'<br><a href="{html.escape(link)}">Join the briefing</a>' if link else "")
            + "</li>"
        )
    intro = (
        f"The briefing “{title}” is cancelled."
        if method == "CANCEL"
        else f"You are invited to “{title}” as {ROLE_TEXT[person['role']]}."
    )
    note = (
        ""
        if method == "CANCEL"
        else (f"The link is personal: do not forward it. It works from {lead_min} minutes before the start.")
    )
    description = "\n".join([intro, *lines, note]).strip()

    if is_occ:
        occ, link = occs_with_links[0]
        rid = occ.original_start.replace(tzinfo=series.tz) if series.rrule else None
        events.append(
            _event(
                uid=series.uid,
                sequence=sequence,
                start=occ.local_start,
                end=occ.local_end,
                title=title,
                organizer=organizer,
                attendee=person,
                url=link or None,
                description=description,
                status=status,
                recurrence_id=rid,
            )
        )
        first = last = occ.start
    else:
        start = series.dtstart.replace(tzinfo=series.tz)
        end = start + timedelta(seconds=series.duration_s)
        master = _event(
            uid=series.uid,
            sequence=sequence,
            start=start,
            end=end,
            title=title,
            organizer=organizer,
            attendee=person,
            url=None,
            description=description,
            status=status,
            rrule=_ical_rrule(series) if series.rrule else None,
            exdates=[o.original_start.replace(tzinfo=series.tz) for o in cancelled] or None,
        )
        events.append(master)
        if method != "CANCEL":
            for occ, link in occs_with_links:
                events.append(
                    _event(
                        uid=series.uid,
                        sequence=occ.sequence,
                        start=occ.local_start,
                        end=occ.local_end,
                        title=title,
                        organizer=organizer,
                        attendee=person,
                        url=link or None,
                        description=f"{intro}\n{_when(occ)}\nJoin: {link}\n{note}".strip(),
                        status=status,
                        recurrence_id=occ.original_start.replace(tzinfo=series.tz),
                    )
                )
        first = to_utc(series.dtstart, series.tz)
        last = max([first] + [o.end for o, _ in occs_with_links])
    ics = _calendar(method, events, first, last)

    msg = EmailMessage()
    prefix = "Cancelled: " if method == "CANCEL" else ("Updated invitation: " if sequence else "Invitation: ")
    when = (
        _when(occs_with_links[0][0])
        if occs_with_links and is_occ
        else (f"from {series.dtstart:%d %B %Y %H:%M} ({series.timezone})")
    )
    msg["Subject"] = f"{prefix}{title} — {when}"
    msg["From"] = formataddr((org_name, organizer["email"]))
    msg["To"] = formataddr((person.get("name", ""), person["email"]))
    msg["Message-ID"] = make_msgid(domain=organizer["email"].split("@")[-1])
    body = description + f"\n\n— {org_name}\n"
    msg.set_content(body)
    html_body = (
        f"<p>{html.escape(intro)}</p><ul>{''.join(html_items)}</ul>"
        + (f"<p>{html.escape(note)}</p>" if note else "")
        + f"<p>— {html.escape(org_name)}</p>"
    )
    msg.add_alternative(f"<!doctype html><html><body>{html_body}</body></html>", subtype="html")
    msg.add_alternative(ics.decode("utf-8"), subtype="calendar", params={"method": method})
    return msg


# -- the command -----------------------------------------------------------------------------------------
def press_list_members(settings: Any, name: str) -> list[str]:
    """The members of a press list of briefing.toml; ConfigError naming the lists there if it is unknown."""
    import difflib

    members = settings.section(f"press_lists.{name}")
    if members is None:
        known = sorted(k for k in (settings.section("press_lists") or {}) if isinstance(k, str))
        near = difflib.get_close_matches(name, known, n=1)
        raise ConfigError(
            f"no press list {name!r} in briefing.toml" + (f" (it has: {', '.join(known)})" if known else ""),
            hint=(f"did you mean {near[0]!r}? " if near else "")
            + f'add [press_lists] {name} = ["Name <a@b.org>", ...] to briefing.toml',
        )
    if isinstance(members, str):
        members = [m for m in members.replace(";", ",").split(",") if m.strip()]
    if not isinstance(members, list):
        raise ConfigError(
            f"[press_lists] {name} must be a list of addresses", hint=f'write {name} = ["Name <a@b.org>", ...]'
        )
    return [str(m) for m in members]


def _recipients(
    settings: Any,
    store: Any,
    target: Any,
    *,
    to: tuple[str, ...],
    press_list: str | None,
    role: str | None,
    cancel: bool,
    key_id: str,
) -> list[dict[str, str]]:

    series = target.series if isinstance(target, Occurrence) else target
    people: list[dict[str, str]] = []
    if series.chair.get("email"):
        people.append({**series.chair, "role": "chair"})
    people += [{**p, "role": "speaker"} for p in series.speakers if p.get("email")]
    for addr in to:
        p = parse_person(addr, "--to")
        if not p["email"]:
            raise InputError(f"--to {addr!r} has no email address")
        people.append({**p, "role": role or "press"})
    list_name = press_list or series.press_list
    if list_name:
        for m in press_list_members(settings, list_name):
            p = parse_person(str(m), f"press list {list_name}")
            if p["email"]:
                people.append({**p, "role": "press"})
    if cancel:  # everyone who was invited hears of the cancellation
        for sent in outbox.messages(store, briefing_id=key_id, kind="invitation"):
            if sent.key.startswith("invite:") and sent.status == "sent":
                people.append(
                    {
                        "name": sent.payload.get("name", ""),
                        "email": sent.target,
                        "role": sent.payload.get("role", "press"),
                    }
                )
    seen: dict[str, dict[str, str]] = {}
    for p in people:
        seen.setdefault(p["email"].lower(), {**p, "email": p["email"].lower()})
    return list(seen.values())


@dataclass(frozen=True)
class FailedInvitation(Result):
    email: str
    error: str


@dataclass(frozen=True)
class Invitation(Result):
    """What `briefing invite` did: the addresses sent to now, sent to before, and refused."""

    id: str
    title: str
    method: str  # REQUEST | CANCEL
    sequence: int
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    failed: list[FailedInvitation] = field(default_factory=list)


def invite(
    store: Any,
    settings: Any,
    ident: str,
    *,
    to: tuple[str, ...] = (),
    press_list: str | None = None,
    role: str | None = None,
    days: int | None = None,
    now: datetime | None = None,
) -> Invitation:
    """Send (or update, or cancel) the invitations of a series or one briefing; never the same one twice."""
    if role is not None and role not in jitsi.ROLES:
        raise InputError(f"unknown role {role!r}", hint="use one of " + ", ".join(jitsi.ROLES))
    target = schedule.resolve(store, ident)
    if isinstance(target, schedule.Series) and not target.rrule:  # a one-off: its one occurrence
        target = schedule.find_occurrence(store, target.id, target.dtstart.date().isoformat())
    occ = target if isinstance(target, schedule.Occurrence) else None
    series = occ.series if occ is not None else target
    assert isinstance(series, schedule.Series)  # resolve() gives a series or one of its days
    cancel = occ.cancelled if occ is not None else series.status == "cancelled"
    method = "CANCEL" if cancel else "REQUEST"
    sequence = target.sequence
    key_id = target.id
    people = _recipients(settings, store, target, to=to, press_list=press_list, role=role, cancel=cancel, key_id=key_id)
    if not people:
        raise InputError(
            f"nobody to invite to {key_id}",
            hint="give --to EMAIL or --press-list NAME, or a --chair with an email on the schedule",
        )
    sender = SmtpSettings.of(settings).from_ or OrganizationSettings.of(settings).contact
    if not sender or "@" not in sender:
        raise ConfigError("no sender address for invitations", hint="set BRIEFING_SMTP_FROM")
    organizer = {"name": OrganizationSettings.of(settings).name, "email": sender}
    cfg = jitsi.load(settings) if not cancel else None
    cancelled_days: list[Any] = []

    now = now or datetime.now(UTC)
    if occ is not None:
        occs = [occ]
    else:
        n = days if days is not None else InviteSettings.of(settings).days
        # n calendar days in the series' time zone, today first: the same days whatever the hour it runs
        today = now.astimezone(series.tz).replace(hour=0, minute=0, second=0, microsecond=0)
        until = today + timedelta(days=max(n, 0))  # wall-clock midnight, whatever the offset
        all_occs = schedule.occurrences(store, now - timedelta(days=1), until.astimezone(UTC), series_id=series.id)
        occs = [o for o in all_occs if not o.cancelled and o.end > now]
        changed = schedule.exceptions(store, series)
        cancelled_days = [o for o in changed if o.status == "cancelled"]
        # Moved days are sent as overrides whatever their date, so calendars show them where they are.
        moved = [o for o in changed if o.moved and o.status != "cancelled" and o.end > now]
        occs = sorted(occs + [o for o in moved if o.id not in {x.id for x in occs}], key=lambda o: o.start)

    result = Invitation(key_id, series.title, method, sequence)
    todo = []
    for p in people:
        key = f"{'cancel' if cancel else 'invite'}:{key_id}:{p['email']}:{sequence}"
        existing = outbox.find(store, key)
        if existing is not None and existing.status == "sent":
            result.already_sent.append(p["email"])
            continue
        outbox.record(
            store,
            kind="invitation",
            key=key,
            target=p["email"],
            briefing_id=key_id,
            payload={"name": p.get("name", ""), "role": p["role"], "method": method, "sequence": sequence},
        )
        todo.append((key, p))
    if not todo:
        return result

    smtp = smtp_server(settings)
    with _mail_errors(), Mailer(smtp, timeout=SmtpSettings.of(settings).timeout) as mailer:
        for key, p in todo:
            links = []
            for o in occs:
                link = ""
                if cfg is not None and not o.cancelled:
                    link = jitsi.join_link(
                        cfg,
                        room=o.room,
                        start=o.start,
                        end=o.end,
                        role=p["role"],
                        name=p.get("name", ""),
                        email=p["email"],
                    ).url
                links.append((o, link))
            if occ is not None and not links:
                links = [(occ, "")]
            msg = _build(
                target=target,
                occs_with_links=links,
                method=method,
                sequence=sequence,
                organizer=organizer,
                person=p,
                org_name=OrganizationSettings.of(settings).name,
                cancelled=cancelled_days,
                lead_min=cfg.lead_s // 60 if cfg else 30,
            )
            try:
                mailer.send(msg)
            except MailRecipientsRefused as exc:
                outbox.mark_failed(store, key, f"refused: {exc.recipients}")
                result.failed.append(FailedInvitation(p["email"], "recipient refused"))
                continue
            except MailError as exc:
                outbox.mark_failed(store, key, exc.message)
                raise PublishError(
                    f"sending to {p['email']} failed: {exc.message}", hint="run the same command again to send the rest"
                ) from None
            outbox.mark_sent(store, key)
            result.sent.append(p["email"])
    return result
