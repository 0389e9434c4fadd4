"""The static press site: one page per briefing, an index, RSS/Atom feeds and a JSON index.

Layout of a site directory::

    index.html                 every briefing, newest first
    feed.xml  atom.xml         RSS 2.0 and Atom feeds (one item per briefing, enclosure = the recording)
    briefings.json             JSON index: every briefing's metadata and file URLs, newest first
    static/                    style.css, briefing.js (no external resources of any kind)
    briefings/<id>/
        index.html             the latest version of the briefing's page
        release.json           metadata + manifest {role: {name, sha256, size}} of the latest version
        video.mp4 | audio.m4a  poster.jpg  transcript.{srt,vtt,txt,json}  summary.md  captions.<lang>.vtt
        media/<sha256>.<ext>   every media file (video, audio, poster) of every published version, named by
                               its SHA-256: hard links of the same file, so media that did not change take
                               no more room; never removed, never replaced
        v<N>/                  every published version N: index.html, release.json and its text artefacts
                               (transcript.*, summary.md, captions.*); its page plays its own media from
                               ``../media/`` (a page kept from before media/ existed plays ``../video.mp4``)

Publishing is atomic per briefing. The new directory is built (and, through ``finalize``, signed) under
``.staging/<id>-<random>/`` on the same filesystem and then swapped in: with
``renameat2(RENAME_EXCHANGE)`` where Linux offers it (one atomic step), else by renaming the old
directory away and the new one in. Whatever the moment of a crash, a briefing's directory is either
entirely the old one or entirely the new one; if a crash falls between the two renames of the fallback,
the next run puts the old directory back before doing anything else. Leftover ``.staging`` directories
are removed on the next run. A published version is immutable: every ``v<N>/`` is carried into the new
directory byte for byte (hard links), never rendered again, and a version number is never given to other
content; the media it plays stay under ``media/`` (listed, like every file, by the signed manifest), so a
new recording under the same id (version N+1) changes neither what v<N>/ plays nor what its downloads
verify against. Published files are 0644 and directories 0755, whatever the umask. Site-wide files are each
written to a temporary name and renamed over the old one. Writers of one site directory take turns
through an advisory lock on ``<site>/.lock``. Dot-names (``.lock``, ``.staging``) are working files: copy
or upload the site without them.

Feed URLs: with ``SiteOptions.base_url`` every link and enclosure in the feeds is absolute. Without it they
are *relative to the site root* (``briefings/<id>/``), which is what a reader resolving against the feed's
own URL needs; no ``file://`` URL is ever written. Atom ids are ``urn:briefing:<id>`` either way, so they
do not change when a site moves.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from publish import i18n
from publish.errors import PublishError
from publish.files import hash_file, write_atomic
from publish.files import make_dirs as _mkdirs
from publish.types import Release, SiteOptions

# The name each role's file gets on the site.
ROLE_NAMES: dict[str, str] = {
    "video": "video.mp4",
    "audio": "audio.m4a",
    "poster": "poster.jpg",
    "srt": "transcript.srt",
    "vtt": "transcript.vtt",
    "txt": "transcript.txt",
    "json": "transcript.json",
    "summary": "summary.md",
}
# Roles whose files are kept per version under v<N>/ (its media are kept by content under media/).
TEXT_ROLES = ("srt", "vtt", "txt", "json", "summary")
# Roles whose files are also kept by content under media/<sha256>.<ext> (what v<N>/ pages play).
MEDIA_ROLES = ("video", "audio", "poster")
MEDIA_DIR = "media"
_MEDIA_NAMES = frozenset(ROLE_NAMES[r] for r in MEDIA_ROLES)
MEDIA_TYPES: dict[str, str] = {
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".jpg": "image/jpeg",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
    ".txt": "text/plain",
    ".json": "application/json",
    ".md": "text/markdown",
    ".html": "text/html",
    ".xml": "application/xml",
    ".css": "text/css",
    ".js": "text/javascript",
}
DOWNLOAD_ORDER = ("video", "audio", "srt", "vtt", "txt", "json", "summary")
LOW_CONFIDENCE = 0.5
STAGING = ".staging"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_VERSION_DIR_RE = re.compile(r"^v([0-9]+)$")


class SiteError(PublishError):
    """The site cannot be written (bad release, missing file, unwritable directory)."""

    hint: str = "check the release's files exist and the site directory is writable"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(" ".join(str(message).split()))
        if hint is not None:
            self.hint = hint


@dataclass(frozen=True)
class PublishedFile:
    path: str  # relative to the site root, with forward slashes
    sha256: str
    size: int


@dataclass(frozen=True)
class PublishedRelease:
    id: str
    version: int
    page: Path  # the briefing's index.html on disk
    url: str  # the page's URL relative to the site root: briefings/<id>/
    urls: dict[str, str]  # role -> URL relative to the site root (plus "page", "release", "version_page")
    files: tuple[PublishedFile, ...]  # every file of the briefing's directory and the site-wide files written
    removed: tuple[str, ...] = ()  # files of the previous version that the site no longer has
    absolute_urls: dict[str, str] = field(default_factory=dict)  # the same with base_url, when it is set
    warnings: tuple[str, ...] = ()  # what the reader should fix (e.g. no base_url); the caller shows them once


# --------------------------------------------------------------------------------------------- publishing


def publish_release(
    site_dir: Path,
    release: Release,
    options: SiteOptions,
    *,
    finalize: Callable[[Path], object] | None = None,
    on_step: Callable[[str], None] | None = None,
    pack_key: bytes | None = None,
) -> PublishedRelease:
    """Write (or replace) one briefing's directory atomically, then regenerate the indexes and feeds.

    ``finalize(directory)`` is called on the complete new directory before it is switched in (the caller
    signs it there, so that the release appears signed or not at all). ``on_step(name)`` is called at each
    step: ``copy:<file>`` before each file is placed, ``built``, ``finalized``, ``switched``.
    ``pack_key`` (an Ed25519 private key, PEM): a new version gets its press pack (``v<N>/…-press-pack.zip``,
    :mod:`publish.pack`), signed with it.

    Without ``options.base_url`` the result's ``warnings`` say that the pages cannot be shared (no
    canonical URL, no preview card) and that the feeds' links are relative.

    An earlier version's ``v<N>/`` copy is carried over byte for byte, never rebuilt. Publishing version N
    again with the same content only renders the latest page again (with N's own publication time);
    with different content it is refused: a change is a new version.

    Raises :class:`SiteError` for a release that cannot be published (bad id, missing file, a version older
    than the one already on the site, a published version with other content). Concurrent calls on one
    site directory wait for each other.
    """
    site_dir = Path(site_dir)
    _check_release(release)
    _mkdirs(site_dir)
    with _site_lock(site_dir):
        return _publish_locked(site_dir, release, options, finalize, on_step or (lambda _name: None), pack_key)


NO_BASE_URL = (
    "site.base_url is not set: the pages have no canonical URL and no preview card when shared, and "
    "the feeds' links are relative; set it to the site's public URL (e.g. https://press.gov.example/)"
)


def _publish_locked(
    site_dir: Path,
    release: Release,
    options: SiteOptions,
    finalize: Callable[[Path], object] | None,
    on_step: Callable[[str], None],
    pack_key: bytes | None = None,
) -> PublishedRelease:
    recover(site_dir)
    briefings = site_dir / "briefings"
    _mkdirs(briefings)
    target = briefings / release.id
    current = _read_json(target / "release.json") if target.is_dir() else {}
    if int(current.get("version", 0) or 0) > release.version:
        raise SiteError(
            f"release {release.id} is already published as version {current['version']}; "
            f"version {release.version} would go back in time",
            hint="publish a correction as a new, higher version (earlier versions stay reachable under v<N>/)",
        )
    kept = _read_json(target / f"v{release.version}" / "release.json") if target.is_dir() else {}
    if kept:
        differ = changes(kept, release_metadata(release), ignore=("published_at", "updated_at"))
        if differ:
            raise SiteError(
                f"release {release.id} version {release.version} is already published with other content "
                f"({', '.join(differ)}); a published version never changes",
                hint=f"publish the change as version {int(current.get('version', release.version) or 0) + 1}",
            )
        if kept.get("published_at") and kept["published_at"] != release.published_at:
            release = _replace(release, published_at=kept["published_at"])
    staging_root = site_dir / STAGING
    staging_root.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{release.id}-", dir=staging_root))
    try:
        old_manifest = current.get("files", {})
        old_files = _list_files(target) if target.is_dir() else set()
        meta = _build(staging, target if target.is_dir() else None, old_manifest, release, options, on_step, pack_key)
        normalize_modes(staging)
        on_step("built")
        if finalize is not None:
            finalize(staging)
            normalize_modes(staging)
        on_step("finalized")
        _swap_in(staging, target, staging_root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    on_step("switched")
    try:
        staging_root.rmdir()  # only when empty: nothing of a publication is left in it
    except OSError:
        pass
    site_files = _rebuild_locked(site_dir, options)

    prefix = f"briefings/{release.id}/"
    new_files = _list_files(target)
    written = [_published(site_dir, target / rel, prefix + rel) for rel in sorted(new_files)]
    written += site_files
    urls = {role: prefix + info["name"] for role, info in meta["files"].items()}
    urls["page"] = prefix
    urls["release"] = prefix + "release.json"
    urls["version_page"] = f"{prefix}v{release.version}/"
    absolute = {k: _absolute(options.base_url, v) for k, v in urls.items()} if options.base_url else {}
    return PublishedRelease(
        id=release.id,
        version=release.version,
        page=target / "index.html",
        url=prefix,
        urls=urls,
        files=tuple(written),
        removed=tuple(sorted(prefix + rel for rel in old_files - new_files)),
        absolute_urls=absolute,
        warnings=() if options.base_url else (NO_BASE_URL,),
    )


def recover(site_dir: Path) -> None:
    """Finish or undo what a crashed run left behind: restore a briefing moved away, drop staging dirs."""
    # Temporary files of an interrupted atomic write (".<name>.<random>.tmp").
    for folder in (Path(site_dir), Path(site_dir) / "static"):
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
    staging_root = Path(site_dir) / STAGING
    if not staging_root.is_dir():
        return
    briefings = Path(site_dir) / "briefings"
    for entry in sorted(staging_root.iterdir()):
        if entry.name.endswith(".old") and entry.is_dir():
            # A crash between "rename old away" and "rename new in": put the old one back.
            old_id = _read_json(entry / "release.json").get("id")
            if old_id and not (briefings / old_id).exists():
                briefings.mkdir(exist_ok=True)
                os.rename(entry, briefings / old_id)
                continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _check_release(release: Release) -> None:
    if not _ID_RE.match(release.id or ""):
        raise SiteError(
            f"release id {release.id!r} cannot be used as a directory name",
            hint="use letters, digits, dot, dash and underscore only (e.g. 2026-11-25)",
        )
    if release.version < 1:
        raise SiteError(f"release {release.id}: version must be 1 or more, not {release.version}")
    unknown = set(release.files) - set(ROLE_NAMES)
    if unknown:
        raise SiteError(f"release {release.id}: unknown file roles {sorted(unknown)}", hint=f"use {sorted(ROLE_NAMES)}")
    if "video" not in release.files and "audio" not in release.files:
        raise SiteError(f"release {release.id} has neither a video nor an audio file")
    for role, path in list(release.files.items()) + [(f"track {t[0]}", t[2]) for t in release.extra_tracks]:
        if not Path(path).is_file():
            raise SiteError(f"release {release.id}: the {role} file {path} does not exist")


def has_cue_text(path: Path) -> bool:
    """True when the WebVTT file has at least one cue with text: an empty track (a machine translation
    that came out with nothing in it) is never offered to readers."""
    try:
        body = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    for block in re.split(r"\n\s*\n", body.replace("\r\n", "\n")):
        lines = [x.strip() for x in block.split("\n")]
        for i, line in enumerate(lines):
            if "-->" in line:
                if any(rest for rest in lines[i + 1 :]):
                    return True
                break
    return False


def _offered_tracks(release: Release) -> tuple[list[tuple[str, str, Path]], list[dict[str, str]]]:
    """The release's extra tracks that have text, and those withheld (with why) for the page to say."""
    offered, withheld = [], []
    for language, label, path in release.extra_tracks:
        if has_cue_text(Path(path)):
            offered.append((language, label, Path(path)))
        else:
            withheld.append({"language": language, "label": label, "reason": "empty"})
    return offered, withheld


def _track_name(language: str) -> str:
    return "captions." + (re.sub(r"[^A-Za-z0-9-]", "", language) or "x") + ".vtt"


def _build(
    staging: Path,
    old_dir: Path | None,
    old_manifest: dict[str, Any],
    release: Release,
    options: SiteOptions,
    on_step: Callable[[str], None] = lambda _name: None,
    pack_key: bytes | None = None,
) -> dict[str, Any]:
    """Fill ``staging`` with the complete new directory of the briefing; return the release metadata."""
    manifest: dict[str, dict[str, Any]] = {}
    # 1. The release's files, hard-linked from the previous version when unchanged.
    for role in ROLE_NAMES:
        if role not in release.files:
            continue
        name = ROLE_NAMES[role]
        on_step(f"copy:{name}")
        manifest[role] = _place(Path(release.files[role]), staging / name, old_dir, old_manifest.get(role), name)
    _keep_media(staging, old_dir, old_manifest, manifest, on_step)
    tracks = []
    offered, withheld = _offered_tracks(release)
    for language, label, path in offered:
        name = _track_name(language)
        on_step(f"copy:{name}")
        info = _place(Path(path), staging / name, old_dir, old_manifest.get(f"track:{language}"), name)
        manifest[f"track:{language}"] = info
        tracks.append({"language": language, "label": label, "name": name})

    # 2. Earlier versions, and this one when it is already published: carried over byte for byte (hard
    # links). A published version is never rendered again.
    versions: list[dict[str, Any]] = []
    if old_dir is not None:
        for entry in sorted(old_dir.iterdir()):
            m = _VERSION_DIR_RE.match(entry.name)
            if m and entry.is_dir() and (entry / "release.json").is_file():
                on_step(f"copy:{entry.name}/")
                _link_tree(entry, staging / entry.name)
    for entry in staging.iterdir():
        m = _VERSION_DIR_RE.match(entry.name)
        if m:
            vmeta = _read_json(entry / "release.json")
            versions.append({"version": int(m.group(1)), "published_at": vmeta.get("published_at", "")})
    if release.version not in {v["version"] for v in versions}:
        versions.append({"version": release.version, "published_at": release.published_at})
    versions.sort(key=lambda v: v["version"])

    meta = _metadata(release, manifest, tracks, versions, withheld)

    # 3. This version's own copy: text artefacts, release.json, and a page that plays its media from
    # ../media/<sha256>.<ext> (which no later version replaces).
    page_context: dict[str, Any] = dict(release=release, meta=meta, options=options)
    vdir = staging / f"v{release.version}"
    if not vdir.is_dir():
        vdir.mkdir()
        for role in TEXT_ROLES:
            if role in manifest:
                _link_or_copy(staging / manifest[role]["name"], vdir / manifest[role]["name"])
        for track in tracks:
            _link_or_copy(staging / track["name"], vdir / track["name"])
        if pack_key is not None:
            on_step("copy:press-pack")
            _press_pack(staging, vdir, release, meta, manifest, tracks, pack_key)
        _add_pack(meta, vdir, release)
        _write_json(vdir / "release.json", meta)
        (vdir / "index.html").write_text(_render_briefing(**page_context, archived=True), encoding="utf-8")
    _add_pack(meta, vdir, release)

    # 4. The latest page and its release.json, the embeddable player and its oEmbed answer.
    _write_json(staging / "release.json", meta)
    (staging / "index.html").write_text(_render_briefing(**page_context, archived=False), encoding="utf-8")
    from publish import share

    (staging / share.EMBED_NAME).write_text(
        _render_embed(release=release, meta=meta, options=options), encoding="utf-8"
    )
    _write_json(staging / share.OEMBED_NAME, share.oembed(meta, options))
    return meta


def _press_pack(
    staging: Path,
    vdir: Path,
    release: Release,
    meta: dict[str, Any],
    manifest: dict[str, dict[str, Any]],
    tracks: list[dict[str, Any]],
    key: bytes,
) -> None:
    from publish import pack

    files = {manifest[r]["name"]: staging / manifest[r]["name"] for r in ROLE_NAMES if r in manifest}
    files.update({tr["name"]: staging / tr["name"] for tr in tracks})
    rel_json = vdir.parent / ".pack-release.json"
    _write_json(rel_json, meta)
    files["release.json"] = rel_json
    try:
        pack.write_press_pack(
            vdir / pack.pack_name(release.id, release.version),
            files,
            metadata={
                k: meta.get(k)
                for k in ("id", "title", "date", "language", "version", "published_at", "duration", "media_kind")
            },
            private_pem=key,
            folder=f"{release.id}-v{release.version}",
            published_at=release.published_at,
        )
    finally:
        rel_json.unlink(missing_ok=True)


def _add_pack(meta: dict[str, Any], vdir: Path, release: Release) -> None:
    """``press_pack`` in the metadata: the version's ZIP, when it has one (name relative to the briefing)."""
    from publish import pack

    name = pack.pack_name(release.id, release.version)
    path = vdir / name
    if path.is_file():
        digest, size = hash_file(path)
        meta["press_pack"] = {"name": f"{vdir.name}/{name}", "sha256": digest, "size": size}


def _metadata(
    release: Release,
    manifest: dict[str, dict[str, Any]],
    tracks: list[dict[str, Any]],
    versions: list[dict[str, Any]],
    withheld: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    summary = release.summary.to_dict()
    extra = {"withheld_tracks": withheld} if withheld else {}  # absent when none: older releases unchanged
    return extra | {
        "id": release.id,
        "title": release.title,
        "date": release.date,
        "language": release.language,
        "speakers": list(release.speakers),
        "version": release.version,
        "published_at": release.published_at,
        "updated_at": _updated_at(release.published_at, [c.date for c in release.corrections]),
        "corrections": [{"date": c.date, "note": c.note, "version": c.version} for c in release.corrections],
        "duration": round(float(release.duration), 3),
        "media_kind": release.media_kind,
        "files": {role: {k: info[k] for k in ("name", "sha256", "size")} for role, info in manifest.items()},
        "tracks": tracks,
        "versions": versions,
        "summary": summary,
        "key_figures": summary.get("key_figures", []),
        "headline": _headline(release),
        "transcript": {
            "language": release.transcript.language,
            "model": release.transcript.model,
            "engine": release.transcript.engine,
            "confidence": round(release.transcript.confidence, 4),
            "segments": len(release.transcript.segments),
        },
    }


def _headline(release: Release) -> str:
    """One line for the index and the feeds: the first summary sentence (or the start of the transcript)."""
    if release.summary.no_speech:
        return ""
    text = release.summary.sentences[0].text if release.summary.sentences else release.transcript.text
    text = " ".join(text.split())
    return text if len(text) <= 240 else text[:237].rsplit(" ", 1)[0] + "…"


def _updated_at(published_at: str, correction_dates: Iterable[str]) -> str:
    stamps = [s for s in [published_at, *correction_dates] if s]
    if not stamps:
        return ""
    return max(stamps, key=lambda s: _to_datetime(s, "1970-01-01"))


def release_metadata(release: Release) -> dict[str, Any]:
    """What :func:`publish_release` would write as the release's metadata (without ``versions``), computed
    from the release's files: for comparing a release with a published one (:func:`changes`)."""
    manifest: dict[str, dict[str, Any]] = {}
    for role in ROLE_NAMES:
        if role in release.files:
            digest, size = hash_file(Path(release.files[role]))
            manifest[role] = {"name": ROLE_NAMES[role], "sha256": digest, "size": size}
    tracks = []
    offered, withheld = _offered_tracks(release)
    for language, label, path in offered:
        digest, size = hash_file(Path(path))
        manifest[f"track:{language}"] = {"name": _track_name(language), "sha256": digest, "size": size}
        tracks.append({"language": language, "label": label, "name": _track_name(language)})
    return _metadata(release, manifest, tracks, [], withheld)


def published_metadata(site_dir: Path, release_id: str) -> dict[str, Any]:
    """The metadata of the version of a briefing that the site holds now ({} when it holds none)."""
    if not _ID_RE.match(release_id or ""):
        return {}
    meta = _read_json(Path(site_dir) / "briefings" / release_id / "release.json")
    return meta if meta.get("id") == release_id else {}


_NOT_CONTENT = ("versions", "press_pack")


def changes(old: dict[str, Any], new: dict[str, Any], *, ignore: Iterable[str] = ()) -> list[str]:
    """What differs between two releases' metadata: ``files:<role>`` for each file added, removed or
    changed, and the name of each other field that differs (``versions`` and ``ignore`` left out)."""
    skip = set(_NOT_CONTENT) | set(ignore)
    out = []
    old_files, new_files = old.get("files", {}) or {}, new.get("files", {}) or {}
    if "files" not in skip:
        for role in sorted(set(old_files) | set(new_files)):
            a, b = old_files.get(role), new_files.get(role)
            if (a or {}).get("sha256") != (b or {}).get("sha256") or (a or {}).get("name") != (b or {}).get("name"):
                out.append(f"files:{role}")
    for key in sorted((set(old) | set(new)) - skip - {"files"}):
        if _canonical(old.get(key)) != _canonical(new.get(key)):
            out.append(key)
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def normalize_modes(root: Path, *, skip_hidden: bool = False) -> None:
    """Every file under ``root`` 0644 and every directory 0755 (the web server reads them), whatever the
    umask or the writer (mkstemp makes files 0600, mkdtemp directories 0700). Links are left alone;
    with ``skip_hidden``, so are dot-names (the site's working files)."""
    root = Path(root)
    if root.is_dir() and not root.is_symlink() and stat.S_IMODE(root.stat().st_mode) != 0o755:
        os.chmod(root, 0o755)
    for dirpath, dirnames, filenames in os.walk(root):
        if skip_hidden:
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            filenames = [f for f in filenames if not f.startswith(".")]
        for name in dirnames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p) and stat.S_IMODE(os.lstat(p).st_mode) != 0o755:
                os.chmod(p, 0o755)
        for name in filenames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p) and stat.S_IMODE(os.lstat(p).st_mode) != 0o644:
                os.chmod(p, 0o644)


