"""Key rotation keeps old releases verifiable: the site's keyring, manifests that name their key, `briefing
keys rotate|revoke|list`, and a journalist's check with openssl alone (real publishing, no Whisper)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from briefing.processing import pipeline
from publish import manifest as pm
from tests.factory import make_briefing

A = "2026-11-25-daily-briefing"
B = "2026-11-26-daily-briefing"


def _fp(pem_path: Path) -> str:
    return pm.fingerprint(pm.public_key_pem(pem_path.read_bytes()))


def _publish_two(home: Path, between) -> tuple[object, object, str]:
    """Publish A, do ``between`` (what changes the key), publish B; return store, settings, A's key."""
    store, settings = make_briefing(home, A)
    pipeline.publish_one(store, settings, A)
    first = _fp(home / "keys" / "signing-key.pem")
    between()
    store, settings = make_briefing(home, B)  # settings read again, as a new command does
    pipeline.publish_one(store, settings, B)
    return store, settings, first


@pytest.mark.parametrize("lost", ["key", "key-and-keyrings"])
def test_a_lost_key_does_not_break_earlier_releases(briefing_env: Path, run, lost: str) -> None:
    def lose_key() -> None:
        shutil.rmtree(briefing_env / "keys")  # the private key is gone
        if lost == "key-and-keyrings":  # and so is every keyring: as a site published before keyrings
            (briefing_env / "keyring.json").unlink()
            (briefing_env / "site" / "keyring.json").unlink()
            shutil.rmtree(briefing_env / "site" / "keys")

    store, settings, first = _publish_two(briefing_env, lose_key)
    second = _fp(briefing_env / "keys" / "signing-key.pem")
    assert first != second
    site = settings.site_dir
    res = run("verify", str(site / "briefings" / A))
    assert res.code == 0 and "AUTHENTIC" in res.out and first in res.out, res.out
    res = run("verify", str(site / "briefings" / B))
    assert res.code == 0 and second in res.out, res.out
    assert run("verify", str(site)).code == 0  # the whole site, each release against its own key
    ring = json.loads((site / "keyring.json").read_text())
    fps = [k["fingerprint"] for k in ring["keys"]]
    assert fps == [first, second] and ring["current"] == second
    for k in ring["keys"]:
        assert (site / k["file"]).read_bytes() == k["public_key"].encode()
        assert pm.fingerprint((site / k["file"]).read_bytes()) == k["fingerprint"]
        assert k["first_used"] and k["last_used"]
    assert json.loads((site / "briefings" / A / "manifest.json").read_text())["key"]["fingerprint"] == first
    assert not any("PRIVATE" in p.read_text() for p in (site / "keys").iterdir())


