"""The order `briefing work` takes recordings in: the queue is read again after each one, so a recording
queued while a run is going (Jibri finalizing the next one, the day's briefing during a year's backfill)
is taken by that run, and the recordings of the day go before the rest of a backfill. The pipeline is
stubbed here (the order is what is under test); the real pipeline runs in test_daily and tests/cluster."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from briefing.core.config import load_settings
from briefing.core.store import Store
from briefing.recording import backfill as bf
from briefing.recording import queue, record, worker

CLIP = "en_ljspeech_LJ001-0002.wav"


def _past(speech_dir: Path, d: Path, n: int) -> Path:
    d.mkdir(parents=True)
    for i in range(1, n + 1):
        p = d / f"2019-05-0{i}_briefing.wav"
        shutil.copyfile(speech_dir / CLIP, p)
        with open(p, "ab") as f:  # each its own recording (another SHA-256)
            f.write(bytes([i]) * 2)
    return d


def _today(store: Store, settings, speech_dir: Path, tmp_path: Path, name: str) -> str:  # noqa: ANN001
    from briefing.processing import pipeline

    src = tmp_path / f"{name}.wav"
    shutil.copyfile(speech_dir / CLIP, src)
    with open(src, "ab") as f:
        f.write(name.encode())
    bid = pipeline.register(store, settings, src, title=f"Daily briefing {name}", date="2026-12-02").briefing.id
    record.ingest(store, settings, bid, src)  # as Jibri's finalize or a capture queues it: of the day
    return bid


def _stub(seen: list[str], during_first: Callable[[], None] | None = None) -> Callable[..., Any]:
    """The pipeline stubbed: it notes each briefing it is given, and runs ``during_first`` while it is
    given the first (a recording queued in the middle of the run)."""

    def process(store_, settings_, path, **kw):  # noqa: ANN001, ANN003, ANN202
        seen.append(kw["bid"])
        if len(seen) == 1 and during_first is not None:
            during_first()
        return type("R", (), {"ran": ["publish"], "page": "page.html"})()

    return process


def test_the_days_recording_queued_during_a_backfill_goes_before_the_rest_of_it(
    tmp_path: Path, speech_dir: Path
) -> None:
    settings = load_settings()
    store = Store(settings.store_path)
    reg = bf.backfill(store, settings, _past(speech_dir, tmp_path / "past", 3), date_from_name=True)
    past = [r.briefing for r in reg.registered]
    seen: list[str] = []
    today: list[str] = []

    # the day's briefing is recorded while the backfill's first recording is processed
    process = _stub(seen, lambda: today.append(_today(store, settings, speech_dir, tmp_path, "today")))
    progress: list[tuple[int, int, int, str]] = []
    res = worker.work(store, settings, process=process, jobs=reg.jobs, follow=lambda *a: progress.append(a))
    assert seen == [past[0], today[0], past[1], past[2]]
    assert [d.briefing for d in res.done] == seen and not res.failed
    assert progress[0] == (0, 0, 3, past[0]) and progress[1] == (1, 0, 4, today[0]) and progress[-1] == (4, 0, 4, "")
    assert [j.status for j in queue.jobs(store)] == ["done"] * 4


def test_a_recording_queued_while_work_runs_is_processed_by_that_run(tmp_path: Path, speech_dir: Path) -> None:
    """Before, the run took the queue as it was when it started: the second recording waited for a run that
    nobody started (`jibri-finalize` starts one, which found the first still running and returned)."""
    settings = load_settings()
    store = Store(settings.store_path)
    first = _today(store, settings, speech_dir, tmp_path, "first")
    seen: list[str] = []
    second: list[str] = []

    def meanwhile() -> None:
        second.append(_today(store, settings, speech_dir, tmp_path, "second"))
        assert worker.work(store, settings, process=process).busy  # what the second finalize's worker found

    process = _stub(seen, meanwhile)
    res = worker.work(store, settings, process=process)
    assert seen == [first, second[0]] and len(res.done) == 2


def test_a_backfill_run_leaves_another_backfills_jobs_and_a_briefing_run_its_own(
    tmp_path: Path, speech_dir: Path
) -> None:
    settings = load_settings()
    store = Store(settings.store_path)
    a = bf.backfill(store, settings, _past(speech_dir, tmp_path / "a", 2), date_from_name=True)
    seen: list[str] = []

    process = _stub(seen)
    worker.work(store, settings, process=process, jobs=a.jobs[:1])
    assert seen == [a.registered[0].briefing]  # the other backfill job is not this run's
    today = _today(store, settings, speech_dir, tmp_path, "today")
    worker.work(store, settings, process=process, bid=today)
    assert seen[-1] == today and [j.status for j in queue.jobs(store)] == ["done", "queued", "done"]
