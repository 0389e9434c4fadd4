"""What a user sees while a briefing is processed: the stage lines and the transcription bar (stderr)."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from briefing.progress import RichReporter, speed_text


class Clock:
    """A clock the test moves by hand: the figures shown do not depend on how loaded the machine is."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def reporter() -> tuple[RichReporter, Clock, io.StringIO]:
    out = io.StringIO()
    clock = Clock()
    console = Console(file=out, width=120, force_terminal=False, highlight=False, color_system=None)
    return RichReporter(clock=clock, console=console), clock, out


def timed_stage(r: RichReporter, clock: Clock, name: str, seconds: float, *, of: float = 60.0) -> None:
    """A stage with a progress bar that does all ``of`` seconds of audio in ``seconds`` of the clock."""
    r.stage(name, "start")
    clock.now += seconds
    r.progress(of, of)
    r.stage(name, "done", f"{seconds:.1f}s")


def test_the_bar_clock_starts_with_the_stage_not_after_the_model_loads() -> None:
    r, clock, out = reporter()
    r.stage("transcribe", "start")
    clock.now += 20.0  # the model loads: no progress yet
    r.progress(0.0, 60.0)
    clock.now += 1.0
    r.progress(30.0, 60.0)
    clock.now += 1.9
    r.progress(60.0, 60.0)
    r.stage("transcribe", "done", "22.9s")
    text = out.getvalue()
    assert "transcribe" in text and "01:00 / 01:00 audio" in text
    assert "2.6× real time" in text  # 60 s of audio in the 22.9 s of the stage, not in the 2.9 s since the bar
    assert "0:00:22" in text and "0:00:02" not in text
    assert text.index("0:00:22") < text.index("✓ transcribe")


def test_no_absurd_speed() -> None:
    r, clock, out = reporter()
    r.stage("transcribe", "start")
    clock.now += 0.000003  # a first report with much done, at once (a cached part): no figure
    r.progress(56.4, 60.0)
    r.stage("transcribe", "done", "0.0s")
    assert "real time" not in out.getvalue()
    assert speed_text(60.0, 0.000003) == "" and speed_text(0.0, 5.0) == ""
    assert speed_text(60.0, 2.0) == "30.0× real time"
    assert speed_text(1e6, 2.0) == ""  # no recogniser here does 500000× real time: a wrong clock


def test_the_translate_bar_is_labelled_translate_and_ends_with_its_stage() -> None:
    r, clock, out = reporter()
    timed_stage(r, clock, "transcribe", 5)
    r.stage("publish", "start")
    r.stage("publish", "done", "0.3s")
    timed_stage(r, clock, "translate", 4)
    r.stage("publish", "start")
    r.stage("publish", "done", "0.2s")
    r.close()
    lines = [ln.strip() for ln in out.getvalue().splitlines() if ln.strip()]
    bars = [ln for ln in lines if "audio" in ln]
    assert [b.split()[0] for b in bars] == ["transcribe", "translate"]
    order = [
        next(i for i, ln in enumerate(lines) if ln.startswith(p))
        for p in ("transcribe", "✓ transcribe", "✓ publish", "translate", "✓ translate")
    ]
    assert order == sorted(order)
    assert lines.index(bars[1]) < lines.index("✓ translate   4.0s") < len(lines) - 1  # before the 2nd publish


def test_a_stage_with_nothing_to_do_shows_as_skipped_with_the_reason(tmp_path: Path) -> None:
    """An English briefing: the translate stage has nothing to make and says so (not "✓ translate 0.0s")."""
    from briefing.processing import pipeline
    from tests.factory import make_briefing

    store, settings = make_briefing(tmp_path / "home")
    r, _clock, out = reporter()
    runner = pipeline.runner_for(store, settings, "2026-11-25-daily-briefing", reporter=r)
    runner.translate()
    assert out.getvalue().strip() == "= translate   not needed: English briefing"
    r, _clock, out = reporter()
    pipeline.runner_for(store, settings, "2026-11-25-daily-briefing", reporter=r).translate()  # again
    assert out.getvalue().strip() == "= translate   not needed: English briefing"
    store.close()


def test_following_the_cluster_shows_the_recordings_done_out_of_the_total() -> None:
    """On a terminal, a bar of the recordings finished with the transcription's audio beside it; in a log,
    one line per recording finished; nothing when quiet (--json, -q)."""
    from briefing.progress import ClusterReporter

    out = io.StringIO()
    term = Console(file=out, width=120, force_terminal=True, highlight=False, color_system=None)
    r = ClusterReporter(console=term)
    r.recordings(0, 0, 6, "2025-03-01")
    r.stage("transcribe", "start")
    r.progress(30.0, 60.0)
    r.recordings(2, 1, 6, "2025-03-04")
    r.close()
    text = out.getvalue()
    assert "recordings" in text and "3/6" in text and "1 failed" in text and "00:30 / 01:00 audio" in text

    log = io.StringIO()
    r = ClusterReporter(console=Console(file=log, width=120, force_terminal=False, highlight=False))
    for n in range(3):
        r.recordings(n, 0, 2 if n < 3 else 0, "")
    r.close()
    assert "recordings  1/2" in log.getvalue() and "recordings  2/2" in log.getvalue()

    quiet = io.StringIO()
    r = ClusterReporter(quiet=True, console=Console(file=quiet, force_terminal=True))
    r.recordings(1, 0, 2)
    r.progress(1.0, 2.0)
    r.close()
    assert quiet.getvalue() == ""
