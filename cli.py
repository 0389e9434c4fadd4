"""The `briefing` command line: parse, load settings, call one function of briefing/, render."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from briefing.errors import BriefingError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Ctx:
    def __init__(self, home: str | None, debug: bool, quiet: bool) -> None:
        self.home = home
        self.debug = debug
        self.quiet = quiet
        self._settings: Any = None
        self._store: Any = None

    def settings(self, **overrides: Any) -> Any:
        from briefing.config import load_settings

        if self._settings is None or overrides:
            self._settings = load_settings(self.home, overrides=overrides)
        return self._settings

    def store(self) -> Any:
        from briefing.store import Store

        if self._store is None:
            self._store = Store(self.settings().store_path)
        return self._store

    def reporter(self, as_json: bool = False) -> Any:
        from briefing.progress import RichReporter

        return RichReporter(quiet=self.quiet or as_json)


pass_ctx = click.make_pass_decorator(Ctx)


def emit(data: Any, as_json: bool, text: str | None = None) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    elif text is not None:
        click.echo(text)


json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
force_option = click.option("--force", is_flag=True, help="Redo the work even if it is already done.")


@click.group(context_settings=CONTEXT)
@click.option("--home", type=click.Path(file_okay=False), envvar="BRIEFING_HOME",
              help="Where briefing keeps its config, store, workspace and site [env: BRIEFING_HOME].")
@click.option("--debug", is_flag=True, envvar="BRIEFING_DEBUG", help="Show tracebacks on errors.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and results (for cron).")
@click.version_option(package_name="briefing")
@click.pass_context
def cli(ctx: click.Context, home: str | None, debug: bool, quiet: bool) -> None:
    """Daily press briefings: schedule on Jitsi, record, transcribe with Whisper, publish, archive."""
    ctx.obj = Ctx(home, debug, quiet)


# -- processing -------------------------------------------------------------------------------------
@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", help="Title of the briefing [default: setting briefing.title].")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Date of the briefing [default: the file's date].")
@click.option("--language", metavar="CODE|auto", help="Spoken language, e.g. vi or en; auto detects it.")
@click.option("--speaker", "speakers", multiple=True, metavar="NAME", help="A speaker's name (repeatable).")
@force_option
@json_option
@pass_ctx
def process(c: Ctx, file: Path, title: str | None, day: str | None, language: str | None,
            speakers: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Process a briefing recording: media, transcript, summary and press page."""
    from briefing import pipeline

    reporter = c.reporter(as_json)
    try:
        result = pipeline.process(c.store(), c.settings(), file, title=title, date=day, language=language,
                                  speakers=speakers, force=force, reporter=reporter)
    finally:
        reporter.close()
    emit(result.to_dict(), as_json, None if c.quiet and not as_json else f"{result.page}")


@cli.command()
@json_option
@click.option("--language", type=click.Choice(["en", "vi"]), default="en", show_default=True,
              help="Language of the sample briefing.")
@pass_ctx
def demo(c: Ctx, as_json: bool, language: str) -> None:
    """Make a short sample briefing recording and process it end to end; print the page's path."""
    from briefing import demo as demo_mod

    reporter = c.reporter(as_json)
    try:
        result = demo_mod.run(c.home, reporter=reporter, language=language)
    finally:
        reporter.close()
    emit(result.to_dict(), as_json, str(result.page))


@cli.command()
@click.argument("briefing_id", required=False)
@json_option
@pass_ctx
def status(c: Ctx, briefing_id: str | None, as_json: bool) -> None:
    """The briefings and the state of each stage, with artifact paths."""
    from briefing import pipeline

    data = pipeline.status(c.store(), briefing_id)
    if as_json:
        emit(data, True)
        return
    if not data:
        click.echo("No briefings yet. Process one with: briefing process FILE")
        return
    for b in data:
        click.echo(f"{b['id']}  {b['title']}  ({b['date']}, {b['language']})")
        for s in b["stages"]:
            line = f"  {s['stage']:<11} {s['status']}"
            if s["error"]:
                line += f": {s['error']}"
            click.echo(line)
            if briefing_id:
                for role, path in s["artifacts"].items():
                    click.echo(f"      {role:<12} {path}")


def _one_stage(fn_name: str, doc: str) -> None:
    @cli.command(name=fn_name, help=doc)
    @click.argument("briefing_id")
    @force_option
    @json_option
    @pass_ctx
    def cmd(c: Ctx, briefing_id: str, force: bool, as_json: bool) -> None:
        from briefing import pipeline

        reporter = c.reporter(as_json)
        try:
            result = getattr(pipeline, f"{fn_name}_one")(c.store(), c.settings(), briefing_id, force=force,
                                                        reporter=reporter)
        finally:
            reporter.close()
        emit(result.to_dict(), as_json, None if c.quiet else
             ("already done" if not result.ran else f"{fn_name}: done")
             + (f" — {result.page}" if result.page else ""))


_one_stage("transcribe", "Run the transcription stage of one briefing (as inside process).")
_one_stage("summarize", "Run the summary stage of one briefing (as inside process).")
_one_stage("publish", "Publish one briefing to the local site (as inside process).")


@cli.command(name="settings")
@json_option
@pass_ctx
def settings_cmd(c: Ctx, as_json: bool) -> None:
    """Every setting, its value and where it came from (secrets masked)."""
    rows = c.settings().describe()
    if as_json:
        emit(rows, True)
        return
    click.echo(f"home: {c.settings().home}")
    for r in rows:
        click.echo(f"{r['name']:<28} {str(r['value'])!s:<30} [{r['source']}]  {r['env']}")


# -- entry point ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
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
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - last line of defence, traceback only with --debug
        if debug:
            raise
        click.echo(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for details and "
                   "report it)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