def media_path(info: dict[str, Any]) -> str:
    """Where a media file is kept by content, relative to the briefing's directory:
    ``media/<sha256>.<ext>`` (``info``: a release.json file entry, with ``name`` and ``sha256``)."""
    return f"{MEDIA_DIR}/{info['sha256']}{Path(info['name']).suffix}"


def _keep_media(
    staging: Path,
    old_dir: Path | None,
    old_manifest: dict[str, Any],
    manifest: dict[str, dict[str, Any]],
    on_step: Callable[[str], None],
) -> None:
    """Fill ``staging/media/``: every media file kept there before (byte for byte), the previous version's
    media (a site from before media/ existed kept them only one level up), and this version's; each a hard
    link of a file already placed, never a second copy."""
    media = staging / MEDIA_DIR
    old_media = old_dir / MEDIA_DIR if old_dir is not None else None
    if old_media is not None and old_media.is_dir():
        on_step(f"copy:{MEDIA_DIR}/")
        _link_tree(old_media, media)
    else:
        media.mkdir()
    wanted: list[tuple[Path, dict[str, Any], bool]] = []  # (file, its entry, whether to check its bytes)
    if old_dir is not None:
        for role in MEDIA_ROLES:
            info = old_manifest.get(role)
            if info and info.get("name") == ROLE_NAMES[role] and info.get("sha256"):
                wanted.append((old_dir / info["name"], info, True))
    for role in MEDIA_ROLES:
        if role in manifest:
            wanted.append((staging / manifest[role]["name"], manifest[role], False))
    for src, info, check in wanted:
        dst = staging / media_path(info)
        if dst.exists() or src.is_symlink() or not src.is_file() or src.stat().st_size != info.get("size"):
            continue
        if check and hash_file(src)[0] != info["sha256"]:
            continue  # not the bytes its version published: nothing to keep
        on_step(f"copy:{media_path(info)}")
        _link_or_copy(src, dst)


