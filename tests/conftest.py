"""Every test gets its own BRIEFING_HOME and a clean BRIEFING_* environment.

The joined speech model is cached once per test session (BRIEFING_CACHE_DIR), so tests do not each
rebuild it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SPEECH = Path(os.environ.get("BRIEFING_SPEECH_DIR", REPO.parent / "shared" / "speech"))


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def briefing_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache: Path) -> Path:
    for key in list(os.environ):
        if key.startswith("BRIEFING_") and key != "BRIEFING_SPEECH_DIR":
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    monkeypatch.setenv("BRIEFING_HOME", str(home))
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(model_cache))
    return home


@pytest.fixture
def speech_dir() -> Path:
    if not SPEECH.is_dir():
        pytest.skip(f"real speech clips not found at {SPEECH} (set BRIEFING_SPEECH_DIR)")
    return SPEECH
