"""Distribution of a published briefing: signed manifest, publish targets, press channels and press email.

The pipeline's publish stage builds the new version beside the live one, signs it there
(:func:`sign_release` on the staged directory: ``manifest.json`` + ``.sig``, and the site's
``signing-key.pub``) and switches it in as one step. After that, :func:`after_publish`:

1. records what the site holds (signing again only a site published before this was so: it changes
   nothing otherwise);
2. copies the site to every target of ``[[publish.targets]]`` (local directories, S3 buckets), media first,
   then pages, then the index and feeds; a failed target does not stop the others;
3. when every target holds the release, puts the notifications of this version in the outbox (version 1
   always; a corrected version only when asked with ``--notify``), once;
4. sends what is due: each message is recorded before it is sent and marked after, with retries and
   backoff; a failed channel does not block the others, and is retried by the next run.

A send that was interrupted after it began (the process was killed while talking to the service) is not
repeated automatically: whether it arrived is unknown, and the press must never be told twice. ``briefing
status`` lists it as *uncertain*; ``briefing publish ID --resend-uncertain`` sends it again.

Configuration (briefing.toml)::

    [[publish.targets]]
    name = "cdn"                  # shown by `briefing status`; also part of the record, keep it stable
    type = "s3"                   # or "local"
    bucket = "press"
    prefix = "site/"
    endpoint_url = "https://minio.gov.example"   # MinIO / Ceph; leave out for AWS
    region = "us-east-1"
    public_url = "https://cdn.press.gov.example/" # what readers open; used for the links sent out
    multipart_threshold = "64MiB"

    [[publish.targets]]
    name = "www"
    type = "local"
    path = "/var/www/press"
    public_url = "https://press.gov.example/"

    [[publish.channels]]
    name = "newsroom"
    url_env = "BRIEFING_CHANNEL_NEWSROOM"   # the apprise URL (with its token) from the environment;
                                            # or url = "..." for a URL that holds no secret

    [publish.email]
    from = "Press Office <press@gov.example>"
    to = ["press-list@gov.example"]

Secrets: ``BRIEFING_CHANNELS`` (or ``BRIEFING_CHANNELS_FILE``) holds more channels, one per line, as
``name=URL`` or a bare URL; ``BRIEFING_SMTP_URL`` the SMTP server; ``BRIEFING_SIGNING_KEY_FILE`` the
Ed25519 signing key. S3 credentials come from boto3's own chain.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from briefing.core import config, outbox
from briefing.core.config import Setting, Settings, SiteSettings, duration, register
from briefing.core.errors import ConfigError, PublishError, translated
from briefing.core.faults import fault_point
from briefing.core.results import Result, optional
from briefing.core.store import Store, now_iso
from briefing.meeting.invite import SmtpSettings
from briefing.press import embargo

register(
    Setting(
        "signing.key",
        "",
        "Ed25519 private key (PEM) that signs release manifests; set "
        "BRIEFING_SIGNING_KEY_FILE to its file (default: <home>/keys/signing-key.pem, made on first "
        "publish).",
        secret=True,
    ),
    Setting("smtp.url", "", "SMTP server: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host", secret=True),
    Setting("channels", "", "Press channels (apprise URLs), one per line, as name=URL or URL.", secret=True),
    Setting("publish.retry_attempts", 4, "Attempts per notification before it is marked failed.", int),
    Setting("publish.retry_wait", 2.0, "First wait between attempts (doubles each time), e.g. 2s.", duration),
    Setting(
        "site.feed_size",
        50,
        "How many of the newest briefings the feeds and the index page list (older ones: the archive pages).",
        int,
    ),
    Setting(
        "site.data_license",
        "",
        "The licence line of the figures' data downloads (default: CC BY 4.0 with attribution to the site).",
    ),
)


class SigningSettings(config.Area, area="signing"):
    key: str


class ChannelSettings(config.Area, area=""):
    channels: str


class PublishSettings(config.Area, area="publish"):
    retry_attempts: int
    retry_wait: float


class FeedSettings(config.Area, area="site"):
    feed_size: int
    data_license: str


SITE_TARGET = "site"
_generated_keys: list[Path] = []


# ------------------------------------------------------------------------------------------ configuration


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # "local" or "s3"
    spec: Any  # publish.targets.LocalTarget or publish.s3.S3Target
    public_url: str


@dataclass(frozen=True)
class Channel:
    name: str
    url: str = field(repr=False)


@dataclass(frozen=True)
class EmailConfig:
    sender: str
    to: tuple[str, ...]
    reply_to: str | None = None
    attach: tuple[str, ...] = ("txt", "summary")


_SIZE = re.compile(r"^\s*([0-9.]+)\s*([kmg]i?b?)?\s*$", re.I)


def _size(v: Any, what: str) -> int:
    if isinstance(v, int):
        return v
    m = _SIZE.match(str(v))
    if not m:
        raise ConfigError(f"bad size for {what}: {v!r}", hint="use bytes or e.g. 8MiB, 64MB")
    mult = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[(m.group(2) or "")[:1].lower()]
    return int(float(m.group(1)) * mult)


def _list(settings: Settings, dotted: str) -> list[dict[str, Any]]:
    node = settings.section(dotted)
    if node is None:
        return []
    if not isinstance(node, list) or not all(isinstance(x, dict) for x in node):
        raise ConfigError(
            f"[[{dotted}]] in briefing.toml must be a list of tables", hint=f"write each one as a [[{dotted}]] block"
        )
    return node


def targets(settings: Settings) -> list[Target]:
    from publish.s3 import S3Target
    from publish.targets import LocalTarget

    out: list[Target] = []
    for i, t in enumerate(_list(settings, "publish.targets"), 1):
        kind = str(t.get("type", "")).lower()
        name = str(t.get("name") or f"{kind or 'target'}-{i}")
        public = str(t.get("public_url", "") or "")
        if kind == "local":
            if not t.get("path"):
                raise ConfigError(f'publish target {name}: a local target needs path = "/var/www/press"')
            out.append(Target(name, kind, LocalTarget(Path(str(t["path"])).expanduser(), name, public), public))
        elif kind == "s3":
            if not t.get("bucket"):
                raise ConfigError(f'publish target {name}: an s3 target needs bucket = "..."')
            for secret in ("aws_secret_access_key", "secret_key", "secret_access_key"):
                if secret in t:
                    raise ConfigError(
                        f"publish target {name}: S3 keys must not be written in briefing.toml",
                        hint="use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile or a role",
                    )
            kw: dict[str, Any] = {}
            for key in ("multipart_threshold", "multipart_chunksize"):
                if key in t:
                    kw[key] = _size(t[key], f"{name}.{key}")
            if "max_concurrency" in t:
                kw["max_concurrency"] = int(t["max_concurrency"])
            out.append(
                Target(
                    name,
                    kind,
                    S3Target(
                        bucket=str(t["bucket"]),
                        name=name,
                        prefix=str(t.get("prefix", "")),
                        endpoint_url=t.get("endpoint_url") or None,
                        region=t.get("region") or None,
                        public_url=public,
                        addressing_style=t.get("addressing_style") or None,
                        profile=t.get("profile") or None,
                        **kw,
                    ),
                    public,
                )
            )
        else:
            raise ConfigError(f"publish target {name}: unknown type {kind!r}", hint='use type = "local" or "s3"')
    names = [t.name for t in out]
    if len(set(names)) != len(names) or SITE_TARGET in names:
        raise ConfigError('publish targets need distinct names (and not "site", the local site)')
    return out


def channels(settings: Settings) -> list[Channel]:
    out: list[Channel] = []
    for i, c in enumerate(_list(settings, "publish.channels"), 1):
        name = str(c.get("name") or f"channel-{i}")
        url = c.get("url")
        if c.get("url_env"):
            url = os.environ.get(str(c["url_env"]))
            if not url:
                raise ConfigError(
                    f"channel {name}: the environment variable {c['url_env']} is not set",
                    hint="set it to the channel's apprise URL",
                )
        if not url:
            raise ConfigError(f"channel {name} has no url (or url_env)")
        out.append(Channel(name, str(url)))
    for n, line in enumerate(str(ChannelSettings.of(settings).channels or "").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" in line.split("://", 1)[0]:
            name, url = line.split("=", 1)
        else:
            from publish.notify import mask_url

            name, url = (
                re.sub(r"[^a-z0-9]+", "-", mask_url(line).split("://")[-1].lower()).strip("-") or f"env-{n}",
                line,
            )
        out.append(Channel(name.strip(), url.strip()))
    names = [c.name for c in out]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ConfigError(f"channel names must be distinct: {sorted(dupes)}", hint="give each channel a name")
    return out


def email_config(settings: Settings) -> EmailConfig | None:
    node = settings.section("publish.email")
    if not node:
        return None
    to = node.get("to", [])
    to = [to] if isinstance(to, str) else list(to)
    if not node.get("from") or not to:
        raise ConfigError('[publish.email] needs from = "..." and to = ["..."]')
    return EmailConfig(
        sender=str(node["from"]),
        to=tuple(str(x) for x in to),
        reply_to=node.get("reply_to"),
        attach=tuple(node.get("attach", ("txt", "summary"))),
    )


# ------------------------------------------------------------------------------------------- signing key


def default_key_path(settings: Settings) -> Path:
    return settings.home / "keys" / "signing-key.pem"


@dataclass(frozen=True)
class GeneratedKey(Result):
    path: str
    fingerprint: str


@dataclass(frozen=True)
class RotatedKey(Result):
    path: str
    fingerprint: str
    previous: str | None
    retired_private_key: str | None
    keyring: str
    configured: bool


@dataclass(frozen=True)
class Revocation(Result):
    at: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, value: Any) -> Revocation | None:
        return cls(value.get("at"), value.get("reason")) if isinstance(value, dict) and value else None


@dataclass(frozen=True)
class RevokedKey(Result):
    fingerprint: str
    revoked: Revocation | None
    releases: list[str]


@dataclass(frozen=True)
class KeyEntry(Result):
    """A key of the keyring, without its public key."""

    fingerprint: str
    algorithm: str | None = None
    file: str | None = None
    created: str | None = None
    first_used: str | None = None
    last_used: str | None = None
    retired: str | None = None
    revoked: Revocation | None = None

    @classmethod
    def of(cls, e: dict[str, Any]) -> KeyEntry:
        return cls(
            e["fingerprint"],
            e.get("algorithm"),
            e.get("file"),
            e.get("created"),
            e.get("first_used"),
            e.get("last_used"),
            e.get("retired"),
            Revocation.of(e.get("revoked")),
        )


@dataclass(frozen=True)
class KeyList(Result):
    in_use: str | None
    keys: list[KeyEntry]


def generate_key(settings: Settings, out: Path | None = None, *, force: bool = False) -> GeneratedKey:
    """Make a new Ed25519 signing key (0600). Refuses to overwrite one without ``force``."""
    from publish import manifest as pm

    path = Path(out) if out else default_key_path(settings)
    if path.exists() and not force:
        raise ConfigError(
            f"{path} already exists",
            hint="pass --force to replace it (old releases stay signed with the old key), or --out to write elsewhere",
        )
    if path.exists() and path == default_key_path(settings):  # the replaced key's releases stay verifiable
        ring = load_keyring(settings)
        with translated():
            try:
                old = pm.add_key(ring, pm.public_key_pem(path.read_bytes()), created=_today())
                old["retired"] = old.get("retired") or _today()
            except pm.ManifestError:
                old = None
        if old is not None:
            save_keyring(settings, ring, site=settings.site_dir.is_dir())
    pem = pm.generate_private_key()
    with translated():
        pm.write_private_key(path, pem)
        fp = pm.fingerprint(pm.public_key_pem(pem))
    return GeneratedKey(str(path), fp)


def signing_key(settings: Settings, *, create: bool = True) -> bytes:
    """The PEM private key: BRIEFING_SIGNING_KEY(_FILE), else <home>/keys/signing-key.pem (made if missing)."""
    from publish import manifest as pm

    configured = SigningSettings.of(settings).key
    if configured:
        return configured.encode() if isinstance(configured, str) else configured
    path = default_key_path(settings)
    if not path.exists():
        if not create:
            raise ConfigError("no signing key", hint="make one with `briefing keys generate`")
        pm.write_private_key(path, pm.generate_private_key())
        _generated_keys.append(path)
    return path.read_bytes()


def key_fingerprint(settings: Settings) -> str:
    from publish import manifest as pm

    with translated():
        return pm.fingerprint(pm.public_key_pem(signing_key(settings)))


# ------------------------------------------------------------------------------------------- the keyring
# Every public key the site has signed with, kept in the home (keyring.json: public data only) and
# published on the site (keyring.json and keys/<hex>.pub), so that releases signed before a rotation, or
# with a key since lost, stay verifiable. Private keys are never written there.


def keyring_path(settings: Settings) -> Path:
    return settings.home / "keyring.json"


def _today() -> str:
    return datetime.now().astimezone().date().isoformat()


def load_keyring(settings: Settings) -> dict[str, Any]:
    """The home's keyring. A home without one yet (a site published before keyrings, or a home whose
    keyring.json was lost) starts from what the site publishes: its keyring.json, and its
    signing-key.pub, the key of the earlier releases."""
    from publish import manifest as pm

    with translated():
        path = keyring_path(settings)
        ring = pm.parse_keyring(path.read_bytes() if path.is_file() else None)
        if path.is_file():
            return ring
        site = settings.site_dir
        published = site / pm.KEYRING_NAME
        if published.is_file():
            try:
                for e in pm.parse_keyring(published.read_bytes())["keys"]:
                    mine = pm.add_key(ring, e["public_key"])
                    for k in ("created", "first_used", "last_used", "retired", "revoked"):
                        if mine.get(k) in (None, "") and e.get(k) not in (None, ""):
                            mine[k] = e[k]
            except pm.ManifestError:
                pass  # a damaged published keyring: the home's is the record; it is rewritten below
        pub = site / pm.PUBLIC_KEY_NAME
        if pub.is_file():
            try:
                entry = pm.add_key(ring, pub.read_bytes())
                if entry.get("first_used") is None:
                    used = _usage_on_site(site, entry["fingerprint"])
                    entry["first_used"], entry["last_used"] = used
            except pm.ManifestError:
                pass
    return ring


def _usage_on_site(site: Path, fp: str) -> tuple[str | None, str | None]:
    """First and last publication date of the releases on the site whose manifest names ``fp``."""
    from publish import manifest as pm

    dates = []
    for m in sorted((site / "briefings").glob("*/" + pm.MANIFEST_NAME)):
        try:
            data = json.loads(m.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if pm.same_key((data.get("key") or {}).get("fingerprint"), fp):
            when = str(data.get("published_at") or "")[:10]
            if when:
                dates.append(when)
    return (min(dates), max(dates)) if dates else (None, None)


def save_keyring(settings: Settings, ring: dict[str, Any], *, site: bool = True) -> None:
    from publish import manifest as pm
    from publish.files import write_atomic

    with translated():
        data = pm.keyring_bytes(ring)
        path = keyring_path(settings)
        if not (path.is_file() and path.read_bytes() == data):
            write_atomic(path, data)
        if site:
            pm.write_keyring(settings.site_dir, ring)


def publish_keys(settings: Settings, site_dir: Path, private_pem: bytes) -> dict[str, Any]:
    """Put the signing key's public half on the site (signing-key.pub), and the keyring with every key
    used so far; the key in use is marked used today."""
    from publish import manifest as pm

    ring = load_keyring(settings)
    with translated():
        public = pm.public_key_pem(private_pem)
        entry = pm.add_key(ring, public, created=_today(), first_used=_today())
        if entry.get("revoked"):
            raise ConfigError(
                f"the signing key {entry['fingerprint']} was revoked on {entry['revoked'].get('at', '?')}",
                hint="sign with another key: run "
                "`briefing keys rotate`, or point BRIEFING_SIGNING_KEY_FILE at the current key",
            )
        entry["last_used"] = max(str(entry.get("last_used") or ""), _today())
        ring["current"] = entry["fingerprint"]
        data = pm.keyring_bytes(ring)
        path = keyring_path(settings)
        if not (path.is_file() and path.read_bytes() == data):
            from publish.files import write_atomic

            write_atomic(path, data)
        pm.write_keyring(site_dir, ring)
        pm.write_public_key(site_dir, private_pem)
    return ring


def rotate_key(settings: Settings, out: Path | None = None) -> RotatedKey:
    """Make a new signing key; the old public key stays in the keyring (and on the site), so every release
    signed with it still verifies. The old private key is kept, owner-only, in keys/retired/."""
    from publish import manifest as pm

    configured = bool(SigningSettings.of(settings).key)
    if configured and out is None:
        raise ConfigError(
            "the signing key in use comes from BRIEFING_SIGNING_KEY(_FILE), which briefing does not change",
            hint="pass --out PATH for the new key, then point BRIEFING_SIGNING_KEY_FILE at it",
        )
    default = default_key_path(settings)
    target = Path(out) if out else default
    if out is not None and target.exists():
        raise ConfigError(f"{target} already exists", hint="pass --out with a new file name")
    ring = load_keyring(settings)
    old_fp: str | None = None
    with translated():
        old_pem = None
        if configured:
            old_pem = signing_key(settings)
        elif default.exists():
            old_pem = default.read_bytes()
        if old_pem is not None:
            old_entry = pm.add_key(ring, pm.public_key_pem(old_pem), created=_today())
            old_entry["retired"] = old_entry.get("retired") or _today()
            old_fp = old_entry["fingerprint"]
        new_pem = pm.generate_private_key()
        new_pub = pm.public_key_pem(new_pem)
        new_fp = pm.fingerprint(new_pub)
        retired_path = None
        if old_pem is not None and old_fp is not None and not configured and out is None:
            retired_path = settings.home / "keys" / "retired" / (pm.key_file(old_fp).split("/", 1)[1][:-4] + ".pem")
            pm.write_private_key(retired_path, old_pem)
        pm.write_private_key(target, new_pem)
        pm.add_key(ring, new_pub, created=_today())
        if not configured and out is None:
            ring["current"] = new_fp
    site_has = settings.site_dir.is_dir()
    save_keyring(settings, ring, site=site_has)
    if site_has and not configured and out is None:
        with translated():
            pm.write_public_key(settings.site_dir, new_pem)
    return RotatedKey(
        str(target),
        new_fp,
        old_fp,
        str(retired_path) if retired_path else None,
        str(settings.site_dir / pm.KEYRING_NAME) if site_has else str(keyring_path(settings)),
        configured or out is not None,
    )


def revoke_key(settings: Settings, fp: str, *, reason: str = "") -> RevokedKey:
    """Mark a key as withdrawn in the keyring: releases signed with it no longer verify. The key in use
    cannot be revoked (rotate first)."""
    from publish import manifest as pm

    ring = load_keyring(settings)
    want = "".join(fp.replace("SHA256:", "").split()).lower()
    hits = (
        [e for e in ring["keys"] if "".join(e["fingerprint"].replace("SHA256:", "").split()).lower().startswith(want)]
        if len(want) >= 8
        else []
    )
    if len(hits) != 1:
        raise ConfigError(
            f"no {'single ' if hits else ''}key in the keyring matches {fp!r}",
            hint="run `briefing keys list` and give the fingerprint (at least 8 hex digits)",
        )
    entry = hits[0]
    try:
        in_use = key_fingerprint(settings)
    except ConfigError:
        in_use = None
    if pm.same_key(entry["fingerprint"], in_use):
        raise ConfigError(
            f"key {entry['fingerprint']} is the key in use",
            hint="run `briefing keys rotate` first, then revoke the old key",
        )
    if not entry.get("revoked"):
        entry["revoked"] = {"at": _today(), "reason": reason or "withdrawn"}
    save_keyring(settings, ring, site=settings.site_dir.is_dir())
    affected = []
    for m in sorted((settings.site_dir / "briefings").glob("*/" + pm.MANIFEST_NAME)):
        try:
            named = (json.loads(m.read_text(encoding="utf-8")).get("key") or {}).get("fingerprint")
        except (OSError, ValueError):
            continue
        if pm.same_key(named, entry["fingerprint"]):
            affected.append(m.parent.name)
    return RevokedKey(entry["fingerprint"], Revocation.of(entry["revoked"]), affected)


def list_keys(settings: Settings) -> KeyList:
    ring = load_keyring(settings)
    try:
        configured = SigningSettings.of(settings).key or default_key_path(settings).exists()
        in_use = key_fingerprint(settings) if configured else None
    except ConfigError:
        in_use = None
    return KeyList(in_use, [KeyEntry.of(e) for e in ring["keys"]])


# ------------------------------------------------------------------------------------------ the release


def _release_meta(site_dir: Path, bid: str) -> dict[str, Any]:
    path = site_dir / "briefings" / bid / "release.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise PublishError(
            f"briefing {bid} is not on the local site ({path} is missing)", hint=f"run `briefing publish {bid}` first"
        ) from None


_MANIFEST_META = (
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
    "transcript",
)


def sign_release(settings: Settings, bid: str, directory: Path | None = None) -> Path:
    """Sign the briefing's directory on the site, or ``directory``: its new version, built beside the
    live one and not switched in yet (the site then gets it signed or not at all)."""
    from publish import manifest as pm

    site_dir = settings.site_dir
    bdir = Path(directory) if directory is not None else site_dir / "briefings" / bid
    meta = _release_meta(site_dir, bid) if directory is None else _read_meta(bdir / "release.json", bid)
    key = signing_key(settings)
    publish_keys(settings, site_dir, key)  # signing-key.pub, and the keyring with every earlier key
    with translated():
        return pm.write_signed_manifest(bdir, metadata={k: meta.get(k) for k in _MANIFEST_META}, private_pem=key)


def _read_meta(path: Path, bid: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise PublishError(
            f"the new version of briefing {bid} has no release.json ({path})",
            hint=f"run `briefing publish {bid}` again",
        ) from None


def check_base_url(settings: Settings, tgts: list[Target] | None = None) -> None:
    """Publishing to a target needs site.base_url: the pages' canonical URLs, preview cards and the feeds'
    absolute links come from it. A bad base_url is refused either way."""
    base = SiteSettings.of(settings).base_url or ""
    if base and not re.match(r"^https?://[^/\s]+(/\S*)?$", base):
        raise ConfigError(
            f"site.base_url {base!r} is not an http(s) URL",
            hint='set it to the site\'s public URL, e.g. base_url = "https://press.gov.example/"',
        )
    tgts = targets(settings) if tgts is None else tgts
    if tgts and not base:
        raise ConfigError(
            f"publishing to {', '.join(t.name for t in tgts)} needs site.base_url: without it the "
            "pages have no canonical URL or preview card and the feeds' links are relative",
            hint='set base_url = "https://press.gov.example/" under [site] in briefing.toml '
            "(or BRIEFING_SITE_BASE_URL)",
        )


def public_link(settings: Settings, bid: str, tgts: list[Target] | None = None) -> str:
    """The briefing page's URL for readers: the first target's public URL, else site.base_url."""
    for t in tgts if tgts is not None else targets(settings):
        if t.public_url:
            return t.public_url.rstrip("/") + f"/briefings/{bid}/"
    base = SiteSettings.of(settings).base_url
    if base:
        return base.rstrip("/") + f"/briefings/{bid}/"
    return (settings.site_dir / "briefings" / bid / "index.html").as_uri()


# ------------------------------------------------------------------------------------------ bookkeeping


def _publication(store: Store, bid: str, target: str) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM publications WHERE briefing_id=? AND target=?", (bid, target))
    return dict(rows[0]) if rows else None


def _set_publication(store: Store, bid: str, target: str, **cols: Any) -> None:
    cols["updated_at"] = now_iso()
    names = ", ".join(cols)
    marks = ", ".join("?" for _ in cols)
    updates = ", ".join(f"{k}=excluded.{k}" for k in cols)
    with store.tx() as db:
        db.execute(
            f"INSERT INTO publications (briefing_id, target, {names}) VALUES (?, ?, {marks})"
            f" ON CONFLICT(briefing_id, target) DO UPDATE SET {updates}",
            (bid, target, *cols.values()),
        )


def _announcement(store: Store, bid: str, version: int) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM announcements WHERE briefing_id=? AND version=?", (bid, version))
    return dict(rows[0]) if rows else None


def _decide(store: Store, bid: str, version: int, notify: bool | None, embargo: str | None) -> dict[str, Any] | None:
    """Record whether this version is announced: version 1 unless told not to; later ones only if asked."""
    row = _announcement(store, bid, version)
    want = (version == 1) if notify is None else notify
    if row is None:
        if notify is None and version > 1:
            return None
        with store.tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO announcements (briefing_id, version, notify, embargo, requested_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (bid, version, int(want), embargo, now_iso()),
            )
    elif notify and not row["notify"]:
        with store.tx() as db:  # asked later: announce after all (nothing was recorded for it)
            db.execute(
                "UPDATE announcements SET notify=1, embargo=?, recorded_at=NULL WHERE briefing_id=? AND version=?",
                (embargo, bid, version),
            )
    return _announcement(store, bid, version)


def parse_embargo(value: str | None) -> str | None:
    """An ISO time (with or without offset; local time when without), or None."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"bad embargo time {value!r}", hint="use e.g. 2026-11-25T14:00 or 2026-11-25T14:00+07:00"
        ) from None
    # the outbox compares times as text: write it the way the store writes "now" (local time, offset)
    return dt.astimezone().isoformat(timespec="seconds")


