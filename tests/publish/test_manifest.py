"""Signed manifests: a journalist can prove a file authentic, or show a circulating copy is not."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from publish import manifest as pm
from tests.net import serve_directory


@pytest.fixture
def signed_site(tmp_path: Path):
    site = tmp_path / "site"
    b = site / "briefings" / "2026-11-25-briefing"
    (b / "v1").mkdir(parents=True)
    (b / "index.html").write_text("<html>page v2</html>")
    (b / "transcript.txt").write_text("[00:00:00] The ministry recorded 1,240 new cases.\n")
    (b / "video.mp4").write_bytes(os.urandom(300_000))
    (b / "v1" / "transcript.txt").write_text("[00:00:00] The ministry recorded 1,420 new cases.\n")
    key = pm.generate_private_key()
    pm.write_public_key(site, key)
    meta = {"id": "2026-11-25-briefing", "title": "Briefing", "version": 2, "published_at": "2026-11-26T10:00:00+07:00"}
    pm.write_signed_manifest(b, metadata=meta, private_pem=key)
    return site, b, key, meta


def test_manifest_lists_every_file_and_is_deterministic(signed_site) -> None:
    site, b, key, meta = signed_site
    m = json.loads((b / "manifest.json").read_text())
    assert m["version"] == 2 and m["id"] == "2026-11-25-briefing"
    assert [f["path"] for f in m["files"]] == ["index.html", "transcript.txt", "v1/transcript.txt", "video.mp4"]
    assert m["key"]["fingerprint"] == pm.fingerprint((site / "signing-key.pub").read_bytes())
    before = (b / "manifest.json").read_bytes(), (b / "manifest.json.sig").read_bytes()
    pm.write_signed_manifest(b, metadata=meta, private_pem=key)
    assert ((b / "manifest.json").read_bytes(), (b / "manifest.json.sig").read_bytes()) == before


def test_private_key_is_owner_only(tmp_path: Path) -> None:
    p = pm.write_private_key(tmp_path / "k" / "signing-key.pem", pm.generate_private_key())
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    with pytest.raises(pm.ManifestError, match="not a readable PEM") as info:
        pm.public_key_pem(b"not a key")
    assert "keys generate" in info.value.hint


def test_verify_passes_on_genuine_files(signed_site) -> None:
    site, b, key, _ = signed_site
    r = pm.verify(str(b))
    assert r.ok and r.signature_ok and len(r.files) == 4, r.to_dict()
    assert pm.verify(str(b / "transcript.txt")).ok
    assert pm.verify(str(site)).ok  # a whole site
    # an earlier version's file is still authentic, and says which version it is
    r = pm.verify(str(b / "v1" / "transcript.txt"))
    assert r.ok and "v1/transcript.txt" in r.files[0].detail


def test_a_downloaded_copy_verifies_with_the_manifest_named(signed_site, tmp_path: Path) -> None:
    site, b, _, _ = signed_site
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    copy = downloads / "2026-11-25-briefing-transcript.txt"
    shutil.copy(b / "transcript.txt", copy)
    r = pm.verify(str(copy), manifest=str(b / "manifest.json"))
    assert r.ok, r.to_dict()
    # and without a manifest it says what to pass
    r = pm.verify(str(copy))
    assert not r.ok and "--manifest" in r.problems[0]


def test_verify_fails_on_a_one_byte_change(signed_site, tmp_path: Path) -> None:
    site, b, _, _ = signed_site
    data = bytearray((b / "video.mp4").read_bytes())
    data[1000] ^= 0x01
    (b / "video.mp4").write_bytes(bytes(data))
    r = pm.verify(str(b))
    assert not r.ok and r.signature_ok
    assert [f.name for f in r.files if not f.ok] == ["video.mp4"]
    fake = tmp_path / "transcript.txt"
    fake.write_text("[00:00:00] The ministry recorded 1,241 new cases.\n")
    r = pm.verify(str(fake), manifest=str(b / "manifest.json"))
    assert not r.ok and "differs" in r.files[0].detail


def test_verify_fails_on_a_forged_manifest(signed_site) -> None:
    site, b, _, _ = signed_site
    # the forger changes the transcript and puts its hash in the manifest, but cannot sign it
    (b / "transcript.txt").write_text("[00:00:00] The ministry recorded 9 new cases.\n")
    m = json.loads((b / "manifest.json").read_text())
    for f in m["files"]:
        if f["path"] == "transcript.txt":
            f["sha256"], f["size"] = pm.hash_file(b / "transcript.txt")
    (b / "manifest.json").write_bytes(pm.manifest_bytes(m))
    r = pm.verify(str(b / "transcript.txt"))
    assert not r.ok and not r.signature_ok and "signature" in r.problems[0]


def test_verify_fails_when_signed_with_another_key(signed_site, tmp_path: Path) -> None:
    site, b, key, meta = signed_site
    genuine_fp = pm.fingerprint(pm.public_key_pem(key))
    genuine_pub = tmp_path / "ministry.pub"
    genuine_pub.write_bytes(pm.public_key_pem(key))
    forger = pm.generate_private_key()
    pm.write_signed_manifest(b, metadata=meta, private_pem=forger)  # a re-signed (forged) release
    r = pm.verify(str(b), key=str(genuine_pub))
    assert not r.ok and not r.signature_ok
    pm.write_public_key(site, forger)  # even with the site's key swapped, a pinned fingerprint catches it
    r = pm.verify(str(b), key=genuine_fp)
    assert not r.ok and "not the expected key" in r.problems[0]


def test_verify_a_page_url_and_a_file_url(signed_site) -> None:
    site, b, _, _ = signed_site
    with serve_directory(site) as root:
        base = f"{root}briefings/2026-11-25-briefing/"
        r = pm.verify(base)
        assert r.ok and len(r.files) == 4, r.to_dict()
        assert pm.verify(base + "v1/transcript.txt").ok
        (b / "index.html").write_text("<html>page v2, altered</html>")
        r = pm.verify(base)
        assert not r.ok and [f.name for f in r.files if not f.ok] == ["index.html"]
