"""Copying a built press site to where readers get it: the upload plan, and a local-directory target.

The plan lists every file of the site in the order it must reach readers so that nobody ever sees a page
whose video or transcript is not there yet:

    0  static/ and signing-key.pub        what every page needs
    1  briefings/<id>/ media and downloads (video, audio, poster, transcripts, summary; media/<sha256>.<ext>
       and v<N>/ text copies)
    2  briefings/<id>/v<N>/ pages, release.json, then manifest.json.sig, manifest.json
    3  briefings/<id>/index.html          the latest page of each briefing
    4  index.html, briefings.json, feed.xml, atom.xml   the index and feeds, last

Each file carries its Content-Type, Cache-Control (long for media and for the immutable ``v<N>/`` copies
and ``media/`` files, which are named by their SHA-256,
short for pages, shortest for the index and feeds) and, for downloads, a Content-Disposition.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publish.errors import PublishError
from publish.files import make_dirs, sha256_file

MEDIA_TYPES: dict[str, str] = {
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".jpg": "image/jpeg",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".pub": "application/x-pem-file",
    ".sig": "text/plain; charset=utf-8",
    ".zip": "application/zip",
    ".csv": "text/csv; charset=utf-8",
    ".svg": "image/svg+xml",
}
DOWNLOAD_SUFFIXES = (".srt", ".vtt", ".txt", ".md")
DOWNLOAD_NAMES = ("transcript.json",)
MEDIA_SUFFIXES = (".mp4", ".m4a", ".jpg")
SITE_LAST = ("index.html", "briefings.json", "feed.xml", "atom.xml", "feed.json")
SITE_PAGES = ("archive", "figures", "schemas")  # site-wide pages rebuilt at each publication
_VERSION = re.compile(r"^v[0-9]+$")


@dataclass(frozen=True)
class CachePolicy:
    media: str = "public, max-age=604800"  # a week: video, audio, poster, downloads
    immutable: str = "public, max-age=31536000, immutable"  # v<N>/ copies never change
    page: str = "public, max-age=300"
    index: str = "public, max-age=60"
    static: str = "public, max-age=86400"


@dataclass(frozen=True)
class PlannedFile:
    rel: str  # path relative to the site root, forward slashes
    path: Path  # the file on disk
    rank: int  # upload group, see the module docstring
    content_type: str
    cache_control: str
    content_disposition: str | None = None


def content_type(name: str) -> str:
    return MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def _classify(rel: str, cache: CachePolicy) -> tuple[int, str, str | None]:
    parts = rel.split("/")
    name = parts[-1]
    if len(parts) == 1:
        if name in SITE_LAST:
            return 4, cache.index, None
        return 0, cache.static, None  # signing-key.pub and anything else at the root
    if parts[0] == "static":
        return 0, cache.static, None
    if parts[0] in SITE_PAGES:
        return 3, cache.index, None
    if parts[0] == "briefings" and len(parts) >= 3:
        bid = parts[1]
        in_version = len(parts) >= 4 and (_VERSION.match(parts[2]) is not None or parts[2] == "media")
        disposition = None
        if name.endswith(".zip"):  # the press pack: its name already says which briefing and version
            disposition = f'attachment; filename="{name}"'
        elif name.endswith(DOWNLOAD_SUFFIXES) or name in DOWNLOAD_NAMES:
            disposition = f'attachment; filename="{bid}-{name}"'
        elif name.endswith(MEDIA_SUFFIXES):
            disposition = f'inline; filename="{bid}-{name}"'
        if name.endswith(".html") or name == "release.json" or name.startswith("manifest.json"):
            if in_version:
                return 2, cache.immutable, None
            if name == "index.html":
                return 3, cache.page, None
            return 2, cache.page, None
        return 1, (cache.immutable if in_version else cache.media), disposition
    return 0, cache.static, None


def _within_rank(f: PlannedFile) -> tuple[Any, ...]:
    # In group 2: versions' pages, release.json, then the signature before the manifest it signs.
    name = f.rel.rsplit("/", 1)[-1]
    order = {"manifest.json.sig": 8, "manifest.json": 9}.get(name, 0)
    if f.rank == 4:
        order = SITE_LAST.index(name)
    return (order, f.rel)


def plan(site_dir: Path, *, cache: CachePolicy | None = None) -> list[PlannedFile]:
    """Every file of the site, in upload order (hidden files and the staging area left out)."""
    cache = cache or CachePolicy()
    site_dir = Path(site_dir)
    out = []
    for p in site_dir.rglob("*"):
        rel = p.relative_to(site_dir).as_posix()
        if not p.is_file() or any(part.startswith(".") for part in rel.split("/")):
            continue
        rank, cc, cd = _classify(rel, cache)
        out.append(PlannedFile(rel, p, rank, content_type(rel), cc, cd))
    out.sort(key=lambda f: (f.rank, *_within_rank(f)))
    return out


def stale(planned: list[PlannedFile], present: list[str]) -> list[str]:
    """Files a target holds inside ``briefings/<id>/`` of a briefing the site holds, that the site no longer
    has there (a version that dropped a file): removed after everything else is copied, so that the
    target holds exactly what each signed manifest lists. Nothing outside those directories is touched."""
    want = {f.rel for f in planned}
    ids = {rel.split("/")[1] for rel in want if rel.startswith("briefings/") and rel.count("/") >= 2}
    out = []
    for rel in present:
        parts = rel.split("/")
        if len(parts) >= 3 and parts[0] == "briefings" and parts[1] in ids and rel not in want:
            out.append(rel)
    return sorted(out)


@dataclass
class SyncResult:
    target: str
    uploaded: list[str] = field(default_factory=list)  # in the order they were sent
    copied: list[str] = field(default_factory=list)  # of those, the ones copied inside the target (S3)
    skipped: list[str] = field(default_factory=list)  # unchanged
    removed: list[str] = field(default_factory=list)  # files of a briefing that its latest version dropped
    aborted_uploads: int = 0  # leftover multipart uploads of an interrupted run, cleaned up

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "uploaded": len(self.uploaded),
            "skipped": len(self.skipped),
            "removed": len(self.removed),
            "aborted_uploads": self.aborted_uploads,
        }


class TargetError(PublishError):
    """A target could not be written; ``result`` says what was done before the failure."""

    hint = "fix the target (credentials, bucket, disk) and run `briefing publish ID` again; finished files are skipped"

    def __init__(self, message: str, *, result: SyncResult | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.result = result
        if hint is not None:
            self.hint = hint


Hook = Callable[[PlannedFile], None]


def _link_over(existing: Path, tmp: Path) -> bool:
    """Make ``tmp`` (a temporary name of ours) a hard link of ``existing``; False where that cannot be."""
    try:
        tmp.unlink()
        os.link(existing, tmp)
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class LocalTarget:
    path: Path
    name: str = "local"
    public_url: str = ""


def sync_local(
    site_dir: Path, target: LocalTarget, *, before: Hook | None = None, cache: CachePolicy | None = None
) -> SyncResult:
    """Copy the site into another directory (a web server's root), in plan order; unchanged files
    (same size and SHA-256) are left alone. Each file is written to a temporary name and renamed. Files
    that are one file on the site (hard links: a briefing's ``video.mp4`` and ``media/<sha256>.mp4``) are
    one file on the target too, where its filesystem allows."""
    result = SyncResult(target.name)
    dest_root = Path(target.path)
    hashes: dict[Path, str] = {}

    def digest(p: Path) -> str:
        if p not in hashes:
            hashes[p] = sha256_file(p)
        return hashes[p]

    def same_bytes(dest: Path, f: PlannedFile) -> bool:
        return (
            dest.is_file()
            and not dest.is_symlink()
            and dest.stat().st_size == f.path.stat().st_size
            and digest(dest) == digest(f.path)
        )

    try:
        make_dirs(dest_root)
        for leftover in dest_root.rglob(".*.tmp"):  # of a copy that was killed half-way
            if leftover.is_file():
                leftover.unlink()
        planned = plan(site_dir, cache=cache)
        names: dict[tuple[int, int], list[PlannedFile]] = {}  # a site file -> each name it has on the site
        for f in planned:
            st = f.path.stat()
            names.setdefault((st.st_dev, st.st_ino), []).append(f)
        for f in planned:
            dest = dest_root / f.rel
            if same_bytes(dest, f):
                if dest.stat().st_mode & 0o777 != 0o644:  # copied by another writer: the web server reads it
                    os.chmod(dest, 0o644)
                    make_dirs(dest.parent)
                result.skipped.append(f.rel)
                continue
            if before is not None:
                before(f)
            if not dest.parent.is_dir():
                make_dirs(dest.parent)
            st = f.path.stat()
            twin = next(
                (
                    dest_root / o.rel
                    for o in names.get((st.st_dev, st.st_ino), ())
                    if o.rel != f.rel and same_bytes(dest_root / o.rel, f)
                ),
                None,
            )
            fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
            os.close(fd)
            try:
                if not (twin is not None and _link_over(twin, Path(tmp))):
                    shutil.copyfile(f.path, tmp)
                    os.chmod(tmp, 0o644)
                os.replace(tmp, dest)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            hashes.pop(dest, None)
            result.uploaded.append(f.rel)
        present = (
            [p.relative_to(dest_root).as_posix() for p in (dest_root / "briefings").rglob("*") if p.is_file()]
            if (dest_root / "briefings").is_dir()
            else []
        )
        for rel in stale(planned, present):
            (dest_root / rel).unlink()
            result.removed.append(rel)
    except OSError as exc:
        raise TargetError(
            f"cannot write to {dest_root}: {exc.strerror or exc}",
            result=result,
            hint="check the directory exists and is writable",
        ) from None
    return result