def _record_messages(
    store: Store, settings: Settings, bid: str, version: int, link: str, embargo: str | None
) -> list[str]:
    from publish import notify as pn

    meta = _release_meta(settings.site_dir, bid)
    correction = None
    if version > 1:
        correction = next((c for c in meta.get("corrections", []) if c.get("version") == version), None)
    post = pn.press_post(meta, link, correction=correction)
    keys = []
    for ch in channels(settings):
        key = f"channel:{bid}:v{version}:{ch.name}"
        outbox.record(
            store,
            kind="channel",
            key=key,
            target=ch.name,
            briefing_id=bid,
            payload={"channel": ch.name, "title": post.title, "body": post.body, "link": link, "version": version},
        )
        keys.append(key)
    mail = email_config(settings)
    if mail is not None:
        vdir = settings.site_dir / "briefings" / bid / f"v{version}"
        names = {
            "txt": "transcript.txt",
            "srt": "transcript.srt",
            "vtt": "transcript.vtt",
            "json": "transcript.json",
            "summary": "summary.md",
        }
        attachments = [str(vdir / names[a]) for a in mail.attach if a in names and (vdir / names[a]).is_file()]
        body = _email_body(meta, link, correction)
        key = f"email:{bid}:v{version}"
        outbox.record(
            store,
            kind="email",
            key=key,
            target=", ".join(mail.to),
            briefing_id=bid,
            payload={
                "from": mail.sender,
                "to": list(mail.to),
                "reply_to": mail.reply_to,
                "subject": post.title,
                "body": body,
                "html": _email_html(meta, link, correction),
                "attachments": attachments,
                "link": link,
                "version": version,
            },
            not_before=embargo,
        )
        keys.append(key)
    with store.tx() as db:
        db.execute(
            "UPDATE announcements SET recorded_at=? WHERE briefing_id=? AND version=?", (now_iso(), bid, version)
        )
    return keys


