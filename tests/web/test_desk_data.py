"""What the desk shows and keeps: the queue, flags in place, languages, drafts shared with the command line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import cli
from briefing.processing import corrections
from briefing.web import drafts
from tests.distfixtures import receiver  # noqa: F401
from tests.net import free_port
from tests.web.helpers import BID, Officer, with_flags


def page_data(html: str) -> dict[str, Any]:
    return json.loads(re.search(r'id="desk-data">(.*?)</script>', html, re.S).group(1))


@pytest.fixture
def officer(accounts_made, desk) -> Any:
    o = Officer(desk.url)
    with o.c:
        o.login("minh")
        yield o


def test_queue_states_counts_newest_first_and_filter(officer: Officer, desk_home) -> None:
    from briefing.core.store import Briefing

    store, settings = desk_home
    with_flags(store)
    store.save_briefing(Briefing(id="2026-11-20-old", title="Older briefing", date="2026-11-20", language="vi"))
    rows = drafts.queue(store, settings)
    assert [r["id"] for r in rows] == [BID]  # a briefing with no transcript yet is not in the queue
    r = rows[0]
    assert (r["state"], r["low"], r["guards"], r["redactions"], r["glossary"]) == ("new", 1, 1, 1, 1)
    page = officer.c.get("/").text
    assert "not reviewed" in page and "(v1)" in page
    data = officer.editor()
    officer.post(f"/b/{BID}/draft", {"base_version": data["version"], "segments": [{"p": 0}, {"p": 1}, {"p": 2}]})
    assert drafts.queue(store, settings)[0]["state"] == "draft"
    assert BID in officer.c.get("/?state=draft").text
    assert BID not in officer.c.get("/?state=new").text
    assert BID in officer.c.get("/?q=daily").text and BID not in officer.c.get("/?q=flood").text


def test_flags_are_shown_where_they_are_and_redactions_never_show_the_data(officer: Officer, desk_home) -> None:
    store, _settings = desk_home
    with_flags(store)
    html = officer.c.get(f"/b/{BID}").text
    data = page_data(html)
    assert [s["low"] for s in data["segments"]] == [False, False, True, False]
    assert data["guards"][0]["text"] == "thank you thank you thank you" and data["guards"][0]["action"] == "removed"
    assert data["glossary"][0]["heard"] == "hospitable"
    assert data["redactions"] == [{"start": 2.3, "end": 2.6, "kind": "phone"}]
    assert "0912 345 678" not in html


def test_ui_language_follows_the_briefing_and_can_be_switched(officer: Officer, desk_home) -> None:
    store, _settings = desk_home
    en = officer.c.get(f"/b/{BID}").text
    assert 'lang="en"' in en and "Publish correction" in en
    store.set_language(BID, "vi")
    vi = officer.c.get(f"/b/{BID}").text
    assert 'lang="vi"' in vi and "Đăng bản đính chính" in vi and page_data(vi)["t"]["saved"].startswith("Đã lưu")
    switched = officer.c.get(f"/b/{BID}?lang=en")
    assert "Publish correction" in switched.text
    assert "desk_lang=en" in switched.headers.get("set-cookie", "")
    assert "Publish correction" in officer.c.get(f"/b/{BID}").text  # the choice is kept
    assert "Bàn biên tập" in officer.c.get("/?lang=vi").text


def test_desk_and_command_line_work_on_the_same_draft(officer: Officer, desk_home, tmp_path: Path) -> None:
    store, settings = desk_home
    data = officer.editor()
    s1 = data["segments"][1]
    r = officer.post(
        f"/b/{BID}/draft",
        {
            "base_version": 0,
            "segments": [
                {"p": 0},
                {"s": s1["s"], "e": s1["e"], "t": "The ministry recorded 1,420 new cases in the past day.", "src": 1},
                {"p": 2},
                {"p": 3},
            ],
        },
    )
    assert r.status_code == 200 and r.json()["version"] == 1
    drafts.flush(store, settings, BID)  # the pending correction is written just after the answer: wait for it
    # `briefing correct` opens what the desk saved; what it saves, the desk shows
    assert "1,420" in corrections.editable_text(store, settings, BID)
    fixed = tmp_path / "fixed.txt"
    fixed.write_text(
        corrections.editable_text(store, settings, BID).replace("3.5 percent", "3.7 percent"), encoding="utf-8"
    )
    res = CliRunner().invoke(cli.cli, ["correct", BID, "--file", str(fixed), "--json"])
    assert res.exit_code == 0, res.output
    # the desk's editor still based on version 1 is refused: the command line made version 2
    r = officer.post(f"/b/{BID}/draft", {"base_version": 1, "segments": [{"p": 0}, {"p": 1}, {"p": 2}, {"p": 3}]})
    assert r.status_code == 409 and r.json()["latest"]["version"] == 2
    assert r.json()["latest"]["author"] == "command line"
    assert "3.7 percent" in drafts.current(store, settings, BID).segments[2].text  # not overwritten
    fresh = officer.editor()
    assert fresh["version"] == 2 and "3.7 percent" in fresh["segments"][2]["t"]
    # back to the published text: the pending correction goes, and the CLI says so
    r = officer.post(f"/b/{BID}/draft", {"base_version": 2, "segments": [{"p": 0}, {"p": 1}, {"p": 2}, {"p": 3}]})
    assert r.status_code == 200 and r.json()["changed"] == 0
    drafts.flush(store, settings, BID)
    assert not store.briefing(BID).meta.get("pending_correction")
    # publish from the CLI after a desk save: the desk's draft is what it publishes
    data = officer.editor()
    officer.post(
        f"/b/{BID}/draft",
        {
            "base_version": data["version"],
            "segments": [
                {"p": 0},
                {"s": s1["s"], "e": s1["e"], "t": "The ministry recorded 1,420 new cases in the past day.", "src": 1},
                {"p": 2},
                {"p": 3},
            ],
        },
    )
    drafts.flush(store, settings, BID)
    res = CliRunner().invoke(cli.cli, ["publish", BID, "--note", "Figure corrected."])
    assert res.exit_code == 0, res.output
    assert "1,420" in (settings.site_dir / "briefings" / BID / "transcript.txt").read_text(encoding="utf-8")
    stale = officer.post(f"/b/{BID}/publish", {"base_version": data["version"] + 1, "note": "again"})
    assert stale.status_code == 409


def test_a_bad_draft_is_one_clear_line_and_changes_nothing(officer: Officer, desk_home) -> None:
    store, _settings = desk_home
    data = officer.editor()
    for segs, words in (
        ([{"p": 99}], "does not have"),
        ([{"p": 0}, {"p": 0}], "twice"),
        ([{"s": 0, "e": 9999, "t": "x"}], "outside the recording"),
        ([{"s": 0, "e": 1, "t": "a\u202eb"}], "control character"),
        ("nope", "not a list"),
    ):
        r = officer.post(f"/b/{BID}/draft", {"base_version": data["version"], "segments": segs})
        assert r.status_code == 400 and words in r.json()["error"] and "\n" not in r.json()["error"], segs
    assert officer.post(f"/b/{BID}/draft", {"segments": []}).status_code == 400
    assert not store.briefing(BID).meta.get("pending_correction")
    assert not store.query("SELECT 1 FROM review_drafts WHERE kind = 'draft'")


def test_split_and_merge_keep_the_words_times(desk_home) -> None:
    store, _settings = desk_home
    pub, _ = drafts.published(store, BID)
    w = [[x.start, x.end, x.text, x.probability] for x in pub.segments[0].words]
    first, rest = w[:2], w[2:]
    t, changed = drafts.build(
        pub,
        [
            {"s": first[0][0], "e": first[-1][1], "t": "Good morning,", "w": first, "src": 0},
            {"s": rest[0][0], "e": pub.segments[0].end, "t": "and welcome to today's briefing.", "w": rest, "src": 0},
            {
                "s": pub.segments[1].start,
                "e": pub.segments[2].end,
                "t": pub.segments[1].text + " " + pub.segments[2].text,
                "w": [[x.start, x.end, x.text, x.probability] for x in pub.segments[1].words + pub.segments[2].words],
                "src": 1,
            },
            {"p": 3},
        ],
    )
    assert changed == 4  # two halves, one merged, one segment gone into it
    assert [s.text.strip() for s in t.segments][:2] == ["Good morning,", "and welcome to today's briefing."]
    assert t.segments[1].words[0].start == pub.segments[0].words[2].start
    assert len(t.segments[2].words) == len(pub.segments[1].words) + len(pub.segments[2].words)
    assert t.segments[3] == pub.segments[3].__class__(**{**pub.segments[3].__dict__, "id": 3})
    # an edited segment loses its word times and is marked corrected; untouched ones keep everything
    t, changed = drafts.build(
        pub, [{"p": 0}, {"s": 0.75, "e": 1.45, "t": "edited text", "w": w, "src": 1}, {"p": 2}, {"p": 3}]
    )
    assert changed == 1 and t.segments[1].words == () and "corrected" in t.segments[1].flags
    assert t.segments[0] == pub.segments[0]


def test_a_draft_whose_files_a_crash_left_unwritten_is_written_on_the_next_read(desk_home) -> None:
    store, settings = desk_home
    pub, sha = drafts.published(store, BID)
    segs = [
        {"p": 0},
        {"s": 0.75, "e": 1.45, "t": "The ministry recorded 1,420 new cases in the past day.", "src": 1},
        {"p": 2},
        {"p": 3},
    ]
    with store.tx() as db:  # what a save leaves when the process dies before its write
        db.execute(
            "INSERT INTO review_drafts (briefing_id, version, base_version, kind, author, created_at, "
            "published_sha256, pending_stamp, materialized, segments) VALUES (?, 1, 0, 'draft', 'minh', "
            "'2026-12-02T00:00:00+00:00', ?, 'abc123', 0, ?)",
            (BID, sha, json.dumps(segs)),
        )
    assert drafts.version(store, BID) == 1
    assert "1,420" in drafts.current(store, settings, BID).segments[1].text
    pending = store.briefing(BID).meta["pending_correction"]
    assert pending["rev"] == "abc123" and pending["source"] == "desk:minh"
    assert drafts.version(store, BID) == 1  # the same version, not a change made elsewhere


def test_review_serve_prints_a_one_time_link_that_logs_in(desk_home, briefing_env: Path) -> None:
    port = free_port()
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "review", "serve", "--port", str(port)],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[0].strip() == f"review desk: http://127.0.0.1:{port}/", lines
        link = lines[2].strip()
        assert link.startswith(f"http://127.0.0.1:{port}/login?token="), lines
        with httpx.Client(timeout=30) as c:
            assert c.get(link).status_code == 302
            page = c.get(f"http://127.0.0.1:{port}/b/{BID}")
            assert page.status_code == 200 and "Publish correction" in page.text
    finally:
        proc.terminate()
        proc.wait(30)
        if proc.stdout is not None:
            proc.stdout.close()


def test_publish_tells_the_press_channels_only_with_the_notify_option(accounts_made, desk_home, receiver) -> None:
    from briefing.core.config import load_settings
    from tests.web.helpers import Running

    store, settings = desk_home
    (settings.home / "briefing.toml").write_text(
        f'[[publish.channels]]\nname = "newsroom"\nurl = "{receiver.url("newsroom")}"\n[publish]\nretry_attempts = 1\n',
        encoding="utf-8",
    )
    settings = load_settings(settings.home)
    running = Running(store, settings)
    try:
        o = Officer(running.url)
        with o.c:
            o.login("minh")
            for i, notify in enumerate((False, True)):
                data = o.editor()
                s1 = data["segments"][1]
                o.post(
                    f"/b/{BID}/draft",
                    {
                        "base_version": data["version"],
                        "segments": [
                            {"p": j} if j != 1 else {"s": s1["s"], "e": s1["e"], "t": f"Corrected text {i}.", "src": 1}
                            for j in range(len(data["segments"]))
                        ],
                    },
                )
                r = o.post(
                    f"/b/{BID}/publish", {"base_version": data["version"] + 1, "note": f"Fix {i}.", "notify": notify}
                )
                assert r.status_code == 200, r.text
                assert receiver.count("newsroom") == (1 if notify else 0)
    finally:
        running.close()


def test_a_correction_made_on_the_command_line_while_a_draft_is_written_is_kept(
    officer: Officer, desk_home, tmp_path: Path
) -> None:
    store, settings = desk_home
    data = officer.editor()
    s1 = data["segments"][1]
    with drafts._write_lock(BID):  # the draft's files wait: the command line comes in between
        r = officer.post(
            f"/b/{BID}/draft",
            {
                "base_version": data["version"],
                "segments": [{"p": 0}, {"s": s1["s"], "e": s1["e"], "t": "Desk text.", "src": 1}, {"p": 2}, {"p": 3}],
            },
        )
        assert r.status_code == 200
        fixed = tmp_path / "fixed.txt"
        fixed.write_text(
            corrections.editable_text(store, settings, BID).replace("3.5 percent", "3.7 percent"), encoding="utf-8"
        )
        res = CliRunner().invoke(cli.cli, ["correct", BID, "--file", str(fixed)])
        assert res.exit_code == 0, res.output
    cur = drafts.current(store, settings, BID)  # (waits for the desk's write)
    assert "3.7 percent" in cur.segments[2].text and "Desk text." not in cur.segments[1].text
    r = officer.post(f"/b/{BID}/draft", {"base_version": 1, "segments": [{"p": 0}, {"p": 1}, {"p": 2}, {"p": 3}]})
    assert r.status_code == 409 and r.json()["latest"]["author"] == "command line"
    assert store.query("SELECT segments FROM review_drafts WHERE version = 1")[0][0].count("Desk text.") == 1


def test_two_saves_before_the_first_is_written_keep_the_second_and_the_next_save_goes_through(
    officer: Officer, desk_home
) -> None:
    """Autosave and a closing tab can send two saves before the first's files are written: the second is
    written (it is the latest), and is not taken for a change made on the command line."""
    store, settings = desk_home
    data = officer.editor()
    s1 = data["segments"][1]

    def draft(text: str) -> list[dict[str, object]]:
        return [{"p": 0}, {"s": s1["s"], "e": s1["e"], "t": text, "src": 1}, {"p": 2}, {"p": 3}]

    with drafts._write_lock(BID):  # neither save's files are written until both are kept
        first = officer.post(f"/b/{BID}/draft", {"base_version": data["version"], "segments": draft("First.")})
        second = officer.post(
            f"/b/{BID}/draft", {"base_version": first.json()["version"], "segments": draft("Second.")}
        )
        assert first.status_code == 200 and second.status_code == 200
    cur = drafts.current(store, settings, BID)  # (waits for the desk's write)
    assert cur.segments[1].text.strip() == "Second."
    third = officer.post(f"/b/{BID}/draft", {"base_version": second.json()["version"], "segments": draft("Third.")})
    assert third.status_code == 200, third.text
    assert drafts.current(store, settings, BID).segments[1].text.strip() == "Third."
