"""What publishing guarantees: a published version never changes (every change is a new version), a note
with nothing changed is refused, and every published file is readable by the web server."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from briefing.core.errors import InputError
from briefing.core.store import Store
from briefing.press import distribute
from briefing.processing import corrections, pipeline, review
from tests.distfixtures import s3, s3_endpoint  # noqa: F401
from tests.factory import make_briefing

BID = "2026-11-25-daily-briefing"


def sums(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def versions(site: Path, bid: str = BID) -> dict[str, dict[str, str]]:
    d = site / "briefings" / bid
    return {v.name: sums(v) for v in sorted(d.glob("v[0-9]*")) if v.is_dir()}


def assert_kept(before: dict[str, dict[str, str]], site: Path) -> None:
    now = versions(site)
    for name, files in before.items():
        assert now.get(name) == files, f"{name}/ changed"


MEDIA_ROLES = ("video", "audio", "poster")


def media_of(vdir: Path) -> dict[str, str]:
    """role -> SHA-256 of the media a published version names in its release.json."""
    files = json.loads((vdir / "release.json").read_text(encoding="utf-8"))["files"]
    return {role: files[role]["sha256"] for role in MEDIA_ROLES if role in files}


def assert_plays_its_own_media(vdir: Path, want: dict[str, str]) -> None:
    """The page of a version plays (and offers for download) exactly the media ``want`` names, and every
    file of the briefing it links to exists and is listed, with its SHA-256, by the signed manifest."""
    bdir = vdir if (vdir / "manifest.json").is_file() else vdir.parent
    listed = {e["path"]: e["sha256"] for e in json.loads((bdir / "manifest.json").read_text())["files"]}
    html = (vdir / "index.html").read_text(encoding="utf-8")
    played = {}
    for _attr, ref in re.findall(r'\b(src|poster|href)="([^"#]+)"', html):
        if ref.endswith("/") or "://" in ref:
            continue  # another version's page, the latest page, or the site index
        target = (vdir / ref).resolve()
        if not target.is_relative_to(bdir.resolve()):
            continue  # the site's own static files
        rel = target.relative_to(bdir.resolve()).as_posix()
        assert target.is_file(), f"{vdir.name}/index.html links to {ref}, which does not exist"
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        assert listed.get(rel) == digest, f"{vdir.name}/index.html links to {ref}, not listed with its SHA-256"
        if target.suffix in (".mp4", ".m4a", ".jpg"):
            played[ref] = digest
    assert set(played.values()) == set(want.values()), (played, want)
    source = re.search(r'<source src="([^"]+)"', html).group(1)
    kind = "video" if "<video" in html else "audio"
    assert played[source] == want[kind]


def add_translation(store: Store, settings, bid: str = BID) -> None:
    """What the translate stage leaves (an English track), without running Whisper."""
    from tests.publish.helpers import make_transcript
    from transcribe import formats

    t = make_transcript(
        texts=["Good morning.", "The ministry recorded new cases.", "Occupancy is low.", "Questions now."]
    )
    out = settings.workspace / bid / "translation"
    out.mkdir(parents=True, exist_ok=True)
    (out / "translation.en.json").write_text(formats.to_json(t), encoding="utf-8")
    (out / "translation.en.vtt").write_text(formats.to_vtt(t), encoding="utf-8")
    store.stage_started(bid, "translate", "k")
    store.stage_done(
        bid,
        "translate",
        "k",
        [
            pipeline.artifact("translation_json", out / "translation.en.json"),
            pipeline.artifact("translation_vtt", out / "translation.en.vtt"),
        ],
        {},
    )


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
    from briefing.core.config import load_settings

    settings = load_settings(briefing_env)
    res = pipeline.publish_one(store, settings, BID)
    assert res.distribution.version == 1
    assert "Ministry of Health: briefings" in (site / "briefings" / BID / "index.html").read_text()
    assert_kept(kept, site)

    # speaker labels after publication: a new version with a note that says what changed
    review.assign_speaker(store, BID, "Spokesperson", 2.2, 3.0)
    res = pipeline.publish_one(store, settings, BID)
    assert res.distribution.version == 2
    meta = json.loads((site / "briefings" / BID / "release.json").read_text())
    assert meta["corrections"][-1]["note"] == "Transcript updated."
    assert_kept(kept, site)
    kept = versions(site)

    # a correction with a note: version 3
    published = site / "briefings" / BID / "transcript.srt"
    fixed = tmp_path / "fixed.srt"
    fixed.write_text(published.read_text().replace("Hospital occupancy", "ICU occupancy"))
    assert corrections.correct(store, settings, BID, file=fixed).changed == 1
    assert pipeline.publish_one(store, settings, BID, note="ICU, not hospital.").distribution.version == 3
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
    from tests.publish.helpers import make_summary, make_transcript
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

    rel = Release(
        id=BID,
        title="Daily press briefing",
        date="2026-11-25",
        language="en",
        speakers=(),
        transcript=t,
        summary=make_summary(t),
        files={**files, "json": other},
        duration=3.0,
        version=1,
        published_at=meta["published_at"],
    )
    with pytest.raises(SiteError, match="already published with other content"):
        site_mod.publish_release(settings.site_dir, rel, pipeline.site_options(settings))
    with pytest.raises(SiteError, match="already published with other content"):
        site_mod.publish_release(
            settings.site_dir, replace(rel, title="Another title"), pipeline.site_options(settings)
        )
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
    from tests.publish.helpers import make_transcript

    www = tmp_path / "www"
    briefing_env.mkdir(parents=True, exist_ok=True)
    (briefing_env / "briefing.toml").write_text(
        f'[site]\nbase_url = "https://press.example/"\n'
        f'[[publish.targets]]\nname = "www"\ntype = "local"\n'
        f'path = "{www}"\n',
        encoding="utf-8",
    )
    old = os.umask(0o077)  # a restrictive umask: what the writers leave must not depend on it
    try:
        store, settings = make_briefing(briefing_env, BID)
        pipeline.publish_one(store, settings, BID)
        write_live_page(
            settings.site_dir,
            briefing_id="2026-11-26-live",
            title="Live",
            date="2026-11-26",
            transcript=make_transcript(),
            updated_at="2026-11-26T09:00:00+07:00",
        )
        assert modes(settings.site_dir) == [] and modes(www) == []
        # what an earlier version of briefing (or another writer) left private is made readable too
        os.chmod(settings.site_dir / "briefings" / BID / "v1" / "transcript.txt", 0o600)
        os.chmod(www / "briefings" / BID / "v1" / "transcript.txt", 0o600)
        review.assign_speaker(store, BID, "Spokesperson", 2.2, 3.0)
        pipeline.publish_one(store, settings, BID)  # version 2: the site and the target again
    finally:
        os.umask(old)
    site = settings.site_dir
    for name in (
        "search.html",
        "search-index.js",
        "search-index.json",
        "index.html",
        "feed.xml",
        f"briefings/{BID}/manifest.json",
        f"briefings/{BID}/v2/index.html",
        "live/2026-11-26-live/transcript.json",
    ):
        assert (site / name).is_file(), name
    assert modes(site) == []
    assert (www / "search.html").is_file() and modes(www) == []


def replace_recording(store: Store, settings, bid: str = BID, *, seed: bytes = b"b") -> None:
    """What the media stages leave for another recording of the briefing: other audio and video."""
    d = settings.workspace / bid / ("media-" + seed.decode())
    d.mkdir(parents=True, exist_ok=True)
    (d / "audio.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A " + seed * 2500)
    (d / "video.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + seed * 4000)
    store.stage_started(bid, "video", "k-" + seed.decode())
    store.stage_done(
        bid,
        "video",
        "k-" + seed.decode(),
        [pipeline.artifact("audio", d / "audio.m4a"), pipeline.artifact("video", d / "video.mp4")],
        {},
    )


def inodes_by_content(bdir: Path) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for p in bdir.rglob("*"):
        if p.is_file() and p.suffix in (".mp4", ".m4a", ".jpg"):
            out.setdefault(hashlib.sha256(p.read_bytes()).hexdigest(), set()).add(p.stat().st_ino)
    return out


def test_a_new_recording_leaves_each_kept_version_its_own_media(briefing_env: Path, tmp_path: Path, run) -> None:
    """Version 2 with another recording: v1/'s page still plays the first recording's media, every file it
    links to is listed by the signed manifest, and a copy of the first release's video still verifies."""
    from publish.manifest import verify

    www = tmp_path / "www"
    briefing_env.mkdir(parents=True, exist_ok=True)
    (briefing_env / "briefing.toml").write_text(
        f'[site]\nbase_url = "https://press.example/"\n'
        f'[[publish.targets]]\nname = "www"\ntype = "local"\n'
        f'path = "{www}"\n',
        encoding="utf-8",
    )
    store, settings = make_briefing(briefing_env, BID, video_bytes=3000)
    pipeline.publish_one(store, settings, BID)
    site = settings.site_dir
    bdir = site / "briefings" / BID
    first = media_of(bdir / "v1")
    assert first == media_of(bdir)
    assert_plays_its_own_media(bdir / "v1", first)
    downloaded = tmp_path / "downloads" / f"{BID}-video.mp4"  # a journalist's copy of the first release
    downloaded.parent.mkdir()
    shutil.copyfile(bdir / "video.mp4", downloaded)
    kept = versions(site)

    replace_recording(store, settings)
    assert pipeline.publish_one(store, settings, BID).distribution.version == 2
    second = media_of(bdir)
    assert second["video"] != first["video"] and second["audio"] != first["audio"]
    assert_kept(kept, site)
    assert_plays_its_own_media(bdir / "v1", first)
    assert_plays_its_own_media(bdir / "v2", second)
    assert_plays_its_own_media(bdir, second)

    res = run("verify", str(downloaded), "--manifest", str(bdir / "manifest.json"))
    assert res.code == 0 and "AUTHENTIC" in res.out and "version 1" in res.out, res.out + res.err
    r = verify(str(bdir / "v1"))  # the kept version on its own: its files, and the media its page plays
    assert r.ok and r.version == 1, r.to_dict()
    assert {f"media/{first['video']}.mp4", f"media/{first['audio']}.m4a"} <= {f.name for f in r.files}
    assert verify(str(bdir)).ok and run("verify", str(bdir / "v1")).code == 0

    # each content once on disk: the same bytes under several names are one file (hard links)
    assert all(len(inodes) == 1 for inodes in inodes_by_content(bdir).values()), inodes_by_content(bdir)
    # a version that changes only the text adds no media file and copies none
    media = sorted(p.name for p in (bdir / "media").iterdir())
    inode = (bdir / "video.mp4").stat().st_ino
    kept = versions(site)
    review.assign_speaker(store, BID, "Spokesperson", 2.2, 3.0)
    assert pipeline.publish_one(store, settings, BID).distribution.version == 3
    assert sorted(p.name for p in (bdir / "media").iterdir()) == media
    assert (bdir / "video.mp4").stat().st_ino == inode == (bdir / "media" / f"{second['video']}.mp4").stat().st_ino
    assert_kept(kept, site)
    assert_plays_its_own_media(bdir / "v3", second)
    # the first recording once more (version 4): its media are the same files as v1's, not a new copy
    media_dir = settings.workspace / BID / "media"  # what make_briefing made: the first recording's
    store.stage_started(BID, "video", "k-first")
    store.stage_done(
        BID,
        "video",
        "k-first",
        [pipeline.artifact("audio", media_dir / "audio.m4a"), pipeline.artifact("video", media_dir / "video.mp4")],
        {},
    )
    assert pipeline.publish_one(store, settings, BID).distribution.version == 4
    assert media_of(bdir) == first
    assert all(len(inodes) == 1 for inodes in inodes_by_content(bdir).values()), inodes_by_content(bdir)
    assert_plays_its_own_media(bdir / "v1", first)
    assert_plays_its_own_media(bdir / "v2", second)
    assert verify(str(bdir)).ok
    # the web server's copy: the same files, each content once there too
    assert sums(www / "briefings" / BID) == sums(bdir) and verify(str(www / "briefings" / BID / "v1")).ok
    assert all(len(inodes) == 1 for inodes in inodes_by_content(www / "briefings" / BID).values()), {
        p.relative_to(www).as_posix(): p.stat().st_ino for p in www.rglob("*") if p.suffix in (".mp4", ".m4a")
    }


