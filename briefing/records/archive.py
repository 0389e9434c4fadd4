"""The meeting record of a briefing, archived for the ministry: BagIt packages, verification, retention, prune.

``create`` gathers everything of one briefing into a BagIt bag (publish.archive does the bagging and the
storage), checks every payload file against the SHA-256 the store recorded for it, validates the bag and
stores it in the archive target: a local directory (``archive.dir``) or an S3 bucket with versioning and
Object Lock (``archive.s3_bucket``; COMPLIANCE mode until the retention class's date). Each package is a
new version ``<id>/v<N>``; nothing already archived is ever overwritten.

Bag layout (under ``data/``)::

    recording/original.<ext>          the original recording as ingested
    media/speech.wav video.mp4 audio.m4a poster.jpg
    transcript/transcript.{json,srt,vtt,txt} (and every other file the transcribe stage keeps there)
    summary/summary.md summary.json key-figures.json
    site/                             the published release: index.html, release.json, manifest.json(.sig),
                                      and every earlier version v<N>/ (the media files are in media/)
    records/briefing.json             the store's record: briefing, stages, artifacts with their SHA-256
    records/<table>.json              schedule, reservation and invitation rows, when those tables exist
    records/review_audit.json         who saved and published corrections in the review desk, and when

Retention classes (``[retention.<class>]`` in briefing.toml) say how long the working copies (recording,
speech audio, web media) stay in the workspace after publishing, and how long the archive is locked.
``prune`` frees working copies only of briefings whose latest package is archived *and verified*, and
only files whose exact SHA-256 is in that package; right before deleting it checks the archived copy of
each of those files again (local: its bytes; S3: the recorded object version and its checksum), and on any
mismatch deletes nothing and marks the package as failed verification.

No link is ever followed: a package is gathered from regular files only, a package holding a symbolic
link fails verification, and restore writes nothing outside its destination.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import date as date_cls
from pathlib import Path
from typing import Any

from briefing.core import config, locks
from briefing.core.config import OrganizationSettings, Setting, Settings
from briefing.core.errors import ArchiveError, ConfigError, InputError, NotFoundError, translated
from briefing.core.results import Result, optional
from briefing.core.store import Store, now_iso
from publish.files import sha256_file

config.register(
    Setting("archive.dir", "", "Local archive directory for BagIt packages (default: <home>/archive)."),
    Setting("archive.s3_bucket", "", "S3 bucket for the archive (versioning + Object Lock); empty = local."),
    Setting("archive.s3_prefix", "briefings", "Key prefix of the packages in the archive bucket."),
    Setting("archive.s3_endpoint_url", "", "S3 endpoint URL (MinIO, Ceph ...); empty = AWS."),
    Setting("archive.s3_region", "", "S3 region of the archive bucket."),
    Setting("archive.lock_mode", "COMPLIANCE", "Object Lock mode of archived objects (COMPLIANCE or GOVERNANCE)."),
    Setting("archive.retention_years", 10, "Years the archive is locked for the 'standard' class.", int),
    Setting("archive.default_class", "standard", "Retention class of a briefing unless told otherwise."),
    Setting("archive.forever_years", 100, "Object Lock years used for a class kept 'forever'.", int),
)


class ArchiveSettings(config.Area, area="archive"):
    dir: str
    s3_bucket: str
    s3_prefix: str
    s3_endpoint_url: str
    s3_region: str
    lock_mode: str
    retention_years: int
    default_class: str
    forever_years: int


# Roles of the working copies that prune may free (the transcript, summary and page stay: they are small,
# and search and corrections use them).
WORKING_ROLES = ("source", "speech", "video", "audio", "poster")
ROLE_DIRS = {
    "source": "recording",
    "speech": "media",
    "video": "media",
    "audio": "media",
    "poster": "media",
    "json": "transcript",
    "srt": "transcript",
    "vtt": "transcript",
    "txt": "transcript",
    "summary": "summary",
    "summary_json": "summary",
}
MEDIA_SUFFIXES = {".mp4", ".m4a", ".jpg", ".jpeg", ".webm", ".mp3", ".wav", ".ogg", ".opus", ".png"}
SECRET_WORDS = ("secret", "token", "password", "jwt", "key")
RECORD_TABLES = ("schedule_occurrences", "schedule_series", "jitsi_reservations", "invitations", "outbox")


# -- retention classes --------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetentionClass:
    name: str
    working_days: int  # working copies kept this many days after publishing
    archive_years: int | None  # None = forever
    prune_roles: tuple[str, ...] = WORKING_ROLES

    def retain_until(self, start: datetime, settings: Settings) -> datetime:
        years = self.archive_years if self.archive_years is not None else ArchiveSettings.of(settings).forever_years
        try:
            return start.replace(year=start.year + years)
        except ValueError:  # 29 February
            return start.replace(year=start.year + years, day=28)


def retention_classes(settings: Settings) -> dict[str, RetentionClass]:
    classes = {
        "standard": RetentionClass("standard", 30, ArchiveSettings.of(settings).retention_years),
        "permanent": RetentionClass("permanent", 30, None),
    }
    section = settings.section("retention") or {}
    if not isinstance(section, dict):
        raise ConfigError(
            "[retention] in briefing.toml must be a table of classes",
            hint="e.g. [retention.standard] working_days = 30, archive_years = 10",
        )
    for name, spec in section.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"[retention.{name}] must be a table", hint="working_days = 30, archive_years = 10")
        base = classes.get(name, RetentionClass(name, 30, ArchiveSettings.of(settings).retention_years))
        try:
            days = int(spec.get("working_days", base.working_days))
            yrs = spec.get("archive_years", base.archive_years if base.archive_years is not None else "forever")
            years = None if str(yrs).lower() == "forever" else int(yrs)
            roles = tuple(spec.get("prune_roles", base.prune_roles))
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"bad [retention.{name}]: {exc}",
                hint='working_days is a number of days; archive_years a number or "forever"',
            ) from exc
        if days < 0 or (years is not None and years < 1):
            raise ConfigError(f"bad [retention.{name}]: days and years must be positive")
        bad = [r for r in roles if r not in WORKING_ROLES]
        if bad:
            raise ConfigError(
                f"[retention.{name}] prune_roles {bad} are not working copies",
                hint=f"choose among {', '.join(WORKING_ROLES)}",
            )
        classes[name] = RetentionClass(name, days, years, roles)
    return classes


def class_for(settings: Settings, name: str | None) -> RetentionClass:
    classes = retention_classes(settings)
    name = name or ArchiveSettings.of(settings).default_class
    if name not in classes:
        raise ConfigError(
            f"unknown retention class {name!r}",
            hint=f"use one of {', '.join(sorted(classes))} or declare [retention.{name}]",
        )
    return classes[name]


# -- records -------------------------------------------------------------------------------------------
@dataclass
class ArchiveRecord:
    id: int
    briefing_id: str
    version: int
    target: str
    location: str
    bag_name: str
    retention_class: str
    retain_until: str | None
    payload_oxum: str
    files: dict[str, dict[str, Any]]
    objects: dict[str, str]
    created_at: str
    verified_at: str | None = None
    verify_ok: bool | None = None
    verify_error: str | None = None
    created: bool = True  # False when create found the same package already archived

    @classmethod
    def from_row(cls, r: Any) -> ArchiveRecord:
        return cls(
            r["id"],
            r["briefing_id"],
            r["version"],
            r["target"],
            r["location"],
            r["bag_name"],
            r["retention_class"],
            r["retain_until"],
            r["payload_oxum"],
            json.loads(r["files"]),
            json.loads(r["objects"]),
            r["created_at"],
            r["verified_at"],
            None if r["verify_ok"] is None else bool(r["verify_ok"]),
            r["verify_error"],
            True,
        )

    def to_dict(self, *, files: bool = False) -> dict[str, Any]:
        d = asdict(self)
        if not files:
            d.pop("files")
            d.pop("objects")
            d["file_count"] = len(self.files)
        return d


def _record(store: Store, row: Any) -> ArchiveRecord:
    rec = ArchiveRecord.from_row(row)
    if rec.target == "local":  # stored relative to the home when inside it
        rec.location = store.abs(rec.location)
    return rec


def records(store: Store, briefing_id: str | None = None) -> list[ArchiveRecord]:
    if briefing_id:
        rows = store.query("SELECT * FROM archives WHERE briefing_id = ? ORDER BY version", (briefing_id,))
    else:
        rows = store.query("SELECT * FROM archives ORDER BY briefing_id, version")
    return [_record(store, r) for r in rows]


def latest(store: Store, briefing_id: str) -> ArchiveRecord | None:
    recs = records(store, briefing_id)
    return recs[-1] if recs else None


def _archive_dir(settings: Settings) -> Path:
    d = ArchiveSettings.of(settings).dir
    return Path(d).expanduser() if d else settings.home / "archive"


def _s3(settings: Settings) -> Any:
    from publish.archive import S3Archive

    o = ArchiveSettings.of(settings)
    return S3Archive(
        o.s3_bucket, prefix=o.s3_prefix, endpoint_url=o.s3_endpoint_url or None, region=o.s3_region or None
    )


# -- gathering the package -------------------------------------------------------------------------------
def _safe(value: Any) -> Any:
    """Drop secrets (keys named like secret/token/password) from records that go into the archive."""
    if isinstance(value, dict):
        return {k: ("<removed>" if any(w in k.lower() for w in SECRET_WORDS) else _safe(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe(v) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _safe(json.loads(value))
        except ValueError:
            return value
    return value


def _table_rows(store: Store, table: str, column: str, values: list[Any]) -> list[dict[str, Any]]:
    cols = {r["name"] for r in store.query(f"PRAGMA table_info({table})")}
    if column not in cols or not values:
        return []
    marks = ",".join("?" * len(values))
    return [_safe(dict(r)) for r in store.query(f"SELECT * FROM {table} WHERE {column} IN ({marks})", tuple(values))]


def schedule_records(store: Store, briefing_id: str) -> dict[str, list[dict[str, Any]]]:
    """The schedule, reservation and invitation rows of a briefing, from whichever of those tables exist."""
    tables = {r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    out: dict[str, list[dict[str, Any]]] = {}
    if "schedule_occurrences" in tables:
        occ = _table_rows(store, "schedule_occurrences", "id", [briefing_id])
        if occ:
            out["schedule_occurrences"] = occ
            if "schedule_series" in tables:
                out["schedule_series"] = _table_rows(
                    store, "schedule_series", "id", sorted({o.get("series_id") for o in occ} - {None})
                )
            if "jitsi_reservations" in tables:
                out["jitsi_reservations"] = _table_rows(store, "jitsi_reservations", "occurrence_id", [briefing_id])
    for t in sorted(tables):
        if t not in out and ("invitation" in t or t in ("outbox", "review_audit")):  # review_audit: the desk
            rows = _table_rows(store, t, "briefing_id", [briefing_id])
            if rows:
                out[t] = rows
    return {k: v for k, v in out.items() if v}


def _no_link(p: Path) -> None:
    if p.is_symlink():
        raise ArchiveError(
            f"{p} is a symbolic link; a package holds only regular files and links are never followed",
            hint="replace the link with the file itself, or remove it, and archive again",
        )


@dataclass
class PackageItem:
    """One file of a package's payload: a working file (``src``) or bytes made for the package (``data``)."""

    rel: str  # under data/
    src: Path | None = None
    data: bytes | None = None
    role: str | None = None
    sha256: str | None = None  # what the store says it must be


