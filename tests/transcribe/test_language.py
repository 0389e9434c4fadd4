from __future__ import annotations

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

    code = ("import sys, transcribe, transcribe.whisper, transcribe.summary, transcribe.formats;"
            "heavy = [m for m in ('faster_whisper', 'ctranslate2', 'av', 'numpy') if m in sys.modules];"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