def _email_body(meta: dict[str, Any], link: str, correction: dict[str, Any] | None) -> str:
    from publish import notify as pn

    lines = [meta.get("title", ""), meta.get("date", ""), ""]
    if correction:
        lines += [f"CORRECTION (version {correction.get('version')}): {correction.get('note', '')}", ""]
    summary = pn.summary_lines(meta, lines=10, width=1000)
    if summary:
        lines += ["Summary:", ""] + [f"- {s}" for s in summary] + [""]
    figures = pn.figure_lines(meta, limit=20)
    if figures:
        lines += ["Key figures:", ""] + [f"- {f}" for f in figures] + [""]
    lines += [
        f"Video, transcript and captions: {link}",
        "",
        "Attached: the transcript and the summary. Every published file is listed with its SHA-256 in "
        "the release's signed manifest (manifest.json); check a file with `briefing verify`.",
    ]
    return "\n".join(lines)


def record_embargoed_email(
    store: Store,
    settings: Settings,
    bid: str,
    meta: dict[str, Any],
    private_site: Path,
    mark: str,
    attachments_dir: Path,
) -> str | None:
    """Record the press email of a held release (built in ``private_site``), marked ``mark`` (EMBARGOED
    UNTIL …) in its subject and body, to send now; its attachments are copied to ``attachments_dir`` (the
    private site is rebuilt while it is held). The key is the version's email key, so the email is sent
    once: when the embargo is lifted it is not recorded again. None without [publish.email]."""
    import shutil

    from publish import notify as pn

    mail = email_config(settings)
    if mail is None:
        return None
    version = int(meta.get("version", 1))
    key = f"email:{bid}:v{version}"
    if outbox.find(store, key) is not None:
        return key
    link = public_link(settings, bid)
    correction = (
        next((c for c in meta.get("corrections", []) if c.get("version") == version), None) if version > 1 else None
    )
    post = pn.press_post(meta, link, correction=correction)
    vdir = private_site / "briefings" / bid / f"v{version}"
    names = {
        "txt": "transcript.txt",
        "srt": "transcript.srt",
        "vtt": "transcript.vtt",
        "json": "transcript.json",
        "summary": "summary.md",
    }
    attachments_dir.mkdir(parents=True, exist_ok=True)
    attachments = []
    for a in mail.attach:
        if a in names and (vdir / names[a]).is_file():
            shutil.copyfile(vdir / names[a], attachments_dir / names[a])
            attachments.append(str(attachments_dir / names[a]))
    notice = (
        f"{mark}. Not for publication or broadcast before then: the page, the feeds and the downloads "
        "go public at that time."
    )
    body = f"{notice}\n\n{_email_body(meta, link, correction)}"
    html = _email_html(meta, link, correction).replace("<body>\n", f"<body>\n<p><strong>{mark}</strong></p>\n", 1)
    outbox.record(
        store,
        kind="email",
        key=key,
        target=", ".join(mail.to),
        briefing_id=bid,
        payload={
            "from": mail.sender,
            "to": list(mail.to),
            "reply_to": mail.reply_to,
            "subject": f"{mark}: {post.title}",
            "body": body,
            "html": html,
            "attachments": attachments,
            "link": link,
            "version": version,
            "embargoed": True,
        },
    )
    return key


