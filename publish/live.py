"""The live page of a briefing in progress: ``<site>/live/<id>/index.html`` (+ ``transcript.json``).

It says plainly that the text is "live, unverified", reloads itself while the briefing runs, and is
never listed in the feeds or the index: only the verified release (``publish.site``) is. When the
briefing ends the page says so and links to where the verified release appears.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from publish.site import _write_atomic
from transcribe.types import Transcript

LIVE_DIR = "live"


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def live_page_path(site_dir: Path, briefing_id: str) -> Path:
    return Path(site_dir) / LIVE_DIR / briefing_id / "index.html"


def write_live_page(
    site_dir: Path,
    *,
    briefing_id: str,
    title: str,
    date: str,
    transcript: Transcript,
    updated_at: str,
    ended: bool = False,
    refresh_seconds: int = 15,
) -> Path:
    """Write (atomically) the live page and its transcript.json; returns the page's path."""
    from publish import i18n

    rel = f"{LIVE_DIR}/{briefing_id}"
    lang = transcript.language or "en"
    ui = i18n.ui_language(lang)
    t = i18n.strings(ui)
    rows = "\n".join(
        f'<p class="seg" id="t{int(s.start)}"><span class="ts">{_clock(s.start)}</span> {html.escape(s.text)}</p>'
        for s in transcript.segments
    )
    link = f'<a href="../../briefings/{html.escape(briefing_id)}/">{html.escape(title)}</a>'
    status = (
        t["live_ended_status"].format(link=link) if ended else html.escape(t["live_status"].format(updated=updated_at))
    )
    # reloaded by a script the reader can pause (WCAG 2.2.1), not by <meta http-equiv="refresh">
    refresh = (
        ""
        if ended
        else (
            f'<p class="live-controls"><button type="button" id="live-pause" data-resume="{html.escape(t["live_resume"])}">'
            f'{html.escape(t["live_pause"])}</button> <a href="./">{html.escape(t["live_reload"])}</a></p>\n'
            f'<script>\n(function () {{\n  "use strict";\n  var key = "briefing-live-paused", b = document.getElementById("live-pause");\n'
            f'  var pause = b.textContent, paused = sessionStorage.getItem(key) === "1", timer = null;\n'
            f"  function arm() {{ clearTimeout(timer); if (!paused) timer = setTimeout(function () {{ location.reload(); }}, {int(refresh_seconds) * 1000}); }}\n"
            f'  function show() {{ b.textContent = paused ? b.getAttribute("data-resume") : pause; b.setAttribute("aria-pressed", paused ? "true" : "false"); }}\n'
            f'  b.addEventListener("click", function () {{ paused = !paused; sessionStorage.setItem(key, paused ? "1" : "0"); show(); arm(); }});\n'
            f"  show(); arm();\n}})();\n</script>"
        )
    )
    banner = t["live_ended"] if ended else t["live_banner"]
    page = f"""<!doctype html>
<html lang="{html.escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{html.escape(title)} ({html.escape(i18n.format_date(date, ui))}) - {html.escape(t["live_title_suffix"])}</title>
<link rel="stylesheet" href="../../static/style.css">
</head>
<body>
<header class="site-header"><div class="wrap"><nav class="site-nav" aria-label="{html.escape(t["site_nav"])}">
<a href="../../index.html">{html.escape(t["all_briefings"])}</a> <a href="../../search.html">{html.escape(t["search"])}</a>
</nav></div></header>
<main id="content" class="wrap">
<p class="live-banner" role="status" data-live="{"ended" if ended else "live"}"><strong>{html.escape(banner)}</strong>: {status}</p>
<h1>{html.escape(title)}</h1>
<p>{html.escape(i18n.format_date(date, ui))} · {_clock(transcript.duration)} {html.escape(t["live_transcribed"])}</p>
<section id="transcript" aria-live="polite" aria-label="{html.escape(t["transcript"])}">
{rows}
</section>
{refresh}
</main>
</body>
</html>
"""
    data = {
        "id": briefing_id,
        "title": title,
        "date": date,
        "status": "ended" if ended else "live",
        "verified": False,
        "updated_at": updated_at,
        "transcript": transcript.to_dict(),
    }
    _write_atomic(
        Path(site_dir),
        f"{rel}/transcript.json",
        (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
    )
    _write_atomic(Path(site_dir), f"{rel}/index.html", page.encode("utf-8"))
    return live_page_path(site_dir, briefing_id)
