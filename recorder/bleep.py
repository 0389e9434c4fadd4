"""Bleep time spans of a recording: the sound there is replaced by a tone, the rest is left as it was.

Used to take personal data out of the published audio and video. The filter graph (built with
ffmpeg-python, run by :mod:`recorder.ffmpeg`):

    [0:a] volume=0 over the spans ─┐
                                    ├─ amix (no normalisation) ─► AAC
    sine 1 kHz, silent outside ─────┘

The video stream, when there is one, is copied unchanged; only the audio is encoded again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_graph  # ffmpeg-python: builds the graph; recorder.ffmpeg runs it

from recorder import ffmpeg
from recorder.errors import MediaError
from recorder.probe import probe

TONE_HZ = 1000
TONE_LEVEL = 0.12  # amplitude of the tone (about -18 dBFS), loud enough to hear, not to hurt


def spans_expression(spans: list[tuple[float, float]]) -> str:
    """An ffmpeg expression that is non-zero inside any of the spans: ``between(t,a,b)+…``."""
    if not spans:
        return "0"
    return "+".join(f"between(t,{a:.3f},{b:.3f})" for a, b in spans)


def _clean(spans: list[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        a, b = max(0.0, float(a)), min(float(b), duration) if duration else float(b)
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def build(
    src: Path,
    dest: Path,
    spans: list[tuple[float, float]],
    *,
    duration: float,
    has_video: bool,
    sample_rate: int = 48000,
    audio_bitrate: str = "128k",
    frequency: int = TONE_HZ,
    level: float = TONE_LEVEL,
) -> Any:
    """The ffmpeg-python output graph that writes ``dest`` with the spans bleeped."""
    expr = spans_expression(spans)
    inp = ffmpeg_graph.input(str(src))
    muted = inp["a:0"].filter("volume", volume=0, enable=expr)
    tone = (
        ffmpeg_graph.input(f"sine=frequency={frequency}:sample_rate={sample_rate}:duration={duration:.3f}", f="lavfi")
        .filter("volume", volume=level * 8)  # the sine source's own amplitude is 1/8
        .filter("volume", volume=0, enable=f"not({expr})")
    )
    mixed = ffmpeg_graph.filter([muted, tone], "amix", inputs=2, duration="first", normalize=0)
    args = {"acodec": "aac", "audio_bitrate": audio_bitrate, "ar": sample_rate, "movflags": "+faststart"}
    if has_video:
        return ffmpeg_graph.output(inp["v:0"], mixed, str(dest), vcodec="copy", **args)
    return ffmpeg_graph.output(mixed, str(dest), vn=None, **args)


def bleep(src: Path, dest: Path, spans: list[tuple[float, float]], *, audio_bitrate: str = "128k") -> Path:
    """Write ``dest`` (MP4/M4A): ``src`` with a tone in place of the sound over ``spans`` (seconds).

    The output is written under a temporary name and renamed, so ``dest`` is never half-written."""
    src, dest = Path(src), Path(dest)
    info = probe(src)
    if not info.has_audio:
        raise MediaError(f"{src} has no audio to bleep", hint="pass the published audio or video file")
    duration = float(info.duration or 0.0)
    spans = _clean(spans, duration)
    sample_rate = int(getattr(info, "sample_rate", 0) or 48000)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.stem}.partial{dest.suffix}")
    graph = build(
        src,
        partial,
        spans,
        duration=duration or 1.0,
        has_video=bool(info.has_video),
        sample_rate=sample_rate,
        audio_bitrate=audio_bitrate,
    )
    try:
        ffmpeg.run(ffmpeg.compile_graph(graph), path_for_errors=src)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest
