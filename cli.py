"""The `briefing` command line: parse, load settings, call one function of briefing/, render."""

from __future__ import annotations

import errno
import io
import json
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from briefing.core.errors import BriefingError

if TYPE_CHECKING:
    from briefing.meeting.schedule import Occurrence

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Ctx:
    def __init__(self, home: str | None, debug: bool, quiet: bool) -> None:
        self.home = home
        self.debug = debug
        self.quiet = quiet
        self._settings: Any = None
        self._store: Any = None

    def settings(self, **overrides: Any) -> Any:
        from briefing.core.config import load_settings

        if self._settings is None or overrides:
            self._settings = load_settings(self.home, overrides=overrides)
        return self._settings

    def store(self) -> Any:
        from briefing.core.store import Store

        if self._store is None:
            self._store = Store(self.settings().store_path)
        return self._store

    def reporter(self, as_json: bool = False) -> Any:
        from briefing.progress import RichReporter

        return RichReporter(quiet=self.quiet or as_json)

    def cluster_reporter(self, as_json: bool = False) -> Any:
        """The reporter of a command that follows the cluster (issue 21): the stage lines and a bar of the
        recordings done out of the total; the plain reporter without a cluster."""
        from briefing.cluster import conf as cluster_conf
        from briefing.progress import ClusterReporter

        if not cluster_conf.configured(self.settings()):
            return self.reporter(as_json)
        return ClusterReporter(quiet=self.quiet or as_json)


pass_ctx = click.make_pass_decorator(Ctx)


class _TerminalSafe(io.TextIOBase):
    """stdout for the length of a command: stored text (titles, names, transcripts) reaches the terminal
    with its control characters and direction overrides written as visible escapes, never raw."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def write(self, s: str) -> int:
        if not isinstance(s, str):  # click probes text streams with b""
            raise TypeError("write() argument must be str")
        from briefing.core.text import for_terminal

        self._raw.write(for_terminal(s))
        return len(s)

    def flush(self) -> None:
        self._raw.flush()

    def isatty(self) -> bool:
        return self._raw.isatty()

    def fileno(self) -> int:
        return self._raw.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._raw, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._raw, "errors", None)


def _guard_stdout(ctx: click.Context) -> None:
    raw = sys.stdout
    if isinstance(raw, _TerminalSafe):
        return
    sys.stdout = _TerminalSafe(raw)

    def restore() -> None:
        if isinstance(sys.stdout, _TerminalSafe):
            sys.stdout.flush()
            sys.stdout = raw

    ctx.call_on_close(restore)


def emit(data: Any, as_json: bool, text: str | None = None) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    elif text is not None:
        click.echo(text)


json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
force_option = click.option("--force", is_flag=True, help="Redo the work even if it is already done.")


@click.group(context_settings=CONTEXT)
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="BRIEFING_HOME",
    help="Where briefing keeps its config, store, workspace and site [env: BRIEFING_HOME].",
)
@click.option("--debug", is_flag=True, envvar="BRIEFING_DEBUG", help="Show tracebacks on errors.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and results (for cron).")
@click.version_option(package_name="briefing")
@click.pass_context
def cli(ctx: click.Context, home: str | None, debug: bool, quiet: bool) -> None:
    """Daily press briefings: schedule on Jitsi, record, transcribe with Whisper, publish, archive."""
    from transcribe.whisper import keep_heap  # every command imports transcribe already; --help stays lean

    keep_heap()  # before any thread allocates: process, daily and record start threads before the model loads
    _guard_stdout(ctx)
    ctx.obj = Ctx(home, debug, quiet)


# -- processing -------------------------------------------------------------------------------------
@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", help="Title of the briefing [default: setting briefing.title].")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Date of the briefing [default: the file's date].")
@click.option("--language", metavar="CODE|auto", help="Spoken language, e.g. vi or en; auto detects it.")
@click.option("--speaker", "speakers", multiple=True, metavar="NAME", help="A speaker's name (repeatable).")
@click.option(
    "--embargo",
    metavar="TIME",
    help="Hold the page, feeds, index, search and targets until TIME "
    "(e.g. 2026-11-25T14:00+07:00); the press email goes now, marked EMBARGOED UNTIL TIME.",
)
@force_option
@json_option
@pass_ctx
def process(
    c: Ctx,
    file: Path,
    title: str | None,
    day: str | None,
    language: str | None,
    speakers: tuple[str, ...],
    embargo: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Process a briefing recording: media, transcript, summary and press page.

    A published briefing's id with another recording is refused; --force publishes it as the next
    version (the published one stays as it was)."""
    from briefing.processing import pipeline

    reporter = c.reporter(as_json)
    try:
        result = pipeline.process(
            c.store(),
            c.settings(),
            file,
            title=title,
            date=day,
            language=language,
            speakers=speakers,
            force=force,
            reporter=reporter,
            embargo_until=embargo,
        )
    finally:
        reporter.close()
    emit(result.to_dict(), as_json, None if c.quiet and not as_json else f"{result.page}")


@cli.command()
@json_option
@click.option(
    "--language",
    type=click.Choice(["en", "vi"]),
    default="en",
    show_default=True,
    help="Language of the sample briefing.",
)
@pass_ctx
def demo(c: Ctx, as_json: bool, language: str) -> None:
    """Make a short sample briefing recording and process it end to end; print the page's path and the
    demo's home (a new temporary one unless --home is given; the speech model is cached once for all
    demos in ~/.cache/briefing, or cache.dir)."""
    from briefing import demo as demo_mod

    reporter = c.reporter(as_json)
    try:
        result = demo_mod.run(c.home, reporter=reporter, language=language)
    finally:
        reporter.close()
    home = shlex.quote(str(result.home))
    emit(
        result.to_dict(),
        as_json,
        str(result.page)
        if c.quiet
        else f"{result.page}\n\nThe demo's home is {result.home} (its model is cached in {result.model_cache}).\n"
        f"Look at it with: briefing --home {home} status",
    )


@cli.command()
@click.argument("briefing_id", required=False)
@json_option
@pass_ctx
def status(c: Ctx, briefing_id: str | None, as_json: bool) -> None:
    """The briefings and the state of each stage, with artifact paths."""
    from briefing.processing import pipeline

    data = pipeline.status(c.store(), briefing_id, settings=c.settings())
    if as_json:
        emit([b.to_dict() for b in data], True)
        return
    if not data:
        click.echo("No briefings yet. Process one with: briefing process FILE")
        return
    for b in data:
        click.echo(f"{b.id}  {b.title}  ({b.date}, {b.language})")
        for s in b.stages:
            line = f"  {s.stage:<11} {s.status}"
            if s.stage == "transcribe" and s.device:  # which hardware made the transcript
                line += f"  ({s.device} {s.compute_type}{', live' if s.live else ''})"
            if s.stage == "transcribe" and s.engine:  # and which engine and model made it (issue 18)
                line += f"  model {s.model or '?'}, engine {s.engine}"
            if s.error:
                line += f": {s.error}"
            click.echo(line)
            if briefing_id:
                for role, path in s.artifacts.items():
                    click.echo(f"      {role:<12} {path}")
        dist = b.distribution
        assert dist is not None  # asked for with settings
        if dist.embargo:
            e = dist.embargo
            click.echo(
                f"  ⏸ embargo   held until {e.until}"
                + (f" (v{e.version})" if e.version else "")
                + ": "
                + ", ".join(e.holds)
                + (" — due: the next `briefing outbox send` or `briefing daily` publishes it" if e.due else "")
            )
        for t in dist.targets:
            if t.status == "never" and not briefing_id:
                continue
            line = f"  → {t.name:<9} {t.status}" + (f" v{t.version}" if t.version else "")
            line += (f"  {t.url}" if t.url else "") + (f"  {t.published_at}" if t.published_at else "")
            click.echo(line + (f"\n      error: {t.error}" if t.error else ""))
        for m in dist.messages:
            when = m.sent_at or (f"not before {m.not_before}" if m.not_before else "")
            line = f"  ✉ {m.kind:<7} {m.name}  {m.status} v{m.version}  {when}".rstrip()
            click.echo(line + (f"\n      error: {m.error}" if m.error else ""))


