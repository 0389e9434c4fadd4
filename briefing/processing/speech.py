"""Speech recognition, application side: which model and engine, the transcriber cache, the decoding
options, and the checks after recognition.

- the model (``transcribe.model``: the bundled base, a model directory, a name) and the one transcriber per
  model and device in this process (:func:`model`, :func:`transcriber`), shared by the transcribe and
  translate stages, the live transcriber and the preloading thread;
- decoding options: the guards' options and the glossary of briefing.toml (``[glossary]``) as hotwords or
  initial prompt (:func:`transcribe_options`); the guards a live chunk passes (:func:`guard_options`);
- after recognition: hallucination guards, too little speech, and glossary correction (:func:`postprocess`),
  inside the transcribe stage, so its key covers them (:func:`postprocess_key`).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

from briefing.core import config, errors, text
from briefing.core.config import Setting, Settings
from briefing.core.errors import ConfigError, InputError

config.register(
    Setting(
        "quality.guards", True, "Hallucination guards: decoding options and checks after recognition.", config.boolean
    ),
    Setting(
        "quality.glossary_mode",
        "off",
        "Also feed the [glossary] to recognition: hotwords, prompt (initial prompt), or off (only correct "
        "near misses afterwards; bench/bench_quality.py shows why off is the default for base).",
    ),
    Setting(
        "transcribe.languages",
        ("vi", "en"),
        "The languages automatic detection may choose from (the "
        "most probable of them); any for every language Whisper knows.",
        lambda v: _languages(v),
    ),
    Setting(
        "transcribe.engines",
        {},
        "The recognition engine of each language: a table such as { vi = "
        '"vietasr", en = "whisper" } (default: vietasr for Vietnamese, whisper for every other '
        "language and for detection; the key default covers the languages not listed). In the "
        "environment: vi=whisper,en=whisper.",
        lambda v: _engines(v),
    ),
    Setting(
        "transcribe.min_speech",
        1.0,
        "Seconds of speech (by VAD) a recording needs for its words to be "
        "published; with less it is published as 'No speech detected' (0: off).",
        float,
    ),
)


class TranscribeSettings(config.Area, area="transcribe"):
    """Recognition: the model, where it runs, and how it decodes."""

    model: str
    device: str
    compute_type: str
    beam_size: int
    cpu_threads: int
    streams: int
    languages: tuple[str, ...]
    engines: dict[str, str]
    min_speech: float


class QualitySettings(config.Area, area="quality"):
    """Guards against hallucinations, and the glossary's part in recognition."""

    guards: bool
    glossary_mode: str


def _languages(value: Any) -> tuple[str, ...]:
    """``transcribe.languages`` from a list (briefing.toml) or "vi,en" (environment); () for any."""
    from transcribe.errors import TranscribeError
    from transcribe.whisper import validate_language

    items = [x for x in re.split(r"[,\s]+", value) if x] if isinstance(value, str) else list(value or ())
    if [str(x).strip().lower() for x in items] in ([], ["any"]):
        return ()
    try:
        codes = tuple(dict.fromkeys(validate_language(str(x)) for x in items))
    except TranscribeError as exc:
        raise ValueError(str(exc).split(" — ")[0]) from None
    if None in codes:
        raise ValueError('list languages such as ["vi", "en"], or "any"')
    return codes  # type: ignore[return-value]


def _engines(value: Any) -> dict[str, str]:
    """``transcribe.engines`` from a table (briefing.toml) or "vi=whisper,en=whisper" (environment)."""
    from transcribe.engines import parse_engines
    from transcribe.errors import TranscribeError

    if isinstance(value, str):
        pairs = [x.split("=", 1) for x in re.split(r"[,\s]+", value) if x]
        if any(len(p) != 2 for p in pairs):
            raise ValueError("write it as vi=vietasr,en=whisper")
        value = {k.strip(): v.strip() for k, v in pairs}
    try:
        return parse_engines(value)
    except TranscribeError as exc:
        raise ValueError(exc.message) from None


QUALITY_VERSION = 1
log = logging.getLogger(__name__)


