"""Build processed briefings directly in a real store and workspace (no Whisper): for archive/search tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from briefing.core.config import Settings, load_settings
from publish.files import sha256_file
from briefing.core.store import Artifact, Briefing, Store
from tests.net import free_port

BID = "2026-03-02-hop-bao-chinh-phu"


def seg(i: int, start: float, text: str, speaker: str | None = None) -> dict:
    return {"id": i, "start": start, "end": start + 4.0, "text": " " + text, "words": [], "confidence": 0.9,
            "avg_logprob": -0.2, "no_speech_prob": 0.01, "compression_ratio": 1.2, "speaker": speaker,
            "flags": []}


def transcript(texts: list[tuple[float, str, str | None]], language: str = "vi") -> dict:
    segs = [seg(i, s, t, spk) for i, (s, t, spk) in enumerate(texts)]
    return {"language": language, "duration": (segs[-1]["end"] if segs else 0.0), "segments": segs,
            "language_probability": 0.99, "model": "test", "engine": "test", "options": {},
            "text": " ".join(s["text"].strip() for s in segs), "confidence": 0.9}


def _art(role: str, path: Path, stage: str) -> Artifact:
    return Artifact(role, str(path), sha256_file(path), path.stat().st_size, stage)


def make_briefing(settings: Settings, store: Store, bid: str, *, date: str, title: str = "Họp báo Chính phủ",
                  speakers: tuple[str, ...] = ("Người phát ngôn",),
                  texts: list[tuple[float, str, str | None]] | None = None,
                  media: bool = True, figures: list[dict] | None = None, publish: bool = True) -> Briefing:
    """A processed briefing: source, speech, video/audio, transcript (4 formats), summary, site page."""
    texts = texts or [(0.0, "Xin chào các nhà báo.", None), (12.5, "Hôm nay Bộ Y tế báo cáo về tiêm chủng.", None)]
    store.save_briefing(Briefing(id=bid, title=title, date=date, language="vi", speakers=speakers))
    ws = settings.workspace / bid

    def write(rel: str, data: bytes | str) -> Path:
        p = ws / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return p

    def done(stage: str, arts: list[Artifact]) -> None:
        store.stage_started(bid, stage, f"k-{stage}")
        store.stage_done(bid, stage, f"k-{stage}", arts)

    if media:
        src = write("source/original.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40 + bid.encode())
        done("ingest", [_art("source", src, "ingest")])
        done("audio", [_art("speech", write("media/speech.wav", b"RIFF" + b"\x01" * 5000), "audio")])
        done("video", [_art("audio", write("media/audio.m4a", b"m4a" + b"\x02" * 3000), "video"),
                       _art("video", write("media/video.mp4", b"mp4" + b"\x03" * 7000), "video"),
                       _art("poster", write("media/poster.jpg", b"\xff\xd8" + b"\x04" * 500), "video")])
    tj = transcript(texts)
    arts = [_art("json", write("transcript/transcript.json", json.dumps(tj, ensure_ascii=False)), "transcribe")]
    for ext in ("srt", "vtt", "txt"):
        arts.append(_art(ext, write(f"transcript/transcript.{ext}", f"{ext}\n" + tj["text"]), "transcribe"))
    done("transcribe", arts)
    summary = {"language": "vi", "sentences": [], "no_speech": False, "key_figures": figures or []}
    done("summarize", [_art("summary_json", write("summary/summary.json", json.dumps(summary, ensure_ascii=False)),
                            "summarize"),
                       _art("summary", write("summary/summary.md", f"# {title}\n"), "summarize")])
    if publish:
        site = settings.site_dir / "briefings" / bid
        site.mkdir(parents=True, exist_ok=True)
        (site / "index.html").write_text(f"<html><body>{title}</body></html>", encoding="utf-8")
        (site / "release.json").write_text(json.dumps({"id": bid, "title": title, "date": date,
                                                        "speakers": list(speakers), "version": 1},
                                                       ensure_ascii=False), encoding="utf-8")
        (site / "transcript.json").write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
        done("publish", [_art("page", site / "index.html", "publish")])
    return store.briefing(bid)


def env() -> tuple[Settings, Store]:
    settings = load_settings()
    return settings, Store(settings.store_path)


# -- S3 with Object Lock: moto's server mode, reached through boto3 over HTTP (import the fixtures) ---------
@pytest.fixture(scope="module")
def moto_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(moto_server, monkeypatch: pytest.MonkeyPatch):
    import boto3

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"archive-{os.urandom(4).hex()}"
    client = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    monkeypatch.setenv("BRIEFING_ARCHIVE_S3_BUCKET", bucket)
    monkeypatch.setenv("BRIEFING_ARCHIVE_S3_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("BRIEFING_ARCHIVE_S3_REGION", "us-east-1")
    monkeypatch.setenv("BRIEFING_ARCHIVE_RETENTION_YEARS", "7")
    return client, bucket
