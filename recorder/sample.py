"""A sample briefing recording made on the spot: speech synthesized by espeak-ng, muxed into a web MP4.

Used by ``briefing demo`` so that a fresh machine with no recording of its own can run the whole job.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import ffmpeg as ffmpeg_graph

from recorder import ffmpeg
from recorder.errors import RecorderError


def find_espeak() -> str:
    for name in ("espeak-ng", "espeak"):
        found = shutil.which(name)
        if found:
            return found
    raise RecorderError(
        "espeak-ng not found: the demo needs it to speak its sample briefing",
        hint="install it (Debian/Ubuntu: sudo apt-get install espeak-ng; macOS: brew install espeak-ng),"
        " or process a recording of your own with `briefing process FILE`",
    )


def speak(text: str, dest: Path, *, voice: str = "en", words_per_minute: int = 150) -> Path:
    """Synthesize ``text`` to a WAV file at ``dest`` (atomically)."""
    espeak = find_espeak()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.stem + ".partial.wav")
    try:  # recorder.ffmpeg.run is the package's one subprocess call (argv list, no shell)
        ffmpeg.run([espeak, "-v", voice, "-s", str(words_per_minute), "-w", str(tmp), text], path_for_errors=dest)
    except RecorderError as exc:
        tmp.unlink(missing_ok=True)
        raise RecorderError(
            f"espeak-ng could not speak the sample ({exc.message})",
            hint="check the espeak-ng installation and its voice for this language",
        ) from exc
    if not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        raise RecorderError(
            "espeak-ng could not speak the sample (it wrote nothing)",
            hint="check the espeak-ng installation and its voice for this language",
        )
    os.replace(tmp, dest)
    return dest


def make_sample_recording(
    text: str, dest: Path, *, voice: str = "en", width: int = 1280, height: int = 720, color: str = "0x12355b"
) -> Path:
    """A 720p H.264/AAC MP4 (faststart) with a plain backdrop and the spoken ``text``."""
    wav = dest.with_name(dest.stem + ".speech.wav")
    speak(text, wav, voice=voice)
    tmp = dest.with_name(dest.stem + ".partial" + dest.suffix)
    video = ffmpeg_graph.input(f"color=c={color}:s={width}x{height}:r=25", f="lavfi")
    audio = ffmpeg_graph.input(str(wav))
    out = ffmpeg_graph.output(
        video,
        audio,
        str(tmp),
        vcodec="libx264",
        pix_fmt="yuv420p",
        preset="veryfast",
        tune="stillimage",
        acodec="aac",
        ar=48000,
        ac=2,
        shortest=None,
        movflags="+faststart",
    )
    try:
        ffmpeg.run(ffmpeg.compile_graph(out), path_for_errors=dest)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
        wav.unlink(missing_ok=True)
    return dest
