"""What is in a media file: :func:`probe` → :class:`MediaInfo` (ffprobe JSON)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from recorder import ffmpeg
from recorder.errors import FFmpegError, MediaError

# Top-level ISO-BMFF box types that may open an MP4/MOV/M4A file.
_MP4_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"styp", b"sidx", b"moof"}


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float  # seconds, > 0
    format_name: str  # ffprobe's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    has_video: bool  # a real picture stream (cover art does not count)
    has_audio: bool
    video_codec: str | None
    width: int | None  # display width (rotation applied)
    height: int | None  # display height (rotation applied)
    fps: float | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None
    size: int  # bytes
    pix_fmt: str | None = None
    rotation: int = 0  # degrees the player must rotate the stored picture
    bit_rate: int | None = None

    @property
    def is_audio_only(self) -> bool:
        return self.has_audio and not self.has_video


def mp4_boxes(path: Path) -> list[tuple[str, int, int]]:
    """Top-level ISO-BMFF boxes as ``(type, offset, size)``; stops at the first malformed box.

    A declared size running past the end of the file is reported as is; callers compare it
    with the file size to detect truncation.
    """
    boxes: list[tuple[str, int, int]] = []
    total = os.path.getsize(path)
    with open(path, "rb") as f:
        offset = 0
        while offset + 8 <= total:
            f.seek(offset)
            header = f.read(8)
            size = int.from_bytes(header[:4], "big")
            kind = header[4:8]
            if size == 1:
                ext = f.read(8)
                if len(ext) < 8:
                    break
                size = int.from_bytes(ext, "big")
            elif size == 0:
                size = total - offset
            if size < 8 or not all(32 <= b < 127 for b in kind):
                break
            boxes.append((kind.decode("ascii"), offset, size))
            offset += size
    return boxes


def _looks_like_mp4(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(8)
    return len(head) == 8 and head[4:8] in _MP4_BOXES


def _mp4_truncated(path: Path, size: int) -> bool:
    boxes = mp4_boxes(path)
    if not boxes:
        return False
    kind, offset, length = boxes[-1]
    return offset + length > size


def _fraction(value: str | None) -> float | None:
    if not value or value in ("0/0", "N/A"):
        return None
    try:
        f = Fraction(value)
    except (ValueError, ZeroDivisionError):
        return None
    return float(f) if f > 0 else None


def _float(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if v == v and v not in (float("inf"), float("-inf")) else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _rotation(stream: dict[str, Any]) -> int:
    rot = _int((stream.get("tags") or {}).get("rotate"))
    if rot is None:
        for side in stream.get("side_data_list") or []:
            if "rotation" in side:
                rot = _int(side.get("rotation"))
                break
    return int(rot or 0) % 360


def _fail(path: Path, message: str, hint: str, exc: FFmpegError | None = None) -> MediaError:
    if exc is not None:
        return FFmpegError(
            message, hint=hint, path=str(path), stderr_tail=exc.stderr_tail, returncode=exc.returncode, argv=exc.argv
        )
    return MediaError(message, hint=hint, path=str(path))


def probe(path: Path | str, *, require_audio: bool = True, timeout: float | None = 60.0) -> MediaInfo:
    """Describe a media file. Raises :class:`MediaError` (one line, naming the file) when it is
    missing, empty, not media, truncated/corrupt, without an audio track, or of unknown duration."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"no such file: {path}", hint="check the path", path=str(path))
    if not path.is_file():
        raise MediaError(f"{path} is not a file", hint="give the path of a recording, not a directory", path=str(path))
    size = path.stat().st_size
    if size == 0:
        raise MediaError(
            f"{path} is empty (0 bytes)",
            hint="the recording was not saved; record again or pick another file",
            path=str(path),
        )

    argv = [
        "ffprobe",
        "-hide_banner",
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "-i",
        str(path),
    ]
    try:
        proc = ffmpeg.run(argv, path_for_errors=path, timeout=timeout)
    except FFmpegError as exc:
        text = " ".join(exc.stderr_tail).lower()
        if _looks_like_mp4(path) and ("moov atom not found" in text or "invalid data" in text):
            raise _fail(
                path,
                f"{path} is truncated or corrupt (moov atom not found)",
                "the recording was probably interrupted before it was finished; "
                "use the recorder's complete file or record again",
                exc,
            ) from None
        if "invalid data" in text or "could not find codec" in text or "unknown format" in text:
            raise _fail(
                path,
                f"{path} is not a media file ffmpeg can read",
                "check you picked the recording (a video or audio file)",
                exc,
            ) from None
        if "permission denied" in text:
            raise _fail(path, f"{path} cannot be read (permission denied)", "fix the file's permissions", exc) from None
        raise _fail(
            path,
            f"{path} could not be read: {exc.stderr_tail[-1] if exc.stderr_tail else 'ffprobe failed'}",
            "check the file plays in a media player; re-export or re-record it if not",
            exc,
        ) from None

    try:
        data = json.loads(proc.stdout.decode("utf-8", "replace") or "{}")
    except json.JSONDecodeError:
        raise MediaError(
            f"{path} could not be read (ffprobe gave no description)",
            hint="check the file plays in a media player",
            path=str(path),
        ) from None

    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    format_name = str(fmt.get("format_name") or "")

    if "mp4" in format_name or "mov" in format_name:
        if _mp4_truncated(path, size):
            raise MediaError(
                f"{path} is truncated (the file ends inside its media data)",
                hint="the recording was probably interrupted or only partly copied; copy it again or record again",
                path=str(path),
            )

    videos = [
        s for s in streams if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]

    if not videos and not audios:
        raise MediaError(
            f"{path} has no audio or video streams",
            hint="check you picked the recording (a video or audio file)",
            path=str(path),
        )
    if not audios and require_audio:
        raise MediaError(
            f"{path} has no audio track", hint="a briefing needs sound; check the recording settings", path=str(path)
        )

    v = videos[0] if videos else None
    a = audios[0] if audios else None

    duration = _float(fmt.get("duration"))
    if not duration:
        candidates = [_float(s.get("duration")) for s in (a, v) if s]
        duration = max((c for c in candidates if c), default=None)
    if not duration or duration <= 0:
        raise MediaError(
            f"{path} has no duration (0 s or unknown)",
            hint="the recording is empty or was not finalised; record again or re-export it",
            path=str(path),
        )

    width = height = None
    rotation = 0
    fps = None
    if v is not None:
        width, height = _int(v.get("width")), _int(v.get("height"))
        rotation = _rotation(v)
        if rotation in (90, 270) and width and height:
            width, height = height, width
        fps = _fraction(v.get("avg_frame_rate")) or _fraction(v.get("r_frame_rate"))

    return MediaInfo(
        path=path,
        duration=float(duration),
        format_name=format_name,
        has_video=v is not None,
        has_audio=a is not None,
        video_codec=v.get("codec_name") if v else None,
        width=width,
        height=height,
        fps=fps,
        audio_codec=a.get("codec_name") if a else None,
        sample_rate=_int(a.get("sample_rate")) if a else None,
        channels=_int(a.get("channels")) if a else None,
        size=size,
        pix_fmt=v.get("pix_fmt") if v else None,
        rotation=rotation,
        bit_rate=_int(fmt.get("bit_rate")),
    )