def _place(src: Path, dst: Path, old_dir: Path | None, old_info: dict[str, Any] | None, name: str) -> dict[str, Any]:
    digest, size = hash_file(src)
    candidates = []
    if old_dir is not None and old_info and old_info.get("sha256") == digest and old_info.get("name") == name:
        candidates.append(old_dir / name)
    if old_dir is not None and name in _MEDIA_NAMES:  # the same media kept by an earlier version
        candidates.append(old_dir / media_path({"name": name, "sha256": digest}))
    previous = next((c for c in candidates if c.is_file() and not c.is_symlink() and c.stat().st_size == size), None)
    if previous is not None:
        _link_or_copy(previous, dst)
    else:
        shutil.copy2(src, dst)
        os.chmod(dst, 0o644)
    return {"name": name, "sha256": digest, "size": size}


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _link_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, copy_function=lambda s, d: _link_or_copy(Path(s), Path(d)))


# The swap. ``_exchange`` is the atomic path; ``_swap_in`` falls back to two renames.

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two directories (Linux renameat2). False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(staging: Path, target: Path, staging_root: Path) -> None:
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the old directory
        return
    away = staging_root / f"{target.name}-{secrets.token_hex(4)}.old"
    os.rename(target, away)
    os.rename(staging, target)
    shutil.rmtree(away, ignore_errors=True)


