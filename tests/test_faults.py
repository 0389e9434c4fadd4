"""Fault injection: the real command is ended (``os._exit``: no cleanup, as ``kill -9``) at named points
(``BRIEFING_FAULT``, see briefing/faults.py), then run again; after every run the site, a local target
and an S3 target (moto server) must hold:

- every file each manifest lists, with its SHA-256, and no file it does not list;
- each briefing once in every feed and in briefings.json, at the manifest's version;
- the bytes of every ``v<N>/`` as they were when it was published;
- ``briefing status`` says what the site and each target hold;
- ``briefing verify`` finds every version AUTHENTIC.

Right after a kill the local site shows the old version or the new one, complete and signed (the targets
are copies that the next run completes)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import feedparser
import pytest

from briefing.core.faults import EXIT_STATUS
from tests.distfixtures import s3, s3_endpoint  # noqa: F401
from tests.factory import make_briefing

REPO = Path(__file__).resolve().parents[1]
BID = "2026-11-25-daily-briefing"


def briefing(home: Path, *args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update(BRIEFING_HOME=str(home), PYTHONPATH=str(REPO), BRIEFING_CACHE_DIR=os.environ["BRIEFING_CACHE_DIR"])
    if fault:
        env["BRIEFING_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


def configure(home: Path, www: Path, bucket: str, endpoint: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "briefing.toml").write_text(
        "\n".join(
            [
                "[site]",
                'base_url = "https://press.example/"',
                "",  # a target needs it (canonical URLs, feeds)
                "[[publish.targets]]",
                'name = "www"',
                'type = "local"',
                f'path = "{www}"',
                "",
                "[[publish.targets]]",
                'name = "cdn"',
                'type = "s3"',
                f'bucket = "{bucket}"',
                'prefix = "site"',
                f'endpoint_url = "{endpoint}"',
                'region = "us-east-1"',
                'addressing_style = "path"',
                "",
                "[publish]",
                "retry_attempts = 1",
                'retry_wait = "0"',
                "",
            ]
        ),
        encoding="utf-8",
    )


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def sums(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha(p) for p in sorted(root.rglob("*")) if p.is_file()}


def version_dirs(bdir: Path) -> dict[str, dict[str, str]]:
    return {v.name: sums(v) for v in sorted(bdir.glob("v[0-9]*")) if v.is_dir()}


def freeze(frozen: dict[str, dict[str, str]], bdir: Path) -> None:
    """Remember each v<N>/ the first time it is seen: it must never change afterwards."""
    for name, files in version_dirs(bdir).items():
        frozen.setdefault(name, files)


def check_briefing_dir(bdir: Path, frozen: dict[str, dict[str, str]]) -> int:
    """The briefing directory is exactly what its manifest lists; returns the manifest's version."""
    from publish.manifest import verify

    m = json.loads((bdir / "manifest.json").read_text(encoding="utf-8"))
    listed = {e["path"]: e["sha256"] for e in m["files"]}
    on_disk = {p.relative_to(bdir).as_posix() for p in bdir.rglob("*") if p.is_file()}
    assert on_disk - {"manifest.json", "manifest.json.sig"} == set(listed), f"{bdir}: unlisted or missing files"
    for rel, digest in listed.items():
        assert sha(bdir / rel) == digest, f"{bdir}/{rel}: SHA-256 differs from the manifest"
    version = int(m["version"])
    assert json.loads((bdir / "release.json").read_text(encoding="utf-8"))["version"] == version
    assert sorted(version_dirs(bdir)) == sorted(f"v{n}" for n in range(1, version + 1))
    for name, files in frozen.items():
        assert sums(bdir / name) == files, f"{bdir}/{name} changed"
    report = verify(str(bdir))
    assert report.ok, report.problems or [f.name for f in report.files if not f.ok]
    for n in range(1, version + 1):  # each version's own page is authentic, as that version
        r = verify(str(bdir / f"v{n}" / "index.html"))
        assert r.ok and f"version {n}" in r.files[0].detail, r.to_dict()
    return version


def check_feeds(root: Path, version: int) -> None:
    for feed in ("feed.xml", "atom.xml"):
        parsed = feedparser.parse((root / feed).read_bytes())
        assert not parsed.bozo, feed
        ids = [e.get("id", "") for e in parsed.entries]
        assert sum(1 for i in ids if i.endswith(BID)) == 1, (feed, ids)
    listed = [
        b for b in json.loads((root / "briefings.json").read_text(encoding="utf-8"))["briefings"] if b["id"] == BID
    ]
    assert len(listed) == 1 and listed[0]["version"] == version


def mirror(client: Any, bucket: str, dest: Path) -> Path:
    """The S3 target's objects, as files (to check them as a reader who downloads them would)."""
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="site/"):
        for obj in page.get("Contents", []):
            p = dest / obj["Key"][len("site/") :]
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
    return dest


