from __future__ import annotations

from pathlib import Path

import pytest

from transcribe.errors import ModelError
from transcribe.whisper import WhisperTranscriber


def test_damaged_model_directory_is_a_model_error(tmp_path: Path):
    (tmp_path / "model.bin").write_bytes(b"not a model")
    (tmp_path / "config.json").write_text("{}")
    t = WhisperTranscriber(tmp_path, device="cpu")
    with pytest.raises(ModelError) as exc:
        t.load()
    assert "\n" not in str(exc.value) and exc.value.hint


def test_directory_without_model_bin(tmp_path: Path):
    with pytest.raises(ModelError, match="model.bin"):
        WhisperTranscriber(tmp_path, device="cpu").load()


@pytest.mark.whisper
def test_lazy_load_and_device_info(bundled_model_dir: Path):
    t = WhisperTranscriber(bundled_model_dir, device="cpu", compute_type="int8")
    assert t._model is None  # nothing loaded until needed
    info = t.device_info()
    assert info.device == "cpu" and info.compute_type.startswith("int8")
    assert t.load() is t.load()
    assert t.model_name == bundled_model_dir.name


def test_decode_samples_reads_the_extracted_speech_as_faster_whisper_does(tmp_path: Path):
    """The pipeline's speech (16 kHz mono 16-bit WAV) is read directly; anything else goes through
    PyAV (an unreadable file is an AudioError from there: test_whisper_real). Either way the samples
    are exactly those faster-whisper would decode."""
    import numpy as np
    from faster_whisper.audio import decode_audio

    from recorder import normalize
    from tests.recorder import media
    from transcribe.whisper import decode_samples

    speech = normalize.extract_speech_audio(media.require_speech(), tmp_path / "speech.wav")
    other = media.make_sine(tmp_path / "tone.wav", sample_rate=48_000)  # another rate: resampled
    for path in (speech, other):
        got, want = decode_samples(path), decode_audio(str(path))
        assert got.dtype == np.float32 and len(got) > 16_000
        assert np.array_equal(got, want), path.name


@pytest.mark.whisper
def test_preload_loads_the_model_transcribe_will_use(bundled_model_dir: Path):
    """A long recording is decoded in parts on the CPU lanes, a short one in one piece: preload loads
    the model for the one transcribe will take, so transcribe does not load it again."""
    from transcribe.whisper import TranscribeOptions

    t = WhisperTranscriber(bundled_model_dir, device="cpu", compute_type="int8", cpu_threads=2)
    t.preload(600.0, TranscribeOptions(language="en"))
    long = t.load(t.cpu_lanes())
    assert t.cpu_lanes() == 2 and long.model.num_workers == 2
    t.preload(600.0)
    assert t.load(2) is long  # loaded once
    t.preload(30.0)
    short = t.load(1)
    assert short is not long and short.model.num_workers == 1
    t.preload(600.0, TranscribeOptions(streams=1))  # parts off: one worker whatever the length
    assert t.load(1) is short
