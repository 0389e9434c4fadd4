"""Bleeping spans of real speech: the span becomes a 1 kHz tone, the rest is unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recorder import ffmpeg
from recorder.bleep import bleep, spans_expression
from recorder.probe import probe


def decode(path: Path, sr: int = 16000) -> np.ndarray:
    out = ffmpeg.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(sr), "-f", "f32le", "-"]
    ).stdout
    return np.frombuffer(out, dtype=np.float32)


def rms_db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12)


def tone_ratio(x: np.ndarray, sr: int = 16000, hz: float = 1000) -> float:
    """Share of the energy within ±30 Hz of ``hz``."""
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / sr)
    return float(spec[(freqs > hz - 30) & (freqs < hz + 30)].sum() / spec.sum())


@pytest.fixture
def speech_m4a(speech_dir: Path, tmp_path: Path) -> Path:
    src = tmp_path / "jfk.m4a"
    ffmpeg.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(speech_dir / "en_jfk.flac"),
            "-ac",
            "1",
            "-ar",
            "48000",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            str(src),
        ]
    )
    return src


def test_expression() -> None:
    assert spans_expression([(1, 2.5)]) == "between(t,1.000,2.500)"
    assert spans_expression([]) == "0"


def test_bleep_real_speech(speech_m4a: Path, tmp_path: Path) -> None:
    out = bleep(speech_m4a, tmp_path / "out.m4a", [(3.0, 4.5), (7.0, 8.0)])
    sr = 16000
    a, b = decode(speech_m4a), decode(out)
    assert abs(len(a) - len(b)) < sr * 0.1  # same length
    assert abs(probe(out).duration - probe(speech_m4a).duration) < 0.1
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    for s, e in ((3.0, 4.5), (7.0, 8.0)):
        inside = b[int((s + 0.05) * sr) : int((e - 0.05) * sr)]
        assert tone_ratio(inside) > 0.95  # only the tone is left
        assert tone_ratio(a[int(s * sr) : int(e * sr)]) < 0.2  # the speech that was there
        assert -22 < rms_db(inside) < -16  # the tone's level (0.12 amplitude ≈ -21.4 dB RMS)
    for s, e in ((0.5, 2.8), (4.8, 6.8), (8.3, 10.5)):  # outside the spans: the same sound
        x, y = a[int(s * sr) : int(e * sr)], b[int(s * sr) : int(e * sr)]
        assert abs(rms_db(x) - rms_db(y)) < 0.5
        assert np.corrcoef(x, y)[0, 1] > 0.98
    assert tmp_path.joinpath("out.m4a").is_file() and not list(tmp_path.glob(".*partial*"))


def test_bleep_keeps_video_stream(tmp_path: Path) -> None:
    src = tmp_path / "v.mp4"
    ffmpeg.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=10:duration=3",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=300:duration=3:sample_rate=48000",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(src),
        ]
    )
    out = bleep(src, tmp_path / "o.mp4", [(1.0, 2.0)])
    i = probe(out)
    assert i.has_video and i.video_codec == "h264" and i.width == 160
    y = decode(out)
    assert tone_ratio(y[int(1.1 * 16000) : int(1.9 * 16000)]) > 0.95
    assert tone_ratio(y[int(2.2 * 16000) : int(2.9 * 16000)]) < 0.05  # the 300 Hz sine is back