def _one_stage(fn_name: str, doc: str) -> None:
    @cli.command(name=fn_name, help=doc)
    @click.argument("briefing_id")
    @force_option
    @json_option
    @pass_ctx
    def cmd(c: Ctx, briefing_id: str, force: bool, as_json: bool) -> None:
        from briefing.processing import pipeline

        reporter = c.reporter(as_json)
        try:
            result = getattr(pipeline, f"{fn_name}_one")(
                c.store(), c.settings(), briefing_id, force=force, reporter=reporter
            )
        finally:
            reporter.close()
        emit(
            result.to_dict(),
            as_json,
            None
            if c.quiet
            else ("already done" if not result.ran else f"{fn_name}: done")
            + (f" — {result.page}" if result.page else ""),
        )


_one_stage("transcribe", "Run the transcription stage of one briefing (as inside process).")
_one_stage("summarize", "Run the summary stage of one briefing (as inside process).")


@cli.command()
@click.argument("briefing_id")
@click.option("--note", help="Publish the pending correction as a new version with this note (required for one).")
@click.option(
    "--notify/--no-notify",
    default=None,
    help="Tell the press channels and list [default: yes for version 1, no for corrections].",
)
@click.option(
    "--embargo",
    metavar="TIME",
    help="Hold the page, feeds, index, search and targets until TIME "
    "(e.g. 2026-11-25T14:00+07:00); the press email goes now, marked EMBARGOED UNTIL TIME; "
    "`briefing daily` or `briefing outbox send` publishes it at TIME.",
)
@click.option(
    "--send-at",
    metavar="TIME",
    help="Publish now; send the press email at TIME (the old, email-only embargo), e.g. 2026-11-25T14:00.",
)
@click.option("--resend-uncertain", is_flag=True, help="Send again messages whose earlier send was interrupted.")
@force_option
@json_option
@pass_ctx
def publish(
    c: Ctx,
    briefing_id: str,
    note: str | None,
    notify: bool | None,
    embargo: str | None,
    send_at: str | None,
    resend_uncertain: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Publish one briefing: local site, signed manifest, targets, then channels and email (once)."""
    from briefing.processing import pipeline

    reporter = c.reporter(as_json)
    try:
        result = pipeline.publish_one(
            c.store(),
            c.settings(),
            briefing_id,
            force=force,
            reporter=reporter,
            note=note,
            notify=notify,
            embargo_until=embargo,
            send_at=send_at,
            resend_uncertain=resend_uncertain,
        )
    finally:
        reporter.close()
    d = result.distribution
    emit(
        result.to_dict(),
        as_json,
        None
        if c.quiet
        else f"publish: version {d.version if d else '?'} held until {d.held_until} — {d.link}"
        if isinstance(d, pipeline.HeldRelease)
        else f"publish: version {d.version if d else '?'} — {(d.link if d else '') or result.page}",
    )


@cli.command()
@click.argument("briefing_id")
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A corrected SRT, VTT or TXT file (without it, $EDITOR opens the transcript).",
)
@click.option("--discard", is_flag=True, help="Throw away the pending correction.")
@json_option
@pass_ctx
def correct(c: Ctx, briefing_id: str, file: Path | None, discard: bool, as_json: bool) -> None:
    """Correct a transcript; publish it with: briefing publish ID --note "..."."""
    from briefing.processing import corrections

    store, settings = c.store(), c.settings()
    if discard:
        done = corrections.discard(store, settings, briefing_id)
        emit({"id": briefing_id, "discarded": done}, as_json, "discarded" if done else "no pending correction")
        return
    if file is None:
        edited = click.edit(
            corrections.editable_text(store, settings, briefing_id), extension=".txt", require_save=True
        )
        if edited is None:
            emit({"id": briefing_id, "changed": 0}, as_json, "not saved: nothing changed")
            return
        result = corrections.correct(store, settings, briefing_id, text=edited)
    else:
        result = corrections.correct(store, settings, briefing_id, file=file)
    emit(
        result.to_dict(),
        as_json,
        "nothing changed"
        if not result.changed
        else f'{result.changed} segment(s) corrected; publish with: briefing publish {briefing_id} --note "..."',
    )


@cli.command()
@click.argument("target")
@click.option(
    "--key",
    metavar="PEM|URL|FINGERPRINT",
    help="The publisher's public key, or the fingerprint its published key must have.",
)
@click.option("--manifest", metavar="PATH|URL", help="The release's manifest.json, for a file downloaded elsewhere.")
@json_option
@pass_ctx
def verify(c: Ctx, target: str, key: str | None, manifest: str | None, as_json: bool) -> None:
    """Check a downloaded file, a briefing directory, or a page URL against its signed manifest."""
    from briefing.core import errors
    from publish.manifest import verify as run_verify

    with errors.translated():
        report = run_verify(target, key=key, manifest=manifest)
    data = report.to_dict()
    if as_json:
        emit(data, True)
    else:
        for f in report.files:
            click.echo(f"{'ok  ' if f.ok else 'FAIL'} {f.name}: {f.detail}")
        for p in report.problems:
            click.echo(f"FAIL {p}")
        if report.signature_ok:
            click.echo(
                f"signed by key {report.key_fingerprint} ({report.key_source}) — compare it with the "
                "fingerprint the ministry publishes"
            )
        elif report.key_expected:
            click.echo(f"expected key {report.key_expected} (named by the manifest)")
        click.echo(
            f"{'AUTHENTIC' if report.ok else 'NOT AUTHENTIC'}: {report.briefing_id or target}"
            + (f" version {report.version}" if report.version else "")
        )
    if not report.ok:
        sys.exit(1)


@cli.group()
def keys() -> None:
    """The Ed25519 key that signs release manifests."""


@keys.command(name="generate")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the private key [default: <home>/keys/signing-key.pem].",
)
@click.option("--force", is_flag=True, help="Replace an existing key.")
@json_option
@pass_ctx
def keys_generate(c: Ctx, out: Path | None, force: bool, as_json: bool) -> None:
    """Make a new signing key (file mode 0600)."""
    from briefing.press import distribute

    r = distribute.generate_key(c.settings(), out, force=force)
    emit(
        r.to_dict(),
        as_json,
        f"{r.path}\nfingerprint {r.fingerprint}\n"
        + ("" if out is None else f"use it with: export BRIEFING_SIGNING_KEY_FILE={r.path}"),
    )


@keys.command(name="show")
@json_option
@pass_ctx
def keys_show(c: Ctx, as_json: bool) -> None:
    """The fingerprint of the signing key in use."""
    from briefing.press import distribute

    fp = distribute.key_fingerprint(c.settings())
    emit({"fingerprint": fp}, as_json, fp)


@keys.command(name="rotate")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the new private key here (needed when BRIEFING_SIGNING_KEY_FILE names the key).",
)
@json_option
@pass_ctx
def keys_rotate(c: Ctx, out: Path | None, as_json: bool) -> None:
    """Make a new signing key; the old public key stays published in the keyring, so every release signed
    with it still verifies."""
    from briefing.press import distribute

    r = distribute.rotate_key(c.settings(), out)
    emit(
        r.to_dict(),
        as_json,
        f"new signing key {r.fingerprint} at {r.path}"
        + (f"\nthe previous key {r.previous} stays in the keyring ({r.keyring})" if r.previous else "")
        + (
            f"\nits private key was moved to {r.retired_private_key} — keep it offline or destroy it"
            if r.retired_private_key
            else ""
        )
        + (f"\nuse it with: export BRIEFING_SIGNING_KEY_FILE={r.path}" if r.configured else "")
        + "\npublish the new fingerprint where journalists look for it; the next `briefing publish` "
        "puts the keyring on every target",
    )


@keys.command(name="revoke")
@click.argument("fingerprint")
@click.option("--reason", default="", help='Why the key is withdrawn (e.g. "compromised"); published.')
@json_option
@pass_ctx
def keys_revoke(c: Ctx, fingerprint: str, reason: str, as_json: bool) -> None:
    """Mark a key as withdrawn in the published keyring: releases signed with it no longer verify."""
    from briefing.press import distribute

    r = distribute.revoke_key(c.settings(), fingerprint, reason=reason)
    emit(
        r.to_dict(),
        as_json,
        f"revoked {r.fingerprint} on {r.revoked.at if r.revoked else '?'}"
        + (
            f"\n{len(r.releases)} release(s) on the site are signed with it; sign them again with the "
            f"current key: " + "; ".join(f"briefing publish {b}" for b in r.releases)
            if r.releases
            else ""
        ),
    )


@keys.command(name="list")
@json_option
@pass_ctx
def keys_list(c: Ctx, as_json: bool) -> None:
    """Every key in the keyring: fingerprint, dates used, revocation."""
    from briefing.press import distribute

    r = distribute.list_keys(c.settings())
    if as_json:
        emit(r.to_dict(), True)
        return
    if not r.keys:
        click.echo("No key has signed a release yet.")
    for e in r.keys:
        used = f"used {e.first_used or '-'} … {e.last_used or '-'}"
        mark = " (in use)" if r.in_use and e.fingerprint == r.in_use else ""
        rev = e.revoked
        click.echo(
            f"{e.fingerprint}{mark}  {used}"
            + (f"  retired {e.retired}" if e.retired else "")
            + (f"  REVOKED {rev.at} ({rev.reason})" if rev else "")
        )


@cli.group(name="outbox")
def outbox_group() -> None:
    """Messages to the press (channels, email)."""


@outbox_group.command(name="send")
@click.option("--resend-uncertain", is_flag=True, help="Send again messages whose earlier send was interrupted.")
@json_option
@pass_ctx
def outbox_send(c: Ctx, resend_uncertain: bool, as_json: bool) -> None:
    """Publish the embargoed briefings whose time has come, then send every due message (an email sent at
    its time, failed ones again); for cron."""
    from briefing.press import distribute
    from briefing.processing import pipeline

    lifted = pipeline.lift_embargoes(c.store(), c.settings())
    sent = distribute.send_due(c.store(), c.settings(), resend_uncertain=resend_uncertain)
    rows = [("embargo", e.briefing_id, e.status, e.error) for e in lifted] + [
        (m.kind, m.target, m.status, m.error) for m in sent
    ]
    emit(
        [{"key": f"embargo:{e.briefing_id}", "kind": "embargo", "target": e.briefing_id, **e.to_dict()} for e in lifted]
        + [m.to_dict() for m in sent],
        as_json,
        None
        if c.quiet
        else "\n".join(
            f"{status:<9} {kind:<7} {target}" + (f": {error}" if error else "") for kind, target, status, error in rows
        )
        or "nothing due",
    )
    if any(status == "failed" for _, _, status, _ in rows):
        sys.exit(1)


@cli.command(name="settings")
@json_option
@pass_ctx
def settings_cmd(c: Ctx, as_json: bool) -> None:
    """Every setting, its value and where it came from (secrets masked)."""
    import briefing.core.locks  # noqa: F401  (declares lock.wait)
    import briefing.meeting.invite  # noqa: F401  (declares smtp.*, invite.*, and through jitsi, jitsi.*)
    import briefing.meeting.schedule  # noqa: F401  (declares schedule.*)
    import briefing.press.distribute  # noqa: F401  (declares signing.key, channels, publish.*)
    import briefing.processing.speech  # noqa: F401  (declares quality.*, translate.*, redact.*)

    rows = c.settings().describe()
    if as_json:
        emit([r.to_dict() for r in rows], True)
        return
    click.echo(f"home: {c.settings().home}")
    for r in rows:
        click.echo(f"{r.name:<28} {str(r.value)!s:<30} [{r.source}]  {r.env}")


# -- schedule and Jitsi -----------------------------------------------------------------------------
def _occ_line(o: Occurrence) -> str:
    """One line for a scheduled briefing."""
    flags = " CANCELLED" if o.cancelled else (" (moved)" if o.moved else "")
    return f"{o.id}  {o.local_start:%Y-%m-%d %H:%M}–{o.local_end:%H:%M} {o.series.timezone}{flags}"


@cli.group()
def schedule() -> None:
    """Schedule the briefing: one-off or recurring, with cancelled and moved days."""


@schedule.command("add")
@click.option("--title", required=True, help="Title of the briefing.")
@click.option("--start", required=True, metavar="YYYY-MM-DDTHH:MM", help="First start, local time.")
@click.option("--duration", default="60m", show_default=True, help="Length, e.g. 45m or 1h30m.")
@click.option("--timezone", "tz", metavar="ZONE", help="IANA zone [default: setting schedule.timezone].")
@click.option("--daily", is_flag=True, help="Every day.")
@click.option("--weekdays", is_flag=True, help="Monday to Friday.")
@click.option("--rrule", metavar="RRULE", help="Any RFC 5545 rule, e.g. FREQ=WEEKLY;BYDAY=MO,WE,FR.")
@click.option("--until", metavar="DATE", help="Last day of the series (inclusive).")
@click.option("--count", type=int, help="Number of briefings in the series.")
@click.option("--language", help="Spoken language (vi, en ...) [default: setting briefing.language].")
@click.option("--chair", metavar='"NAME <EMAIL>"', help="Who chairs (moderator; gets recording rights).")
@click.option("--speaker", "speakers", multiple=True, metavar='"NAME <EMAIL>"', help="A speaker (repeatable).")
@click.option("--press-list", metavar="NAME", help="Press list from briefing.toml to invite by default.")
@json_option
@pass_ctx
def schedule_add(
    c: Ctx,
    title: str,
    start: str,
    duration: str,
    tz: str | None,
    daily: bool,
    weekdays: bool,
    rrule: str | None,
    until: str | None,
    count: int | None,
    language: str | None,
    chair: str | None,
    speakers: tuple[str, ...],
    press_list: str | None,
    as_json: bool,
) -> None:
    """Add a briefing or a recurring series of briefings."""
    from briefing.core.config import BriefingSettings
    from briefing.meeting import schedule as sched

    st = c.settings()
    if press_list:  # refused now, not when `invite` runs
        from briefing.meeting.invite import press_list_members

        press_list_members(st, press_list)
    s = sched.add_series(
        c.store(),
        title=title,
        start=start,
        duration=duration,
        timezone_name=tz or sched.ScheduleSettings.of(st).timezone,
        daily=daily,
        weekdays=weekdays,
        rrule=rrule,
        until=until,
        count=count,
        language=language or BriefingSettings.of(st).language,
        chair=chair,
        speakers=speakers,
        press_list=press_list,
    )
    emit(
        s.to_dict(),
        as_json,
        f"{s.id}: {s.title}, from {s.dtstart:%Y-%m-%d %H:%M} {s.timezone}" + (f", {s.rrule}" if s.rrule else ""),
    )


@schedule.command("list")
@click.option("--from", "start", metavar="DATE", help="First day [default: today].")
@click.option("--to", "end", metavar="DATE", help="Last day [default: 30 days on].")
@json_option
@pass_ctx
def schedule_list(c: Ctx, start: str | None, end: str | None, as_json: bool) -> None:
    """The scheduled briefings (occurrences) between two dates, with their ids and rooms."""
    from briefing.meeting import schedule as sched

    _, _, occs = sched.list_range(c.store(), start=start, end=end)
    if as_json:
        emit([o.to_dict() for o in occs], True)
        return
    if not occs:
        click.echo("No briefings scheduled in that range. Add one with: briefing schedule add")
    for o in occs:
        click.echo(_occ_line(o))


@schedule.command("cancel")
@click.argument("ident", metavar="ID")
@click.option("--occurrence", metavar="DATE", help="Cancel only the briefing of this day.")
@json_option
@pass_ctx
def schedule_cancel(c: Ctx, ident: str, occurrence: str | None, as_json: bool) -> None:
    """Cancel a series (ID), or one day of it (--occurrence DATE, or an occurrence ID)."""
    from briefing.meeting import schedule as sched

    r = sched.cancel(c.store(), ident, occurrence=occurrence)
    emit(r.to_dict(), as_json, f"cancelled {r.id} — send the cancellation with: briefing invite {r.id}")


@schedule.command("move")
@click.argument("ident", metavar="ID")
@click.option("--occurrence", metavar="DATE", help="The day to move (needed with a series ID).")
@click.option("--start", required=True, metavar="YYYY-MM-DDTHH:MM", help="New start, local time.")
@click.option("--duration", help="New length [default: unchanged].")
@json_option
@pass_ctx
def schedule_move(c: Ctx, ident: str, occurrence: str | None, start: str, duration: str | None, as_json: bool) -> None:
    """Move one briefing to another time; its id and room stay the same."""
    from briefing.meeting import schedule as sched

    o = sched.move(c.store(), ident, occurrence=occurrence, start=start, duration=duration)
    emit(o.to_dict(), as_json, _occ_line(o) + f" — send the update with: briefing invite {o.id}")


@cli.command()
@click.argument("ident", metavar="ID")
@click.option("--role", type=click.Choice(["chair", "speaker", "press", "recorder"]), help="Only this role.")
@click.option("--name", default="", help="Display name of the person the link is for.")
@click.option("--email", default="", help="Email of the person the link is for.")
@json_option
@pass_ctx
def links(c: Ctx, ident: str, role: str | None, name: str, email: str, as_json: bool) -> None:
    """Signed Jitsi join links of one briefing, per role (chair, speaker, press, recorder)."""
    from briefing.meeting import jitsi

    data = jitsi.occurrence_links(c.store(), c.settings(), ident, role=role, name=name, email=email)
    if as_json:
        emit(data.to_dict(), True)
        return
    click.echo(f"{data.id}  {data.start[:16].replace('T', ' ')}  room {data.room}")
    for link in data.links:
        who = link.name + (f" <{link.email}>" if link.email else "")
        click.echo(f"{link.role:<9} {who}\n  {link.url}")


@cli.command()
@click.argument("ident", metavar="ID")
@click.option("--to", "to", multiple=True, metavar="EMAIL", help="Also invite this address (repeatable).")
@click.option(
    "--role",
    type=click.Choice(["chair", "speaker", "press", "recorder"]),
    help="Role of the --to addresses [default: press].",
)
@click.option("--press-list", metavar="NAME", help="Invite a press list from briefing.toml.")
@click.option("--days", type=int, help="Days of personal links in a series invitation [default: invite.days].")
@json_option
@pass_ctx
def invite(
    c: Ctx, ident: str, to: tuple[str, ...], role: str | None, press_list: str | None, days: int | None, as_json: bool
) -> None:
    """Email calendar invitations (iCalendar) with personal join links; updates and cancellations too."""
    from briefing.meeting import invite as inv

    r = inv.invite(c.store(), c.settings(), ident, to=to, press_list=press_list, role=role, days=days)
    what = "cancellation" if r.method == "CANCEL" else "invitation"
    emit(
        r.to_dict(),
        as_json,
        f"{r.id}: {what} (sequence {r.sequence}) sent to {len(r.sent)}, "
        f"already sent to {len(r.already_sent)}, failed for {len(r.failed)}"
        + "".join(f"\n  failed: {f.email} ({f.error})" for f in r.failed),
    )
    if r.failed:
        sys.exit(1)


@cli.group()
def jitsi() -> None:
    """The self-hosted Jitsi: reservation service and room status."""


@jitsi.group()
def reservations() -> None:
    """The HTTP service that prosody's mod_reservations calls."""


@reservations.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8090, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="File with the bearer token prosody sends [default: BRIEFING_JITSI_RESERVATIONS_TOKEN].",
)
@click.option(
    "--insecure-no-token",
    is_flag=True,
    help="Serve without a token on a non-loopback address (logged as a warning at every start).",
)
@pass_ctx
def reservations_serve(c: Ctx, host: str, port: int, token_file: Path | None, insecure_no_token: bool) -> None:
    """Serve POST/GET/DELETE /conference: rooms open only in their briefing's window.

    Without a bearer token it serves only on a loopback address, unless --insecure-no-token is given."""
    from briefing.meeting import reservations as res
    from briefing.meeting.jitsi import JitsiSettings

    st = c.settings()
    meet = JitsiSettings.of(st)
    token = res.read_token_file(token_file) if token_file else meet.reservations_token
    res.check_exposure(host, token, insecure_no_token=insecure_no_token)
    c.store()  # migrate before serving
    res.serve(
        str(st.store_path),
        host=host,
        port=port,
        token=token,
        lead_s=int(meet.lead),
        grace_s=int(meet.grace),
        insecure_no_token=insecure_no_token,
    )


@jitsi.command("status")
@click.argument("ident", metavar="ID")
@json_option
@pass_ctx
def jitsi_status(c: Ctx, ident: str, as_json: bool) -> None:
    """Who is in a briefing's room now (prosody mod_muc_size)."""
    from briefing.meeting import jitsi as jitsi_mod

    data = jitsi_mod.occurrence_status(c.store(), c.settings(), ident)
    if as_json:
        emit(data.to_dict(), True)
        return
    room = data.room
    if not room.active:
        click.echo(f"{data.id}: room {room.room} is not open (nobody is in it)")
        return
    click.echo(f"{data.id}: {room.participants} in room {room.room}")
    for p in room.people:
        click.echo(f"  {p.display_name or '(no name)'}" + (f" <{p.email}>" if p.email else "") + f"  {p.jid}")


# -- archive, retention, search, open data -----------------------------------------------------------
class _DefaultCreate(click.Group):
    """`briefing archive ID` is `briefing archive create ID`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        i = 0
        while i < len(args) and (args[i] in ("--home", "--debug", "-q", "--quiet") or args[i].startswith("--home=")):
            i += 2 if args[i] == "--home" else 1  # `archive --home X ID`
        if i < len(args) and not args[i].startswith("-") and args[i] not in self.commands:
            args = [*args[:i], "create", *args[i:]]
        return super().parse_args(ctx, args)


@cli.group(cls=_DefaultCreate)
def archive() -> None:
    """BagIt packages of the whole record of a briefing, in a local directory or S3 with Object Lock."""


@archive.command(name="create")
@click.argument("briefing_id", metavar="ID")
@click.option(
    "--class", "retention_class", metavar="NAME", help="Retention class [default: setting archive.default_class]."
)
@force_option
@json_option
@pass_ctx
def archive_create(c: Ctx, briefing_id: str, retention_class: str | None, force: bool, as_json: bool) -> None:
    """Package, validate and store the record of one briefing (`briefing archive ID` does the same)."""
    from briefing.records import archive as arc

    rec = arc.create(c.store(), c.settings(), briefing_id, retention_class=retention_class, force=force)
    state = "archived" if rec.created else "already archived"
    emit(
        rec.to_dict(),
        as_json,
        f"{state}: {rec.briefing_id} v{rec.version} → {rec.location} "
        f"({len(rec.files)} files, {rec.retention_class}, until {rec.retain_until or 'forever'}; "
        f"verified: {'ok' if rec.verify_ok else 'FAILED'})",
    )


@archive.command(name="verify")
@click.argument("ref", metavar="ID|PATH")
@click.option("--version", type=int, help="Which package of the briefing [default: the latest].")
@json_option
@pass_ctx
def archive_verify(c: Ctx, ref: str, version: int | None, as_json: bool) -> None:
    """Validate a package (every checksum) and check it against the checksums in the store."""
    from briefing.records import archive as arc

    res = arc.verify(c.store(), c.settings(), ref, version=version)
    if as_json:
        emit(res.to_dict(), True)
    else:
        click.echo(f"{'ok' if res.ok else 'FAILED'}: {res.path} ({res.files} files)")
        for e in res.errors:
            click.echo(f"  error: {e}")
        for w in res.warnings:
            click.echo(f"  warning: {w}")
    if not res.ok:
        sys.exit(1)


@archive.command(name="restore")
@click.argument("briefing_id", metavar="ID")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--version", type=int, help="Which package of the briefing [default: the latest].")
@json_option
@pass_ctx
def archive_restore(c: Ctx, briefing_id: str, dest: Path, version: int | None, as_json: bool) -> None:
    """Copy a package out of the archive into DEST (new or empty) and validate it there."""
    from briefing.records import archive as arc

    res = arc.restore(c.store(), c.settings(), briefing_id, dest, version=version)
    emit(
        res.to_dict(),
        as_json,
        f"{'restored' if res.ok else 'FAILED'}: {res.path} ({res.files} files)"
        + "".join(f"\n  error: {e}" for e in res.errors),
    )
    if not res.ok:
        sys.exit(1)


@archive.command(name="list")
@click.argument("briefing_id", metavar="[ID]", required=False)
@json_option
@pass_ctx
def archive_list(c: Ctx, briefing_id: str | None, as_json: bool) -> None:
    """Every archive package: where it is, its retention and its last verification."""
    from briefing.records import archive as arc

    rows = arc.list_archives(c.store(), briefing_id)
    if as_json:
        emit([r.to_dict() for r in rows], True)
        return
    if not rows:
        click.echo("No archive packages yet. Make one with: briefing archive create ID")
    for r in rows:
        ver = "never" if not r.verified_at else ("ok" if r.verify_ok else "FAILED")
        click.echo(
            f"{r.briefing_id}  v{r.version}  {r.target}  {r.location}  "
            f"{r.retention_class} until {r.retain_until or 'forever'}  verified: {ver}"
        )


@cli.command()
@click.argument("briefing_id", metavar="[ID]", required=False)
@click.option("--dry-run", is_flag=True, help="Say what would be freed, free nothing.")
@json_option
@pass_ctx
def prune(c: Ctx, briefing_id: str | None, dry_run: bool, as_json: bool) -> None:
    """Free working copies (recording, media) of archived and verified briefings past their retention."""
    from briefing.records import archive as arc

    res = arc.prune(c.store(), c.settings(), briefing_id, dry_run=dry_run)
    if as_json:
        emit(res.to_dict(), True)
        return
    verb = "would free" if dry_run else "freed"
    for f in res.freed:
        click.echo(f"{verb} {f.briefing_id} {f.role}: {f.path} ({f.size:,} bytes)")
    if not c.quiet:
        for k in res.kept:
            click.echo(f"kept {k.briefing_id}{' ' + k.role if k.role else ''}: {k.reason}")
    click.echo(f"{verb} {res.bytes_freed:,} bytes in {len(res.freed)} files")


@cli.command()
@click.argument("query")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="Only briefings on or after this day.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Only briefings on or before this day.")
@click.option("--speaker", metavar="NAME", help="Only passages of this speaker (accents optional).")
@click.option("--limit", default=20, show_default=True, type=int, help="How many passages.")
@click.option("--site", "write_site", is_flag=True, help="Also (re)write the site's search page and index.")
@json_option
@pass_ctx
def search(
    c: Ctx,
    query: str,
    date_from: str | None,
    date_to: str | None,
    speaker: str | None,
    limit: int,
    write_site: bool,
    as_json: bool,
) -> None:
    """Full-text search of every transcript; Vietnamese with or without tones. Each result links to
    that second of the video."""
    from briefing.core.config import SiteSettings
    from briefing.records import search as srch

    store, settings = c.store(), c.settings()
    site = SiteSettings.of(settings)
    srch.ensure_indexed(store)
    if write_site:
        srch.write_site_search(settings.site_dir, title=site.title, language=site.language)
    hits = srch.search(
        store,
        query,
        date_from=date_from,
        date_to=date_to,
        speaker=speaker,
        limit=limit,
        base_url=site.base_url,
        site_dir=settings.site_dir,
    )
    if as_json:
        emit({"query": query, "count": len(hits), "results": [h.to_dict() for h in hits]}, True)
        return
    if not hits:
        click.echo("No passage found.")
    for h in hits:
        who = f" — {h.speaker}" if h.speaker else ""
        click.echo(f"{h.date}  {h.title}  [{srch.clock(h.start)}]{who}\n  {h.snippet}\n  {h.link}")


@cli.command(name="search-site")
@json_option
@pass_ctx
def search_site(c: Ctx, as_json: bool) -> None:
    """Write the site's search page (search.html + search-index.json/.js): works without a server."""
    from briefing.core.config import SiteSettings
    from briefing.records import search as srch

    settings = c.settings()
    site = SiteSettings.of(settings)
    out = srch.write_site_search(settings.site_dir, title=site.title, language=site.language)
    emit(out.to_dict(), as_json, f"{out.page} ({out.briefings} briefings, {out.passages} passages)")