def test_another_signing_key_file_keeps_old_releases_verifiable(
    briefing_env: Path, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = briefing_env.parent / "ministry-2027.pem"

    def switch() -> None:
        pm.write_private_key(other, pm.generate_private_key())
        monkeypatch.setenv("BRIEFING_SIGNING_KEY_FILE", str(other))

    _, settings, first = _publish_two(briefing_env, switch)
    res = run("verify", str(settings.site_dir / "briefings" / A))
    assert res.code == 0 and first in res.out, res.out
    res = run("verify", str(settings.site_dir / "briefings" / B))
    assert res.code == 0 and _fp(other) in res.out, res.out
    res = run("keys", "list", "--json")
    assert res.code == 0 and [k["fingerprint"] for k in res.json()["keys"]] == [first, _fp(other)]
    assert res.json()["in_use"] == _fp(other)


def test_keys_rotate_then_verify_names_the_key_it_expected(briefing_env: Path, run, tmp_path: Path) -> None:
    store, settings = make_briefing(briefing_env, A)
    pipeline.publish_one(store, settings, A)
    first = _fp(briefing_env / "keys" / "signing-key.pem")
    res = run("keys", "rotate", "--json")
    assert res.code == 0, res.err
    rotated = res.json()
    assert rotated["previous"] == first and rotated["fingerprint"] != first
    assert _fp(Path(rotated["retired_private_key"])) == first
    second = rotated["fingerprint"]
    assert _fp(briefing_env / "keys" / "signing-key.pem") == second
    make_briefing(briefing_env, B)
    pipeline.publish_one(store, settings, B)
    site = settings.site_dir
    assert pm.fingerprint((site / "signing-key.pub").read_bytes()) == second
    assert run("verify", str(site / "briefings" / A)).code == 0
    assert run("verify", str(site / "briefings" / A), "--key", first).code == 0  # pinned: found in the keyring
    # pinned to the wrong key: says which key the release names
    res = run("verify", str(site / "briefings" / A), "--key", second)
    assert res.code == 1 and "NOT AUTHENTIC" in res.out and first in res.out and "expected key" in res.out
    # a keyring that lost the old key: the failure names the key the release expects, and does not blame
    # tampering; the old public key given with --key still proves it
    old_pub = tmp_path / "old.pub"
    old_pub.write_bytes((site / pm.key_file(first)).read_bytes())
    (site / "keyring.json").unlink()
    res = run("verify", str(site / "briefings" / A))
    assert res.code == 1 and first in res.out and "altered" not in res.out, res.out
    assert "--key" in res.out
    res = run("verify", str(site / "briefings" / A), "--key", str(old_pub))
    assert res.code == 0 and "AUTHENTIC" in res.out, res.out
    # the wrong PEM file: it says which key it expected
    res = run("verify", str(site / "briefings" / B), "--key", str(old_pub))
    assert res.code == 1 and second in res.out, res.out


def test_keys_revoke(briefing_env: Path, run) -> None:
    store, settings = make_briefing(briefing_env, A)
    pipeline.publish_one(store, settings, A)
    first = _fp(briefing_env / "keys" / "signing-key.pem")
    res = run("keys", "revoke", first)
    assert res.code != 0 and "key in use" in res.err and "rotate" in res.err
    assert run("keys", "rotate").code == 0
    res = run("keys", "revoke", first, "--reason", "compromised", "--json")
    assert res.code == 0 and res.json()["releases"] == [A], res.out + res.err
    site = settings.site_dir
    entry = pm.find_key(pm.parse_keyring((site / "keyring.json").read_bytes()), first)
    assert entry["revoked"]["reason"] == "compromised"
    res = run("verify", str(site / "briefings" / A))
    assert res.code == 1 and "revoked" in res.out, res.out
    pipeline.publish_one(store, settings, A)  # published again: signed with the current key
    res = run("verify", str(site / "briefings" / A))
    assert res.code == 0 and "AUTHENTIC" in res.out, res.out
    assert run("keys", "list").out.count("REVOKED") == 1


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_a_journalist_verifies_with_openssl_alone(briefing_env: Path, tmp_path: Path) -> None:
    store, settings = make_briefing(briefing_env, A)
    pipeline.publish_one(store, settings, A)
    site = settings.site_dir
    d = site / "briefings" / A
    fp = json.loads((d / "manifest.json").read_text())["key"]["fingerprint"]
    key = site / pm.key_file(fp)  # the key the manifest names, from the keyring's files
    sig = tmp_path / "manifest.sig"
    sig.write_bytes(base64.b64decode((d / "manifest.json.sig").read_text()))

    def check(manifest: Path, inkey: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                "openssl",
                "pkeyutl",
                "-verify",
                "-rawin",
                "-pubin",
                "-inkey",
                str(inkey),
                "-sigfile",
                str(sig),
                "-in",
                str(manifest),
            ],
            capture_output=True,
            text=True,
        )

    ok = check(d / "manifest.json", key)
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout, ok.stdout + ok.stderr
    assert check(d / "manifest.json", site / "signing-key.pub").returncode == 0
    forged = tmp_path / "manifest.json"
    forged.write_bytes((d / "manifest.json").read_bytes().replace(b'"version": 1', b'"version": 2'))
    assert forged.read_bytes() != (d / "manifest.json").read_bytes()
    assert check(forged, key).returncode != 0
    # the key's fingerprint, computed by openssl: the SHA-256 of the raw 32-byte key (the end of its DER)
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(key), "-outform", "DER"], capture_output=True)
    assert der.returncode == 0 and pm.same_key(fp, __import__("hashlib").sha256(der.stdout[-32:]).hexdigest())
    # and a file's SHA-256 is the one the manifest lists (sha256sum does that part)
    listed = {f["path"]: f["sha256"] for f in json.loads((d / "manifest.json").read_text())["files"]}
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-r", str(d / "transcript.txt")], capture_output=True, text=True
    )
    assert out.stdout.split()[0] == listed["transcript.txt"]
