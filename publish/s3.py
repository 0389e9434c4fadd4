"""An S3-compatible bucket as a publish target (AWS S3, MinIO, Ceph RGW), through boto3.

Objects are sent in the order of :func:`publish.targets.plan` (media, then pages, then index and feeds),
each with its Content-Type, Cache-Control and Content-Disposition. An object is skipped when the bucket
already holds the same bytes: same size, and the same ETag (MD5, or the multipart MD5-of-MD5s computed with
the same part size) or the same ``x-amz-meta-sha256``. Large files go up in parts (boto3's transfer
manager); multipart uploads left behind by an interrupted run are aborted before a new run starts, so a
bucket never keeps orphaned parts. Credentials come from boto3's own chain (environment, profile, instance
role); none are passed here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publish.files import sha256_file
from publish.targets import CachePolicy, Hook, PlannedFile, SyncResult, TargetError, plan, stale

MiB = 1024 * 1024


@dataclass(frozen=True)
class S3Target:
    bucket: str
    name: str = "s3"
    prefix: str = ""  # key prefix, e.g. "press/" (a trailing slash is added when missing)
    endpoint_url: str | None = None  # MinIO / Ceph: https://minio.gov.example
    region: str | None = None
    public_url: str = ""  # CDN base URL readers use, e.g. https://cdn.press.gov.example/
    addressing_style: str | None = None  # "path" for most MinIO/Ceph setups; None = boto3's default
    multipart_threshold: int = 64 * MiB
    multipart_chunksize: int = 16 * MiB
    max_concurrency: int = 4
    profile: str | None = None  # a named AWS profile (credentials still come from boto3's chain)

    @property
    def key_prefix(self) -> str:
        p = self.prefix.strip("/")
        return p + "/" if p else ""

    def key(self, rel: str) -> str:
        return self.key_prefix + rel

    def url(self, rel: str) -> str:
        if self.public_url:
            return self.public_url.rstrip("/") + "/" + rel
        base = (self.endpoint_url or f"https://{self.bucket}.s3.amazonaws.com").rstrip("/")
        return f"{base}/{self.bucket}/{self.key(rel)}" if self.endpoint_url else f"{base}/{self.key(rel)}"


def vendor_errors() -> tuple[type[Exception], ...]:
    """The exception classes boto3 and botocore raise for a failed request (what this module and
    :mod:`publish.archive` convert into their own errors): every other exception is a bug or the disk."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, Boto3Error)


def plain_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    """An S3 client from boto3's credential chain, for an endpoint (MinIO, Ceph) or AWS."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None)


def client_for(target: S3Target) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(profile_name=target.profile) if target.profile else boto3.session.Session()
    cfg = Config(
        retries={"max_attempts": 5, "mode": "standard"},
        s3={"addressing_style": target.addressing_style} if target.addressing_style else None,
    )
    return session.client("s3", endpoint_url=target.endpoint_url or None, region_name=target.region or None, config=cfg)


def _part_size(target: S3Target, size: int) -> int:
    from s3transfer.utils import ChunksizeAdjuster

    return int(ChunksizeAdjuster().adjust_chunksize(target.multipart_chunksize, size))


def expected_etag(path: Path, target: S3Target) -> str:
    """The ETag S3 gives this file when uploaded by :func:`sync_s3` (plain MD5, or MD5 of part MD5s)."""
    size = path.stat().st_size
    if size < target.multipart_threshold:
        h = hashlib.md5(usedforsecurity=False)
        with open(path, "rb") as f:
            while chunk := f.read(MiB):
                h.update(chunk)
        return h.hexdigest()
    part = _part_size(target, size)
    digests = []
    with open(path, "rb") as f:
        while chunk := f.read(part):
            digests.append(hashlib.md5(chunk, usedforsecurity=False).digest())
    return hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest() + f"-{len(digests)}"


def _explain(exc: BaseException, target: S3Target) -> str:
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return "no S3 credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile or a role)"
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'error')}: {err.get('Message', '') or exc}"
    return f"{type(exc).__name__}: {exc}"


def remote_objects(client: Any, target: S3Target) -> dict[str, tuple[int, str]]:
    """key -> (size, ETag without quotes) for every object under the target's prefix."""
    out: dict[str, tuple[int, str]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=target.key_prefix):
        for obj in page.get("Contents", []):
            out[obj["Key"]] = (int(obj["Size"]), obj.get("ETag", "").strip('"'))
    return out


