"""Benchmark: transcript quality before and after the quality work (issue 8), same model, same clips.

For each language of ../shared/speech (or $BRIEFING_SPEECH_DIR) and each configuration, transcribes
every clip with the bundled ``base`` model (CPU, int8, beam 5, VAD on, word timestamps) and scores WER
and CER with jiwer over the whole set of the language (normalised as SOURCES.md says), and counts
repetition loops (transcribe.guards.count_loops) and the segments the guards removed.

Configurations (each decoding run once; "+gloss" is the same output after glossary correction):
  before          TranscribeOptions as the pipeline built them before (language, beam 5), no post-checks
  guards          + the guard decoding options (transcribe.guards.DECODING) + apply_guards on the result
  guards+gloss    + near-miss correction with the glossary of bench/glossary.toml: the pipeline's default
  hotwords+gloss  + the glossary also fed to Whisper as hotwords (quality.glossary_mode = "hotwords")
  prompt+gloss    + the glossary as initial prompt instead (quality.glossary_mode = "prompt")

    .venv/bin/python bench/bench_quality.py [--languages en,vi] [--configs before,guards,hotwords,prompt] [--show]

Engines (issue 18): ``--engines whisper,vietasr`` instead compares the recognition engines, per language
and engine, each as the pipeline runs it by default (guard decoding options for Whisper, then the guards
and the glossary correction): pooled WER and CER for the clips one by one, and for the clips joined into
one long recording with a second of silence between them (viet-asr alone loses text on long buffers:
the engine's chunking must not); and the time of each against Whisper base on the same audio in the
same run (recognition only, model load excluded). An engine that does not know a language is skipped.

    .venv/bin/python bench/bench_quality.py --engines whisper,vietasr [--languages vi]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tomllib
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_transcribe import manifest, normalize, speech_dir  # noqa: E402

CONFIGS = ("before", "guards", "hotwords", "prompt")


def load_glossary():
    from transcribe.glossary import from_config

    raw = tomllib.loads((ROOT / "bench" / "glossary.toml").read_text(encoding="utf-8"))
    return from_config(raw.get("glossary"))


def options_for(config: str, language: str):
    from transcribe import glossary as tg
    from transcribe.guards import DECODING
    from transcribe.whisper import TranscribeOptions

    base = TranscribeOptions(language=language, beam_size=5)
    if config == "before":
        return base
    o = replace(base, **DECODING)
    if config == "hotwords":
        o = replace(o, hotwords=tg.hotwords(load_glossary()))
    if config == "prompt":
        o = replace(o, initial_prompt=tg.prompt(load_glossary()))
    return o


def worker(language: str, model_dir: str, configs: list[str], threads: int) -> None:
    import numpy as np  # noqa: F401
    from faster_whisper.audio import decode_audio

    from transcribe import glossary as tg
    from transcribe import guards
    from transcribe.whisper import WhisperTranscriber

    d = speech_dir()
    rows = [r for r in manifest(d) if r["language"] == language]
    tr = WhisperTranscriber(Path(model_dir), device="cpu", compute_type="int8", cpu_threads=threads)
    tr.load()
    gl = load_glossary()
    out = {}
    for config in configs:
        opts = options_for(config, language)
        hyps, loops_raw, loops, removed = {}, 0, 0, 0
        ghyps, gloops, gfixes = {}, 0, 0
        t0 = time.perf_counter()
        for r in rows:
            path = d / r["audio"]
            t = tr.transcribe(path, opts)
            loops_raw += guards.count_loops(t)
            if config != "before":
                quiet = guards.quiet_spans(decode_audio(str(path), sampling_rate=16000))
                g = guards.apply_guards(t, quiet=quiet)
                removed += sum(1 for e in g.events if e.action in ("removed", "cut"))
                t = g.transcript
                gt, fx = tg.correct(t, gl)
                gfixes += len(fx)
                gloops += guards.count_loops(gt)
                ghyps[r["audio"]] = gt.text
            loops += guards.count_loops(t)
            hyps[r["audio"]] = t.text
        wall = time.perf_counter() - t0
        audio_s = sum(float(r["duration_s"]) for r in rows)
        if config in ("before", "guards"):
            out[config] = {
                "hyps": hyps,
                "loops_raw": loops_raw,
                "loops": loops,
                "removed": removed,
                "fixes": 0,
                "wall_s": wall,
                "audio_s": audio_s,
            }
        if config != "before":
            out[config + "+gloss"] = {
                "hyps": ghyps,
                "loops_raw": loops_raw,
                "loops": gloops,
                "removed": removed,
                "fixes": gfixes,
                "wall_s": wall,
                "audio_s": audio_s,
            }
    print(json.dumps(out, ensure_ascii=False))


def engine_worker(engine: str, language: str, model_dir: str, threads: int) -> None:
    """One engine on one language's clips, one by one and joined: texts after guards and glossary."""
    import numpy as np

    from transcribe import glossary as tg
    from transcribe import guards
    from transcribe.engines import make_engine
    from transcribe.guards import DECODING
    from transcribe.whisper import TranscribeOptions, decode_samples

    d = speech_dir()
    rows = [r for r in manifest(d) if r["language"] == language]
    e = make_engine(engine, model_path=Path(model_dir), device="cpu", compute_type="int8", cpu_threads=threads)
    e.load()
    opts = replace(TranscribeOptions(language=language, beam_size=5), **DECODING)
    gl = load_glossary()

    def finish(t: object, samples: object) -> str:
        g = guards.apply_guards(t, quiet=guards.quiet_spans(samples))  # type: ignore[arg-type]
        return tg.correct(g.transcript, gl)[0].text

    audio = {r["audio"]: decode_samples(d / r["audio"]) for r in rows}
    hyps, clips_s = {}, 0.0
    for r in rows:
        t0 = time.perf_counter()
        t = e.transcribe(audio[r["audio"]], opts)
        clips_s += time.perf_counter() - t0
        hyps[r["audio"]] = finish(t, audio[r["audio"]])
    gap = np.zeros(16000, dtype=np.float32)
    joined = np.concatenate([x for r in rows for x in (audio[r["audio"]], gap)])
    t0 = time.perf_counter()
    tj = e.transcribe(joined, opts)
    joined_s = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "hyps": hyps,
                "joined": finish(tj, joined),
                "clips_s": clips_s,
                "joined_s": joined_s,
                "audio_s": sum(len(x) for x in audio.values()) / 16000,
                "joined_audio_s": len(joined) / 16000,
                "model": tj.model,
                "segments": len(tj.segments),
            },
            ensure_ascii=False,
        )
    )


