"""Media in, media out: probe, normalize, capture, Jibri. Knows nothing of briefings.

Public API::

    from recorder.probe import probe
    from recorder.normalize import normalize, NormalizeOptions
    info = probe(path)                      # MediaInfo, or MediaError naming the file
    media = normalize(path, out_dir)        # speech.wav, audio.m4a, video.mp4, poster.jpg

(``probe`` and ``normalize`` are not re-exported here: they would shadow their submodules.)

The parts (:func:`extract_speech_audio`, :func:`make_web_video`, :func:`make_web_audio`,
:func:`make_poster`) can be run separately, e.g. speech first, then video beside transcription.
Only :mod:`recorder.ffmpeg` runs subprocesses.
"""

from recorder.errors import FFmpegError, MediaError, RecorderError, ToolNotFound
from recorder.ffmpeg import find_tool
from recorder.ffmpeg import version as ffmpeg_version
from recorder.normalize import (
    Loudness,
    Loudnorm,
    NormalizedMedia,
    NormalizeOptions,
    WebVideoPlan,
    extract_speech_audio,
    is_silent,
    loudness,
    make_poster,
    make_web_audio,
    make_web_video,
    plan_web_video,
)
from recorder.probe import MediaInfo

__all__ = [
    "FFmpegError",
    "Loudness",
    "Loudnorm",
    "MediaError",
    "MediaInfo",
    "NormalizeOptions",
    "NormalizedMedia",
    "RecorderError",
    "ToolNotFound",
    "WebVideoPlan",
    "extract_speech_audio",
    "ffmpeg_version",
    "find_tool",
    "is_silent",
    "loudness",
    "make_poster",
    "make_web_audio",
    "make_web_video",
    "plan_web_video",
]
