"""Loudness-normalized web audio made progressively while a capture records (MPEG-TS segments).

The web audio of a finished recording needs a loudness measurement over its whole length and one AAC
encode of its whole length (:func:`recorder.normalize.make_web_audio`): about a minute for a 20-minute
briefing on two cores, all of it after the briefing ended. Here the same work is spread over the capture:

    enc = ProgressiveAudio.start(dest, segments[:6], target=Loudnorm())   # gain from the first minute
    enc.feed(segment)                                                     # each finished segment
    result = enc.finish()                                                 # after the last one: seconds

- ONE ffmpeg process decodes the segments' bytes (the TS segments of one capture concatenate into one
  continuous stream: one decoder, no priming gap or click at the joins), measures EBU R128 loudness
  (``ebur128``, integrated and true peak over the whole stream) *before* applying one constant gain
  (``volume``), and encodes AAC into an MP4 as the segments arrive.
- The gain is chosen from the first segments (:func:`measure_loudness`). :meth:`running` reads the
  integrated loudness so far from the encoder's log, so the caller can start again with a better gain
  while the capture runs (the integrated loudness settles as the briefing goes on). :meth:`finish`
  reports the loudness of the whole stream, so the caller can check the output lands on the target
  (:meth:`ProgressiveResult.within`) and otherwise make the web audio the ordinary way.
- :func:`faststart` remuxes the result (stream copy) with the moov atom first.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_graph

from recorder import ffmpeg
from recorder.errors import MediaError
from recorder.normalize import Loudnorm, _atomic

_I_RE = re.compile(r"Integrated loudness:\s*I:\s*(-?inf|-?[0-9.]+)\s*LUFS", re.S)
_TP_RE = re.compile(r"True peak:\s*Peak:\s*(-?inf|-?[0-9.]+)\s*dBFS", re.S)
_RUNNING_I_RE = re.compile(r"\bI:\s*(-?[0-9.]+)\s*LUFS")
SILENCE_LUFS = -70.0


def _summary(text: str) -> tuple[float, float]:
    """(integrated LUFS, true peak dBFS) from the last ``ebur128`` summary in an ffmpeg log."""
    i = _I_RE.findall(text)
    tp = _TP_RE.findall(text)
    if not i:
        raise MediaError("ffmpeg printed no loudness summary", hint="check the audio decodes")
    return float(i[-1]), float(tp[-1]) if tp else -math.inf


def _concat_url(paths: list[Path]) -> str:
    return "concat:" + "|".join(str(p) for p in paths)


def measure_loudness(paths: list[Path], *, timeout: float | None = 120) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBFS) of the first audio track of the TS segments
    ``paths`` played one after the other (ffmpeg's concat protocol: their bytes joined)."""
    if not paths:
        raise ValueError("no segments to measure")
    stream = (
        ffmpeg_graph.input(_concat_url(paths), f="mpegts")["a:0"]
        .filter("ebur128", peak="true", framelog="verbose")
        .output("-", f="null")
    )
    proc = ffmpeg.run(ffmpeg.compile_graph(stream, loglevel="info"), path_for_errors=paths[0], timeout=timeout)
    return _summary(proc.stderr.decode("utf-8", "replace"))


def gain_for(integrated: float, target: Loudnorm) -> float | None:
    """The constant gain (dB) that brings ``integrated`` to the target; None for digital silence."""
    if not math.isfinite(integrated) or integrated < SILENCE_LUFS:
        return None
    return round(target.integrated - integrated, 2)


@dataclass(frozen=True)
class ProgressiveResult:
    path: Path  # the encoded MP4 audio (moov at the end: see :func:`faststart`)
    gain_db: float  # the gain applied
    integrated: float  # LUFS of the whole input, before the gain
    true_peak: float  # dBFS of the whole input, before the gain

    @property
    def output_integrated(self) -> float:
        return self.integrated + self.gain_db

    def within(self, target: Loudnorm, tolerance: float = 0.5) -> bool:
        """The output is at the target (± ``tolerance`` LU) and its true peak under the target's."""
        return (
            math.isfinite(self.integrated)
            and abs(self.output_integrated - target.integrated) <= tolerance
            and self.true_peak + self.gain_db <= target.true_peak
        )


