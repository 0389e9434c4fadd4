"""Everything that knows Jitsi's URLs and wire formats: join links, tokens, and room state.

- Join link: ``https://<jitsi>[/<tenant>]/<room>?jwt=<token>#config.x=<json>&userInfo.displayName=<json>``
  (hash values are ``encodeURIComponent(JSON.stringify(v))``, as Jitsi's external API writes them).
- Token: what prosody's token_verification checks (iss, aud, sub, room, nbf, exp; HS256 with the app
  secret or RS256 with a private key and ``kid``), plus ``context.user`` / ``context.features`` read by the
  client, and ``context.user.affiliation`` read by jitsi-contrib's ``token_affiliation`` for moderator rights.
- Room state: prosody's mod_muc_size (``/room-size`` and ``/room``), read with httpx and timeouts.
"""

from __future__ import annotations

import hashlib
import json
import time as _time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from briefing.core import config, text
from briefing.core.errors import ConfigError, InputError, JitsiError
from briefing.core.results import Result, optional
from briefing.meeting import schedule

config.register(
    config.Setting("jitsi.url", "", "Base URL of the Jitsi deployment (with /tenant if you use tenants)."),
    config.Setting("jitsi.app_id", "", "Prosody app_id (docker: JWT_APP_ID); also the token's iss."),
    config.Setting(
        "jitsi.app_secret", "", "Prosody app_secret for HS256 tokens (docker: JWT_APP_SECRET).", secret=True
    ),
    config.Setting(
        "jitsi.private_key", "", "PEM private key for RS256 tokens (use BRIEFING_JITSI_PRIVATE_KEY_FILE).", secret=True
    ),
    config.Setting("jitsi.kid", "", "Key id (JWT header kid) of the RS256 key, as published on asap_key_server."),
    config.Setting("jitsi.audience", "jitsi", "Token aud; must be in prosody's asap_accepted_audiences."),
    config.Setting("jitsi.subject", "", "Token sub: the domain or tenant (default: tenant, else the host)."),
    config.Setting("jitsi.lead", 1800, "How long before the start a link works and the room opens.", config.duration),
    config.Setting(
        "jitsi.grace", 1800, "How long after the end a link works and the room stays open.", config.duration
    ),
    config.Setting("jitsi.prosody_url", "http://localhost:5280", "Prosody's HTTP endpoint (mod_muc_size)."),
    config.Setting("jitsi.domain", "", "XMPP domain for mod_muc_size's domain= (default: host of jitsi.url)."),
    config.Setting("jitsi.timeout", 5.0, "Seconds to wait for Jitsi/prosody HTTP answers.", float),
    config.Setting(
        "jitsi.reservations_token", "", "Bearer token prosody sends in reservations_api_headers.", secret=True
    ),
)


class JitsiSettings(config.Area, area="jitsi"):
    url: str
    app_id: str
    app_secret: str
    private_key: str
    kid: str
    audience: str
    subject: str
    lead: float
    grace: float
    prosody_url: str
    domain: str
    timeout: float
    reservations_token: str


ROLES = ("chair", "speaker", "press", "recorder")

# Keys of MEET_FEATURES (jitsi-meet react/features/base/jwt/constants.ts). With a features object present,
# a key that is missing counts as disabled, so every key is written explicitly.
FEATURES = (
    "branding",
    "calendar",
    "create-polls",
    "flip",
    "inbound-call",
    "livestreaming",
    "lobby",
    "moderation",
    "outbound-call",
    "recording",
    "room",
    "screen-sharing",
    "send-groupchat",
    "sip-inbound-call",
    "sip-outbound-call",
    "transcription",
)

_ENABLED: dict[str, set[str]] = {
    "chair": {
        "recording",
        "livestreaming",
        "transcription",
        "lobby",
        "moderation",
        "screen-sharing",
        "send-groupchat",
        "create-polls",
    },
    "speaker": {"screen-sharing", "send-groupchat"},
    "press": {"send-groupchat"},
    "recorder": {"recording", "livestreaming", "transcription"},
}
_OWNER = {"chair", "recorder"}

# Hash overrides (config.* keys on jitsi-meet's whitelist) per role.
_HASH: dict[str, dict[str, Any]] = {
    "chair": {"config.prejoinConfig.enabled": True},
    "speaker": {"config.prejoinConfig.enabled": True},
    "press": {
        "config.startWithAudioMuted": True,
        "config.startWithVideoMuted": True,
        "config.prejoinConfig.enabled": True,
    },
    "recorder": {
        "config.startWithAudioMuted": True,
        "config.startWithVideoMuted": True,
        "config.prejoinConfig.enabled": False,
    },
}


