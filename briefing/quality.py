"""Transcript quality, application side: settings, and the pipeline's quality steps.

- recognition options: the guards' decoding options, and the glossary of briefing.toml (``[glossary]``)
  as hotwords or initial prompt (:func:`transcribe_options`);
- after recognition: hallucination guards and glossary correction (:func:`postprocess`), inside the
  transcribe stage, so its key covers them;
- ``translate`` stage: an English track from Whisper's translate task for a non-English briefing;
- ``redact`` stage, just before publishing: speaker labels from the chair's turns, personal data out of
  the transcript, summary and translation (``[redact]`` patterns per country), and bleeped copies of the
  published audio and video. Its outputs are the ``redacted_*`` artifacts the release is made of; the
  originals stay the transcript's artifacts, which the archive keeps (and the site never gets).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from briefing import config
from briefing.config import Setting, Settings
from briefing.errors import ConfigError
from briefing.fsutil import atomic_write_text, sha256_text

config.register(
    Setting("quality.guards", True, "Hallucination guards: decoding options and checks after recognition.",
            config.boolean),
    Setting("quality.glossary_mode", "off",
            "Also feed the [glossary] to recognition: hotwords, prompt (initial prompt), or off (only correct "
            "near misses afterwards; bench/bench_quality.py shows why off is the default for base)."),
    Setting("quality.low_confidence", 0.5, "Words and segments below this confidence are listed for review.",
            float),
    Setting("transcribe.languages", ("vi", "en"), "The languages automatic detection may choose from (the "
            "most probable of them); any for every language Whisper knows.", lambda v: _languages(v)),
    Setting("transcribe.min_speech", 1.0, "Seconds of speech (by VAD) a recording needs for its words to be "
            "published; with less it is published as 'No speech detected' (0: off).", float),
    Setting("translate.enabled", "auto", "English machine-translation track: auto (for non-English "
            "briefings), off."),
    Setting("redact.enabled", True, "Redact personal data from what is published (the archive keeps it).",
            config.boolean),
    Setting("redact.country", "vn", "Which country's patterns to use (vn, us), or none for emails only; "
            "add your own in [redact.patterns]."),
)


def _languages(value: Any) -> tuple[str, ...]:
    """``transcribe.languages`` from a list (briefing.toml) or "vi,en" (environment); () for any."""
    import re

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


REDACTED_ROLES = {"json": "transcript.json", "srt": "transcript.srt", "vtt": "transcript.vtt",
                  "txt": "transcript.txt", "summary_json": "summary.json", "summary": "summary.md",
                  "translation_vtt": "translation.en.vtt"}
QUALITY_VERSION = 1


# -- settings --------------------------------------------------------------------------------------------
def glossary(settings: Settings) -> Any:
    from transcribe.glossary import from_config

    from briefing import text
    from briefing.errors import InputError

    try:
        g = from_config(settings.section("glossary"))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad [glossary] in briefing.toml: {exc}",
                          hint='write terms = ["Bộ Y tế", "Nguyễn Thanh Long", ...]') from None
    try:
        for term in (*g.terms, *g.aliases, *g.aliases.values()):
            text.check(term, f"the [glossary] entry {term[:40]!r}", max_len=text.TERM_MAX)
    except InputError as exc:
        raise ConfigError(f"{exc.message} in briefing.toml", hint=exc.hint) from None
    return g


def patterns(settings: Settings) -> Any:
    from transcribe.redact import patterns_for

    node = settings.section("redact") or {}
    country = str(settings["redact.country"] or "").strip().lower()
    extra = node.get("patterns") or {}
    disable = tuple(node.get("disable") or ())
    if not isinstance(extra, dict):
        raise ConfigError("[redact.patterns] must be a table of name = \"regular expression\"",
                          hint='e.g. [redact.patterns]\npassport = "\\\\b[A-Z]\\\\d{7}\\\\b"')
    try:
        return patterns_for(None if country in ("", "none") else country,
                            extra={str(k): str(v) for k, v in extra.items()}, disable=disable,
                            pad=float(node.get("pad", 0.15)))
    except ValueError as exc:
        raise ConfigError(f"bad [redact] settings: {exc}", hint="fix the pattern or the country") from None


def transcribe_options(settings: Settings, language: str | None, *, task: str = "transcribe") -> Any:
    """The decoding options of the transcribe (and translate) stage."""
    from transcribe import glossary as tg
    from transcribe.guards import DECODING
    from transcribe.whisper import TranscribeOptions

    opts = TranscribeOptions(language=language, task=task, beam_size=int(settings["transcribe.beam_size"]),
                             streams=int(settings["transcribe.streams"]),
                             languages=tuple(settings["transcribe.languages"]))
    if settings["quality.guards"]:
        opts = replace(opts, **DECODING)
    mode = str(settings["quality.glossary_mode"]).lower()
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

    return repr((QUALITY_VERSION, bool(settings["quality.guards"]), GuardOptions().key(),
                 glossary(settings).key(), ("min_speech", float(settings["transcribe.min_speech"]))))


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

    if settings["quality.guards"]:
        quiet = None
        try:
            quiet = guards.quiet_spans(audio())
        except Exception:  # noqa: BLE001 - without the audio the other checks still run
            quiet = None
        g = guards.apply_guards(t, quiet=quiet)
        t = g.transcript
        info["guards"] = [e.to_dict() for e in g.events]
        info["loops"] = guards.count_loops(t)
    t, info["speech"] = too_little_speech(t, audio, float(settings["transcribe.min_speech"]))
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


def quality_info(store: Any, bid: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    run = store.stage(bid, "transcribe")
    if run is not None:
        out["guards"] = (run.info.get("quality") or {}).get("guards", [])
        out["glossary"] = (run.info.get("quality") or {}).get("glossary", [])
    red = store.stage(bid, "redact")
    if red is not None:
        out["redactions"] = red.info.get("hits", [])
    return out


# -- translate stage -------------------------------------------------------------------------------------
def wants_translation(settings: Settings, language: str) -> bool:
    mode = str(settings["translate.enabled"]).lower()
    if mode in ("off", "false", "no", "0"):
        return False
    if mode not in ("auto", "on", "true", "yes", "1"):
        raise ConfigError(f"translate.enabled is {mode!r}", hint="use auto or off")
    return bool(language) and language not in ("en", "auto")


def translate(runner: Any) -> None:
    """Whisper's translate task over the speech audio: an English transcript, as a second captions track."""
    from briefing.pipeline import _engine_version, _model, _transcriber, artifact
    from transcribe import formats

    b = runner.store.briefing(runner.briefing.id)
    heard = runner.store.stage(b.id, "transcribe")
    silent = heard is not None and heard.status == "done" and heard.info.get("segments") == 0
    if silent or not wants_translation(runner.settings, b.language):  # recorded as done with nothing to make
        reason = ("no speech" if silent else "English briefing" if b.language == "en"
                  else "translation off or language unknown")
        runner.run("translate", {"none": b.language, "mode": str(runner.settings["translate.enabled"]),
                                 **({"no_speech": True} if silent else {})},
                   lambda: ([], {"skipped": reason}))
        return
    speech = runner.art("speech")
    model_path, model_id = _model(runner.settings)
    opts = transcribe_options(runner.settings, b.language, task="translate")
    out = runner.dir / "translation"

    def work() -> tuple[list[Any], dict[str, Any]]:
        tr = _transcriber(model_path, runner.settings)
        t = tr.transcribe(Path(speech.path), opts, progress=runner.reporter.progress)
        if runner.settings["quality.guards"]:
            from transcribe import guards

            t = guards.apply_guards(t).transcript
        t = replace(t, language="en", options={**t.options, "machine_translation": True, "source_language": b.language})
        pj = atomic_write_text(out / "translation.en.json", formats.to_json(t))
        pv = atomic_write_text(out / "translation.en.vtt", formats.to_vtt(t))
        return [artifact("translation_json", pj), artifact("translation_vtt", pv)], {
            "segments": len(t.segments), "from": b.language}

    runner.run("translate", {"speech": speech.sha256, "model": model_id, "opts": repr(opts),
                             "engine": _engine_version(), "quality": QUALITY_VERSION}, work)


