"""Turn any recording into the media a briefing page needs.

- :func:`extract_speech_audio` — 16 kHz mono 16-bit WAV for speech recognition;
- :func:`make_web_video` — H.264/AAC MP4 with ``+faststart`` (stream-copied when the source
  already fits, see :func:`plan_web_video`);
- :func:`make_web_audio` — AAC ``.m4a`` with ``+faststart``;
- :func:`make_poster` — one JPEG frame;
- :func:`normalize` — all of the above into one directory;
- :func:`loudness` / :func:`is_silent` — tell a silent recording.

Every output is written atomically: ffmpeg writes ``<stem>.partial<suffix>`` beside the
destination, which is renamed over the destination only when ffmpeg succeeded; on any
failure the partial file is removed.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_graph  # ffmpeg-python: builds command graphs; never runs them here

from recorder import ffmpeg
from recorder.errors import MediaError
from recorder.probe import MediaInfo, probe

SPEECH_SAMPLE_RATE = 16_000
WEB_VIDEO_CODEC = "h264"
WEB_AUDIO_CODEC = "aac"
WEB_PIX_FMT = "yuv420p"
POSTER_MAX_OFFSET = 30.0  # seconds: the fallback poster frame is at 10 % of the duration, at most this
POSTER_WINDOW = 180.0  # seconds: the representative poster frame is chosen among the key frames of these
SILENCE_THRESHOLD_DB = -50.0
TRUE_PEAK_MARGIN = 3.0  # dB: how far a true peak may be above the sample peak that is skipped for it


@dataclass(frozen=True)
class Loudnorm:
    """EBU R128 target for the published audio (ffmpeg ``loudnorm``, two passes)."""

    integrated: float = -23.0  # LUFS (EBU R128 broadcast; -16 is common for web/podcast listening)
    true_peak: float = -1.0  # dBTP
    lra: float = 11.0  # loudness range, LU
    sample_rate: int = 48_000  # loudnorm works at 192 kHz; resample the result to this


@dataclass(frozen=True)
class NormalizeOptions:
    video_height: int = 720  # maximum height of the web video (and poster)
    crf: int = 23  # x264 quality when re-encoding
    preset: str = "veryfast"  # x264 speed/size trade-off when re-encoding
    audio_bitrate: str = "128k"  # AAC bitrate when (re-)encoding audio
    poster_at: float | None = None  # seconds; None → a representative frame of the first minutes
    threads: int = 0  # encoder threads; 0 = ffmpeg decides
    timeout: float | None = None  # seconds per ffmpeg run; None = no limit
    loudnorm: Loudnorm | None = None  # normalize the published audio (web audio/video); speech WAV never
    nice: int = 0  # run ffmpeg at this lower priority (e.g. 10 beside speech recognition on the same cores)


@dataclass(frozen=True)
class WebVideoPlan:
    """How :func:`make_web_video` will produce the web MP4 from a given source."""

    copy_video: bool  # the H.264 stream is copied as is (no re-encode)
    copy_audio: bool  # the AAC stream is copied as is
    width: int  # output dimensions
    height: int
    reason: str  # why the video is (not) copied, for logs

    @property
    def copied(self) -> bool:
        """True when nothing is re-encoded: a remux with faststart only."""
        return self.copy_video and self.copy_audio


@dataclass(frozen=True)
class NormalizedMedia:
    info: MediaInfo
    speech_wav: Path
    web_audio: Path
    web_video: Path | None
    poster: Path | None
    video_plan: WebVideoPlan | None = None


@dataclass(frozen=True)
class Loudness:
    mean_db: float  # mean volume in dBFS (-inf for digital silence)
    max_db: float  # peak volume in dBFS


# ---------------------------------------------------------------------------------------------
# atomic output


def partial_path(dest: Path) -> Path:
    """The temporary name ffmpeg writes before the rename: ``video.mp4`` → ``video.partial.mp4``."""
    dest = Path(dest)
    return dest.with_name(f"{dest.stem}.partial{dest.suffix}")


@contextmanager
def _atomic(dest: Path) -> Iterator[Path]:
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(dest)
    try:
        yield partial
        if not partial.is_file() or partial.stat().st_size == 0:
            raise MediaError(
                f"ffmpeg wrote nothing for {dest}",
                hint="the input may hold no decodable frames; check it plays",
                path=str(dest),
            )
        with open(partial, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(partial, dest)
    except BaseException:
        try:
            partial.unlink()
        except FileNotFoundError:
            pass
        raise


def _run(stream: Any, src: Path, options: NormalizeOptions | None = None, *, loglevel: str = "error") -> Any:
    argv = ffmpeg.compile_graph(stream, loglevel=loglevel)
    return ffmpeg.run(
        argv, path_for_errors=src, timeout=options.timeout if options else None, nice=options.nice if options else 0
    )


def _even(n: float) -> int:
    return max(2, int(n) // 2 * 2)


def _scaled_size(info: MediaInfo, max_height: int) -> tuple[int, int]:
    if not info.width or not info.height:
        raise MediaError(
            f"{info.path} has a video stream of unknown size",
            hint="re-export the recording with a standard codec",
            path=str(info.path),
        )
    height = _even(min(info.height, max_height))
    width = _even(round(info.width * height / info.height / 2) * 2)
    return width, height


# ---------------------------------------------------------------------------------------------
# speech audio


def extract_speech_audio(src: Path, dest: Path, *, options: NormalizeOptions | None = None) -> Path:
    """Write the first audio track of ``src`` as 16 kHz mono s16le WAV at ``dest`` (atomically).

    The output is bit-exact (no encoder tag), so equal inputs give byte-identical WAVs.
    """
    src, dest = Path(src), Path(dest)
    with _atomic(dest) as partial:
        stream = ffmpeg_graph.input(str(src))["a:0"].output(
            str(partial),
            f="wav",
            acodec="pcm_s16le",
            ac=1,
            ar=SPEECH_SAMPLE_RATE,
            map_metadata=-1,
            fflags="+bitexact",
            **{"flags:a": "+bitexact"},
        )
        _run(stream, src, options)
    return dest


# ---------------------------------------------------------------------------------------------
# web video


def plan_web_video(info: MediaInfo, options: NormalizeOptions = NormalizeOptions()) -> WebVideoPlan:
    """Decide whether the source's streams can be copied into the web MP4.

    Video is copied when it is already H.264, yuv420p, even-sized and no taller than
    ``options.video_height``; audio when it is already AAC with at most two channels at ≤ 48 kHz.
    """
    if not info.has_video:
        raise MediaError(f"{info.path} has no video track", hint="make a web audio file instead", path=str(info.path))
    reasons = []
    if info.video_codec != WEB_VIDEO_CODEC:
        reasons.append(f"video codec is {info.video_codec}")
    if info.pix_fmt != WEB_PIX_FMT:
        reasons.append(f"pixel format is {info.pix_fmt}")
    if info.height and info.height > options.video_height:
        reasons.append(f"height {info.height} > {options.video_height}")
    if (info.width or 1) % 2 or (info.height or 1) % 2:
        reasons.append(f"odd size {info.width}x{info.height}")
    copy_video = not reasons
    copy_audio = (
        info.has_audio
        and info.audio_codec == WEB_AUDIO_CODEC
        and (info.channels or 0) <= 2
        and (info.sample_rate or 0) <= 48_000
    )
    if copy_video:
        width, height = int(info.width or 0), int(info.height or 0)
        reason = "source is H.264/yuv420p within size: stream copy"
    else:
        width, height = _scaled_size(info, options.video_height)
        reason = "re-encode: " + ", ".join(reasons)
    return WebVideoPlan(copy_video=copy_video, copy_audio=copy_audio, width=width, height=height, reason=reason)


def _audio_encode_args(info: MediaInfo, options: NormalizeOptions) -> dict[str, Any]:
    # ffmpeg's AAC encoder with its "fast" coder: half the CPU time of the default two-loop search, no
    # audible difference for speech at 128 kb/s; this runs beside recognition on the same cores.
    args = {
        "acodec": "aac",
        "aac_coder": "fast",
        "audio_bitrate": options.audio_bitrate,
        "ac": min(info.channels or 2, 2),
    }
    if info.sample_rate and info.sample_rate > 48_000:
        args["ar"] = 48_000
    return args


def make_web_video(
    src: Path,
    dest: Path,
    info: MediaInfo | None = None,
    options: NormalizeOptions = NormalizeOptions(),
    *,
    audio_from: Path | None = None,
) -> Path:
    """Write an H.264 (yuv420p) + AAC MP4 with the moov atom first (``+faststart``) at ``dest``.

    Fast path (see :func:`plan_web_video`): an H.264/AAC source is remuxed without re-encoding;
    if only its audio is not AAC, the video is copied and the audio encoded.

    ``audio_from``: an AAC file already made for the web (:func:`make_web_audio`, loudness-normalized)
    whose stream is copied in as the video's sound, so the audio is measured and encoded only once.
    """
    src, dest = Path(src), Path(dest)
    info = info or probe(src)
    plan = plan_web_video(info, options)
    inp = ffmpeg_graph.input(str(src))
    video = inp["v:0"]
    args: dict[str, Any] = {"f": "mp4", "movflags": "+faststart", "max_muxing_queue_size": 4096}
    if plan.copy_video:
        args["vcodec"] = "copy"
    else:
        video = video.filter("scale", plan.width, plan.height)
        args.update(
            vcodec="libx264",
            pix_fmt=WEB_PIX_FMT,
            crf=options.crf,
            preset=options.preset,
            threads=options.threads,
            **{"profile:v": "high"},
        )
    streams = [video]
    if audio_from is not None:
        streams.append(ffmpeg_graph.input(str(audio_from))["a:0"])
        args.update(acodec="copy", shortest=None)
    elif info.has_audio:
        audio, norm_args, normalized = _loudnorm_audio(src, inp, info, options)
        streams.append(audio)
        if plan.copy_audio and not normalized:
            args["acodec"] = "copy"
        else:
            args.update(_audio_encode_args(info, options), **norm_args)
    with _atomic(dest) as partial:
        _run(ffmpeg_graph.output(*streams, str(partial), **args), src, options)
    return dest


# ---------------------------------------------------------------------------------------------
# web audio


def make_web_audio(
    src: Path,
    dest: Path,
    options: NormalizeOptions = NormalizeOptions(),
    *,
    info: MediaInfo | None = None,
) -> Path:
    """Write the first audio track as AAC in an ``.m4a`` with ``+faststart`` (copied if already AAC)."""
    src, dest = Path(src), Path(dest)
    info = info or probe(src)
    args: dict[str, Any] = {"f": "ipod", "movflags": "+faststart"}
    audio, norm_args, normalized = _loudnorm_audio(src, ffmpeg_graph.input(str(src)), info, options)
    if (
        not normalized
        and info.audio_codec == WEB_AUDIO_CODEC
        and (info.channels or 0) <= 2
        and (info.sample_rate or 0) <= 48_000
    ):
        args["acodec"] = "copy"
    else:
        args.update(_audio_encode_args(info, options), **norm_args)
    with _atomic(dest) as partial:
        _run(audio.output(str(partial), **args), src, options)
    return dest


# ---------------------------------------------------------------------------------------------
# loudness normalization (EBU R128, two passes)


def measure_loudnorm(
    src: Path, target: Loudnorm = Loudnorm(), *, options: NormalizeOptions | None = None, true_peak: bool = True
) -> dict[str, float]:
    """Pass 1: EBU R128 measurement of the first audio track (integrated loudness, true peak, range,
    gate threshold), in the form loudnorm's pass 2 takes (``input_i``, ``input_tp`` ...).

    Measured with ffmpeg's ``ebur128`` filter (true peak by 4x oversampling), which gives the same
    BS.1770 figures as ``loudnorm``'s own first pass at about a seventh of the CPU time (it does not
    resample to 192 kHz): 1.8 s against 12.8 s for 5 minutes of 48 kHz stereo on this machine.
    ``true_peak=False`` gives the sample peak as ``input_tp`` instead (never above the true peak), in
    about half the time: 2.3 s against 4.2 s for 10 minutes."""
    src = Path(src)
    # ebur128's true-peak meter needs 48 kHz or more (it fails on 16 kHz input); per-frame lines are
    # logged at verbose level so only the summary reaches stderr.
    stream = (
        ffmpeg_graph.input(str(src))["a:0"]
        .filter("aresample", 48000)
        .filter("ebur128", peak="true" if true_peak else "sample", framelog="verbose")
        .output("-", f="null")
    )
    proc = _run(stream, src, options, loglevel="info")
    text = proc.stderr.decode("utf-8", "replace")
    summary = text[text.rfind("Summary:") :] if "Summary:" in text else ""

    def value(label: str, after: str) -> float:
        part = summary[summary.find(after) :] if after in summary else ""
        match = re.search(rf"{label}:\s*(-?inf|-?[0-9.]+)", part)
        if not match:
            raise MediaError(
                f"could not measure the loudness of {src}",
                hint="check the audio track decodes (ffmpeg ebur128 printed no summary)",
                path=str(src),
            )
        return float(match.group(1))

    return {
        "input_i": value("I", "Integrated loudness"),
        "input_thresh": value("Threshold", "Integrated loudness"),
        "input_lra": value("LRA", "Loudness range"),
        "input_tp": value("Peak", "True peak" if true_peak else "Sample peak"),
        "target_offset": 0.0,
    }


def _loudnorm_audio(
    src: Path, inp: Any, info: MediaInfo, options: NormalizeOptions
) -> tuple[Any, dict[str, Any], bool]:
    """The audio stream for the web files: pass 2 of loudnorm with pass 1's measurement, or as is.

    Returns (stream, extra output args, whether the stream is filtered and so must be encoded)."""
    target = options.loudnorm
    audio = inp["a:0"]
    if target is None:
        return audio, {}, False
    # The sample peak first: where it leaves room enough for the gain, the true peak (in speech and
    # music practically never TRUE_PEAK_MARGIN above it) does not reach the target's either, and the
    # 4x-oversampling pass is not needed.
    m = measure_loudnorm(src, target, options=options, true_peak=False)
    if (
        not math.isfinite(m["input_i"])
        or m["input_i"] <= -70.0  # the gate's floor: digital silence
        or not math.isfinite(m["input_tp"])
    ):  # no peak at all: nothing to normalize
        return audio, {}, False
    gain = target.integrated - m["input_i"]
    if m["input_tp"] + gain > target.true_peak - TRUE_PEAK_MARGIN:
        m = measure_loudnorm(src, target, options=options)
    if math.isfinite(m["input_tp"]) and m["input_tp"] + gain <= target.true_peak:
        # What loudnorm's linear mode does when the peak allows it: one constant gain. The volume filter
        # applies it at the source rate, without loudnorm's 192 kHz round trip (several times faster).
        return audio.filter("volume", f"{gain:.2f}dB"), {"ar": target.sample_rate}, True
    audio = audio.filter(
        "loudnorm",
        I=target.integrated,
        TP=target.true_peak,
        LRA=target.lra,
        measured_I=m["input_i"],
        measured_TP=m["input_tp"],
        measured_LRA=m["input_lra"],
        measured_thresh=m["input_thresh"],
        offset=m["target_offset"],
        linear="true",
        print_format="none",
    )
    return audio, {"ar": target.sample_rate}, True


# ---------------------------------------------------------------------------------------------
# poster


def poster_time(info: MediaInfo, options: NormalizeOptions = NormalizeOptions()) -> float:
    """Seconds into the video of the poster frame."""
    t = options.poster_at if options.poster_at is not None else min(info.duration * 0.1, POSTER_MAX_OFFSET)
    return max(0.0, min(float(t), info.duration - 0.5))


def make_poster(
    src: Path,
    dest: Path,
    info: MediaInfo | None = None,
    options: NormalizeOptions = NormalizeOptions(),
) -> Path:
    """Write one JPEG frame of the video (no taller than ``options.video_height``) at ``dest``.

    By default the frame is a representative one: among the key frames of the first
    :data:`POSTER_WINDOW` seconds, black ones left out (``blackframe``: 95 % of the pixels dark), the one
    closest to the average of the others (ffmpeg's ``thumbnail`` filter) — not the black or blank opening
    of a meeting recording. Only key frames are decoded, so it costs little even for a long recording.
    With ``options.poster_at`` (or when every key frame is black), the frame at that time is taken."""
    src, dest = Path(src), Path(dest)
    info = info or probe(src, require_audio=False)
    if not info.has_video:
        raise MediaError(f"{src} has no video track", hint="a poster is made only for video recordings", path=str(src))
    width, height = _scaled_size(info, options.video_height)
    if options.poster_at is None:
        try:
            with _atomic(dest) as partial:
                stream = (
                    ffmpeg_graph.input(str(src), skip_frame="nokey", t=f"{POSTER_WINDOW:.0f}")["v:0"]
                    .filter("blackframe", amount=0, threshold=32)
                    .filter("metadata", mode="select", key="lavfi.blackframe.pblack", value=95, function="less")
                    .filter("thumbnail", n=100)
                    .filter("scale", width, height)
                    .output(str(partial), f="image2", vframes=1, update=1, pix_fmt="yuvj420p", **{"q:v": 3})
                )
                _run(stream, src, options)
            return dest
        except MediaError:  # no key frame that is not black: the frame at 10 % of the duration
            pass
    last_error: MediaError | None = None
    for at in dict.fromkeys((poster_time(info, options), 0.0)):
        try:
            with _atomic(dest) as partial:
                stream = (
                    ffmpeg_graph.input(str(src), ss=f"{at:.3f}")["v:0"]
                    .filter("scale", width, height)
                    .output(str(partial), f="image2", vframes=1, update=1, pix_fmt="yuvj420p", **{"q:v": 3})
                )
                _run(stream, src, options)
            return dest
        except MediaError as exc:  # e.g. seeking past the last decodable frame: retry at 0 s
            last_error = exc
    assert last_error is not None
    raise last_error


# ---------------------------------------------------------------------------------------------
# everything


def normalize(src: Path, out_dir: Path, *, options: NormalizeOptions = NormalizeOptions()) -> NormalizedMedia:
    """Probe ``src`` and write into ``out_dir``: ``speech.wav``, ``audio.m4a`` and, for video input,
    ``video.mp4`` and ``poster.jpg``."""
    src, out_dir = Path(src), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    info = probe(src)
    speech = extract_speech_audio(src, out_dir / "speech.wav", options=options)
    web_audio = make_web_audio(src, out_dir / "audio.m4a", options, info=info)
    web_video = poster = plan = None
    if info.has_video:
        plan = plan_web_video(info, options)
        web_video = make_web_video(src, out_dir / "video.mp4", info, options)
        poster = make_poster(src, out_dir / "poster.jpg", info, options)
    return NormalizedMedia(
        info=info, speech_wav=speech, web_audio=web_audio, web_video=web_video, poster=poster, video_plan=plan
    )


# ---------------------------------------------------------------------------------------------
# loudness

_VOLUME_RE = re.compile(r"(mean|max)_volume:\s*(-?inf|-?[0-9.]+)\s*dB")


def loudness(path: Path, *, options: NormalizeOptions | None = None) -> Loudness:
    """Mean and peak volume (dBFS) of the first audio track, via ffmpeg's ``volumedetect``."""
    path = Path(path)
    stream = ffmpeg_graph.input(str(path))["a:0"].filter("volumedetect").output("-", f="null")
    proc = _run(stream, path, options, loglevel="info")
    found = {k: float(v) for k, v in _VOLUME_RE.findall(proc.stderr.decode("utf-8", "replace"))}
    return Loudness(mean_db=found.get("mean", -math.inf), max_db=found.get("max", -math.inf))


def is_silent(path: Path, *, threshold_db: float = SILENCE_THRESHOLD_DB) -> bool:
    """True when the audio never gets louder than ``threshold_db`` dBFS (a silent recording)."""
    return loudness(path).max_db < threshold_db
