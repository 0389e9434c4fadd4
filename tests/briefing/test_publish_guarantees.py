"""What publishing guarantees: a published version never changes (every change is a new version), a note
with nothing changed is refused, and every published file is readable by the web server."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from briefing import corrections, distribute, pipeline, review
from briefing.errors import InputError
from briefing.store import Store
from tests.distfixtures import make_briefing, s3, s3_endpoint  # noqa: F401

BID = "2026-11-25-daily-briefing"


def sums(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def versions(site: Path, bid: str = BID) -> dict[str, dict[str, str]]:
    d = site / "briefings" / bid
    return {v.name: sums(v) for v in sorted(d.glob("v[0-9]*")) if v.is_dir()}


def assert_kept(before: dict[str, dict[str, str]], site: Path) -> None:
    now = versions(site)
    for name, files in before.items():
        assert now.get(name) == files, f"{name}/ changed"


def add_translation(store: Store, settings, bid: str = BID) -> None:
    """What the translate stage leaves (an English track), without running Whisper."""
    from tests.publish.conftest import make_transcript
    from transcribe import formats

    t = make_transcript(texts=["Good morning.", "The ministry recorded new cases.", "Occupancy is low.",
                               "Questions now."])
    out = settings.workspace / bid / "translation"
    out.mkdir(parents=True, exist_ok=True)
    (out / "translation.en.json").write_text(formats.to_json(t), encoding="utf-8")
    (out / "translation.en.vtt").write_text(formats.to_vtt(t), encoding="utf-8")
    store.stage_started(bid, "translate", "k")
    store.stage_done(bid, "translate", "k", [pipeline.artifact("translation_json", out / "translation.en.json"),
                                             pipeline.artifact("translation_vtt", out / "translation.en.vtt")], {})


def test_no_command_rewrites_a_published_version(briefing_env: Path, tmp_path: Path) -> None:
    store, settings = make_briefing(briefing_env, BID)
    pipeline.publish_one(store, settings, BID)
    site = settings.site_dir
    kept = versions(site)
    assert list(kept) == ["v1"]

    # the same publish again: nothing changes, not even the time
    pipeline.publish_one(store, settings, BID)
    assert_kept(kept, site)

    # the site's own options change (its title, the page footer): the latest page is rendered again,
    # the published version is not
    (briefing_env / "briefing.toml").write_text('[site]\ntitle = "Ministry of Health: briefings"\n', encoding="utf-8")
    from briefing.config import load_settings

    settings = load_settings(briefing_env)
    res = pipeline.publish_one(store, settings, BID)
    assert res.distribution["version"] == 1
    assert "Ministry of Health: briefings" in (site / "briefings" / BID / "index.html").read_text()
    assert_kept(kept, site)

    # speaker labels after publication: a new version with a note that says what changed
    review.assign_speaker(store, BID, "Spokesperson", 2.2, 3.0)
    res = pipeline.publish_one(store, settings, BID)
    assert res.distribution["version"] == 2
    meta = json.loads((site / "briefings" / BID / "release.json").read_text())
    assert meta["corrections"][-1]["note"] == "Transcript updated."
    assert_kept(kept, site)
    kept = versions(site)

    # a correction with a note: version 3
    published = site / "briefings" / BID / "transcript.srt"
    fixed = tmp_path / "fixed.srt"
    fixed.write_text(published.read_text().replace("Hospital occupancy", "ICU occupancy"))
    assert corrections.correct(store, settings, BID, file=fixed)["changed"] == 1
    assert pipeline.publish_one(store, settings, BID, note="ICU, not hospital.").distribution["version"] == 3
    assert_kept(kept, site)
    kept = versions(site)

    # the English track arrives after publication (translate, then publish again): version 4
    add_translation(store, settings)
    runner = pipeline.runner_for(store, settings, BID)
    runner.redact()
    runner.publish()
    distribute.after_publish(store, settings, BID)
    meta = json.loads((site / "briefings" / BID / "release.json").read_text())
    assert meta["version"] == 4 and meta["corrections"][-1]["note"] == "English machine translation added."
    assert (site / "briefings" / BID / "captions.en.vtt").is_file()
    assert not (site / "briefings" / BID / "v3" / "captions.en.vtt").exists()
    assert_kept(kept, site)
    assert [v["version"] for v in meta["versions"]] == [1, 2, 3, 4]
    from publish.manifest import verify

    assert verify(str(site / "briefings" / BID)).ok


def test_a_version_is_never_published_twice_with_other_content(briefing_env: Path) -> None:
    """The site library itself refuses to give a published version number to other content."""
    from dataclasses import replace

    from publish import site as site_mod
    from publish.site import SiteError
    from tests.publish.conftest import make_summary, make_transcript
    from transcribe import formats

    store, settings = make_briefing(briefing_env, BID)
    pipeline.publish_one(store, settings, BID)
    kept = versions(settings.site_dir)
    meta = json.loads((settings.site_dir / "briefings" / BID / "release.json").read_text())
    t = make_transcript(texts=["Other words.", "b", "c", "d"])
    other = briefing_env / "other.json"
    other.write_text(formats.to_json(t), encoding="utf-8")
    arts = store.artifacts(BID)
    files = {r: Path(arts[r].path) for r in ("audio", "srt", "vtt", "txt", "summary")}
    from publish.types import Release

    rel = Release(id=BID, title="Daily press briefing", date="2026-11-25", language="en", speakers=(),
                  transcript=t, summary=make_summary(t), files={**files, "json": other}, duration=3.0,
                  version=1, published_at=meta["published_at"])
    with pytest.raises(SiteError, match="already published with other content"):
        site_mod.publish_release(settings.site_dir, rel, pipeline.site_options(settings))
    with pytest.raises(SiteError, match="already published with other content"):
        site_mod.publish_release(settings.site_dir, replace(rel, title="Another title"),
                                 pipeline.site_options(settings))
    assert_kept(kept, settings.site_dir)


def test_a_note_with_nothing_changed_is_refused(briefing_env: Path, run) -> None:
    store, settings = make_briefing(briefing_env, BID)
    pipeline.publish_one(store, settings, BID)
    res = run("-q", "publish", BID, "--note", "Nothing really.")
    assert res.code != 0 and "nothing changed" in res.err and "Traceback" not in res.err
    assert len(res.err.strip().splitlines()) == 1
    meta = json.loads((settings.site_dir / "briefings" / BID / "release.json").read_text())
    assert meta["version"] == 1 and not (settings.site_dir / "briefings" / BID / "v2").exists()
    assert store.briefing(BID).meta.get("corrections", []) == []
    with pytest.raises(InputError, match="nothing changed"):
        pipeline.publish_one(store, settings, BID, note="Still nothing.")


def modes(root: Path) -> list[str]:
    """Every file not 0644 and every directory not 0755 under root (working dot-names left out)."""
    bad = []
    for p in [root, *root.rglob("*")]:
        rel = p.relative_to(root).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        want = 0o755 if p.is_dir() else 0o644
        got = stat.S_IMODE(p.stat().st_mode)
        if got != want:
            bad.append(f"{rel or '.'} {oct(got)}")
    return bad


def test_every_published_file_is_readable_by_the_web_server(briefing_env: Path, tmp_path: Path) -> None:
    from publish.live import write_live_page
    from tests.publish.conftest import make_transcript

    www = tmp_path / "www"
    briefing_env.mkdir(parents=True, exist_ok=True)
    (briefing_env / "briefing.toml").write_text(f'[[publish.targets]]\nname = "www"\ntype = "local"\n'
                                                f'path = "{www}"\n', encoding="utf-8")
    old = os.umask(0o077)  # a restrictive umask: what the writers leave must not depend on it
    try:
        store, settings = make_briefing(briefing_env, BID)
        pipeline.publish_one(store, settings, BID)
        write_live_page(settings.site_dir, briefing_id="2026-11-26-live", title="Live", date="2026-11-26",
                        transcript=make_transcript(), updated_at="2026-11-26T09:00:00+07:00")
        assert modes(settings.site_dir) == [] and modes(www) == []
        # what an earlier version of briefing (or another writer) left private is made readable too
        os.chmod(settings.site_dir / "briefings" / BID / "v1" / "transcript.txt", 0o600)
        os.chmod(www / "briefings" / BID / "v1" / "transcript.txt", 0o600)
        review.assign_speaker(store, BID, "Spokesperson", 2.2, 3.0)
        pipeline.publish_one(store, settings, BID)  # version 2: the site and the target again
    finally:
        os.umask(old)
    site = settings.site_dir
    for name in ("search.html", "search-index.js", "search-index.json", "index.html", "feed.xml",
                 f"briefings/{BID}/manifest.json", f"briefings/{BID}/v2/index.html",
                 "live/2026-11-26-live/transcript.json"):
        assert (site / name).is_file(), name
    assert modes(site) == []
    assert (www / "search.html").is_file() and modes(www) == []


@pytest.mark.whisper
def test_another_recording_under_a_published_id_is_refused(briefing_env: Path, speech_dir: Path, run) -> None:
    """'../../etc' and 'etc' on the same day are one id: the second recording must not replace the first."""
    first, second = speech_dir / "en_ljspeech_LJ001-0002.wav", speech_dir / "en_ljspeech_LJ001-0013.wav"
    res = run("-q", "process", str(first), "--title", "../../etc", "--date", "2026-11-25", "--language", "en")
    assert res.code == 0, res.err
    bid = "2026-11-25-etc"
    site = briefing_env / "site"
    bdir = site / "briefings" / bid
    before = sums(bdir)
    kept = versions(site, bid)

    res = run("-q", "process", str(second), "--title", "etc", "--date", "2026-11-25", "--language", "en")
    assert res.code != 0 and "Traceback" not in res.err
    line = res.err.strip()
    assert len(line.splitlines()) == 1
    a = hashlib.sha256(first.read_bytes()).hexdigest()
    b = hashlib.sha256(second.read_bytes()).hexdigest()
    assert a in line and b in line and "--title" in line and "--date" in line and "--force" in line
    assert sums(bdir) == before  # nothing on the site moved

    res = run("-q", "process", str(second), "--title", "etc", "--date", "2026-11-25", "--language", "en", "--force")
    assert res.code == 0, res.err
    meta = json.loads((bdir / "release.json").read_text())
    assert meta["version"] == 2 and "recording was replaced" in meta["corrections"][-1]["note"]
    assert a[:12] in meta["corrections"][-1]["note"] and b[:12] in meta["corrections"][-1]["note"]
    assert versions(site, bid)["v1"] == kept["v1"]
    from publish.manifest import verify

    assert verify(str(bdir)).ok and verify(str(bdir / "v1" / "index.html")).ok
    # the first recording again is the same story: refused without --force
    res = run("-q", "process", str(first), "--title", "etc", "--date", "2026-11-25", "--language", "en")
    assert res.code != 0 and b in res.err and a in res.err


def test_targets_hold_exactly_what_the_manifest_lists(briefing_env: Path, tmp_path: Path, s3) -> None:
    """A version that drops a file (here: the video, for an audio-only re-cut) leaves no stale copy on a
    target: a local directory or an S3 bucket holds exactly the files the signed manifest lists."""
    from publish.s3 import S3Target, sync_s3
    from publish.targets import LocalTarget, sync_local

    client, bucket, endpoint = s3
    store, settings = make_briefing(briefing_env, BID, video_bytes=3000)
    pipeline.publish_one(store, settings, BID)
    site = settings.site_dir
    www = tmp_path / "www"
    cdn = S3Target(bucket=bucket, endpoint_url=endpoint, region="us-east-1", prefix="site", addressing_style="path")
    (www / "briefings" / "2026-01-01-other").mkdir(parents=True)
    (www / "briefings" / "2026-01-01-other" / "keep.txt").write_text("not ours to remove")
    sync_local(site, LocalTarget(www))
    sync_s3(site, cdn)
    assert (www / "briefings" / BID / "video.mp4").is_file()
    # version 2 without the video
    with store.tx() as db:
        db.execute("DELETE FROM artifacts WHERE briefing_id=? AND role='video'", (BID,))
    assert pipeline.publish_one(store, settings, BID).distribution["version"] == 2
    assert not (site / "briefings" / BID / "video.mp4").exists()
    local, remote = sync_local(site, LocalTarget(www)), sync_s3(site, cdn)
    assert local.removed == remote.removed == [f"briefings/{BID}/video.mp4"]
    listed = {e["path"] for e in json.loads((site / "briefings" / BID / "manifest.json").read_text())["files"]}
    listed |= {"manifest.json", "manifest.json.sig"}
    assert set(sums(www / "briefings" / BID)) == listed
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=f"site/briefings/{BID}/")["Contents"]}
    assert {k[len(f"site/briefings/{BID}/"):] for k in keys} == listed
    assert (www / "briefings" / "2026-01-01-other" / "keep.txt").is_file()
