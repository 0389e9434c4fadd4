"""What newsrooms do with the press site: share a page (preview cards, JSON-LD), follow the feeds (RSS,
Atom, JSON Feed; capped, with archive pages), embed the player, take the press pack, read the figures."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import jsonschema
import pytest
from lxml import html as lxml_html

from publish import manifest as pm
from publish import schemas
from publish.site import NO_BASE_URL, publish_release
from publish.types import Correction, SiteOptions
from tests.publish.htmlcheck import check_html, resolve

BASE = "https://press.gov.example/"


@pytest.fixture
def shared() -> SiteOptions:
    return SiteOptions(title="Government press briefings", base_url=BASE)


def local(site: Path, url: str) -> Path:
    """The file of the local site an absolute URL under BASE names (a directory: its index.html)."""
    assert url.startswith(BASE), f"{url!r} is not an absolute URL of the site"
    rel = urlsplit(url).path[len(urlsplit(BASE).path) :]
    target = site / rel
    return target / "index.html" if (url.endswith("/") or target.is_dir()) else target


def head(page: Path) -> tuple[dict[str, str], dict[str, str], str, list[dict]]:
    doc = lxml_html.fromstring(page.read_bytes())
    og = {m.get("property"): m.get("content") for m in doc.xpath("//meta[@property]")}
    tw = {m.get("name"): m.get("content") for m in doc.xpath("//meta[starts-with(@name, 'twitter:')]")}
    canonical = (doc.xpath("//link[@rel='canonical']/@href") or [""])[0]
    ld = [json.loads(s.text) for s in doc.xpath("//script[@type='application/ld+json']")]
    return og, tw, canonical, ld


# ----------------------------------------------------------------------------------------- sharing


def test_a_shared_link_has_a_preview_card_and_schema_org_markup(site, shared, make_release):
    rel = make_release()
    result = publish_release(site, rel, shared)
    assert result.warnings == ()
    page = site / "briefings" / rel.id / "index.html"
    og, tw, canonical, ld = head(page)
    assert canonical == f"{BASE}briefings/{rel.id}/" == og["og:url"]
    assert og["og:title"] == "Daily briefing"
    assert og["og:description"].startswith("The ministry recorded 1,240 new cases")  # from the summary
    assert og["og:type"] == "article" and og["og:site_name"] == "Government press briefings"
    for key in ("og:image", "og:video"):
        assert local(site, og[key]).is_file(), key  # absolute, and the file is on the site
    assert og["og:image"].endswith("poster.jpg") and og["og:video:type"] == "video/mp4"
    assert tw["twitter:card"] == "player" and local(site, tw["twitter:player"]).name == "embed.html"
    assert tw["twitter:image"] == og["og:image"]

    (doc,) = ld
    assert doc["@context"] == "https://schema.org" and doc["@type"] == "NewsArticle"
    assert doc["url"] == canonical and doc["datePublished"] == rel.published_at
    video = doc["video"]
    assert video["@type"] == "VideoObject" and video["transcript"] == rel.transcript.text
    assert local(site, video["contentUrl"]).is_file() and local(site, video["thumbnailUrl"][0]).is_file()
    assert video["duration"] == "PT0H0M3S" and video["uploadDate"] == rel.published_at
    clips = video["hasPart"]
    assert [c["name"] for c in clips] == [s.text for s in rel.summary.sentences]  # the timed summary
    for clip, s in zip(clips, rel.summary.sentences, strict=True):
        assert (
            clip["@type"] == "Clip" and clip["startOffset"] == int(s.start) and clip["endOffset"] > clip["startOffset"]
        )
        assert clip["url"] == f"{canonical}#t={int(s.start)}"

    # the kept version's page names itself, the JSON-LD cannot be closed early by what was said
    og1, _, canonical1, _ = head(site / "briefings" / rel.id / "v1" / "index.html")
    assert canonical1 == f"{BASE}briefings/{rel.id}/v1/"


def test_audio_only_and_hostile_text(site, shared, make_release):
    rel = make_release(audio_only=True, texts=["Hello </script><script>alert(1)</script> there.", "b c", "d e", "f"])
    publish_release(site, rel, shared)
    page = site / "briefings" / rel.id / "index.html"
    text = page.read_text()
    assert "<script>alert(1)" not in text
    og, tw, _, (doc,) = head(page)
    assert "og:image" not in og and "og:video" not in og and og["og:audio"].endswith("audio.m4a")
    assert tw["twitter:card"] == "summary"
    assert doc["audio"]["@type"] == "AudioObject" and "alert(1)" in doc["audio"]["transcript"]


def test_without_base_url_the_site_warns_and_writes_no_relative_card(site, options, make_release):
    result = publish_release(site, make_release(), options)
    assert result.warnings == (NO_BASE_URL,)
    og, _, canonical, (doc,) = head(site / "briefings" / "2026-11-25" / "index.html")
    assert canonical == "" and "og:url" not in og and "og:image" not in og  # no URL a reader cannot open
    assert og["og:title"] == "Daily briefing" and "url" not in doc


# ------------------------------------------------------------------------------------------- feeds


def publish_four(site, opts, make_release):
    for bid, day in (
        ("2026-10-30", "2026-10-30"),
        ("2026-10-31", "2026-10-31"),
        ("2026-11-24", "2026-11-24"),
        ("2026-11-25", "2026-11-25"),
    ):
        publish_release(site, make_release(bid, date=day, published_at=f"{day}T10:30:00+07:00"), opts)


def test_feeds_parse_and_every_link_is_absolute_and_resolves(site, shared, make_release):
    publish_four(site, shared, make_release)
    rss = feedparser.parse((site / "feed.xml").read_bytes())
    atom = feedparser.parse((site / "atom.xml").read_bytes())
    for feed in (rss, atom):
        assert not feed.bozo, feed.get("bozo_exception")
        assert len(feed.entries) == 4
        for e in feed.entries:
            assert local(site, e.link).is_file(), e.link
            (enc,) = e.enclosures
            assert local(site, enc.href).stat().st_size == int(enc.length)
    assert rss.feed.link == BASE  # the channel's <link> is the site, not the feed
    assert rss.entries[0].id == "2026-11-25" and atom.entries[0].id == "urn:briefing:2026-11-25"

    doc = json.loads((site / "feed.json").read_text())
    jsonschema.validate(doc, schemas.load("jsonfeed-1.1.schema.json"), format_checker=jsonschema.FormatChecker())
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["home_page_url"] == BASE and doc["feed_url"] == BASE + "feed.json"
    assert [i["id"] for i in doc["items"]] == [
        f"urn:briefing:{d}" for d in ("2026-11-25", "2026-11-24", "2026-10-31", "2026-10-30")
    ]
    for item in doc["items"]:
        assert local(site, item["url"]).is_file() and local(site, item["image"]).is_file()
        kinds = {a["mime_type"] for a in item["attachments"]}
        assert {"video/mp4", "audio/mp4", "text/vtt"} <= kinds
        for a in item["attachments"]:
            assert local(site, a["url"]).stat().st_size == a["size_in_bytes"], a["url"]
    # the pages point readers to the JSON Feed
    assert 'type="application/feed+json"' in (site / "index.html").read_text()


def test_feeds_and_index_hold_the_newest_n_and_the_archive_holds_every_month(site, make_release):
    opts = SiteOptions(title="Government press briefings", base_url=BASE, feed_size=2)
    publish_four(site, opts, make_release)
    for name in ("feed.xml", "atom.xml"):
        assert [e.link for e in feedparser.parse((site / name).read_bytes()).entries] == [
            f"{BASE}briefings/2026-11-25/",
            f"{BASE}briefings/2026-11-24/",
        ]
    assert len(json.loads((site / "feed.json").read_text())["items"]) == 2
    assert json.loads((site / "briefings.json").read_text())["count"] == 4  # the data index: everything

    index = (site / "index.html").read_text()
    assert index.count('class="briefing-item"') == 2 and 'href="archive/index.html"' in index
    archive = site / "archive" / "index.html"
    c = check_html(archive.read_text())
    months = [u for u in c.urls if re.fullmatch(r"\d{4}/\d{2}/", u)]
    assert months == ["2026/11/", "2026/10/"] and "November 2026" in archive.read_text()
    for month, ids in (("2026/11", ["2026-11-25", "2026-11-24"]), ("2026/10", ["2026-10-31", "2026-10-30"])):
        page = site / "archive" / month / "index.html"
        c = check_html(page.read_text())
        listed = [u for u in c.urls if "/briefings/" in u and u.endswith("/")]
        assert [u.split("/")[-2] for u in listed] == ids
        for url in c.urls:
            target = resolve(site, page, url)
            if target is not None:
                assert target.is_file(), url

    # a default of 50
    assert SiteOptions().feed_size == 50


def test_a_correction_is_an_update_of_the_same_entry(site, shared, make_release):
    publish_release(site, make_release(), shared)
    before = feedparser.parse((site / "atom.xml").read_bytes()).entries[0]
    rss_before = feedparser.parse((site / "feed.xml").read_bytes()).entries[0]
    note = Correction("2026-11-25T16:45:00+07:00", "Corrected the number of cases.", 2)
    publish_release(
        site,
        make_release(version=2, corrections=(note,), texts=["a b", "We had 1,250 new cases.", "c d", "e f"]),
        shared,
    )
    atom = feedparser.parse((site / "atom.xml").read_bytes())
    rss = feedparser.parse((site / "feed.xml").read_bytes())
    assert len(atom.entries) == 1 and len(rss.entries) == 1
    after, rss_after = atom.entries[0], rss.entries[0]
    assert after.id == before.id and rss_after.id == rss_before.id == "2026-11-25"  # guid stable
    assert after.published == before.published and after.updated != before.updated
    assert after.updated_parsed > before.updated_parsed
    assert "Corrected the number of cases." in after.summary and "Corrected the number of cases." in rss_after.summary
    item = json.loads((site / "feed.json").read_text())["items"][0]
    assert item["date_modified"] > item["date_published"]


# ---------------------------------------------------------------------------------------- markdown


def test_the_summary_section_is_rendered_markdown_with_raw_html_escaped(site, shared, make_release):
    rel = make_release(
        texts=[
            "Hello.",
            "Cases *rose* to 1,240 <b>today</b> [link](http://evil.example).",
            "Occupancy is 3.5 percent.",
            "Questions.",
        ]
    )
    publish_release(site, rel, shared)
    doc = lxml_html.fromstring((site / "briefings" / rel.id / "index.html").read_bytes())
    (section,) = doc.xpath("//section[@class='summary']")
    items = section.xpath(".//li")
    assert len(items) == 2
    first = items[0]
    assert first.text_content().strip().endswith("Cases *rose* to 1,240 <b>today</b> [link](http://evil.example).")
    assert not first.xpath(".//b") and not first.xpath(".//em")  # said, not markup
    (seek,) = first.xpath(".//a")
    assert seek.get("class") == "seek" and seek.get("href") == "#t=0" and seek.get("data-t") == "0.0"
    assert "evil.example" not in "".join(a.get("href") for a in doc.xpath("//a"))


# ---------------------------------------------------------------------------------- search and vi


def test_every_page_header_links_to_search(site, shared, make_release):
    publish_four(site, shared, make_release)
    pages = [
        site / "index.html",
        site / "archive" / "index.html",
        site / "archive" / "2026" / "11" / "index.html",
        site / "briefings" / "2026-11-25" / "index.html",
        site / "briefings" / "2026-11-25" / "v1" / "index.html",
        site / "figures" / "index.html",
        site / "schemas" / "index.html",
        site / "search.html",
    ]
    for page in pages:
        doc = lxml_html.fromstring(page.read_bytes())
        (nav,) = doc.xpath("//header[@class='site-header']//nav")
        search = [a.get("href") for a in nav.xpath(".//a") if a.get("href").endswith("search.html")]
        assert len(search) == 1, page
        assert resolve(site, page, search[0]).is_file()


def test_a_vietnamese_site_has_vietnamese_chrome_and_marks_other_languages(site, make_release):
    vi = SiteOptions(language="vi", base_url=BASE)
    publish_release(site, make_release("2026-11-24", date="2026-11-24", language="vi"), vi)
    publish_release(site, make_release("2026-11-25", language="en"), vi)
    index = lxml_html.fromstring((site / "index.html").read_bytes())
    assert index.get("lang") == "vi"
    assert index.xpath("//a[@class='site-title']")[0].text == "Họp báo"
    assert index.xpath("//h1")[0].text == "Họp báo"
    assert [a.text for a in index.xpath("//nav[@class='site-nav']/a")] == [
        "Tìm kiếm",
        "Số liệu theo thời gian",
        "Lưu trữ",
    ]
    assert index.xpath("//title")[0].text == "Họp báo"
    assert feedparser.parse((site / "feed.xml").read_bytes()).feed.title == "Họp báo"
    # an English briefing on the Vietnamese site: its page is English, the site's title in it marked vi
    page = lxml_html.fromstring((site / "briefings" / "2026-11-25" / "index.html").read_bytes())
    assert page.get("lang") == "en"
    title = page.xpath("//a[@class='site-title']")[0]
    assert title.text == "Họp báo" and title.get("lang") == "vi"
    item = index.xpath("//li[@class='briefing-item']//h2[@lang='en']")
    assert len(item) == 1
    vi_page = lxml_html.fromstring((site / "briefings" / "2026-11-24" / "index.html").read_bytes())
    assert vi_page.xpath("//a[@class='site-title']")[0].get("lang") is None
    assert "Tải xuống" in vi_page.text_content() and "Tìm kiếm" in vi_page.text_content()


def test_the_live_page_follows_the_briefing_language(tmp_path):
    from publish.live import write_live_page
    from tests.publish.helpers import make_transcript

    page = write_live_page(
        tmp_path,
        briefing_id="b",
        title="Họp báo thường kỳ",
        date="2026-11-25",
        transcript=make_transcript("vi"),
        updated_at="10:05",
    )
    text = page.read_text()
    assert 'lang="vi"' in text and "TRỰC TIẾP, CHƯA KIỂM CHỨNG" in text and "ngày 25 tháng 11 năm 2026" in text
    assert "LIVE" not in text and "unverified" not in text
    # it reloads itself through a script the reader can pause (WCAG 2.2.1), no <meta http-equiv="refresh">
    assert 'http-equiv="refresh"' not in text and 'id="live-pause"' in text and "Tạm dừng" in text
    en = write_live_page(
        tmp_path,
        briefing_id="c",
        title="Daily",
        date="2026-11-25",
        transcript=make_transcript("en"),
        updated_at="10:05",
        ended=True,
    ).read_text()
    assert "The briefing has ended" in en and 'href="../../briefings/c/"' in en


# ---------------------------------------------------------------------------- press pack and embed


def sign_with(key: bytes):
    def finalize(directory: Path) -> None:
        meta = json.loads((directory / "release.json").read_text())
        pm.write_signed_manifest(directory, metadata={"id": meta["id"], "version": meta["version"]}, private_pem=key)

    return finalize


def test_the_press_pack_is_listed_linked_and_verifies(site, shared, make_release, tmp_path):
    key = pm.generate_private_key()
    pm.write_public_key(site, key) if site.is_dir() else None
    rel = make_release(extra_tracks=True)
    publish_release(site, rel, shared, finalize=sign_with(key), pack_key=key)
    pm.write_public_key(site, key)
    bdir = site / "briefings" / rel.id
    pack = bdir / "v1" / "2026-11-25-v1-press-pack.zip"
    assert pack.is_file()
    with zipfile.ZipFile(pack) as z:
        names = sorted(n.split("/", 1)[1] for n in z.namelist())
        assert {n.split("/", 1)[0] for n in z.namelist()} == {"2026-11-25-v1"}
        z.extractall(tmp_path / "unzipped")
    assert names == sorted(
        [
            "video.mp4",
            "audio.m4a",
            "poster.jpg",
            "transcript.vtt",
            "transcript.srt",
            "transcript.txt",
            "transcript.json",
            "summary.md",
            "captions.vi.vtt",
            "release.json",
            "signing-key.pub",
            "manifest.json",
            "manifest.json.sig",
        ]
    )
    # listed in the release's signed manifest, so the downloaded ZIP verifies like any file
    listed = {e["path"] for e in json.loads((bdir / "manifest.json").read_text())["files"]}
    assert "v1/2026-11-25-v1-press-pack.zip" in listed
    assert pm.verify(str(pack)).ok
    assert pm.verify(str(bdir)).ok and pm.verify(str(site)).ok  # the exact check of the directory still passes
    # unzipped, it verifies on its own (its own signed manifest, the site's key)
    fp = pm.fingerprint(pm.public_key_pem(key))
    unzipped = tmp_path / "unzipped" / "2026-11-25-v1"
    report = pm.verify(str(unzipped), key=str(site / "signing-key.pub"))
    assert report.ok and report.key_fingerprint == fp, report.problems
    (unzipped / "transcript.txt").write_text("altered\n")
    assert not pm.verify(str(unzipped), key=str(site / "signing-key.pub")).ok
    # linked from the page (and from v1/), described in release.json and briefings.json
    doc = lxml_html.fromstring((bdir / "index.html").read_bytes())
    (link,) = doc.xpath("//li[@class='press-pack']/a")
    assert link.get("href") == "v1/2026-11-25-v1-press-pack.zip"
    (link1,) = lxml_html.fromstring((bdir / "v1" / "index.html").read_bytes()).xpath("//li[@class='press-pack']/a")
    assert link1.get("href") == "2026-11-25-v1-press-pack.zip"
    assert json.loads((bdir / "release.json").read_text())["press_pack"]["name"] == "v1/2026-11-25-v1-press-pack.zip"
    item = json.loads((site / "briefings.json").read_text())["briefings"][0]
    assert local(site, item["press_pack"]["url"]) == pack
    # a version's pack is made once: publishing v1 again keeps it byte for byte; v2 gets its own
    data = pack.read_bytes()
    publish_release(site, rel, shared, finalize=sign_with(key), pack_key=key)
    assert pack.read_bytes() == data
    note = Correction("2026-11-25T16:45:00+07:00", "Fixed.", 2)
    publish_release(
        site,
        replace(make_release(version=2, corrections=(note,), texts=["x y", "z w", "q r", "s t"])),
        shared,
        finalize=sign_with(key),
        pack_key=key,
    )
    assert (bdir / "v2" / "2026-11-25-v2-press-pack.zip").is_file() and pack.read_bytes() == data
    assert pm.verify(str(bdir)).ok


def test_embed_page_and_oembed(site, shared, make_release):
    rel = make_release()
    publish_release(site, rel, shared)
    bdir = site / "briefings" / rel.id
    embed = bdir / "embed.html"
    c = check_html(embed.read_text())
    for url in c.urls:
        target = resolve(site, embed, url) if "://" not in url else local(site, url)
        if target is not None:
            assert target.is_file(), url
    doc = lxml_html.fromstring(embed.read_bytes())
    assert len(doc.xpath("//video")) == 1
    (track,) = doc.xpath("//track")
    assert track.get("default") is not None and track.get("kind") == "captions"
    oembed = json.loads((bdir / "oembed.json").read_text())
    assert oembed["version"] == "1.0" and oembed["type"] == "video" and oembed["width"] and oembed["height"]
    src = lxml_html.fromstring(oembed["html"]).get("src")
    assert local(site, src) == embed and local(site, oembed["thumbnail_url"]).is_file()
    page = lxml_html.fromstring((bdir / "index.html").read_bytes())
    (discovery,) = page.xpath("//link[@type='application/json+oembed']")
    assert local(site, discovery.get("href")) == bdir / "oembed.json"
    assert page.xpath("//textarea[@id='embed-code']")[0].text == oembed["html"]


# ------------------------------------------------------------------------------------------ figures


def test_figures_page_charts_every_label_over_the_briefings(site, shared, make_release):
    publish_four(site, shared, make_release)
    page = site / "figures" / "index.html"
    c = check_html(page.read_text())
    doc = lxml_html.fromstring(page.read_bytes())
    charts = doc.xpath("//section[@class='figure-chart']")
    assert [s.xpath("./h2")[0].text for s in charts] == ["hospital occupancy", "new cases"]  # one per label
    for s in charts:
        assert len(s.xpath(".//svg")) == 1 and not doc.xpath("//script")  # drawn at publish time, no script
        points = [
            a.get("{http://www.w3.org/1999/xlink}href") or a.get("xlink:href") or a.get("href")
            for a in s.xpath(".//svg//a")
        ]
        rows = s.xpath(".//table/tbody/tr")
        assert len(rows) == 4 and len(points) == 4
        for href in points + [r.xpath(".//a/@href")[0] for r in rows]:
            assert re.fullmatch(r"\.\./briefings/2026-1\d-\d\d/#t=\d+", href), href
            assert resolve(site, page, href).is_file()
        assert s.xpath(".//table/caption") and s.xpath(".//th[@scope='col']")
    assert "Licence" in doc.text_content() and "CC BY 4.0" in doc.text_content()
    for url in c.urls:
        target = resolve(site, page, url)
        if target is not None:
            assert target.is_file(), url

    data = json.loads((site / "figures" / "figures.json").read_text())
    jsonschema.validate(data, schemas.load("figures.schema.json"))
    assert "CC BY 4.0" in data["license"]
    cases = next(f for f in data["figures"] if f["label"] == "new cases")
    assert [p["date"] for p in cases["points"]] == ["2026-10-30", "2026-10-31", "2026-11-24", "2026-11-25"]
    assert all(local(site, p["url"].split("#")[0]).is_file() for p in cases["points"])
    rows = list(csv.DictReader(io.StringIO((site / "figures" / "figures.csv").read_text())))
    assert len(rows) == 8 and rows[0].keys() >= {"label", "date", "value", "said", "start_seconds", "url"}
    assert {r["value"] for r in rows if r["label"] == "new cases"} == {"1240"}


def test_the_published_json_validates_against_the_published_schemas(site, shared, make_release):
    publish_four(site, shared, make_release)
    for name in schemas.NAMES:
        published = json.loads((site / "schemas" / name).read_text())
        jsonschema.Draft202012Validator.check_schema(published)
        assert published == schemas.load(name)
    jsonschema.validate(json.loads((site / "briefings.json").read_text()), schemas.load("briefings.schema.json"))
    for t in (site / "briefings").glob("*/transcript.json"):
        jsonschema.validate(json.loads(t.read_text()), schemas.load("transcript.schema.json"))
    index = (site / "schemas" / "index.html").read_text()
    assert all(f'href="{n}"' in index for n in schemas.NAMES)


def test_parts_in_another_language_are_marked(site, make_release):
    opts = SiteOptions(language="vi", base_url=BASE)
    publish_release(site, make_release(language="en", extra_tracks=True), opts)  # an English briefing, vi track
    page = lxml_html.fromstring((site / "briefings" / "2026-11-25" / "index.html").read_bytes())
    (label,) = page.xpath("//section[@class='downloads']//span[@lang]")
    assert label.get("lang") == "vi" and label.text == "Tiếng Việt"
    figures = lxml_html.fromstring((site / "figures" / "index.html").read_bytes())
    assert figures.get("lang") == "vi"
    assert {h.get("lang") for h in figures.xpath("//section[@class='figure-chart']/h2")} == {"en"}


def test_upload_targets_serve_the_new_files_with_their_types_and_order(site, shared, make_release):
    from publish.targets import plan

    key = pm.generate_private_key()
    publish_release(site, make_release(), shared, pack_key=key)
    files = {f.rel: f for f in plan(site)}
    pack = files["briefings/2026-11-25/v1/2026-11-25-v1-press-pack.zip"]
    assert (
        pack.content_type == "application/zip"
        and pack.content_disposition == 'attachment; filename="2026-11-25-v1-press-pack.zip"'
    )
    assert files["figures/figures.csv"].content_type.startswith("text/csv")
    order = [f.rel for f in plan(site)]
    assert order.index("feed.json") > order.index("briefings/2026-11-25/index.html")  # indexes after pages
    assert order.index("archive/index.html") > order.index("briefings/2026-11-25/video.mp4")
