"""The review desk in headless Chromium: the whole path of a correction, the editor's keys, two officers."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.web.helpers import BID, log_in, new_page, with_flags

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]


def tree_hashes(d: Path) -> dict[str, str]:
    return {
        p.relative_to(d).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }


def briefing_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", *args], capture_output=True, text=True, cwd=REPO, timeout=120
    )


def seg(page: Any, i: int) -> Any:
    return page.locator(f'.seg[data-i="{i}"]')


def select_word(page: Any, i: int, word: str) -> None:
    """Select ``word`` inside segment i's text, as a double click would."""
    page.evaluate(
        """([i, word]) => {
        const tx = document.querySelector(`.seg[data-i="${i}"] .tx`);
        const walker = document.createTreeWalker(tx, NodeFilter.SHOW_TEXT);
        let n;
        while ((n = walker.nextNode())) {
            const at = n.data.indexOf(word);
            if (at >= 0) {
                tx.focus();
                const r = document.createRange();
                r.setStart(n, at); r.setEnd(n, at + word.length);
                const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
                return;
            }
        }
        throw new Error('word not found: ' + word);
    }""",
        [i, word],
    )


def wait_saved(page: Any, version: int) -> None:
    page.wait_for_function(f"() => document.body.getAttribute('data-version') == '{version}'")


def test_log_in_correct_name_a_speaker_close_the_tab_and_publish(browser, accounts_made, desk, desk_home) -> None:
    store, settings = desk_home
    site = settings.site_dir / "briefings" / BID
    v1_before = tree_hashes(site / "v1") if (site / "v1").is_dir() else None
    errors: list[str] = []
    external: list[str] = []
    page = new_page(browser, errors)
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(desk.url) else None)

    # log in, open the briefing from the queue
    log_in(page, desk.url, "minh")
    row = page.locator(f'#queue tr[data-id="{BID}"]')
    assert "not reviewed" in row.inner_text()
    row.locator("a").click()
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator(".seg").count() == 4
    # what the machine was unsure of is marked where it is
    assert "low" in (seg(page, 2).get_attribute("class") or "")

    # play from a clicked word: the player jumps there, plays, and the word is highlighted
    seg(page, 1).locator(".w", has_text="ministry").click()
    page.wait_for_function("() => !document.getElementById('player').paused")
    page.wait_for_function("() => document.getElementById('player').currentTime >= 0.85")
    page.wait_for_function("() => document.querySelector('.w.now, .seg.now') !== null")

    # correct a segment: typing pauses playback; the draft is saved a moment after the last key
    select_word(page, 1, "1,240")
    page.keyboard.type("1,420")
    page.wait_for_function("() => document.getElementById('player').paused")
    wait_saved(page, 1)
    assert "1,420 new cases" in seg(page, 1).inner_text()

    # name the speaker of the last turn, someone not yet on the roster
    page.once("dialog", lambda d: d.accept("Nguyễn Thị Hằng"))
    seg(page, 3).locator(".sp").click()
    page.select_option("#sp-pick", value="__new__")
    page.wait_for_function("() => document.querySelector('.seg[data-i=\"3\"] .sp').textContent === 'Nguyễn Thị Hằng'")

    # more typing, then the tab is closed once it says saved; a new tab finds the draft
    select_word(page, 3, "questions")
    page.keyboard.type("your questions")
    wait_saved(page, 2)
    page.context.close()

    page = new_page(browser, errors)
    log_in(page, desk.url, "minh")
    assert "draft saved" in page.locator(f'#queue tr[data-id="{BID}"]').inner_text()
    page.goto(f"{desk.url}/b/{BID}")
    page.wait_for_selector("body[data-ready='1']")
    assert "1,420 new cases" in seg(page, 1).inner_text()
    assert "take your questions now" in seg(page, 3).inner_text()
    assert seg(page, 3).locator(".sp").inner_text() == "Nguyễn Thị Hằng"
    # the diff against the published version shows what changed
    page.click("#diff-box summary")
    page.wait_for_selector("#diff ins")
    assert "1,420" in page.locator("#diff ins").first.inner_text()
    # the command line sees the same draft
    r = briefing_cli("review", BID, "--all", "--json")
    assert r.returncode == 0, r.stderr
    assert any("1,420" in it["text"] for it in json.loads(r.stdout)["items"])

    # publish: a note is required
    page.click("#publish")
    assert "change note" in page.locator("#publish-result").inner_text().lower()
    page.fill("#note", "The number of new cases was misheard: 1,420.")
    page.click("#publish")
    page.wait_for_selector("#published-link")
    assert "version 2" in page.locator("#publish-result").inner_text().lower()
    assert not errors, errors
    assert not external, external  # nothing loaded from anywhere else

    # the press site: corrected text and the note; v1/ unchanged; both versions authentic
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "1,420 new cases" in html and "The number of new cases was misheard: 1,420." in html
    assert "Nguyễn Thị Hằng" in html
    v1 = site / "v1"
    assert "1,240 new cases" in (v1 / "transcript.txt").read_text(encoding="utf-8")
    if v1_before is not None:
        assert tree_hashes(v1) == v1_before
    for target in (site, v1):
        r = briefing_cli("verify", str(target))
        assert r.returncode == 0 and "AUTHENTIC" in r.stdout and "NOT AUTHENTIC" not in r.stdout, r.stdout + r.stderr
    # who did what, recorded in the store
    actions = [(a["user"], a["action"]) for a in store.query("SELECT user, action FROM review_audit ORDER BY id")]
    assert ("minh", "save") in actions and ("minh", "speaker") in actions and actions[-1] == ("minh", "publish")
    # the queue says published v2
    page.goto(desk.url + "/")
    assert "published v2" in page.locator(f'#queue tr[data-id="{BID}"]').inner_text()


