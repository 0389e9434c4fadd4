"""normalize(): speech WAV, web MP4 (faststart; stream copy when possible), web audio, poster, loudness."""

from __future__ import annotations

from pathlib import Path

import pytest

from recorder import ffmpeg
from recorder.errors import FFmpegError, MediaError
from recorder.normalize import (
    NormalizeOptions,
    extract_speech_audio,
    is_silent,
    loudness,
    make_poster,
    make_web_audio,
    make_web_video,
    normalize,
    partial_path,
    plan_web_video,
)
from recorder.probe import probe
from tests.recorder import media


@pytest.fixture(scope="module")
def clip() -> Path:
    return media.require_speech()


@pytest.fixture(scope="module")
def h264_talk(tmp_path_factory, clip) -> Path:
    return media.make_video_with_speech(tmp_path_factory.mktemp("src") / "talk.mp4", speech=clip)


@pytest.fixture(scope="module")
def normalized(tmp_path_factory, h264_talk):
    return normalize(h264_talk, tmp_path_factory.mktemp("out"))


def packet_hash(path: Path, selector: str) -> str:
    """MD5 over the packets of one stream, copied (not decoded): equal iff the stream was copied."""
    argv = [
        "ffmpeg",
        "-hide_banner",
        "-loglevel",
        "error",
        "-i",
        str(path),
        "-map",
        f"0:{selector}:0",
        "-c",
        "copy",
        "-f",
        "hash",
        "-hash",
        "md5",
        "-",
    ]
    return ffmpeg.run(argv).stdout.decode().strip()


def assert_faststart(path: Path) -> None:
    boxes = media.mp4_box_order(path)
    assert "moov" in boxes and "mdat" in boxes, boxes
    assert boxes.index("moov") < boxes.index("mdat"), boxes


def assert_no_partials(directory: Path) -> None:
    assert not [p for p in directory.rglob("*") if ".partial" in p.name]


# --- the whole job ---------------------------------------------------------------------------


def test_normalize_h264_aac_takes_fast_path(normalized, h264_talk):
    out = normalized
    assert out.info == probe(h264_talk)
    assert out.video_plan is not None and out.video_plan.copied
    assert {p.name for p in out.web_video.parent.iterdir()} == {"speech.wav", "audio.m4a", "video.mp4", "poster.jpg"}
    video = probe(out.web_video)
    assert (video.video_codec, video.audio_codec, video.pix_fmt) == ("h264", "aac", "yuv420p")
    assert video.duration == pytest.approx(out.info.duration, abs=0.1)
    assert_faststart(out.web_video)
    # stream copy: the packets are the source's, byte for byte
    assert packet_hash(out.web_video, "v") == packet_hash(h264_talk, "v")
    assert packet_hash(out.web_video, "a") == packet_hash(h264_talk, "a")
    assert_no_partials(out.web_video.parent)


def test_speech_wav_is_16k_mono_s16_of_right_duration(normalized, clip):
    wav = probe(normalized.speech_wav)
    assert (wav.audio_codec, wav.sample_rate, wav.channels, wav.format_name) == ("pcm_s16le", 16_000, 1, "wav")
    assert not wav.has_video
    assert wav.duration == pytest.approx(probe(clip).duration, abs=0.1)


def test_web_audio_is_aac_m4a_faststart(normalized):
    audio = probe(normalized.web_audio)
    assert audio.audio_codec == "aac" and not audio.has_video
    assert normalized.web_audio.suffix == ".m4a"
    assert_faststart(normalized.web_audio)


def test_poster_is_a_jpeg_frame(normalized):
    poster = normalized.poster
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"
    info = probe(poster, require_audio=False)
    assert info.video_codec == "mjpeg" and (info.width, info.height) == (320, 240)


def test_speech_extraction_is_deterministic(tmp_path, h264_talk):
    a = extract_speech_audio(h264_talk, tmp_path / "a.wav")
    b = extract_speech_audio(h264_talk, tmp_path / "b.wav")
    assert a.read_bytes() == b.read_bytes()
    assert b"Lavf" not in a.read_bytes()[:200]  # bit-exact: no encoder tag


# --- transcoding -----------------------------------------------------------------------------


def test_webm_vp9_opus_is_transcoded(tmp_path, clip):
    src = media.make_webm_vp9_opus(tmp_path / "talk.webm", speech=clip)
    info = probe(src)
    plan = plan_web_video(info)
    assert not plan.copy_video and not plan.copy_audio and "vp9" in plan.reason
    out = make_web_video(src, tmp_path / "web.mp4", info)
    web = probe(out)
    assert (web.video_codec, web.pix_fmt, web.audio_codec) == ("h264", "yuv420p", "aac")
    assert (web.width, web.height) == (320, 240)
    assert web.duration == pytest.approx(info.duration, abs=0.15)
    assert_faststart(out)
    assert_no_partials(tmp_path)


