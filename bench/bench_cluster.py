"""Throughput of the cluster with one worker and with two, and the cluster path's overhead on one recording.

    python bench/bench_cluster.py [--count 12] [--seconds 120]

Builds ``--count`` recordings of real English speech (../shared/speech, looped, each from another clip so
each is its own recording), then with a real redis-server on a free loopback port and a shared directory
as the cluster storage:
  1. `briefing backfill` of all of them with one `briefing worker` (one CPU thread), wall time;
  2. the same with two workers (one thread each), into a fresh home and a fresh storage;
  3. one recording through `briefing process` and `briefing archive` in-process (one CPU thread) against
     `briefing backfill` of the same recording on the cluster with one worker (model load included in both).
Every backfill archives each briefing (the bag made on a worker). Prints the wall times, the 1→2 worker
throughput ratio, the overhead ratio, the coordinator's CPU time per recording (what bounds how many
workers one coordinator keeps busy), and the measured cost per hour of audio (the README's sizing table is
worked out from it).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SPEECH = Path(os.environ.get("BRIEFING_SPEECH_DIR", REPO.parent / "shared" / "speech"))


def clips() -> list[Path]:
    with open(SPEECH / "manifest.tsv", encoding="utf-8") as f:
        return [SPEECH / r["audio"] for r in csv.DictReader(f, delimiter="\t") if r["language"] == "en"]


def make_recordings(dest: Path, count: int, seconds: float) -> list[Path]:
    """``count`` WAVs of ``seconds`` of speech, the n-th starting with the n-th clip."""
    import ffmpeg as fg

    from recorder import ffmpeg

    parts = dest / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    uniform = []
    for i, c in enumerate(clips()):
        out = parts / f"{i:03d}.wav"
        ffmpeg.run(ffmpeg.compile_graph(fg.input(str(c)).audio.output(str(out), ar=16000, ac=1, acodec="pcm_s16le")))
        uniform.append(out)
    recs = []
    for n in range(count):
        order = uniform[n % len(uniform) :] + uniform[: n % len(uniform)]
        listing = parts / f"list{n}.txt"
        listing.write_text("".join(f"file '{p}'\n" for p in order * 40))
        out = dest / f"2024-01-{n + 1:02d}_briefing.wav"
        ffmpeg.run(
            ffmpeg.compile_graph(
                fg.input(str(listing), f="concat", safe=0).audio.output(
                    str(out), t=f"{seconds:.1f}", ar=16000, ac=1, acodec="pcm_s16le"
                )
            )
        )
        recs.append(out)
    return recs


def env(home: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    e.update(
        BRIEFING_HOME=str(home),
        PYTHONPATH=str(REPO),
        BRIEFING_TRANSCRIBE_CPU_THREADS="1",
        BRIEFING_CACHE_DIR=str(CACHE),
    )
    return e


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", "-q", *args],
        env=env(home),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )


def configure(home: Path, port: int, storage: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "briefing.toml").write_text(f'[cluster]\nbroker = "redis://127.0.0.1:{port}/0"\nstorage = "{storage}"\n')
    return home


def start_workers(root: Path, port: int, storage: Path, n: int) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(n):
        home = configure(root / f"worker{i}", port, storage)
        log = open(root / f"worker{i}.log", "wb")  # noqa: SIM115 - closed with the process
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", "import cli; cli.main()", "worker", "--concurrency", "1"],
                env=env(home),
                cwd=REPO,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        )
    for i in range(n):
        deadline = time.monotonic() + 300
        while " ready." not in (root / f"worker{i}.log").read_text(errors="replace"):
            if time.monotonic() > deadline or procs[i].poll() is not None:
                raise SystemExit(f"worker {i} did not start: {(root / f'worker{i}.log').read_text()[-2000:]}")
            time.sleep(0.2)
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        p.wait(120)


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cluster_run(root: Path, port: int, recs: list[Path], workers: int) -> tuple[float, float]:
    """Wall time of the backfill, and the coordinator's CPU time (the `briefing backfill` process's)."""
    storage = root / "storage"
    past = root / "past"
    past.mkdir(parents=True)
    for r in recs:
        os.link(r, past / r.name)
    procs = start_workers(root, port, storage, workers)
    try:
        home = configure(root / "coordinator", port, storage)
        c0, t0 = children_cpu(), time.perf_counter()
        cli(home, "backfill", str(past), "--date-from-name")
        return time.perf_counter() - t0, children_cpu() - c0
    finally:
        stop(procs)


CACHE = Path(tempfile.gettempdir()) / "briefing-bench-cache"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--seconds", type=float, default=120)
    a = ap.parse_args()
    redis_exe = shutil.which("redis-server")
    if not redis_exe:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    from tests.net import free_port

    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        root = Path(tmp)
        recs = make_recordings(root / "recs", a.count, a.seconds)
        port = free_port()
        redis = subprocess.Popen(
            [
                redis_exe,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(root),
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            from briefing.core.config import load_settings  # the bundled model joined once, before timing
            from briefing.processing import speech

            speech.model(load_settings(root / "warm", overrides={"cache.dir": str(CACHE)}))
            one, one_cpu = cluster_run(root / "one", port, recs, 1)
            two, _ = cluster_run(root / "two", port, recs, 2)
            single, _ = cluster_run(root / "single", port, recs[:1], 1)
            home = root / "inproc"
            home.mkdir()
            c0, t0 = children_cpu(), time.perf_counter()
            cli(home, "process", str(recs[0]), "--title", "Bench", "--date", "2024-01-01")
            bid = next(p.name for p in (home / "site" / "briefings").iterdir() if p.is_dir())
            cli(home, "archive", "create", bid)
            inproc, inproc_cpu = time.perf_counter() - t0, children_cpu() - c0
        finally:
            redis.terminate()
            redis.wait(30)
    audio_h = a.count * a.seconds / 3600
    print(f"{a.count} recordings of {a.seconds:.0f} s ({audio_h * 60:.0f} min of speech), one CPU thread per worker")
    print(f"  1 worker : {one:7.1f} s   ({one / audio_h / 3600:.3f} s of wall per s of audio)")
    print(f"  2 workers: {two:7.1f} s   throughput ratio 2 vs 1 workers: {one / two:.2f}x")
    print(
        f"one recording: in-process {inproc:.1f} s, on the cluster {single:.1f} s, overhead ratio {single / inproc:.2f}"
    )
    print(
        f"CPU time per recording: the coordinator {one_cpu / a.count:.1f} s on the cluster, "
        f"in-process (all of it) {inproc_cpu:.1f} s, ratio {one_cpu / a.count / inproc_cpu:.2f}"
    )
    print(
        f"per hour of audio, one CPU worker (1 thread): {one / audio_h / 60:.1f} min of wall "
        f"-> {24 / (one / audio_h / 3600):.1f} h of archive per day per worker"
    )


if __name__ == "__main__":
    main()
