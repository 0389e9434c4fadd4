"""Every test gets its own BRIEFING_HOME and a clean BRIEFING_* environment.

The joined speech model is cached once per test session (BRIEFING_CACHE_DIR), so tests do not each
rebuild it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(autouse=True)
def whisper_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test that loads the Whisper model in this process carries the `whisper` marker, so that the
    README's fast subset (-m "not whisper and not browser") stays fast. (A test whose subprocess loads
    it is marked by hand.)"""
    if request.node.get_closest_marker("whisper"):
        yield
        return
    import faster_whisper

    loaded: list[str] = []
    real_init = faster_whisper.WhisperModel.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        loaded.append(str(args[0] if args else kwargs.get("model_size_or_path")))

    monkeypatch.setattr(faster_whisper.WhisperModel, "__init__", init)
    yield
    assert not loaded, f"{request.node.nodeid} loads the Whisper model ({loaded[0]}): mark it @pytest.mark.whisper"


@pytest.fixture
def speech_dir() -> Path:
    if not SPEECH.is_dir():
        pytest.skip(f"real speech clips not found at {SPEECH} (set BRIEFING_SPEECH_DIR)")
    return SPEECH