@cli.group()
def export() -> None:
    """Open data."""


@export.command(name="figures")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file [default: stdout].")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="Only briefings on or after this day.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Only briefings on or before this day.")
@click.option("--label", help="Only figures whose label contains this.")
@pass_ctx
def export_figures(
    c: Ctx, fmt: str, out: Path | None, date_from: str | None, date_to: str | None, label: str | None
) -> None:
    """The key figures of all briefings as a time series (CSV or JSON)."""
    from briefing.core.config import SiteSettings
    from briefing.core.fsutil import atomic_write_text
    from briefing.press import export as exp

    settings = c.settings()
    site = SiteSettings.of(settings)
    rows = exp.figures(c.store(), base_url=site.base_url, date_from=date_from, date_to=date_to, label=label)
    text = exp.render(rows, fmt, title=site.title)
    if out:
        atomic_write_text(out, text)
        if not c.quiet:
            click.echo(f"{out} ({len(rows)} figures)", err=True)
    else:
        click.echo(text, nl=False)


# -- recording (Jibri, live capture, ingest, the daily run) ----------------------------------------
@cli.group()
def record() -> None:
    """Record a briefing: Jibri over its HTTP API, or a live capture of an RTMP/SRT/HLS stream."""


@record.command(name="start")
@click.argument("briefing_id")
@click.option("--room", help="Jitsi room name [default: the scheduled briefing's room].")
@json_option
@pass_ctx
def record_start_cmd(c: Ctx, briefing_id: str, room: str | None, as_json: bool) -> None:
    """Start Jibri for a briefing (sessionId = the briefing id) and wait until it is BUSY."""
    from briefing.recording import record

    data = record.record_start(c.store(), c.settings(), briefing_id, room=room)
    emit(data.to_dict(), as_json, f"recording {data.briefing} ({data.sink}, room {data.room})")


