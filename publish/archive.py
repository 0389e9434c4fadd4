"""Preservation packages: BagIt bags (bagit library), kept in a directory or an S3 bucket with Object Lock.

A library: it knows nothing of briefings or the store. It takes explicit paths and options.

- :func:`make_bag` turns a staging directory (the payload, laid out as it should appear under ``data/``)
  into a BagIt bag in place, with SHA-256 manifests and the given bag-info, and validates it.
- :func:`validate_bag` checks a bag: structure, Payload-Oxum, and every checksum, and returns its payload
  manifest.
- :class:`S3Archive` stores a bag under ``s3://bucket/prefix/name/``: the bucket must have versioning and
  Object Lock enabled; each object is written with Object Lock retention (COMPLIANCE mode by default)
  until the given date, so nobody, not even the account's root, can delete or overwrite it before then.
  Errors of boto3 (:func:`publish.s3.vendor_errors`, by class) are converted here into :class:`ArchiveError`
  with a hint; the client comes from :mod:`publish.s3`, the one module that makes boto3 clients.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from publish.errors import PublishError
from publish.files import sha256_file
from publish.s3 import plain_client, vendor_errors

logging.getLogger("bagit").setLevel(logging.WARNING)


class ArchiveError(PublishError):
    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class BagCheck:
    path: Path
    ok: bool
    errors: tuple[str, ...]
    info: dict[str, Any]
    payload: dict[str, str]  # "data/..." -> sha256 from the manifest
    oxum: str = ""


def make_bag(staging: Path, info: dict[str, Any], *, processes: int = 1) -> BagCheck:
    """Make ``staging`` (holding the payload files) a BagIt bag in place, then validate it."""
    import bagit

    staging = Path(staging)
    try:
        bagit.make_bag(
            str(staging),
            bag_info={k: v for k, v in info.items() if v not in (None, "", [])},
            processes=processes,
            checksums=["sha256"],
        )
    except (bagit.BagError, OSError) as exc:
        raise ArchiveError(f"cannot make a bag in {staging}: {exc}", hint="check the disk has room") from exc
    check = validate_bag(staging)
    if not check.ok:
        raise ArchiveError(
            f"the bag just written in {staging} does not validate: {'; '.join(check.errors)}",
            hint="check the disk and run again",
        )
    return check


def links(path: Path) -> list[str]:
    """Every entry of a bag that is not a plain file or directory (symbolic links, devices, fifos ...), as
    paths relative to the bag, sorted. Nothing is followed: a linked directory is reported, not entered."""
    root = Path(path)
    if root.is_symlink():
        return ["."]
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            mode = os.lstat(p).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                out.append(p.relative_to(root).as_posix())
    return sorted(out)


def refuse_links(path: Path) -> None:
    """Raise ArchiveError when the bag holds a symbolic link or special file (see :func:`links`)."""
    found = links(path)
    if found:
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        raise ArchiveError(
            f"the package {path} holds a symbolic link or special file ({', '.join(found[:5])}"
            f"{more}); a package holds only regular files, and links are never followed",
            hint="the package was tampered with: restore another version, or archive again",
        )


def validate_bag(path: Path, *, processes: int = 1) -> BagCheck:
    """Validate a bag completely (every checksum). Raises ArchiveError if ``path`` is not a bag at all.

    A symbolic link (or any entry that is not a plain file or directory) anywhere in the bag fails the
    validation, and nothing is read through it."""
    import bagit

    path = Path(path)
    if not path.is_dir() or not (path / "bagit.txt").is_file():
        raise ArchiveError(
            f"{path} is not a BagIt bag (no bagit.txt)",
            hint="give the directory of an archive package, or a briefing id",
        )
    found = links(path)
    if found:
        info: dict[str, Any] = {}
        if "bag-info.txt" not in found and "bagit.txt" not in found and "." not in found:
            try:
                info = dict(bagit.Bag(str(path)).info)
            except (bagit.BagError, OSError):
                info = {}
        problems = tuple(
            f"{rel} is a symbolic link or special file, not a regular file (a package holds only "
            "regular files; it was not followed)"
            for rel in found
        )
        return BagCheck(path, False, problems, info, {}, str(info.get("Payload-Oxum", "")))
    try:
        bag = bagit.Bag(str(path))
    except bagit.BagError as exc:
        raise ArchiveError(f"{path} is not a valid BagIt bag: {exc}", hint="the package is damaged") from exc
    errors: list[str] = []
    try:
        bag.validate(processes=processes)
    except bagit.BagValidationError as exc:
        details = getattr(exc, "details", None) or []
        errors = [str(d) for d in details] or [str(exc.message if hasattr(exc, "message") else exc)]
    except bagit.BagError as exc:
        errors = [str(exc)]
    payload = {p: h.get("sha256", "") for p, h in bag.payload_entries().items()}
    payload = {p.replace(os.sep, "/"): h for p, h in payload.items()}
    info = {k: v for k, v in bag.info.items()}
    return BagCheck(path, not errors, tuple(errors), info, payload, str(info.get("Payload-Oxum", "")))


def check_assembled(path: Path, payload: dict[str, str]) -> BagCheck:
    """Check a bag whose tag files were made elsewhere (a cluster worker, from the same bytes) over a payload
    whose SHA-256 the caller computed as it copied each file (``payload``: "data/..." -> sha256): the bag
    must be complete (every file it lists, nothing else; its Payload-Oxum right), its manifest must name
    exactly these hashes, and its tag manifest the hashes of its tag files. The payload is not read again.
    Raises ArchiveError when it is not so."""
    import bagit

    path = Path(path)
    refuse_links(path)
    try:
        bag = bagit.Bag(str(path))
        bag.validate(completeness_only=True)
    except bagit.BagValidationError as exc:
        details = getattr(exc, "details", None) or []
        raise ArchiveError(
            f"the bag assembled in {path} is not complete: {'; '.join(str(d) for d in details) or exc}",
            hint="run again; the package was not stored",
        ) from exc
    except bagit.BagError as exc:
        raise ArchiveError(f"the bag assembled in {path} is not a BagIt bag: {exc}", hint="run again") from exc
    listed = {p.replace(os.sep, "/"): h.get("sha256", "") for p, h in bag.payload_entries().items()}
    wrong = sorted(rel for rel in set(listed) | set(payload) if listed.get(rel) != payload.get(rel))
    for tag, hashes in bag.tagfile_entries().items():
        if hashes.get("sha256") != sha256_file(path / tag):
            wrong.append(tag)
    if wrong:
        more = f" and {len(wrong) - 5} more" if len(wrong) > 5 else ""
        raise ArchiveError(
            f"the manifest of the bag assembled in {path} differs from the files copied: {', '.join(wrong[:5])}{more}",
            hint="run again; the package was not stored",
        )
    info = {k: v for k, v in bag.info.items()}
    return BagCheck(path, True, (), info, listed, str(info.get("Payload-Oxum", "")))


def bag_files(path: Path) -> list[str]:
    """Every file of a bag (tag files and payload), as paths relative to the bag, sorted."""
    root = Path(path)
    return sorted(str(p.relative_to(root)).replace(os.sep, "/") for p in root.rglob("*") if p.is_file())


def make_read_only(path: Path) -> None:
    for p in Path(path).rglob("*"):
        if p.is_file():
            p.chmod(0o444)


def safe_rel(rel: str) -> str:
    """``rel`` if it names a file strictly inside a directory (no absolute path, no ``..``, no empty or
    ``.`` part, no backslash or NUL); else ArchiveError."""
    parts = rel.split("/")
    if not rel or rel.startswith("/") or "\\" in rel or "\0" in rel or any(p in ("", ".", "..") for p in parts):
        raise ArchiveError(
            f"the package holds a file named {rel!r}, which would be written outside the destination",
            hint="the package was tampered with: nothing was written outside",
        )
    return rel


def _open_new(dest: Path, rel: str) -> Any:
    """Create ``dest/rel`` (and its directories) for writing without following any link: every directory
    below ``dest`` must be a real one, and the file must not exist yet."""
    target = Path(dest) / safe_rel(rel)
    d = Path(dest)
    d.mkdir(parents=True, exist_ok=True)
    for part in rel.split("/")[:-1]:
        d = d / part
        if d.is_symlink():
            raise ArchiveError(f"{d} is a symbolic link", hint="restore into a new or empty directory")
        d.mkdir(exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(target, flags, 0o644)
    except FileExistsError:
        raise ArchiveError(
            f"{target} already exists (two objects of the package have one name)",
            hint="restore into a new or empty directory",
        ) from None
    return os.fdopen(fd, "wb")


def copy_bag(src: Path, dest: Path) -> None:
    """Copy a bag's files into ``dest`` (which must not exist or be empty), byte for byte, writable.

    A bag holding a symbolic link or special file is refused before anything is copied; no link is ever
    followed, and nothing is written outside ``dest``."""
    refuse_links(src)
    for rel in bag_files(src):
        fd = os.open(Path(src) / rel, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fin, _open_new(Path(dest), rel) as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)


# ------------------------------------------------------------------------------------------------- S3
@dataclass
class S3Archive:
    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    _client: Any = field(default=None, repr=False)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = plain_client(self.endpoint_url, self.region)
        return self._client

    def key(self, name: str, rel: str = "") -> str:
        pre = self.prefix.strip("/")
        return "/".join(p for p in (pre, name.strip("/"), rel) if p)

    def url(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.key(name)}/"

    def _fail(self, what: str, exc: Exception) -> ArchiveError:
        code = ""
        resp = getattr(exc, "response", None)
        if isinstance(resp, dict):
            code = resp.get("Error", {}).get("Code", "")
        hint = {
            "NoSuchBucket": f"create the bucket {self.bucket} with Object Lock enabled",
            "AccessDenied": "check the S3 credentials (boto3's chain) and the bucket policy",
            "InvalidAccessKeyId": "check the S3 credentials (boto3's chain)",
        }.get(code, "check archive.s3_endpoint_url, the network and the credentials")
        return ArchiveError(
            f"S3 {what} failed for bucket {self.bucket}: {code or type(exc).__name__}: {exc}", hint=hint
        )

    def check_bucket(self) -> dict[str, str]:
        """The bucket must keep versions and have Object Lock on. Returns what it found."""
        try:
            ver = self.client.get_bucket_versioning(Bucket=self.bucket).get("Status", "")
        except vendor_errors() as exc:  # boto3/botocore errors, converted
            raise self._fail("versioning check", exc) from exc
        try:
            lock = self.client.get_object_lock_configuration(Bucket=self.bucket)
            lock_on = lock.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled", "")
        except vendor_errors() as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in ("ObjectLockConfigurationNotFoundError", "ObjectLockConfigurationNotFound"):
                lock_on = ""
            else:
                raise self._fail("Object Lock check", exc) from exc
        if ver != "Enabled":
            raise ArchiveError(
                f"bucket {self.bucket} does not keep versions (versioning: {ver or 'off'})",
                hint="enable versioning (and Object Lock) on the archive bucket",
            )
        if lock_on != "Enabled":
            raise ArchiveError(
                f"bucket {self.bucket} has no Object Lock",
                hint="archive buckets must be created with Object Lock enabled",
            )
        return {"versioning": ver, "object_lock": lock_on}

    def exists(self, name: str) -> bool:
        try:
            r = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.key(name) + "/", MaxKeys=1)
        except vendor_errors() as exc:
            raise self._fail("listing", exc) from exc
        return bool(r.get("KeyCount", 0))

    def upload_bag(
        self, local: Path, name: str, *, retain_until: datetime | None, mode: str = "COMPLIANCE"
    ) -> dict[str, str]:
        """Upload every file of the bag; returns {key: version id}. Tag files go last (a bag is complete
        only when its bagit.txt is there)."""
        self.check_bucket()
        if self.exists(name):
            raise ArchiveError(f"{self.url(name)} already exists", hint="a package is never overwritten")
        files = bag_files(local)
        files.sort(key=lambda r: (not r.startswith("data/"), r != "bagit.txt", r))
        out: dict[str, str] = {}
        for rel in files:
            key = self.key(name, rel)
            extra: dict[str, Any] = {}
            if retain_until is not None:
                extra = {"ObjectLockMode": mode, "ObjectLockRetainUntilDate": retain_until}
            try:
                with open(Path(local) / rel, "rb") as f:
                    r = self.client.put_object(Bucket=self.bucket, Key=key, Body=f, ChecksumAlgorithm="SHA256", **extra)
            except vendor_errors() as exc:
                raise self._fail(f"upload of {key}", exc) from exc
            out[key] = r.get("VersionId", "")
        return out

    def list_bag(self, name: str) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = []
        token = None
        pre = self.key(name) + "/"
        while True:
            kw: dict[str, Any] = {"Bucket": self.bucket, "Prefix": pre}
            if token:
                kw["ContinuationToken"] = token
            try:
                r = self.client.list_objects_v2(**kw)
            except vendor_errors() as exc:
                raise self._fail("listing", exc) from exc
            keys.extend(r.get("Contents", []))
            if not r.get("IsTruncated"):
                return keys
            token = r.get("NextContinuationToken")

    def download_bag(self, name: str, dest: Path, *, versions: dict[str, str] | None = None) -> list[str]:
        """Download the bag (the recorded versions of its objects, when given) into ``dest``."""
        pre = self.key(name) + "/"
        keys = sorted(versions) if versions else [o["Key"] for o in self.list_bag(name)]
        if not keys:
            raise ArchiveError(f"nothing at {self.url(name)}", hint="check the bucket and prefix")
        rels = []
        for key in keys:  # every name is checked before anything is written
            if not key.startswith(pre):
                raise ArchiveError(
                    f"the package {self.url(name)} names an object outside it: {key!r}",
                    hint="the archive record was tampered with: nothing was written",
                )
            rels.append(safe_rel(key[len(pre) :]))
        got = []
        for key, rel in zip(keys, rels, strict=True):
            kw: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
            if versions and versions.get(key):
                kw["VersionId"] = versions[key]
            try:
                body = self.client.get_object(**kw)["Body"]
            except vendor_errors() as exc:
                raise self._fail(f"download of {key}", exc) from exc
            with _open_new(Path(dest), rel) as f:
                try:
                    shutil.copyfileobj(body, f, 1 << 20)
                except vendor_errors() as exc:
                    raise self._fail(f"download of {key}", exc) from exc
            got.append(rel)
        return got

    def checksum(self, key: str, version_id: str | None = None) -> dict[str, Any]:
        """The stored SHA-256 (hex, from S3's own checksum of the object), size and version of an object."""
        h = self._head(key, version_id, ChecksumMode="ENABLED")
        b64 = h.get("ChecksumSHA256") or ""
        hexd = ""
        if b64 and "-" not in b64:  # a multipart upload's checksum is of its parts, not of the bytes
            import base64

            try:
                hexd = base64.b64decode(b64).hex()
            except ValueError:
                hexd = ""
        return {"sha256": hexd, "size": h.get("ContentLength"), "version_id": h.get("VersionId")}

    def sha256_of(self, key: str, version_id: str | None = None) -> str:
        """The SHA-256 (hex) of an object's bytes, downloaded."""
        import hashlib

        kw: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            kw["VersionId"] = version_id
        h = hashlib.sha256()
        try:
            body = self.client.get_object(**kw)["Body"]
            for chunk in iter(lambda: body.read(1 << 20), b""):
                h.update(chunk)
        except vendor_errors() as exc:
            raise self._fail(f"download of {key}", exc) from exc
        return h.hexdigest()

    def _head(self, key: str, version_id: str | None = None, **extra: Any) -> dict[str, Any]:
        """HEAD of an object (of one version when given)."""
        kw: dict[str, Any] = {"Bucket": self.bucket, "Key": key, **extra}
        if version_id:
            kw["VersionId"] = version_id
        try:
            head: dict[str, Any] = self.client.head_object(**kw)
            return head
        except vendor_errors() as exc:
            raise self._fail(f"reading {key}", exc) from exc

    def retention(self, key: str, version_id: str | None = None) -> dict[str, Any]:
        h = self._head(key, version_id)
        return {
            "mode": h.get("ObjectLockMode"),
            "retain_until": h.get("ObjectLockRetainUntilDate"),
            "version_id": h.get("VersionId"),
        }
