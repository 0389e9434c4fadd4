"""Content-addressed cluster storage: a shared directory and S3 (moto's server on loopback)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from briefing.cluster import storage as cs
from briefing.core.errors import ClusterError
from tests.distfixtures import s3, s3_endpoint  # noqa: F401


def _stores(tmp_path: Path, s3_info) -> list[cs.Storage]:  # noqa: ANN001
    client, bucket, endpoint = s3_info
    return [
        cs.open_storage(str(tmp_path / "shared")),
        cs.open_storage(f"s3://{bucket}/cluster", endpoint_url=endpoint, region="us-east-1"),
    ]


def test_put_is_keyed_by_sha256_and_once(tmp_path: Path, s3) -> None:  # noqa: F811
    src = tmp_path / "a.wav"
    src.write_bytes(b"RIFF" + bytes(range(256)) * 100)
    want = hashlib.sha256(src.read_bytes()).hexdigest()
    for st in _stores(tmp_path, s3):
        key = st.put(src)
        assert key == want and st.exists(key)
        assert st.put(src) == key  # a second put is a no-op
        got = st.get(key, tmp_path / "out" / st.url.replace("/", "_"))
        assert got.read_bytes() == src.read_bytes()
        assert st.get_result("t1") is None
        st.put_result("t1", {"transcript": key})
        assert st.get_result("t1") == {"transcript": key}
    client, bucket, _ = s3
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys.count(f"cluster/objects/{want[:2]}/{want}") == 1


def test_a_damaged_object_is_refused(tmp_path: Path, s3) -> None:  # noqa: F811
    src = tmp_path / "a.bin"
    src.write_bytes(b"hello" * 1000)
    client, bucket, _ = s3
    d, s = _stores(tmp_path, s3)
    key = d.put(src)
    (tmp_path / "shared" / "objects" / key[:2] / key).write_bytes(b"evil")
    with pytest.raises(ClusterError, match="damaged"):
        d.get(key, tmp_path / "x")
    assert not (tmp_path / "x").exists()
    key = s.put(src)
    client.put_object(Bucket=bucket, Key=f"cluster/objects/{key[:2]}/{key}", Body=b"evil")
    with pytest.raises(ClusterError, match="damaged"):
        s.get(key, tmp_path / "y")


def test_bad_storage_urls_say_what_to_write() -> None:
    for bad in ("", "ftp://x/y", "s3://"):
        with pytest.raises(ClusterError):
            cs.open_storage(bad)


def test_a_finished_recordings_objects_are_deleted_and_leftovers_swept_by_age(tmp_path: Path, s3) -> None:  # noqa: F811
    import os
    import time

    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"a" * 5000)
    b.write_bytes(b"b" * 5000)
    for st in _stores(tmp_path, s3):
        ka, kb = st.put(a), st.put(b)
        assert st.put(b, kb) == kb  # a key the caller computed is taken as is
        with pytest.raises(ClusterError, match="not a content key"):
            st.put(b, "../../etc/passwd")
        st.put_result("t-a", {"audio": ka})
        assert st.delete([ka]) == 1 and not st.exists(ka) and st.exists(kb)
        st.delete([ka])  # gone already: nothing to do, and no error
        assert not st.exists(ka)
        assert st.sweep(3600) == (0, 0)  # nothing is an hour old: everything stays
        assert st.exists(kb) and st.get_result("t-a") == {"audio": ka}
        if isinstance(st, cs.DirStorage):  # an object last written two hours ago is a leftover
            old = time.time() - 7200
            os.utime(tmp_path / "shared" / "objects" / kb[:2] / kb, (old, old))
            assert st.sweep(3600) == (0, 1) and not st.exists(kb) and st.get_result("t-a") is not None
        else:
            assert st.sweep(0) == (1, 1)
            assert not st.exists(kb) and st.get_result("t-a") is None