@dataclass(frozen=True)
class JitsiConfig:
    url: str  # https://meet.example.org[/tenant], no trailing slash
    app_id: str
    audience: str
    subject: str
    lead_s: int
    grace_s: int
    algorithm: str
    key: Any
    kid: str
    prosody_url: str
    domain: str
    tenant: str
    timeout: float
    reservations_token: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


def _check_url(url: str, what: str) -> str:
    u = urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise ConfigError(f"{what} {url!r} is not an http(s) URL", hint="e.g. https://meet.example.org")
    return url.rstrip("/")


HS256_MIN_BYTES = 32  # RFC 7518 §3.2: an HMAC key at least as long as the hash output


def _loopback_host(host: str) -> bool:
    import ipaddress

    h = (host or "").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def load(settings: Any, *, need_signing: bool = True) -> JitsiConfig:
    """The Jitsi configuration from settings; ConfigError naming the variable to set if incomplete."""
    o = JitsiSettings.of(settings)
    url = o.url
    if not url:
        raise ConfigError("the Jitsi URL is not set", hint="set BRIEFING_JITSI_URL, e.g. https://meet.example.org")
    url = _check_url(url, "BRIEFING_JITSI_URL")
    if urlsplit(url).scheme == "http" and not _loopback_host(urlsplit(url).hostname or ""):
        # join links carry their token in the URL: over plain http anyone on the way can take it
        raise ConfigError(
            f"BRIEFING_JITSI_URL {url!r} is plain http: join links and their tokens would travel unencrypted",
            hint="use the https:// address of the Jitsi deployment (http:// only for localhost)",
        )
    path = urlsplit(url).path.strip("/")
    tenant = path.split("/")[-1].lower() if path else ""
    secret, private = o.app_secret, o.private_key
    app_id = o.app_id
    algorithm = ""
    key: Any = None  # a private key object, or the HS256 secret
    if need_signing:
        if not app_id:
            raise ConfigError("the Jitsi app id is not set", hint="set BRIEFING_JITSI_APP_ID (prosody app_id)")
        if private:
            from cryptography.hazmat.primitives.serialization import load_pem_private_key

            try:
                key = load_pem_private_key(private.encode(), password=None)
            except (ValueError, TypeError) as exc:
                raise ConfigError(
                    f"the Jitsi private key is not a usable PEM key ({exc})",
                    hint="point BRIEFING_JITSI_PRIVATE_KEY_FILE at an unencrypted RSA key",
                ) from None
            if not o.kid:
                raise ConfigError("RS256 tokens need a key id", hint="set BRIEFING_JITSI_KID")
            algorithm = "RS256"
        elif secret:
            if len(secret.encode("utf-8")) < HS256_MIN_BYTES:
                raise ConfigError(
                    f"the Jitsi app secret is {len(secret.encode('utf-8'))} bytes; HS256 needs at least "
                    f"{HS256_MIN_BYTES} (RFC 7518 §3.2)",
                    hint="set a longer secret in prosody (JWT_APP_SECRET) and BRIEFING_JITSI_APP_SECRET, e.g. "
                    "openssl rand -hex 32",
                )
            algorithm, key = "HS256", secret
        else:
            raise ConfigError(
                "no key to sign Jitsi tokens",
                hint="set BRIEFING_JITSI_APP_SECRET (or BRIEFING_JITSI_PRIVATE_KEY_FILE and BRIEFING_JITSI_KID)",
            )
    return JitsiConfig(
        url=url,
        app_id=app_id,
        audience=o.audience or "jitsi",
        subject=o.subject or tenant or (urlsplit(url).hostname or ""),
        lead_s=int(o.lead),
        grace_s=int(o.grace),
        algorithm=algorithm,
        key=key,
        kid=o.kid,
        prosody_url=_check_url(o.prosody_url, "jitsi.prosody_url"),
        domain=o.domain or (urlsplit(url).hostname or ""),
        tenant=tenant,
        timeout=o.timeout,
        reservations_token=o.reservations_token,
    )


def user_id(name: str, email: str, role: str) -> str:
    basis = (email or name or role).strip().lower()
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def claims(
    cfg: JitsiConfig,
    *,
    room: str,
    start: datetime,
    end: datetime,
    role: str,
    name: str = "",
    email: str = "",
    avatar: str = "",
) -> dict[str, Any]:
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", hint="use one of " + ", ".join(ROLES))
    name = name or {"chair": "Chair", "speaker": "Speaker", "press": "Press", "recorder": "Recorder"}[role]
    enabled = _ENABLED[role]
    return {
        "iss": cfg.app_id,
        "aud": cfg.audience,
        "sub": cfg.subject,
        "room": room,
        "iat": int(_time.time()),
        "nbf": int(start.timestamp()) - cfg.lead_s,
        "exp": int(end.timestamp()) + cfg.grace_s,
        "context": {
            "user": {
                "id": user_id(name, email, role),
                "name": name,
                "email": email or "",
                "avatar": avatar or "",
                "affiliation": "owner" if role in _OWNER else "member",
            },
            "group": cfg.app_id,
            "features": {f: f in enabled for f in FEATURES},
        },
    }