# ----------------------------------------------------------------------------------- indexes and feeds


def rebuild_indexes(site_dir: Path, options: SiteOptions) -> list[PublishedFile]:
    """Regenerate index.html, feed.xml, atom.xml, briefings.json and static/ from every release.json."""
    site_dir = Path(site_dir)
    site_dir.mkdir(parents=True, exist_ok=True)
    with _site_lock(site_dir):
        return _rebuild_locked(site_dir, options)


def _rebuild_locked(site_dir: Path, options: SiteOptions) -> list[PublishedFile]:
    metas = load_releases(site_dir)
    newest = metas[: max(1, int(options.feed_size))]
    written: list[PublishedFile] = []

    for name, data in _static_files():
        written.append(_write_atomic(site_dir, f"static/{name}", data))

    env = _env()
    ui = i18n.ui_language(options.language)
    t = i18n.strings(ui)
    common = dict(options=options, lang=ui, t=t, site_title=i18n.site_title(options.title, ui), site_lang=ui)
    months = _archive_months(metas)
    html = env.get_template("index.html").render(
        **common,
        briefings=[_index_entry(m, ui) for m in newest],
        older=len(metas) > len(newest),
        months=months,
        root="",
    )
    written.append(_write_atomic(site_dir, "index.html", html.encode("utf-8")))
    if not (site_dir / SEARCH_PAGE).exists():  # every header links to it; the application writes the real one
        page = env.get_template("search_stub.html").render(**common, root="")
        written.append(_write_atomic(site_dir, SEARCH_PAGE, page.encode("utf-8")))
    written += _write_archive(site_dir, metas, months, common)
    written.append(_write_atomic(site_dir, "feed.xml", _rss(newest, options)))
    written.append(_write_atomic(site_dir, "atom.xml", _atom(newest, options)))
    written.append(_write_atomic(site_dir, "feed.json", _json_feed(newest, options)))
    written.append(_write_atomic(site_dir, "briefings.json", _json_index(metas, options)))
    from publish import figures, schemas

    written += [_write_atomic(site_dir, rel, data) for rel, data in schemas.files()]
    page = env.get_template("schemas.html").render(**common, root="../", schemas=schemas.listing())
    written.append(_write_atomic(site_dir, f"{schemas.SCHEMA_DIR}/index.html", page.encode("utf-8")))
    written += [_write_atomic(site_dir, rel, data) for rel, data in figures.site_files(metas, options, common, env)]
    normalize_modes(site_dir, skip_hidden=True)  # also what other writers left (search page, live pages)
    return written