def _email_html(meta: dict[str, Any], link: str, correction: dict[str, Any] | None) -> str:
    """The email's HTML part: the release's Markdown (summary, key figures, the change note) rendered with
    the markdown package (raw HTML in it escaped), times linking to the moment on the page."""
    from publish import md

    with translated():
        text = md.summary_markdown(
            title=meta.get("title", ""),
            date=meta.get("date", ""),
            speakers=meta.get("speakers", []),
            summary=meta.get("summary", {}),
            corrections=[correction] if correction else [],
            language=meta.get("language", "en"),
            link=link,
        )
        text += f"\n[{md.escape(link)}]({link})\n"
        return md.email_document(md.to_html(text), lang=meta.get("language", "en"), title=meta.get("title", ""))


# ----------------------------------------------------------------------------------------------- sending


def _attempt(store: Store, key: str) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM delivery_attempts WHERE key=?", (key,))
    return dict(rows[0]) if rows else None


def _deliver(settings: Settings, m: outbox.Message, chans: dict[str, Channel]) -> str:
    from publish import mail as pmail
    from publish import notify as pn

    p = m.payload
    if m.kind == "channel":
        ch = chans.get(p["channel"])
        if ch is None:
            raise PublishError(
                f"channel {p['channel']} is no longer configured",
                hint="add it back to [[publish.channels]] or BRIEFING_CHANNELS",
            )
        pn.send(ch.url, pn.Post(p["title"], p["body"], p["link"]))
        return ""
    smtp = SmtpSettings.of(settings).url
    if not smtp:
        raise PublishError("no SMTP server configured for the press email", hint="set BRIEFING_SMTP_URL")
    missing = [a for a in p["attachments"] if not Path(a).is_file()]
    if missing:
        raise PublishError(f"the email's attachment {missing[0]} is gone", hint="publish the briefing again")
    msg = pmail.build_press_email(
        sender=p["from"],
        to=p["to"],
        subject=p["subject"],
        body=p["body"],
        attachments=[Path(a) for a in p["attachments"]],
        message_key=m.key,
        reply_to=p.get("reply_to"),
        html=p.get("html"),
    )
    refused = pmail.send(msg, smtp)
    return f"refused recipients: {', '.join(refused)}" if refused else ""