@record.command(name="stop")
@click.argument("briefing_id")
@json_option
@pass_ctx
def record_stop_cmd(c: Ctx, briefing_id: str, as_json: bool) -> None:
    """Stop the recording: a live capture (cleanly, then joined), else Jibri."""
    from briefing.recording import record

    data = record.record_stop(c.store(), c.settings(), briefing_id)
    text = f"stopped {briefing_id}"
    if isinstance(data, record.CaptureResult):
        if data.recording:
            text += f": {data.recording} ({data.segments} segments)"
        if data.worker:
            text += f"\nprocessing it in the background (briefing work, pid {data.worker}; log: {data.log})"
    emit(data.to_dict(), as_json, text)


@record.command(name="status")
@click.argument("briefing_id")
@json_option
@pass_ctx
def record_status_cmd(c: Ctx, briefing_id: str, as_json: bool) -> None:
    """Jibri's health, the capture's state, the recordings and queued jobs of a briefing."""
    from briefing.recording import record

    data = record.record_status(c.store(), c.settings(), briefing_id)
    if as_json:
        emit(data.to_dict(), True)
        return
    if data.jibri is not None:
        j = data.jibri
        click.echo(f"jibri: {j.busy_status or '?'} {j.health_status} {j.error or ''}".rstrip())
    if data.capture is not None:
        cap = data.capture
        running = f"running (pid {cap.running_pid})" if cap.running_pid else "not running"
        click.echo(f"capture: {running}, {cap.segments} segments, {cap.bytes} bytes")
    for r in data.recordings:
        click.echo(f"recording {r.id}: {r.method} {r.status} {r.path or ''}".rstrip())
    for job in data.jobs:
        click.echo(f"job {job.id}: {job.status} {job.path}" + (f" ({job.error})" if job.error else ""))


