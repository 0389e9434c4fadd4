"""recorder.progressive: one ffmpeg fed TS segments through a pipe makes gapless, gain-applied AAC and
reports the loudness of the whole stream."""

from __future__ import annotations

from pathlib import Path

import ffmpeg as fg
import numpy as np

from recorder import ffmpeg
from recorder.normalize import Loudnorm, measure_loudnorm
from recorder.probe import probe
from recorder.progressive import ProgressiveAudio, faststart
from tests.recorder.media import require_speech


def _segments(tmp: Path) -> list[Path]:
    """A capture's segments: one continuous AAC stream (11 s of speech, -20 dB) cut into 2 s TS pieces."""
    src = require_speech()
    cont = tmp / "cont.ts"
    ffmpeg.run(
        ffmpeg.compile_graph(
            fg.input(str(src))["a"]
            .filter("volume", "-20dB")
            .output(str(cont), acodec="aac", ar=48000, ac=2, f="mpegts")
        )
    )
    ffmpeg.run(
        ffmpeg.compile_graph(
            fg.input(str(cont)).output(
                str(tmp / "seg-%06d.ts"),
                c="copy",
                f="segment",
                segment_time=2,
                reset_timestamps=1,
                segment_format="mpegts",
            )
        )
    )
    return sorted(tmp.glob("seg-*.ts"))


def _pcm(path: Path, gain_db: float = 0.0) -> np.ndarray:
    out = fg.input(str(path))["a:0"].filter("volume", f"{gain_db}dB").output("pipe:", f="f32le", ac=1, ar=48000)
    return np.frombuffer(ffmpeg.run(ffmpeg.compile_graph(out)).stdout, dtype=np.float32)


def test_progressive_audio_is_gapless_and_on_target(tmp_path: Path) -> None:
    segs = _segments(tmp_path)
    assert len(segs) >= 4
    target = Loudnorm(integrated=-23.0)
    enc = ProgressiveAudio.start(tmp_path / "a.stream.m4a", segs[:-2], target)
    assert enc is not None and enc.gain_db > 3
    for s in segs[-2:]:
        enc.feed(s)
    r = enc.finish()
    assert r.within(target, 1.0), r  # the gain came from the first segments: near, not exact
    out = faststart(r.path, tmp_path / "audio.m4a")
    assert out.read_bytes()[4:8] == b"ftyp" and b"moov" in out.read_bytes()[:4096]
    m = measure_loudnorm(out)
    assert abs(m["input_i"] - (-23.0)) <= 1.0, m
    assert probe(out).audio_codec == "aac"
    # No gap or click at the joins: the output (gain taken off) follows the source sample by sample.
    ref, got = _pcm(tmp_path / "cont.ts"), _pcm(out, -r.gain_db)
    a = ref[48000:96000]
    lag = min(range(-3072, 3073), key=lambda k: float(np.sum((got[48000 + k : 96000 + k] - a) ** 2)))
    ref, got = (ref, got[lag:]) if lag >= 0 else (ref[-lag:], got)
    n = min(len(ref), len(got))
    assert abs(len(ref) - len(got)) < 4096
    w = 480  # 10 ms windows
    err = ((ref[:n] - got[:n]) ** 2)[: n // w * w].reshape(-1, w).mean(1)
    sig = (ref[:n] ** 2)[: n // w * w].reshape(-1, w).mean(1)
    loud = sig > 10 ** (-45 / 10)
    snr = 10 * np.log10(sig[loud] / np.maximum(err[loud], 1e-12))
    assert np.median(snr) > 15 and snr.min() > 3, (np.median(snr), snr.min())
