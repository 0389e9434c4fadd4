"""The press site as a newsroom uses it, in headless Debian chromium: preview metadata, a linked passage
(#t=START,END) that plays and is highlighted, copy link / copy quote, the figures page's links, and
axe-core (the npm package, loaded into the page) on every page type, in English and Vietnamese."""

from __future__ import annotations

import functools
import json
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from publish import manifest as pm
from publish.live import write_live_page
from publish.site import publish_release
from publish.types import Correction, SiteOptions
from tests.publish.helpers import make_transcript
from tests.publish.test_browser import CHROMIUM, RangeHandler

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]


class Served:
    def __init__(self, site: Path) -> None:
        self.site = site
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(RangeHandler, directory=str(site)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def build(site: Path, make_release, language: str) -> Served:
    """A site of three briefings (one corrected, one with a translation track), served on loopback;
    base_url is the served address, so every absolute link of the pages resolves."""
    site.mkdir(parents=True, exist_ok=True)
    served = Served(site)
    opts = SiteOptions(title="Press briefings", base_url=served.url, language=language)
    key = pm.generate_private_key()

    def sign(d: Path) -> None:
        pm.write_signed_manifest(d, metadata={"id": d.name}, private_pem=key)

    other = "en" if language == "vi" else "vi"
    publish_release(
        site, make_release("2026-10-30", date="2026-10-30", language=language), opts, finalize=sign, pack_key=key
    )
    publish_release(
        site,
        make_release("2026-11-24", date="2026-11-24", language=other, audio_only=True),
        opts,
        finalize=sign,
        pack_key=key,
    )
    publish_release(site, make_release(language=language, extra_tracks=True), opts, finalize=sign, pack_key=key)
    note = Correction("2026-11-25T16:45:00+07:00", "Corrected the *number* of cases.", 2)
    publish_release(
        site,
        make_release(language=language, version=2, corrections=(note,), extra_tracks=True),
        opts,
        finalize=sign,
        pack_key=key,
    )
    pm.write_public_key(site, key)
    from briefing.records.search import write_site_search  # the application's search page, as a site has it

    write_site_search(site, title=opts.title, language=language)
    write_live_page(
        site,
        briefing_id="2026-11-26",
        title="Daily briefing",
        date="2026-11-26",
        transcript=make_transcript(language),
        updated_at="2026-11-26T10:05:00+07:00",
    )
    return served


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def sites(tmp_path_factory, media_dir):
    """One site per language, built once for the module (each test only reads it)."""
    from tests.publish.conftest import ReleaseFactory

    built: dict[str, Served] = {}

    def get(language: str) -> Served:
        if language not in built:
            root = tmp_path_factory.mktemp(f"press-{language}")
            built[language] = build(root / "site", ReleaseFactory(root / "work", media_dir), language)
        return built[language]

    yield get
    for served in built.values():
        served.close()


@pytest.fixture
def en_site(sites):
    return sites("en")


def new_page(browser, served: Served, errors: list[str]):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.url.rstrip("/"))
    page = ctx.new_page()
    page.set_default_timeout(20000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("request", lambda r: errors.append(f"external {r.url}") if not r.url.startswith(served.url) else None)
    return page


def test_the_page_carries_its_preview_metadata(browser, en_site):
    errors: list[str] = []
    page = new_page(browser, en_site, errors)
    page.goto(en_site.url + "briefings/2026-11-25/")
    meta = page.evaluate("""() => {
        const m = {};
        document.querySelectorAll('meta[property], meta[name^="twitter:"]').forEach(e =>
            m[e.getAttribute('property') || e.getAttribute('name')] = e.content);
        return {m, canonical: document.querySelector('link[rel=canonical]').href,
                ld: JSON.parse(document.querySelector('script[type="application/ld+json"]').textContent)};
    }""")
    page_url = en_site.url + "briefings/2026-11-25/"
    assert meta["canonical"] == page_url and meta["m"]["og:url"] == page_url
    assert meta["m"]["og:title"] == "Daily briefing" and meta["m"]["twitter:card"] == "player"
    assert meta["ld"]["@type"] == "NewsArticle" and meta["ld"]["video"]["@type"] == "VideoObject"
    assert len(meta["ld"]["video"]["hasPart"]) == 2
    for key in ("og:image", "og:video", "twitter:player"):  # each one opens
        r = page.request.get(meta["m"][key])
        assert r.ok, key
    assert not errors, errors


def test_a_linked_range_plays_that_range_and_is_highlighted(browser, en_site):
    errors: list[str] = []
    page = new_page(browser, en_site, errors)
    page.goto(en_site.url + "briefings/2026-11-25/#t=0.8,2.2")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    marked = page.evaluate("Array.from(document.querySelectorAll('.segments .seg.in-range')).map(p => p.id)")
    assert marked == ["seg-1", "seg-2"]
    page.wait_for_function("document.getElementById('player').currentTime >= 0.7")
    # it plays, and stops at the end of the range (not at the end of the recording)
    page.wait_for_function(
        "document.getElementById('player').getAttribute('data-range-ended') === 'true'", timeout=30000
    )
    t = page.evaluate("document.getElementById('player').currentTime")
    assert 2.0 <= t <= 2.6 and page.evaluate("document.getElementById('player').paused")
    assert not errors, errors


def _select(page, first: str, last: str) -> None:
    page.evaluate(
        """([a, b]) => {
        const r = document.createRange();
        r.setStart(document.querySelector(a + ' .seg-text').firstChild, 0);
        const w = document.createTreeWalker(document.querySelector(b + ' .seg-text'), NodeFilter.SHOW_TEXT);
        let last = null;
        while (w.nextNode()) last = w.currentNode;
        r.setEnd(last, last.textContent.length);
        const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
    }""",
        [first, last],
    )


def test_copy_link_and_copy_quote_of_a_selected_passage(browser, en_site):
    errors: list[str] = []
    page = new_page(browser, en_site, errors)
    url = en_site.url + "briefings/2026-11-25/"
    page.goto(url)
    assert page.locator("#clip-tools").is_hidden()
    _select(page, "#seg-1", "#seg-2")
    page.wait_for_function("!document.getElementById('clip-tools').hidden")
    start = float(page.get_attribute("#seg-1", "data-start"))
    end = float(page.get_attribute("#seg-2", "data-end"))

    def js_num(x: float) -> str:
        return format(round(x * 10) / 10, "g")

    link = f"{url}#t={js_num(start)},{js_num(end)}"
    page.click("#copy-link")
    page.wait_for_function("document.getElementById('clip-status').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == link

    _select(page, "#seg-1", "#seg-2")
    page.wait_for_function("!document.getElementById('clip-tools').hidden")
    page.click("#copy-quote")
    page.wait_for_function("document.getElementById('clip-status').textContent === 'Copied'")
    quote = page.evaluate("navigator.clipboard.readText()")
    said = (
        "The ministry recorded 1,240 new cases in the past day. Hospital occupancy stands at 3.5 percent of capacity."
    )
    assert (
        quote == f"\u201c{said}\u201d \u2014 Spokesperson, Daily briefing, 25 November 2026 (00:00\u201300:02). {link}"
    )

    # the copied link opens the passage
    page.goto(link)
    page.wait_for_function("document.querySelectorAll('.segments .seg.in-range').length === 2")
    assert not errors, errors


def test_the_figures_page_has_one_chart_per_label_and_its_points_open_the_moment(browser, en_site):
    errors: list[str] = []
    page = new_page(browser, en_site, errors)
    page.goto(en_site.url + "figures/index.html")
    labels = page.eval_on_selector_all("section.figure-chart h2", "els => els.map(e => e.textContent)")
    assert labels == ["hospital occupancy", "new cases"]
    assert page.locator("section.figure-chart svg").count() == 2
    hrefs = page.evaluate("""() => Array.from(document.querySelectorAll('section.figure-chart svg a'))
        .map(a => a.getAttribute('xlink:href') || a.getAttribute('href'))""")
    assert len(hrefs) == 6 and all("#t=" in h for h in hrefs)  # 3 briefings x 2 labels
    # a point of the chart is a link: following it opens the briefing at the moment the figure was said
    page.locator("section#new-cases svg a").last.click()
    page.wait_for_url("**/briefings/2026-11-25/#t=*")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    t = int(page.url.rsplit("#t=", 1)[1])
    page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {t}) < 0.5")
    for link in page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"):
        assert page.request.get(link.split("#")[0]).ok, link
    assert not errors, errors


PAGES = [
    "",
    "briefings/2026-11-25/",
    "briefings/2026-11-25/v1/",
    "briefings/2026-11-24/",
    "briefings/2026-11-25/embed.html",
    "archive/index.html",
    "archive/2026/11/",
    "figures/index.html",
    "schemas/index.html",
    "search.html?q=cases",
    "live/2026-11-26/",
]


@pytest.mark.skipif(not AXE.is_file(), reason="axe-core is not installed: npm install --prefix tests axe-core")
@pytest.mark.parametrize("language", ["en", "vi"])
def test_axe_finds_no_violation_on_any_page_type(browser, sites, language):
    served = sites(language)
    errors: list[str] = []
    page = new_page(browser, served, errors)
    found = {}
    for path in PAGES:
        page.goto(served.url + path)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']}))"
            ".violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}))"
        )
        if result:
            found[path] = result
        assert page.evaluate("document.documentElement.lang") in ("en", "vi")
    assert not found, json.dumps(found, indent=1)
    assert not errors, errors
