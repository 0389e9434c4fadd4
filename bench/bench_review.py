"""The review desk on a 60-minute briefing (about 9,000 words, 900 segments), in headless Debian Chromium.

Prints: time until the transcript is interactive after navigation (target < 1 s), the page's transfer size
(HTML with the transcript, script, style), and a draft save's round trip from the page (target < 100 ms).
Medians over a few runs. Run: PYTHONPATH=. python bench/bench_review.py (about 40 s)
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BID = "2026-11-25-daily-briefing"
WORDS = (
    "the ministry recorded new cases hospital occupancy stands at percent of capacity we will take "
    "questions now provinces flood response households evacuated spokesperson government"
).split()


def make(home: Path) -> None:
    from briefing.core.config import load_settings
    from briefing.core.store import Briefing, Store
    from briefing.processing import pipeline
    from tests.recorder import media
    from transcribe import formats
    from transcribe.types import Segment, Transcript, Word

    rnd = random.Random(7)
    segs, t = [], 0.0
    for i in range(900):  # 900 segments of 10 words, 4 s each: 60 minutes, 9,000 words
        words = []
        for j in range(10):
            p = rnd.choice((0.95, 0.9, 0.85, 0.4)) if j % 3 else 0.97
            words.append(Word(t + j * 0.38, t + j * 0.38 + 0.3, " " + rnd.choice(WORDS), p))
        conf = sum(w.probability for w in words) / len(words)
        segs.append(
            Segment(
                i,
                t,
                t + 3.9,
                "".join(w.text for w in words),
                tuple(words),
                confidence=conf,
                flags=("low-confidence",) if conf < 0.75 else (),
            )
        )
        t += 4.0
    tr = Transcript(language="vi", duration=t, segments=tuple(segs), model="base")
    settings = load_settings(home)
    store = Store(settings.store_path)
    store.save_briefing(
        Briefing(id=BID, title="Họp báo Chính phủ", date="2026-11-25", language="vi", speakers=("Người phát ngôn",))
    )
    d = settings.workspace / BID
    (d / "media").mkdir(parents=True, exist_ok=True)
    video = d / "media" / "video.mp4"
    media.make_tone_video(video, duration=10)
    store.stage_started(BID, "video", "k")
    store.stage_done(BID, "video", "k", [pipeline.artifact("video", video)], {})
    (d / "transcript").mkdir(parents=True, exist_ok=True)
    arts = []
    for ext, body in {
        "json": formats.to_json(tr),
        "srt": formats.to_srt(tr),
        "vtt": formats.to_vtt(tr),
        "txt": formats.to_txt(tr),
    }.items():
        p = d / "transcript" / f"transcript.{ext}"
        p.write_text(body, encoding="utf-8")
        arts.append(pipeline.artifact(ext, p))
    store.stage_started(BID, "transcribe", "k")
    store.stage_done(BID, "transcribe", "k", arts, {})
    store.close()


def main() -> None:
    from playwright.sync_api import sync_playwright
    from waitress import wasyncore

    home = Path(tempfile.mkdtemp(prefix="bench-review-")) / "home"
    os.environ["BRIEFING_HOME"] = str(home)
    make(home)
    from briefing.core.config import load_settings
    from briefing.core.store import Store
    from briefing.web import server

    settings = load_settings(home)
    store = Store(settings.store_path)
    srv, link = server.make_server(store, settings, host="127.0.0.1", port=0)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{srv.effective_port}"
    ready, sizes, saves = [], [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda e: print("page error:", e))
            page.goto(link)
            for _ in range(5):
                page.goto(f"{url}/b/{BID}")
                page.wait_for_selector("body[data-ready='1']")
                ready.append(page.evaluate("() => window.deskReadyAt"))
                sizes.append(
                    page.evaluate("""() => {
                    const nav = performance.getEntriesByType('navigation')[0];
                    let total = nav.transferSize, body = nav.decodedBodySize;
                    for (const r of performance.getEntriesByType('resource')) {
                        if (!r.name.includes('/media')) { total += r.transferSize; body += r.decodedBodySize; }
                    }
                    return [total, body];
                }""")
                )
            words = page.locator(".w").count()
            # a draft save's round trip, from the page, as the editor sends it (one segment edited)
            saves = page.evaluate("""async () => {
                const D = JSON.parse(document.getElementById('desk-data').textContent);
                let version = D.version;
                const out = [];
                for (let i = 0; i < 20; i++) {
                    // the first 10 a pause apart, as autosave sends them (2 s after the last key); then 10
                    // back to back, each while the previous one's files are still being written
                    if (i < 10) { await new Promise(r => setTimeout(r, 1500)); }
                    const segs = D.segments.map((s, j) => j === 5 ? {s: s.s, e: s.e, t: s.t + ' sửa ' + i, src: j}
                                                              : {p: s.p});
                    const t0 = performance.now();
                    const r = await fetch('/b/' + D.id + '/draft', {method: 'POST', headers: {
                        'Content-Type': 'application/json', 'X-CSRF-Token': D.csrf},
                        body: JSON.stringify({base_version: version, segments: segs})});
                    const j = await r.json();
                    out.push(performance.now() - t0);
                    if (r.status !== 200) { throw new Error(JSON.stringify(j)); }
                    version = j.version;
                }
                return out;
            }""")
            browser.close()
    finally:
        srv.trigger.pull_trigger(lambda: wasyncore.close_all(srv._map, ignore_all=True))
        thread.join(30)
        srv.task_dispatcher.shutdown()
    print(
        f"editor, 60-minute briefing ({words} words, 900 segments): interactive after "
        f"median {statistics.median(ready):.0f} ms (min {min(ready):.0f}, max {max(ready):.0f}; target < 1000 ms)"
    )
    print(
        f"page transfer: {sizes[-1][0] / 1024:.0f} KiB over the wire ({sizes[-1][1] / 1024:.0f} KiB uncompressed; "
        "HTML with the transcript, script, style; media not counted)"
    )
    spaced, burst = saves[:10], saves[10:]
    print(
        f"draft save round trip: median {statistics.median(spaced):.0f} ms, max {max(spaced):.0f} ms over "
        f"{len(spaced)} saves 1.5 s apart (target < 100 ms); back to back: median "
        f"{statistics.median(burst):.0f} ms, max {max(burst):.0f} ms"
    )


if __name__ == "__main__":
    main()
