"""The archive and search tests' settings and store, and S3 with Object Lock (briefings: tests.factory)."""

from __future__ import annotations

import os

import pytest

from briefing.core.config import Settings, load_settings
from briefing.core.store import Store
from tests.distfixtures import s3_endpoint  # noqa: F401  (the fixture s3 needs)

BID = "2026-03-02-hop-bao-chinh-phu"


def env() -> tuple[Settings, Store]:
    settings = load_settings()
    return settings, Store(settings.store_path)


# -- S3 with Object Lock: moto's server mode (tests.distfixtures), reached through boto3 over HTTP (import the
# fixtures) ------------------------------------------------------------------------------------------------
@pytest.fixture
def s3(s3_endpoint, monkeypatch: pytest.MonkeyPatch):
    import boto3

    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"archive-{os.urandom(4).hex()}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    monkeypatch.setenv("BRIEFING_ARCHIVE_S3_BUCKET", bucket)
    monkeypatch.setenv("BRIEFING_ARCHIVE_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("BRIEFING_ARCHIVE_S3_REGION", "us-east-1")
    monkeypatch.setenv("BRIEFING_ARCHIVE_RETENTION_YEARS", "7")
    return client, bucket
