"""Fixtures for the press-site tests: hand-made transcripts and summaries, small real media files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from publish.types import Correction, Release, SiteOptions
from tests.publish.helpers import make_summary, make_transcript, srt_for, vtt_for
from transcribe.types import Transcript

HAVE_FFMPEG = shutil.which("ffmpeg") is not None


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """A tiny real MP4 (H.264/AAC), an M4A and a JPEG poster, made once with ffmpeg."""
    if not HAVE_FFMPEG:
        pytest.skip("ffmpeg is not installed: cannot make a real test video")
    d = tmp_path_factory.mktemp("media")

    def run(*args: str) -> None:
        subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, capture_output=True)

    run(
        "-f",
        "lavfi",
        "-i",
        "testsrc=d=3:s=320x240:r=25",
        "-f",
        "lavfi",
        "-i",
        "sine=d=3",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        "-movflags",
        "+faststart",
        str(d / "x.mp4"),
    )
    run("-f", "lavfi", "-i", "sine=d=3", "-c:a", "aac", str(d / "x.m4a"))
    run("-f", "lavfi", "-i", "testsrc=d=1:s=320x240", "-frames:v", "1", str(d / "poster.jpg"))
    return d


class ReleaseFactory:
    def __init__(self, root: Path, media: Path):
        self.root = root
        self.media = media
        self.n = 0

    def __call__(
        self,
        id: str = "2026-11-25",
        *,
        title: str = "Daily briefing",
        date: str = "2026-11-25",
        language: str = "en",
        version: int = 1,
        published_at: str = "2026-11-25T10:30:00+07:00",
        corrections: tuple[Correction, ...] = (),
        audio_only: bool = False,
        no_speech: bool = False,
        texts: list[str] | None = None,
        extra_tracks: bool = False,
        speakers: tuple[str, ...] = ("Nguyen Van A", "Jane Doe"),
    ) -> Release:
        self.n += 1
        d = self.root / f"work-{self.n}"
        d.mkdir(parents=True)
        transcript = make_transcript(language, texts)
        if no_speech:
            transcript = Transcript(language=language, duration=3.0, segments=())
        summary = make_summary(transcript, no_speech=no_speech)
        files: dict[str, Path] = {}
        if not audio_only:
            files["video"] = self.media / "x.mp4"
            files["poster"] = self.media / "poster.jpg"
        files["audio"] = self.media / "x.m4a"
        (d / "t.vtt").write_text(vtt_for(transcript), encoding="utf-8")
        (d / "t.srt").write_text(srt_for(transcript), encoding="utf-8")
        (d / "t.txt").write_text(transcript.text + "\n", encoding="utf-8")
        import json

        (d / "t.json").write_text(json.dumps(transcript.to_dict(), ensure_ascii=False), encoding="utf-8")
        (d / "s.md").write_text(
            "# Summary\n\n" + "\n".join(f"- {s.text}" for s in summary.sentences) + "\n", encoding="utf-8"
        )
        files.update(vtt=d / "t.vtt", srt=d / "t.srt", txt=d / "t.txt", json=d / "t.json", summary=d / "s.md")
        tracks = ()
        if extra_tracks:
            (d / "tr.vtt").write_text(vtt_for(transcript), encoding="utf-8")
            tracks = (("vi", "Tiếng Việt", d / "tr.vtt"),)
        return Release(
            id=id,
            title=title,
            date=date,
            language=language,
            speakers=speakers,
            transcript=transcript,
            summary=summary,
            files=files,
            duration=3.0,
            version=version,
            published_at=published_at,
            corrections=corrections,
            extra_tracks=tracks,
        )


@pytest.fixture
def make_release(tmp_path, media_dir) -> ReleaseFactory:
    return ReleaseFactory(tmp_path / "work", media_dir)


@pytest.fixture
def site(tmp_path) -> Path:
    return tmp_path / "site"


@pytest.fixture
def options() -> SiteOptions:
    return SiteOptions(title="Government press briefings")