def engines_main(a: argparse.Namespace) -> None:
    import subprocess

    import jiwer

    from transcribe.engines import DEFAULT_ENGINES, make_engine
    from transcribe.model import ensure_bundled_model

    d = speech_dir()
    rows = manifest(d)
    langs = [x for x in a.languages.split(",") if x] or sorted({r["language"] for r in rows})
    names = [x for x in a.engines.split(",") if x]
    cache = Path(os.environ.get("BRIEFING_MODEL_CACHE", Path(tempfile.gettempdir()) / "briefing-bench-models"))
    model_dir = ensure_bundled_model(cache)
    refs = {r["audio"]: normalize((d / r["reference"]).read_text(encoding="utf-8")) for r in rows}
    results = []
    for lang in langs:
        runs = {}
        for name in ["whisper"] + [n for n in names if n != "whisper"]:  # base first: the time reference
            caps = make_engine(name, model_path=model_dir).capabilities
            if not caps.knows(lang):
                continue
            p = subprocess.run(
                [sys.executable, __file__, "--threads", str(a.threads), "--engine-worker", name, lang, str(model_dir)],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            if p.returncode:
                sys.exit(f"{name}/{lang} failed:\n{p.stderr[-3000:]}")
            runs[name] = json.loads(p.stdout.strip().splitlines()[-1])
        base = runs["whisper"]
        for name, o in runs.items():
            if name not in names:
                continue
            clips = sorted(o["hyps"])
            R = [refs[n] for n in clips]
            H = [normalize(o["hyps"][n]) for n in clips]
            Rj = " ".join(refs[n] for n in sorted(o["hyps"], key=lambda n: [r["audio"] for r in rows].index(n)))
            Hj = normalize(o["joined"])
            default = DEFAULT_ENGINES.get(lang, "whisper") == name
            results.append(
                {
                    "language": lang,
                    "engine": name,
                    "default": default,
                    "model": o["model"],
                    "clips": len(clips),
                    "audio_s": o["audio_s"],
                    "wer": jiwer.wer(R, H),
                    "cer": jiwer.cer(R, H),
                    "wer_joined": jiwer.wer(Rj, Hj),
                    "cer_joined": jiwer.cer(Rj, Hj),
                    "time_clips": o["clips_s"] / base["clips_s"],
                    "time_joined": o["joined_s"] / base["joined_s"],
                    "rtf": o["clips_s"] / o["audio_s"],
                    "joined": o["joined"],
                    "hyps": o["hyps"],
                }
            )
            if a.show:
                print(f"  {lang}/{name} joined:\n    ref: {Rj}\n    hyp: {Hj}")
    print(
        f"\n{'lang':4} {'engine':8} {'dflt':4} {'clips':>5} {'audio s':>7}  {'WER':>6} {'CER':>6}  "
        f"{'WER-j':>6} {'CER-j':>6}  {'time':>5} {'time-j':>6} {'RTF':>6}"
    )
    for r in results:
        print(
            f"{r['language']:4} {r['engine']:8} {'yes' if r['default'] else '':4} {r['clips']:5d} {r['audio_s']:7.1f}  "
            f"{r['wer']:6.1%} {r['cer']:6.1%}  {r['wer_joined']:6.1%} {r['cer_joined']:6.1%}  "
            f"{r['time_clips']:5.2f} {r['time_joined']:6.2f} {r['rtf']:6.3f}"
        )
    print(
        f"\nWER/CER: clips one by one (pooled); -j: the clips joined into one recording, 1 s of silence between. "
        f"time: recognition time / Whisper base's on the same audio, this run.\ncpu: {os.cpu_count()} cores, "
        f"load avg {os.getloadavg()[0]:.2f}; guards and glossary (bench/glossary.toml) applied, as the pipeline does"
    )
    if a.json:
        a.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--languages", default="")
    ap.add_argument("--configs", default="before,guards,hotwords,prompt")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--show", action="store_true", help="print each hypothesis that differs from 'before'")
    ap.add_argument("--worker", nargs=2, metavar=("LANG", "MODEL_DIR"), help=argparse.SUPPRESS)
    ap.add_argument("--engines", default="", help="compare recognition engines instead (e.g. whisper,vietasr)")
    ap.add_argument("--engine-worker", nargs=3, metavar=("ENGINE", "LANG", "MODEL_DIR"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.engine_worker:
        engine_worker(a.engine_worker[0], a.engine_worker[1], a.engine_worker[2], a.threads)
        return
    if a.engines:
        engines_main(a)
        return
    configs = [c for c in a.configs.split(",") if c]
    for c in configs:
        if c not in CONFIGS:
            sys.exit(f"unknown configuration {c}: use {', '.join(CONFIGS)}")
    if a.worker:
        worker(a.worker[0], a.worker[1], configs, a.threads)
        return

    import subprocess

    import jiwer

    from transcribe.model import ensure_bundled_model

    d = speech_dir()
    rows = manifest(d)
    langs = [x for x in a.languages.split(",") if x] or sorted({r["language"] for r in rows})
    cache = Path(os.environ.get("BRIEFING_MODEL_CACHE", Path(tempfile.gettempdir()) / "briefing-bench-models"))
    model_dir = ensure_bundled_model(cache)
    refs = {r["audio"]: (d / r["reference"]).read_text(encoding="utf-8") for r in rows}
    results = []
    for lang in langs:
        p = subprocess.run(
            [
                sys.executable,
                __file__,
                "--threads",
                str(a.threads),
                "--configs",
                ",".join(configs),
                "--worker",
                lang,
                str(model_dir),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if p.returncode:
            sys.exit(f"{lang} failed:\n{p.stderr[-3000:]}")
        out = json.loads(p.stdout.strip().splitlines()[-1])
        labels = list(out)
        for config in labels:
            o = out[config]
            names = sorted(o["hyps"])
            groups = {"all": names}
            if lang == "en":  # the overlapping two-speaker clip dominates English WER: show without it too
                groups["no-overlap"] = [n for n in names if "diarization" not in n]
            for g, ns in groups.items():
                R = [normalize(refs[n]) for n in ns]
                H = [normalize(o["hyps"][n]) for n in ns]
                results.append(
                    {
                        "language": lang,
                        "group": g,
                        "config": config,
                        "clips": len(ns),
                        "wer": jiwer.wer(R, H),
                        "cer": jiwer.cer(R, H),
                        "loops_raw": o["loops_raw"],
                        "loops": o["loops"],
                        "removed": o["removed"],
                        "fixes": o["fixes"],
                        "rtf": o["wall_s"] / o["audio_s"],
                        "hyps": {n: o["hyps"][n] for n in ns},
                    }
                )
        if a.show:
            for n in sorted(out[labels[0]]["hyps"]):
                base = normalize(out[labels[0]]["hyps"][n])
                print(f"  {n}\n    ref:            {normalize(refs[n])}\n    {labels[0]:15} {base}")
                for c in labels[1:]:
                    h = normalize(out[c]["hyps"][n])
                    if h != base:
                        print(f"    {c:15} {h}")
    print(
        f"\n{'lang':4} {'group':10} {'config':14} {'clips':>5} {'WER':>7} {'CER':>7} {'loops':>9} "
        f"{'removed':>7} {'fixes':>5} {'RTF':>6}"
    )
    for r in results:
        print(
            f"{r['language']:4} {r['group']:10} {r['config']:14} {r['clips']:5d} {r['wer']:7.1%} {r['cer']:7.1%} "
            f"{r['loops_raw']:>3}→{r['loops']:<3}  {r['removed']:7d} {r['fixes']:5d} {r['rtf']:6.3f}"
        )
    worse = []
    for r in results:
        b = next(
            x
            for x in results
            if x["language"] == r["language"] and x["group"] == r["group"] and x["config"] == "before"
        )
        if r["wer"] > b["wer"] + 1e-9 or r["cer"] > b["cer"] + 1e-9 or r["loops"] > b["loops"]:
            worse.append(f"{r['language']}/{r['group']}/{r['config']}")
    print(
        f"\ncpu: {os.cpu_count()} cores, load avg {os.getloadavg()[0]:.2f}; base model, int8, beam 5, VAD on, "
        f"word timestamps. loops: in the raw output → after the guards"
    )
    print("worse than before: " + (", ".join(worse) if worse else "none"))
    if a.json:
        a.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
