"""End-to-end overhead of `briefing process` against bare faster-whisper on the same recording.

    python bench/bench_process.py [--minutes 5] [--language en]

Builds a recording of real speech (../shared/speech clips of the language, looped to the length asked)
as a 720p H.264/AAC MP4, as Jibri writes it. Then, in one run:
  1. bare faster-whisper (same bundled model, same options: beam 5, VAD, word timestamps, int8 on CPU)
     transcribing the MP4, model load included;
  2. `briefing process` of the same MP4 into a fresh home (model cache already joined), as a subprocess.
Prints both wall times and their ratio. Two targets read this ratio:
  - the overhead of the whole job (ingest, media, publication) over recognition alone: ≤ 1.15 (5 minutes);
  - its throughput on a long file, where `process` decodes parts side by side in batches
    (transcribe/streams.py) while bare decodes one window after another: ≤ 0.80 on 10 minutes
    (`--minutes 10`). `--streams 1` measures `process` with sequential decoding, for comparison.
With `--language vi` process transcribes with the engine chosen for Vietnamese (viet-asr by default)
while bare is still Whisper base: the ratio is then the whole job against the bare model the product
replaced; the English machine translation (a second, Whisper, pass) is left out unless `--translate`.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SPEECH = Path(os.environ.get("BRIEFING_SPEECH_DIR", REPO.parent / "shared" / "speech"))


def make_recording(dest: Path, minutes: float, language: str) -> Path:
    """Real speech of one language looped to ``minutes``, as a 720p H.264/AAC MP4.

    Each clip is first converted to one format (48 kHz stereo PCM): the concat demuxer needs identical
    stream parameters, and the clips differ (FLAC, WAV at several rates, MP3)."""
    import ffmpeg as fg

    from recorder import ffmpeg
    from recorder.probe import probe

    with open(SPEECH / "manifest.tsv", encoding="utf-8") as f:
        clips = [SPEECH / r["audio"] for r in csv.DictReader(f, delimiter="\t") if r["language"] == language]
    parts = dest.parent / "parts"
    parts.mkdir(exist_ok=True)
    uniform = []
    for i, c in enumerate(clips):
        out = parts / f"{i:03d}.wav"
        if not out.exists():
            ffmpeg.run(
                ffmpeg.compile_graph(fg.input(str(c)).audio.output(str(out), ar=48000, ac=2, acodec="pcm_s16le"))
            )
        uniform.append((out, probe(out).duration))
    total, lines = 0.0, []
    while total < minutes * 60:
        for path, duration in uniform:
            lines.append(f"file '{path}'")
            total += duration
    listing = dest.with_suffix(".txt")
    listing.write_text("\n".join(lines) + "\n")
    audio = fg.input(str(listing), f="concat", safe=0).audio
    video = fg.input("color=c=0x12355b:s=1280x720:r=25", f="lavfi", t=f"{minutes * 60:.1f}")
    out = fg.output(
        video,
        audio,
        str(dest),
        vcodec="libx264",
        preset="ultrafast",
        pix_fmt="yuv420p",
        acodec="aac",
        ar=48000,
        ac=2,
        t=f"{minutes * 60:.1f}",
        movflags="+faststart",
    )
    ffmpeg.run(ffmpeg.compile_graph(out))
    return dest


def bare(recording: Path, model_dir: Path, language: str) -> float:
    code = f"""
import time; t0 = time.perf_counter()
from faster_whisper import WhisperModel
m = WhisperModel({str(model_dir)!r}, device="cpu", compute_type="int8")
segs, info = m.transcribe({str(recording)!r}, language={language!r}, beam_size=5, vad_filter=True,
                          word_timestamps=True, condition_on_previous_text=False)
n = sum(1 for _ in segs)
print(time.perf_counter() - t0)
"""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - t0


def pipeline(
    recording: Path, home: Path, cache: Path, language: str, streams: int, translate: bool = False
) -> tuple[float, str]:
    """`briefing process` of the recording in a fresh home: its wall time and the engine and model of the
    transcript (the engine is chosen per language: viet-asr for Vietnamese by default). The English
    machine translation of a non-English briefing (a second, Whisper, pass) is off unless ``translate``."""
    env = {
        **os.environ,
        "BRIEFING_HOME": str(home),
        "BRIEFING_CACHE_DIR": str(cache),
        "BRIEFING_TRANSCRIBE_STREAMS": str(streams),
    }
    if not translate:
        env["BRIEFING_TRANSLATE_ENABLED"] = "off"
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import cli; cli.main()",
            "-q",
            "process",
            str(recording),
            "--language",
            language,
            "--title",
            "Bench",
            "--date",
            "2026-11-25",
        ],
        check=True,
        capture_output=True,
        env=env,
        cwd=REPO,
    )
    wall = time.perf_counter() - t0
    out = subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", "status", "--json"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    import json

    info = next(s["info"] for s in json.loads(out.stdout)[0]["stages"] if s["stage"] == "transcribe")
    return wall, f"{info.get('model', '?')} ({info.get('engine', '?')})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--language", default="en")
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs of each (medians reported)")
    ap.add_argument("--streams", type=int, default=0, help="transcribe.streams for process (0 = by length)")
    ap.add_argument(
        "--translate",
        action="store_true",
        help="include the English machine translation of a "
        "non-English briefing (a second pass, with Whisper) in process's time",
    )
    args = ap.parse_args()
    from transcribe.model import ensure_bundled_model

    with tempfile.TemporaryDirectory(prefix="bench-process-") as tmp:
        tmp_path = Path(tmp)
        cache = tmp_path / "cache"
        model_dir = ensure_bundled_model(cache / "models")
        rec = make_recording(tmp_path / "recording.mp4", args.minutes, args.language)
        print(
            f"recording: {args.minutes:g} min of real {args.language} speech, 720p H.264/AAC "
            f"({rec.stat().st_size / 1e6:.1f} MB); {os.cpu_count()} CPU cores"
        )
        bares, procs = [], []
        for i in range(args.repeat):  # alternate, so a change in the machine's load hits both alike
            bares.append(bare(rec, model_dir, args.language))
            wall, made_by = pipeline(rec, tmp_path / f"home{i}", cache, args.language, args.streams, args.translate)
            procs.append(wall)
            print(
                f"  run {i + 1}: bare {bares[-1]:6.1f} s   process {procs[-1]:6.1f} s   "
                f"ratio {procs[-1] / bares[-1]:.3f}   transcript by {made_by}"
            )
        t_bare, t_proc = statistics.median(bares), statistics.median(procs)
        print(f"bare faster-whisper   {t_bare:7.1f} s  (median; RTF {t_bare / (args.minutes * 60):.3f})")
        print(f"briefing process      {t_proc:7.1f} s  (median; RTF {t_proc / (args.minutes * 60):.3f})")
        target = "0.80 (throughput, 10 minutes)" if args.minutes >= 10 else "1.15 (overhead)"
        print(
            f"process / bare        {t_proc / t_bare:7.3f}  (medians; target <= {target}; "
            f"streams={args.streams or 'by length'})"
        )


if __name__ == "__main__":
    main()
