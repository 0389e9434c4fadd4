"""A client for Jibri's external HTTP API (default port 2222, prefix ``/jibri/api/v1.0``), over httpx.

Wire contract (jitsi/jibri ``HttpApi.kt``, ``JibriHealth.kt``)::

    GET  /health        → 200 {"status": {"busyStatus": "IDLE|BUSY|EXPIRED",
                                          "health": {"healthStatus": "HEALTHY|UNHEALTHY",
                                                     "details": {"JibriManager": {...}}}},
                               "environmentContext": {"name": ...}}      (the last key is optional)
    POST /startService  → 200 (no body; the start runs asynchronously)
                          412 "Jibri is currently busy" | 412 "<missing field message>" | 500
    POST /stopService   → 200 (blocks until the session and its finalize script are done)

Only the documented fields are sent (Jibri's Jackson mapper fails on unknown properties → 500).
Errors are :class:`JibriError` subclasses with one-line messages that say what to do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from recorder.errors import RecorderError

API_PREFIX = "/jibri/api/v1.0"
BUSY_TEXT = "Jibri is currently busy"


class JibriError(RecorderError):
    """Jibri refused a request or answered something we do not understand."""

    def __init__(self, message: str, *, hint: str = "", status_code: int | None = None, body: str = "") -> None:
        self.status_code = status_code
        self.body = body
        super().__init__(message, hint=hint)


class JibriUnreachable(JibriError):
    """No answer from Jibri's HTTP API (wrong URL, not running, bound to 127.0.0.1 elsewhere)."""


class JibriBusy(JibriError):
    """Jibri is already recording or streaming (412 "Jibri is currently busy", or health BUSY/EXPIRED)."""


class JibriRejected(JibriError):
    """Jibri refused the start request's parameters (412 with a missing-field message)."""


class JibriServerError(JibriError):
    """Jibri answered 500: an internal failure, or a request body it could not deserialise."""


@dataclass(frozen=True)
class ComponentHealth:
    name: str
    health_status: str
    detail: str | None = None


@dataclass(frozen=True)
class JibriHealth:
    busy_status: str  # IDLE | BUSY | EXPIRED
    health_status: str  # HEALTHY | UNHEALTHY
    details: tuple[ComponentHealth, ...] = ()
    environment: str | None = None  # environmentContext.name (only while busy with an XMPP session)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def idle(self) -> bool:
        return self.busy_status == "IDLE"

    @property
    def busy(self) -> bool:
        return self.busy_status == "BUSY"

    @property
    def expired(self) -> bool:
        """Single-use mode: this Jibri has done its one session and must be restarted."""
        return self.busy_status == "EXPIRED"

    @property
    def healthy(self) -> bool:
        return self.health_status == "HEALTHY"

    @classmethod
    def from_json(cls, data: Any) -> JibriHealth:
        try:
            status = data["status"]
            busy = str(status["busyStatus"]).upper()
            health = status.get("health") or {}
            hstatus = str(health.get("healthStatus", "UNHEALTHY")).upper()
            details = tuple(
                ComponentHealth(name, str((d or {}).get("healthStatus", "")).upper(), (d or {}).get("detail"))
                for name, d in (health.get("details") or {}).items()
            )
        except (KeyError, TypeError, AttributeError):
            raise JibriError(
                f"Jibri health answer has an unknown shape: {str(data)[:200]}",
                hint="check the URL points at Jibri's external API (port 2222)",
            ) from None
        if busy not in ("IDLE", "BUSY", "EXPIRED"):
            raise JibriError(
                f"Jibri reported an unknown busyStatus {busy!r}",
                hint="check the Jibri version against the documented API",
            )
        env = (data.get("environmentContext") or {}).get("name") if isinstance(data, dict) else None
        return cls(busy, hstatus, details, env, raw=data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "busy_status": self.busy_status,
            "health_status": self.health_status,
            "details": {c.name: {"health_status": c.health_status, "detail": c.detail} for c in self.details},
            "environment": self.environment,
        }


@dataclass(frozen=True)
class CallLogin:
    """XMPP login of the hidden recorder account (``callLoginParams``)."""

    domain: str
    username: str
    password: str
    port: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"domain": self.domain, "username": self.username, "password": self.password}
        if self.port:
            out["port"] = self.port
        return out


@dataclass(frozen=True)
class StartRequest:
    session_id: str
    base_url: str  # e.g. https://meet.example.org (with /tenant for a tenant room)
    call_name: str  # the room name
    login: CallLogin
    sink: str = "file"  # file | stream
    rtmp_url: str | None = None  # stream sink: the full rtmp(s):// URL (sent as youTubeStreamKey)
    url_params: tuple[str, ...] = ()
    display_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        sink = self.sink.lower()
        if sink not in ("file", "stream"):
            raise JibriError(f"unknown Jibri sink {self.sink!r}", hint="use file or stream")
        if not self.session_id or not self.base_url or not self.call_name:
            raise JibriError("a Jibri start needs a session id, a base URL and a room name")
        url_info: dict[str, Any] = {"baseUrl": self.base_url.rstrip("/"), "callName": self.call_name}
        if self.url_params:
            url_info["urlParams"] = list(self.url_params)
        call: dict[str, Any] = {"callUrlInfo": url_info}
        if self.display_name:
            call["displayName"] = self.display_name
        body: dict[str, Any] = {
            "sessionId": self.session_id,
            "callParams": call,
            "callLoginParams": self.login.to_json(),
            "sinkType": sink,
        }
        if sink == "stream":
            if not self.rtmp_url or not self.rtmp_url.lower().startswith(("rtmp://", "rtmps://")):
                raise JibriError(
                    f"the stream sink needs a full rtmp:// or rtmps:// URL, got {self.rtmp_url!r}",
                    hint="Jibri's HTTP API uses youTubeStreamKey verbatim as the RTMP URL",
                )
            body["youTubeStreamKey"] = self.rtmp_url
        return body


