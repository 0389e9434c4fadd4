"""Test media built with ffmpeg at test time (no binary fixtures in the repository).

Each generator takes the destination path first and returns it. Real speech comes from
``../shared/speech`` relative to the repository root (read in place, never copied into the repo);
:func:`speech_clip` raises ``FileNotFoundError`` when it is absent — tests turn that into a skip
(see :func:`require_speech`).

Usable from any test suite::

    from tests.recorder.media import make_video_with_speech, speech_clip
"""

from __future__ import annotations

import os
from pathlib import Path

import ffmpeg as ffmpeg_graph

from recorder import ffmpeg

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEECH_DIR = Path(os.environ.get("BRIEFING_TEST_SPEECH_DIR", REPO_ROOT.parent / "shared" / "speech"))
DEFAULT_SPEECH = "en_jfk.flac"  # 11 s of John F. Kennedy, 16 kHz mono FLAC


def speech_clip(name: str = DEFAULT_SPEECH) -> Path:
    """Path of a real speech clip in ../shared/speech; FileNotFoundError if absent."""
    path = SPEECH_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"speech clip not found: {path}")
    return path


def require_speech(name: str = DEFAULT_SPEECH) -> Path:
    """Like :func:`speech_clip` but skips the calling test when the clip is absent."""
    try:
        return speech_clip(name)
    except FileNotFoundError as exc:
        import pytest

        pytest.skip(str(exc))


def _run(stream) -> None:
    ffmpeg.run(ffmpeg.compile_graph(stream))


def _prepare(dest) -> Path:
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest


def _video_source(size: str, fps: int, duration: float | None):
    kwargs = {"f": "lavfi"}
    if duration is not None:
        kwargs["t"] = f"{duration:.3f}"
    return ffmpeg_graph.input(f"testsrc=size={size}:rate={fps}", **kwargs)


def _speech_source(speech: Path | None, duration: float | None):
    speech = Path(speech) if speech else speech_clip()
    kwargs = {}
    if duration is not None:
        kwargs["stream_loop"] = -1  # loop the clip to fill a long video
    return ffmpeg_graph.input(str(speech), **kwargs)["a:0"]


def make_video_with_speech(
    dest,
    *,
    speech: Path | None = None,
    duration: float | None = None,
    size: str = "320x240",
    fps: int = 25,
    vcodec: str = "libx264",
    acodec: str = "aac",
    pix_fmt: str = "yuv420p",
    faststart: bool = False,
    x264_preset: str = "ultrafast",
    x264_crf: int = 35,
    extra: dict | None = None,
) -> Path:
    """testsrc video with a real speech clip as its sound (H.264/AAC MP4 by default).

    ``duration`` None → the length of the clip; otherwise the clip loops to fill it.
    The container follows ``dest``'s suffix (``.mp4``, ``.mkv``, ``.webm`` ...).
    """
    dest = _prepare(dest)
    video = _video_source(size, fps, duration)
    audio = _speech_source(speech, duration)
    args: dict = {"vcodec": vcodec, "acodec": acodec, "pix_fmt": pix_fmt}
    if duration is None:
        args["shortest"] = None
    else:
        args["t"] = f"{duration:.3f}"
    if vcodec == "libx264":
        args.update(preset=x264_preset, crf=x264_crf)
    elif vcodec == "libvpx-vp9":
        args.update(deadline="realtime", **{"cpu-used": 8, "b:v": "0", "crf": 40, "row-mt": 1})
    if acodec == "aac":
        args["audio_bitrate"] = "96k"
    elif acodec == "libopus":
        args["audio_bitrate"] = "64k"
    if faststart:
        args["movflags"] = "+faststart"
    args.update(extra or {})
    _run(ffmpeg_graph.output(video, audio, str(dest), **args))
    return dest


def make_webm_vp9_opus(
    dest, *, speech: Path | None = None, duration: float | None = None, size: str = "320x240", fps: int = 25
) -> Path:
    """VP9 video + Opus audio in WebM — never web-MP4-compatible, so it must be transcoded."""
    return make_video_with_speech(
        dest, speech=speech, duration=duration, size=size, fps=fps, vcodec="libvpx-vp9", acodec="libopus"
    )


