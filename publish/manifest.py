"""Signed release manifests: every file of a published briefing, its SHA-256 and size, signed with Ed25519.

Layout on the site::

    signing-key.pub                    the publisher's current Ed25519 public key (PEM)
    keyring.json                       every key the site has signed with: fingerprint, public key, the dates
                                       it was used, and a revocation mark where a key was withdrawn
    keys/<hex>.pub                     each of those public keys as a PEM file (hex: the SHA-256 of the raw key)
    briefings/<id>/manifest.json       {"format", "id", "version", "metadata", "key", "files": [...]}
    briefings/<id>/manifest.json.sig   base64 of the Ed25519 signature over manifest.json's exact bytes

``files`` lists every file of the briefing's directory (the latest page, the media, the transcripts, each
version's ``v<N>/`` copy, and ``media/<sha256>.<ext>``: the media every version plays, kept by content),
with paths relative to the briefing's directory. A file that a journalist downloaded is authentic when its
SHA-256 is one the signed manifest lists: the first release's video stays authentic after a later version
replaced the recording.

:func:`verify` checks a local path (a file, a briefing directory, a whole site) or a URL (a page, a file).
It reports what it checked and raises nothing for a failed check: the report says ``ok`` or not and why.
Network and key errors raise :class:`ManifestError`. Each manifest names the key that signed it (``key``);
verify checks the release against that key, found in the site's keyring (or the key given with ``key``),
so releases signed before a key rotation stay verifiable. A directory is checked exactly: a file in it
that the manifest does not list makes it fail. A kept version (``briefings/<id>/v<N>/``) is checked
against the signed manifest above it that lists it: exactly its own files, and the media its page plays
(``../media/<sha256>.<ext>``, the files its release.json names).

A journalist can check a manifest without this program (Ed25519 over the exact bytes of manifest.json)::

    base64 -d manifest.json.sig > manifest.sig
    openssl pkeyutl -verify -rawin -pubin -inkey signing-key.pub -sigfile manifest.sig -in manifest.json
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publish.errors import PublishError
from publish.files import hash_file, write_atomic

FORMAT = "briefing-manifest/1"
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.sig"
PUBLIC_KEY_NAME = "signing-key.pub"
KEYRING_NAME = "keyring.json"
KEYS_DIR = "keys"
KEYRING_FORMAT = "briefing-keyring/1"
_SKIP = {MANIFEST_NAME, SIGNATURE_NAME}


class ManifestError(PublishError):
    """A key cannot be read, or a manifest cannot be fetched or parsed."""

    hint: str = "check the key file, or the path or URL of the published release"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


# ------------------------------------------------------------------------------------------------ keys


def generate_private_key() -> bytes:
    """A new Ed25519 private key, PEM (PKCS#8, unencrypted)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_private_key(path: Path, pem: bytes) -> Path:
    """Write a private key readable by its owner only (0600), atomically."""
    path = Path(path)
    write_atomic(path, pem, mode=0o600)  # mkstemp makes the file 0600 from the start
    return path


def _private(pem: bytes | str) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ManifestError(
            f"the signing key is not a readable PEM private key ({exc})", hint="make one with `briefing keys generate`"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ManifestError("the signing key is not an Ed25519 key", hint="make one with `briefing keys generate`")
    return key


def _public(pem: bytes | str) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ManifestError(f"not a PEM public key ({exc})", hint="pass the site's signing-key.pub") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ManifestError("the public key is not an Ed25519 key", hint="pass the site's signing-key.pub")
    return key


def public_key_pem(private_pem: bytes | str) -> bytes:
    from cryptography.hazmat.primitives import serialization

    pem: bytes = (
        _private(private_pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return pem


def fingerprint(public_pem: bytes | str) -> str:
    """``SHA256:`` and the hex SHA-256 of the raw 32-byte public key, in groups of four."""
    from cryptography.hazmat.primitives import serialization

    raw = _public(public_pem).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return "SHA256:" + " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def _norm_fp(fp: str) -> str:
    return "".join(fp.replace("SHA256:", "").split()).lower()


# ------------------------------------------------------------------------------------------- manifests


def build_manifest(briefing_dir: Path, *, metadata: dict[str, Any], public_pem: bytes | str) -> dict[str, Any]:
    """The manifest of a briefing's directory as it is on disk now (deterministic for the same files)."""
    briefing_dir = Path(briefing_dir)
    files = []
    for p in sorted(briefing_dir.rglob("*")):
        rel = p.relative_to(briefing_dir).as_posix()
        if not p.is_file() or rel in _SKIP or p.name.startswith("."):
            continue
        digest, size = hash_file(p)
        files.append({"path": rel, "sha256": digest, "size": size})
    return {
        "format": FORMAT,
        "id": metadata.get("id", briefing_dir.name),
        "version": int(metadata.get("version", 1)),
        "published_at": metadata.get("published_at", ""),
        "metadata": metadata,
        "key": {"algorithm": "Ed25519", "fingerprint": fingerprint(public_pem)},
        "files": files,
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def sign(data: bytes, private_pem: bytes | str) -> str:
    return base64.b64encode(_private(private_pem).sign(data)).decode("ascii")


def check_signature(data: bytes, signature: str, public_pem: bytes | str) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        sig = base64.b64decode(signature.strip(), validate=True)
    except (ValueError, TypeError):
        return False
    try:
        _public(public_pem).verify(sig, data)
    except InvalidSignature:
        return False
    return True


def write_signed_manifest(briefing_dir: Path, *, metadata: dict[str, Any], private_pem: bytes | str) -> Path:
    """Build, sign and write manifest.json and manifest.json.sig into the briefing's directory.

    Unchanged files give byte-identical output (Ed25519 signatures are deterministic), so a re-run changes
    nothing that an upload target would have to send again."""
    briefing_dir = Path(briefing_dir)
    manifest = build_manifest(briefing_dir, metadata=metadata, public_pem=public_key_pem(private_pem))
    data = manifest_bytes(manifest)
    sig = (sign(data, private_pem) + "\n").encode("ascii")
    target, sig_path = briefing_dir / MANIFEST_NAME, briefing_dir / SIGNATURE_NAME
    if not (target.is_file() and target.read_bytes() == data and sig_path.is_file() and sig_path.read_bytes() == sig):
        write_atomic(target, data)
        write_atomic(sig_path, sig)
    return target


def write_public_key(site_dir: Path, private_pem: bytes | str) -> Path:
    path = Path(site_dir) / PUBLIC_KEY_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    data = public_key_pem(private_pem)
    if not (path.is_file() and path.read_bytes() == data):
        write_atomic(path, data)
    return path


# ------------------------------------------------------------------------------------------------ keyring


def key_file(fp: str) -> str:
    """Where a public key is published on the site, relative to its root: ``keys/<64 hex>.pub``."""
    return f"{KEYS_DIR}/{_norm_fp(fp)}.pub"


def same_key(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and _norm_fp(str(a)) == _norm_fp(str(b))


def empty_keyring() -> dict[str, Any]:
    return {"format": KEYRING_FORMAT, "current": None, "keys": []}


def parse_keyring(data: bytes | str | None) -> dict[str, Any]:
    """A keyring from its JSON; an empty one for None. Entries whose public key does not have the
    fingerprint they claim are dropped (a keyring is only an index of public keys)."""
    if data is None:
        return empty_keyring()
    try:
        ring = json.loads(data)
    except ValueError:
        raise ManifestError("the keyring is not JSON", hint="pass the signer's public key with --key") from None
    if not isinstance(ring, dict) or not isinstance(ring.get("keys"), list):
        raise ManifestError("the keyring has no list of keys", hint="pass the signer's public key with --key")
    keys = []
    for e in ring["keys"]:
        try:
            if isinstance(e, dict) and same_key(fingerprint(e.get("public_key", "")), e.get("fingerprint")):
                keys.append(e)
        except ManifestError:
            continue
    ring["keys"] = keys
    return ring


def find_key(ring: dict[str, Any], fp: str) -> dict[str, Any] | None:
    return next((e for e in ring.get("keys", []) if same_key(e.get("fingerprint"), fp)), None)


def add_key(ring: dict[str, Any], public_pem: bytes | str, **fields: Any) -> dict[str, Any]:
    """The keyring's entry for this public key (added when missing); ``fields`` set only those not set."""
    pem = public_pem.decode("ascii") if isinstance(public_pem, bytes) else public_pem
    fp = fingerprint(pem)
    entry = find_key(ring, fp)
    if entry is None:
        entry = {
            "fingerprint": fp,
            "algorithm": "Ed25519",
            "public_key": pem,
            "file": key_file(fp),
            "created": None,
            "first_used": None,
            "last_used": None,
            "retired": None,
            "revoked": None,
        }
        ring.setdefault("keys", []).append(entry)
    for k, v in fields.items():
        if entry.get(k) in (None, "") and v not in (None, ""):
            entry[k] = v
    return entry


def keyring_bytes(ring: dict[str, Any]) -> bytes:
    return (json.dumps(ring, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_keyring(site_dir: Path, ring: dict[str, Any]) -> Path:
    """Write keyring.json and every key's ``keys/<hex>.pub`` into the site (unchanged files untouched)."""
    site_dir = Path(site_dir)
    for e in ring.get("keys", []):
        _write_if_changed(site_dir / key_file(e["fingerprint"]), e["public_key"].encode("ascii"))
    path = site_dir / KEYRING_NAME
    _write_if_changed(path, keyring_bytes(ring))
    return path


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o755)  # published: the web server reads it, whatever the umask
    if not (path.is_file() and path.read_bytes() == data):
        write_atomic(path, data)


# ---------------------------------------------------------------------------------------- verification


@dataclass
class FileCheck:
    name: str  # what was checked: a path or URL
    ok: bool
    detail: str  # "matches v1/transcript.txt (version 1)", "SHA-256 differs from the signed manifest" ...
    sha256: str = ""


@dataclass
class VerifyReport:
    source: str
    ok: bool = False
    signature_ok: bool = False
    key_fingerprint: str = ""
    key_source: str = ""
    key_expected: str = ""  # the fingerprint the manifest names
    briefing_id: str = ""
    version: int = 0
    files: list[FileCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "signature_ok": self.signature_ok,
            "key_fingerprint": self.key_fingerprint,
            "key_source": self.key_source,
            "key_expected": self.key_expected,
            "briefing_id": self.briefing_id,
            "version": self.version,
            "files": [vars(f) for f in self.files],
            "problems": self.problems,
        }


def _is_url(s: str) -> bool:
    return s.startswith(("http://", "https://"))


class _Fetcher:
    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            import httpx

            self._client = httpx.Client(timeout=self.timeout, follow_redirects=True)
        return self._client

    def get(self, url: str) -> bytes | None:
        import httpx

        try:
            r = self.client().get(url)
        except httpx.HTTPError as exc:
            raise ManifestError(f"cannot fetch {url}: {exc}", hint="check the URL and the network") from None
        if r.status_code == 404:
            return None
        if r.status_code >= 400:
            raise ManifestError(f"cannot fetch {url}: HTTP {r.status_code}", hint="check the URL")
        content: bytes = r.content
        return content

    def hash(self, url: str) -> tuple[str, int] | None:
        import httpx

        h, size = hashlib.sha256(), 0
        try:
            with self.client().stream("GET", url) as r:
                if r.status_code == 404:
                    return None
                if r.status_code >= 400:
                    raise ManifestError(f"cannot fetch {url}: HTTP {r.status_code}", hint="check the URL")
                for chunk in r.iter_bytes(1 << 20):
                    h.update(chunk)
                    size += len(chunk)
        except httpx.HTTPError as exc:
            raise ManifestError(f"cannot fetch {url}: {exc}", hint="check the URL and the network") from None
        return h.hexdigest(), size

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _read(loc: str, fetcher: _Fetcher) -> bytes | None:
    if _is_url(loc):
        return fetcher.get(loc)
    p = Path(loc)
    return p.read_bytes() if p.is_file() else None


def _join(base: str, rel: str) -> str:
    if _is_url(base):
        from urllib.parse import urljoin

        return urljoin(base, rel)
    return str(Path(base) / rel)


def _is_fingerprint(key: str) -> bool:
    return not (_is_url(key) or Path(key).exists()) and key.replace("SHA256:", "").replace(" ", "").isalnum()


def _keyring_key(site_root: str, fp: str, fetcher: _Fetcher) -> tuple[bytes | None, str, dict[str, Any] | None]:
    """The public key with fingerprint ``fp`` published by the site: from its keyring, else its
    signing-key.pub when that is the key. (PEM, where it came from, the keyring's entry)."""
    ring_loc = _join(site_root, KEYRING_NAME)
    raw = _read(ring_loc, fetcher)
    entry = None
    if raw is not None:
        try:
            entry = find_key(parse_keyring(raw), fp)
        except ManifestError:
            entry = None
    if entry is not None:
        return entry["public_key"].encode("ascii"), _join(site_root, key_file(fp)) + f" (in {KEYRING_NAME})", entry
    pub_loc = _join(site_root, PUBLIC_KEY_NAME)
    pem = _read(pub_loc, fetcher)
    if pem is not None:
        try:
            if same_key(fingerprint(pem), fp):
                return pem, pub_loc, None
        except ManifestError:
            pass
    return None, ring_loc, None


def _revocation(site_root: str, fp: str, fetcher: _Fetcher) -> dict[str, Any] | None:
    raw = _read(_join(site_root, KEYRING_NAME), fetcher)
    if raw is None:
        return None
    try:
        entry = find_key(parse_keyring(raw), fp)
    except ManifestError:
        return None
    return (entry or {}).get("revoked") or None


def _check_manifest(
    report: VerifyReport, manifest_loc: str, key: str | None, site_root: str, fetcher: _Fetcher
) -> dict[str, Any] | None:
    data = _read(manifest_loc, fetcher)
    if data is None:
        report.problems.append(f"no signed manifest at {manifest_loc}")
        return None
    sig = _read(manifest_loc + ".sig", fetcher)
    if sig is None:
        report.problems.append(f"no signature at {manifest_loc}.sig")
        return None
    try:
        claimed = json.loads(data)  # not trusted until the signature is checked: only says which key to use
    except ValueError:
        claimed = {}
    named = ""
    if isinstance(claimed, dict) and isinstance(claimed.get("key"), dict):
        named = str(claimed["key"].get("fingerprint") or "")
    report.key_expected = named
    entry = None
    if key and _is_fingerprint(key):  # a pinned fingerprint: the release must name it, the site must have it
        if named and not same_key(named, key):
            report.problems.append(
                f"the release was signed with key {named}, which is not the expected key {key} (pinned with --key)"
            )
            return None
        pem, key_source, entry = _keyring_key(site_root, key, fetcher)
        if pem is None:
            report.problems.append(
                f"the pinned key {key} is not in the site's keyring ({key_source}) nor its "
                f"{PUBLIC_KEY_NAME}; pass its public key file with --key"
            )
            return None
    elif key:
        pem, key_source = _read(key, fetcher), key
        if pem is None:
            report.problems.append(f"no public key at {key}")
            return None
    elif named:
        pem, key_source, entry = _keyring_key(site_root, named, fetcher)
        if pem is None:
            report.problems.append(
                f"the release was signed with key {named}, which is not in the site's keyring "
                f"({key_source}) nor its {PUBLIC_KEY_NAME}; pass that key's public key file "
                "with --key"
            )
            return None
    else:  # a manifest that names no key: the site's current key
        key_source = _join(site_root, PUBLIC_KEY_NAME)
        pem = _read(key_source, fetcher)
        if pem is None:
            report.problems.append(f"no public key at {key_source}")
            return None
    report.key_source = key_source
    report.key_fingerprint = fingerprint(pem)
    if key and _is_fingerprint(key) and not same_key(key, report.key_fingerprint):
        report.problems.append(f"the published key {report.key_fingerprint} is not the expected key {key}")
        return None
    if named and not same_key(named, report.key_fingerprint):
        report.problems.append(
            f"the release was signed with key {named}, but the key given ({key_source}) is "
            f"{report.key_fingerprint}; pass the key {named} (see the site's {KEYRING_NAME})"
        )
        return None
    if not check_signature(data, sig.decode("ascii", "replace"), pem):
        report.problems.append(
            f"the manifest's signature is not valid for key {report.key_fingerprint} "
            f"({key_source}), the key it names: the manifest was altered or signed by "
            "someone else"
        )
        return None
    report.signature_ok = True
    try:
        manifest: dict[str, Any] = json.loads(data)
    except ValueError:
        report.problems.append("the manifest is not JSON")
        return None
    report.briefing_id = manifest.get("id", "")
    report.version = int(manifest.get("version", 0))
    revoked = (
        (entry or {}).get("revoked") if entry is not None else _revocation(site_root, report.key_fingerprint, fetcher)
    )
    if revoked:
        when = revoked.get("at", "?") if isinstance(revoked, dict) else str(revoked)
        why = revoked.get("reason", "") if isinstance(revoked, dict) else ""
        report.problems.append(
            f"key {report.key_fingerprint} was revoked by the publisher on {when}"
            + (f" ({why})" if why else "")
            + ": a release signed with it is not trusted; ask "
            "for the release signed with the current key"
        )
        report.signature_ok = False
        return None
    return manifest


MEDIA_DIR = "media"  # briefings/<id>/media/<sha256>.<ext>: the media each version plays, kept by content


def _match(
    manifest: dict[str, Any],
    name: str,
    digest: str,
    size: int,
    media_versions: Callable[[str], list[int]] | None = None,
) -> FileCheck:
    entries = manifest.get("files", [])
    same = [e for e in entries if e["sha256"] == digest and e["size"] == size]
    if same:
        # the file of that name; else the latest version's (or a kept version's) file; else the media kept
        # by content for an earlier version
        by_name = [e for e in same if e["path"] == name] or sorted(
            same, key=lambda e: e["path"].startswith(MEDIA_DIR + "/")
        )
        e = by_name[0]
        where = e["path"]
        m = where.split("/", 1)[0]
        if m == MEDIA_DIR and "/" in where:
            used = media_versions(digest) if media_versions is not None else []
            version = (
                (("version " if len(used) == 1 else "versions ") + ", ".join(map(str, used)))
                if used
                else "the media of a published version"
            )
        elif m.startswith("v") and m[1:].isdigit() and "/" in where:
            version = f"version {m[1:]}"
        else:
            version = f"version {manifest.get('version')}"
        return FileCheck(name, True, f"matches {where} ({version}) of the signed manifest", digest)
    named = [e for e in entries if e["path"] == name or e["path"].rsplit("/", 1)[-1] == name.rsplit("/", 1)[-1]]
    if named:
        return FileCheck(
            name,
            False,
            f"differs from {named[0]['path']} in the signed manifest "
            f"(SHA-256 {digest[:16]}…, expected {named[0]['sha256'][:16]}…)",
            digest,
        )
    return FileCheck(name, False, "not a file of this release (its SHA-256 is not in the signed manifest)", digest)


def _kept_meta(m: dict[str, Any], prefix: str, read: Callable[[str], bytes | None]) -> dict[str, Any]:
    """The release.json of the kept version under ``prefix`` (``v1/``), when the signed manifest lists it
    with exactly these bytes ({} otherwise)."""
    entry = next((e for e in m.get("files", []) if e["path"] == prefix + "release.json"), None)
    data = read(prefix + "release.json") if entry is not None else None
    if entry is None or data is None or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return {}
    try:
        meta = json.loads(data)
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _played_media(m: dict[str, Any], prefix: str, read: Callable[[str], bytes | None]) -> list[dict[str, Any]]:
    """The files outside a kept version's directory that its page plays (its media, kept by content under
    ``media/``): the manifest's entries for the files its release.json names and its directory lacks."""
    meta = _kept_meta(m, prefix, read)
    entries = m.get("files", [])
    inside = {e["sha256"] for e in entries if e["path"].startswith(prefix)}
    out = []
    for info in (meta.get("files") or {}).values():
        digest = info.get("sha256") if isinstance(info, dict) else None
        if not digest or digest in inside:
            continue
        outside = sorted(
            (e for e in entries if e["sha256"] == digest and not e["path"].startswith(prefix)),
            key=lambda e: not e["path"].startswith(MEDIA_DIR + "/"),
        )
        if outside and outside[0] not in out:
            out.append(outside[0])
    return out


def _versions_using(m: dict[str, Any], digest: str, read: Callable[[str], bytes | None]) -> list[int]:
    """The kept versions whose release.json names a file with this SHA-256."""
    out = []
    for e in m.get("files", []):
        head, _, rest = e["path"].partition("/")
        if rest != "release.json" or (kept := _kept_version(head)) is None:
            continue
        files = _kept_meta(m, head + "/", read).get("files") or {}
        if any(isinstance(i, dict) and i.get("sha256") == digest for i in files.values()):
            out.append(kept)
    return sorted(out)


def _local_reader(root: Path) -> Callable[[str], bytes | None]:
    def read(rel: str) -> bytes | None:
        p = root / rel
        try:
            return None if p.is_symlink() else p.read_bytes()
        except OSError:
            return None

    return read


def _find_manifest_dir(path: Path) -> Path | None:
    for d in [path if path.is_dir() else path.parent, *path.parents]:
        if (d / MANIFEST_NAME).is_file():
            return d
    return None


def _site_root_of(briefing_dir: str) -> str:
    # briefings/<id>/manifest.json → the site root is two levels up
    if _is_url(briefing_dir):
        return _join(briefing_dir.rstrip("/") + "/", "../../")
    return str(Path(briefing_dir).parent.parent)


def verify(target: str, *, key: str | None = None, manifest: str | None = None, timeout: float = 30.0) -> VerifyReport:
    """Check a local file or directory, or a URL, against the signed manifest of its release.

    ``key``: a PEM public key (path or URL) or the fingerprint the published key must have; by default the
    site's ``signing-key.pub``. ``manifest``: where the manifest is (path or URL), for a file downloaded
    away from the site."""
    fetcher = _Fetcher(timeout)
    try:
        if _is_url(target):
            return _verify_url(target, key=key, manifest=manifest, fetcher=fetcher)
        return _verify_path(Path(target), key=key, manifest=manifest, fetcher=fetcher)
    finally:
        fetcher.close()


def _finish(report: VerifyReport) -> VerifyReport:
    report.ok = report.signature_ok and bool(report.files) and all(f.ok for f in report.files) and not report.problems
    return report


def _kept_version(prefix: str) -> int | None:
    head = prefix.strip("/").split("/", 1)[0]
    return int(head[1:]) if head.startswith("v") and head[1:].isdigit() else None


def _check_dir(report: VerifyReport, m: dict[str, Any], root: Path, prefix: str, mloc: str) -> None:
    """Check the directory ``root / prefix`` exactly: every file the manifest lists under ``prefix`` is
    there with its SHA-256, and every file there is listed (names relative to ``root``)."""
    entries = [e for e in m.get("files", []) if e["path"].startswith(prefix)]
    if prefix and not entries:
        report.problems.append(f"the signed manifest {mloc} lists no file under {prefix}")
        return
    listed = {e["path"] for e in entries}
    for e in entries:
        p = root / e["path"]
        if p.is_symlink() or not p.is_file():
            report.files.append(
                FileCheck(
                    e["path"], False, "missing" if not p.is_symlink() else "is a symbolic link, not the published file"
                )
            )
            continue
        digest, size = hash_file(p)
        ok = digest == e["sha256"] and size == e["size"]
        report.files.append(
            FileCheck(
                e["path"],
                ok,
                "matches the signed manifest" if ok else "SHA-256 differs from the signed manifest",
                digest,
            )
        )
    top = root / prefix if prefix else root
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        for name in sorted(filenames) + sorted(d for d in dirnames if (Path(dirpath) / d).is_symlink()):
            rel = (Path(dirpath) / name).relative_to(root).as_posix()
            if rel in listed or (not prefix and rel in _SKIP):
                continue
            report.files.append(
                FileCheck(rel, False, "is not listed in the signed manifest: it is not part of this release")
            )
    if prefix:
        v = _kept_version(prefix)
        if v is not None:
            report.version = v
            # what its page plays from outside it (../media/<sha256>.<ext>): there, with its SHA-256
            for e in _played_media(m, prefix, _local_reader(root)):
                p = root / e["path"]
                if p.is_symlink() or not p.is_file():
                    report.files.append(FileCheck(e["path"], False, f"missing (the media {prefix} plays)"))
                    continue
                digest, size = hash_file(p)
                ok = digest == e["sha256"] and size == e["size"]
                report.files.append(
                    FileCheck(
                        e["path"],
                        ok,
                        f"matches the signed manifest (the media {prefix} plays)"
                        if ok
                        else "SHA-256 differs from the signed manifest",
                        digest,
                    )
                )


def _verify_path(path: Path, *, key: str | None, manifest: str | None, fetcher: _Fetcher) -> VerifyReport:
    report = VerifyReport(source=str(path))
    if not path.exists():
        raise ManifestError(f"{path} does not exist", hint="pass a downloaded file, a briefing directory or a URL")
    if path.is_dir() and manifest is None and not (path / MANIFEST_NAME).is_file() and (path / "briefings").is_dir():
        # a whole site: every briefing, each against the key its manifest names (from the site's keyring)
        for d in sorted(p for p in (path / "briefings").iterdir() if p.is_dir()):
            sub = _verify_path(d, key=key, manifest=None, fetcher=fetcher)
            report.files += [FileCheck(f"{d.name}/{f.name}", f.ok, f.detail, f.sha256) for f in sub.files]
            report.problems += [f"{d.name}: {p}" for p in sub.problems]
            report.signature_ok = (
                sub.signature_ok if not report.key_fingerprint else (report.signature_ok and sub.signature_ok)
            )
            report.key_fingerprint, report.key_source = sub.key_fingerprint, sub.key_source
        return _finish(report)
    if manifest is not None:
        mloc = manifest
        base = mloc.rsplit("/", 1)[0] if _is_url(mloc) else str(Path(mloc).parent)
        base_dir = None
    else:
        found = _find_manifest_dir(path)
        if found is None:
            report.problems.append(
                f"no {MANIFEST_NAME} found beside or above {path}; pass --manifest with the "
                "manifest's path or URL (e.g. https://<site>/briefings/<id>/manifest.json)"
            )
            return _finish(report)
        base_dir = found
        mloc, base = str(found / MANIFEST_NAME), str(found)
    site_root = _site_root_of(base + "/") if _is_url(base) else _site_root_of(base)
    m = _check_manifest(report, mloc, key, site_root, fetcher)
    if m is None:
        return _finish(report)
    if path.is_dir():
        if base_dir is not None and path.resolve() != base_dir.resolve():
            # a kept version (briefings/<id>/v<N>/) or another directory below the manifest that lists it
            prefix = path.resolve().relative_to(base_dir.resolve()).as_posix() + "/"
            _check_dir(report, m, base_dir, prefix, mloc)
        else:
            _check_dir(report, m, path, "", mloc)
    else:
        digest, size = hash_file(path)
        name = path.relative_to(base_dir).as_posix() if base_dir is not None else path.name
        read = _local_reader(Path(base)) if not _is_url(base) else (lambda rel: fetcher.get(_join(base + "/", rel)))
        report.files.append(_match(m, name, digest, size, lambda d: _versions_using(m, d, read)))
    return _finish(report)


def _verify_url(url: str, *, key: str | None, manifest: str | None, fetcher: _Fetcher) -> VerifyReport:
    report = VerifyReport(source=url)
    is_page = url.endswith("/") or url.endswith(".html")
    if manifest is None:
        candidates = []
        d = url if url.endswith("/") else url.rsplit("/", 1)[0] + "/"
        for _ in range(3):  # the file's directory, then up (v<N>/ copies live one level down)
            candidates.append(d)
            d = _join(d, "../")
        mloc = None
        for c in candidates:
            if fetcher.get(_join(c, MANIFEST_NAME)) is not None:
                mloc = _join(c, MANIFEST_NAME)
                break
        if mloc is None:
            report.problems.append(f"no {MANIFEST_NAME} found for {url}; pass --manifest")
            return _finish(report)
    else:
        mloc = manifest
    base = mloc.rsplit("/", 1)[0] + "/"
    m = _check_manifest(report, mloc, key, _join(base, "../../"), fetcher)
    if m is None:
        return _finish(report)
    prefix = url[len(base) :] if url.startswith(base) else None
    if is_page and url.endswith("/") and prefix is not None:
        # the briefing's page directory (prefix ""), or a kept version below it ("v1/"): every file listed there
        entries = [e for e in m.get("files", []) if e["path"].startswith(prefix)]
        if prefix and not entries:
            report.problems.append(f"the signed manifest {mloc} lists no file under {prefix}")
        for e in entries:
            got = fetcher.hash(_join(base, e["path"]))
            if got is None:
                report.files.append(FileCheck(e["path"], False, "missing on the site"))
                continue
            ok = got == (e["sha256"], e["size"])
            report.files.append(
                FileCheck(
                    e["path"],
                    ok,
                    "matches the signed manifest" if ok else "SHA-256 differs from the signed manifest",
                    got[0],
                )
            )
        if prefix and _kept_version(prefix) is not None:
            report.version = _kept_version(prefix) or report.version
            for e in _played_media(m, prefix, lambda rel: fetcher.get(_join(base, rel))):
                got = fetcher.hash(_join(base, e["path"]))
                if got is None:
                    report.files.append(FileCheck(e["path"], False, f"missing on the site (the media {prefix} plays)"))
                    continue
                ok = got == (e["sha256"], e["size"])
                report.files.append(
                    FileCheck(
                        e["path"],
                        ok,
                        f"matches the signed manifest (the media {prefix} plays)"
                        if ok
                        else "SHA-256 differs from the signed manifest",
                        got[0],
                    )
                )
    else:
        got = fetcher.hash(url)
        if got is None:
            raise ManifestError(f"{url} was not found (HTTP 404)", hint="check the URL")
        name = url[len(base) :] if url.startswith(base) else url.rsplit("/", 1)[-1]
        if name.endswith("/") or name == "":
            name += "index.html"
        report.files.append(
            _match(m, name, *got, lambda d: _versions_using(m, d, lambda rel: fetcher.get(_join(base, rel))))
        )
    return _finish(report)


def verify_files(manifest: dict[str, Any], files: Iterable[Path]) -> list[FileCheck]:
    """Check local files against an already verified manifest (by content)."""
    return [_match(manifest, Path(p).name, *hash_file(Path(p))) for p in files]
