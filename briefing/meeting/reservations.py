"""The HTTP service that prosody's mod_reservations calls: a room opens only in its briefing's window.

Contract (jitsi-meet resources/prosody-plugins/mod_reservations.lua; handbook devops-guide/reservation.md):

- ``POST /conference``, form-encoded ``name``, ``start_time`` (UTC ``yyyy-MM-ddTHH:mm:ss.SSSZ``),
  ``mail_owner``: 200 ``{id, name, mail_owner, start_time, duration}`` (duration in seconds; prosody ends the
  room at start_time + duration), 403 ``{message}`` for an unknown, cancelled, not yet open or closed room,
  409 ``{conflict_id}`` for a room that is already running, 400 ``{message}`` for a bad request.
- ``GET /conference/<id>``: 200 with the same body as the 200 above, or 404.
- ``DELETE /conference/<id>``: the room was destroyed; recorded as ended. 200, or 404.
- ``Authorization: Bearer <token>`` (prosody's ``reservations_api_headers``): 401 without it. The service
  fails closed: it serves without a token only on a loopback address, or where the operator said
  ``--insecure-no-token`` (and then every start logs a warning).

Built on Flask, served by waitress. Every decision is logged on the ``briefing.meeting.reservations`` logger.
Idle and half-open connections are closed after ``IDLE_TIMEOUT_S`` and up to ``CONNECTION_LIMIT`` are
accepted, so a client holding many connections open cannot starve prosody.
"""

from __future__ import annotations

import hmac
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from briefing.core import webserver
from briefing.core.errors import ConfigError
from briefing.core.store import Store, now_iso
from briefing.meeting import jitsi as _jitsi  # noqa: F401  (declares the jitsi.* settings this service reads)
from briefing.meeting import schedule

log = logging.getLogger("briefing.meeting.reservations")
UTC = UTC
MAX_BODY = 16 * 1024  # a real request is ~150 bytes
IDLE_TIMEOUT_S = 10  # a connection with no complete request in this long is closed (prosody sends at once)
CONNECTION_LIMIT = 500  # open connections accepted at once (waitress's default, 100, is easy to fill)
_NAME = re.compile(r"^(?:\[([^\]]{1,128})\])?([^\s\[\]@/]{1,256})$")