def make_video_without_audio(dest, *, duration: float = 2.0, size: str = "320x240", fps: int = 25) -> Path:
    """H.264 MP4 with a video stream and no audio stream."""
    dest = _prepare(dest)
    stream = _video_source(size, fps, duration).output(
        str(dest), vcodec="libx264", preset="ultrafast", pix_fmt="yuv420p", an=None
    )
    _run(stream)
    return dest


def make_tone_video(dest, *, duration: float = 4.0, frequency: int = 440, size: str = "320x240", fps: int = 25) -> Path:
    """testsrc video with a sine tone as its sound, H.264/AAC MP4 with its index first (no speech clip needed)."""
    dest = _prepare(dest)
    video = _video_source(size, fps, duration)
    audio = ffmpeg_graph.input(f"sine=frequency={frequency}:duration={duration}", f="lavfi")
    _run(
        ffmpeg_graph.output(
            video,
            audio,
            str(dest),
            vcodec="libx264",
            pix_fmt="yuv420p",
            acodec="aac",
            shortest=None,
            movflags="+faststart",
        )
    )
    return dest


def make_sine(dest, *, duration: float = 3.0, frequency: int = 440, sample_rate: int = 44_100) -> Path:
    """A sine tone (format from the suffix: .wav, .mp3, .m4a, .flac ...)."""
    dest = _prepare(dest)
    src = ffmpeg_graph.input(f"sine=frequency={frequency}:sample_rate={sample_rate}:duration={duration}", f="lavfi")
    _run(src.output(str(dest)))
    return dest


def make_silence(dest, *, duration: float = 3.0, sample_rate: int = 16_000, channels: int = 1) -> Path:
    """Digital silence (anullsrc)."""
    dest = _prepare(dest)
    layout = "mono" if channels == 1 else "stereo"
    src = ffmpeg_graph.input(
        f"anullsrc=channel_layout={layout}:sample_rate={sample_rate}", f="lavfi", t=f"{duration:.3f}"
    )
    _run(src.output(str(dest)))
    return dest


def make_mp3(dest, *, speech: Path | None = None, cover_art: bool = False) -> Path:
    """Audio-only MP3 of a real speech clip; with ``cover_art`` an attached picture is embedded."""
    dest = _prepare(dest)
    audio = ffmpeg_graph.input(str(Path(speech) if speech else speech_clip()))["a:0"]
    args: dict = {"acodec": "libmp3lame", "audio_bitrate": "64k", "id3v2_version": 3}
    streams = [audio]
    if cover_art:
        pic = ffmpeg_graph.input("testsrc=size=200x200:rate=1", f="lavfi", t="1")["v:0"]
        streams.append(pic)
        args.update({"vcodec": "mjpeg", "vframes": 1, "disposition:v": "attached_pic", "metadata:s:v": "title=Cover"})
    _run(ffmpeg_graph.output(*streams, str(dest), **args))
    return dest


def make_text_file(dest, text: str = "this is not a video\n") -> Path:
    """A text file (name it .mp4 to pretend it is a video)."""
    dest = _prepare(dest)
    dest.write_text(text)
    return dest


def make_empty_file(dest) -> Path:
    dest = _prepare(dest)
    dest.write_bytes(b"")
    return dest


def make_truncated_mp4(dest, *, faststart: bool = False, speech: Path | None = None) -> Path:
    """A real H.264/AAC MP4 cut in half (as if the recorder died mid-write).

    Without faststart the moov atom (at the end) is lost; with it the media data is cut short.
    """
    dest = _prepare(dest)
    whole = dest.with_name(dest.stem + ".whole.mp4")
    make_video_with_speech(whole, speech=speech, faststart=faststart)
    data = whole.read_bytes()
    whole.unlink()
    dest.write_bytes(data[: len(data) // 2])
    return dest


def mp4_box_order(path) -> list[str]:
    """Top-level ISO-BMFF box types in file order, e.g. ``['ftyp', 'moov', 'free', 'mdat']``."""
    order = []
    total = os.path.getsize(path)
    with open(path, "rb") as f:
        offset = 0
        while offset + 8 <= total:
            f.seek(offset)
            header = f.read(8)
            size = int.from_bytes(header[:4], "big")
            if size == 1:
                size = int.from_bytes(f.read(8), "big")
            elif size == 0:
                size = total - offset
            if size < 8:
                break
            order.append(header[4:8].decode("latin-1"))
            offset += size
    return order
