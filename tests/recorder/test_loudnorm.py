"""EBU R128 normalization of the published audio (loudnorm, two passes); the speech WAV is untouched."""

from __future__ import annotations

from pathlib import Path

import ffmpeg as fg

from recorder import ffmpeg
from recorder.normalize import (
    Loudnorm,
    NormalizeOptions,
    extract_speech_audio,
    make_web_audio,
    make_web_video,
    measure_loudnorm,
)
from recorder.probe import probe
from tests.recorder.media import make_silence, make_video_with_speech, require_speech


def quiet_speech(dest: Path, gain_db: float = -18.0) -> Path:
    src = require_speech()
    out = fg.input(str(src))["a"].filter("volume", f"{gain_db}dB").output(str(dest), acodec="aac", audio_bitrate="96k")
    ffmpeg.run(ffmpeg.compile_graph(out))
    return dest


def test_web_audio_reaches_the_target(tmp_path: Path) -> None:
    src = quiet_speech(tmp_path / "quiet.m4a")
    before = measure_loudnorm(src)["input_i"]
    target = Loudnorm(integrated=-23.0)
    out = make_web_audio(src, tmp_path / "audio.m4a", NormalizeOptions(loudnorm=target))
    after = measure_loudnorm(out)
    assert before < -28
    assert abs(after["input_i"] - (-23.0)) <= 1.0, after
    assert after["input_tp"] <= -0.5
    info = probe(out)
    assert info.audio_codec == "aac" and info.sample_rate == 48_000
    # without the option the AAC source is copied as it is
    plain = make_web_audio(src, tmp_path / "plain.m4a", NormalizeOptions())
    assert abs(measure_loudnorm(plain)["input_i"] - before) < 0.5


def test_web_video_normalizes_audio_and_copies_video(tmp_path: Path) -> None:
    src = make_video_with_speech(tmp_path / "v.mp4", extra={"af": "volume=-15dB"})
    out = make_web_video(src, tmp_path / "web.mp4", options=NormalizeOptions(loudnorm=Loudnorm(integrated=-16.0)))
    assert abs(measure_loudnorm(out)["input_i"] - (-16.0)) <= 1.0
    assert probe(out).video_codec == "h264"
    # recognition audio stays 16 kHz mono, not normalized
    wav = extract_speech_audio(src, tmp_path / "speech.wav")
    info = probe(wav)
    assert (info.sample_rate, info.channels) == (16_000, 1)


def test_silence_is_left_alone(tmp_path: Path) -> None:
    src = make_silence(tmp_path / "silence.wav", duration=2.0)
    out = make_web_audio(src, tmp_path / "a.m4a", NormalizeOptions(loudnorm=Loudnorm()))
    assert probe(out, require_audio=False).audio_codec == "aac"


def test_the_true_peak_pass_runs_only_where_the_peak_could_reach_the_target(tmp_path: Path, monkeypatch) -> None:
    from recorder import normalize

    passes: list[bool] = []
    real = normalize.measure_loudnorm

    def spy(*args, true_peak: bool = True, **kwargs):
        passes.append(true_peak)
        return real(*args, true_peak=true_peak, **kwargs)

    monkeypatch.setattr(normalize, "measure_loudnorm", spy)
    src = quiet_speech(tmp_path / "quiet.m4a")
    # quiet speech raised to -23 LUFS keeps its peaks far under -1 dBTP: the sample peak is enough
    make_web_audio(src, tmp_path / "a.m4a", NormalizeOptions(loudnorm=Loudnorm(integrated=-23.0)))
    assert passes == [False]
    # raised to -9 LUFS its peaks would pass -1 dBTP: measured again with the true peak, then limited
    passes.clear()
    loud = make_web_audio(src, tmp_path / "b.m4a", NormalizeOptions(loudnorm=Loudnorm(integrated=-9.0)))
    assert passes == [False, True]
    monkeypatch.undo()
    after = measure_loudnorm(loud)
    assert after["input_tp"] <= -0.5, after
    sample = measure_loudnorm(src, true_peak=False)["input_tp"]
    assert sample <= measure_loudnorm(src)["input_tp"] + 0.05  # a sample peak never exceeds the true peak