def test_keys_split_merge_and_flagged_stops(browser, accounts_made, desk, desk_home) -> None:
    store, settings = desk_home
    page = new_page(browser)
    log_in(page, desk.url, "lan")
    page.goto(f"{desk.url}/b/{BID}")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#publish-form").count() == 0  # a reviewer has no publish button

    # a click into the text plays from the word clicked; Ctrl+K pauses, without leaving the text
    seg(page, 0).locator(".w").first.click()
    page.wait_for_function("() => !document.getElementById('player').paused")
    page.keyboard.press("Control+k")
    page.wait_for_function("() => document.getElementById('player').paused")
    # next flagged: the unsure segment; the player goes there
    page.keyboard.press("Alt+ArrowDown")
    page.wait_for_function(
        "() => document.querySelector('.seg.stop') && document.querySelector('.seg.stop').dataset.i === '2'"
    )
    assert abs(page.evaluate("document.getElementById('player').currentTime") - 1.5) < 0.05
    page.keyboard.press("Alt+ArrowUp")  # the only stop: it stays
    page.wait_for_function("() => document.querySelector('.seg.stop').dataset.i === '2'")
    page.keyboard.press("Control+k")
    page.wait_for_function("() => !document.getElementById('player').paused")
    page.keyboard.press("Control+k")
    page.wait_for_function("() => document.getElementById('player').paused")
    page.keyboard.press("Control+.")
    assert page.evaluate("document.getElementById('player').playbackRate") == 1.25
    page.keyboard.press("Control+,")
    page.keyboard.press("Control+,")
    assert page.evaluate("document.getElementById('player').playbackRate") == 0.75
    page.keyboard.press("Control+j")
    page.wait_for_function("() => document.getElementById('player').currentTime < 0.05")
    # the typing-pauses toggle
    page.uncheck("#pause-typing")
    page.keyboard.press("Control+k")
    page.wait_for_function("() => !document.getElementById('player').paused")
    seg(page, 2).locator(".tx").click()
    page.keyboard.press("End")
    page.keyboard.type(" Right.")
    assert not page.evaluate("document.getElementById('player').paused")
    page.keyboard.press("Control+k")

    # split segment 0 after "morning," (Enter at the caret), merge segments 2 and 3 (Backspace at the start)
    page.evaluate("""() => {
        const spans = document.querySelectorAll('.seg[data-i="0"] .w');
        const n = spans[2].firstChild;   // ' and'
        const r = document.createRange(); r.setStart(n, 0); r.collapse(true);
        spans[2].parentElement.focus();
        const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
    }""")
    page.keyboard.press("Enter")
    assert page.locator(".seg").count() == 5
    assert seg(page, 0).locator(".tx").inner_text().strip() == "Good morning,"
    seg(page, 4).locator(".tx").click()
    page.keyboard.press("Home")
    page.keyboard.press("Backspace")
    assert page.locator(".seg").count() == 4
    wait_saved(page, 1)

    from briefing.web import drafts

    t = drafts.current(store, settings, BID)
    texts = [s.text.strip() for s in t.segments]
    assert texts[0] == "Good morning," and texts[1] == "and welcome to today's briefing."
    # the split kept the untouched words' times
    assert [w.text for w in t.segments[0].words] == [" Good", " morning,"]
    assert t.segments[1].start == pytest.approx(0.2) and t.segments[1].words[0].start == pytest.approx(0.2)
    assert texts[3] == "Hospital occupancy stands at 3.5 percent of capacity. Right. We will take questions now."
    actions = [(a["user"], a["action"]) for a in store.query("SELECT user, action FROM review_audit")]
    assert ("lan", "save") in actions