class JibriClient:
    """``JibriClient("http://127.0.0.1:2222")``; pass ``transport=`` or ``client=`` to customise httpx."""

    def __init__(
        self, url: str, *, timeout: float = 10.0, stop_timeout: float = 600.0, client: httpx.Client | None = None
    ) -> None:
        if not url:
            raise JibriError("no Jibri URL configured", hint="set BRIEFING_JIBRI_URL, e.g. http://127.0.0.1:2222")
        base = url.rstrip("/")
        if not base.endswith(API_PREFIX):
            base += API_PREFIX
        self.base = base
        self.timeout = timeout
        self.stop_timeout = stop_timeout  # stopService waits for the finalize script
        self._client = client or httpx.Client(timeout=timeout)
        self._own = client is None

    def close(self) -> None:
        if self._own:
            self._client.close()

    def __enter__(self) -> JibriClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ----------------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, json: Any = None, timeout: float | None = None) -> httpx.Response:
        url = self.base + path
        try:
            return self._client.request(method, url, json=json, timeout=timeout or self.timeout)
        except httpx.TimeoutException:
            raise JibriUnreachable(
                f"Jibri at {url} did not answer within {timeout or self.timeout:g} s",
                hint="check Jibri is running and not stuck",
            ) from None
        except httpx.HTTPError as exc:
            raise JibriUnreachable(
                f"cannot reach Jibri at {url}: {exc}",
                hint="check BRIEFING_JIBRI_URL; since 2026-05 Jibri binds 127.0.0.1 unless "
                "jibri.api.http.external-api-host is set",
            ) from None

    # -- API -----------------------------------------------------------------------------------------
    def health(self) -> JibriHealth:
        r = self._request("GET", "/health")
        if r.status_code != 200:
            raise JibriServerError(
                f"Jibri health answered HTTP {r.status_code}",
                status_code=r.status_code,
                body=r.text[:500],
                hint="check the URL points at Jibri's external API",
            )
        try:
            data = r.json()
        except ValueError:
            raise JibriError(
                f"Jibri health answer is not JSON: {r.text[:200]!r}",
                hint="check the URL points at Jibri's external API (port 2222)",
            ) from None
        return JibriHealth.from_json(data)

    def start(self, request: StartRequest) -> None:
        """Ask Jibri to start; 200 only means accepted (see :meth:`wait_for`)."""
        r = self._request("POST", "/startService", json=request.to_json())
        if r.status_code == 200:
            return
        text = r.text.strip()
        if r.status_code == 412:
            if BUSY_TEXT.lower() in text.lower():
                raise JibriBusy(
                    "Jibri is currently busy with another recording or stream",
                    hint="stop it first (`briefing record stop`), or point BRIEFING_JIBRI_URL at an idle Jibri",
                    status_code=412,
                    body=text,
                )
            raise JibriRejected(
                f"Jibri refused the start: {text or 'precondition failed'}",
                hint="check the recorder XMPP login (BRIEFING_JIBRI_XMPP_*) and the RTMP URL",
                status_code=412,
                body=text,
            )
        if r.status_code == 500:
            raise JibriServerError(
                f"Jibri failed to start the session (HTTP 500{': ' + text[:200] if text else ''})",
                hint="read Jibri's log (journalctl -u jibri); a malformed or unknown field also gives 500",
                status_code=500,
                body=text,
            )
        raise JibriError(
            f"Jibri answered HTTP {r.status_code} to startService: {text[:200]}",
            status_code=r.status_code,
            body=text,
            hint="check the Jibri version",
        )

    def stop(self) -> None:
        """Stop the session; blocks until Jibri (and its finalize script) is done."""
        r = self._request("POST", "/stopService", timeout=self.stop_timeout)
        if r.status_code != 200:
            raise JibriServerError(
                f"Jibri answered HTTP {r.status_code} to stopService: {r.text[:200]}",
                status_code=r.status_code,
                body=r.text,
                hint="read Jibri's log (journalctl -u jibri)",
            )

    def wait_for(self, *states: str, timeout: float = 30.0, interval: float = 0.5) -> JibriHealth:
        """Poll health until busyStatus is one of ``states``; raise :class:`JibriError` on timeout."""
        wanted = {s.upper() for s in states}
        deadline = time.monotonic() + timeout
        while True:
            h = self.health()
            if h.busy_status in wanted:
                return h
            if time.monotonic() >= deadline:
                raise JibriError(
                    f"Jibri stayed {h.busy_status} for {timeout:g} s (expected {' or '.join(sorted(wanted))})",
                    hint="read Jibri's log: the session may have failed to join the room",
                )
            time.sleep(interval)
