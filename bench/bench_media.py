"""Media benchmark: speech extraction and web-video production on 5-minute 720p recordings.

    .venv/bin/python bench/bench_media.py [--duration 300] [--workdir /tmp/briefing-bench-media]

Two inputs are generated once (and reused from --workdir): an H.264/AAC MP4 (the web video is a
stream copy, the fast path) and a VP9/Opus WebM (the web video is re-encoded with x264). For each
it prints seconds and the speed as a multiple of real time (media seconds per wall second).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recorder import ffmpeg  # noqa: E402
from recorder.normalize import NormalizeOptions, extract_speech_audio, make_web_video, plan_web_video  # noqa: E402
from recorder.probe import probe  # noqa: E402
from tests.recorder import media  # noqa: E402


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t0


def ensure_inputs(workdir: Path, duration: float) -> dict[str, Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    speech = media.speech_clip()
    inputs = {
        "h264-aac.mp4": lambda p: media.make_video_with_speech(
            p, speech=speech, duration=duration, size="1280x720", fps=25, x264_preset="veryfast", x264_crf=28
        ),
        "vp9-opus.webm": lambda p: media.make_webm_vp9_opus(
            p, speech=speech, duration=duration, size="1280x720", fps=25
        ),
    }
    paths = {}
    for name, make in inputs.items():
        path = workdir / f"{int(duration)}s-{name}"
        if not path.exists():
            tmp = path.with_name(path.stem + ".partial" + path.suffix)
            _, secs = timed(make, tmp)
            os.replace(tmp, path)
            print(f"generated {path.name} in {secs:.1f} s")
        paths[name] = path
    return paths


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=300.0, help="seconds of media (default 300)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/briefing-bench-media"))
    ap.add_argument("--preset", default=NormalizeOptions().preset)
    args = ap.parse_args(argv)

    opts = NormalizeOptions(preset=args.preset)
    print(f"ffmpeg {ffmpeg.version()}, {os.cpu_count()} CPUs, x264 preset {opts.preset}, crf {opts.crf}")
    inputs = ensure_inputs(args.workdir, args.duration)
    out = args.workdir / "out"
    out.mkdir(exist_ok=True)
    rows = []
    for name, src in inputs.items():
        info = probe(src)
        plan = plan_web_video(info, opts)
        _, t_wav = timed(extract_speech_audio, src, out / f"{src.stem}.wav")
        _, t_vid = timed(make_web_video, src, out / f"{src.stem}.mp4", info, opts)
        path = "copy" if plan.copied else ("copy video" if plan.copy_video else "x264 transcode")
        rows.append((name, info.duration, "speech wav", t_wav))
        rows.append((name, info.duration, f"web video ({path})", t_vid))

    print(f"\n{'input':<16}{'media s':>9}  {'step':<28}{'wall s':>8}{'x real time':>13}")
    for name, dur, step, secs in rows:
        print(f"{name:<16}{dur:>9.1f}  {step:<28}{secs:>8.2f}{dur / secs:>12.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