def test_two_officers_second_save_is_a_conflict_and_nothing_is_lost(browser, accounts_made, desk, desk_home) -> None:
    store, settings = desk_home
    a, b = new_page(browser), new_page(browser)
    log_in(a, desk.url, "minh")
    log_in(b, desk.url, "lan")
    for p in (a, b):
        p.goto(f"{desk.url}/b/{BID}")
        p.wait_for_selector("body[data-ready='1']")

    select_word(a, 1, "1,240")
    a.keyboard.type("1,420")
    wait_saved(a, 1)

    select_word(b, 2, "3.5")
    b.keyboard.type("3.7")
    b.wait_for_selector("#conflict:not([hidden])")
    msg = b.locator("#conflict-msg").inner_text()
    assert "minh" in msg and "version 1" in msg
    # the second officer sees both: theirs and their own, and their own text is still in the editor
    assert any("1,420" in x for x in b.locator("#conflict-diff .theirs").all_inner_texts())
    assert any("3.7" in x for x in b.locator("#conflict-diff .mine").all_inner_texts())
    assert "3.7 percent" in seg(b, 2).inner_text()
    # on the server: the first draft is the pending correction, the refused save is kept
    from briefing.web import drafts

    cur = drafts.current(store, settings, BID)
    assert "1,420" in cur.segments[1].text and "3.5 percent" in cur.segments[2].text
    refused = store.query("SELECT author, segments FROM review_drafts WHERE kind = 'conflict'")
    assert len(refused) == 1 and refused[0]["author"] == "lan" and "3.7" in refused[0]["segments"]

    # the second officer keeps theirs over it, knowingly: both versions stay in the store
    b.click("#keep-mine")
    wait_saved(b, 2)
    cur = drafts.current(store, settings, BID)
    assert "3.7 percent" in cur.segments[2].text
    rows = store.query("SELECT version, author, segments FROM review_drafts WHERE kind = 'draft' ORDER BY version")
    assert [(r["version"], r["author"]) for r in rows] == [(1, "minh"), (2, "lan")]
    assert "1,420" in rows[0]["segments"]
    # the first officer's next save is refused in turn; they load the other draft instead of theirs
    select_word(a, 0, "morning")
    a.keyboard.type("afternoon")
    a.wait_for_selector("#conflict:not([hidden])")
    a.click("#take-theirs")
    wait_saved(a, 2)
    assert "3.7 percent" in seg(a, 2).inner_text() and "Good morning" in seg(a, 0).inner_text()
    assert store.query("SELECT COUNT(*) FROM review_drafts WHERE kind = 'conflict' AND author = 'minh'")[0][0] == 1