@dataclass(frozen=True)
class Delivery(Result):
    """What happened to one message of the outbox in a send."""

    key: str
    kind: str
    target: str
    status: str  # sent | failed | uncertain
    error: str | None


def send_due(
    store: Store, settings: Settings, *, briefing_id: str | None = None, resend_uncertain: bool = False
) -> list[Delivery]:
    """Send every due channel post and press email (of one briefing, or all); return what happened."""
    import tenacity

    from publish.mail import MailError
    from publish.notify import NotifyError

    results: list[Delivery] = []
    chans = {c.name: c for c in channels(settings)}
    attempts = max(1, PublishSettings.of(settings).retry_attempts)
    wait = PublishSettings.of(settings).retry_wait
    for m in outbox.due(store, now=embargo.clock_iso()):
        if m.kind not in ("channel", "email") or (briefing_id and m.briefing_id != briefing_id):
            continue
        att = _attempt(store, m.key)
        if att and att["finished_at"] is None and not resend_uncertain:
            results.append(
                Delivery(m.key, m.kind, m.target, "uncertain", "an earlier send was interrupted; it may have arrived")
            )
            continue
        with store.tx() as db:
            db.execute(
                "INSERT INTO delivery_attempts (key, started_at) VALUES (?, ?) ON CONFLICT(key) DO UPDATE"
                " SET started_at=excluded.started_at, finished_at=NULL",
                (m.key, now_iso()),
            )
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(attempts),
            wait=tenacity.wait_exponential(multiplier=wait, max=max(wait * 16, 0.0))
            if wait > 0
            else tenacity.wait_none(),
            retry=tenacity.retry_if_exception_type((NotifyError, MailError)),
            reraise=True,
        )
        error: str | None
        try:
            note = retrying(_deliver, settings, m, chans)
        except Exception as exc:  # noqa: BLE001 - one failed channel must not stop the others
            error = str(exc)
            outbox.mark_failed(store, m.key, error)
            status = "failed"
        else:
            outbox.mark_sent(store, m.key)
            error, status = note or None, "sent"
        with store.tx() as db:
            db.execute("UPDATE delivery_attempts SET finished_at=? WHERE key=?", (now_iso(), m.key))
        results.append(Delivery(m.key, m.kind, m.target, status, error))
    return results


