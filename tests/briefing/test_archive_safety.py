"""The archive never loses the last good copy: prune re-checks before deleting, restore never follows a link
or writes outside DEST, and a copied or moved home acts only on its own files (real bagit, SQLite, moto)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from briefing.core.config import load_settings
from briefing.core.store import Store
from briefing.records import archive
from tests.briefing.helpers_archive import BID, env, s3, s3_endpoint  # noqa: F401  (fixtures)
from tests.factory import home_snapshot, moved_before_migration, processed_vi, published_with_source

LATER = datetime.now(UTC) + timedelta(days=400)


@pytest.fixture
def one():
    settings, store = env()
    processed_vi(settings, store, BID, date="2026-03-02")
    yield settings, store
    store.close()


def _working(store: Store) -> dict[str, bytes]:
    return {r: Path(a.path).read_bytes() for r, a in store.artifacts(BID).items() if r in archive.WORKING_ROLES}


def _flip_one_byte(path: Path) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


# -- item 3: prune never deletes the last good copy ---------------------------------------------------
def test_prune_refuses_when_the_archived_recording_was_damaged_after_verification(one, run, briefing_env) -> None:
    settings, store = one
    rec = archive.create(store, settings, BID)
    assert archive.verify(store, settings, BID).ok
    before = _working(store)
    _flip_one_byte(Path(rec.location) / "data" / "recording" / "original.mp4")
    (briefing_env / "briefing.toml").write_text("[retention.standard]\nworking_days = 0\n")

    res = run("prune", BID)
    assert res.code != 0
    lines = [ln for ln in res.err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, res.err
    assert "nothing was deleted" in lines[0] and "data/recording/original.mp4" in lines[0], lines[0]
    assert "Traceback" not in res.err + res.out and "freed" not in res.out
    assert _working(store) == before  # every working copy is still there, byte for byte
    again = archive.records(store, BID)[-1]
    assert again.verify_ok is False and "original.mp4" in (again.verify_error or "")
    # and from now on prune refuses at once, as for any unverified package
    res = run("prune", BID)
    assert res.code != 0 and "not verified" in res.err
    assert _working(store) == before


def test_prune_without_an_id_deletes_nothing_when_one_package_is_damaged(one) -> None:
    settings, store = one
    processed_vi(settings, store, "2026-03-03-other", date="2026-03-03")
    archive.create(store, settings, "2026-03-03-other")
    rec = archive.create(store, settings, BID)
    _flip_one_byte(Path(rec.location) / "data" / "media" / "video.mp4")
    other = {r: Path(a.path).read_bytes() for r, a in store.artifacts("2026-03-03-other").items()}
    with pytest.raises(archive.ArchiveError, match="nothing was deleted"):
        archive.prune(store, settings, now=LATER)
    assert all(Path(a.path).is_file() for a in store.artifacts(BID).values())
    assert {r: Path(a.path).read_bytes() for r, a in store.artifacts("2026-03-03-other").items()} == other
    # a dry run checks the same and says the same
    with pytest.raises(archive.ArchiveError, match="not verified"):
        archive.prune(store, settings, BID, now=LATER, dry_run=True)


def test_prune_refuses_an_archived_copy_replaced_by_a_link_to_the_working_copy(one) -> None:
    settings, store = one
    rec = archive.create(store, settings, BID)
    src = Path(store.artifacts(BID)["source"].path)
    bag_file = Path(rec.location) / "data" / "recording" / "original.mp4"
    bag_file.chmod(0o644)
    bag_file.unlink()
    bag_file.symlink_to(src)  # same bytes, but it is the working copy itself: deleting it loses both
    with pytest.raises(archive.ArchiveError, match="nothing was deleted"):
        archive.prune(store, settings, BID, now=LATER)
    assert src.is_file()


def test_prune_checks_the_recorded_s3_versions_and_checksums(one, s3, monkeypatch: pytest.MonkeyPatch) -> None:
    client, bucket = s3
    monkeypatch.setenv("BRIEFING_ARCHIVE_LOCK_MODE", "GOVERNANCE")
    settings, store = load_settings(), one[1]
    rec = archive.create(store, settings, BID)
    assert rec.target == "s3" and rec.verify_ok
    before = _working(store)
    key = f"briefings/{BID}/v1/data/recording/original.mp4"
    # a forged object put on top: the record points at the genuine version, which is still intact
    client.put_object(Bucket=bucket, Key=key, Body=b"forged")
    # the recorded version of the speech audio is removed (governance mode can be bypassed)
    skey = f"briefings/{BID}/v1/data/media/speech.wav"
    client.delete_object(Bucket=bucket, Key=skey, VersionId=rec.objects[skey], BypassGovernanceRetention=True)
    with pytest.raises(archive.ArchiveError, match="nothing was deleted") as info:
        archive.prune(store, settings, BID, now=LATER)
    assert "speech" in str(info.value) and "original.mp4" not in str(info.value)
    assert _working(store) == before
    assert archive.records(store, BID)[-1].verify_ok is False

    # a record whose version id was changed to the forged object's: its checksum is not the recorded one
    forged_version = client.head_object(Bucket=bucket, Key=key)["VersionId"]
    objects = dict(rec.objects)
    objects[key] = forged_version
    objects.pop(skey)
    with store.tx() as db:
        db.execute("UPDATE archives SET objects = ?, verify_ok = 1 WHERE id = ?", (json.dumps(objects), rec.id))
    with pytest.raises(archive.ArchiveError, match="nothing was deleted") as info:
        archive.prune(store, settings, BID, now=LATER)
    assert "original.mp4" in str(info.value) or "speech" in str(info.value)
    assert _working(store) == before


def test_prune_frees_files_whose_archived_copies_are_intact(one, s3) -> None:
    settings, store = load_settings(), one[1]
    archive.create(store, settings, BID)
    res = archive.prune(store, settings, BID, now=LATER)
    assert {f.role for f in res.freed} == set(archive.WORKING_ROLES)
    assert not any(Path(a.path).exists() for r, a in store.artifacts(BID).items() if r in archive.WORKING_ROLES)


# -- item 12: restore stays inside DEST ------------------------------------------------------------------
def test_a_link_planted_in_a_bag_is_never_followed(one, tmp_path: Path, run) -> None:
    settings, store = one
    rec = archive.create(store, settings, BID)
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("SECRET OUTSIDE THE ARCHIVE")
    bag = Path(rec.location)
    (bag / "data" / "site").chmod(0o755)
    (bag / "data" / "site" / "evil.txt").symlink_to(secret)
    dest = tmp_path / "restored"
    with pytest.raises(archive.ArchiveError, match="symbolic link") as info:
        archive.restore(store, settings, BID, dest)
    assert "data/site/evil.txt" in str(info.value)
    found = [p for p in dest.rglob("*")] if dest.exists() else []
    assert not any(p.is_file() and b"SECRET" in p.read_bytes() for p in found)
    assert not any(p.is_symlink() for p in found)
    res = archive.verify(store, settings, BID)
    assert not res.ok and any("data/site/evil.txt" in e and "symbolic link" in e for e in res.errors)
    assert archive.records(store, BID)[-1].verify_ok is False
    # the CLI: one line, non-zero, nothing outside copied
    out = run("archive", "restore", BID, str(tmp_path / "cli-dest"))
    assert out.code != 0 and len(out.err.strip().splitlines()) == 1 and "symbolic link" in out.err, out.err
    assert not any(p.is_file() and b"SECRET" in p.read_bytes() for p in (tmp_path / "cli-dest").rglob("*"))
    out = run("archive", "verify", BID)
    assert out.code == 1 and "data/site/evil.txt" in out.out


def test_a_linked_directory_in_a_bag_fails_verification(one, tmp_path: Path) -> None:
    settings, store = one
    rec = archive.create(store, settings, BID)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.txt").write_text("x")
    bag = Path(rec.location)
    (bag / "data").chmod(0o755)
    (bag / "data" / "more").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    res = archive.verify(store, settings, str(bag))
    assert not res.ok and any("data/more" in e for e in res.errors)
    with pytest.raises(archive.ArchiveError, match="symbolic link"):
        archive.restore(store, settings, BID, tmp_path / "r")


def test_s3_restore_never_writes_outside_dest(one, s3, tmp_path: Path) -> None:
    client, bucket = s3
    settings, store = load_settings(), one[1]
    rec = archive.create(store, settings, BID)
    escape = f"briefings/{BID}/v1/data/../../../../escape.txt"
    put = client.put_object(Bucket=bucket, Key=escape, Body=b"ESCAPED")
    objects = dict(rec.objects)
    objects[escape] = put.get("VersionId", "")
    with store.tx() as db:
        db.execute("UPDATE archives SET objects = ? WHERE id = ?", (json.dumps(objects), rec.id))
    dest = tmp_path / "a" / "b" / "c" / "dest"
    with pytest.raises(archive.ArchiveError, match="outside"):
        archive.restore(store, settings, BID, dest)
    assert not any(p.name == "escape.txt" for p in tmp_path.rglob("*"))
    assert not list(dest.rglob("*"))  # every name is checked before anything is written
    from publish.archive import ArchiveError, S3Archive

    with pytest.raises(ArchiveError, match="outside"):  # and when listing the bucket, too
        S3Archive(bucket, prefix="briefings", endpoint_url=settings["archive.s3_endpoint_url"]).download_bag(
            f"{BID}/v1", tmp_path / "listed"
        )
    assert not any(p.name == "escape.txt" for p in tmp_path.rglob("*"))


# -- item 13: a home can be moved ------------------------------------------------------------------------
def test_a_copied_home_acts_only_on_itself(briefing_env: Path, run, copied_home) -> None:
    bid = "2026-11-25-daily-briefing"
    store, settings = published_with_source(briefing_env, bid)
    store.close()
    (briefing_env / "briefing.toml").write_text("[retention.standard]\nworking_days = 0\n")
    copy, original = copied_home(store=False)

    res = run("status", "--json")
    assert res.code == 0, res.err
    res = run("publish", bid)
    assert res.code == 0, res.err
    res = run("archive", "verify", bid)
    assert res.code == 0, res.out + res.err
    assert str(copy / "archive") in res.out
    res = run("prune", bid, "--json")
    assert res.code == 0, res.err
    freed = json.loads(res.out)["freed"]
    assert {f["role"] for f in freed} == {"source", "audio", "video"}
    assert all(Path(f["path"]).is_relative_to(copy) for f in freed)
    assert all(not Path(f["path"]).exists() for f in freed)
    assert home_snapshot(briefing_env, store=False) == original  # the original home: not one byte changed
    assert (settings.workspace / bid / "source" / "original.mp4").is_file()
    rows = Store(copy / "briefing.db").query("SELECT path FROM artifacts")
    assert rows and not any(os.path.isabs(r["path"]) for r in rows)  # stored relative to the home


def test_migration_makes_old_absolute_paths_relative_even_in_a_copied_home(one, tmp_path: Path) -> None:
    settings, store = one
    archive.create(store, settings, BID)
    home = settings.home
    # the rows as the earlier version wrote them: absolute paths of this home
    with store.tx() as db:
        for r in list(db.execute("SELECT briefing_id, role, path FROM artifacts")):
            db.execute(
                "UPDATE artifacts SET path = ? WHERE briefing_id = ? AND role = ?", (str(home / r[2]), r[0], r[1])
            )
        db.execute("UPDATE archives SET location = ?", (str(home / "archive" / BID / "v1"),))
    copy = tmp_path / "moved"
    moved = moved_before_migration(store, home, copy, 32)
    raw = moved.query("SELECT role, path FROM artifacts")
    assert raw and all(not os.path.isabs(r["path"]) for r in raw), [dict(r) for r in raw]
    for role, a in moved.artifacts(BID).items():
        assert Path(a.path).is_relative_to(copy) and Path(a.path).is_file(), (role, a.path)
    assert Path(archive.records(moved, BID)[-1].location) == copy / "archive" / BID / "v1"
    res = archive.prune(moved, load_settings(copy), BID, now=LATER)
    assert res.freed and all(Path(f.path).is_relative_to(copy) for f in res.freed)
    # the original, opened later, is migrated against itself
    orig = Store(home / "briefing.db")
    assert all(Path(a.path).is_relative_to(home) and Path(a.path).is_file() for a in orig.artifacts(BID).values())


def test_archiving_does_not_follow_a_link_in_the_site_or_workspace(one, tmp_path: Path) -> None:
    settings, store = one
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    link = settings.site_dir / "briefings" / BID / "extra.txt"
    link.symlink_to(secret)
    with pytest.raises(archive.ArchiveError, match="symbolic link"):
        archive.create(store, settings, BID)
    assert archive.records(store) == []
