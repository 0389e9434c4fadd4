"""Small file helpers: text hashing, atomic writes, linking. (Files are hashed by publish.files.)"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from publish.files import write_atomic


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


WORKSPACE_MODE = 0o600  # a briefing's workspace files: private, as mkstemp has always made them


def atomic_write_text(path: Path, text: str) -> Path:
    """A workspace file (UTF-8), written by the project's one atomic writer, publish.files.write_atomic,
    private (0600); published files are written 0644 by the publish stage through the same writer."""
    return write_atomic(path, text, mode=WORKSPACE_MODE)


def atomic_copy(src: Path, dest: Path) -> Path:
    """Hard-link src to dest when on the same filesystem, else copy; atomically either way."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    with _suppress():
        os.unlink(tmp)
    try:
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise
    return dest


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], OSError)  # type: ignore[arg-type]