# ---------------------------------------------------------------------------------------- the whole step


@dataclass(frozen=True)
class TargetResult(Result):
    """One publish target in a publish: its version now, and what went up."""

    name: str
    status: str  # ok | failed
    error: str | None
    url: str
    version: int | None
    uploaded: int | None = optional()
    skipped: int | None = optional()


@dataclass
class Report(Result):
    briefing_id: str
    version: int
    manifest: str = ""
    link: str = ""
    key_generated: str | None = None
    targets: list[TargetResult] = field(default_factory=list)
    messages: list[Delivery] = field(default_factory=list)
    announced: bool = False
    held: str = ""  # why notifications were not sent yet

    @property
    def failures(self) -> list[str]:
        out = [f"target {t.name}: {t.error}" for t in self.targets if t.status == "failed"]
        out += [f"{m.kind} {m.target}: {m.error}" for m in self.messages if m.status == "failed"]
        return out


def after_publish(
    store: Store,
    settings: Settings,
    bid: str,
    *,
    notify: bool | None = None,
    embargo: str | None = None,
    resend_uncertain: bool = False,
    reporter: Any = None,
    raise_on_failure: bool = True,
) -> Report:
    """Sign the release, copy the site to every target, then announce it (once) and send what is due."""
    from publish.s3 import sync_s3
    from publish.targets import sync_local

    site_dir = settings.site_dir
    site_meta = _release_meta(site_dir, bid)
    version = int(site_meta.get("version", 1))  # what the site holds is the record
    tgts = targets(settings)
    check_base_url(settings, tgts)
    report = Report(bid, version)
    manifest = sign_release(settings, bid)  # signed when it was switched in: this changes nothing then
    report.manifest = str(manifest)
    if _generated_keys:
        report.key_generated = str(_generated_keys.pop())
        _stage(reporter, "signing", "done", f"made a new signing key at {report.key_generated} — back it up")
    link = public_link(settings, bid, tgts)
    report.link = link
    record_site(store, settings, bid)
    fault_point("distribute:recorded")
    announcement = _decide(store, bid, version, notify, parse_embargo(embargo))

    all_ok = True
    for t in tgts:
        url = (
            (t.public_url.rstrip("/") + f"/briefings/{bid}/")
            if t.public_url
            else (t.spec.url(f"briefings/{bid}/") if t.kind == "s3" else str(Path(t.spec.path) / "briefings" / bid))
        )
        prev = _publication(store, bid, t.name)
        _set_publication(store, bid, t.name, status="running", error=None)
        try:

            def hook(f: Any, _n: str = t.name) -> None:
                fault_point(f"target:{_n}:{f.rel}")

            with translated():
                res = (
                    sync_local(site_dir, t.spec, before=hook)
                    if t.kind == "local"
                    else sync_s3(site_dir, t.spec, before=hook)
                )
        except PublishError as exc:
            all_ok = False
            partial = getattr(exc.__cause__, "result", None)
            _set_publication(
                store, bid, t.name, status="failed", error=str(exc), uploaded=len(partial.uploaded) if partial else 0
            )
            report.targets.append(TargetResult(t.name, "failed", str(exc), url, prev["version"] if prev else None))
            _stage(reporter, f"→ {t.name}", "failed", str(exc))
            continue
        kept = prev and prev["version"] == version and prev["status"] == "ok" and prev["published_at"]
        _set_publication(
            store,
            bid,
            t.name,
            status="ok",
            error=None,
            version=version,
            url=store.rel(url),
            uploaded=len(res.uploaded),
            skipped=len(res.skipped),
            published_at=prev["published_at"] if prev and kept else now_iso(),
        )
        report.targets.append(TargetResult(t.name, "ok", None, url, version, len(res.uploaded), len(res.skipped)))
        _stage(reporter, f"→ {t.name}", "done", f"{len(res.uploaded)} sent, {len(res.skipped)} unchanged")

    fault_point("distribute:targets")
    if announcement and announcement["notify"] and not announcement["recorded_at"]:
        if all_ok:
            _record_messages(store, settings, bid, version, link, announcement["embargo"])
            report.announced = True
        else:
            report.held = "notifications wait until every target holds the release"
    if all_ok:
        report.messages = send_due(store, settings, briefing_id=bid, resend_uncertain=resend_uncertain)
        for m in report.messages:
            _stage(
                reporter,
                f"→ {m.target}",
                "done" if m.status == "sent" else "failed",
                m.status if m.status == "sent" else f"{m.status}: {m.error}",
            )
    if raise_on_failure and report.failures:
        raise PublishError(
            f"briefing {bid} v{version} is on the local site, but: " + "; ".join(report.failures),
            hint=f"fix it and run `briefing publish {bid}` again (nothing is sent twice); "
            f"`briefing status {bid}` shows the details",
        )
    return report


