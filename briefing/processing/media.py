"""Web media decisions: the loudness the published audio is brought to, and the options the web audio,
video and poster are made with (recorder.normalize does the making)."""

from __future__ import annotations

from typing import Any

from briefing.core import config
from briefing.core.config import Setting, Settings
from briefing.core.errors import ConfigError

config.register(
    Setting("media.loudness", "-23", "Loudness of the published audio in LUFS (EBU R128: -23), or off.", str),
)


class MediaSettings(config.Area, area="media"):
    video_height: int
    loudness: str


def loudnorm_target(settings: Settings) -> Any:
    """The EBU R128 target of the published audio from ``media.loudness`` (None when off)."""
    from recorder.normalize import Loudnorm

    raw = MediaSettings.of(settings).loudness.strip().lower()
    if raw in ("", "off", "none", "false", "0"):
        return None
    try:
        value = float(raw.removesuffix("lufs").strip())
    except ValueError:
        raise ConfigError(f"bad media.loudness {raw!r}", hint="use a LUFS value such as -23 or -16, or off") from None
    if not -40 <= value <= -5:
        raise ConfigError(f"media.loudness {value} LUFS is out of range", hint="use -23 (EBU R128) or -16 (web)")
    return Loudnorm(integrated=value)


def normalize_options(settings: Settings, *, nice: int = 0) -> Any:
    """How the web audio, video and poster of a briefing are made (``media.video_height``, the loudness)."""
    from recorder.normalize import NormalizeOptions

    return NormalizeOptions(
        video_height=MediaSettings.of(settings).video_height, loudnorm=loudnorm_target(settings), nice=nice
    )
