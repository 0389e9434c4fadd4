"""Benchmark: bare faster-whisper vs. transcribe.WhisperTranscriber on the real-speech set.

For each language in ../shared/speech (or $BRIEFING_SPEECH_DIR), runs each engine in its own subprocess
(so peak RSS is per engine) over every clip of that language, then scores WER and CER with jiwer over
the whole set (normalised as ../shared/speech/SOURCES.md says) and reports the real-time factor
(transcription wall time / audio duration, model load excluded) and peak RSS.

    .venv/bin/python bench/bench_transcribe.py [--languages en,vi] [--threads N] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_PUNCT = re.compile(r"[^\w\s']")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    return " ".join(_PUNCT.sub(" ", text).split())


def speech_dir() -> Path:
    env = os.environ.get("BRIEFING_SPEECH_DIR")
    d = Path(env) if env else (ROOT / ".." / "shared" / "speech").resolve()
    if not (d / "manifest.tsv").is_file():
        sys.exit(f"real speech set not found at {d}: set BRIEFING_SPEECH_DIR")
    return d


def manifest(d: Path) -> list[dict[str, str]]:
    with open(d / "manifest.tsv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def worker(engine: str, language: str, model_dir: str, threads: int) -> None:
    d = speech_dir()
    rows = [r for r in manifest(d) if r["language"] == language]
    t0 = time.perf_counter()
    hyps: dict[str, str] = {}
    if engine == "bare":
        from faster_whisper import WhisperModel

        model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)
        load_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        for r in rows:
            segments, _info = model.transcribe(
                str(d / r["audio"]),
                language=language,
                beam_size=5,
                vad_filter=True,
                word_timestamps=True,
                condition_on_previous_text=False,
            )
            hyps[r["audio"]] = " ".join(s.text.strip() for s in segments)
    else:
        from transcribe.whisper import TranscribeOptions, WhisperTranscriber

        tr = WhisperTranscriber(Path(model_dir), device="cpu", compute_type="int8", cpu_threads=threads)
        tr.load()
        load_s = time.perf_counter() - t0
        opts = TranscribeOptions(language=language)
        t1 = time.perf_counter()
        for r in rows:
            hyps[r["audio"]] = tr.transcribe(d / r["audio"], opts).text
    wall = time.perf_counter() - t1
    print(
        json.dumps(
            {
                "hyps": hyps,
                "wall_s": wall,
                "load_s": load_s,
                "audio_s": sum(float(r["duration_s"]) for r in rows),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            },
            ensure_ascii=False,
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--languages", default="")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--engines", default="bare,ours")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--show", action="store_true", help="print each hypothesis")
    ap.add_argument("--worker", nargs=3, metavar=("ENGINE", "LANG", "MODEL_DIR"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker(a.worker[0], a.worker[1], a.worker[2], a.threads)
        return

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
        for engine in a.engines.split(","):
            p = subprocess.run(
                [sys.executable, __file__, "--threads", str(a.threads), "--worker", engine, lang, str(model_dir)],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            if p.returncode:
                sys.exit(f"{engine}/{lang} failed:\n{p.stderr[-3000:]}")
            out = json.loads(p.stdout.strip().splitlines()[-1])
            names = sorted(out["hyps"])
            R = [normalize(refs[n]) for n in names]
            H = [normalize(out["hyps"][n]) for n in names]
            res = {
                "language": lang,
                "engine": engine,
                "clips": len(names),
                "audio_s": round(out["audio_s"], 1),
                "wer": jiwer.wer(R, H),
                "cer": jiwer.cer(R, H),
                "rtf": out["wall_s"] / out["audio_s"],
                "load_s": out["load_s"],
                "peak_rss_mb": out["peak_rss_mb"],
                "hyps": out["hyps"],
            }
            results.append(res)
            if a.show:
                for n in names:
                    print(f"  {n}\n    ref: {normalize(refs[n])}\n    hyp: {normalize(out['hyps'][n])}")
    print(
        f"\n{'lang':4} {'engine':6} {'clips':>5} {'audio s':>8} {'WER':>7} {'CER':>7} {'RTF':>6} "
        f"{'load s':>6} {'peak RSS':>9}"
    )
    for r in results:
        print(
            f"{r['language']:4} {r['engine']:6} {r['clips']:5d} {r['audio_s']:8.1f} {r['wer']:7.1%} "
            f"{r['cer']:7.1%} {r['rtf']:6.3f} {r['load_s']:6.2f} {r['peak_rss_mb']:7.0f} MB"
        )
    print(
        f"\ncpu: {os.cpu_count()} cores, threads={a.threads or 'default'}, load avg {os.getloadavg()[0]:.2f}; "
        f"int8, beam 5, VAD on, word timestamps, condition_on_previous_text=False"
    )
    if a.json:
        a.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
