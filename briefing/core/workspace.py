"""Every path of a briefing's workspace, and of the home's own lock files, in one place.

<home>/briefings/<id>/              briefing_dir: one briefing's workspace (private files, mode 0600)
    .lock                           lock_path: held by the one process working on the briefing
    source/original.<ext>           source: the recording as ingested (stage ingest)
    recording/<name>                recording_dir: a file or Jibri session copied in, verified
    capture/                        capture_dir: segments of a live capture (recorder.capture)
    live/                           live_dir: the live transcript and web audio made while it records
        live.lock  media.json  audio.stream.m4a  transcript.json
    media/                          media_dir: speech.wav, audio.m4a, video.mp4, poster.jpg
    transcript/                     transcript_dir: transcript.{json,srt,vtt,txt}
    translation/                    translation_dir: translation.en.{json,vtt}
    summary/                        summary_dir: summary.{json,md}
    published/                      published_dir: the redacted copies a release is made of
    corrections/                    corrections_dir: drafts and saved corrections
<home>/locks/work.lock, daily.lock  home_lock: one worker, one daily run at a time
<home>/briefings/.archive-staging   archive_staging: archive packages being built for S3
"""

from __future__ import annotations

from pathlib import Path

from briefing.core.config import Settings

LOCK_NAME = ".lock"


def briefing_dir(settings: Settings, bid: str) -> Path:
    return settings.workspace / bid


def lock_path(settings: Settings, bid: str) -> Path:
    return briefing_dir(settings, bid) / LOCK_NAME


def source(settings: Settings, bid: str, suffix: str) -> Path:
    return briefing_dir(settings, bid) / "source" / ("original" + suffix.lower())


def recording_dir(settings: Settings, bid: str) -> Path:
    return briefing_dir(settings, bid) / "recording"


def capture_dir(settings: Settings, bid: str) -> Path:
    return briefing_dir(settings, bid) / "capture"


def live_dir(settings: Settings, bid: str) -> Path:
    return briefing_dir(settings, bid) / "live"


def live_lock_path(settings: Settings, bid: str) -> Path:
    return live_dir(settings, bid) / "live.lock"


def live_media_state(settings: Settings, bid: str) -> Path:
    return live_dir(settings, bid) / "media.json"


def live_audio(settings: Settings, bid: str) -> Path:
    return live_dir(settings, bid) / "audio.stream.m4a"


def media_dir(settings: Settings, bid: str) -> Path:
    return briefing_dir(settings, bid) / "media"


def transcript_dir(settings: Settings, bid: str) -> Path:
    return briefing_dir(settings, bid) / "transcript"


def translation_dir(settings: Settings, bid: str) -> Path:
    return briefing_dir(settings, bid) / "translation"


def summary_dir(settings: Settings, bid: str) -> Path:
    return briefing_dir(settings, bid) / "summary"


def published_dir(settings: Settings, bid: str) -> Path:
    return briefing_dir(settings, bid) / "published"


def corrections_dir(settings: Settings, bid: str) -> Path:
    return briefing_dir(settings, bid) / "corrections"


def home_lock(settings: Settings, name: str) -> Path:
    """``<home>/locks/<name>.lock``: for what runs once per home (the worker, the daily run)."""
    return settings.home / "locks" / f"{name}.lock"


def archive_staging(settings: Settings) -> Path:
    return settings.workspace / ".archive-staging"