def record_site(store: Store, settings: Settings, bid: str) -> None:
    """Record in the store the version the local site holds now (called once it is switched in)."""
    site_dir = settings.site_dir
    site_meta = _release_meta(site_dir, bid)
    version = int(site_meta.get("version", 1))
    prev = _publication(store, bid, SITE_TARGET)
    if prev and prev["version"] == version and prev["status"] == "ok" and prev["published_at"]:
        return
    base_url = SiteSettings.of(settings).base_url
    _set_publication(
        store,
        bid,
        SITE_TARGET,
        version=version,  # a path in the home: relative to it
        url=base_url.rstrip("/") + f"/briefings/{bid}/"
        if base_url
        else store.rel(site_dir / "briefings" / bid / "index.html"),
        status="ok",
        error=None,
        published_at=site_meta.get("published_at") or now_iso(),
    )


def _stage(reporter: Any, name: str, status: str, detail: str) -> None:
    if reporter is not None:
        reporter.stage(name, status, detail)


# ------------------------------------------------------------------------------------------------ status


@dataclass(frozen=True)
class TargetState(Result):
    """A target as `briefing status` shows it: the version it holds, where, when, and any error."""

    name: str
    version: int | None
    url: str | None
    published_at: str | None
    status: str  # ok | failed | running | never
    error: str | None


