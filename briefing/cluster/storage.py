"""Content-addressed objects every worker and the coordinator can read: an S3 bucket (``s3://bucket/prefix``:
AWS, MinIO, Ceph) or a shared directory. An object's key is the SHA-256 of its bytes, so putting the same
file twice uploads it once, and a reader checks the hash of what it got. Small named JSON documents (the
result of a task, by the task's id) sit beside the objects under ``results/``.

    <root>/objects/<aa>/<sha256>        the bytes
    <root>/results/<name>.json          a task's outputs (keys of objects), written once it is finished

The coordinator removes the objects of a recording once it is finished (:meth:`Storage.delete`), and at the
start of each run whatever is older than ``cluster.keep`` (:meth:`Storage.sweep`): results a task delivered
twice would find, and objects a coordinator that was killed left behind. One coordinator per storage
prefix: several coordinators (ministries) sharing one bucket each take their own prefix.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from briefing.core.errors import ClusterError
from publish.files import sha256_file

_HEX = re.compile(r"^[0-9a-f]{64}$")


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _HEX.match(key):
        raise ClusterError(f"not a content key: {str(key)[:80]!r}", hint="keys are SHA-256 hex digests")
    return key


def _object_rel(key: str) -> str:
    return f"objects/{key[:2]}/{check_key(key)}"


def _result_rel(name: str) -> str:
    if not re.match(r"^[A-Za-z0-9_.-]{1,120}$", name):
        raise ClusterError(f"bad result name {name!r}")
    return f"results/{name}.json"


class Storage(Protocol):
    @property
    def url(self) -> str: ...

    def exists(self, key: str) -> bool: ...

    def put(self, path: Path, key: str | None = None) -> str: ...

    def get(self, key: str, dest: Path) -> Path: ...

    def delete(self, keys: list[str]) -> int:
        """Remove these objects (those gone already are no error); returns how many it removed (on S3, which
        does not tell: how many it was asked to remove)."""
        ...

    def sweep(self, older_than: float) -> tuple[int, int]: ...

    def put_result(self, name: str, doc: dict[str, Any]) -> None: ...

    def get_result(self, name: str) -> dict[str, Any] | None: ...


def _verified(tmp: Path, key: str, dest: Path, where: str) -> Path:
    got = sha256_file(tmp)
    if got != key:
        tmp.unlink(missing_ok=True)
        raise ClusterError(
            f"object {key[:12]}… from {where} has SHA-256 {got[:12]}… (damaged in storage or on the way)",
            hint="remove the damaged object from the storage and run again",
        )
    os.replace(tmp, dest)
    return dest


def _tmp_beside(dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")


@dataclass
class DirStorage:
    """A directory every machine mounts at the same path (NFS, CephFS ...)."""

    root: Path

    @property
    def url(self) -> str:
        return str(self.root)

    def _path(self, rel: str) -> Path:
        return self.root / rel

    def exists(self, key: str) -> bool:
        return self._path(_object_rel(key)).is_file()

    def put(self, path: Path, key: str | None = None) -> str:
        """Store the file under its SHA-256 (``key``, when the caller hashed it already: the copy is
        checked against it) and return the key."""
        key = check_key(key) if key else sha256_file(path)
        dest = self._path(_object_rel(key))
        if dest.is_file() and dest.stat().st_size == path.stat().st_size:
            os.utime(dest)  # in use again: not swept as a leftover
            return key  # already there: content-addressed, nothing to do
        tmp = _tmp_beside(dest)
        try:
            with open(path, "rb") as src, open(tmp, "wb") as out:
                for block in iter(lambda: src.read(1 << 20), b""):
                    out.write(block)
            _verified(tmp, key, dest, str(self.root))
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ClusterError(
                f"cannot write {dest}: {exc.strerror or exc}",
                hint="check that the shared cluster storage is mounted and writable",
            ) from None
        return key

    def get(self, key: str, dest: Path) -> Path:
        src = self._path(_object_rel(key))
        if not src.is_file():
            raise ClusterError(
                f"object {key[:12]}… is not in {self.root}",
                hint="every machine of the cluster must see the same cluster.storage",
            )
        tmp = _tmp_beside(dest)
        with open(src, "rb") as f, open(tmp, "wb") as out:
            for block in iter(lambda: f.read(1 << 20), b""):
                out.write(block)
        return _verified(tmp, key, dest, str(self.root))

    def put_result(self, name: str, doc: dict[str, Any]) -> None:
        dest = self._path(_result_rel(name))
        tmp = _tmp_beside(dest)
        tmp.write_text(json.dumps(doc, sort_keys=True), encoding="utf-8")
        os.replace(tmp, dest)

    def get_result(self, name: str) -> dict[str, Any] | None:
        p = self._path(_result_rel(name))
        try:
            return dict(json.loads(p.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None

    def delete(self, keys: list[str]) -> int:
        gone = 0
        for key in keys:
            try:
                self._path(_object_rel(key)).unlink()
                gone += 1
            except FileNotFoundError:
                pass
        return gone

    def sweep(self, older_than: float) -> tuple[int, int]:
        """Remove results and objects (and pieces of interrupted copies) not written for ``older_than``
        seconds; returns (results, objects) removed."""
        cutoff = time.time() - older_than
        counts = [0, 0]
        for i, sub in enumerate(("results", "objects")):
            top = self.root / sub
            if not top.is_dir():
                continue
            for p in top.rglob("*"):
                try:
                    if p.is_file() and p.stat().st_mtime < cutoff:
                        p.unlink()
                        counts[i] += not p.name.startswith(".")
                except FileNotFoundError:
                    pass
        return counts[0], counts[1]


@dataclass
class S3Storage:
    """``s3://bucket/prefix`` through boto3 (credentials from boto3's chain: environment, profile, role)."""

    bucket: str
    prefix: str
    client: Any

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def _key(self, rel: str) -> str:
        return f"{self.prefix.strip('/')}/{rel}" if self.prefix.strip("/") else rel

    def _fail(self, what: str, exc: BaseException) -> ClusterError:
        return ClusterError(
            f"cluster storage {self.url}: cannot {what}: {exc}",
            hint="check cluster.storage, the S3 endpoint and the AWS_* credentials",
        )

    def _errors(self) -> tuple[type[Exception], ...]:
        from publish.s3 import vendor_errors

        return vendor_errors()

    def exists(self, key: str) -> bool:
        return self._head(self._key(_object_rel(key))) is not None

    def _head(self, k: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return dict(self.client.head_object(Bucket=self.bucket, Key=k))
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._fail(f"look up {k}", exc) from None
        except self._errors() as exc:
            raise self._fail(f"look up {k}", exc) from None

    def put(self, path: Path, key: str | None = None) -> str:
        key = check_key(key) if key else sha256_file(path)
        k = self._key(_object_rel(key))
        head = self._head(k)
        if (
            head is not None
            and int(head.get("ContentLength", -1)) == path.stat().st_size
            and (head.get("Metadata") or {}).get("sha256") == key
        ):
            return key  # already there (put by us, with its hash): content-addressed, nothing to upload
        try:
            self.client.upload_file(str(path), self.bucket, k, ExtraArgs={"Metadata": {"sha256": key}})
        except self._errors() as exc:
            raise self._fail(f"upload {path.name}", exc) from None
        return key

    def get(self, key: str, dest: Path) -> Path:
        k = self._key(_object_rel(key))
        tmp = _tmp_beside(dest)
        try:
            self.client.download_file(self.bucket, k, str(tmp))
        except self._errors() as exc:
            tmp.unlink(missing_ok=True)
            raise self._fail(f"download object {key[:12]}…", exc) from None
        return _verified(tmp, key, dest, self.url)

    def put_result(self, name: str, doc: dict[str, Any]) -> None:
        body = json.dumps(doc, sort_keys=True).encode()
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(_result_rel(name)), Body=body, ContentType="application/json"
            )
        except self._errors() as exc:
            raise self._fail(f"write result {name}", exc) from None

    def get_result(self, name: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self._key(_result_rel(name)))
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._fail(f"read result {name}", exc) from None
        except self._errors() as exc:
            raise self._fail(f"read result {name}", exc) from None
        return dict(json.loads(obj["Body"].read()))

    def _remove(self, keys: list[str]) -> int:
        gone = 0
        for i in range(0, len(keys), 1000):  # DeleteObjects takes 1,000 keys at most
            batch = keys[i : i + 1000]
            try:
                r = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
                )
            except self._errors() as exc:
                raise self._fail("remove objects", exc) from None
            gone += len(batch) - len(r.get("Errors", []))
        return gone

    def delete(self, keys: list[str]) -> int:
        return self._remove([self._key(_object_rel(k)) for k in keys])

    def sweep(self, older_than: float) -> tuple[int, int]:
        cutoff = time.time() - older_than
        counts = []
        for sub in ("results", "objects"):
            old = []
            try:
                pages = self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=self._key(sub + "/")
                )
                for page in pages:
                    old += [o["Key"] for o in page.get("Contents", []) if o["LastModified"].timestamp() < cutoff]
            except self._errors() as exc:
                raise self._fail(f"list {sub}", exc) from None
            counts.append(self._remove(old))
        return counts[0], counts[1]


def open_storage(url: str, *, endpoint_url: str | None = None, region: str | None = None) -> Storage:
    """The storage of ``cluster.storage``: ``s3://bucket/prefix`` or a directory path."""
    url = (url or "").strip()
    if not url:
        raise ClusterError(
            "cluster.storage is not set", hint='set [cluster] storage = "s3://bucket/prefix" or a shared directory path'
        )
    if url.startswith("s3://"):
        bucket, _, prefix = url[5:].partition("/")
        if not bucket:
            raise ClusterError(f"cluster.storage {url!r} names no bucket", hint="use s3://bucket/prefix")
        from publish.s3 import S3Target, client_for

        client = client_for(
            S3Target(
                bucket=bucket,
                endpoint_url=endpoint_url or None,
                region=region or None,
                addressing_style="path" if endpoint_url else None,
            )
        )
        return S3Storage(bucket, prefix, client)
    if "://" in url:
        raise ClusterError(
            f"cluster.storage {url!r}: only s3:// or a directory path",
            hint="use s3://bucket/prefix, or a directory every machine mounts",
        )
    return DirStorage(Path(url).expanduser())