def test_too_tall_h264_is_scaled_down_to_720p(tmp_path, clip):
    src = media.make_video_with_speech(tmp_path / "hd.mp4", speech=clip, size="1920x1080", duration=1.0)
    plan = plan_web_video(probe(src))
    assert not plan.copy_video and plan.copy_audio
    assert (plan.width, plan.height) == (1280, 720)
    web = probe(make_web_video(src, tmp_path / "web.mp4"))
    assert (web.width, web.height, web.video_codec, web.audio_codec) == (1280, 720, "h264", "aac")


def test_720p_h264_aac_is_copied(tmp_path, clip):
    src = media.make_video_with_speech(tmp_path / "720.mp4", speech=clip, size="1280x720", duration=1.0)
    assert plan_web_video(probe(src)).copied
    out = make_web_video(src, tmp_path / "web.mp4")
    assert packet_hash(out, "v") == packet_hash(src, "v")
    assert_faststart(out)


def test_smaller_max_height_option(tmp_path, h264_talk):
    opts = NormalizeOptions(video_height=180)
    out = make_web_video(h264_talk, tmp_path / "small.mp4", probe(h264_talk), opts)
    web = probe(out)
    assert (web.width, web.height) == (240, 180)
    poster = make_poster(h264_talk, tmp_path / "p.jpg", probe(h264_talk), opts)
    assert probe(poster, require_audio=False).height == 180


def test_odd_sized_source_gets_even_dimensions(tmp_path, clip):
    src = media.make_webm_vp9_opus(tmp_path / "odd.webm", speech=clip, size="321x241")
    web = probe(make_web_video(src, tmp_path / "web.mp4"))
    assert web.width % 2 == 0 and web.height % 2 == 0
    assert (web.width, web.height) == (320, 240)


def test_h264_with_mp3_audio_copies_video_and_encodes_audio(tmp_path, clip):
    src = media.make_video_with_speech(tmp_path / "mixed.mkv", speech=clip, acodec="libmp3lame", duration=2.0)
    info = probe(src)
    plan = plan_web_video(info)
    assert plan.copy_video and not plan.copy_audio and not plan.copied
    out = make_web_video(src, tmp_path / "web.mp4", info)
    assert probe(out).audio_codec == "aac"
    assert packet_hash(out, "v") == packet_hash(src, "v")
    assert_faststart(out)


def test_non_yuv420p_h264_is_reencoded(tmp_path, clip):
    src = media.make_video_with_speech(tmp_path / "444.mp4", speech=clip, pix_fmt="yuv444p", duration=1.0)
    plan = plan_web_video(probe(src))
    assert not plan.copy_video and "yuv444p" in plan.reason
    assert probe(make_web_video(src, tmp_path / "web.mp4")).pix_fmt == "yuv420p"


# --- audio-only input ------------------------------------------------------------------------


def test_normalize_audio_only_mp3(tmp_path, clip):
    src = media.make_mp3(tmp_path / "talk.mp3", speech=clip, cover_art=True)
    out = normalize(src, tmp_path / "out")
    assert out.web_video is None and out.poster is None and out.video_plan is None
    assert probe(out.web_audio).audio_codec == "aac"
    assert_faststart(out.web_audio)
    assert probe(out.speech_wav).duration == pytest.approx(probe(clip).duration, abs=0.1)
    with pytest.raises(MediaError, match="no video track"):
        make_poster(src, tmp_path / "p.jpg", out.info)
    with pytest.raises(MediaError, match="no video track"):
        make_web_video(src, tmp_path / "v.mp4", out.info)


def test_web_audio_copies_aac(tmp_path, h264_talk):
    out = make_web_audio(h264_talk, tmp_path / "a.m4a")
    assert packet_hash(out, "a") == packet_hash(h264_talk, "a")


# --- poster timing ---------------------------------------------------------------------------


def test_poster_at_beyond_the_end_is_clamped(tmp_path, h264_talk):
    info = probe(h264_talk)
    out = make_poster(h264_talk, tmp_path / "late.jpg", info, NormalizeOptions(poster_at=info.duration + 60))
    assert out.stat().st_size > 0
    assert_no_partials(tmp_path)


# --- loudness --------------------------------------------------------------------------------


def test_silence_is_detected(tmp_path):
    wav = media.make_silence(tmp_path / "quiet.wav", duration=2.0)
    assert is_silent(wav)
    assert loudness(wav).max_db <= -90