def glossary(settings: Settings) -> Any:
    from transcribe.glossary import from_config

    try:
        g = from_config(settings.section("glossary"))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"bad [glossary] in briefing.toml: {exc}", hint='write terms = ["Bộ Y tế", "Nguyễn Thanh Long", ...]'
        ) from None
    try:
        for term in (*g.terms, *g.aliases, *g.aliases.values()):
            text.check(term, f"the [glossary] entry {term[:40]!r}", max_len=text.TERM_MAX)
    except InputError as exc:
        raise ConfigError(f"{exc.message} in briefing.toml", hint=exc.hint) from None
    return g


def transcribe_options(settings: Settings, language: str | None, *, task: str = "transcribe") -> Any:
    """The decoding options of the transcribe (and translate) stage."""
    from transcribe import glossary as tg
    from transcribe.guards import DECODING
    from transcribe.whisper import TranscribeOptions

    o = TranscribeSettings.of(settings)
    opts = TranscribeOptions(
        language=language, task=task, beam_size=o.beam_size, streams=o.streams, languages=o.languages
    )
    if QualitySettings.of(settings).guards:
        opts = replace(opts, **DECODING)
    mode = QualitySettings.of(settings).glossary_mode.lower()
    if mode not in ("hotwords", "prompt", "off"):
        raise ConfigError(f"quality.glossary_mode is {mode!r}", hint="use hotwords, prompt or off")
    g = glossary(settings)
    if g and task == "transcribe" and mode == "hotwords":
        opts = replace(opts, hotwords=tg.hotwords(g))
    elif g and task == "transcribe" and mode == "prompt":
        opts = replace(opts, initial_prompt=tg.prompt(g))
    return opts


def postprocess_key(settings: Settings) -> str:
    from transcribe.guards import GuardOptions

    return repr(
        (
            QUALITY_VERSION,
            QualitySettings.of(settings).guards,
            GuardOptions().key(),
            glossary(settings).key(),
            ("min_speech", TranscribeSettings.of(settings).min_speech),
        )
    )


def postprocess(settings: Settings, t: Any, speech: Path) -> tuple[Any, dict[str, Any]]:
    """Guards, then glossary correction; returns the transcript and what was done (for the stage info)."""
    from transcribe import glossary as tg
    from transcribe import guards

    info: dict[str, Any] = {}
    samples: Any = None

    def audio() -> Any:
        nonlocal samples
        if samples is None:
            from transcribe.whisper import decode_samples

            samples = decode_samples(speech)
        return samples

    if QualitySettings.of(settings).guards:
        quiet = None
        try:
            quiet = guards.quiet_spans(audio())
        except Exception:  # noqa: BLE001 - without the audio the other checks still run
            quiet = None
        g = guards.apply_guards(t, quiet=quiet)
        t = g.transcript
        info["guards"] = [e.to_dict() for e in g.events]
        info["loops"] = guards.count_loops(t)
    t, info["speech"] = too_little_speech(t, audio, TranscribeSettings.of(settings).min_speech)
    t, fixes = tg.correct(t, glossary(settings))
    info["glossary"] = [f.to_dict() for f in fixes]
    return t, info


FEW_WORDS = 40  # a transcript with more words than this is not a blip: the VAD is not asked (it costs
# about 0.3 % of the audio's length, 1.6 s for 10 minutes on 2 busy cores)


def too_little_speech(t: Any, audio: Any, min_speech: float) -> tuple[Any, dict[str, Any] | None]:
    """The transcript with no segments when the recording holds less than ``min_speech`` seconds of
    speech by VAD (a cough, a click, half a second of a word: Whisper invents a sentence for it, often
    in another language); the published page then says "No speech detected". ``audio()`` gives the
    samples. Returns the transcript and what was found (None when not checked)."""
    from dataclasses import replace as dc_replace

    if min_speech <= 0 or not t.segments:
        return t, None
    words = sum(max(len(s.words), len(s.text.split())) for s in t.segments)
    if words > FEW_WORDS:
        return t, None
    from transcribe.whisper import speech_seconds

    try:
        seconds = speech_seconds(audio())
    except Exception:  # noqa: BLE001 - the audio is checked by the stage before; keep the words
        return t, None
    found = {"seconds": round(seconds, 3), "min": min_speech, "removed": 0}
    if seconds < min_speech:
        found["removed"] = len(t.segments)
        t = dc_replace(t, segments=())
    return t, found