def _fmt(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _parse_time(text: str) -> datetime | None:
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def create_app(store_path: str, *, token: str = "", lead_s: int = 1800, grace_s: int = 1800) -> Any:
    """The WSGI app. ``lead_s``/``grace_s``: how long before start / after end a room may be opened."""
    from flask import Flask, Response, jsonify, request

    app = Flask("briefing.meeting.reservations")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    store = Store(store_path)

    def reply(status: int, body: dict[str, Any]) -> Response:
        resp = jsonify(body)
        resp.status_code = status
        return resp

    def body_of(row: Any) -> dict[str, Any]:
        return {
            "id": row["id"],
            "name": row["name"],
            "mail_owner": row["mail_owner"],
            "start_time": row["start_time"],
            "duration": row["duration_s"],
        }

    @app.before_request
    def _auth() -> Response | None:
        if not token:
            return None
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            log.warning(
                "refused %s %s from %s: missing or wrong bearer token",
                request.method,
                request.path,
                request.remote_addr,
            )
            return reply(401, {"message": "Missing or wrong bearer token"})
        return None

    @app.errorhandler(413)
    def _too_big(_exc: Any) -> Response:
        log.warning("refused %s %s: body over %d bytes", request.method, request.path, MAX_BODY)
        return reply(400, {"message": f"Request body too large (limit {MAX_BODY} bytes)"})

    @app.errorhandler(404)
    def _not_found(_exc: Any) -> Response:
        return reply(404, {"message": "Not found"})

    @app.errorhandler(405)
    def _not_allowed(_exc: Any) -> Response:
        return reply(405, {"message": "Method not allowed"})

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        from werkzeug.exceptions import HTTPException

        if isinstance(exc, HTTPException):
            return reply(exc.code or 500, {"message": exc.description or exc.name})
        log.exception("internal error on %s %s", request.method, request.path)
        return reply(500, {"message": "Internal error of the reservation service"})

    @app.post("/conference")
    def create() -> Response:
        if (request.content_length or 0) > MAX_BODY:
            return _too_big(None)
        ctype = (request.mimetype or "").lower()
        if ctype != "application/x-www-form-urlencoded":
            log.info("400: content type %r is not form-encoded", ctype)
            return reply(400, {"message": "Expected an application/x-www-form-urlencoded body"})
        form = request.form
        missing = [k for k in ("name", "start_time", "mail_owner") if not form.get(k, "").strip()]
        if missing:
            log.info("400: form lacks %s", ", ".join(missing))
            return reply(400, {"message": "Missing field(s): " + ", ".join(missing)})
        name, owner, start_raw = form["name"].strip(), form["mail_owner"].strip(), form["start_time"].strip()
        m = _NAME.match(name)
        started = _parse_time(start_raw)
        if not m or len(owner) > 512:
            log.info("400: bad room name %r or mail_owner", name[:80])
            return reply(400, {"message": "Bad room name or mail_owner"})
        if started is None:
            log.info("400: bad start_time %r", start_raw[:80])
            return reply(400, {"message": "Bad start_time, expected yyyy-MM-ddTHH:mm:ss.SSSZ"})
        room = m.group(2).lower()
        now = datetime.now(UTC)
        occ = schedule.occurrence_by_room(store, room, now=now)
        if occ is None:
            log.info("403 %s (owner %s): not a scheduled briefing room", name, owner)
            return reply(403, {"message": "This room is not a scheduled briefing"})
        if occ.cancelled:
            log.info("403 %s (%s): the briefing is cancelled", name, occ.id)
            return reply(403, {"message": f"The briefing {occ.title!r} of {occ.local_start:%Y-%m-%d} was cancelled"})
        opens, closes = occ.start - timedelta(seconds=lead_s), occ.end + timedelta(seconds=grace_s)
        if now < opens:
            local = opens.astimezone(occ.series.tz)
            log.info("403 %s (%s): too early, opens at %s", name, occ.id, local.isoformat())
            return reply(
                403,
                {
                    "message": f"This briefing room opens at {local:%Y-%m-%d %H:%M} "
                    f"({occ.series.timezone}, {_fmt(opens)})",
                    "opens_at": _fmt(opens),
                },
            )
        if now >= closes:
            local = closes.astimezone(occ.series.tz)
            log.info("403 %s (%s): too late, closed at %s", name, occ.id, local.isoformat())
            return reply(
                403, {"message": f"This briefing room closed at {local:%Y-%m-%d %H:%M} ({occ.series.timezone})"}
            )
        with store.tx() as db:
            active = db.execute(
                "SELECT id FROM jitsi_reservations WHERE occurrence_id = ? AND ended_at IS NULL"
                " ORDER BY id DESC LIMIT 1",
                (occ.id,),
            ).fetchone()
            if active is None:
                duration = max(1, int((closes - now).total_seconds()))
                cur = db.execute(
                    """INSERT INTO jitsi_reservations (occurrence_id, name, mail_owner, start_time, duration_s,
                         created_at) VALUES (?, ?, ?, ?, ?, ?)""",
                    (occ.id, name, owner, _fmt(now), duration, now_iso()),
                )
                rid = cur.lastrowid
        if active is not None:
            log.info("409 %s (%s): already running as reservation %s", name, occ.id, active["id"])
            return reply(409, {"conflict_id": active["id"]})
        row = store.query("SELECT * FROM jitsi_reservations WHERE id = ?", (rid,))[0]
        log.info(
            "200 %s (%s) for %s: reservation %s, %d s until %s",
            name,
            occ.id,
            owner,
            rid,
            row["duration_s"],
            _fmt(closes),
        )
        return reply(200, body_of(row))

    def _lookup(rid: str) -> Any:
        if not rid.isdigit() or len(rid) > 18:
            return None
        rows = store.query("SELECT * FROM jitsi_reservations WHERE id = ?", (int(rid),))
        return rows[0] if rows else None

    @app.get("/conference/<rid>")
    def read(rid: str) -> Response:
        row = _lookup(rid)
        if row is None:
            log.info("404 GET reservation %s: unknown", rid[:40])
            return reply(404, {"message": f"No reservation {rid}"})
        log.info("200 GET reservation %s (%s)", rid, row["name"])
        return reply(200, body_of(row))

    @app.delete("/conference/<rid>")
    def delete(rid: str) -> Response:
        row = _lookup(rid)
        if row is None:
            log.info("404 DELETE reservation %s: unknown", rid[:40])
            return reply(404, {"message": f"No reservation {rid}"})
        ts = now_iso()
        with store.tx() as db:
            db.execute("UPDATE jitsi_reservations SET ended_at = COALESCE(ended_at, ?) WHERE id = ?", (ts, row["id"]))
            db.execute("UPDATE schedule_occurrences SET ended_at = ? WHERE id = ?", (ts, row["occurrence_id"]))
        log.info("200 DELETE reservation %s (%s): room ended", rid, row["name"])
        return reply(200, {})

    return app


def make_server(
    store_path: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8090,
    token: str = "",
    lead_s: int = 1800,
    grace_s: int = 1800,
    idle_timeout_s: int = IDLE_TIMEOUT_S,
) -> Any:
    """A waitress server (call .run(); .close() to stop). Port 0 picks a free port (see .effective_port)."""
    app = create_app(store_path, token=token, lead_s=lead_s, grace_s=grace_s)
    idle = max(1, int(idle_timeout_s))
    return webserver.make_server(
        app,
        host=host,
        port=port,
        threads=8,
        max_request_body_size=1 << 20,
        ident="briefing-reservations",
        clear_untrusted_proxy_headers=True,
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=idle,
        cleanup_interval=max(1, min(2, idle)),
    )


def read_token_file(path: Any) -> str:
    """The bearer token in a file; ConfigError for an unreadable or empty file (never serve open by mistake)."""
    try:
        token = open(path, encoding="utf-8").read().strip()  # noqa: SIM115
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ConfigError(
            f"cannot read the token file {path} ({reason})",
            hint="point --token-file at a readable UTF-8 file holding the token",
        ) from None
    if not token:
        raise ConfigError(
            f"the token file {path} is empty",
            hint="write the token prosody sends (reservations_api_headers) into it, e.g. openssl rand -hex 32",
        )
    if any(ch.isspace() for ch in token) or not token.isprintable():
        raise ConfigError(
            f"the token in {path} holds spaces or control characters", hint="use one word, e.g. openssl rand -hex 32"
        )
    return token


def check_exposure(host: str, token: str, *, insecure_no_token: bool = False) -> None:
    """Refuse to serve without a token anywhere but on loopback, unless the operator insists."""
    if token or webserver.is_loopback(host) or insecure_no_token:
        return
    raise ConfigError(
        f"refusing to serve reservations on {host} without a bearer token: anyone who can "
        "reach it could open briefing rooms",
        hint="set BRIEFING_JITSI_RESERVATIONS_TOKEN (or --token-file), listen on 127.0.0.1, "
        "or pass --insecure-no-token",
    )


def serve(
    store_path: str, *, host: str, port: int, token: str, lead_s: int, grace_s: int, insecure_no_token: bool = False
) -> None:
    """Serve until interrupted; Ctrl-C (SIGINT) ends it with KeyboardInterrupt, as any command."""
    check_exposure(host, token, insecure_no_token=insecure_no_token)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    log.setLevel(logging.INFO)
    server = make_server(store_path, host=host, port=port, token=token, lead_s=lead_s, grace_s=grace_s)
    if not token and insecure_no_token:
        log.warning(
            "INSECURE: serving on %s without a bearer token (--insecure-no-token): anyone who can reach "
            "port %s can open briefing rooms; set BRIEFING_JITSI_RESERVATIONS_TOKEN",
            host,
            server.effective_port,
        )
    log.info(
        "listening on http://%s:%s/conference (bearer token %s)",
        host,
        server.effective_port,
        "required" if token else "not required: loopback only" if webserver.is_loopback(host) else "NOT required",
    )
    webserver.run_until_interrupted(server)
