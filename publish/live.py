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


def write_live_page(site_dir: Path, *, briefing_id: str, title: str, date: str, transcript: Transcript,
                    updated_at: str, ended: bool = False, refresh_seconds: int = 15) -> Path:
    """Write (atomically) the live page and its transcript.json; returns the page's path."""
    rel = f"{LIVE_DIR}/{briefing_id}"
    lang = transcript.language or "en"
    rows = "\n".join(
        f'<p class="seg" id="t{int(s.start)}"><span class="ts">{_clock(s.start)}</span> {html.escape(s.text)}</p>'
        for s in transcript.segments)
    status = ("The briefing has ended. This live text is superseded by the verified release: "
              f'<a href="../../briefings/{html.escape(briefing_id)}/">{html.escape(title)}</a> '
              "(it appears there within a minute or two)." if ended else
              f"Live, unverified: automatic transcription while the briefing is in progress, "
              f"updated {html.escape(updated_at)}. Do not quote it before the verified release.")
    refresh = "" if ended else f'<meta http-equiv="refresh" content="{int(refresh_seconds)}">'
    page = f"""<!doctype html>
<html lang="{html.escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
{refresh}
<title>{html.escape(title)} ({html.escape(date)}) - live, unverified</title>
<link rel="stylesheet" href="../../static/style.css">
</head>
<body>
<main>
<p class="live-banner" role="status" data-live="{'ended' if ended else 'live'}"><strong>{'Ended' if ended else 'LIVE, UNVERIFIED'}</strong>: {status}</p>
<h1>{html.escape(title)}</h1>
<p>{html.escape(date)} · {_clock(transcript.duration)} transcribed</p>
<section id="transcript" aria-live="polite">
{rows}
</section>
</main>
</body>
</html>
"""
    data = {"id": briefing_id, "title": title, "date": date, "status": "ended" if ended else "live",
            "verified": False, "updated_at": updated_at, "transcript": transcript.to_dict()}
    _write_atomic(Path(site_dir), f"{rel}/transcript.json",
                  (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    _write_atomic(Path(site_dir), f"{rel}/index.html", page.encode("utf-8"))
    return live_page_path(site_dir, briefing_id)
