"""Progress display for long work (rich), written to stderr so --json output stays clean."""

from __future__ import annotations

import sys
import time
from typing import Any


class RichReporter:
    """Shows each stage as it runs and a bar of audio time done out of the total, with the speed."""

    def __init__(self, *, quiet: bool = False) -> None:
        from rich.console import Console

        self.quiet = quiet
        self.console = Console(stderr=True, highlight=False)
        self._progress: Any = None
        self._task: Any = None
        self._t0 = 0.0

    def stage(self, name: str, status: str, detail: str = "") -> None:
        if status != "start" and name == "transcribe":
            self._close()
        if self.quiet:
            return
        marks = {"start": "…", "done": "[green]✓[/]", "skipped": "[dim]=[/]", "failed": "[red]✗[/]"}
        if status == "start" and name == "transcribe":
            return  # the bar says it
        if status == "start":
            return
        text = {"skipped": "already done", "failed": detail, "done": detail}.get(status, detail)
        self.console.print(f"{marks.get(status, '')} {name:<11} [dim]{text}[/]")

    def progress(self, done: float, total: float) -> None:
        if self.quiet:
            return
        if self._progress is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("  transcribe "), BarColumn(), TextColumn("{task.fields[clock]}"),
                TextColumn("[cyan]{task.fields[speed]}"), TimeElapsedColumn(), console=self.console,
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("transcribe", total=max(total, 0.001), clock="", speed="")
            self._t0 = time.perf_counter()
        elapsed = max(time.perf_counter() - self._t0, 1e-6)
        speed = f"{done / elapsed:.1f}× real time" if done else ""
        self._progress.update(self._task, completed=min(done, total), total=max(total, 0.001),
                              clock=f"{_mmss(done)} / {_mmss(total)} audio", speed=speed)

    def _close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def close(self) -> None:
        self._close()


def _mmss(s: float) -> str:
    s = int(s)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def is_tty() -> bool:
    return sys.stderr.isatty()
