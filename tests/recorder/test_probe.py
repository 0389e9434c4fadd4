"""probe(): what is in a file, and one-line errors naming the file for bad input."""

from __future__ import annotations

import pytest

from recorder.errors import FFmpegError, MediaError
from recorder.probe import probe
from tests.recorder import media


@pytest.fixture(scope="module")
def clip():
    return media.require_speech()


def test_h264_aac_video(tmp_path, clip):
    src = media.make_video_with_speech(tmp_path / "talk.mp4", speech=clip, size="320x240")
    info = probe(src)
    assert info.path == src
    assert info.has_video and info.has_audio
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert (info.width, info.height) == (320, 240)
    assert info.fps == pytest.approx(25.0)
    assert info.pix_fmt == "yuv420p"
    assert info.duration == pytest.approx(probe(clip).duration, abs=0.3)
    assert info.size == src.stat().st_size
    assert "mp4" in info.format_name
    assert not info.is_audio_only


def test_webm_vp9_opus(tmp_path, clip):
    info = probe(media.make_webm_vp9_opus(tmp_path / "talk.webm", speech=clip))
    assert (info.video_codec, info.audio_codec) == ("vp9", "opus")
    assert "webm" in info.format_name


def test_audio_only_mp3(tmp_path, clip):
    info = probe(media.make_mp3(tmp_path / "talk.mp3", speech=clip))
    assert info.is_audio_only
    assert info.audio_codec == "mp3"
    assert info.video_codec is None and info.width is None and info.fps is None


def test_cover_art_is_not_video(tmp_path, clip):
    info = probe(media.make_mp3(tmp_path / "cover.mp3", speech=clip, cover_art=True))
    assert not info.has_video
    assert info.video_codec is None


def test_sine_and_silence_wav(tmp_path):
    sine = probe(media.make_sine(tmp_path / "sine.wav", duration=2.0, sample_rate=44_100))
    assert sine.duration == pytest.approx(2.0, abs=0.01)
    assert (sine.sample_rate, sine.channels, sine.audio_codec) == (44_100, 1, "pcm_s16le")
    quiet = probe(media.make_silence(tmp_path / "quiet.wav", duration=1.5))
    assert quiet.duration == pytest.approx(1.5, abs=0.01)


def _assert_one_line_naming(err: MediaError, path) -> str:
    msg = str(err)
    assert "\n" not in msg
    assert str(path) in msg
    assert err.path == str(path)
    assert err.hint and err.hint in msg
    return msg


def test_missing_file(tmp_path):
    path = tmp_path / "nope.mp4"
    with pytest.raises(MediaError) as exc:
        probe(path)
    msg = _assert_one_line_naming(exc.value, path)
    assert msg.startswith(f"no such file: {path}") and "check the path" in msg


def test_directory(tmp_path):
    with pytest.raises(MediaError) as exc:
        probe(tmp_path)
    _assert_one_line_naming(exc.value, tmp_path)


def test_empty_file(tmp_path):
    path = media.make_empty_file(tmp_path / "empty.mp4")
    with pytest.raises(MediaError) as exc:
        probe(path)
    assert "empty" in _assert_one_line_naming(exc.value, path)


def test_text_file_named_mp4(tmp_path):
    path = media.make_text_file(tmp_path / "notes.mp4")
    with pytest.raises(MediaError) as exc:
        probe(path)
    assert "not a media file" in _assert_one_line_naming(exc.value, path)
    assert isinstance(exc.value, FFmpegError) and exc.value.stderr_tail


def test_text_file_named_mp3(tmp_path):
    path = media.make_text_file(tmp_path / "notes.mp3", "hello " * 100)
    with pytest.raises(MediaError) as exc:
        probe(path)
    _assert_one_line_naming(exc.value, path)


def test_truncated_mp4_moov_missing(tmp_path, clip):
    path = media.make_truncated_mp4(tmp_path / "cut.mp4", speech=clip)
    with pytest.raises(MediaError) as exc:
        probe(path)
    msg = _assert_one_line_naming(exc.value, path)
    assert "truncated" in msg and "moov" in msg


def test_truncated_faststart_mp4(tmp_path, clip):
    """moov survives at the front, but the media data is cut short."""
    path = media.make_truncated_mp4(tmp_path / "cut-fs.mp4", speech=clip, faststart=True)
    with pytest.raises(MediaError) as exc:
        probe(path)
    assert "truncated" in _assert_one_line_naming(exc.value, path)


def test_no_audio_track(tmp_path):
    path = media.make_video_without_audio(tmp_path / "mute.mp4")
    with pytest.raises(MediaError) as exc:
        probe(path)
    msg = _assert_one_line_naming(exc.value, path)
    assert f"{path} has no audio track" in msg and "a briefing needs sound" in msg
    info = probe(path, require_audio=False)
    assert info.has_video and not info.has_audio and info.audio_codec is None


def test_zero_duration_wav(tmp_path):
    import wave

    path = tmp_path / "nothing.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
    assert path.stat().st_size > 0
    with pytest.raises(MediaError) as exc:
        probe(path)
    assert "duration" in _assert_one_line_naming(exc.value, path)
