"""A non-English briefing gets an English track from Whisper's translate task: a second captions track and
a download on the page, labelled machine translation (real model, real Vietnamese speech)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CLIP = "vi_fosd_Set001_V0.1_000282.mp3"  # "hàng nghìn người trung á rời quê hương đến nga kiếm việc"


@pytest.mark.whisper
def test_vietnamese_briefing_gets_a_machine_translated_english_track(speech_dir: Path, briefing_env: Path, run) -> None:
    res = run(
        "process", str(speech_dir / CLIP), "--title", "Họp báo", "--date", "2026-11-25", "--language", "vi", "--json"
    )
    assert res.code == 0, res.err
    data = res.json()
    assert "translate" in data["ran"] and "redact" in data["ran"]
    site = Path(data["page"]).parent
    vtt = (site / "captions.en.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and "-->" in vtt
    english = " ".join(line for line in vtt.splitlines() if line and "-->" not in line and line != "WEBVTT")
    assert sum(c.isascii() for c in english) / max(len(english), 1) > 0.95  # English, not Vietnamese
    page = (site / "index.html").read_text(encoding="utf-8")
    assert 'srclang="en" label="English (Bản dịch máy)"' in page  # Vietnamese page: "machine translation"
    # the download, its label marked as English on the Vietnamese page (WCAG 3.1.2)
    assert 'href="captions.en.vtt"' in page and '<span lang="en">English</span> (Bản dịch máy, WebVTT)' in page
    release = json.loads((site / "release.json").read_text(encoding="utf-8"))
    assert release["tracks"] == [{"language": "en", "label": "English", "name": "captions.en.vtt"}]
    # an English briefing gets none, and re-running changes nothing
    again = run(
        "process", str(speech_dir / CLIP), "--title", "Họp báo", "--date", "2026-11-25", "--language", "vi", "--json"
    ).json()
    assert again["ran"] == [] or set(again["ran"]) <= {"publish"}
