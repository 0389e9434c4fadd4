"""The archive and search tests' settings and store, and S3 with Object Lock (briefings: tests.factory)."""

from __future__ import annotations

import os

import pytest

from briefing.core.config import Settings, load_settings
from briefing.core.store import Store
from tests.net import free_port

BID = "2026-03-02-hop-bao-chinh-phu"


def env() -> tuple[Settings, Store]:
    settings = load_settings()
    return settings, Store(settings.store_path)


# -- S3 with Object Lock: moto's server mode, reached through boto3 over HTTP (import the fixtures) ---------
@pytest.fixture(scope="module")
def moto_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(moto_server, monkeypatch: pytest.MonkeyPatch):
    import boto3

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"archive-{os.urandom(4).hex()}"
    client = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    monkeypatch.setenv("BRIEFING_ARCHIVE_S3_BUCKET", bucket)
    monkeypatch.setenv("BRIEFING_ARCHIVE_S3_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("BRIEFING_ARCHIVE_S3_REGION", "us-east-1")
    monkeypatch.setenv("BRIEFING_ARCHIVE_RETENTION_YEARS", "7")
    return client, bucket