# -- redact stage ----------------------------------------------------------------------------------------
def redact(runner: Any) -> None:
    """Make what the release publishes: speaker-labelled, redacted transcript files, redacted summary and
    translation, and bleeped media when personal data was said."""
    from briefing import review
    from briefing.pipeline import artifact, summary_markdown
    from recorder import ffmpeg as rff
    from transcribe import formats
    from transcribe import redact as tr
    from transcribe.types import Summary

    store, settings = runner.store, runner.settings
    b = store.briefing(runner.briefing.id)
    arts = store.artifacts(b.id)
    enabled = bool(settings["redact.enabled"])
    pats = patterns(settings)
    turn_list = review.turns(store, b.id)
    inputs = {r: arts[r].sha256 for r in ("json", "summary_json", "audio", "video", "translation_json") if r in arts}
    key = {"inputs": inputs, "enabled": enabled, "patterns": pats.key() if enabled else None,
           "turns": [t.to_dict() for t in turn_list], "title": b.title, "date": b.date,
           "speakers": list(b.speakers), "ffmpeg": rff.version(), "version": QUALITY_VERSION}
    out = runner.dir / "published"

    def work() -> tuple[list[Any], dict[str, Any]]:
        t = formats.from_json(Path(arts["json"].path).read_text(encoding="utf-8"))
        t = review.apply_turns(t, turn_list)
        hits: list[Any] = []
        if enabled:
            red = tr.redact(t, pats)
            t, hits = red.transcript, list(red.hits)
        files = {"json": formats.to_json(t), "srt": formats.to_srt(t), "vtt": formats.to_vtt(t),
                 "txt": formats.to_txt(t)}
        if "summary_json" in arts:
            s = Summary.from_dict(json.loads(Path(arts["summary_json"].path).read_text(encoding="utf-8")))
            if enabled:
                s = tr.redact_summary(s, pats, [(h.start, h.end) for h in hits])
            files["summary_json"] = json.dumps(s.to_dict(), ensure_ascii=False, indent=2)
            files["summary"] = summary_markdown(b, s)
        if "translation_json" in arts:
            tt = formats.from_json(Path(arts["translation_json"].path).read_text(encoding="utf-8"))
            if enabled:
                red_t = tr.redact(tt, pats)
                tt = red_t.transcript
                hits += list(red_t.hits)  # the same moment said in English: bleep the span too
            files["translation_vtt"] = formats.to_vtt(tt)
        result = []
        for role, body in files.items():
            result.append(artifact("redacted_" + role, atomic_write_text(out / REDACTED_ROLES[role], body)))
        spans = tr.merge_spans([(h.start, h.end) for h in hits])
        if spans:
            from recorder.bleep import bleep

            tag = sha256_text(json.dumps(spans))[:12]
            for role in ("audio", "video"):
                if role not in arts:
                    continue
                src = Path(arts[role].path)
                dest = out / f"{src.stem}.bleeped-{arts[role].sha256[:8]}-{tag}{src.suffix}"
                if not dest.is_file() or dest.stat().st_size == 0:
                    for old in out.glob(f"{src.stem}.bleeped-*{src.suffix}"):
                        old.unlink()
                    bleep(src, dest, spans)
                result.append(artifact("redacted_" + role, dest))
        else:
            for old in list(out.glob("*.bleeped-*")) if out.is_dir() else []:
                old.unlink()
        return result, {"hits": [h.to_dict() for h in hits], "spans": spans, "speakers": len(turn_list)}

    runner.run("redact", key, work)


def release_artifacts(store: Any, bid: str, arts: dict[str, Any]) -> dict[str, Any]:
    """The artifacts a release is made of: the redacted copies in place of the originals."""
    out = dict(arts)
    for role, a in arts.items():
        if role.startswith("redacted_") and role != "redacted_translation_vtt":
            out[role[len("redacted_"):]] = a
    return out


def extra_tracks(arts: dict[str, Any]) -> tuple[tuple[str, str, Path], ...]:
    a = arts.get("redacted_translation_vtt")
    if a is None:
        return ()
    return (("en", "English", Path(a.path)),)
