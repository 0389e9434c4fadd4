"""The press pack: one ZIP per published version with everything a newsroom takes away.

``briefings/<id>/v<N>/<id>-v<N>-press-pack.zip`` holds, in one folder ``<id>-v<N>/``: the video (or the
audio of an audio-only briefing) and the audio, the poster, the captions (WebVTT, SRT, every
translation track), the transcript (text, JSON), the summary (Markdown), the release metadata, the
public signing key, and a signed manifest of exactly those files (``manifest.json`` + ``.sig``, the same
format as the release's). Unzipped, it verifies on its own::

    briefing verify <id>-v<N>/ --key <id>-v<N>/signing-key.pub   # then compare the fingerprint it prints
                                                                   # with the one the ministry publishes

and the ZIP itself, being a file of the release, is listed (with its SHA-256) in the release's signed
manifest, so ``briefing verify <id>-v<N>-press-pack.zip`` says AUTHENTIC like any downloaded file.

The ZIP is deterministic (fixed order, times and permissions): a version's pack is made once, when the
version is first published, and carried over byte for byte like the rest of ``v<N>/``.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from publish import manifest as pm
from publish.errors import PublishError

_STORED = {".mp4", ".m4a", ".jpg", ".zip"}  # already compressed


class PackError(PublishError):
    hint = "check the release's files exist and the site directory is writable"


def pack_name(release_id: str, version: int) -> str:
    return f"{release_id}-v{int(version)}-press-pack.zip"


def write_press_pack(
    dest: Path,
    files: Mapping[str, Path],
    *,
    metadata: dict[str, object],
    private_pem: bytes,
    folder: str,
    published_at: str = "",
) -> Path:
    """Write the ZIP at ``dest`` from ``files`` ({name in the pack: file on disk}), with a signed manifest
    of them and the public key. Atomic: a temporary name, then renamed."""
    dest = Path(dest)
    when = _zip_time(published_at)
    with tempfile.TemporaryDirectory(prefix=".pack-", dir=dest.parent) as tmp:
        root = Path(tmp) / folder
        root.mkdir()
        for name, src in sorted(files.items()):
            src = Path(src)
            if not src.is_file():
                raise PackError(f"the press pack's file {src} does not exist")
            try:
                (root / name).hardlink_to(src)
            except OSError:
                shutil.copyfile(src, root / name)
        (root / pm.PUBLIC_KEY_NAME).write_bytes(pm.public_key_pem(private_pem))
        pm.write_signed_manifest(root, metadata=dict(metadata), private_pem=private_pem)
        partial = dest.with_name(f".{dest.name}.tmp")
        with zipfile.ZipFile(partial, "w") as z:
            for p in sorted(root.iterdir(), key=lambda p: (p.name in (pm.MANIFEST_NAME, pm.SIGNATURE_NAME), p.name)):
                info = zipfile.ZipInfo(f"{folder}/{p.name}", date_time=when)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_STORED if p.suffix in _STORED else zipfile.ZIP_DEFLATED
                with open(p, "rb") as f, z.open(info, "w", force_zip64=p.stat().st_size > 2**31) as out:
                    shutil.copyfileobj(f, out, 1 << 20)
        partial.chmod(0o644)
        partial.replace(dest)
    return dest


def _zip_time(published_at: str) -> tuple[int, int, int, int, int, int]:
    try:
        dt = datetime.fromisoformat(published_at.replace("Z", "+00:00"))
    except ValueError:
        return (1980, 1, 1, 0, 0, 0)
    return (max(1980, dt.year), dt.month, dt.day, dt.hour, dt.minute, dt.second)
