"""`verify` is exact: an unlisted file fails the directory, and a kept version v<N>/ verifies against the
signed manifest above it (a directory or its URL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from publish import manifest as pm
from tests.net import serve_directory

BID = "2026-11-25-briefing"


@pytest.fixture
def signed_site(tmp_path: Path):
    site = tmp_path / "site"
    b = site / "briefings" / BID
    (b / "v1").mkdir(parents=True)
    (b / "v2").mkdir(parents=True)
    (b / "index.html").write_text("<html>page v2</html>")
    (b / "transcript.txt").write_text("[00:00:00] The ministry recorded 1,240 new cases.\n")
    (b / "video.mp4").write_bytes(os.urandom(50_000))
    (b / "v1" / "index.html").write_text("<html>page v1</html>")
    (b / "v1" / "transcript.txt").write_text("[00:00:00] The ministry recorded 1,420 new cases.\n")
    (b / "v2" / "index.html").write_text("<html>page v2</html>")
    (b / "v2" / "transcript.txt").write_text("[00:00:00] The ministry recorded 1,240 new cases.\n")
    key = pm.generate_private_key()
    pm.write_public_key(site, key)
    meta = {"id": BID, "title": "Briefing", "version": 2, "published_at": "2026-11-26T10:00:00+07:00"}
    pm.write_signed_manifest(b, metadata=meta, private_pem=key)
    return site, b


def test_an_unlisted_file_makes_the_directory_not_authentic(signed_site) -> None:
    site, b = signed_site
    assert pm.verify(str(b)).ok
    (b / "v1" / "statement.html").write_text("<html>a statement the ministry never made</html>")
    r = pm.verify(str(b))
    assert not r.ok and r.signature_ok
    assert [f.name for f in r.files if not f.ok] == ["v1/statement.html"]
    assert "not listed in the signed manifest" in r.files[-1].detail
    assert not pm.verify(str(site)).ok  # the whole site, too
    from cli import cli

    res = CliRunner().invoke(cli, ["verify", str(b)])
    assert res.exit_code == 1
    assert "v1/statement.html" in res.output and "NOT AUTHENTIC" in res.output, res.output


def test_an_unlisted_hidden_file_or_link_is_named_too(signed_site, tmp_path: Path) -> None:
    _, b = signed_site
    (b / ".extra.html").write_text("hidden")
    r = pm.verify(str(b))
    assert not r.ok and [f.name for f in r.files if not f.ok] == [".extra.html"]
    (b / ".extra.html").unlink()
    (tmp_path / "elsewhere").mkdir()
    (b / "more").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    r = pm.verify(str(b))
    assert not r.ok and [f.name for f in r.files if not f.ok] == ["more"]


def test_a_kept_version_directory_verifies(signed_site) -> None:
    _, b = signed_site
    r = pm.verify(str(b / "v1"))
    assert r.ok, r.to_dict()
    assert sorted(f.name for f in r.files) == ["v1/index.html", "v1/transcript.txt"]
    assert r.version == 1 and r.briefing_id == BID
    assert pm.verify(str(b / "v1") + "/").ok
    # exact there too: a changed or an added file fails it
    (b / "v1" / "extra.txt").write_text("x")
    r = pm.verify(str(b / "v1"))
    assert not r.ok and [f.name for f in r.files if not f.ok] == ["v1/extra.txt"]
    (b / "v1" / "extra.txt").unlink()
    (b / "v1" / "transcript.txt").write_text("[00:00:00] The ministry recorded 9 new cases.\n")
    r = pm.verify(str(b / "v1"))
    assert not r.ok and [f.name for f in r.files if not f.ok] == ["v1/transcript.txt"]


def test_a_kept_version_url_verifies(signed_site) -> None:
    site, b = signed_site
    with serve_directory(site) as root:
        base = f"{root}briefings/{BID}/"
        r = pm.verify(base + "v1/")
        assert r.ok and sorted(f.name for f in r.files) == ["v1/index.html", "v1/transcript.txt"], r.to_dict()
        assert r.version == 1
        (b / "v1" / "transcript.txt").write_text("[00:00:00] altered\n")
        r = pm.verify(base + "v1/")
        assert not r.ok and [f.name for f in r.files if not f.ok] == ["v1/transcript.txt"]
        r = pm.verify(base + "v7/")
        assert not r.ok and "lists no file under v7/" in r.problems[0]


def test_a_kept_version_is_checked_with_the_media_its_page_plays(tmp_path: Path) -> None:
    """v1/ plays ../media/<sha256>.mp4 (a later version replaced the recording): verifying v1/, as a
    directory or a URL, checks that file too; a copy of the first video verifies as version 1's."""
    import hashlib
    import json

    site = tmp_path / "site"
    b = site / "briefings" / BID
    (b / "v1").mkdir(parents=True)
    (b / "v2").mkdir()
    (b / "media").mkdir()
    first, second = os.urandom(40_000), os.urandom(30_000)
    digest = {n: hashlib.sha256(d).hexdigest() for n, d in (("first", first), ("second", second))}
    (b / "media" / f"{digest['first']}.mp4").write_bytes(first)
    (b / "media" / f"{digest['second']}.mp4").write_bytes(second)
    (b / "video.mp4").write_bytes(second)
    for n, data in (("1", first), ("2", second)):
        d = b / f"v{n}"
        (d / "index.html").write_text(f'<video><source src="../media/{hashlib.sha256(data).hexdigest()}.mp4"></video>')
        files = {"video": {"name": "video.mp4", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}}
        (d / "release.json").write_text(json.dumps({"id": BID, "version": int(n), "files": files}))
    key = pm.generate_private_key()
    pm.write_public_key(site, key)
    pm.write_signed_manifest(b, metadata={"id": BID, "version": 2}, private_pem=key)
    played = f"media/{digest['first']}.mp4"

    r = pm.verify(str(b / "v1"))
    assert r.ok and sorted(f.name for f in r.files) == [played, "v1/index.html", "v1/release.json"], r.to_dict()
    copy = tmp_path / f"{BID}-video.mp4"
    copy.write_bytes(first)
    r = pm.verify(str(copy), manifest=str(b / "manifest.json"))
    assert r.ok and f"matches {played} (version 1)" in r.files[0].detail, r.to_dict()
    r = pm.verify(str(b / "video.mp4"))
    assert r.ok and "matches video.mp4 (version 2)" in r.files[0].detail, r.to_dict()

    with serve_directory(site) as root:
        base = f"{root}briefings/{BID}/"
        r = pm.verify(base + "v1/")
        assert r.ok and played in {f.name for f in r.files}, r.to_dict()
        r = pm.verify(base + played)
        assert r.ok and "(version 1)" in r.files[0].detail, r.to_dict()
        (b / played).write_bytes(second[:40_000] + b"x" * (40_000 - len(second)))  # the first video altered
        r = pm.verify(base + "v1/")
        assert not r.ok and [f.name for f in r.files if not f.ok] == [played]
    r = pm.verify(str(b / "v1"))
    assert not r.ok and [f.name for f in r.files if not f.ok] == [played]
    (b / played).unlink()
    r = pm.verify(str(b / "v1"))
    assert not r.ok and [f.name for f in r.files if not f.ok] == [played]