class ProgressiveAudio:
    """One long-running ffmpeg fed with the bytes of TS segments; see the module docstring."""

    def __init__(
        self, dest: Path, gain_db: float, *, channels: int = 2, bitrate: str = "128k", sample_rate: int = 48_000
    ) -> None:
        self.dest = Path(dest)
        self.gain_db, self.channels = gain_db, channels
        self.log = self.dest.with_suffix(".log")
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self.dest.unlink(missing_ok=True)
        self.log.unlink(missing_ok=True)
        audio = (
            ffmpeg_graph.input("pipe:0", f="mpegts")["a:0"]
            .filter("asetpts", "N/SR/TB")  # the segments restart their clocks: count samples instead
            .filter("ebur128", peak="true")  # a line per 100 ms: the running integrated loudness
            .filter("volume", f"{gain_db:.2f}dB")
        )
        stream = audio.output(
            str(self.dest), f="mp4", acodec="aac", audio_bitrate=bitrate, ac=max(1, min(channels, 2)), ar=sample_rate
        )
        self.proc = ffmpeg.spawn(ffmpeg.compile_graph(stream, loglevel="info"), log_path=self.log, stdin_pipe=True)
        self.fed: list[Path] = []

    @classmethod
    def start(cls, dest: Path, first: list[Path], target: Loudnorm, **kw: Any) -> ProgressiveAudio | None:
        """Measure ``first`` (the first segments), start the encoder with the gain to the target and
        feed them. None when they are digitally silent (nothing to normalize)."""
        integrated, _ = measure_loudness(first)
        gain = gain_for(integrated, target)
        if gain is None:
            return None
        enc = cls(dest, gain, sample_rate=target.sample_rate, **kw)
        for p in first:
            enc.feed(p)
        return enc

    def feed(self, segment: Path) -> None:
        """Write a finished segment into the encoder (returns once the pipe has taken it: the encoder keeps
        up with the capture; a queue here let a loaded machine pile up work for the end)."""
        assert self.proc.stdin is not None
        try:
            with open(segment, "rb") as f:
                while block := f.read(1 << 20):
                    self.proc.stdin.write(block)
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise MediaError(f"the progressive audio encoder stopped ({self._tail()})", path=str(segment)) from None
        self.fed.append(Path(segment))

    def running(self) -> float | None:
        """The integrated loudness (LUFS, before the gain) of what the encoder has taken in so far."""
        try:
            with open(self.log, "rb") as f:
                f.seek(max(0, f.seek(0, 2) - 4096))
                found = _RUNNING_I_RE.findall(f.read().decode("utf-8", "replace"))
        except OSError:
            return None
        return float(found[-1]) if found else None

    def _tail(self) -> str:
        try:
            lines = [ln for ln in self.log.read_text("utf-8", "replace").splitlines() if ln.strip()]
            return lines[-1] if lines else "no message"
        except OSError:
            return "no log"

    def finish(self, timeout: float = 300) -> ProgressiveResult:
        """End the input, wait for the encoder, and report the loudness of everything fed."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except BrokenPipeError:
            pass
        rc = self.proc.wait(timeout)
        if rc != 0 or not self.dest.is_file():
            raise MediaError(f"the progressive audio encoder failed: {self._tail()}", path=str(self.dest))
        integrated, peak = _summary(self.log.read_text("utf-8", "replace"))
        return ProgressiveResult(self.dest, self.gain_db, integrated, peak)

    def abort(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        self.proc.kill()
        self.proc.wait()


def faststart(src: Path, dest: Path, *, timeout: float | None = 600) -> Path:
    """Remux the AAC of ``src`` (stream copy) into an ``.m4a`` with ``+faststart`` at ``dest``, atomically."""
    src, dest = Path(src), Path(dest)
    with _atomic(dest) as partial:
        stream = ffmpeg_graph.input(str(src))["a:0"].output(
            str(partial), f="ipod", acodec="copy", movflags="+faststart"
        )
        ffmpeg.run(ffmpeg.compile_graph(stream), path_for_errors=src, timeout=timeout)
    return dest
