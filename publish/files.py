"""Published files: written atomically (temporary name in the same folder, fsync, rename), world-readable
(files 0644, directories 0755, whatever the umask); hashed in one pass (SHA-256 and size).

The project's one file hasher (:func:`hash_file`, :func:`sha256_file`, :func:`copy_hashed`) and one atomic writer
(:func:`write_atomic`): the application (``briefing/``) uses these too."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def make_dirs(path: Path, *, mode: int = 0o755) -> None:
    """Make a published directory and its missing parents, ``mode`` (0755: the web server lists and reads
    them) whatever the umask; an existing ``path`` is given that mode too."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    path.mkdir(parents=True, exist_ok=True)
    for d in missing:
        os.chmod(d, mode)
    if (path.stat().st_mode & 0o7777) != mode:
        os.chmod(path, mode)


def write_atomic(path: Path, data: bytes | str, *, mode: int = 0o644) -> Path:
    """Write ``data`` (text is written as UTF-8) to ``path`` so that a reader sees the old file or the new
    one, never half of one: a temporary name in the same folder, fsync, then a rename. The file gets ``mode``
    (0644 by default: published, readable by the web server), whatever the umask. A failed write leaves
    nothing behind, and its OSError names ``path``. Returns ``path``."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None and not exc.filename:
            exc.filename = str(path)  # a failed write (a full disk) names no file: name the one meant
        raise
    return path


def hash_file(path: Path | str, *, follow_symlinks: bool = True) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read once in 1 MiB blocks. With ``follow_symlinks=False`` a
    symbolic link at ``path`` itself is refused (OSError) rather than followed."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    h = hashlib.sha256()
    size = 0
    with os.fdopen(os.open(path, flags), "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def copy_hashed(src: Path | str, dest: Path | str) -> tuple[str, int]:
    """Copy ``src`` to ``dest`` and return the SHA-256 (hex) and size of the bytes written, read once: the
    copy is checked by what was copied, not by a second read of the source."""
    h = hashlib.sha256()
    size = 0
    with open(src, "rb") as f, open(dest, "wb") as out:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def sha256_file(path: Path | str, *, follow_symlinks: bool = True) -> str:
    """SHA-256 (hex) of a file: :func:`hash_file` without the size."""
    return hash_file(path, follow_symlinks=follow_symlinks)[0]
