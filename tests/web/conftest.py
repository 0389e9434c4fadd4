"""The review desk under test: a published briefing with real media (no Whisper), the desk served by
waitress on loopback, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.factory import make_briefing
from tests.recorder import media
from tests.web.helpers import BID, PASSWORD, Running

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def real_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 4-second MP4 (H.264/AAC), made once with ffmpeg."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed: cannot make a real test video")
    out = tmp_path_factory.mktemp("desk-media") / "video.mp4"
    media.make_tone_video(out, duration=4)
    return out


@pytest.fixture
def desk_home(briefing_env: Path, real_video: Path) -> tuple[Any, Any]:
    """A briefing processed by hand (no Whisper) with a real video, published as version 1."""
    from briefing.processing import pipeline

    store, settings = make_briefing(briefing_env, BID)
    video = settings.workspace / BID / "media" / "video.mp4"
    shutil.copyfile(real_video, video)
    audio = settings.workspace / BID / "media" / "audio.m4a"
    store.stage_started(BID, "video", "k2")
    store.stage_done(BID, "video", "k2", [pipeline.artifact("audio", audio), pipeline.artifact("video", video)], {})
    pipeline.publish_one(store, settings, BID)
    return store, settings


@pytest.fixture
def accounts_made(desk_home: tuple[Any, Any]) -> dict[str, str]:
    from briefing.web import accounts

    store = desk_home[0]
    accounts.add_user(store, "minh", PASSWORD, "publisher")
    accounts.add_user(store, "lan", PASSWORD, "reviewer")
    return {"minh": "publisher", "lan": "reviewer"}


@pytest.fixture
def desk(desk_home: tuple[Any, Any]) -> Any:
    """The desk as it is when started (with the accounts made before it, if a test asked for them)."""
    running = Running(*desk_home)
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def chromium() -> Any:
    """One headless Chromium per test module (closed with it, so that another module's Playwright can start);
    each test opens its own contexts (cookies, storage)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def browser(chromium: Any) -> Any:
    """The session's Chromium; the contexts a test opened are closed after it."""
    yield chromium
    for ctx in list(chromium.contexts):
        ctx.close()