def sign(cfg: JitsiConfig, payload: dict[str, Any]) -> str:
    import jwt

    headers = {"typ": "JWT"}
    if cfg.algorithm == "RS256":
        headers["kid"] = cfg.kid
    with warnings.catch_warnings():  # load() refuses short HS256 secrets; PyJWT's own warning is not for users
        warnings.simplefilter("ignore")
        return jwt.encode(payload, cfg.key, algorithm=cfg.algorithm, headers=headers)


def _hash_value(v: Any) -> str:
    # encodeURIComponent(JSON.stringify(v))
    return quote(json.dumps(v, ensure_ascii=False, separators=(",", ":")), safe="-_.!~*'()")


def room_url(cfg: JitsiConfig, room: str) -> str:
    return f"{cfg.url}/{room}"


@dataclass(frozen=True)
class JoinLink(Result):
    """A signed join link for one person in one role."""

    role: str
    name: str
    email: str
    room: str
    url: str
    token: str
    valid_from: str
    valid_until: str


def join_link(
    cfg: JitsiConfig,
    *,
    room: str,
    start: datetime,
    end: datetime,
    role: str,
    name: str = "",
    email: str = "",
    avatar: str = "",
) -> JoinLink:
    """A signed join link for one person in one role: {role, name, email, url, token, nbf, exp}."""
    payload = claims(cfg, room=room, start=start, end=end, role=role, name=name, email=email, avatar=avatar)
    token = sign(cfg, payload)
    overrides = dict(_HASH[role])
    user = payload["context"]["user"]
    overrides["userInfo.displayName"] = user["name"]
    if user["email"]:
        overrides["userInfo.email"] = user["email"]
    fragment = "&".join(f"{k}={_hash_value(v)}" for k, v in overrides.items())
    url = f"{room_url(cfg, room)}?jwt={token}#{fragment}"
    ts = lambda s: datetime.fromtimestamp(s, UTC).isoformat()  # noqa: E731
    return JoinLink(role, user["name"], user["email"], room, url, token, ts(payload["nbf"]), ts(payload["exp"]))


# -- room state (mod_muc_size) --------------------------------------------------------------------------
def _get(client: Any, url: str, params: dict[str, str]) -> Any:
    import httpx

    # mod_muc_size splits the query on & and = without URL-decoding: build it by hand (room names are
    # [a-z0-9-] and domains need no escaping).
    query = "&".join(f"{k}={v}" for k, v in params.items())
    try:
        return client.get(f"{url}?{query}")
    except httpx.TimeoutException:
        raise JitsiError(
            f"prosody at {url} did not answer in time", hint="check that prosody runs and jitsi.prosody_url is right"
        ) from None
    except httpx.HTTPError as exc:
        raise JitsiError(
            f"cannot reach prosody at {url} ({type(exc).__name__}: {exc})",
            hint="check BRIEFING_JITSI_PROSODY_URL and that prosody's HTTP port is reachable",
        ) from None


def _json(resp: Any, url: str) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise JitsiError(
            f"prosody at {url} answered {resp.status_code} with no JSON",
            hint="check that mod_muc_size is enabled on the main VirtualHost",
        ) from None


@dataclass(frozen=True)
class Participant(Result):
    jid: str
    email: str
    display_name: str


@dataclass(frozen=True)
class RoomStatus(Result):
    """Who is in a room now; ``reported_size`` is mod_muc_size's count (focus included), when open."""

    room: str
    active: bool
    participants: int
    reported_size: int | None = optional()
    people: list[Participant] = field(default_factory=list)


