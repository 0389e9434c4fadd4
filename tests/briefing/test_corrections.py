"""Corrections: $EDITOR or a corrected SRT/VTT/TXT file, published as version N+1 with a note."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

import cli
from briefing.core.errors import ConfigError, InputError
from briefing.press import distribute
from briefing.processing import corrections, pipeline
from tests.distfixtures import receiver  # noqa: F401
from tests.factory import make_briefing

BID = "2026-11-25-daily-briefing"


def channels_config(home: Path, url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "briefing.toml").write_text(
        f'[[publish.channels]]\nname = "newsroom"\nurl = "{url}"\n[publish]\nretry_attempts = 1\n', encoding="utf-8"
    )


def editor_script(tmp_path: Path, old: str, new: str) -> str:
    script = tmp_path / "fake-editor.py"
    script.write_text(
        "import sys\np = sys.argv[1]\ntext = open(p, encoding='utf-8').read()\n"
        f"open(p, 'w', encoding='utf-8').write(text.replace({old!r}, {new!r}))\n"
    )
    return f"{sys.executable} {script}"


def test_correct_in_editor_then_publish_version_2(
    briefing_env: Path, tmp_path: Path, receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    channels_config(briefing_env, receiver.url("newsroom"))
    store, settings = make_briefing(briefing_env, BID)
    pipeline.publish_one(store, settings, BID)
    assert receiver.count("newsroom") == 1
    site = settings.site_dir
    feed_v1 = feedparser.parse(str(site / "atom.xml")).entries[0]

    # the editor shows timed paragraphs; the press officer fixes a misheard word
    text = corrections.editable_text(store, settings, BID)
    assert "[00:00:00.750] The ministry recorded 1,240 new cases in the past day." in text
    monkeypatch.setenv("EDITOR", editor_script(tmp_path, "1,240 new cases", "1,420 new cases"))
    monkeypatch.delenv("VISUAL", raising=False)
    r = CliRunner().invoke(cli.cli, ["correct", BID, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["changed"] == 1

    # nothing is published until a note is given
    with pytest.raises(ConfigError, match="correction waiting"):
        pipeline.publish_one(store, settings, BID)
    assert "1,240" in (site / "briefings" / BID / "transcript.txt").read_text()

    time.sleep(1.1)  # feed times have whole seconds
    res = pipeline.publish_one(store, settings, BID, note="The number of new cases was misheard: 1,420.")
    assert res.distribution.version == 2
    page = (site / "briefings" / BID / "index.html").read_text()
    assert "Corrected on" in page and "The number of new cases was misheard: 1,420." in page
    assert "1,420 new cases" in page and "1,240 new cases" not in page
    assert "1,420" in (site / "briefings" / BID / "transcript.txt").read_text()
    # the earlier version stays reachable, unchanged, and the page links it
    v1 = site / "briefings" / BID / "v1"
    assert "1,240 new cases" in (v1 / "transcript.txt").read_text() and (v1 / "index.html").is_file()
    assert 'href="v1/"' in page
    assert (site / "briefings" / BID / "v2" / "index.html").is_file()
    release = json.loads((site / "briefings" / BID / "release.json").read_text())
    assert release["version"] == 2 and release["corrections"][0]["version"] == 2
    # the feeds show the update
    entry = feedparser.parse(str(site / "atom.xml")).entries[0]
    assert entry.updated_parsed >= feed_v1.updated_parsed and entry.updated != feed_v1.updated
    index = json.loads((site / "briefings.json").read_text())["briefings"][0]
    assert index["version"] == 2 and index["corrections"][0]["note"].startswith("The number")
    # channels are not told without --notify ...
    assert receiver.count("newsroom") == 1
    # ... and are told once with it
    pipeline.publish_one(store, settings, BID, notify=True)
    pipeline.publish_one(store, settings, BID, notify=True)
    assert receiver.count("newsroom") == 2
    post = receiver.bodies("newsroom")[-1]
    assert post["title"].startswith("Correction:") and "misheard" in post["message"]
    # the manifest of version 2 verifies, and covers the v1 copy
    v = CliRunner().invoke(cli.cli, ["verify", str(v1 / "transcript.txt")])
    assert v.exit_code == 0 and "AUTHENTIC" in v.output and "version 1" in v.output
    st = distribute.status(store, settings, BID)
    assert st.targets[0].version == 2


@pytest.mark.parametrize("kind", ["srt", "vtt", "txt"])
def test_correct_from_a_file(briefing_env: Path, tmp_path: Path, kind: str) -> None:
    store, settings = make_briefing(briefing_env, BID)
    pipeline.publish_one(store, settings, BID)
    published = settings.site_dir / "briefings" / BID / f"transcript.{kind}"
    fixed = tmp_path / f"fixed.{kind}"
    fixed.write_text(published.read_text().replace("Hospital occupancy", "Intensive-care occupancy"))
    r = corrections.correct(store, settings, BID, file=fixed)
    assert r.changed == 1
    pipeline.publish_one(store, settings, BID, note="ICU, not hospital, occupancy.")
    t = json.loads((settings.site_dir / "briefings" / BID / "transcript.json").read_text())
    changed = [s for s in t["segments"] if "corrected" in s["flags"]]
    assert len(changed) == 1 and "Intensive-care occupancy" in changed[0]["text"]
    assert changed[0]["confidence"] == 1.0 and "low-confidence" not in changed[0]["flags"]
    kept = [s for s in t["segments"] if "corrected" not in s["flags"]]
    assert len(kept) == 3 and all(s["words"] for s in kept)  # untouched segments keep their word timings


def test_bad_corrections_are_refused_clearly(briefing_env: Path, tmp_path: Path) -> None:
    store, settings = make_briefing(briefing_env, BID)
    with pytest.raises(InputError, match="not been published"):
        pipeline.publish_one(store, settings, BID, note="too early")
    pipeline.publish_one(store, settings, BID)
    bad = tmp_path / "x.docx"
    bad.write_text("x")
    with pytest.raises(InputError, match="SRT, VTT or TXT"):
        corrections.correct(store, settings, BID, file=bad)
    same = settings.site_dir / "briefings" / BID / "transcript.srt"
    assert corrections.correct(store, settings, BID, file=same).changed == 0
    nostamps = tmp_path / "plain.txt"
    nostamps.write_text("just words, no timestamps")
    with pytest.raises(Exception, match="HH:MM:SS"):
        corrections.correct(store, settings, BID, file=nostamps)


def test_verify_cli_fails_on_a_one_byte_change(briefing_env: Path, tmp_path: Path) -> None:
    store, settings = make_briefing(briefing_env, BID)
    pipeline.publish_one(store, settings, BID)
    txt = settings.site_dir / "briefings" / BID / "transcript.txt"
    copy = tmp_path / "circulating.txt"
    data = bytearray(txt.read_bytes())
    data[15] = ord("X") if data[15] != ord("X") else ord("Y")
    copy.write_bytes(bytes(data))
    r = CliRunner().invoke(
        cli.cli, ["verify", str(copy), "--manifest", str(settings.site_dir / "briefings" / BID / "manifest.json")]
    )
    assert r.exit_code == 1 and "NOT AUTHENTIC" in r.output
    ok = CliRunner().invoke(cli.cli, ["verify", str(txt), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["ok"] is True
