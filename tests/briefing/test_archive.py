"""Archive packages (real bagit), S3 Object Lock (moto's server mode over HTTP), verify, restore, prune, export."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from briefing.core.errors import BriefingError, InputError, NotFoundError
from briefing.core.store import Briefing
from briefing.press import export
from briefing.records import archive
from cli import cli
from tests.briefing.helpers_archive import BID, env, s3, s3_endpoint  # noqa: F401  (fixtures)
from tests.factory import processed_vi

FIGS = [
    {"value": 1240, "said": "1.240", "label": "ca mắc mới", "start": 61.4, "end": 63.0, "segment_id": 1},
    {"value": 3.5, "said": "3,5 phần trăm", "label": "tăng trưởng", "start": 125.0, "end": 127.0, "segment_id": 2},
]


@pytest.fixture
def one():
    settings, store = env()
    processed_vi(settings, store, BID, date="2026-03-02", figures=FIGS, speakers=("Người phát ngôn", "Bộ trưởng"))
    yield settings, store
    store.close()


def _writable(path: Path) -> None:
    for p in path.rglob("*"):
        if p.is_file():
            p.chmod(0o644)


def test_bag_is_created_validated_and_complete(one) -> None:
    settings, store = one
    (settings.site_dir / "briefings" / BID / "manifest.json").write_text('{"files": {}}')
    (settings.site_dir / "briefings" / BID / "manifest.json.sig").write_bytes(b"\x01sig")
    rec = archive.create(store, settings, BID)
    assert rec.created and rec.version == 1 and rec.target == "local" and rec.verify_ok
    bag = Path(rec.location)
    assert bag == settings.home / "archive" / BID / "v1"
    import bagit

    b = bagit.Bag(str(bag))
    assert b.is_valid()
    info = b.info
    assert info["External-Identifier"] == BID
    assert info["Source-Organization"] == settings["organization.name"]
    assert info["Meeting-Date"] == "2026-03-02" and info["Meeting-Title"] == "Họp báo Chính phủ"
    assert info["Speaker"] == ["Người phát ngôn", "Bộ trưởng"]
    assert info["Retention-Class"] == "standard" and "Bagging-Date" in info and "Payload-Oxum" in info
    payload = set(b.payload_files())
    for rel in [
        "data/recording/original.mp4",
        "data/media/speech.wav",
        "data/media/video.mp4",
        "data/media/audio.m4a",
        "data/media/poster.jpg",
        "data/transcript/transcript.json",
        "data/transcript/transcript.srt",
        "data/transcript/transcript.vtt",
        "data/transcript/transcript.txt",
        "data/summary/summary.md",
        "data/summary/summary.json",
        "data/summary/key-figures.json",
        "data/site/index.html",
        "data/site/release.json",
        "data/site/manifest.json",
        "data/site/manifest.json.sig",
        "data/records/briefing.json",
    ]:
        assert rel in payload, rel
    # the manifest's checksums are the store's
    arts = store.artifacts(BID)
    assert b.entries["data/recording/original.mp4"]["sha256"] == arts["source"].sha256
    assert json.loads((bag / "data/summary/key-figures.json").read_text())["key_figures"][0]["value"] == 1240
    # archiving again with nothing changed makes no new package
    again = archive.create(store, settings, BID)
    assert not again.created and again.version == 1
    assert [r.version for r in archive.list_archives(store)] == [1]


def test_schedule_and_invitation_records_are_included_without_secrets(one) -> None:
    settings, store = one
    with store.tx() as db:
        db.execute(
            "INSERT INTO schedule_series (id, title, timezone, dtstart, duration_s, uid, secret, created_at,"
            " updated_at) VALUES ('daily', 'Daily', 'Asia/Ho_Chi_Minh', '2026-03-02T10:00', 3600, 'u1',"
            " 'TOPSECRET', 'x', 'x')"
        )
        db.execute(
            "INSERT INTO schedule_occurrences (id, series_id, original_start, start_utc, end_utc, room,"
            " created_at, updated_at) VALUES (?, 'daily', '2026-03-02T10:00', '2026-03-02T03:00Z',"
            " '2026-03-02T04:00Z', 'room-1', 'x', 'x')",
            (BID,),
        )
        db.execute(
            "INSERT INTO outbox (kind, key, briefing_id, target, payload, status, created_at) VALUES"
            " ('invitation', 'k1', ?, 'press@example.org', '{\"token\": \"JWT\", \"subject\": \"Mời\"}',"
            " 'sent', 'x')",
            (BID,),
        )
    rec = archive.create(store, settings, BID)
    rec_dir = Path(rec.location) / "data" / "records"
    assert json.loads((rec_dir / "schedule_occurrences.json").read_text())[0]["room"] == "room-1"
    series = json.loads((rec_dir / "schedule_series.json").read_text())
    assert series[0]["secret"] == "<removed>"
    inv = json.loads((rec_dir / "outbox.json").read_text())
    assert inv[0]["payload"] == {"token": "<removed>", "subject": "Mời"}
    assert "TOPSECRET" not in "".join(p.read_text() for p in rec_dir.iterdir())


def test_tampered_file_is_detected(one) -> None:
    settings, store = one
    rec = archive.create(store, settings, BID)
    bag = Path(rec.location)
    assert archive.verify(store, settings, BID).ok
    assert archive.verify(store, settings, str(bag)).ok
    _writable(bag)
    target = bag / "data" / "transcript" / "transcript.txt"
    data = bytearray(target.read_bytes())
    data[5] ^= 0x01  # one bit
    target.write_bytes(bytes(data))
    res = archive.verify(store, settings, BID)
    assert not res.ok and any("transcript.txt" in e for e in res.errors)
    assert not archive.records(store, BID)[-1].verify_ok  # recorded: prune now refuses
    with pytest.raises(archive.ArchiveError, match="not verified"):
        archive.prune(store, settings, BID, now=datetime.now(UTC) + timedelta(days=400))
    # manifests rewritten to match the tampered file: the bag is valid by itself, but not the store's record
    import bagit

    bagit.Bag(str(bag)).save(manifests=True)
    assert bagit.Bag(str(bag)).is_valid()
    res = archive.verify(store, settings, str(bag))
    assert not res.ok and any("transcript.txt" in e and "store recorded" in e for e in res.errors)


def test_verify_bad_inputs(one, tmp_path: Path) -> None:
    settings, store = one
    with pytest.raises(BriefingError, match="not archived"):
        archive.verify(store, settings, BID)
    (tmp_path / "notabag").mkdir()
    (tmp_path / "notabag" / "x.txt").write_text("x")
    with pytest.raises(archive.ArchiveError, match="not a BagIt bag"):
        archive.verify(store, settings, str(tmp_path / "notabag"))
    with pytest.raises(NotFoundError):
        archive.verify(store, settings, "2099-01-01-nothing")
    with pytest.raises(NotFoundError):
        archive.create(store, settings, "2099-01-01-nothing")


def test_archive_of_an_unprocessed_briefing_is_refused() -> None:
    settings, store = env()
    store.save_briefing(Briefing(id="2026-01-05-x", title="x", date="2026-01-05"))
    with pytest.raises(archive.ArchiveError, match="not processed"):
        archive.create(store, settings, "2026-01-05-x")
    assert archive.records(store) == []


def test_changed_working_file_is_refused(one) -> None:
    settings, store = one
    Path(store.artifacts(BID)["speech"].path).write_bytes(b"RIFF changed")
    with pytest.raises(archive.ArchiveError, match="differ from the checksums in the store"):
        archive.create(store, settings, BID)
    assert not list((settings.home / "archive").glob(f"{BID}/v*"))


def test_restore_round_trips_byte_identical(one, tmp_path: Path) -> None:
    settings, store = one
    rec = archive.create(store, settings, BID)
    dest = tmp_path / "restored"
    res = archive.restore(store, settings, BID, dest)
    assert res.ok
    for role, a in store.artifacts(BID).items():
        if role == "page":
            continue
        rel = next(k for k, v in rec.files.items() if v["role"] == role)
        assert (dest / rel).read_bytes() == Path(a.path).read_bytes(), role
    src_files = sorted(p.relative_to(rec.location) for p in Path(rec.location).rglob("*") if p.is_file())
    assert sorted(p.relative_to(dest) for p in dest.rglob("*") if p.is_file()) == src_files
    for rel in src_files:
        assert (dest / rel).read_bytes() == (Path(rec.location) / rel).read_bytes()
    # into a non-empty destination: refused, nothing written
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        archive.restore(store, settings, BID, busy)
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]
    with pytest.raises(archive.ArchiveError, match="no archive"):
        archive.restore(store, settings, BID, tmp_path / "v9", version=9)


def test_prune_refuses_unarchived_and_frees_only_archived(one) -> None:
    settings, store = one
    processed_vi(settings, store, "2026-03-03-other", date="2026-03-03")
    later = datetime.now(UTC) + timedelta(days=31)
    with pytest.raises(archive.ArchiveError, match="not archived"):
        archive.prune(store, settings, BID, now=later)
    res = archive.prune(store, settings, now=later)
    assert res.freed == [] and {k.briefing_id for k in res.kept} == {BID, "2026-03-03-other"}
    assert all(Path(a.path).exists() for a in store.artifacts(BID).values())

    archive.create(store, settings, BID)
    # within the working days: kept
    res = archive.prune(store, settings, BID)
    assert res.freed == [] and "kept until" in res.kept[0].reason
    dry = archive.prune(store, settings, now=later, dry_run=True)
    assert {f.role for f in dry.freed} == {"source", "speech", "video", "audio", "poster"}
    assert all(Path(f.path).exists() for f in dry.freed)
    res = archive.prune(store, settings, now=later)
    assert {f.role for f in res.freed} == set(archive.WORKING_ROLES)
    assert all(f.briefing_id == BID for f in res.freed)
    arts = store.artifacts(BID)
    assert not Path(arts["source"].path).exists() and not Path(arts["video"].path).exists()
    for role in ("json", "srt", "vtt", "txt", "summary", "summary_json", "page"):
        assert Path(arts[role].path).exists(), role  # transcripts, summary, page stay
    other = store.artifacts("2026-03-03-other")
    assert all(Path(a.path).exists() for a in other.values())  # unarchived: untouched
    assert res.bytes_freed > 0
    # the archive still verifies and restores the freed files
    assert archive.verify(store, settings, BID).ok


def test_retention_classes_from_config(one) -> None:
    settings, store = one
    (settings.home / "briefing.toml").write_text(
        '[retention.short]\nworking_days = 2\narchive_years = 3\nprune_roles = ["source"]\n'
        "[retention.permanent]\nworking_days = 0\n"
    )
    from briefing.core.config import load_settings

    s2 = load_settings()
    classes = archive.retention_classes(s2)
    assert classes["short"].working_days == 2 and classes["short"].archive_years == 3
    assert classes["permanent"].archive_years is None and classes["permanent"].working_days == 0
    rec = archive.create(store, s2, BID, retention_class="short")
    assert rec.retention_class == "short"
    assert rec.retain_until == (datetime.now(UTC).date().replace(year=datetime.now().year + 3)).isoformat()
    res = archive.prune(store, s2, now=datetime.now(UTC) + timedelta(days=3))
    assert [f.role for f in res.freed] == ["source"]
    with pytest.raises(BriefingError, match="unknown retention class"):
        archive.create(store, s2, BID, retention_class="nope")
    (settings.home / "briefing.toml").write_text('[retention.bad]\nworking_days = "many"\n')
    with pytest.raises(BriefingError, match="retention.bad"):
        archive.retention_classes(load_settings())


# -- S3 with Object Lock: moto's server mode, reached through boto3 over HTTP -----------------------
def test_s3_object_lock_compliance_retention(one, s3, tmp_path: Path) -> None:
    client, bucket = s3
    from briefing.core.config import load_settings

    settings, store = load_settings(), one[1]
    rec = archive.create(store, settings, BID)
    assert rec.target == "s3" and rec.location == f"s3://{bucket}/briefings/{BID}/v1/" and rec.verify_ok
    assert client.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert f"briefings/{BID}/v1/bagit.txt" in keys
    assert f"briefings/{BID}/v1/data/recording/original.mp4" in keys
    assert set(keys) == set(rec.objects)
    expect = datetime.now(UTC) + timedelta(days=7 * 365.25)
    for key in keys:
        h = client.head_object(Bucket=bucket, Key=key)
        assert h["ObjectLockMode"] == "COMPLIANCE", key
        assert abs((h["ObjectLockRetainUntilDate"] - expect).total_seconds()) < 3 * 86400, key
        assert h["VersionId"] == rec.objects[key]
    # compliance mode: the object version cannot be deleted
    key = f"briefings/{BID}/v1/data/recording/original.mp4"
    with pytest.raises(ClientError):
        client.delete_object(Bucket=bucket, Key=key, VersionId=rec.objects[key])
    # verify downloads and validates it; restore round-trips byte-identical
    res = archive.verify(store, settings, BID)
    assert res.ok and res.retention["mode"] == "COMPLIANCE"
    out = archive.restore(store, settings, BID, tmp_path / "r")
    assert out.ok
    assert (tmp_path / "r/data/recording/original.mp4").read_bytes() == Path(
        store.artifacts(BID)["source"].path
    ).read_bytes()
    # an overwrite of an object (a new version on top) is detected: verify reads the archived versions,
    # and a package fetched without them fails
    client.put_object(
        Bucket=bucket,
        Key=f"briefings/{BID}/v1/data/transcript/transcript.txt",
        Body=b"forged",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=datetime.now(UTC) + timedelta(days=1),
    )
    assert archive.verify(store, settings, BID).ok
    from publish.archive import S3Archive, validate_bag

    S3Archive(bucket, prefix="briefings", endpoint_url=settings["archive.s3_endpoint_url"]).download_bag(
        f"{BID}/v1", tmp_path / "latest"
    )
    assert not validate_bag(tmp_path / "latest").ok


def test_s3_bucket_without_object_lock_is_refused(one, s3) -> None:
    client, _ = s3
    from briefing.core.config import load_settings

    plain = f"plain-{os.urandom(4).hex()}"
    client.create_bucket(Bucket=plain)
    os.environ["BRIEFING_ARCHIVE_S3_BUCKET"] = plain  # restored by monkeypatch at teardown
    settings, store = load_settings(), one[1]
    with pytest.raises(archive.ArchiveError, match="versions|Object Lock"):
        archive.create(store, settings, BID)
    assert archive.records(store) == []


# -- CLI and open data ------------------------------------------------------------------------------
def test_cli_archive_commands(one, tmp_path: Path) -> None:
    settings, store = one
    runner = CliRunner()
    res = runner.invoke(cli, ["archive", BID, "--json"])  # the default command is create
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["version"] == 1
    res = runner.invoke(cli, ["archive", "list"])
    assert res.exit_code == 0 and f"{BID}  v1  local" in res.output and "verified: ok" in res.output
    res = runner.invoke(cli, ["archive", "verify", BID])
    assert res.exit_code == 0 and res.output.startswith("ok:")
    res = runner.invoke(cli, ["archive", "restore", BID, str(tmp_path / "out"), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["ok"]
    res = runner.invoke(cli, ["prune", "--dry-run"])
    assert res.exit_code == 0 and "kept until" in res.output
    res = runner.invoke(cli, ["archive", "create", "2099-01-01-none"])
    assert res.exit_code != 0 and isinstance(res.exception, NotFoundError)


def test_export_figures_csv_and_json(one) -> None:
    settings, store = one
    processed_vi(
        settings,
        store,
        "2026-03-03-b",
        date="2026-03-03",
        media="none",
        figures=[{"value": 1300, "said": "1.300", "label": "ca mắc mới", "start": 10.0, "end": 11.0, "segment_id": 0}],
    )
    rows = export.figures(store)
    assert [(r.date, r.label, r.value) for r in rows] == [
        ("2026-03-02", "ca mắc mới", 1240),
        ("2026-03-02", "tăng trưởng", 3.5),
        ("2026-03-03", "ca mắc mới", 1300),
    ]
    assert rows[0].url == f"briefings/{BID}/#t=61"
    parsed = list(csv.DictReader(io.StringIO(export.to_csv(rows))))
    assert parsed[0]["value"] == "1240" and parsed[1]["value"] == "3.5" and parsed[0]["said"] == "1.240"
    doc = json.loads(export.to_json(rows))
    series = {s["label"]: s["points"] for s in doc["series"]}
    assert [p["value"] for p in series["ca mắc mới"]] == [1240, 1300]
    assert [p["date"] for p in series["ca mắc mới"]] == ["2026-03-02", "2026-03-03"]
    runner = CliRunner()
    res = runner.invoke(cli, ["export", "figures", "--format", "json", "--label", "tăng"])
    assert res.exit_code == 0 and json.loads(res.output)["count"] == 1
    res = runner.invoke(cli, ["export", "figures", "--from", "2026-03-03"])
    assert res.exit_code == 0 and res.output.count("\n") == 2 and res.output.startswith("date,briefing_id")


def test_a_bag_made_elsewhere_is_stored_only_when_its_manifests_match_the_files_copied(tmp_path: Path) -> None:
    """The cluster's bagger: a worker makes the tag files from the same bytes; the coordinator, which hashed
    each file as it copied it, refuses a bag whose manifest, tag manifest or file list differs."""
    import shutil

    from publish import archive as lib
    from publish.errors import PublishError
    from publish.files import sha256_file

    made = tmp_path / "worker"
    (made / "media").mkdir(parents=True)
    (made / "media" / "source.wav").write_bytes(b"RIFF" + b"\1" * 4000)
    (made / "transcript.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nXin chào\n", encoding="utf-8")
    lib.make_bag(made, {"External-Identifier": "b1"})

    def assembled(name: str) -> tuple[Path, dict[str, str]]:
        here = tmp_path / name
        shutil.copytree(made, here)
        payload = {
            f"data/{p.relative_to(here / 'data').as_posix()}": sha256_file(p)
            for p in (here / "data").rglob("*")
            if p.is_file()
        }
        return here, payload

    here, payload = assembled("ok")
    check = lib.check_assembled(here, payload)
    assert check.ok and check.payload == payload and check.oxum == lib.validate_bag(made).oxum

    here, payload = assembled("other-bytes")  # the file copied here is not the one the worker bagged
    (here / "data" / "media" / "source.wav").write_bytes(b"RIFF" + b"\2" * 4000)
    payload["data/media/source.wav"] = sha256_file(here / "data" / "media" / "source.wav")
    with pytest.raises(PublishError, match="differs from the files copied: data/media/source.wav"):
        lib.check_assembled(here, payload)

    here, payload = assembled("tag-file")  # a tag file that is not the one its tag manifest names
    with open(here / "bag-info.txt", "a", encoding="utf-8") as f:
        f.write("Contact-Name: someone else\n")
    with pytest.raises(PublishError, match="bag-info.txt"):
        lib.check_assembled(here, payload)

    here, payload = assembled("extra")  # a file the manifest does not list
    (here / "data" / "extra.txt").write_text("x", encoding="utf-8")
    with pytest.raises(PublishError, match="not complete"):
        lib.check_assembled(here, payload)