@record.command(name="capture")
@click.argument("briefing_id")
@click.option("--source", metavar="URL", help="rtmp://…, srt://… or https://….m3u8 [setting capture.source].")
@click.option("--segment", metavar="DURATION", help="Segment length, e.g. 10s [setting capture.segment].")
@force_option
@json_option
@pass_ctx
def record_capture_cmd(
    c: Ctx, briefing_id: str, source: str | None, segment: str | None, force: bool, as_json: bool
) -> None:
    """Capture a live stream into fsynced segments until `record stop`; then join them losslessly.

    Killed and started again with the same command, it continues the same briefing."""
    from briefing.recording import record

    def event(kind: str, info: dict[str, Any]) -> None:
        if not (c.quiet or as_json) and kind in ("ffmpeg-start", "ffmpeg-exit", "stalled"):
            click.echo(f"{kind}: {info}", err=True)

    data = record.capture(
        c.store(), c.settings(), briefing_id, source=source, segment=segment, on_event=event, force=force
    )
    emit(data.to_dict(), as_json, f"{data.recording or 'stopped'} ({data.segments} segments)")


@cli.command()
@click.argument("briefing_id", metavar="ID")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--queue", "queue_only", is_flag=True, help="Only queue the processing (for `briefing work`).")
@json_option
@pass_ctx
def ingest(c: Ctx, briefing_id: str, path: Path, queue_only: bool, as_json: bool) -> None:
    """Copy a recording in (media file or Jibri session directory); ID - finds the briefing by
    sessionId or room name. Then process it (or only queue it)."""
    from briefing.recording import record, worker

    rec = record.ingest(c.store(), c.settings(), briefing_id, path)
    done = None
    if not queue_only:
        reporter = c.reporter(as_json)
        try:
            done = worker.work(c.store(), c.settings(), bid=rec.briefing_id, reporter=reporter)
        finally:
            reporter.close()
    emit({"recording": rec.to_dict(), **({"work": done.to_dict()} if done is not None else {})}, as_json, rec.path)


@cli.command(name="jibri-finalize")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@json_option
@pass_ctx
def jibri_finalize_cmd(c: Ctx, directory: Path, as_json: bool) -> None:
    """Jibri's finalize script: queue the session directory and return at once."""
    from briefing.recording import record

    data = record.jibri_finalize(c.store(), c.settings(), directory)
    emit(data.to_dict(), as_json, None if c.quiet else f"queued {data.briefing} (job {data.job})")


@cli.command()
@json_option
@pass_ctx
def work(c: Ctx, as_json: bool) -> None:
    """Process the queued recordings (from jibri-finalize, record stop, ingest --queue)."""
    from briefing.recording import worker

    reporter = c.cluster_reporter(as_json)
    try:
        data = worker.work(c.store(), c.settings(), reporter=reporter, follow=getattr(reporter, "recordings", None))
    finally:
        reporter.close()
    emit(
        data.to_dict(),
        as_json,
        None
        if c.quiet
        else ("another worker is running" if data.busy else f"{len(data.done)} done, {len(data.failed)} failed"),
    )


