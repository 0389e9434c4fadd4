"""`briefing process` loads the speech model while it extracts the speech, once, and a model that
cannot load is still reported by the transcription stage."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from tests.recorder import media


@pytest.fixture
def models_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The threads that constructed a faster-whisper model (the real one), in a process that has not
    loaded one yet."""
    import faster_whisper

    from briefing.processing import speech

    made: list[str] = []
    real = faster_whisper.WhisperModel

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs) -> None:
            made.append(threading.current_thread().name)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(faster_whisper, "WhisperModel", Counting)
    monkeypatch.setattr(speech, "_TRANSCRIBERS", {})
    return made


@pytest.mark.whisper
def test_the_model_loads_once(run, models_made: list[str]) -> None:
    """Loaded in the background while the speech is extracted, or by the transcription stage when that
    comes first (a short clip), never both."""
    clip = media.require_speech()
    args = ("-q", "process", str(clip), "--language", "en", "--title", "Preload", "--date", "2026-11-25")
    r = run(*args)
    assert r.code == 0, r.err
    assert len(models_made) == 1 and models_made[0] in ("whisper-preload", "MainThread")
    r = run(*args)  # done already: nothing to transcribe, nothing loaded
    assert r.code == 0, r.err
    assert len(models_made) == 1


def test_a_model_that_cannot_load_fails_the_transcription_stage(
    run, models_made: list[str], tmp_path: Path, briefing_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "model"
    bad.mkdir()
    (bad / "model.bin").write_bytes(b"not a model")
    (bad / "config.json").write_text("{}")
    monkeypatch.setenv("BRIEFING_TRANSCRIBE_MODEL", str(bad))
    r = run(
        "-q", "process", str(media.require_speech()), "--language", "en", "--title", "Bad model", "--date", "2026-11-25"
    )
    assert r.code != 0 and "Traceback" not in r.err
    assert "cannot load speech model" in r.err and len(r.err.strip().splitlines()) == 1
    with sqlite3.connect(briefing_env / "briefing.db") as db:
        stages = dict(db.execute("SELECT stage, status FROM stages"))
    assert stages["transcribe"] == "failed" and stages["audio"] == "done"