def check_all(home: Path, www: Path, s3c: Any, bucket: str, frozen: dict[str, dict[str, str]], tmp: Path) -> int:
    site = home / "site"
    bdir = site / "briefings" / BID
    freeze(frozen, bdir)
    version = check_briefing_dir(bdir, frozen)
    check_feeds(site, version)
    assert not (site / ".staging").exists() and not list(site.rglob("*.tmp")) and not list(www.rglob("*.tmp"))
    for root in (www, mirror(s3c, bucket, tmp / f"s3-{len(list(tmp.iterdir()))}")):
        assert check_briefing_dir(root / "briefings" / BID, frozen) == version, root
        check_feeds(root, version)
    v = briefing(home, "verify", str(bdir))
    assert v.returncode == 0 and "AUTHENTIC" in v.stdout, v.stdout + v.stderr
    st = briefing(home, "status", BID, "--json")
    assert st.returncode == 0, st.stderr
    targets = {t["name"]: t for t in json.loads(st.stdout)[0]["distribution"]["targets"]}
    for name in ("site", "www", "cdn"):
        assert targets[name]["version"] == version and targets[name]["status"] == "ok", targets
    return version


def check_after_kill(home: Path, frozen: dict[str, dict[str, str]], versions: tuple[int, ...]) -> None:
    """Right after a kill: the local site holds the old version or the new one, whole and signed, and
    `briefing status` says which."""
    bdir = home / "site" / "briefings" / BID
    if not bdir.exists():
        assert 0 in versions
        return
    version = check_briefing_dir(bdir, frozen)
    assert version in versions
    st = briefing(home, "status", BID, "--json")
    site = next(t for t in json.loads(st.stdout)[0]["distribution"]["targets"] if t["name"] == "site")
    assert site["version"] == version, site


# ---------------------------------------------------------------------------------- publish --note
POINTS = [
    "after:correct",
    "after:summarize",
    "after:redact",
    "publish:copy:*@1",
    "publish:copy:*@4",
    "publish:copy:media/*",
    "publish:copy:v1/",
    "publish:built",
    "publish:finalized",
    "publish:switched",
    "after:publish",
    "distribute:recorded",
    "target:www:*@1",
    "target:www:*@5",
    "target:cdn:*@1",
    "target:cdn:*@5",
    "distribute:targets",
]


@pytest.mark.parametrize("point", POINTS)
def test_publish_note_killed_then_the_same_command_finishes(point: str, briefing_env: Path, tmp_path: Path, s3) -> None:
    from briefing.processing import corrections, pipeline

    client, bucket, endpoint = s3
    www = tmp_path / "www"
    configure(briefing_env, www, bucket, endpoint)
    store, settings = make_briefing(briefing_env, BID)
    pipeline.publish_one(store, settings, BID)
    frozen: dict[str, dict[str, str]] = {}
    assert check_all(briefing_env, www, client, bucket, frozen, tmp_path) == 1
    published = settings.site_dir / "briefings" / BID / "transcript.srt"
    fixed = tmp_path / "fixed.srt"
    fixed.write_text(published.read_text().replace("Hospital occupancy", "ICU occupancy"))
    assert corrections.correct(store, settings, BID, file=fixed).changed == 1

    command = ("publish", BID, "--note", "ICU, not hospital, occupancy.")
    killed = briefing(briefing_env, *command, fault=point)
    assert killed.returncode == EXIT_STATUS, killed.stderr
    check_after_kill(briefing_env, frozen, (1, 2))
    again = briefing(briefing_env, *command)
    assert again.returncode == 0, again.stderr
    assert check_all(briefing_env, www, client, bucket, frozen, tmp_path) == 2
    assert "ICU occupancy" in (settings.site_dir / "briefings" / BID / "transcript.txt").read_text()
    assert "Hospital occupancy" in (settings.site_dir / "briefings" / BID / "v1" / "transcript.txt").read_text()


# ---------------------------------------------------------------------------------------- process
STAGE_POINTS = [
    "after:ingest",
    "after:audio",
    "after:video",
    "after:transcribe",
    "after:summarize",
    "after:redact",
    "publish:finalized",
    "publish:switched",
    "after:publish",
    "after:translate",
]


def forget(home: Path, stage: str) -> None:
    """Make the store forget that a stage is done, so that the plain command runs it (and reaches its
    fault point) again: cheaper than --force, which would run Whisper again for every point."""
    import sqlite3

    with sqlite3.connect(home / "briefing.db") as db:
        db.execute("DELETE FROM stages WHERE briefing_id=? AND stage=?", (BID, stage))


@pytest.mark.whisper
def test_process_killed_between_every_two_stages(briefing_env: Path, tmp_path: Path, s3, speech_dir: Path) -> None:
    """One briefing processed with a kill at every point in turn (the first on a fresh home; then each
    stage is forgotten so that the plain command runs it again); after each kill the plain command
    finishes the work. The targets' own points are in the test above, where a new version gives them
    files to copy whatever the clock says."""
    client, bucket, endpoint = s3
    www = tmp_path / "www"
    configure(briefing_env, www, bucket, endpoint)
    clip = speech_dir / "en_ljspeech_LJ001-0002.wav"
    command = ("process", str(clip), "--title", "Daily briefing", "--date", "2026-11-25", "--language", "en")
    frozen: dict[str, dict[str, str]] = {}
    version = 0
    for n, point in enumerate(STAGE_POINTS):
        if n:
            forget(briefing_env, point.split(":")[1] if point.startswith("after:") else "publish")
        killed = briefing(briefing_env, *command, fault=point)
        assert killed.returncode == EXIT_STATUS, (point, killed.stderr)
        check_after_kill(briefing_env, frozen, (version, version + 1) if version else (0, 1))
        again = briefing(briefing_env, *command)
        assert again.returncode == 0, (point, again.stderr)
        got = check_all(briefing_env, www, client, bucket, frozen, tmp_path)
        assert got >= max(version, 1)  # a re-made file with other bytes is a new version, never v1 again
        version = got