def test_a_site_published_before_media_were_kept_still_verifies_and_publishes(
    briefing_env: Path, tmp_path: Path, run
) -> None:
    """A site from before media/ existed (v<N>/ pages play ../video.mp4): it still verifies, publishes
    again without touching v<N>/, and a new recording keeps the first one's media listed and verifiable."""
    from briefing.press import distribute
    from publish.manifest import verify

    store, settings = make_briefing(briefing_env, BID, video_bytes=3000)
    pipeline.publish_one(store, settings, BID)
    site = settings.site_dir
    bdir = site / "briefings" / BID
    first = media_of(bdir)
    # what the site looked like when published by the earlier release of briefing
    page = (bdir / "v1" / "index.html").read_text(encoding="utf-8")
    page = page.replace(f"../media/{first['video']}.mp4", "../video.mp4").replace(
        f"../media/{first['audio']}.m4a", "../audio.m4a"
    )
    assert "../media/" not in page
    os.unlink(bdir / "v1" / "index.html")
    (bdir / "v1" / "index.html").write_text(page, encoding="utf-8")
    shutil.rmtree(bdir / "media")
    distribute.sign_release(settings, BID)
    assert verify(str(bdir)).ok and verify(str(bdir / "v1")).ok
    kept = versions(site)
    downloaded = tmp_path / f"{BID}-video.mp4"
    shutil.copyfile(bdir / "video.mp4", downloaded)

    pipeline.publish_one(store, settings, BID)  # the same publish again: v1/ as it was
    assert_kept(kept, site)
    assert verify(str(bdir)).ok and verify(str(bdir / "v1")).ok

    replace_recording(store, settings)
    assert pipeline.publish_one(store, settings, BID).distribution.version == 2
    assert_kept(kept, site)  # never rendered again (its page still plays what is one level up)
    listed = {e["path"]: e["sha256"] for e in json.loads((bdir / "manifest.json").read_text())["files"]}
    assert listed[f"media/{first['video']}.mp4"] == first["video"]
    assert listed[f"media/{first['audio']}.m4a"] == first["audio"]
    res = run("verify", str(downloaded), "--manifest", str(bdir / "manifest.json"))
    assert res.code == 0 and "version 1" in res.out, res.out + res.err
    assert verify(str(bdir)).ok and verify(str(bdir / "v1")).ok
    assert_plays_its_own_media(bdir / "v2", media_of(bdir))
    assert all(len(inodes) == 1 for inodes in inodes_by_content(bdir).values())


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
    first_media = media_of(bdir / "v1")
    downloads = {}  # a journalist's copies of the first release's media
    for role in first_media:
        name = json.loads((bdir / "release.json").read_text())["files"][role]["name"]
        downloads[role] = briefing_env / "downloads" / f"{bid}-{name}"
        downloads[role].parent.mkdir(exist_ok=True)
        shutil.copyfile(bdir / name, downloads[role])

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
    # v1/ still plays the first recording's media (not the new ones now one level up), listed and signed
    assert media_of(bdir) != first_media
    assert_plays_its_own_media(bdir / "v1", first_media)
    assert_plays_its_own_media(bdir / "v2", media_of(bdir))
    r = verify(str(bdir / "v1"))
    checked = {f.name.rsplit(".", 1)[0] for f in r.files}
    assert r.ok and {f"media/{d}" for d in first_media.values()} <= checked, r.to_dict()
    for role, copy in downloads.items():
        res = run("verify", str(copy), "--manifest", str(bdir / "manifest.json"))
        assert res.code == 0 and "AUTHENTIC" in res.out and "version 1" in res.out, (role, res.out + res.err)
    # media whose bytes did not change between versions are one file on disk (hard links), never two copies
    assert all(len(inodes) == 1 for inodes in inodes_by_content(bdir).values()), inodes_by_content(bdir)
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
    first = sync_s3(site, cdn)
    assert (www / "briefings" / BID / "video.mp4").is_file()
    # one file on the site under two names (video.mp4, media/<sha256>.mp4; transcript.txt, v1/transcript.txt)
    # is sent once, then copied inside the bucket
    digest = media_of(site / "briefings" / BID)
    assert {
        f"briefings/{BID}/media/{digest['audio']}.m4a",
        f"briefings/{BID}/video.mp4",
        f"briefings/{BID}/v1/transcript.txt",
    } <= set(first.copied), first.copied
    sent = {(site / rel).stat().st_ino for rel in first.uploaded if rel not in first.copied}
    assert all((site / rel).stat().st_ino in sent for rel in first.copied)
    head = client.head_object(Bucket=bucket, Key=f"site/briefings/{BID}/video.mp4")
    assert head["ContentType"] == "video/mp4" and head["ContentDisposition"].endswith('video.mp4"')
    assert head["Metadata"]["sha256"] == digest["video"] and head["CacheControl"] == "public, max-age=604800"
    body = client.get_object(Bucket=bucket, Key=f"site/briefings/{BID}/video.mp4")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == digest["video"]
    media_head = client.head_object(Bucket=bucket, Key=f"site/briefings/{BID}/media/{digest['audio']}.m4a")
    assert media_head["CacheControl"].endswith("immutable") and media_head["ContentType"] == "audio/mp4"
    # version 2 without the video
    with store.tx() as db:
        db.execute("DELETE FROM artifacts WHERE briefing_id=? AND role='video'", (BID,))
    assert pipeline.publish_one(store, settings, BID).distribution.version == 2
    assert not (site / "briefings" / BID / "video.mp4").exists()
    local, remote = sync_local(site, LocalTarget(www)), sync_s3(site, cdn)
    assert local.removed == remote.removed == [f"briefings/{BID}/video.mp4"]
    listed = {e["path"] for e in json.loads((site / "briefings" / BID / "manifest.json").read_text())["files"]}
    listed |= {"manifest.json", "manifest.json.sig"}
    assert set(sums(www / "briefings" / BID)) == listed
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=f"site/briefings/{BID}/")["Contents"]}
    assert {k[len(f"site/briefings/{BID}/") :] for k in keys} == listed
    assert (www / "briefings" / "2026-01-01-other" / "keep.txt").is_file()
