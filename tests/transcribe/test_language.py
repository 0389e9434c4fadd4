from __future__ import annotations

from pathlib import Path

import pytest

from transcribe.errors import LanguageError, TranscribeError
from transcribe.whisper import LANGUAGE_CODES, TranscribeOptions, choose_device, validate_language


def test_validate_language():
    assert validate_language(None) is None
    assert validate_language("auto") is None
    assert validate_language("") is None
    assert validate_language("vi") == "vi"
    assert validate_language(" EN ") == "en"
    assert validate_language("haw") == "haw"
    with pytest.raises(LanguageError) as exc:
        validate_language("xx")
    assert str(exc.value) == "unknown language code 'xx': use an ISO 639-1 code such as vi or en, or auto"
    assert "\n" not in str(exc.value) and exc.value.hint
    with pytest.raises(LanguageError):
        validate_language("vietnamese")


def test_language_list_matches_faster_whisper():
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert LANGUAGE_CODES == frozenset(_LANGUAGE_CODES)


def test_options_validate_and_serialise():
    o = TranscribeOptions(language="VI", temperature=0.0)
    assert o.language == "vi" and o.temperature == (0.0,)
    d = o.to_dict()
    assert d["language"] == "vi" and d["condition_on_previous_text"] is False and d["beam_size"] == 5
    kw = o.decode_kwargs()
    assert kw["vad_filter"] and kw["word_timestamps"] and kw["temperature"] == [0.0]
    with pytest.raises(LanguageError):
        TranscribeOptions(language="klingon")
    with pytest.raises(TranscribeError):
        TranscribeOptions(task="summarise")


def test_choose_device_on_cpu():
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        assert choose_device() == ("cuda", "float16")
    else:
        assert choose_device() == ("cpu", "int8")
    assert choose_device("cpu", "float32") == ("cpu", "float32")


def test_repetition_detector():
    from transcribe.whisper import is_repetitive

    assert is_repetitive("phú gần là bảo quận hôn là phòng phú chân vô chân vô chân vô")
    assert is_repetitive("thank you. thank you. thank you.")
    assert is_repetitive("no no no")
    assert not is_repetitive("khi đối tác đầu tư tiền bạc thì mình phải đầu tư công sức")
    assert not is_repetitive("1 1 1")


def test_importing_the_package_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, transcribe, transcribe.whisper, transcribe.summary, transcribe.formats;"
        "heavy = [m for m in ('faster_whisper', 'ctranslate2', 'av', 'numpy') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_allowed_languages_are_validated() -> None:
    assert TranscribeOptions(languages=["VI", " en", "vi"]).languages == ("vi", "en")
    assert TranscribeOptions().languages == ()
    assert TranscribeOptions(languages=("vi",)).to_dict()["languages"] == ["vi"]
    with pytest.raises(LanguageError):
        TranscribeOptions(languages=("vi", "klingon"))


@pytest.mark.whisper
@pytest.mark.parametrize("streams", [1, 2])
def test_detection_chooses_only_among_the_allowed_languages(transcriber, speech: Path, streams: int) -> None:
    """English speech, with English not allowed: the most probable allowed language, not English; with it
    allowed, English. Both the plain and the side-by-side decoding."""
    from transcribe.whisper import decode_samples

    samples = decode_samples(speech / "en_jfk.flac")
    free = transcriber.detect_language(samples, TranscribeOptions())
    assert free[0] == "en"
    t = transcriber.transcribe(samples, TranscribeOptions(languages=("vi", "fr"), streams=streams))
    assert t.language in ("vi", "fr") and t.language_probability < free[1]
    probs = {c: transcriber.detect_language(samples, TranscribeOptions(languages=(c,)))[1] for c in ("vi", "fr")}
    assert t.language == max(probs, key=probs.get)
    t = transcriber.transcribe(samples, TranscribeOptions(languages=("vi", "en"), streams=streams))
    assert t.language == "en" and "country" in t.text


@pytest.mark.whisper
def test_speech_seconds_of_a_blip(speech: Path) -> None:
    from transcribe.whisper import decode_samples, speech_seconds

    samples = decode_samples(speech / "en_jfk.flac")
    assert speech_seconds(samples[2 * 16000 : int(2.5 * 16000)]) < 1.0
    assert speech_seconds(samples) > 5.0
    import numpy as np

    assert speech_seconds(np.zeros(16000 * 3, dtype=np.float32)) == 0.0