# -- the cluster (issue 21): workers, backfill, status ---------------------------------------------------
@cli.command(name="worker")
@click.option(
    "--queues",
    default="cpu",
    show_default=True,
    metavar="cpu,gpu",
    help="The queues to take tasks from ([cluster.queues.NAME] sets each one's model and engine).",
)
@click.option("--concurrency", type=int, default=1, show_default=True, help="Tasks at once (one per core or GPU).")
@pass_ctx
def worker_cmd(c: Ctx, queues: str, concurrency: int) -> None:
    """Run a cluster worker (Celery) with this machine's engine and model settings; it never opens the store."""
    from briefing.cluster import worker as cluster_worker

    settings = c.settings()
    cluster_worker.run(
        settings,
        cluster_worker.parse_queues(queues, settings),
        concurrency=concurrency,
        loglevel="WARNING" if c.quiet else "INFO",
    )


@cli.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path), metavar="DIR|LIST.csv")
@click.option(
    "--title-pattern",
    metavar="PATTERN",
    help='Title from the file name: {name} (its words), {stem}, {date}, e.g. "Press briefing {date}".',
)
@click.option("--date-from-name", is_flag=True, help="Take the date (YYYY-MM-DD or YYYYMMDD) from the file name.")
@click.option("--queue-only", is_flag=True, help="Register and queue them; do not process now (`briefing work` does).")
@click.option("--archive/--no-archive", default=True, show_default=True, help="Archive each once it is published.")
@json_option
@pass_ctx
def backfill(
    c: Ctx,
    source: Path,
    title_pattern: str | None,
    date_from_name: bool,
    queue_only: bool,
    archive: bool,
    as_json: bool,
) -> None:
    """Register many past recordings at once (a directory or a CSV), queue them, and process them (on the
    cluster when one is configured). Running it again registers nothing twice."""
    from briefing.recording import backfill as bf
    from briefing.recording import worker

    store, settings = c.store(), c.settings()
    res = bf.backfill(store, settings, source, title_pattern=title_pattern, date_from_name=date_from_name)
    data: dict[str, Any] = res.to_dict()
    if not c.quiet and not as_json:
        click.echo(f"{len(res.registered)} registered, {len(res.already)} already registered, {len(res.failed)} failed")
        for f in res.failed:
            click.echo(f"  {_safe(f.path)}: {_safe(f.error)}", err=True)
    done = None
    if not queue_only:
        reporter = c.cluster_reporter(as_json)
        try:
            done = worker.work(
                store,
                settings,
                reporter=reporter,
                archive=archive,
                jobs=res.jobs,
                follow=getattr(reporter, "recordings", None),
            )
        finally:
            reporter.close()
        data = {**data, "work": done.to_dict()}
    emit(data, as_json, None if c.quiet or done is None else f"{len(done.done)} done, {len(done.failed)} failed")
    if res.failed or (done is not None and done.failed):
        sys.exit(1)


@cli.group(name="cluster")
def cluster_group() -> None:
    """The cluster of workers ([cluster] in briefing.toml)."""


@cluster_group.command(name="status")
@json_option
@pass_ctx
def cluster_status(c: Ctx, as_json: bool) -> None:
    """Workers seen, their queues and current task, queue lengths, done / running / waiting / failed,
    throughput and the time left."""
    from briefing.recording import backfill as bf

    data = bf.status(c.store(), c.settings())
    if as_json:
        emit(data.to_dict(), True)
        return
    cl = data.cluster
    if cl is None:
        click.echo("no cluster configured: `briefing work` processes in-process")
    else:
        click.echo(f"broker {cl.broker}, storage {cl.storage}")
        click.echo(f"workers: {len(cl.workers)}")
        for w in cl.workers:
            now = "; ".join(str(t.what or t.task) for t in w.current) or "idle"
            bad = f" REFUSED (differs from the coordinator on {', '.join(w.mismatched)})" if w.mismatched else ""
            click.echo(f"  {_safe(w.name)} [{', '.join(w.queues)}]{bad}: {_safe(now)}")
        click.echo("queues: " + ", ".join(f"{q} {n} waiting" for q, n in cl.queues.items()))
    click.echo(
        f"{data.done} done, {data.running} running, {data.waiting} waiting, {data.failed} failed of {data.total}"
    )
    if data.per_hour:
        left = data.seconds_left or 0
        rate = f"{data.per_hour:.3g}" if data.per_hour < 100 else f"{data.per_hour:.0f}"
        click.echo(f"throughput {rate} recordings/hour; about {left // 3600}h{left % 3600 // 60:02d}m left")
    for b in data.briefings:
        if b.status == "failed":
            click.echo(f"  failed: {_safe(b.briefing)}: {_safe(str(b.error))}")


@cli.command()
@click.option("--date", "day", metavar="YYYY-MM-DD", help="The day to run [default: today].")
@json_option
@pass_ctx
def daily(c: Ctx, day: str | None, as_json: bool) -> None:
    """Do the next step of today's briefings (run every minute from the systemd timer; idempotent)."""
    from briefing.recording import daily as daily_mod

    data = daily_mod.run(c.store(), c.settings(), day=day)
    if as_json:
        emit(data.to_dict(), True)
    elif not c.quiet:
        for b in data.briefings:
            click.echo(f"{b.id}: {b.state}" + (f" — {b.did}" if b.did else ""))
        for e in data.embargoes if isinstance(data.embargoes, list) else []:
            click.echo(f"{e.briefing_id}: embargo {e.status}" + (f" — {e.error}" if e.error else f" — {e.link or ''}"))


class _DefaultShow(click.Group):
    """`briefing review ID ...` is `briefing review show ID ...`; `serve` and `users` are the review desk."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


@cli.group(cls=_DefaultShow, name="review")
def review_group() -> None:
    """What to check in a transcript, speakers' turns, and the review desk (`briefing review serve`).

    `briefing review ID` lists what to check (same as `briefing review show ID`)."""


@review_group.command(name="show")
@click.argument("briefing_id")
@click.option("--all", "show_all", is_flag=True, help="List every segment, not only those worth a look.")
@click.option("--speaker", metavar="NAME", help="Name the speaker of --from … --to (a name from the roster).")
@click.option("--from", "start", metavar="HH:MM:SS", help="Start of the speaker's turn.")
@click.option("--to", "end", metavar="HH:MM:SS", help="End of the speaker's turn.")
@click.option("--new-speaker", is_flag=True, help="Allow a --speaker name that is not on the roster.")
@click.option("--clear-speakers", is_flag=True, help="Forget every speaker turn of the briefing.")
@json_option
@pass_ctx
def review(
    c: Ctx,
    briefing_id: str,
    show_all: bool,
    speaker: str | None,
    start: str | None,
    end: str | None,
    new_speaker: bool,
    clear_speakers: bool,
    as_json: bool,
) -> None:
    """List what to check in a transcript (time, text, confidence); name speakers' turns."""
    from briefing.processing import review as rv

    store, settings = c.store(), c.settings()
    if clear_speakers:
        rv.clear_speakers(store, briefing_id)
    if speaker is not None:
        if start is None or end is None:
            raise click.UsageError("--speaker needs --from and --to")
        rv.assign_speaker(store, briefing_id, speaker, rv.parse_time(start), rv.parse_time(end), allow_new=new_speaker)
        if not c.quiet and not as_json:
            click.echo(f"{speaker}: {start} – {end}; republish with: briefing publish {briefing_id}")
    data = rv.review(store, settings, briefing_id, show_all=show_all)
    emit(data.to_dict(), as_json, None if (c.quiet and speaker) else rv.render(data))