def abort_stale_uploads(client: Any, target: S3Target) -> int:
    n = 0
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=target.bucket, Prefix=target.key_prefix):
        for up in page.get("Uploads", []):
            client.abort_multipart_upload(Bucket=target.bucket, Key=up["Key"], UploadId=up["UploadId"])
            n += 1
    return n


def _unchanged(
    client: Any, target: S3Target, f: PlannedFile, remote: dict[str, tuple[int, str]], local_sha: str
) -> bool:
    key = target.key(f.rel)
    if key not in remote:
        return False
    size, etag = remote[key]
    if size != f.path.stat().st_size:
        return False
    if etag and etag == expected_etag(f.path, target):
        return True
    head = client.head_object(Bucket=target.bucket, Key=key)
    return bool(head.get("Metadata", {}).get("sha256") == local_sha)


def _copy(client: Any, target: S3Target, source_key: str, f: PlannedFile, extra: dict[str, Any], config: Any) -> bool:
    """Copy an object the bucket already holds with these bytes to ``f``'s key (its own headers); False
    where the store cannot (the file is then uploaded)."""
    from botocore.exceptions import ClientError

    try:
        client.copy(
            {"Bucket": target.bucket, "Key": source_key},
            target.bucket,
            target.key(f.rel),
            ExtraArgs={**extra, "MetadataDirective": "REPLACE"},
            Config=config,
        )
    except ClientError:
        return False
    return True


def sync_s3(
    site_dir: Path,
    target: S3Target,
    *,
    client: Any = None,
    before: Hook | None = None,
    on_bytes: Callable[[PlannedFile, int], None] | None = None,
    cache: CachePolicy | None = None,
) -> SyncResult:
    """Upload the site to the bucket in plan order, skipping objects that are already there unchanged. A
    file that is one file on the site under two names (a briefing's ``video.mp4`` and its
    ``media/<sha256>.mp4``) is sent once: the second object is copied inside the bucket."""
    from boto3.exceptions import Boto3Error
    from boto3.s3.transfer import TransferConfig
    from botocore.exceptions import BotoCoreError, ClientError

    result = SyncResult(target.name)
    current = ""
    try:
        client = client or client_for(target)
        result.aborted_uploads = abort_stale_uploads(client, target)
        remote = remote_objects(client, target)
        config = TransferConfig(
            multipart_threshold=target.multipart_threshold,
            multipart_chunksize=target.multipart_chunksize,
            max_concurrency=target.max_concurrency,
            use_threads=target.max_concurrency > 1,
        )
        planned = plan(site_dir, cache=cache)
        sent: dict[tuple[int, int, str], str] = {}  # a site file (device, inode, SHA-256) -> its object's key
        for f in planned:
            current = f.rel
            local_sha = sha256_file(f.path)
            st = f.path.stat()
            same = (st.st_dev, st.st_ino, local_sha)
            if _unchanged(client, target, f, remote, local_sha):
                sent.setdefault(same, target.key(f.rel))
                result.skipped.append(f.rel)
                continue
            if before is not None:
                before(f)
            extra = {"ContentType": f.content_type, "CacheControl": f.cache_control, "Metadata": {"sha256": local_sha}}
            if f.content_disposition:
                extra["ContentDisposition"] = f.content_disposition
            callback = (lambda n, _f=f: on_bytes(_f, n)) if on_bytes is not None else None
            twin = sent.get(same)
            if twin is not None and _copy(client, target, twin, f, extra, config):
                result.copied.append(f.rel)
            else:
                client.upload_file(
                    str(f.path), target.bucket, target.key(f.rel), ExtraArgs=extra, Config=config, Callback=callback
                )
            sent.setdefault(same, target.key(f.rel))
            result.uploaded.append(f.rel)
        prefix = target.key_prefix
        present = [k[len(prefix) :] for k in remote if k.startswith(prefix)]
        for rel in stale(planned, present):
            current = rel
            client.delete_object(Bucket=target.bucket, Key=target.key(rel))
            result.removed.append(rel)
    except (BotoCoreError, ClientError, Boto3Error) as exc:
        where = f" at {current}" if current else ""
        raise TargetError(
            f"S3 target {target.name} (bucket {target.bucket}){where}: {_explain(exc, target)}", result=result
        ) from None
    except OSError as exc:
        raise TargetError(
            f"S3 target {target.name} (bucket {target.bucket}) at {current}: {exc.strerror or exc}", result=result
        ) from None
    return result
