"""Time from the end of a briefing's stream to the published page, with live transcription.

    python bench/bench_live.py [--minutes 5 20] [--speed 4] [--language en] [--no-wer]

For each length: a recording of real speech (../shared/speech clips of the language, whole clips looped
to the length) as a small H.264/AAC stream, cut into 10 s MPEG-TS segments the way the capture writes
them (stream copy). The segments are then released into a briefing's capture directory at ``speed`` times
real time while a capture lock is held (a running capture) and the live follower transcribes them (the
same thread `briefing record capture` starts). At the end of the stream: the capture ends, `record stop`
joins and ingests, `briefing work` runs the pipeline (the transcribe stage adopts the live transcript),
and the clock stops when the page and the feed hold the full transcript.

Printed per length: time to publish (target <= 60 s, independent of length) and, in the same run,
WER of the published (live) transcript and of an offline transcription of the same speech.wav with the
same model and options: their ratio (target <= 1.10).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SPEECH = Path(os.environ.get("BRIEFING_SPEECH_DIR", REPO.parent / "shared" / "speech"))
SEGMENT = 10.0


def make_stream(dest_dir: Path, minutes: float, language: str) -> tuple[list[Path], str, float]:
    import ffmpeg as fg

    from recorder import ffmpeg
    from recorder.probe import probe

    with open(SPEECH / "manifest.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["language"] == language]
    clips = [
        (
            SPEECH / r["audio"],
            (SPEECH / r["reference"]).read_text(encoding="utf-8").strip(),
            probe(SPEECH / r["audio"]).duration,
        )
        for r in rows
    ]
    norm = dest_dir / "clips"  # one format for all (the concat demuxer needs it): 48 kHz stereo PCM
    norm.mkdir()
    same = []
    for i, (path, ref, _dur) in enumerate(clips):
        out = norm / f"{i:03d}.wav"
        ffmpeg.run(ffmpeg.compile_graph(fg.input(str(path)).audio.output(str(out), ar=48000, ac=2, acodec="pcm_s16le")))
        same.append((out, ref, probe(out).duration))
    clips = same
    lines, refs, total = [], [], 0.0
    while total < minutes * 60:
        for path, ref, dur in clips:
            lines.append(f"file '{path}'")
            refs.append(ref)
            total += dur
            if total >= minutes * 60:
                break
    listing = dest_dir / "list.txt"
    listing.write_text("\n".join(lines) + "\n")
    audio = fg.input(str(listing), f="concat", safe=0).audio
    video = fg.input("color=c=0x12355b:s=320x180:r=10", f="lavfi", t=f"{total:.2f}")
    rec = dest_dir / "stream.mp4"
    ffmpeg.run(
        ffmpeg.compile_graph(
            fg.output(
                video,
                audio,
                str(rec),
                vcodec="libx264",
                preset="ultrafast",
                g=20,
                pix_fmt="yuv420p",
                acodec="aac",
                ar=48000,
                ac=2,
                t=f"{total:.2f}",
            )
        )
    )
    segs = dest_dir / "segs"
    segs.mkdir()
    ffmpeg.run(
        ffmpeg.compile_graph(
            fg.output(
                fg.input(str(rec)),
                str(segs / "seg-%06d.ts"),
                f="segment",
                c="copy",
                segment_time=f"{SEGMENT:g}",
                reset_timestamps=1,
                segment_format="mpegts",
            )
        )
    )
    return sorted(segs.glob("seg-*.ts")), " ".join(refs), total


def run_one(minutes: float, speed: float, language: str, wer: bool, cache: Path) -> dict:
    import jiwer

    from tests.transcribe.helpers import normalize

    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    try:
        segments, reference, total = make_stream(tmp, minutes, language)
        os.environ["BRIEFING_HOME"] = str(tmp / "home")
        os.environ["BRIEFING_CACHE_DIR"] = str(cache)
        from briefing.core.config import load_settings
        from briefing.core.store import Store
        from briefing.processing import live, speech
        from briefing.recording import record, worker
        from recorder import capture as rc

        settings = load_settings(str(tmp / "home"), overrides={"briefing.language": language})
        store = Store(settings.store_path)
        bid = "2026-11-25-bench-live"
        record.ensure_briefing(store, settings, bid)
        cdir = record.capture_dir(settings, bid)
        segdir = rc.segment_dir(cdir)
        segdir.mkdir(parents=True)
        lock = rc._Lock(cdir)
        lock.acquire()
        rc._write_json(cdir / rc.STATE_NAME, {"source": "rtmp://127.0.0.1/live/bench", "runs": [], "stopped_at": None})
        record._open_recording(store, bid, "capture", source="rtmp://127.0.0.1/live/bench")
        follower = live.start_follower(store, settings, bid)
        t0 = time.monotonic()
        for i, seg in enumerate(segments):  # ffmpeg writes a segment while it lasts; it is there at once
            tmp_name = segdir / (seg.name + ".part")
            shutil.copy(seg, tmp_name)
            tmp_name.rename(segdir / seg.name)
            due = t0 + (i + 1) * SEGMENT / speed
            time.sleep(max(0.0, due - time.monotonic()))
        lag = live.status(store, settings, bid)
        # The stream ends: the capture closes its last segment and exits.
        t_end = time.monotonic()
        lock.release()
        rc._write_json(cdir / rc.STATE_NAME, {**rc.read_state(cdir), "stopped_at": "now"})
        record.capture_stop(store, settings, bid)
        t_stop = time.monotonic()
        result = worker.work(store, settings, bid=bid)
        t_done = time.monotonic()
        follower.wait(5)
        page = Path(result.done[0].page)
        from transcribe import formats

        t = formats.from_json(Path(store.artifacts(bid)["json"].path).read_text(encoding="utf-8"))
        last_words = t.segments[-1].text.split()[-3:]
        html = page.read_text(encoding="utf-8")
        feed = (
            (settings.site_dir / "feed.xml").read_text(encoding="utf-8")
            if (settings.site_dir / "feed.xml").exists()
            else ""
        )
        ok = all(w.strip(".,") in html for w in last_words) and (bid in feed or not feed)
        info = store.stage(bid, "transcribe").info
        out = {
            "minutes": round(total / 60, 2),
            "publish_s": round(t_done - t_end, 1),
            "page_ok": ok,
            "adopted": info.get("live"),
            "behind_at_end_s": round(lag.seconds - lag.transcribed_to, 1) if lag else None,
            "feed": bool(feed),
            "media_live": store.stage(bid, "video").info.get("live"),
            "stop_join_s": round(t_stop - t_end, 1),
            "stages": {n: store.stage(bid, n).info.get("seconds") for n in ("audio", "video", "transcribe")},
        }
        if wer:
            speech_wav = Path(store.artifacts(bid)["speech"].path)
            model_path, _ = speech.model(settings)
            tr = speech.transcriber(model_path, settings)
            off = tr.transcribe(speech_wav, speech.transcribe_options(settings, language))
            ref = normalize(reference)
            out["wer_live"] = round(jiwer.wer(ref, normalize(t.text)), 4)
            out["wer_offline"] = round(jiwer.wer(ref, normalize(off.text)), 4)
            out["wer_ratio"] = round(out["wer_live"] / max(out["wer_offline"], 1e-9), 3)
        store.close()
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, nargs="+", default=[5.0, 20.0])
    ap.add_argument("--speed", type=float, default=4.0, help="stream playback speed (1 = real time)")
    ap.add_argument("--language", default="en")
    ap.add_argument("--no-wer", action="store_true")
    ap.add_argument("--wer-minutes", type=float, default=5.0, help="measure the WER ratio on this length")
    args = ap.parse_args()
    from transcribe.model import ensure_bundled_model

    cache = Path(tempfile.mkdtemp(prefix="bench-live-cache-"))
    ensure_bundled_model(cache / "models")
    print(f"{os.cpu_count()} CPU cores; stream at {args.speed:g}x real time; {args.language}")
    for m in args.minutes:
        r = run_one(m, args.speed, args.language, not args.no_wer and m == args.wer_minutes, cache)
        line = (
            f"{r['minutes']:5.1f} min briefing: time to publish {r['publish_s']:5.1f} s (target <= 60)"
            f"  adopted live={r['adopted']} web audio live={r['media_live']} page_ok={r['page_ok']}"
            f" live behind at end {r['behind_at_end_s']} s; stop+join {r['stop_join_s']} s;"
            f" stage seconds {r['stages']}"
        )
        if "wer_ratio" in r:
            line += (
                f"\n      WER live {r['wer_live']:.4f} / offline {r['wer_offline']:.4f} = "
                f"{r['wer_ratio']:.3f} (target <= 1.10)"
            )
        print(line, flush=True)
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
