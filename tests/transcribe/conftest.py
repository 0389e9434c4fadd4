"""Fixtures for the transcribe tests. (tests/conftest.py belongs to another part of the project.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.transcribe.helpers import Clip, clips, speech_dir


@pytest.fixture(scope="session")
def speech() -> Path:
    d = speech_dir()
    if d is None:
        pytest.skip(
            "real speech set not found: expected ../shared/speech next to the repository (or set BRIEFING_SPEECH_DIR)"
        )
    return d


@pytest.fixture(scope="session")
def speech_clips(speech: Path) -> dict[str, Clip]:
    return {c.audio.name: c for c in clips(speech)}


@pytest.fixture(scope="session")
def bundled_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transcribe.model import ensure_bundled_model

    return ensure_bundled_model(tmp_path_factory.mktemp("model-cache"))


@pytest.fixture(scope="session")
def transcriber(bundled_model_dir: Path):
    """One loaded model for the whole session (loading costs ~1 s and ~200 MB)."""
    from transcribe.whisper import WhisperTranscriber

    t = WhisperTranscriber(bundled_model_dir, device="cpu", compute_type="int8")
    t.load()
    return t
