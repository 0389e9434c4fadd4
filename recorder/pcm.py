"""Decode a piece of media to raw 16 kHz mono float32 samples (for live transcription of capture segments).

ffmpeg runs through :mod:`recorder.ffmpeg`; the samples come back as bytes (``numpy.frombuffer(data,
numpy.float32)`` makes an array of them), so this module needs no numpy.
"""

from __future__ import annotations

from pathlib import Path

import ffmpeg as ffmpeg_graph

from recorder import ffmpeg

SAMPLE_RATE = 16_000


def decode_pcm(src: Path, *, sample_rate: int = SAMPLE_RATE, timeout: float | None = 120) -> bytes:
    """The first audio track of ``src`` as little-endian float32 samples, mono, ``sample_rate`` Hz.

    Raises :class:`~recorder.errors.FFmpegError` when ffmpeg cannot decode it (empty or damaged file).
    """
    src = Path(src)
    stream = ffmpeg_graph.input(str(src))["a:0"].output("pipe:", f="f32le", acodec="pcm_f32le", ac=1, ar=sample_rate)
    return ffmpeg.run(ffmpeg.compile_graph(stream), path_for_errors=src, timeout=timeout).stdout
