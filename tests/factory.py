"""The one briefing factory of the tests: a briefing whose stages are done, built by hand in a real store
and workspace (no Whisper), for the distribution, archive, search and lock tests."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from briefing.core.config import Settings, load_settings
from briefing.core.store import Artifact, Briefing, Store
from briefing.processing import pipeline
from tests.publish.helpers import make_summary, make_transcript
from transcribe import formats
from transcribe.types import Summary, Transcript

BID = "2026-11-25-daily-briefing"

# A Vietnamese briefing as the ministry holds them (the archive and search tests): pass **PROCESSED_VI.
VI_TEXTS: list[tuple[float, str, str | None]] = [
    (0.0, "Xin chào các nhà báo.", None),
    (12.5, "Hôm nay Bộ Y tế báo cáo về tiêm chủng.", None),
]
PROCESSED_VI: dict[str, Any] = {
    "language": "vi",
    "title": "Họp báo Chính phủ",
    "speakers": ("Người phát ngôn",),
    "texts": VI_TEXTS,
    "media": "full",
    "publish": True,
}


def seg(i: int, start: float, text: str, speaker: str | None = None) -> dict[str, Any]:
    return {
        "id": i,
        "start": start,
        "end": start + 4.0,
        "text": " " + text,
        "words": [],
        "confidence": 0.9,
        "avg_logprob": -0.2,
        "no_speech_prob": 0.01,
        "compression_ratio": 1.2,
        "speaker": speaker,
        "flags": [],
    }


def transcript_dict(texts: list[tuple[float, str, str | None]], language: str = "vi") -> dict[str, Any]:
    """A transcript of 4-second segments at the given starts: (start, text, speaker) each."""
    segs = [seg(i, s, t, spk) for i, (s, t, spk) in enumerate(texts)]
    return {
        "language": language,
        "duration": (segs[-1]["end"] if segs else 0.0),
        "segments": segs,
        "language_probability": 0.99,
        "model": "test",
        "engine": "test",
        "options": {},
        "text": " ".join(s["text"].strip() for s in segs),
        "confidence": 0.9,
    }


def make_briefing(
    home: Path | None = None,
    bid: str = BID,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    date: str = "2026-11-25",
    title: str = "Daily press briefing",
    language: str = "en",
    speakers: tuple[str, ...] = ("Spokesperson",),
    texts: list[tuple[float, str, str | None]] | None = None,
    figures: list[dict] | None = None,
    media: str = "audio",
    video_bytes: int = 0,
    publish: bool = False,
) -> tuple[Store, Settings]:
    """A briefing with its media, transcript (4 formats) and summary stages done; returns (store, settings).

    home / settings / store: where (the settings of ``home``, or the ones given; their store unless given).
    texts: the transcript's (start, text, speaker) segments [default: the English test transcript of
    tests.publish.helpers, whose summary has two key figures]; figures: the summary's key figures instead.
    media: "audio" (audio.m4a, and video.mp4 of ``video_bytes`` when given), "full" (the source recording,
    the speech WAV, audio, video and poster, each stage as the pipeline records it) or "none".
    publish: also a (hand-made) page on the local site with its release.json, as published."""
    settings = settings if settings is not None else load_settings(home)
    store = store if store is not None else Store(settings.store_path)
    t = make_transcript(language) if texts is None else Transcript.from_dict(transcript_dict(texts, language))
    if texts is None and figures is None:
        summary = make_summary(t)
    else:
        summary = Summary.from_dict(
            {"language": language, "sentences": [], "no_speech": False, "key_figures": figures or []}
        )
    store.save_briefing(Briefing(id=bid, title=title, date=date, language=language, speakers=speakers))
    ws = settings.workspace / bid

    def write(rel: str, data: bytes | str) -> Path:
        p = ws / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return p

    def done(stage: str, arts: list[Artifact]) -> None:
        store.stage_started(bid, stage, "k")
        store.stage_done(bid, stage, "k", arts, {})

    art = pipeline.artifact
    if media == "audio":
        arts = [art("audio", write("media/audio.m4a", b"\x00\x00\x00\x18ftypM4A " + b"a" * 2000))]
        if video_bytes:
            chunk = bytes(range(256)) * 4096
            arts.append(art("video", write("media/video.mp4", (chunk * (video_bytes // len(chunk) + 1))[:video_bytes])))
        done("video", arts)
    elif media == "full":
        done(
            "ingest",
            [
                art(
                    "source",
                    write("source/original.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40 + bid.encode()),
                )
            ],
        )
        done("audio", [art("speech", write("media/speech.wav", b"RIFF" + b"\x01" * 5000))])
        done(
            "video",
            [
                art("audio", write("media/audio.m4a", b"m4a" + b"\x02" * 3000)),
                art("video", write("media/video.mp4", b"mp4" + b"\x03" * 7000)),
                art("poster", write("media/poster.jpg", b"\xff\xd8" + b"\x04" * 500)),
            ],
        )
    elif media != "none":
        raise ValueError(f"media is audio, full or none, not {media!r}")
    done(
        "transcribe",
        [
            art(ext, write(f"transcript/transcript.{ext}", text))
            for ext, text in {
                "json": formats.to_json(t),
                "srt": formats.to_srt(t),
                "vtt": formats.to_vtt(t),
                "txt": formats.to_txt(t),
            }.items()
        ],
    )
    b = store.briefing(bid)
    done(
        "summarize",
        [
            art("summary_json", write("summary/summary.json", json.dumps(summary.to_dict(), ensure_ascii=False))),
            art("summary", write("summary/summary.md", pipeline.summary_markdown(b, summary))),
        ],
    )
    if publish:
        site = settings.site_dir / "briefings" / bid
        site.mkdir(parents=True, exist_ok=True)
        (site / "index.html").write_text(f"<html><body>{title}</body></html>", encoding="utf-8")
        (site / "release.json").write_text(
            json.dumps(
                {"id": bid, "title": title, "date": date, "speakers": list(speakers), "version": 1}, ensure_ascii=False
            ),
            encoding="utf-8",
        )
        (site / "transcript.json").write_text(formats.to_json(t), encoding="utf-8")
        done("publish", [art("page", site / "index.html")])
    return store, settings


def processed_vi(settings: Settings, store: Store, bid: str, **options: Any) -> Briefing:
    """:func:`make_briefing` of a Vietnamese briefing processed and published (``PROCESSED_VI``, which
    ``options`` override), in the given settings' home: for the archive and search tests."""
    make_briefing(bid=bid, settings=settings, store=store, **{**PROCESSED_VI, **options})
    return store.briefing(bid)


def published_with_source(home: Path, bid: str = BID, *, source_path: bool = False) -> tuple[Store, Settings]:
    """:func:`make_briefing` with a video and the source recording (the ingest stage; recorded as the
    briefing's ``source_path`` too when asked, as `process` does), published to the local site and
    archived. The store is left open."""
    from dataclasses import replace

    from briefing.records import archive

    store, settings = make_briefing(home, bid, video_bytes=20_000)
    src = settings.workspace / bid / "source" / "original.mp4"
    src.parent.mkdir(parents=True)
    src.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(5000))
    store.stage_started(bid, "ingest", "k")
    store.stage_done(bid, "ingest", "k", [pipeline.artifact("source", src)], {})
    if source_path:
        store.save_briefing(replace(store.briefing(bid), source_path=str(src)))
    pipeline.publish_one(store, settings, bid)
    archive.create(store, settings, bid)
    return store, settings


def home_snapshot(root: Path, *, store: bool = True) -> dict[str, str]:
    """Every file and directory of a home, with its bytes' SHA-256; the store's files too unless ``store``
    is False."""
    return {
        p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir")
        for p in sorted(root.rglob("*"))
        if store or not p.name.startswith("briefing.db")
    }


def moved_before_migration(store: Store, home: Path, dest: Path, migration: int) -> Store:
    """A home as an earlier version left it, moved: ``migration`` is marked not applied, the store closed,
    the home copied to ``dest`` (links kept), and the copy's store opened first, so that the migration
    runs there and finds the old home. Returns the copy's store."""
    import shutil

    with store.tx() as db:
        db.execute("DELETE FROM _migrations WHERE number = ?", (migration,))
    store.close()
    shutil.copytree(home, dest, symlinks=True)
    moved = Store(dest / "briefing.db")
    assert migration in moved.migrations_applied()
    return moved