def test_speech_and_tone_are_not_silent(tmp_path, normalized):
    assert not is_silent(normalized.speech_wav)
    level = loudness(normalized.speech_wav)
    assert -40 < level.mean_db < level.max_db <= 0
    tone = media.make_sine(tmp_path / "tone.wav", duration=1.0)
    assert not is_silent(tone)


# --- atomicity -------------------------------------------------------------------------------


def test_partial_name_keeps_extension(tmp_path):
    assert partial_path(tmp_path / "video.mp4") == tmp_path / "video.partial.mp4"


def test_failure_leaves_no_partial_and_keeps_old_output(tmp_path, h264_talk):
    dest = tmp_path / "speech.wav"
    dest.write_bytes(b"previous good output")
    junk = media.make_text_file(tmp_path / "junk.mp4")
    with pytest.raises(FFmpegError) as exc:
        extract_speech_audio(junk, dest)
    assert str(junk) in str(exc.value) and exc.value.stderr_tail
    assert dest.read_bytes() == b"previous good output"
    assert_no_partials(tmp_path)


def test_video_failure_leaves_no_partial(tmp_path, h264_talk):
    info = probe(h264_talk)  # the description of a good file ...
    junk = media.make_text_file(tmp_path / "junk.mp4")  # ... applied to a bad one
    for fn, name in ((make_web_video, "v.mp4"), (make_poster, "p.jpg")):
        with pytest.raises(MediaError):
            fn(junk, tmp_path / name, info)
        assert not (tmp_path / name).exists()
    with pytest.raises(MediaError):
        make_web_audio(junk, tmp_path / "a.m4a", info=info)
    assert not (tmp_path / "a.m4a").exists()
    assert_no_partials(tmp_path)


def test_normalize_bad_input_raises_before_writing(tmp_path):
    junk = media.make_text_file(tmp_path / "junk.mp4")
    with pytest.raises(MediaError):
        normalize(junk, tmp_path / "out")
    assert not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize("suffix", [".flv", ".ts", ".mkv"])
def test_h264_aac_in_other_containers_is_remuxed(tmp_path, clip, suffix):
    """RTMP capture gives FLV, some recorders MPEG-TS or Matroska: still a stream copy into MP4."""
    src = media.make_video_with_speech(tmp_path / f"cap{suffix}", speech=clip, duration=2.0)
    info = probe(src)
    assert plan_web_video(info).copied
    out = make_web_video(src, tmp_path / "web.mp4", info)
    web = probe(out)
    assert (web.video_codec, web.audio_codec) == ("h264", "aac")
    assert web.duration == pytest.approx(info.duration, abs=0.15)
    assert_faststart(out)
    assert make_web_audio(src, tmp_path / "a.m4a", info=info).stat().st_size > 0


def _mean_luma(path) -> float:
    import subprocess

    out = subprocess.run(
        ["ffmpeg", "-v", "info", "-i", str(path), "-vf", "signalstats,metadata=mode=print", "-f", "null", "-"],
        capture_output=True,
        text=True,
    ).stderr
    import re

    return float(re.search(r"lavfi\.signalstats\.YAVG=([0-9.]+)", out).group(1))


def test_poster_is_a_representative_frame_not_the_black_opening(tmp_path):
    """A meeting recording that opens on 40 s of black (then the room): the poster shows the room, not
    the black frame at 10 % of the duration (the old choice) nor the first frame."""
    import subprocess

    src = tmp_path / "meeting.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=black:s=320x240:d=40:r=10",
            "-f",
            "lavfi",
            "-i",
            "testsrc=s=320x240:d=20:r=10",
            "-f",
            "lavfi",
            "-i",
            "sine=d=60",
            "-filter_complex",
            "[0][1]concat=n=2:v=1[v]",
            "-map",
            "[v]",
            "-map",
            "2:a",
            "-c:v",
            "libx264",
            "-g",
            "20",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    info = probe(src)
    poster = make_poster(src, tmp_path / "p.jpg", info)
    assert _mean_luma(poster) > 60  # the test card, not black (YAVG of black: 16)
    old = make_poster(src, tmp_path / "at.jpg", info, NormalizeOptions(poster_at=6.0))  # an explicit time: kept
    assert _mean_luma(old) < 30
    assert_no_partials(tmp_path)


def test_poster_of_an_all_black_video_falls_back_to_a_frame(tmp_path):
    import subprocess

    src = tmp_path / "black.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=black:s=320x240:d=3:r=10",
            "-f",
            "lavfi",
            "-i",
            "sine=d=3",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    poster = make_poster(src, tmp_path / "p.jpg", probe(src))
    assert poster.stat().st_size > 0
    assert_no_partials(tmp_path)
