"""Constants and helpers of the schedule / Jitsi / invitation tests (the fixtures are in conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

APP_ID = "briefing-test"
SECRET = "a-long-test-secret-of-at-least-32-bytes!"


def local_start(delta: timedelta) -> str:
    """A --start value (UTC wall clock, minute precision) `delta` from now."""
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M")