# -- translate stage -------------------------------------------------------------------------------------


# -- redact stage ----------------------------------------------------------------------------------------


def guard_options(settings: Settings) -> Any:
    """The hallucination guards each live chunk passes (None when ``quality.guards`` is off)."""
    from transcribe.guards import GuardOptions

    return GuardOptions() if QualitySettings.of(settings).guards else None


# -- the model and its transcriber: loaded once per process ---------------------------------------------
_TRANSCRIBERS: dict[tuple[Any, ...], Any] = {}
_TRANSCRIBERS_LOCK = threading.Lock()  # the preloading thread and a stage may ask at once


def model(settings: Settings) -> tuple[Any, str]:
    """(path of the model directory, its id for stage keys): the bundled base is checked by SHA-256."""
    from transcribe import model as tm

    spec = TranscribeSettings.of(settings).model
    with errors.translated():
        path = tm.resolve_model(spec, settings.cache_dir / "models")
    if spec in ("base", "bundled"):
        return path, f"bundled-base:{tm.BUNDLED_MODEL_SHA256}"
    return path, f"{spec}"


def transcriber(model_path: Any, settings: Settings) -> Any:
    """The one transcriber of this process for the model and device settings (loaded on first use)."""
    from transcribe.whisper import WhisperTranscriber

    o = TranscribeSettings.of(settings)
    k = (str(model_path), o.device, o.compute_type, o.cpu_threads)
    with _TRANSCRIBERS_LOCK:
        if k not in _TRANSCRIBERS:
            _TRANSCRIBERS[k] = WhisperTranscriber(model_path, device=k[1], compute_type=k[2], cpu_threads=k[3])
        return _TRANSCRIBERS[k]


def engine_name(settings: Settings, language: str | None) -> str:
    """The engine that transcribes ``language`` (None: detected, which Whisper does): the setting
    ``transcribe.engines``, else viet-asr for Vietnamese and Whisper for the rest."""
    from transcribe.engines import engine_for

    with errors.translated():
        return engine_for(language, TranscribeSettings.of(settings).engines)


def recognizer(settings: Settings, language: str | None) -> tuple[Any, str, str]:
    """(the engine object, its model's id for stage keys, its version for stage keys) for ``language``:
    the Whisper transcriber of :func:`transcriber`, or the one viet-asr engine of this process (its native
    library is checked against the pinned SHA-256 when it loads)."""
    if engine_name(settings, language) == "vietasr":
        from transcribe.vietasr import VIETASR_VERSION, VietAsrEngine

        with _TRANSCRIBERS_LOCK:
            if ("vietasr",) not in _TRANSCRIBERS:
                _TRANSCRIBERS[("vietasr",)] = VietAsrEngine()
            engine = _TRANSCRIBERS[("vietasr",)]
        return engine, f"vietasr:{VIETASR_VERSION}", f"viet-asr {version('viet-asr')}"
    path, model_id = model(settings)
    return transcriber(path, settings), model_id, engine_version()


def detect_for_engine(settings: Settings, speech_path: Path) -> str | None:
    """For a briefing whose language is not known: the language Whisper detects (among
    ``transcribe.languages``) when another engine is configured for it (Vietnamese, by default), so that
    engine transcribes it; None otherwise, and Whisper detects and transcribes as before."""
    from transcribe.engines import engine_for

    table = TranscribeSettings.of(settings).engines
    allowed = TranscribeSettings.of(settings).languages or ("vi",)
    if all(engine_for(code, table) == "whisper" for code in allowed):
        return None
    from transcribe.whisper import decode_samples

    try:
        path, _ = model(settings)
        samples = decode_samples(speech_path)
        code, _p = transcriber(path, settings).detect_language(
            samples[: 30 * 16000], transcribe_options(settings, None)
        )
    except Exception:  # noqa: BLE001 - Whisper transcribes (and detects) itself, and reports what is wrong there
        log.debug("language not detected before choosing the engine", exc_info=True)
        return None
    return code if engine_for(code, table) != "whisper" else None


def engine_version() -> str:
    return f"faster-whisper {version('faster-whisper')}, ctranslate2 {version('ctranslate2')}"


def check_language(language: str | None) -> str | None:
    from transcribe.whisper import validate_language

    with errors.translated():
        return validate_language(language)