def _gather(store: Store, settings: Settings, bid: str) -> list[PackageItem]:
    b = store.briefing(bid)
    arts = store.artifacts(bid)
    missing = [r for r in ("source", "json") if r not in arts]
    if missing:
        raise ArchiveError(
            f"briefing {bid} is not processed yet (no {' or '.join(missing)})",
            hint="run `briefing process` for it first; a package holds the whole record",
        )
    items: dict[str, PackageItem] = {}
    for role, a in arts.items():
        if role == "page":
            continue  # the site's files come below, with their versions
        p = Path(a.path)
        _no_link(p)
        if not p.is_file():
            pruned = store.query(
                "SELECT 1 FROM pruned WHERE briefing_id = ? AND role = ? AND sha256 = ?", (bid, role, a.sha256)
            )
            hint = (
                "it was pruned after an earlier package; that package keeps it"
                if pruned
                else f"run `briefing process` again for {bid} to remake it"
            )
            raise ArchiveError(f"the {role} file of {bid} is missing: {p}", hint=hint)
        rel = f"{ROLE_DIRS.get(role, 'other/' + role)}/{p.name}"
        items[rel] = PackageItem(rel, src=p, role=role, sha256=a.sha256)
    ws = settings.workspace / bid
    for sub in ("transcript", "summary"):  # every other version the stages keep beside the current one
        d = ws / sub
        if d.is_dir():
            for p in sorted(d.rglob("*")):
                rel = f"{sub}/{p.relative_to(d).as_posix()}"
                _no_link(p)
                if p.is_file() and rel not in items and not p.name.startswith("."):
                    items[rel] = PackageItem(rel, src=p)
    if "summary_json" in arts:
        try:
            s = json.loads(Path(arts["summary_json"].path).read_text(encoding="utf-8"))
            items["summary/key-figures.json"] = PackageItem(
                "summary/key-figures.json",
                data=(
                    json.dumps(
                        {"briefing_id": bid, "date": b.date, "key_figures": s.get("key_figures", [])},
                        ensure_ascii=False,
                        indent=2,
                    )
                    + "\n"
                ).encode("utf-8"),
            )
        except (OSError, ValueError):
            pass
    site = settings.site_dir / "briefings" / bid
    if site.is_dir():
        for p in sorted(site.rglob("*")):
            _no_link(p)
            if p.is_file() and p.suffix.lower() not in MEDIA_SUFFIXES and not p.name.startswith("."):
                rel = f"site/{p.relative_to(site).as_posix()}"
                items[rel] = PackageItem(rel, src=p)
    record = {
        "briefing": {
            "id": b.id,
            "title": b.title,
            "date": b.date,
            "language": b.language,
            "speakers": list(b.speakers),
            "source_path": b.source_path,
            "source_sha256": b.source_sha256,
            "meta": _safe(b.meta),
            "created_at": b.created_at,
            "updated_at": b.updated_at,
        },
        "stages": {
            k: {
                "status": v.status,
                "inputs_key": v.inputs_key,
                "info": v.info,
                "error": v.error,
                "started_at": v.started_at,
                "finished_at": v.finished_at,
            }
            for k, v in store.stages(bid).items()
        },
        "artifacts": {
            r: {"path": a.path, "sha256": a.sha256, "size": a.size, "stage": a.stage} for r, a in arts.items()
        },
    }
    items["records/briefing.json"] = PackageItem(
        "records/briefing.json",
        data=(json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8"),
    )
    for table, rows in schedule_records(store, bid).items():
        rel = f"records/{table}.json"
        items[rel] = PackageItem(
            rel, data=(json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")
        )
    return [items[k] for k in sorted(items)]


def _bag_info(settings: Settings, b: Any, cls: RetentionClass, until: datetime | None, version: int) -> dict[str, Any]:
    contact = OrganizationSettings.of(settings).contact
    info: dict[str, Any] = {
        "Source-Organization": OrganizationSettings.of(settings).name,
        "External-Identifier": b.id,
        "External-Description": f"{b.title} — press briefing of {b.date}",
        "Bagging-Date": date_cls.today().isoformat(),
        "Meeting-Date": b.date,
        "Meeting-Title": b.title,
        "Meeting-Language": b.language,
        "Speaker": list(b.speakers) or None,
        "Package-Version": str(version),
        "Retention-Class": cls.name,
        "Retention-Until": until.date().isoformat() if until else "forever",
        "Bag-Group-Identifier": b.id,
    }
    if contact:
        info["Contact-Email" if "@" in contact else "Contact-Name"] = contact
    return info


# -- create ---------------------------------------------------------------------------------------------
Bagger = Callable[[Path, list[PackageItem], dict[str, Any]], Any]  # (staging, items, bag-info) -> BagCheck


def bag_here(staging: Path, items: list[PackageItem], info: dict[str, Any]) -> Any:
    """Copy the items into ``staging`` and make it a bag there (``publish.archive.make_bag``: the manifest,
    then a complete validation). Returns its BagCheck."""
    from publish import archive as lib

    for it in items:
        dest = staging / it.rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if it.src is not None:
            shutil.copyfile(it.src, dest)
        else:
            dest.write_bytes(it.data or b"")
    return lib.make_bag(staging, info)


@locks.locked  # one process per briefing: not packaged while another command changes its files
def create(
    store: Store,
    settings: Settings,
    briefing_id: str,
    *,
    retention_class: str | None = None,
    force: bool = False,
    bagger: Bagger | None = None,
) -> ArchiveRecord:
    """Package, validate and store the record of one briefing. Idempotent: the same contents → no new one.
    Waits for another process working on the briefing (``lock.wait``), then says who holds it.

    ``bagger`` makes the bag in the staging directory (:func:`bag_here` by default; the cluster's
    coordinator has its workers make it); what it returns is checked against the store, stored, recorded
    and validated again where it is stored, whoever made it."""
    from publish import archive as lib

    b = store.briefing(briefing_id)
    cls = class_for(settings, retention_class or b.meta.get("retention_class"))
    items = _gather(store, settings, b.id)
    prev = latest(store, b.id)
    version = (prev.version + 1) if prev else 1
    s3 = bool(ArchiveSettings.of(settings).s3_bucket)
    now = datetime.now(UTC)
    # "forever" locks S3 objects for archive.forever_years (Object Lock needs a date); locally it has none
    until = cls.retain_until(now, settings) if (cls.archive_years is not None or s3) else None
    shown_until = until if cls.archive_years is not None else None

    root = _archive_dir(settings)
    staging_root = root / ".staging" if not s3 else settings.workspace / ".archive-staging"
    staging_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{b.id}-", dir=staging_root))
    try:
        with translated():
            check = (bagger or bag_here)(staging, items, _bag_info(settings, b, cls, shown_until, version))
        files: dict[str, dict[str, Any]] = {}
        bad = []
        for it in items:
            rel = f"data/{it.rel}"
            got = check.payload.get(rel, "")
            if it.sha256 and got != it.sha256:
                bad.append(f"{it.role} ({it.src}): store has {it.sha256[:12]}…, file is {got[:12]}…")
            files[rel] = {"sha256": got, "size": (staging / rel).stat().st_size, "role": it.role}
        if bad:
            raise ArchiveError(
                f"working files of {b.id} differ from the checksums in the store: {'; '.join(bad)}",
                hint=f"the workspace was changed; run `briefing process --force` for {b.id}",
            )
        if (
            prev
            and not force
            and {k: v["sha256"] for k, v in prev.files.items() if not k.startswith("data/records/")}
            == {k: v["sha256"] for k, v in files.items() if not k.startswith("data/records/")}
        ):
            prev.created = False
            return prev
        name = f"{b.id}/v{version}"
        objects: dict[str, str] = {}
        if s3:
            target = _s3(settings)
            with translated():
                objects = target.upload_bag(
                    staging, name, retain_until=until, mode=ArchiveSettings.of(settings).lock_mode
                )
            location = target.url(name)
        else:
            final = root / b.id / f"v{version}"
            if final.exists():
                raise ArchiveError(
                    f"{final} already exists",
                    hint="a package is never overwritten; check "
                    "that two briefing homes do not share one archive directory",
                )
            final.parent.mkdir(parents=True, exist_ok=True)
            lib.make_read_only(staging)
            os.rename(staging, final)
            location = str(final)
        rec_until = until.date().isoformat() if until else None
        with store.tx() as db:
            cur = db.execute(
                """INSERT INTO archives (briefing_id, version, target, location, bag_name, retention_class,
                     retain_until, payload_oxum, files, objects, created_at, verified_at, verify_ok)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)""",
                (
                    b.id,
                    version,
                    "s3" if s3 else "local",
                    location if s3 else store.rel(location),
                    name,
                    cls.name,
                    rec_until,
                    check.oxum,
                    json.dumps(files, ensure_ascii=False),
                    json.dumps(objects),
                    now_iso(),
                ),
            )
            rid = cur.lastrowid
    finally:
        if staging.exists():
            for p in staging.rglob("*"):
                if p.is_file():
                    p.chmod(0o644)
            shutil.rmtree(staging, ignore_errors=True)
    # validate it again where it is stored (for S3: downloaded back); prune relies on this verification
    verify(store, settings, b.id, version=version)
    return _record(store, store.query("SELECT * FROM archives WHERE id = ?", (rid,))[0])


# -- verify -------------------------------------------------------------------------------------------------
@dataclass
class VerifyResult:
    ok: bool
    path: str
    briefing_id: str | None
    version: int | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: int = 0
    retention: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _compare(check: Any, rec: ArchiveRecord | None, store: Store, bid: str | None) -> tuple[list[str], list[str]]:
    errors, warnings = [], []
    if rec is not None:
        for rel, f in rec.files.items():
            got = check.payload.get(rel)
            if got is None:
                errors.append(f"{rel} is missing from the package")
            elif got != f["sha256"]:
                errors.append(
                    f"{rel}: the package's manifest says {got[:12]}…, the store recorded "
                    f"{f['sha256'][:12]}… when it was archived"
                )
        extra = sorted(set(check.payload) - set(rec.files))
        if extra:
            errors.append(f"files not in the archived record: {', '.join(extra[:5])}")
    if bid:
        arts = store.artifacts(bid) if store.find_briefing(bid) else {}
        by_role = {f.get("role"): (rel, f) for rel, f in (rec.files.items() if rec else [])}
        for role, a in arts.items():
            if role in by_role and by_role[role][1]["sha256"] != a.sha256:
                warnings.append(f"the store now has a newer {role} than this package: archive again")
    return errors, warnings


def verify(store: Store, settings: Settings, ref: str, *, version: int | None = None) -> VerifyResult:
    """Validate a package (by briefing id: its latest, or ``version``; or by the path of a bag directory)
    and check it against the checksums the store recorded. The outcome is recorded (prune needs it)."""
    from publish import archive as lib

    p = Path(ref)
    rec: ArchiveRecord | None = None
    if store.find_briefing(ref) is None and (p.exists() or os.sep in ref):
        with translated():
            check = lib.validate_bag(p)
        bid = str(check.info.get("External-Identifier", "")) or None
        for r in records(store, bid) if bid else []:
            if Path(r.location).resolve() == p.resolve():
                rec = r
        problems = list(check.errors)
        e2, warnings = _compare(check, rec, store, bid) if check.ok else ([], [])
        problems += e2
        if rec is None:
            warnings.append("this package is not recorded in this store: checked against its own manifest only")
        res = VerifyResult(
            not problems, str(p), bid, rec.version if rec else None, problems, warnings, len(check.payload)
        )
        if rec is not None:
            _record_verify(store, rec, res)
        return res

    b = store.briefing(ref)
    recs = records(store, b.id)
    if not recs:
        raise ArchiveError(f"briefing {b.id} is not archived", hint=f"run `briefing archive create {b.id}`")
    if version is not None:
        recs = [r for r in recs if r.version == version]
        if not recs:
            raise NotFoundError(
                f"briefing {b.id} has no archive version {version}",
                hint="run `briefing archive list` to see the versions",
            )
    rec = recs[-1]
    retention: dict[str, Any] = {}
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="verify-", dir=_temp_dir(settings)) as tmp:
        if rec.target == "s3":
            target = _s3(settings)
            with translated():
                target.download_bag(rec.bag_name, Path(tmp), versions=rec.objects or None)
                key = target.key(rec.bag_name, "bagit.txt")
                r = target.retention(key, rec.objects.get(key))
            until = r.get("retain_until")
            retention = {"mode": r.get("mode"), "retain_until": until.isoformat() if until else None}
            if rec.retain_until and (r.get("mode") != ArchiveSettings.of(settings).lock_mode or until is None):
                errors.append(f"Object Lock retention is missing on {key}")
            bag_path = Path(tmp)
        else:
            bag_path = Path(rec.location)
        try:
            check = lib.validate_bag(bag_path)
        except lib.ArchiveError as exc:
            errors.append(str(exc))
            res = VerifyResult(False, rec.location, b.id, rec.version, errors, [], 0, retention)
            _record_verify(store, rec, res)
            return res
        errors += list(check.errors)
        e2, warnings = _compare(check, rec, store, b.id)
        errors += e2
    res = VerifyResult(not errors, rec.location, b.id, rec.version, errors, warnings, len(check.payload), retention)
    _record_verify(store, rec, res)
    return res


def _temp_dir(settings: Settings) -> Path:
    d = settings.home / "tmp"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _record_verify(store: Store, rec: ArchiveRecord, res: VerifyResult) -> None:
    with store.tx() as db:
        db.execute(
            "UPDATE archives SET verified_at = ?, verify_ok = ?, verify_error = ? WHERE id = ?",
            (now_iso(), 1 if res.ok else 0, "; ".join(res.errors) or None, rec.id),
        )


# -- restore / list ---------------------------------------------------------------------------------------
def restore(
    store: Store, settings: Settings, briefing_id: str, dest: Path, *, version: int | None = None
) -> VerifyResult:
    """Copy a package out of the archive into ``dest`` (new or empty), byte for byte, and validate it there."""
    from publish import archive as lib

    b = store.briefing(briefing_id)
    recs = records(store, b.id)
    if version is not None:
        recs = [r for r in recs if r.version == version]
    if not recs:
        raise ArchiveError(
            f"briefing {b.id} has no archive{'' if version is None else f' version {version}'}",
            hint="run `briefing archive list`",
        )
    rec = recs[-1]
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError(f"{dest} is not empty", hint="restore into a new or empty directory")
    dest.mkdir(parents=True, exist_ok=True)
    with translated():
        if rec.target == "s3":
            _s3(settings).download_bag(rec.bag_name, dest, versions=rec.objects or None)
        else:
            lib.copy_bag(Path(rec.location), dest)
        check = lib.validate_bag(dest)
    errors = list(check.errors)
    e2, warnings = _compare(check, rec, store, None)
    errors += e2
    return VerifyResult(not errors, str(dest), b.id, rec.version, errors, warnings, len(check.payload))


def list_archives(store: Store, briefing_id: str | None = None) -> list[ArchiveRecord]:
    """Every archive package (of one briefing); an unknown briefing is an error."""
    if briefing_id:
        store.briefing(briefing_id)
    return records(store, briefing_id)


# -- prune ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FreedFile(Result):
    """A working copy that prune frees (or would), and the archived copy that stands for it."""

    briefing_id: str
    role: str
    path: str
    size: int
    archive: str
    archived_as: str


@dataclass(frozen=True)
class Kept(Result):
    """A briefing (or one working file of it, ``role``) that prune keeps, and why."""

    briefing_id: str
    role: str | None = optional()
    reason: str = ""


@dataclass
class PruneResult:
    freed: list[FreedFile] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    dry_run: bool = False

    @property
    def bytes_freed(self) -> int:
        return sum(f.size for f in self.freed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "freed": [f.to_dict() for f in self.freed],
            "kept": [k.to_dict() for k in self.kept],
            "bytes_freed": self.bytes_freed,
            "dry_run": self.dry_run,
        }


def _published_at(store: Store, bid: str, rec: ArchiveRecord) -> datetime:
    run = store.stage(bid, "publish")
    when = run.finished_at if (run and run.status == "done" and run.finished_at) else rec.created_at
    dt = datetime.fromisoformat(when)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def prune(
    store: Store,
    settings: Settings,
    briefing_id: str | None = None,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PruneResult:
    """Free working copies of briefings that are archived and verified and past their class's days.

    With an id, a briefing that is not archived or not verified is an error; without, it is reported
    as kept. Never deletes a file whose exact SHA-256 is not in the verified package, and right before
    deleting re-checks the archived copy of every file it frees (see :func:`_archived_copy_problem`): on
    any mismatch nothing at all is deleted, the package is marked as failed verification, and
    ArchiveError says why. One process per briefing: with an id it waits for another process working on
    the briefing (``lock.wait``), then says who holds it; without, such a briefing is kept (and said)."""
    import contextlib

    now = now or datetime.now(UTC)
    out = PruneResult(dry_run=dry_run)
    plan: list[tuple[ArchiveRecord, str, Any, Path, str]] = []
    briefings = [store.briefing(briefing_id)] if briefing_id else store.briefings()
    with contextlib.ExitStack() as held:  # the lock of every briefing pruned, until its files are deleted
        for b in briefings:
            rec, cls, reason, refused = _prunable(store, settings, b.id, now)
            if reason is None:  # one process per briefing: a briefing being worked on is left alone
                try:
                    held.enter_context(locks.briefing_lock(settings, b.id, wait=None if briefing_id else 0))
                except locks.BriefingBusy as exc:
                    if briefing_id:
                        raise
                    who = exc.message.removeprefix(f"briefing {b.id} is ")  # being processed (pid N)
                    out.kept.append(Kept(b.id, reason=f"{who}; run `briefing prune` again once it has finished"))
                    continue
                rec, cls, reason, refused = _prunable(store, settings, b.id, now)  # as the holder left it
            if reason:
                if briefing_id and refused:
                    raise ArchiveError(f"refusing to prune {b.id}: {reason}")
                out.kept.append(Kept(b.id, reason=reason))
                continue
            assert rec is not None and cls is not None
            _plan(store, b.id, rec, cls, out, plan)
        return _prune_planned(store, settings, out, plan, dry_run=dry_run)


def _prunable(
    store: Store, settings: Settings, bid: str, now: datetime
) -> tuple[ArchiveRecord | None, RetentionClass | None, str | None, bool]:
    """(latest package, its class, why the briefing is kept or None, whether pruning it by id is refused)."""
    rec = latest(store, bid)
    if rec is None:
        return None, None, f"not archived (run `briefing archive create {bid}`)", True
    if not rec.verify_ok or not rec.verified_at:
        return rec, None, f"archive v{rec.version} not verified (run `briefing archive verify {bid}`)", True
    cls = (
        class_for(settings, rec.retention_class)
        if rec.retention_class in retention_classes(settings)
        else class_for(settings, None)
    )
    due = _published_at(store, bid, rec) + timedelta(days=cls.working_days)
    if now < due:
        return (
            rec,
            cls,
            (f"kept until {due.date().isoformat()} ({cls.name}: {cls.working_days} days after publishing)"),
            False,
        )
    return rec, cls, None, False


def _plan(
    store: Store,
    bid: str,
    rec: ArchiveRecord,
    cls: RetentionClass,
    out: PruneResult,
    plan: list[tuple[ArchiveRecord, str, Any, Path, str]],
) -> None:
    """The working files of ``bid`` that the verified package ``rec`` holds: listed in ``out.freed`` and
    ``plan``; those it does not hold in ``out.kept``."""
    by_sha: dict[str, str] = {}
    for rel, f in sorted(rec.files.items()):
        by_sha.setdefault(f["sha256"], rel)
    for role, a in store.artifacts(bid).items():
        if role not in cls.prune_roles:
            continue
        p = Path(a.path)
        if not p.is_file():
            continue
        if a.sha256 not in by_sha or p.stat().st_size != a.size:
            out.kept.append(Kept(bid, role, f"{role} is not in the verified archive v{rec.version}: archive again"))
            continue
        out.freed.append(FreedFile(bid, role, str(p), a.size, rec.location, by_sha[a.sha256]))
        plan.append((rec, role, a, p, by_sha[a.sha256]))


def _prune_planned(
    store: Store,
    settings: Settings,
    out: PruneResult,
    plan: list[tuple[ArchiveRecord, str, Any, Path, str]],
    *,
    dry_run: bool,
) -> PruneResult:
    # right before deleting: the archived copy of exactly these files must still be there, intact
    failed: dict[int, tuple[ArchiveRecord, list[str]]] = {}
    for rec, role, a, _p, rel in plan:
        problem = _archived_copy_problem(settings, rec, rel, a.sha256, a.size)
        if problem:
            failed.setdefault(rec.id, (rec, []))[1].append(f"{role} ({rel}): {problem}")
    if failed:
        for rec, problems in failed.values():
            with store.tx() as db:
                db.execute(
                    "UPDATE archives SET verified_at = ?, verify_ok = 0, verify_error = ? WHERE id = ?",
                    (now_iso(), "prune re-check: " + "; ".join(problems), rec.id),
                )
        rec, problems = next(iter(failed.values()))
        others = "" if len(failed) == 1 else f" (and {len(failed) - 1} more package(s))"
        raise ArchiveError(
            f"refusing to prune: the archived copy in {rec.briefing_id} v{rec.version} is not intact — "
            f"{problems[0]}{'' if len(problems) == 1 else f' (+{len(problems) - 1} more)'}{others}; nothing "
            f"was deleted and the package is now marked as failed verification",
            hint=f"run `briefing archive create {rec.briefing_id} --force` to archive the working copies again",
        )
    if dry_run:
        return out
    for rec, role, a, p, _rel in plan:
        p.unlink()
        with store.tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO pruned VALUES (?, ?, ?, ?, ?, ?, ?)",
                (rec.briefing_id, role, store.rel(p), a.sha256, a.size, rec.id, now_iso()),
            )
    return out


def _archived_copy_problem(settings: Settings, rec: ArchiveRecord, rel: str, sha256: str, size: int) -> str | None:
    """Why the archived copy of one payload file is not an intact copy of ``sha256`` (None when it is).

    Local: the bytes themselves are hashed, and no part of the path may be a link. S3: the object version
    recorded at archiving must still be there, with S3's own SHA-256 of it equal to the recorded one."""
    from publish import archive as lib

    if rec.target == "s3":
        target = _s3(settings)
        key = target.key(rec.bag_name, rel)
        version_id = rec.objects.get(key)
        if not version_id:
            return f"no object version was recorded for {key}"
        try:
            got = target.checksum(key, version_id)
            if got["version_id"] and got["version_id"] != version_id:
                return f"S3 returned version {got['version_id']} instead of the recorded {version_id}"
            digest = got["sha256"] or target.sha256_of(key, version_id)
        except lib.ArchiveError as exc:
            return f"cannot read the recorded version of {key}: {exc}"
        if got.get("size") is not None and int(got["size"]) != size:
            return f"the archived object has {got['size']} bytes, the working copy {size}"
    else:
        root = Path(rec.location)
        path = root
        for part in [*rel.split("/")]:
            if path.is_symlink():
                return f"{path} is a symbolic link"
            path = path / part
        try:
            if path.is_symlink() or not path.is_file():
                return "missing from the package" if not path.is_symlink() else f"{path} is a symbolic link"
            digest = sha256_file(path, follow_symlinks=False)
        except OSError as exc:
            return f"cannot read it ({exc.strerror or exc})"
    if digest != sha256:
        return f"its SHA-256 is {digest[:12]}…, the working copy's {sha256[:12]}…"
    return None
