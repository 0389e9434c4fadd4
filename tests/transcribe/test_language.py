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
