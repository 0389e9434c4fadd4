"""What the publishing library is handed: one Release of one briefing, and where to put it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from transcribe.types import Summary, Transcript


@dataclass(frozen=True)
class Correction:
    date: str  # ISO date-time
    note: str
    version: int


@dataclass(frozen=True)
class Release:
    """One published version of one briefing.

    ``files`` maps a role to a file on disk that the release carries. Roles: ``video`` (MP4, absent for an
    audio-only briefing), ``audio`` (M4A), ``poster`` (JPEG, absent for audio-only), ``srt``, ``vtt``, ``txt``,
    ``json`` (the transcript), ``summary`` (Markdown). The site copies them beside the page.
    """

    id: str
    title: str
    date: str  # YYYY-MM-DD of the briefing
    language: str  # ISO 639-1 of the briefing, picks the UI strings (vi, en; others fall back to en)
    speakers: tuple[str, ...]
    transcript: Transcript
    summary: Summary
    files: dict[str, Path]
    duration: float
    version: int = 1
    published_at: str = ""  # ISO date-time with offset
    corrections: tuple[Correction, ...] = ()
    extra_tracks: tuple[tuple[str, str, Path], ...] = ()  # (language, label, vtt path), e.g. a translation

    @property
    def media_kind(self) -> str:
        return "video" if "video" in self.files else "audio"


@dataclass(frozen=True)
class SiteOptions:
    title: str = "Press briefings"
    base_url: str = ""  # absolute URL of the site root for feeds (e.g. https://press.gov.example/); "" = relative
    language: str = "en"  # language of the index page's UI strings
    description: str = "Daily press briefings: video, transcript, summary and key figures."
    extra: dict[str, str] = field(default_factory=dict)
    feed_size: int = 50  # the newest N briefings in the feeds and on the index page (older: the archive)
    data_license: str = ""  # the licence line of the figures' data downloads ("" = i18n's default)