def room_status(cfg: JitsiConfig, room: str, *, token: str | None = None) -> RoomStatus:
    """Who is in the room now: its participants (focus excluded) and their JIDs, emails, names."""
    import httpx

    params = {"room": room, "domain": cfg.domain}
    if cfg.tenant:
        params["subdomain"] = cfg.tenant
    if token:
        params["token"] = token
    base = cfg.prosody_url
    with httpx.Client(timeout=httpx.Timeout(cfg.timeout), follow_redirects=False) as client:
        size = _get(client, f"{base}/room-size", params)
        if size.status_code == 404:
            return RoomStatus(room, False, 0)
        if size.status_code == 403:
            raise JitsiError(
                "prosody refused the room-size query (403)",
                hint="the token was refused: check the app secret and jitsi.domain",
            )
        if size.status_code != 200:
            raise JitsiError(
                f"prosody answered {size.status_code} to /room-size",
                hint="check that mod_muc_size is enabled on the main VirtualHost",
            )
        count = _json(size, f"{base}/room-size").get("participants", 0)
        listing = _get(client, f"{base}/room", params)
        if listing.status_code == 404:  # emptied between the two calls
            return RoomStatus(room, False, 0)
        if listing.status_code != 200:
            raise JitsiError(
                f"prosody answered {listing.status_code} to /room",
                hint="check that mod_muc_size is enabled on the main VirtualHost",
            )
        raw = _json(listing, f"{base}/room")
    # cjson serialises an empty array as {}: accept both.
    people_raw = list(raw.values()) if isinstance(raw, dict) else (raw or [])
    people = [
        Participant(str(p.get("jid", "")), str(p.get("email") or ""), str(p.get("display_name") or ""))
        for p in people_raw
        if isinstance(p, dict)
    ]
    # mod_muc_size reports 1 for a room holding only Jicofo's focus: the listing (focus excluded) decides.
    return RoomStatus(room, True, len(people), count, people)


# -- the application's view: links and status of a scheduled briefing -----------------------------------
def people_for(occ: Any, *, role: str | None = None, name: str = "", email: str = "") -> list[dict[str, str]]:
    """Who gets a link: one named person, everyone of one role, or the chair, speakers, press and recorder."""
    s = occ.series
    if name or email:
        return [{"role": role or "press", "name": name, "email": email}]
    out: list[dict[str, str]] = []
    if role in (None, "chair"):
        out.append({"role": "chair", "name": s.chair.get("name", ""), "email": s.chair.get("email", "")})
    if role in (None, "speaker"):
        out += [{"role": "speaker", "name": p.get("name", ""), "email": p.get("email", "")} for p in s.speakers]
        if role == "speaker" and not s.speakers:
            out.append({"role": "speaker", "name": "", "email": ""})
    if role in (None, "press"):
        out.append({"role": "press", "name": "", "email": ""})
    if role in (None, "recorder"):
        out.append({"role": "recorder", "name": "", "email": ""})
    return out


@dataclass(frozen=True)
class OccurrenceLinks(Result):
    """The join links of one briefing (an occurrence), one per person and role."""

    id: str
    title: str
    room: str
    start: str
    end: str
    links: list[JoinLink]


def occurrence_links(
    store: Any, settings: Any, ident: str, *, role: str | None = None, name: str = "", email: str = ""
) -> OccurrenceLinks:

    if role is not None and role not in ROLES:
        raise InputError(f"unknown role {role!r}", hint="use one of " + ", ".join(ROLES))
    name = text.check(name, "--name", max_len=text.NAME_MAX)
    email = text.check(email, "--email", max_len=254)
    cfg = load(settings)
    occ = schedule.get_occurrence(store, ident)
    if occ.cancelled:
        raise InputError(f"briefing {occ.id} is cancelled", hint="move it with `briefing schedule move` first")
    links = [
        join_link(cfg, room=occ.room, start=occ.start, end=occ.end, role=p["role"], name=p["name"], email=p["email"])
        for p in people_for(occ, role=role, name=name, email=email)
    ]
    return OccurrenceLinks(occ.id, occ.title, occ.room, occ.local_start.isoformat(), occ.local_end.isoformat(), links)


@dataclass(frozen=True)
class OccurrenceStatus(Result):
    """Who is in a scheduled briefing's room now."""

    id: str
    title: str
    start: str
    end: str
    room: RoomStatus

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "start": self.start, "end": self.end, **self.room.to_dict()}


def occurrence_status(store: Any, settings: Any, ident: str) -> OccurrenceStatus:
    cfg = load(settings, need_signing=False)
    occ = schedule.get_occurrence(store, ident)
    token = None
    o = JitsiSettings.of(settings)
    if o.app_id and (o.app_secret or o.private_key):
        signer = load(settings)
        now = datetime.now(UTC)
        payload = claims(signer, room=occ.room, start=now, end=now, role="recorder", name="briefing status")
        payload["nbf"], payload["exp"] = int(now.timestamp()) - 60, int(now.timestamp()) + 300
        token = sign(signer, payload)
    state = room_status(cfg, occ.room, token=token)
    return OccurrenceStatus(occ.id, occ.title, occ.local_start.isoformat(), occ.local_end.isoformat(), state)