def test_flags_are_shown_in_place_and_each_is_a_stop(browser, accounts_made, desk, desk_home) -> None:
    store, _settings = desk_home
    with_flags(store)
    page = new_page(browser)
    log_in(page, desk.url, "minh")
    page.goto(f"{desk.url}/b/{BID}")
    page.wait_for_selector("body[data-ready='1']")
    # the guard removal (what and where), the glossary fix, the redaction (kind and time, not the data)
    assert "thank you thank you thank you" in seg(page, 1).locator(".marks").inner_text()
    assert "«hospitable» → «hospital»" in seg(page, 2).locator(".marks").inner_text()
    marks3 = seg(page, 3).locator(".marks").inner_text()
    assert "phone" in marks3 and "0912" not in page.content()
    # next flagged visits them in order: 1 (guard), 2 (unsure + glossary), 3 (silence, redaction), then round
    seg(page, 0).locator(".ts").click()  # a timestamp plays from there
    page.wait_for_function("() => !document.getElementById('player').paused")
    page.keyboard.press("Control+k")
    seen = []
    for _ in range(4):
        page.click("#next-flag")
        seen.append(page.evaluate("() => document.querySelector('.seg.stop').dataset.i"))
    assert seen == ["1", "2", "3", "1"]
    page.click("#prev-flag")
    assert page.evaluate("() => document.querySelector('.seg.stop').dataset.i") == "3"
    # a click on a mark plays from its time
    seg(page, 2).locator(".mark.glossary").click()
    page.wait_for_function("() => Math.abs(document.getElementById('player').currentTime - 1.5) < 0.3")


def test_the_view_follows_playback_unless_told_not_to(browser, accounts_made, desk) -> None:
    ctx = browser.new_context(viewport={"width": 900, "height": 420})
    page = ctx.new_page()
    page.set_default_timeout(20000)
    log_in(page, desk.url, "minh")
    for follow in (False, True):
        page.goto(f"{desk.url}/b/{BID}")
        page.wait_for_selector("body[data-ready='1']")
        page.evaluate("() => window.scrollTo(0, 0)")
        if not follow:
            page.uncheck("#follow")
        page.evaluate("() => { document.getElementById('player').playbackRate = 2; }")
        seg(page, 0).locator(".ts").click()
        page.wait_for_function("() => document.getElementById('player').currentTime > 2.6")
        last_visible = page.evaluate("""() => {
            const r = document.querySelector('.seg[data-i="3"]').getBoundingClientRect();
            return r.top >= 0 && r.bottom <= window.innerHeight;
        }""")
        assert last_visible is follow, follow
        page.keyboard.press("Control+k")
    ctx.close()


def test_closing_the_tab_right_after_typing_keeps_the_text(browser, accounts_made, desk, desk_home) -> None:
    from tests.distfixtures import wait_for

    store, _settings = desk_home
    page = new_page(browser)
    log_in(page, desk.url, "minh")
    page.goto(f"{desk.url}/b/{BID}")
    page.wait_for_selector("body[data-ready='1']")
    select_word(page, 1, "1,240")
    page.keyboard.type("1,420")
    assert page.evaluate("() => document.body.getAttribute('data-version')") == "0"  # not saved yet
    page.close(run_before_unload=True)  # the tab goes before the autosave: the page sends it as it goes
    assert wait_for(
        lambda: any(
            "1,420" in r["segments"] for r in store.query("SELECT segments FROM review_drafts WHERE kind = 'draft'")
        ),
        30,
    )
