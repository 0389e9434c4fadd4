"""The project's one file hasher and one atomic writer (publish/files.py)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from publish.files import hash_file, sha256_file, write_atomic

ROOT = Path(__file__).resolve().parents[2]


def defining(*names: str) -> list[str]:
    """The modules of briefing/ and publish/ (publish/files.py aside) that define a function of these names."""
    offenders = []
    for pkg in ("briefing", "publish"):
        for f in (ROOT / pkg).rglob("*.py"):
            if f.name == "files.py" and f.parent.name == "publish":
                continue
            text = f.read_text(encoding="utf-8")
            if any(f"def {name}" in text for name in names):
                offenders.append(str(f.relative_to(ROOT)))
    return offenders


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
    assert defining("sha256_file", "hash_file", "_sha256_no_follow") == []


def test_one_atomic_writer_mode_text_and_failure(tmp_path):
    old = os.umask(0o077)  # the mode is the writer's, whatever the umask
    try:
        p = write_atomic(tmp_path / "sub" / "page.html", "Đà Nẵng\n")
        assert p == tmp_path / "sub" / "page.html"
        assert p.read_bytes() == "Đà Nẵng\n".encode()
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
        write_atomic(p, b"new", mode=0o600)
        assert p.read_bytes() == b"new" and stat.S_IMODE(p.stat().st_mode) == 0o600
    finally:
        os.umask(old)
    # a failed write (here: the path is a folder) leaves no temporary file behind
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "x").write_text("x")
    with pytest.raises(OSError) as err:
        write_atomic(tmp_path / "dir", b"data")
    assert str(tmp_path / "dir") in str(err.value)
    assert sorted(q.name for q in tmp_path.iterdir()) == ["dir", "sub"]


def test_workspace_files_are_written_private_by_the_same_writer(tmp_path):
    from briefing.core.fsutil import atomic_write_text

    p = atomic_write_text(tmp_path / "transcript.txt", "xin chào")
    assert p.read_text(encoding="utf-8") == "xin chào"
    assert stat.S_IMODE(p.stat().st_mode) == 0o600


def test_no_other_atomic_writer_in_the_application():
    assert defining("write_atomic", "atomic_write_bytes") == []


def test_copy_hashed_returns_the_hash_of_what_it_copied(tmp_path: Path) -> None:
    import hashlib

    from publish.files import copy_hashed

    src = tmp_path / "src.bin"
    src.write_bytes(bytes(range(256)) * 9000)  # more than one block
    got = copy_hashed(src, tmp_path / "dest.bin")
    assert got == (hashlib.sha256(src.read_bytes()).hexdigest(), src.stat().st_size)
    assert (tmp_path / "dest.bin").read_bytes() == src.read_bytes()