@review_group.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8091, show_default=True, type=int, help="Port to listen on.")
@pass_ctx
def review_serve(c: Ctx, host: str, port: int) -> None:
    """The review desk in the browser: check, correct and publish transcripts.

    Without accounts it serves only on loopback and prints a one-time login link."""
    from briefing.web import server

    server.serve(c.store(), c.settings(), host=host, port=port, say=click.echo)


@review_group.group(name="users")
def review_users() -> None:
    """Accounts of the review desk: reviewers (edit, save drafts) and publishers (also publish)."""


@review_users.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(["reviewer", "publisher"]), default="reviewer", show_default=True)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Read the password from this file's first line [default: asked on the terminal].",
)
@json_option
@pass_ctx
def review_users_add(c: Ctx, name: str, role: str, password_file: Path | None, as_json: bool) -> None:
    """Add an account; the password is asked twice (or read from --password-file)."""
    from briefing.web import accounts

    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        password = lines[0] if lines else ""
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    data = accounts.add_user(c.store(), name, password, role)
    emit(data.to_dict(), as_json, f"added {data.name} ({data.role})")


@review_users.command(name="list")
@json_option
@pass_ctx
def review_users_list(c: Ctx, as_json: bool) -> None:
    """The accounts and their roles."""
    from briefing.web import accounts

    users = accounts.list_users(c.store())
    emit(
        [u.to_dict() for u in users],
        as_json,
        "\n".join(f"{u.name}  {u.role}  (since {u.created_at})" for u in users)
        or "no accounts: `briefing review serve` on 127.0.0.1 prints a one-time login link",
    )


@review_users.command(name="remove")
@click.argument("name")
@json_option
@pass_ctx
def review_users_remove(c: Ctx, name: str, as_json: bool) -> None:
    """Remove an account (its sessions end at once)."""
    from briefing.web import accounts

    accounts.remove_user(c.store(), name)
    emit({"name": name, "removed": True}, as_json, f"removed {name}")


# -- live transcription ---------------------------------------------------------------------------
@cli.group(name="live")
def live_group() -> None:
    """Live transcription of a capture while it is recorded (setting live.enabled, live.page)."""


@live_group.command(name="status")
@click.argument("briefing_id")
@json_option
@pass_ctx
def live_status_cmd(c: Ctx, briefing_id: str, as_json: bool) -> None:
    """How far the live transcript of a capture has got."""
    from briefing.processing import live

    data = live.status(c.store(), c.settings(), briefing_id) or live.LiveStatus.none(briefing_id)
    emit(
        data.to_dict(),
        as_json,
        f"{briefing_id}: {data.status}"
        + (
            f", {data.chunks} chunks, transcribed to {data.transcribed_to} s of {data.seconds} s"
            + (f" ({data.device} {data.compute_type})" if data.device else "")
            if data.status != "none"
            else " (no live transcript)"
        ),
    )


@live_group.command(name="finish")
@click.argument("briefing_id")
@json_option
@pass_ctx
def live_finish_cmd(c: Ctx, briefing_id: str, as_json: bool) -> None:
    """Complete the live transcript of an ended capture (the transcribe stage does this too)."""
    from briefing.processing import live

    done = live.finish(c.store(), c.settings(), briefing_id)
    emit({"briefing": briefing_id, "complete": done}, as_json, "complete" if done else "busy: try again")


# -- global options after the subcommand ------------------------------------------------------------
def _late(attr: str) -> Any:
    """A callback for a global option given after the subcommand: it sets the group's value."""

    def set_it(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        obj = ctx.find_object(Ctx)
        if obj is not None and value not in (None, False):
            setattr(obj, attr, value)

    return set_it


def _global_options(group: click.Group) -> None:
    """Every command (and group) below ``group`` also takes --home, --debug and -q, so that
    `briefing status --home X` is `briefing --home X status`. Settings are read only when a command
    runs, after its options are parsed, so a late --home applies to everything it does."""
    for cmd in group.commands.values():
        cmd.params.extend(
            [
                click.Option(
                    ["--home"],
                    type=click.Path(file_okay=False),
                    expose_value=False,
                    callback=_late("home"),
                    help="Where briefing keeps its config, store, workspace and site [env: BRIEFING_HOME].",
                ),
                click.Option(
                    ["--debug"],
                    is_flag=True,
                    expose_value=False,
                    callback=_late("debug"),
                    help="Show tracebacks on errors.",
                ),
                click.Option(
                    ["-q", "--quiet"],
                    is_flag=True,
                    expose_value=False,
                    callback=_late("quiet"),
                    help="Print only errors and results (for cron).",
                ),
            ]
        )
        if isinstance(cmd, click.Group):
            _global_options(cmd)


_global_options(cli)


# -- entry point ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if _in_main_thread():
        # A shell that ignores SIGINT (nohup, `cmd &`, some CI runners) passes that on, and Python then
        # leaves Ctrl-C ignored: install the default handler, so Ctrl-C always stops cleanly (exit 130).
        signal.signal(signal.SIGINT, signal.default_int_handler)
    debug = "--debug" in args or os.environ.get("BRIEFING_DEBUG", "") not in ("", "0", "false")
    try:
        cli.main(args=args, prog_name="briefing", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted: run the same command again to finish the work", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted: run the same command again to finish the work", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BriefingError as exc:
        if debug:
            raise
        click.echo(f"error: {_safe(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:
        if debug:
            raise
        if exc.errno == errno.ENOSPC:  # a full disk is not a bug: say so, and where
            from briefing.core.errors import disk_full

            full = disk_full(exc, places=_places(args))
            click.echo(f"error: {_safe(str(full))}", err=True)
            sys.exit(full.exit_code)
        click.echo(
            f"error: unexpected {type(exc).__name__}: {_safe(str(exc))} (run with --debug for details and report it)",
            err=True,
        )
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - last line of defence, traceback only with --debug
        if debug:
            raise
        click.echo(
            f"error: unexpected {type(exc).__name__}: {_safe(str(exc))} (run with --debug for details and report it)",
            err=True,
        )
        sys.exit(1)


def _places(args: list[str]) -> list[str]:
    """Where the command writes, for a disk-full message that names no file: the home, then /tmp."""
    import tempfile

    from briefing.core.config import resolve_home

    home = None
    for i, a in enumerate(args):
        if a == "--home" and i + 1 < len(args):
            home = args[i + 1]
        elif a.startswith("--home="):
            home = a.split("=", 1)[1]
    return [str(resolve_home(home)), tempfile.gettempdir()]


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _safe(text: str) -> str:
    from briefing.core.text import for_terminal

    return for_terminal(text)


if __name__ == "__main__":
    main()