@dataclass(frozen=True)
class MessageState(Result):
    """A press message (channel post, email) of a briefing and its state."""

    kind: str
    name: str
    version: int | None
    url: str | None
    status: str  # pending | sent | failed | uncertain | embargoed
    sent_at: str | None
    not_before: str | None
    attempts: int
    error: str | None


@dataclass(frozen=True)
class EmbargoHold(Result):
    """A release held by its embargo: until when, which version, whether the lift is due, what it holds."""

    until: str
    version: int | None
    due: bool
    holds: list[str]


@dataclass(frozen=True)
class DistributionStatus(Result):
    targets: list[TargetState]
    messages: list[MessageState]
    embargo: EmbargoHold | None = None  # the release is held until its embargo is lifted
    embargo_lifted_at: str | None = None


def status(store: Store, settings: Settings, bid: str) -> DistributionStatus:
    """Per target and per channel: the published version, the URL, when, and any error."""
    rows = {r["target"]: dict(r) for r in store.query("SELECT * FROM publications WHERE briefing_id=?", (bid,))}
    for r in rows.values():  # a local path is stored relative to the home when inside it: shown in this home
        if r["url"] and "://" not in r["url"]:
            r["url"] = store.abs(r["url"])
    try:
        configured = [t.name for t in targets(settings)]
    except ConfigError:
        configured = []
    out_targets: list[TargetState] = []
    from publish.site import published_metadata

    live = published_metadata(settings.site_dir, bid)  # the site itself: switched in whole, signed
    if live and (rows.get(SITE_TARGET) or {}).get("version") != live.get("version"):
        rows[SITE_TARGET] = {
            **(rows.get(SITE_TARGET) or {}),
            "version": live.get("version"),
            "status": "ok",
            "error": None,
            "url": (rows.get(SITE_TARGET) or {}).get("url")
            or str(settings.site_dir / "briefings" / bid / "index.html"),
            "published_at": live.get("published_at"),
        }
    for name in [SITE_TARGET, *configured, *[n for n in rows if n not in configured and n != SITE_TARGET]]:
        row = rows.get(name)
        out_targets.append(
            TargetState(
                name,
                row["version"] if row else None,
                row["url"] if row else None,
                row["published_at"] if row else None,
                row["status"] if row else "never",
                row["error"] if row else None,
            )
        )
    messages: list[MessageState] = []
    for m in outbox.messages(store, briefing_id=bid):
        if m.kind not in ("channel", "email"):
            continue
        att = _attempt(store, m.key)
        state = m.status
        if m.status != "sent" and att and att["finished_at"] is None:
            state = "uncertain"
        elif m.status == "pending" and m.not_before and m.not_before > embargo.clock_iso():
            state = "embargoed"
        messages.append(
            MessageState(
                m.kind,
                m.target,
                m.payload.get("version"),
                m.payload.get("link"),
                state,
                m.sent_at,
                m.not_before,
                m.attempts,
                m.last_error,
            )
        )
    e = embargo.embargo_of(store, bid)
    held = None
    if e and not e.get("lifted_at"):
        held = EmbargoHold(
            e["until"],
            e.get("version"),
            embargo.held(store, bid) is None,
            ["page", "feeds", "index", "search", "targets", "channels"],
        )
    return DistributionStatus(out_targets, messages, held, (e or {}).get("lifted_at"))
