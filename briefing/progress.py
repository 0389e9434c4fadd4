"""Progress display for long work (rich), written to stderr so --json output stays clean."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn
from rich.text import Text

BAR_STAGES = ("transcribe", "translate")  # the stages that report audio done out of the total
MIN_SPEED_SECONDS = 1.0  # a speed is shown once the stage has run this long: earlier it means nothing
MAX_SPEED = 1000.0  # no recogniser here runs faster than this: a higher figure is a wrong clock, not shown


def speed_text(done: float, elapsed: float) -> str:
    """ "25.6× real time" for ``done`` seconds of audio in ``elapsed`` seconds of the stage, or "" while
    the figure would be noise (nothing done, under MIN_SPEED_SECONDS) or absurd (over MAX_SPEED)."""
    if done <= 0 or elapsed < MIN_SPEED_SECONDS:
        return ""
    speed = done / elapsed
    return f"{speed:.1f}× real time" if speed <= MAX_SPEED else ""


def clock_text(seconds: float) -> str:
    s = int(max(seconds, 0))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class RichReporter:
    """Shows each stage as it ends and, for transcribe and translate, a bar of audio time done out of
    the total with the speed; the bar's clock is the stage's, from its start (model loading included)."""

    def __init__(
        self, *, quiet: bool = False, clock: Callable[[], float] = time.perf_counter, console: Any = None
    ) -> None:
        self.quiet = quiet
        self.console = console or Console(stderr=True, highlight=False)
        self._clock = clock
        self._started: dict[str, float] = {}  # stage → when it started (stages may overlap: video)
        self._progress: Any = None
        self._task: Any = None
        self._bar: str | None = None  # the stage the bar shows

    def stage(self, name: str, status: str, detail: str = "") -> None:
        if status == "start":
            self._started[name] = self._clock()
            return  # a stage is shown when it ends; the bar stages show their bar meanwhile
        if name == self._bar:
            self._close()
        self._started.pop(name, None)
        if self.quiet:
            return
        marks = {"done": "[green]✓[/]", "skipped": "[dim]=[/]", "failed": "[red]✗[/]", "warning": "[yellow]![/]"}
        text = detail or ("already done" if status == "skipped" else "")
        self.console.print(f"{marks.get(status, '')} {name:<11} [dim]{text}[/]")

    def elapsed(self) -> float:
        """Seconds since the stage of the bar started."""
        start = self._started.get(self._bar or "")
        return 0.0 if start is None else max(self._clock() - start, 0.0)

    def progress(self, done: float, total: float) -> None:
        if self.quiet:
            return
        if self._progress is None:
            running = [s for s in BAR_STAGES if s in self._started]
            self._bar = running[-1] if running else "transcribe"
            self._started.setdefault(self._bar, self._clock())
            self._progress = Progress(
                TextColumn(f"  {self._bar:<11}"),
                BarColumn(),
                TextColumn("{task.fields[clock]}"),
                TextColumn("[cyan]{task.fields[speed]}"),
                _StageClock(self),
                console=self.console,
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._bar, total=max(total, 0.001), clock="", speed="")
        self._progress.update(
            self._task,
            completed=min(done, total),
            total=max(total, 0.001),
            clock=f"{_mmss(done)} / {_mmss(total)} audio",
            speed=speed_text(done, self.elapsed()),
        )

    def _close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._bar = None

    def close(self) -> None:
        self._close()


class _StageClock(ProgressColumn):
    """The time since the bar's stage started (not since the bar appeared)."""

    def __init__(self, reporter: RichReporter) -> None:
        super().__init__()
        self._reporter = reporter

    def render(self, task: Any) -> Text:
        return Text(clock_text(self._reporter.elapsed()), style="progress.elapsed")


def _mmss(s: float) -> str:
    s = int(s)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def is_tty() -> bool:
    return sys.stderr.isatty()


class ClusterReporter(RichReporter):
    """The reporter of ``briefing backfill`` / ``briefing work`` following the cluster: the stage lines, and
    under them a bar of the recordings finished out of the total (on a terminal; elsewhere, a log, one line
    per recording finished). A transcription's audio progress on the cluster is shown beside that bar
    rather than as a second bar (rich shows one live display at a time)."""

    def __init__(
        self, *, quiet: bool = False, clock: Callable[[], float] = time.perf_counter, console: Any = None
    ) -> None:
        super().__init__(quiet=quiet, clock=clock, console=console)
        self._recordings: Any = None
        self._rec_task: Any = None
        self._total = 0

    def recordings(self, done: int, failed: int, total: int, current: str = "") -> None:
        """``done`` and ``failed`` recordings out of ``total``; ``current``: the one being finished now."""
        if self.quiet or total <= 0:
            return
        finished = done + failed
        note = f"{failed} failed" if failed else ""
        if not self.console.is_terminal:
            if finished:  # a log: one line per recording finished
                self.console.print(f"  recordings  {finished}/{total} {'[dim]' + note + '[/]' if note else ''}")
            return
        if self._recordings is None:
            self._recordings = Progress(
                TextColumn("  recordings "),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("[red]{task.fields[note]}"),
                TextColumn("[dim]{task.fields[now]}"),
                console=self.console,
                transient=False,
            )
            self._recordings.start()
            self._rec_task = self._recordings.add_task("recordings", total=total, note="", now="")
        self._recordings.update(self._rec_task, completed=finished, total=total, note=note, now=current, refresh=True)

    def progress(self, done: float, total: float) -> None:
        if self.quiet:
            return
        if self._recordings is None:  # no recordings bar (not a terminal): the stage's own bar
            super().progress(done, total)
            return
        running = [s for s in BAR_STAGES if s in self._started]
        name = running[-1] if running else "transcribe"
        task = self._recordings.tasks[0]
        now = str(task.fields.get("now", "")).split(" · ")[0]
        self._recordings.update(
            self._rec_task, now=f"{now} · {name} {_mmss(done)} / {_mmss(total)} audio", refresh=True
        )

    def close(self) -> None:
        super().close()
        if self._recordings is not None:
            self._recordings.stop()
            self._recordings = None
