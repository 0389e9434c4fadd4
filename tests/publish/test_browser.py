"""The published page in headless Chromium: captions load, timestamps seek the player, #t= works."""

from __future__ import annotations

import functools
import os
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from publish.site import publish_release
from publish.types import Correction
from tests.recorder import media

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]


class RangeHandler(SimpleHTTPRequestHandler):
    """A static file server that answers byte-range requests, as any real web server does (seeking needs it)."""

    def log_message(self, *args):  # keep test output quiet
        pass

    def send_head(self):
        rng = self.headers.get("Range")
        path = self.translate_path(self.path)
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng or "")
        if not m or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        start = int(m.group(1)) if m.group(1) else max(0, size - int(m.group(2) or 0))
        end = min(int(m.group(2)), size - 1) if (m.group(1) and m.group(2)) else size - 1
        if start >= size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.end_headers()
            return None
        f = open(path, "rb")
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._remaining = end - start + 1
        return f

    def copyfile(self, source, outputfile):
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            return super().copyfile(source, outputfile)
        while remaining > 0:
            chunk = source.read(min(65536, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)


@pytest.fixture
def served(site, options, make_release):
    publish_release(site, make_release("2026-11-24", date="2026-11-24"), options)
    publish_release(site, make_release(), options)
    publish_release(
        site,
        make_release(
            texts=[
                "Good morning, and welcome to today's briefing on the flood response.",
                "The ministry recorded 1,240 households evacuated in the past day.",
                "Hospital occupancy stands at 3.5 percent of capacity in the affected provinces.",
                "We will take questions now.",
            ],
            version=2,
            corrections=(Correction("2026-11-25T16:45:00+07:00", "Corrected the number of households.", 2),),
            extra_tracks=True,
        ),
        options,
    )
    handler = functools.partial(RangeHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            pg = ctx.new_page()
            pg.set_default_timeout(15000)
            yield pg
        finally:
            browser.close()


def test_captions_load_and_timestamps_seek(served, page, tmp_path):
    errors: list[str] = []
    external: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(served) else None)

    page.goto(served + "briefings/2026-11-25/")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    # the captions track loads its cues
    page.evaluate(
        "() => { const t = document.getElementById('player').textTracks[0];"
        " if (t.mode === 'disabled') t.mode = 'hidden'; }"
    )
    page.wait_for_function(
        "document.getElementById('player').textTracks[0].cues"
        " && document.getElementById('player').textTracks[0].cues.length > 0"
    )
    assert page.evaluate("document.getElementById('player').textTracks[0].cues.length") == 4
    assert page.evaluate("document.getElementById('player').textTracks[0].mode") in ("showing", "hidden")

    # clicking a transcript timestamp seeks the video there (and highlights that segment)
    link = page.locator(".segments a.ts").nth(2)
    t = float(link.get_attribute("data-t"))
    link.click()
    page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {t}) < 0.5")
    page.wait_for_function("document.querySelector('#seg-2').classList.contains('current')")
    assert page.url.endswith(f"#t={int(t)}")

    # a summary sentence seeks too
    s = page.locator(".summary a.seek").first
    ts = float(s.get_attribute("data-t"))
    page.evaluate("document.getElementById('player').pause()")
    s.click()
    page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {ts}) < 0.5")
    page.evaluate("document.getElementById('player').pause()")

    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(tmp_path / "briefing-page.png"), full_page=True)
    assert not errors, errors
    assert not external, external


def test_loading_with_time_fragment_seeks(served, page):
    page.goto(served + "briefings/2026-11-25/#t=2")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 2) < 0.5")


def test_index_and_old_version_pages_render(served, page, tmp_path):
    page.goto(served)
    assert page.locator(".briefing-item").count() == 2
    page.screenshot(path=str(tmp_path / "briefing-index.png"), full_page=True)
    page.locator(".briefing-item h2 a").first.click()
    page.wait_for_url(re.compile(r".*/briefings/2026-11-25/$"))
    page.locator(".corrections a", has_text="v1").first.click()
    page.wait_for_url(re.compile(r".*/v1/$"))
    assert "version 1" in page.locator(".archived").inner_text()
    page.wait_for_function("document.getElementById('player').readyState >= 1")  # media one level up plays


def test_a_kept_version_plays_its_own_recording(site, options, make_release, media_dir, tmp_path, page):
    """Version 2 with another recording (5 s, not 3 s): the latest page plays the new one, v1/ still the
    first one, with its poster and captions, and nothing it asks for is missing."""
    import subprocess
    from dataclasses import replace

    other = tmp_path / "other.mp4"
    media.make_tone_video(other, duration=5, frequency=600)
    poster = tmp_path / "other.jpg"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=d=1:s=320x240", "-frames:v", "1", str(poster)],
        check=True,
        capture_output=True,
    )
    publish_release(site, make_release(), options)
    note = Correction("2026-11-25T16:45:00+07:00", "The recording was replaced.", 2)
    v2 = make_release(version=2, corrections=(note,))
    publish_release(site, replace(v2, files={**v2.files, "video": other, "poster": poster}), options)
    handler = functools.partial(RangeHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    served = f"http://127.0.0.1:{server.server_address[1]}/"
    bad: list[str] = []
    page.on("response", lambda r: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        durations = {}
        for path in ("briefings/2026-11-25/", "briefings/2026-11-25/v1/", "briefings/2026-11-25/v2/"):
            page.goto(served + path)
            page.wait_for_function("document.getElementById('player').readyState >= 1")
            durations[path] = page.evaluate("document.getElementById('player').duration")
            page.evaluate(
                "() => { const t = document.getElementById('player').textTracks[0];"
                " if (t.mode === 'disabled') t.mode = 'hidden'; }"
            )
            page.wait_for_function(
                "document.getElementById('player').textTracks[0].cues"
                " && document.getElementById('player').textTracks[0].cues.length > 0"
            )
            poster_ok = page.evaluate("""() => new Promise(done => { const i = new Image();
                i.onload = () => done(i.naturalWidth > 0); i.onerror = () => done(false);
                i.src = document.getElementById('player').poster; })""")
            assert poster_ok, path
        src = page.evaluate("document.getElementById('player').currentSrc")
    finally:
        server.shutdown()
        server.server_close()
    assert abs(durations["briefings/2026-11-25/v1/"] - 3) < 0.5, durations
    assert abs(durations["briefings/2026-11-25/"] - 5) < 0.5 and abs(durations["briefings/2026-11-25/v2/"] - 5) < 0.5
    assert "/briefings/2026-11-25/media/" in src
    assert not bad, bad
