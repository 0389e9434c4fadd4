"""The static press site: pages, links, feeds, JSON index, versions, escaping, languages, atomicity."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import feedparser
import pytest

import publish.site as site_mod
from publish import i18n
from publish.site import PublishedRelease, SiteError, publish_release, rebuild_indexes, recover
from publish.types import Correction, SiteOptions

from .htmlcheck import check_html, resolve

HOSTILE = '<script>alert(1)</script> & "quotes"'


def all_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if ".staging" not in p.parts)


def read(p: Path) -> str:
    return p.read_text(encoding="utf-8")


def snapshot(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------------------- the basic site


def test_publish_writes_page_files_and_manifest(site, options, make_release):
    release = make_release()
    result = publish_release(site, release, options)

    assert isinstance(result, PublishedRelease)
    assert result.page == site / "briefings" / release.id / "index.html"
    assert result.page.is_file()
    assert result.url == f"briefings/{release.id}/"
    d = site / "briefings" / release.id
    for name in (
        "video.mp4",
        "audio.m4a",
        "poster.jpg",
        "transcript.srt",
        "transcript.vtt",
        "transcript.txt",
        "transcript.json",
        "summary.md",
        "release.json",
        "v1/index.html",
        "v1/release.json",
        "v1/transcript.vtt",
        "v1/transcript.json",
        "v1/summary.md",
    ):
        assert (d / name).is_file(), name
    for name in ("index.html", "feed.xml", "atom.xml", "briefings.json", "static/style.css", "static/briefing.js"):
        assert (site / name).is_file(), name
    assert not (site / ".staging").exists()

    # every URL the result names exists; every file it lists has the checksum and size it claims
    for role, url in result.urls.items():
        assert resolve(site, site / "index.html", url).is_file(), role
    import hashlib

    listed = {f.path for f in result.files}
    assert f"briefings/{release.id}/video.mp4" in listed and "feed.xml" in listed
    for f in result.files:
        data = (site / f.path).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (f.sha256, f.size), f.path

    meta = json.loads(read(d / "release.json"))
    assert meta["id"] == release.id and meta["version"] == 1 and meta["media_kind"] == "video"
    assert meta["title"] == release.title and meta["language"] == "en"
    assert meta["speakers"] == list(release.speakers)
    assert meta["summary"]["key_figures"][0]["said"] == "1,240"
    for role, src in release.files.items():
        info = meta["files"][role]
        assert info["size"] == src.stat().st_size
        assert info["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
        assert (d / info["name"]).read_bytes() == src.read_bytes()


def test_every_link_resolves_and_pages_are_well_formed(site, options, make_release):
    publish_release(site, make_release("2026-11-24", date="2026-11-24"), options)
    publish_release(site, make_release("2026-11-25", extra_tracks=True), options)
    publish_release(
        site,
        make_release(
            "2026-11-25",
            version=2,
            texts=["Corrected text.", "b", "c", "d"],
            corrections=(Correction("2026-11-25T16:00:00+07:00", "Fixed a name.", 2),),
        ),
        options,
    )
    publish_release(site, make_release("2026-11-26", date="2026-11-26", audio_only=True, language="vi"), options)

    pages = all_pages(site)
    assert len(pages) >= 7  # index + 3 briefings + their version pages
    for page in pages:
        c = check_html(read(page))
        assert c.urls, page
        for url in c.urls:
            target = resolve(site, page, url)
            if target is not None:
                assert target.is_file(), f"{page.relative_to(site)}: {url} -> {target} missing"


def test_briefing_page_content(site, options, make_release):
    release = make_release()
    publish_release(site, release, options)
    html = read(site / "briefings" / release.id / "index.html")
    c = check_html(html)
    tags = c.tags

    assert '<html lang="en">' in html
    assert release.title in html and "25 November 2026" in html
    assert all(s in html for s in release.speakers)

    video = [a for t, a in tags if t == "video"]
    assert len(video) == 1
    assert "controls" in video[0] and video[0]["preload"] == "metadata" and video[0]["poster"] == "poster.jpg"
    assert ("source", {"src": "video.mp4", "type": "video/mp4"}) in tags
    track = [a for t, a in tags if t == "track"][0]
    assert track["kind"] == "captions" and track["src"] == "transcript.vtt" and track["srclang"] == "en"
    assert "default" in track and track["label"]

    # summary sentences and key figures seek the player
    seg = release.summary.sentences[0]
    assert f'href="#t={int(seg.start)}" data-t="{seg.start:.1f}"' in html
    assert "Key figures" in html and "1,240" in html and "new cases" in html
    # transcript: one paragraph per segment with a seeking timestamp
    segs = [a for t, a in tags if t == "p" and "seg" in (a.get("class") or "").split()]
    assert len(segs) == len(release.transcript.segments)
    stamps = [a for t, a in tags if t == "a" and a.get("class") == "ts" and "data-t" in a]
    assert len(stamps) >= len(release.transcript.segments)
    # low confidence segment (flags / confidence < 0.5) subtly marked, the others not
    low = [a for t, a in tags if t == "span" and a.get("class") == "low-conf"]
    assert len(low) == 1 and low[0]["title"] == "low confidence"
    # downloads with sizes
    for label in ("Video", "Audio", "Subtitles (SRT)", "Subtitles (WebVTT)", "Transcript (plain text)", "Summary"):
        assert label in html
    assert "45" in html or "kB" in html
    # offline: nothing external (the JSON-LD's "@context" names the vocabulary; nothing fetches it)
    body = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)
    assert "http://" not in body and "https://" not in body and 'src="//' not in body
    assert "No speech detected" not in html and "Corrected on" not in html


def test_audio_only_briefing_uses_audio_element(site, options, make_release):
    release = make_release(audio_only=True)
    publish_release(site, release, options)
    html = read(site / "briefings" / release.id / "index.html")
    tags = check_html(html).tags
    assert not [t for t, _ in tags if t == "video"]
    audio = [a for t, a in tags if t == "audio"]
    assert audio and "controls" in audio[0] and "poster" not in audio[0]
    assert ("source", {"src": "audio.m4a", "type": "audio/mp4"}) in tags
    feed = feedparser.parse(read(site / "feed.xml"))
    enc = feed.entries[0].enclosures[0]
    assert enc.type == "audio/mp4" and int(enc.length) == release.files["audio"].stat().st_size


def test_no_speech_notice(site, options, make_release):
    release = make_release(no_speech=True)
    publish_release(site, release, options)
    html = read(site / "briefings" / release.id / "index.html")
    check_html(html)
    assert "No speech detected" in html
    assert "No speech detected" in read(site / "index.html")


def test_machine_translation_track(site, options, make_release):
    release = make_release(extra_tracks=True)
    publish_release(site, release, options)
    html = read(site / "briefings" / release.id / "index.html")
    tracks = [a for t, a in check_html(html).tags if t == "track"]
    assert len(tracks) == 2
    mt = tracks[1]
    assert mt["srclang"] == "vi" and "Machine translation" in mt["label"] and "default" not in mt
    assert (site / "briefings" / release.id / mt["src"]).is_file()


# ----------------------------------------------------------------------------------------- escaping, i18n


def test_everything_is_escaped(site, options, make_release):
    release = make_release(title=HOSTILE, speakers=(HOSTILE,), texts=[HOSTILE, "a <b>bold</b> claim", "x", "y"])
    publish_release(site, release, options)
    for page in (site / "briefings" / release.id / "index.html", site / "index.html"):
        html = read(page)
        check_html(html)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;" in html
        assert "<b>bold</b>" not in html
    # feeds and JSON carry the text intact and still parse
    assert feedparser.parse(read(site / "feed.xml")).entries[0].title == HOSTILE
    assert feedparser.parse(read(site / "atom.xml")).entries[0].title == HOSTILE
    assert json.loads(read(site / "briefings.json"))["briefings"][0]["title"] == HOSTILE


def test_vietnamese_page_uses_vietnamese_strings(site, options, make_release):
    release = make_release(
        "hop-bao-26", title="Họp báo Chính phủ thường kỳ", date="2026-11-26", language="vi", extra_tracks=True
    )
    publish_release(site, release, options)
    html = read(site / "briefings" / release.id / "index.html")
    check_html(html)
    assert '<html lang="vi">' in html
    for s in (
        "Tóm tắt",
        "Số liệu chính",
        "Bản ghi",
        "Tải xuống",
        "Người phát biểu",
        "ngày 26 tháng 11 năm 2026",
        "Bản dịch máy",
        "độ tin cậy thấp",
    ):
        assert s in html, s
    assert "Summary" not in html and "Downloads" not in html
    track = [a for t, a in check_html(html).tags if t == "track"][0]
    assert track["srclang"] == "vi"
    # the English index marks the Vietnamese title with its language
    assert 'lang="vi"' in read(site / "index.html")


def test_unknown_language_falls_back_to_english(site, options, make_release):
    release = make_release(language="fr")
    publish_release(site, release, options)
    html = read(site / "briefings" / release.id / "index.html")
    assert '<html lang="fr">' in html and "Transcript" in html


def test_i18n_formatting():
    assert i18n.format_date("2026-11-05", "en") == "5 November 2026"
    assert i18n.format_date("2026-11-05", "vi") == "ngày 5 tháng 11 năm 2026"
    assert i18n.format_datetime("2026-11-05T14:30:00+07:00", "en") == "5 November 2026, 14:30 UTC+07:00"
    assert i18n.format_datetime("2026-11-05T14:30:00+07:00", "vi") == "14:30 UTC+07:00, ngày 5 tháng 11 năm 2026"
    assert i18n.format_size(45669, "en") == "45.7 kB" and i18n.format_size(45669, "vi") == "45,7 kB"
    assert i18n.format_size(12, "en") == "12 B"
    assert i18n.format_timestamp(123.4) == "02:03" and i18n.format_timestamp(3723) == "1:02:03"
    assert i18n.format_duration(3723, "vi") == "1 giờ 02 phút"
    assert i18n.format_number(1240.5, "en") == "1,240.5" and i18n.format_number(1240.5, "vi") == "1.240,5"
    assert i18n.strings("pt")["summary"] == "Summary" and i18n.strings("vi-VN")["summary"] == "Tóm tắt"
    assert set(i18n.STRINGS["vi"]) == set(i18n.STRINGS["en"])


# ----------------------------------------------------------------------------------------- feeds and index


def test_feeds_and_json_index(site, make_release):
    options = SiteOptions(title="Briefings", base_url="https://press.gov.example/")
    a = make_release("2026-11-24", date="2026-11-24", published_at="2026-11-24T10:00:00+07:00")
    b = make_release("2026-11-26", date="2026-11-26", published_at="2026-11-26T10:00:00+07:00", audio_only=True)
    c = make_release("2026-11-25", date="2026-11-25", published_at="2026-11-25T10:00:00+07:00")
    for r in (a, b, c):
        result = publish_release(site, r, options)
    assert result.absolute_urls["page"] == "https://press.gov.example/briefings/2026-11-25/"

    order = ["2026-11-26", "2026-11-25", "2026-11-24"]
    rss = feedparser.parse(read(site / "feed.xml"))
    assert not rss.bozo, rss.get("bozo_exception")
    assert rss.version == "rss20"
    assert [e.id for e in rss.entries] == order  # guid = id
    for entry, r in zip(rss.entries, (b, c, a), strict=True):
        media = r.files.get("video") or r.files["audio"]
        enc = entry.enclosures[0]
        assert int(enc.length) == media.stat().st_size
        assert enc.type == ("video/mp4" if "video" in r.files else "audio/mp4")
        assert (
            enc.href
            == f"https://press.gov.example/briefings/{r.id}/{'video.mp4' if 'video' in r.files else 'audio.m4a'}"
        )
        assert entry.link == f"https://press.gov.example/briefings/{r.id}/"
        assert "1,240 new cases" in entry.description
        assert entry.published_parsed is not None

    atom = feedparser.parse(read(site / "atom.xml"))
    assert not atom.bozo, atom.get("bozo_exception")
    assert atom.version == "atom10"
    assert [e.id for e in atom.entries] == [f"urn:briefing:{i}" for i in order]
    enc = [link for link in atom.entries[1].links if link.rel == "enclosure"][0]
    assert int(enc.length) == c.files["video"].stat().st_size and enc.type == "video/mp4"

    index = json.loads(read(site / "briefings.json"))
    assert index["count"] == 3 and [x["id"] for x in index["briefings"]] == order
    first = index["briefings"][0]
    assert first["media_kind"] == "audio" and first["files"]["audio"]["url"].endswith("/briefings/2026-11-26/audio.m4a")
    assert first["files"]["audio"]["size"] == b.files["audio"].stat().st_size and first["url"].startswith("https://")

    html = read(site / "index.html")
    check_html(html)
    positions = [html.index(f'href="briefings/{i}/"') for i in order]
    assert positions == sorted(positions)


def test_relative_feeds_without_base_url(site, options, make_release):
    release = make_release()
    publish_release(site, release, options)
    rss = feedparser.parse(read(site / "feed.xml"))
    assert rss.entries[0].enclosures[0].href.endswith("briefings/2026-11-25/video.mp4")
    assert "file://" not in read(site / "feed.xml") and "file://" not in read(site / "atom.xml")
    index = json.loads(read(site / "briefings.json"))
    assert index["briefings"][0]["files"]["video"]["url"] == "briefings/2026-11-25/video.mp4"


def test_same_day_ordered_by_publication_time(site, options, make_release):
    publish_release(site, make_release("am", published_at="2026-11-25T09:00:00+07:00"), options)
    publish_release(site, make_release("pm", published_at="2026-11-25T15:00:00+07:00"), options)
    index = json.loads(read(site / "briefings.json"))
    assert [x["id"] for x in index["briefings"]] == ["pm", "am"]


def test_republishing_the_same_release_leaves_one_item(site, options, make_release):
    release = make_release()
    publish_release(site, release, options)
    first = snapshot(site)
    publish_release(site, release, options)
    assert len(feedparser.parse(read(site / "feed.xml")).entries) == 1
    assert len(feedparser.parse(read(site / "atom.xml")).entries) == 1
    assert json.loads(read(site / "briefings.json"))["count"] == 1
    assert snapshot(site) == first  # deterministic: the same release gives the same bytes


# ----------------------------------------------------------------------------------------- corrections


def test_correction_shows_notice_and_keeps_v1(site, options, make_release):
    v1 = make_release(texts=["The minister said 120 cases.", "b", "c", "d"])
    publish_release(site, v1, options)
    d = site / "briefings" / v1.id
    video_inode = (d / "video.mp4").stat().st_ino
    v1_vtt = read(d / "transcript.vtt")

    fix = Correction("2026-11-25T16:45:00+07:00", "The figure is 1,200 cases, not 120.", 2)
    v2 = make_release(
        version=2,
        texts=["The minister said 1,200 cases.", "b", "c", "d"],
        corrections=(fix,),
        published_at="2026-11-25T16:45:00+07:00",
    )
    result = publish_release(site, v2, options)

    html = read(d / "index.html")
    c = check_html(html)
    assert "Corrected on" in html and fix.note.replace(",", ",") in html and "16:45" in html
    assert ("a", {"href": "v1/"}) in c.tags
    assert "1,200 cases" in html and "said 120 cases" not in html
    # v1 stays reachable, with its own text and a way back to the latest
    v1_page = read(d / "v1" / "index.html")
    assert "said 120 cases" in v1_page and "version 1" in v1_page and 'href="../"' in v1_page
    assert read(d / "v1" / "transcript.vtt") == v1_vtt
    assert json.loads(read(d / "v1" / "release.json"))["version"] == 1
    assert "1,200" in read(d / "v2" / "transcript.vtt") and "1,200" in read(d / "transcript.vtt")
    # unchanged media is hard-linked from the previous version, not copied again
    assert (d / "video.mp4").stat().st_ino == video_inode
    # the feeds: still one item; Atom's updated is the correction's time
    atom = feedparser.parse(read(site / "atom.xml"))
    assert len(atom.entries) == 1 and atom.entries[0].updated.startswith("2026-11-25T16:45:00")
    meta = json.loads(read(d / "release.json"))
    assert meta["version"] == 2 and meta["corrections"][0]["note"] == fix.note
    assert [v["version"] for v in meta["versions"]] == [1, 2]
    assert result.urls["version_page"] == f"briefings/{v1.id}/v2/"

    # a third version keeps both earlier ones
    v3 = make_release(version=3, corrections=(fix, Correction("2026-11-26T09:00:00+07:00", "Name spelling.", 3)))
    publish_release(site, v3, options)
    assert (d / "v1" / "index.html").is_file() and (d / "v2" / "index.html").is_file()
    assert read(d / "v1" / "transcript.vtt") == v1_vtt
    html = read(d / "index.html")
    assert html.count("Corrected on") == 2 and 'href="v2/"' in html


# ----------------------------------------------------------------------------------------- atomicity


def test_leftover_staging_is_cleaned(site, options, make_release):
    publish_release(site, make_release(), options)
    junk = site / ".staging" / "2026-11-25-abc123"
    junk.mkdir(parents=True)
    (junk / "index.html").write_text("half", encoding="utf-8")
    (site / ".feed.xml.x1.tmp").write_bytes(b"half")
    publish_release(site, make_release("other"), options)
    assert not (site / ".staging").exists() and not (site / ".feed.xml.x1.tmp").exists()


def _crash(*_a, **_k):
    raise OSError("simulated crash")


def test_crash_while_building_leaves_previous_site(site, options, make_release, monkeypatch):
    publish_release(site, make_release(), options)
    before = snapshot(site)
    with monkeypatch.context() as m:
        m.setattr(site_mod, "_render_briefing", _crash)
        with pytest.raises(OSError, match="simulated"):
            publish_release(site, make_release(version=2, texts=["new", "b", "c", "d"]), options)
    assert snapshot(site) == before
    publish_release(site, make_release(version=2, texts=["new", "b", "c", "d"]), options)
    assert (site / "briefings" / "2026-11-25" / "v2" / "index.html").is_file()
    assert not (site / ".staging").exists()


def test_crash_in_atomic_exchange_leaves_previous_site(site, options, make_release, monkeypatch):
    publish_release(site, make_release(), options)
    before = snapshot(site)
    with monkeypatch.context() as m:
        m.setattr(site_mod, "_exchange", _crash)
        with pytest.raises(OSError, match="simulated"):
            publish_release(site, make_release(version=2), options)
    assert snapshot(site) == before


def test_crash_between_renames_is_recovered(site, options, make_release, monkeypatch):
    """Without renameat2: rename old away, (crash), rename new in. The next run puts the old one back."""
    publish_release(site, make_release(), options)
    before = snapshot(site)
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # the second rename of the swap: new one in
            raise OSError("simulated crash")
        return real_rename(src, dst)

    with monkeypatch.context() as m:
        m.setattr(site_mod, "_exchange", lambda a, b: False)
        m.setattr(site_mod.os, "rename", rename)
        with pytest.raises(OSError, match="simulated"):
            publish_release(site, make_release(version=2, texts=["new", "b", "c", "d"]), options)
    assert str(calls[0][1]).endswith(".old")

    recover(site)
    assert snapshot(site) == before
    # and the next run completes (the fallback path too)
    monkeypatch.setattr(site_mod, "_exchange", lambda a, b: False)
    publish_release(site, make_release(version=2, texts=["new", "b", "c", "d"]), options)
    assert "new" in read(site / "briefings" / "2026-11-25" / "index.html")
    assert (site / "briefings" / "2026-11-25" / "v1" / "index.html").is_file()
    assert not (site / ".staging").exists()


def test_crash_while_writing_indexes(site, options, make_release, monkeypatch):
    publish_release(site, make_release("a", date="2026-11-24"), options)
    old_feed = read(site / "feed.xml")
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith("feed.xml"):
            raise OSError("simulated crash")
        return real_replace(src, dst)

    with monkeypatch.context() as m:
        m.setattr(site_mod.os, "replace", replace)
        with pytest.raises(OSError, match="simulated"):
            publish_release(site, make_release("b"), options)
    # the briefing was swapped in whole; the feed is the old one, whole; no temp file is left
    assert read(site / "feed.xml") == old_feed
    assert not list(site.glob(".*.tmp"))
    assert (site / "briefings" / "b" / "index.html").is_file()
    # the next run (or a plain rebuild) completes the indexes
    rebuild_indexes(site, options)
    assert len(feedparser.parse(read(site / "feed.xml")).entries) == 2


def test_bad_release_is_refused(site, options, make_release, tmp_path):
    with pytest.raises(SiteError, match="directory name"):
        publish_release(site, make_release("../evil"), options)
    release = make_release()
    missing = dict(release.files, vtt=tmp_path / "nope.vtt")
    from dataclasses import replace

    with pytest.raises(SiteError, match="does not exist"):
        publish_release(site, replace(release, files=missing), options)
    assert not (site / "briefings" / "2026-11-25").exists()


def test_rebuild_on_empty_site(tmp_path, options):
    rebuild_indexes(tmp_path / "s", options)
    html = read(tmp_path / "s" / "index.html")
    check_html(html)
    assert "No briefings have been published yet." in html
    assert feedparser.parse(read(tmp_path / "s" / "feed.xml")).entries == []
    assert json.loads(read(tmp_path / "s" / "briefings.json"))["briefings"] == []


def test_older_version_is_refused_and_removed_files_are_reported(site, options, make_release):
    publish_release(site, make_release(published_at=""), options)
    result = publish_release(site, make_release(version=2, audio_only=True), options)
    assert set(result.removed) == {"briefings/2026-11-25/video.mp4", "briefings/2026-11-25/poster.jpg"}
    with pytest.raises(SiteError, match="already published as version 2"):
        publish_release(site, make_release(version=1), options)
    assert json.loads(read(site / "briefings" / "2026-11-25" / "release.json"))["version"] == 2
    assert not (site / ".staging").exists()


def test_concurrent_publications_take_turns(site, options, make_release):
    import threading

    releases = [make_release(f"b{i}", date=f"2026-11-{10 + i}") for i in range(4)]
    errors = []

    def run(r):
        try:
            publish_release(site, r, options)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in releases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    index = json.loads(read(site / "briefings.json"))
    assert [x["id"] for x in index["briefings"]] == ["b3", "b2", "b1", "b0"]
    assert len(feedparser.parse(read(site / "feed.xml")).entries) == 4


def test_an_empty_translation_track_is_never_offered_and_the_page_says_why(site, make_release, options) -> None:
    """A machine translation that came out with no text (a WebVTT of no cues: 7 bytes) is neither a
    captions track nor a download; the page says it is not offered and why (issue 18)."""
    from dataclasses import replace

    release = make_release("2026-11-25", language="vi", extra_tracks=True)
    empty = release.extra_tracks[0][2].with_name("empty.vtt")
    empty.write_text("WEBVTT\n\n", encoding="utf-8")
    release = replace(release, extra_tracks=(("en", "English", empty),))
    publish_release(site, release, options)
    d = site / "briefings" / "2026-11-25"
    html = (d / "index.html").read_text(encoding="utf-8")
    meta = json.loads((d / "release.json").read_text(encoding="utf-8"))
    assert meta["tracks"] == [] and "track:en" not in meta["files"]
    assert meta["withheld_tracks"] == [{"language": "en", "label": "English", "reason": "empty"}]
    assert not (d / "captions.en.vtt").exists() and "captions.en.vtt" not in html
    assert "Không cung cấp bản dịch máy English: bản dịch không có nội dung." in html
    check_html(html)
    # the same translation with text is offered, and the note is gone
    full = empty.with_name("full.vtt")
    full.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nGood morning.\n", encoding="utf-8")
    publish_release(site, replace(release, version=2, extra_tracks=(("en", "English", full),)), options)
    html = (d / "index.html").read_text(encoding="utf-8")
    assert "captions.en.vtt" in html and "Không cung cấp bản dịch máy" not in html
