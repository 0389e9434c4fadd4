"""Full-text search (SQLite FTS5): Vietnamese diacritics, ranking, filters, links, CLI, the site's search page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefing.core.errors import ConfigError, InputError, NotFoundError
from briefing.records import search
from cli import cli
from tests.briefing.helpers_archive import env
from tests.factory import processed_vi

VI = [
    (0.0, "Xin chào các nhà báo, buổi họp báo hôm nay bắt đầu.", "Người phát ngôn"),
    (61.4, "Bộ Y tế đã tiêm chủng cho hơn một triệu người tại Đà Nẵng.", "Bộ trưởng Bộ Y tế"),
    (125.0, "Giá xăng dầu sẽ được điều chỉnh vào tuần tới.", "Thứ trưởng Bộ Công Thương"),
    (190.2, "Chiến dịch tiêm chủng tiếp tục ở Hà Nội.", "Bộ trưởng Bộ Y tế"),
]


@pytest.fixture
def corpus():
    settings, store = env()
    processed_vi(
        settings,
        store,
        "2026-03-02-hop-bao",
        date="2026-03-02",
        title="Họp báo Chính phủ tháng 3",
        texts=VI,
        media="none",
    )
    processed_vi(
        settings,
        store,
        "2026-04-06-hop-bao",
        date="2026-04-06",
        title="Họp báo Chính phủ tháng 4",
        speakers=("Bộ trưởng Bộ Y tế",),
        media="none",
        texts=[
            (5.0, "Tiêm chủng, tiêm chủng và tiêm chủng: đó là ưu tiên.", None),
            (40.0, "Kinh tế tăng trưởng ổn định trong quý một.", None),
            (
                90.0,
                "Một buổi họp dài về nhiều vấn đề khác nhau của đất nước, trong đó có một câu "
                "ngắn về tiêm chủng ở vùng sâu vùng xa và nhiều nội dung khác nữa.",
                None,
            ),
        ],
    )
    search.ensure_indexed(store)
    yield settings, store
    store.close()


def texts(hits):
    return [h.text for h in hits]


def test_fold() -> None:
    assert search.fold("Đà Nẵng TIÊM CHỦNG Hồ Chí Minh") == "da nang tiem chung ho chi minh"
    assert search.fold("Nguyễn Thị Ánh Tuyết, Quảng Ngãi") == "nguyen thi anh tuyet, quang ngai"
    # the same letters, decomposed (NFD) as some keyboards send them
    import unicodedata

    assert search.fold(unicodedata.normalize("NFD", "tiêm chủng")) == "tiem chung"


def test_vietnamese_with_and_without_diacritics_find_the_same(corpus) -> None:
    settings, store = corpus
    for a, b in [
        ("tiêm chủng", "tiem chung"),
        ("Đà Nẵng", "da nang"),
        ("giá xăng dầu", "GIA XANG DAU"),
        ('"tiêm chủng cho"', '"tiem chung cho"'),
        ("Hà Nội", "ha noi"),
    ]:
        with_tones = search.search(store, a)
        without = search.search(store, b)
        assert with_tones, a
        assert [(h.briefing_id, h.start) for h in with_tones] == [(h.briefing_id, h.start) for h in without]
    hits = search.search(store, "da nang")
    assert texts(hits) == ["Bộ Y tế đã tiêm chủng cho hơn một triệu người tại Đà Nẵng."]
    # the snippet is the original text (with its tones), the matched words marked
    assert "[Đà] [Nẵng]" in hits[0].snippet
    assert "[tiêm] [chủng]" in search.search(store, "tiem chung")[-1].snippet


def test_ranking_bm25(corpus) -> None:
    settings, store = corpus
    hits = search.search(store, "tiêm chủng")
    assert len(hits) == 4
    # three times in a short passage beats once; once in a long passage comes last
    assert hits[0].text.startswith("Tiêm chủng, tiêm chủng")
    assert hits[-1].text.startswith("Một buổi họp dài")
    assert [h.score for h in hits] == sorted(h.score for h in hits)  # bm25: lower is better
    # a phrase only matches the words in that order
    assert texts(search.search(store, '"tiếp tục tiêm"')) == []
    assert len(search.search(store, "tiếp tục tiêm")) == 1
    assert len(search.search(store, "tiêm chủng", limit=2)) == 2
    # prefix
    assert texts(search.search(store, "xăn*")) == ["Giá xăng dầu sẽ được điều chỉnh vào tuần tới."]


def test_date_and_speaker_filters(corpus) -> None:
    settings, store = corpus
    march = search.search(store, "tiem chung", date_from="2026-03-01", date_to="2026-03-31")
    assert {h.briefing_id for h in march} == {"2026-03-02-hop-bao"} and len(march) == 2
    assert {h.briefing_id for h in search.search(store, "tiem chung", date_from="2026-04-06")} == {"2026-04-06-hop-bao"}
    assert search.search(store, "tiem chung", date_to="2026-03-01") == []
    # speaker: the segment's label, with or without tones; else the briefing's speakers
    by_minister = search.search(store, "tiem chung", speaker="bo truong bo y te")
    assert len(by_minister) == 4
    assert search.search(store, "tiêm chủng", speaker="Người phát ngôn") == []
    assert texts(search.search(store, "xin chào", speaker="người phát ngôn")) == [VI[0][1]]
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        search.search(store, "tiem", date_from="03/02/2026")
    with pytest.raises(ConfigError, match="after"):
        search.search(store, "tiem", date_from="2026-05-01", date_to="2026-04-01")
    with pytest.raises(InputError, match="nothing to search"):
        search.search(store, "  ?! ")


def test_result_links_to_the_second(corpus) -> None:
    settings, store = corpus
    hit = search.search(store, "da nang", base_url="https://press.gov.example/")[0]
    assert hit.url == "briefings/2026-03-02-hop-bao/#t=61"
    assert hit.link == "https://press.gov.example/briefings/2026-03-02-hop-bao/#t=61"
    assert hit.title == "Họp báo Chính phủ tháng 3" and hit.date == "2026-03-02"
    local = search.search(store, "da nang", site_dir=settings.site_dir)[0]
    assert local.link == f"{settings.site_dir}/briefings/2026-03-02-hop-bao/index.html#t=61"
    d = hit.to_dict()
    assert d["time"] == "01:01" and d["seconds"] == 61 and d["speaker"] == "Bộ trưởng Bộ Y tế"


def test_reindex_replaces_and_is_idempotent(corpus) -> None:
    settings, store = corpus
    before = store.query("SELECT count(*) FROM search_segments")[0][0]
    r = search.index_briefing(store, "2026-03-02-hop-bao")
    assert r.skipped and store.query("SELECT count(*) FROM search_segments")[0][0] == before
    r = search.index_briefing(store, "2026-03-02-hop-bao", force=True)
    assert not r.skipped and r.segments == 4
    assert store.query("SELECT count(*) FROM search_segments")[0][0] == before
    assert store.query("SELECT count(*) FROM search_fts")[0][0] == before
    # a corrected transcript is picked up by the lazy indexer
    processed_vi(
        settings,
        store,
        "2026-03-02-hop-bao",
        date="2026-03-02",
        media="none",
        texts=[(3.0, "Đính chính: tiêm chủng cho hai triệu người.", None)],
    )
    assert search.pending(store) == ["2026-03-02-hop-bao"]
    search.ensure_indexed(store)
    assert search.pending(store) == []
    assert texts(search.search(store, "dinh chinh")) == ["Đính chính: tiêm chủng cho hai triệu người."]
    assert search.search(store, "da nang") == []
    with pytest.raises(NotFoundError):
        search.index_briefing(store, "no-such-briefing")


def test_unprocessed_briefing_is_not_indexed() -> None:
    from briefing.core.store import Briefing

    settings, store = env()
    store.save_briefing(Briefing(id="2026-01-01-x", title="x", date="2026-01-01"))
    with pytest.raises(InputError, match="no transcript"):
        search.index_briefing(store, "2026-01-01-x")
    assert search.ensure_indexed(store) == []


def test_cli_search_indexes_lazily(corpus) -> None:
    settings, store = corpus
    processed_vi(
        settings,
        store,
        "2026-05-04-hop-bao",
        date="2026-05-04",
        media="none",
        texts=[(7.0, "Quảng Ninh đón khách quốc tế.", "Người phát ngôn")],
    )
    runner = CliRunner()
    res = runner.invoke(cli, ["search", "quang ninh", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["results"][0]["briefing_id"] == "2026-05-04-hop-bao"
    assert data["results"][0]["link"].endswith("briefings/2026-05-04-hop-bao/index.html#t=7")
    res = runner.invoke(cli, ["search", "tiêm chủng", "--from", "2026-04-01", "--speaker", "bo truong"])
    assert res.exit_code == 0 and "2026-04-06-hop-bao" in res.output and "#t=5" in res.output
    res = runner.invoke(cli, ["search", "tiem", "--from", "yesterday"])
    assert res.exit_code != 0 and isinstance(res.exception, ConfigError) and "YYYY-MM-DD" in str(res.exception)


def test_site_search_page_files(corpus) -> None:
    settings, store = corpus
    out = search.write_site_search(settings.site_dir, title="Báo chí", language="vi")
    assert out.briefings == 2 and out.passages == 7
    idx = json.loads(out.index_json.read_text(encoding="utf-8"))
    assert idx["briefings"][0]["id"] == "2026-04-06-hop-bao"  # newest first
    assert idx["briefings"][0]["url"] == "briefings/2026-04-06-hop-bao/index.html"
    js = out.index_js.read_text(encoding="utf-8")
    assert js.startswith("window.BRIEFING_SEARCH_INDEX = {")
    html = out.page.read_text(encoding="utf-8")
    assert '<script src="search-index.js"></script>' in html
    assert "http://" not in html and "https://" not in html  # nothing external
    assert 'lang="vi"' in html


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
def test_site_search_page_in_chromium_from_file(corpus) -> None:
    """Opened from file:// (no server): a query without tones finds the passages said with tones."""
    sync_api = pytest.importorskip("playwright.sync_api")
    settings, store = corpus
    out = search.write_site_search(settings.site_dir)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(out.page.as_uri())
        page.fill("#q", "tiem chung")
        page.click("button[type=submit]")
        page.wait_for_selector("#results li")
        items = page.locator("#results li")
        assert items.count() == 4
        first = items.nth(0)
        assert "tiêm chủng" in first.inner_text().lower()
        assert first.locator("mark").count() >= 2
        href = first.locator("a.hit").get_attribute("href")
        assert href == "briefings/2026-04-06-hop-bao/index.html#t=5"
        page.fill("#q", "Đà Nẵng")
        page.click("button[type=submit]")
        page.wait_for_function("document.querySelectorAll('#results li').length === 1")
        assert "#t=61" in page.locator("#results li a.hit").get_attribute("href")
        page.fill("#q", "tiêm chủng")
        page.fill("#from", "2026-04-01")
        page.click("button[type=submit]")
        page.wait_for_function("document.querySelectorAll('#results li').length === 2")
        assert all(u.startswith("file://") for u in requests), requests
        browser.close()
