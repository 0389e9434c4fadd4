"""The project's one file hasher and one atomic writer (publish/files.py)."""

from __future__ import annotations

import hashlib
import os

import pytest

from publish.files import hash_file, sha256_file


def test_one_hasher_digest_size_and_links(tmp_path):
    data = os.urandom(3 * (1 << 20) + 17)  # more than one block
    p = tmp_path / "a.bin"
    p.write_bytes(data)
    want = hashlib.sha256(data).hexdigest()
    assert hash_file(p) == (want, len(data))
    assert sha256_file(str(p)) == want
    link = tmp_path / "link.bin"
    link.symlink_to(p)
    assert sha256_file(link) == want  # followed by default
    with pytest.raises(OSError):
        sha256_file(link, follow_symlinks=False)
    with pytest.raises(FileNotFoundError):
        sha256_file(tmp_path / "missing")


def test_no_other_file_hasher_in_the_application():
    """briefing/ and publish/ hash files only through publish.files (transcribe/ keeps its own: a library
    may not import another)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for pkg in ("briefing", "publish"):
        for f in (root / pkg).rglob("*.py"):
            if f.name == "files.py" and f.parent.name == "publish":
                continue
            text = f.read_text(encoding="utf-8")
            if "def sha256_file" in text or "def hash_file" in text or "def _sha256_no_follow" in text:
                offenders.append(str(f.relative_to(root)))
    assert offenders == []