ARCHIVE_DIR = "archive"
SEARCH_PAGE = "search.html"


def _archive_months(metas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every year-month with briefings, newest first: {"ym", "year", "month", "count", "url"}."""
    counts: dict[str, int] = {}
    for m in metas:
        ym = str(m.get("date", ""))[:7]
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}", ym):
            counts[ym] = counts.get(ym, 0) + 1
    return [
        {"ym": ym, "year": ym[:4], "month": ym[5:], "count": n, "url": f"{ARCHIVE_DIR}/{ym[:4]}/{ym[5:]}/"}
        for ym, n in sorted(counts.items(), reverse=True)
    ]


def _write_archive(
    site_dir: Path, metas: list[dict[str, Any]], months: list[dict[str, Any]], common: dict[str, Any]
) -> list[PublishedFile]:
    """archive/index.html (by year, then month) and archive/<year>/<month>/index.html (that month's
    briefings); a month that no longer has any briefing is removed."""
    env = _env()
    ui = common["lang"]
    written = []
    years: dict[str, list[dict[str, Any]]] = {}
    for mo in months:
        years.setdefault(mo["year"], []).append(
            {**mo, "name": i18n.month_name(mo["ym"], ui), "href": f"{mo['year']}/{mo['month']}/"}
        )
    page = env.get_template("archive.html").render(
        **common, root="../", years=sorted(years.items(), reverse=True), month=None, briefings=[]
    )
    written.append(_write_atomic(site_dir, f"{ARCHIVE_DIR}/index.html", page.encode("utf-8")))
    keep = set()
    for mo in months:
        entries = [_index_entry(m, ui, root="../../../") for m in metas if str(m.get("date", ""))[:7] == mo["ym"]]
        page = env.get_template("archive.html").render(
            **common, root="../../../", years=[], month=i18n.month_name(mo["ym"], ui), briefings=entries
        )
        rel = f"{mo['url']}index.html"
        keep.add(rel)
        written.append(_write_atomic(site_dir, rel, page.encode("utf-8")))
    for old in (site_dir / ARCHIVE_DIR).glob("*/*/index.html"):
        rel = old.relative_to(site_dir).as_posix()
        if rel not in keep:
            old.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                old.parent.rmdir()
                old.parent.parent.rmdir()
    return written


def load_releases(site_dir: Path) -> list[dict[str, Any]]:
    """Every published briefing's release.json, newest first (by date, then publication time)."""
    metas = []
    for path in sorted((Path(site_dir) / "briefings").glob("*/release.json")):
        meta = _read_json(path)
        if meta.get("id") == path.parent.name:
            metas.append(meta)
    metas.sort(
        key=lambda m: (m.get("date", ""), _to_datetime(m.get("published_at", ""), m.get("date", ""))), reverse=True
    )
    return metas


def _index_entry(meta: dict[str, Any], ui: str, *, root: str = "") -> dict[str, Any]:
    lang = meta.get("language", "en")
    return {
        "meta": meta,
        "url": f"{root}briefings/{meta['id']}/",
        "date_text": i18n.format_date(meta.get("date", ""), ui),
        "duration_text": i18n.format_duration(meta.get("duration", 0), ui),
        "lang": lang,
        "no_speech": bool(meta.get("summary", {}).get("no_speech")),
        "corrected": bool(meta.get("corrections")),
    }


def _file_urls(meta: dict[str, Any], base_url: str) -> dict[str, dict[str, Any]]:
    prefix = f"briefings/{meta['id']}/"
    out = {}
    for role, info in meta.get("files", {}).items():
        url = prefix + info["name"]
        out[role] = {
            **info,
            "url": _absolute(base_url, url) if base_url else url,
            "type": MEDIA_TYPES.get(Path(info["name"]).suffix, "application/octet-stream"),
        }
    return out


def _media(meta: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    files = meta.get("files", {})
    for role in ("video", "audio"):
        if role in files:
            return role, files[role]
    return None


def _feed_text(meta: dict[str, Any]) -> str:
    """The entry's text: the summary, and (a corrected briefing is an update of its entry, never a new
    entry) the latest correction's note first."""
    summary = meta.get("summary", {})
    t = i18n.strings(meta.get("language", "en"))
    if summary.get("no_speech"):
        text = t["no_speech"] + "."
    else:
        text = " ".join(s.get("text", "").strip() for s in summary.get("sentences", []))
        text = text or meta.get("headline", "") or meta.get("title", "")
    corrections = meta.get("corrections") or []
    if corrections:
        last = corrections[-1]
        when = i18n.format_datetime(str(last.get("date", "")), meta.get("language", "en"))
        text = f"{t['corrected_on']} {when}: {last.get('note', '')} {text}".strip()
    return text


def _new_feed(metas: list[dict[str, Any]], options: SiteOptions) -> Any:
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.title(i18n.site_title(options.title, options.language))
    fg.description(options.description)
    fg.subtitle(options.description)
    fg.language(i18n.ui_language(options.language))
    fg.generator("briefing")
    updated = max((_to_datetime(m.get("updated_at", ""), m.get("date", "")) for m in metas), default=None)
    updated = updated or datetime(1970, 1, 1, tzinfo=UTC)
    fg.updated(updated)
    fg.lastBuildDate(updated)
    return fg


def _add_entries(fg: Any, metas: list[dict[str, Any]], options: SiteOptions, *, atom: bool) -> None:
    base = options.base_url
    # feedgen prepends entries, so add oldest first to keep the newest at the top.
    for meta in reversed(metas):
        fe = fg.add_entry()
        page = f"briefings/{meta['id']}/"
        if atom:
            fe.id(f"urn:briefing:{meta['id']}")  # an Atom id must be an IRI
        else:
            fe.guid(meta["id"], permalink=False)
        fe.title(meta.get("title", meta["id"]))
        fe.link(href=_absolute(base, page) if base else page, rel="alternate", type="text/html")
        fe.description(_feed_text(meta))
        fe.summary(_feed_text(meta))
        published = _to_datetime(meta.get("published_at", ""), meta.get("date", ""))
        fe.published(published)
        fe.pubDate(published)
        fe.updated(_to_datetime(meta.get("updated_at", ""), meta.get("date", "")))
        for speaker in meta.get("speakers", []):
            fe.author(name=speaker)
        media = _media(meta)
        if media:
            role, info = media
            url = page + info["name"]
            fe.enclosure(
                _absolute(base, url) if base else url,
                str(info["size"]),
                MEDIA_TYPES.get(Path(info["name"]).suffix, "application/octet-stream"),
            )


def _rss(metas: list[dict[str, Any]], options: SiteOptions) -> bytes:
    fg = _new_feed(metas, options)
    # RSS requires a channel link, to the site: the site root, absolute with base_url, else relative
    # ("./"). feedgen takes the channel's <link> from the last link added: the site's, after "self".
    if options.base_url:
        fg.link(href=_absolute(options.base_url, "feed.xml"), rel="self")
    fg.link(href=options.base_url or "./", rel="alternate")
    _add_entries(fg, metas, options, atom=False)
    rss: bytes = fg.rss_str(pretty=True)
    return rss


def _atom(metas: list[dict[str, Any]], options: SiteOptions) -> bytes:
    fg = _new_feed(metas, options)
    fg.id(_absolute(options.base_url, "atom.xml") if options.base_url else "urn:briefing:site")
    fg.link(href=options.base_url or "./", rel="alternate")
    if options.base_url:
        fg.link(href=_absolute(options.base_url, "atom.xml"), rel="self")
    fg.author(name=i18n.site_title(options.title, options.language))
    _add_entries(fg, metas, options, atom=True)
    return _fix_atom_links(fg.atom_str(pretty=True), metas, options)


def _fix_atom_links(xml: bytes, metas: list[dict[str, Any]], options: SiteOptions) -> bytes:
    """Write the entries' links ourselves: feedgen 1.0 drops rel/type/length of an entry's links."""
    from lxml import etree

    ns = "http://www.w3.org/2005/Atom"
    root = etree.fromstring(xml)
    by_id = {f"urn:briefing:{m['id']}": m for m in metas}
    for entry in root.findall(f"{{{ns}}}entry"):
        meta = by_id.get(entry.findtext(f"{{{ns}}}id", ""))
        if meta is None:
            continue
        for link in entry.findall(f"{{{ns}}}link"):
            entry.remove(link)
        page = f"briefings/{meta['id']}/"

        def url(rel: str) -> str:
            return _absolute(options.base_url, rel) if options.base_url else rel

        anchor = entry.find(f"{{{ns}}}summary")
        links = [{"href": url(page), "rel": "alternate", "type": "text/html"}]
        media = _media(meta)
        if media:
            info = media[1]
            links.append(
                {
                    "href": url(page + info["name"]),
                    "rel": "enclosure",
                    "type": MEDIA_TYPES.get(Path(info["name"]).suffix, "application/octet-stream"),
                    "length": str(info["size"]),
                }
            )
        for attrs in links:
            el = etree.Element(f"{{{ns}}}link", attrs)
            if anchor is not None:
                anchor.addprevious(el)
            else:
                entry.append(el)
    etree.indent(root, space="  ")
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return out


JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def _json_feed(metas: list[dict[str, Any]], options: SiteOptions) -> bytes:
    """JSON Feed 1.1 (feed.json): the newest briefings, each with its recording, captions and transcript
    as attachments. Without base_url its URLs are relative to the site root (JSON Feed wants them
    absolute: set base_url)."""
    base = options.base_url

    def url(rel: str) -> str:
        return _absolute(base, rel) if base else rel

    ui = i18n.ui_language(options.language)
    items = []
    for meta in metas:
        page = f"briefings/{meta['id']}/"
        files = meta.get("files", {})
        item: dict[str, Any] = {
            "id": f"urn:briefing:{meta['id']}",
            "url": url(page),
            "title": meta.get("title", meta["id"]),
            "content_text": _feed_text(meta),
            "summary": meta.get("headline", "") or _feed_text(meta)[:240],
            "date_published": _to_datetime(meta.get("published_at", ""), meta.get("date", "")).isoformat(),
            "date_modified": _to_datetime(meta.get("updated_at", ""), meta.get("date", "")).isoformat(),
            "language": meta.get("language", "en"),
        }
        if meta.get("speakers"):
            item["authors"] = [{"name": s} for s in meta["speakers"]]
        if "poster" in files and meta.get("media_kind") == "video":
            item["image"] = url(page + files["poster"]["name"])
        attachments = []
        for role in ("video", "audio", "vtt", "srt", "txt", "json"):
            if role not in files:
                continue
            info = files[role]
            a: dict[str, Any] = {
                "url": url(page + info["name"]),
                "mime_type": MEDIA_TYPES.get(Path(info["name"]).suffix, "application/octet-stream"),
                "title": i18n.strings(meta.get("language", "en"))[role],
                "size_in_bytes": int(info["size"]),
            }
            if role in ("video", "audio"):
                a["duration_in_seconds"] = round(float(meta.get("duration", 0)), 3)
            attachments.append(a)
        if "pack" in files:
            attachments.append(
                {
                    "url": url(page + files["pack"]["name"]),
                    "mime_type": "application/zip",
                    "title": i18n.strings(meta.get("language", "en"))["press_pack"],
                    "size_in_bytes": int(files["pack"]["size"]),
                }
            )
        if attachments:
            item["attachments"] = attachments
        items.append(item)
    doc: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": i18n.site_title(options.title, ui),
        "description": options.description,
        "language": ui,
        "items": items,
    }
    if base:
        doc["home_page_url"] = _absolute(base, "")
        doc["feed_url"] = _absolute(base, "feed.json")
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_index(metas: list[dict[str, Any]], options: SiteOptions) -> bytes:
    base = options.base_url
    items = []
    for meta in metas:
        page = f"briefings/{meta['id']}/"
        item = {
            k: meta.get(k)
            for k in (
                "id",
                "title",
                "date",
                "language",
                "speakers",
                "version",
                "published_at",
                "updated_at",
                "corrections",
                "duration",
                "media_kind",
                "headline",
                "summary",
                "key_figures",
                "tracks",
                "versions",
                "transcript",
            )
        }
        item["url"] = _absolute(base, page) if base else page
        item["release_json"] = _absolute(base, page + "release.json") if base else page + "release.json"
        item["files"] = _file_urls(meta, base)
        if meta.get("press_pack"):
            pack = meta["press_pack"]
            item["press_pack"] = {**pack, "url": _absolute(base, page + pack["name"]) if base else page + pack["name"]}
        items.append(item)
    updated = max((m.get("updated_at", "") for m in metas), default="", key=lambda s: _to_datetime(s, "1970-01-01"))
    doc = {
        "$schema": _absolute(base, "schemas/briefings.schema.json") if base else "schemas/briefings.schema.json",
        "title": i18n.site_title(options.title, options.language),
        "description": options.description,
        "base_url": base,
        "updated_at": updated,
        "count": len(items),
        "briefings": items,
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ----------------------------------------------------------------------------------------- rendering


@functools.lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("publish", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["ts"] = i18n.format_timestamp
    return env


def _render_briefing(*, release: Release, meta: dict[str, Any], options: SiteOptions, archived: bool) -> str:
    lang = release.language or "en"
    ui = i18n.ui_language(lang)
    t = i18n.strings(ui)
    long_ts = release.duration >= 3600

    # A version's own page (v<N>/) plays its media where no later version replaces them: ../media/<sha256>.
    def media_href(info: dict[str, Any]) -> str:
        return "../" + media_path(info) if archived else info["name"]

    root = "../../../" if archived else "../../"

    def ts(seconds: float) -> str:
        return i18n.format_timestamp(seconds, long=long_ts)

    segments = []
    for seg in release.transcript.segments:
        low = "low-confidence" in seg.flags or seg.confidence < LOW_CONFIDENCE
        segments.append({"seg": seg, "low": low, "ts": ts(seg.start), "t": _t(seg.start), "href": int(seg.start)})

    files = meta["files"]
    downloads = []
    for role in DOWNLOAD_ORDER:
        if role in files:
            info = files[role]
            href = info["name"] if role in TEXT_ROLES else media_href(info)
            label = t["summary_file"] if role == "summary" else t[role]
            downloads.append(
                {
                    "role": role,
                    "label": label,
                    "href": href,
                    "name": info["name"],
                    "size": i18n.format_size(info["size"], ui),
                    "sha256": info["sha256"],
                }
            )
    for track in meta.get("tracks", []):  # a translation track is offered for download too, labelled as such
        info = files.get(f"track:{track['language']}", {})
        downloads.append(
            {
                "role": "track",
                "label": f"{track['label']} ({t['machine_translation']}, WebVTT)",
                "label_main": track["label"],
                "label_rest": f" ({t['machine_translation']}, WebVTT)",
                "label_lang": track["language"]
                if i18n.ui_language(track["language"]) != ui or track["language"].split("-")[0] != lang.split("-")[0]
                else "",
                "href": track["name"],
                "name": track["name"],
                "size": i18n.format_size(info["size"], ui) if "size" in info else "",
                "sha256": info.get("sha256", ""),
            }
        )
    downloads.append(
        {
            "role": "release",
            "label": t["release_json"],
            "href": "release.json",
            "name": "release.json",
            "size": "",
            "sha256": "",
        }
    )

    tracks = _caption_tracks(meta, lang, ui, t)

    corrections = []
    available = {v["version"] for v in meta["versions"]}
    for c in sorted(release.corrections, key=lambda c: (c.version, c.date)):
        prev = c.version - 1
        corrections.append(
            {
                "date": i18n.format_datetime(c.date, ui),
                "iso": c.date,
                "note": c.note,
                "version": c.version,
                "previous": (f"{'../' if archived else ''}v{prev}/" if prev in available else None),
            }
        )
    versions = [
        {
            "version": v["version"],
            "href": f"{'../' if archived else ''}v{v['version']}/",
            "published": i18n.format_datetime(v["published_at"], ui) if v["published_at"] else "",
            "current": v["version"] == release.version,
        }
        for v in meta["versions"]
    ]

    from publish import md, share

    site_ui = i18n.ui_language(options.language)
    sharing = share.page_metadata(meta, options, transcript_text=release.transcript.text, archived=archived)
    summary_html = (
        Markup(
            md.to_html(
                md.sentences_markdown(
                    [{"text": s.text, "start": s.start} for s in release.summary.sentences], long=long_ts
                )
            )
        )
        if release.summary.sentences
        else ""
    )
    for entry in corrections:
        entry["note_html"] = Markup(md.inline_html(str(entry["note"])))
    embed_src = sharing["oembed"] and share.page_url(options, meta, share.EMBED_NAME)
    embed_code = share.oembed(meta, options)["html"] if embed_src else ""
    pack_info = meta.get("press_pack")
    pack_href = None
    if pack_info:
        pack_href = pack_info["name"].split("/", 1)[1] if archived else pack_info["name"]
        downloads.insert(
            0,
            {
                "role": "pack",
                "label": t["press_pack"],
                "href": pack_href,
                "name": pack_info["name"].rsplit("/", 1)[-1],
                "size": i18n.format_size(pack_info["size"], ui),
                "sha256": pack_info["sha256"],
            },
        )
    env = _env()
    return env.get_template("briefing.html").render(
        release=release,
        meta=meta,
        options=options,
        lang=lang,
        t=t,
        ui=ui,
        root=root,
        archived=archived,
        site_title=i18n.site_title(options.title, site_ui),
        site_lang=site_ui,
        share=sharing,
        summary_html=summary_html,
        embed_code=embed_code,
        clip_url=sharing["canonical"],
        archived_note=t["archived_version"].format(
            version=release.version,
            date=i18n.format_datetime(release.published_at, ui)
            if release.published_at
            else i18n.format_date(release.date, ui),
        ),
        date_text=i18n.format_date(release.date, ui),
        duration_text=i18n.format_duration(release.duration, ui),
        media_kind=release.media_kind,
        media_name=files[release.media_kind]["name"],
        media_src=media_href(files[release.media_kind]),
        media_type=MEDIA_TYPES[Path(files[release.media_kind]["name"]).suffix],
        poster="poster" in files and release.media_kind == "video",
        poster_src=media_href(files["poster"]) if "poster" in files else None,
        tracks=tracks,
        sentences=[
            {"s": s, "ts": ts(s.start), "t": _t(s.start), "href": int(s.start)} for s in release.summary.sentences
        ],
        figures=[
            {"f": f, "ts": ts(f.start), "t": _t(f.start), "href": int(f.start)} for f in release.summary.key_figures
        ],
        segments=segments,
        any_low=any(s["low"] for s in segments),
        confidence_pct=round(release.transcript.confidence * 100),
        downloads=downloads,
        withheld=[t["track_withheld"].format(label=w["label"]) for w in meta.get("withheld_tracks", [])],
        engine_note=_engine_note(release.transcript, t),
        corrections=corrections,
        versions=versions,
        headline=meta["headline"],
    )


def _engine_note(transcript: Any, t: dict[str, str]) -> str:
    """Which engine made the transcript (when it is more than the model's name), and what it estimated."""
    engine = (transcript.engine or "").strip()
    model = (transcript.model or "").strip()
    parts = [engine] if engine and not engine.startswith(model or "\0") else []
    if (transcript.options or {}).get("word_times") == "estimated":
        parts.append(t["estimated_times"])
    return "; ".join(parts)


def _render_embed(*, release: Release, meta: dict[str, Any], options: SiteOptions) -> str:
    """embed.html: the player alone (captions on), for an iframe; it plays ``#t=START,END`` too."""
    from publish import share

    lang = release.language or "en"
    ui = i18n.ui_language(lang)
    t = i18n.strings(ui)
    files = meta["files"]
    kind = release.media_kind
    tracks = _caption_tracks(meta, lang, ui, t)
    return (
        _env()
        .get_template("embed.html")
        .render(
            release=release,
            meta=meta,
            options=options,
            lang=lang,
            t=t,
            root="../../",
            media_kind=kind,
            media_src=files[kind]["name"],
            media_type=MEDIA_TYPES[Path(files[kind]["name"]).suffix],
            poster_src=files["poster"]["name"] if "poster" in files and kind == "video" else None,
            tracks=tracks,
            canonical=share.page_url(options, meta),
            date_text=i18n.format_date(release.date, ui),
        )
    )


_LANGUAGE_NAMES = {
    "en": {"en": "English", "vi": "Vietnamese", "fr": "French", "zh": "Chinese", "ko": "Korean", "ja": "Japanese"},
    "vi": {
        "en": "tiếng Anh",
        "vi": "tiếng Việt",
        "fr": "tiếng Pháp",
        "zh": "tiếng Trung",
        "ko": "tiếng Hàn",
        "ja": "tiếng Nhật",
    },
}


def _caption_tracks(meta: dict[str, Any], lang: str, ui: str, t: dict[str, str]) -> list[dict[str, Any]]:
    """The <track> elements of a briefing's player (its page and embed.html): the transcript's captions,
    then each machine translation, labelled as such."""
    files = meta["files"]
    tracks: list[dict[str, Any]] = []
    if "vtt" in files:
        tracks.append(
            {
                "src": "transcript.vtt",
                "srclang": lang,
                "label": f"{t['captions']} ({_language_name(lang, ui)})",
                "default": True,
            }
        )
    for track in meta.get("tracks", []):
        tracks.append(
            {
                "src": track["name"],
                "srclang": track["language"],
                "label": f"{track['label']} ({t['machine_translation']})",
                "default": False,
            }
        )
    return tracks


def _language_name(code: str, ui: str) -> str:
    return _LANGUAGE_NAMES.get(ui, {}).get(code.split("-")[0].lower(), code)


def _t(seconds: float) -> str:
    return f"{float(seconds):.1f}"


# ------------------------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _site_lock(site_dir: Path) -> Iterator[None]:
    """One writer at a time per site directory (an advisory lock on ``<site>/.lock``)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the caller serialises
        yield
        return
    with open(site_dir / ".lock", "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _static_files() -> list[tuple[str, bytes]]:
    root = resources.files("publish") / "static"
    return sorted((p.name, p.read_bytes()) for p in root.iterdir() if p.is_file() and not p.name.startswith("."))


def _absolute(base_url: str, rel: str) -> str:
    return base_url.rstrip("/") + "/" + rel.lstrip("/")


def _to_datetime(value: str, fallback_date: str) -> datetime:
    for text in (value, fallback_date):
        if not text:
            continue
        try:
            dt = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        except ValueError:
            continue
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return datetime(1970, 1, 1, tzinfo=UTC)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_atomic(site_dir: Path, rel: str, data: bytes) -> PublishedFile:
    _mkdirs((site_dir / rel).parent)
    write_atomic(site_dir / rel, data)
    return PublishedFile(rel, hashlib.sha256(data).hexdigest(), len(data))


def _list_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _published(site_dir: Path, path: Path, rel: str) -> PublishedFile:
    digest, size = hash_file(path)
    return PublishedFile(rel, digest, size)
