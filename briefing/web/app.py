"""The review desk's Flask application: login, the queue, the editor and its JSON endpoints.

Every state-changing request is a POST carrying the session's CSRF token (``X-CSRF-Token`` header, or a
``csrf_token`` form field); one without it, or with a wrong one, is answered 403 and changes nothing.
Every page but the login page needs a session (else: a redirect to the login page). The pages load
nothing from elsewhere (Content-Security-Policy ``default-src 'self'``).
"""

from __future__ import annotations

import gzip
import hmac
import secrets
import threading
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, jsonify, redirect, render_template, request, send_file, url_for

from briefing.core.config import Settings, SiteSettings
from briefing.core.errors import BriefingError, NotFoundError
from briefing.core.store import Store
from briefing.web import accounts, drafts, i18n

COOKIE = "desk_session"
PRE = "desk_login"
LANG = "desk_lang"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
COMPRESS = ("text/html", "application/json", "text/css", "text/javascript", "application/javascript")


class OneTime:
    def __init__(self, token: accounts.OneTimeToken | None) -> None:
        self.token = token
        self.lock = threading.Lock()

    def take(self, given: str | None) -> bool:
        with self.lock:
            return self.token is not None and self.token.take(given)


def create_app(store: Store, settings: Settings, *, one_time: accounts.OneTimeToken | None = None) -> Flask:
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(MAX_CONTENT_LENGTH=8 << 20, TEMPLATES_AUTO_RELOAD=False)
    link = OneTime(one_time)

    # -- per request ---------------------------------------------------------------------------------
    def lang_for(briefing_language: str | None = None) -> str:
        chosen = request.args.get("lang") or request.cookies.get(LANG)
        if chosen in i18n.LANGS:
            return chosen
        return i18n.pick(briefing_language or SiteSettings.of(settings).language)

    @app.before_request
    def gate() -> Any:
        g.session = accounts.session(store, request.cookies.get(COOKIE))
        g.lang = lang_for()
        if request.endpoint in ("static", "favicon"):
            return None
        if request.endpoint == "login":
            if request.method == "POST":
                pre = request.cookies.get(PRE) or ""
                given = request.form.get("csrf_token") or ""
                if not pre or not hmac.compare_digest(pre, given):
                    abort(403)
            return None
        if g.session is None:
            if request.method == "GET":
                return redirect(url_for("login", next=request.full_path.rstrip("?")))
            abort(403)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
            if not given or not hmac.compare_digest(g.session.csrf, given):
                abort(403)
        return None

    @app.after_request
    def finish(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        if request.args.get("lang") in i18n.LANGS:
            resp.set_cookie(
                LANG,
                request.args["lang"],
                max_age=365 * 86400,
                samesite="Strict",
                httponly=True,
                secure=request.is_secure,
            )
        if request.endpoint != "media":
            resp.headers.setdefault("Cache-Control", "no-store")
        mime = (resp.mimetype or "").split(";")[0]
        if (
            mime in COMPRESS
            and not resp.direct_passthrough
            and resp.status_code == 200
            and "gzip" in request.headers.get("Accept-Encoding", "")
            and "Content-Encoding" not in resp.headers
        ):
            body = resp.get_data()
            if len(body) > 1024:
                resp.set_data(gzip.compress(body, compresslevel=6))
                resp.headers["Content-Encoding"] = "gzip"
                resp.headers["Vary"] = "Accept-Encoding"
        return resp

    def t() -> dict[str, str]:
        return i18n.words(g.lang)

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "T": i18n.words(g.get("lang", "en")),
            "lang": g.get("lang", "en"),
            "session": g.get("session"),
            "other_lang": "en" if g.get("lang") == "vi" else "vi",
        }

    @app.errorhandler(BriefingError)
    def briefing_error(exc: BriefingError) -> Any:
        status = 404 if isinstance(exc, NotFoundError) else 400
        if request.method == "GET" and not request.path.endswith(("/data", "/diff")):
            return render_template("error.html", message=str(exc)), status
        return jsonify(error=str(exc)), status

    @app.errorhandler(404)
    def not_found(_exc: Any) -> Any:
        return render_template("error.html", message=t()["not_found"]), 404

    @app.errorhandler(403)
    def forbidden(_exc: Any) -> Any:
        if request.method == "GET":
            return render_template("error.html", message=t()["forbidden"]), 403
        return jsonify(error=t()["forbidden"]), 403

    def briefing_or_404(bid: str) -> Any:
        b = store.find_briefing(bid)
        if b is None:
            abort(404)
        return b

    def who() -> tuple[str, str]:
        return g.session.user, g.session.role

    def cookie_session(resp: Any, token: str) -> Any:
        resp.set_cookie(
            COOKIE,
            token,
            max_age=accounts.SESSION_S,
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
            path="/",
        )
        resp.delete_cookie(PRE, path="/login")
        return resp

    def safe_next(value: str | None) -> str:
        if not value:
            return url_for("queue")
        parts = urlsplit(value)
        if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
            return url_for("queue")
        return value

    @app.get("/favicon.ico")
    def favicon() -> Any:
        return Response(status=204)

    # -- login -------------------------------------------------------------------------------------
    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        nxt = safe_next(request.values.get("next"))
        error = None
        status = 200
        if request.method == "GET" and "token" in request.args:
            if link.take(request.args.get("token")):
                return cookie_session(redirect(nxt), accounts.open_session(store, accounts.LOCAL_USER, "publisher"))
            error, status = t()["link_used"], 403
        if request.method == "POST":
            name = (request.form.get("user") or "").strip()
            res = accounts.check_login(store, name, request.form.get("password") or "", request.remote_addr or "-")
            if res.ok:
                return cookie_session(redirect(nxt), accounts.open_session(store, res.user, res.role))
            if res.wait_s > 0:
                error, status = t()["login_slowed"].format(s=int(res.wait_s + 0.999)), 429
            else:
                error, status = t()["login_failed"], 401
        pre = request.cookies.get(PRE) or ""  # one per browser: another tab (or the favicon) keeps it valid
        if len(pre) < 24:
            pre = secrets.token_urlsafe(24)
        resp = Response(render_template("login.html", error=error, csrf=pre, next=nxt), status=status)
        resp.set_cookie(PRE, pre, httponly=True, samesite="Strict", secure=request.is_secure, path="/login")
        if status == 429:
            resp.headers["Retry-After"] = str(
                int(accounts.wait_s(store, [f"user:{request.form.get('user', '')}", f"addr:{request.remote_addr}"]) + 1)
            )
        return resp

    @app.post("/logout")
    def logout() -> Any:
        accounts.close_session(store, request.cookies.get(COOKIE))
        resp = redirect(url_for("login"))
        resp.delete_cookie(COOKIE, path="/")
        return resp

    # -- the queue ---------------------------------------------------------------------------------
    @app.get("/")
    def queue() -> Any:
        q = (request.args.get("q") or "").strip().lower()
        state = request.args.get("state") or ""
        rows = [
            r
            for r in drafts.queue(store, settings)
            if (not state or r["state"] == state)
            and (not q or q in r["title"].lower() or q in r["id"].lower() or q in r["date"])
        ]
        return render_template("queue.html", rows=rows, q=q, state=state)

    # -- one briefing -----------------------------------------------------------------------------
    @app.get("/b/<bid>")
    def editor(bid: str) -> Any:
        b = briefing_or_404(bid)
        data = drafts.editor_data(store, settings, bid)
        g.lang = lang_for(b.language if b.language not in ("", "auto") else data["language"])
        words = i18n.words(g.lang)
        data["t"] = {k: words[k] for k in i18n.JS}
        data["csrf"] = g.session.csrf
        data["may_publish"] = g.session.may_publish
        data["media"] = url_for("media", bid=bid) if drafts.media(store, bid) else None
        return render_template("editor.html", b=b, data=data)

    @app.get("/b/<bid>/data")
    def data(bid: str) -> Any:
        briefing_or_404(bid)
        return jsonify(drafts.editor_data(store, settings, bid))

    @app.get("/b/<bid>/media")
    def media(bid: str) -> Any:
        briefing_or_404(bid)
        m = drafts.media(store, bid)
        if m is None:
            abort(404)
        return send_file(m[0], mimetype=m[1], conditional=True, max_age=3600)

    @app.get("/b/<bid>/diff")
    def diff(bid: str) -> Any:
        briefing_or_404(bid)
        return Response(drafts.diff_html(store, settings, bid) or f"<p>{t()['no_changes']}</p>", mimetype="text/html")

    def body() -> dict[str, Any]:
        value = request.get_json(silent=True)
        if not isinstance(value, dict):
            abort(400)
        return value

    def base_version(value: dict[str, Any]) -> int:
        v = value.get("base_version")
        if not isinstance(v, int) or isinstance(v, bool):
            abort(400)
        return v

    @app.post("/b/<bid>/draft")
    def save(bid: str) -> Any:
        briefing_or_404(bid)
        value = body()
        user, role = who()
        try:
            return jsonify(
                drafts.save(
                    store,
                    settings,
                    bid,
                    user=user,
                    role=role,
                    base_version=base_version(value),
                    segments=value.get("segments"),
                )
            )
        except drafts.Conflict as c:
            return jsonify(error="conflict", latest=c.latest, refused=c.refused_id), 409

    @app.post("/b/<bid>/speaker")
    def speaker(bid: str) -> Any:
        briefing_or_404(bid)
        value = body()
        user, role = who()
        try:
            start, end = float(value["start"]), float(value["end"])
        except (KeyError, TypeError, ValueError):
            abort(400)
        turns = drafts.name_speaker(
            store,
            settings,
            bid,
            user=user,
            role=role,
            name=str(value.get("name") or ""),
            start=start,
            end=end,
            allow_new=bool(value.get("new")),
        )
        return jsonify(turns=turns)

    @app.post("/b/<bid>/publish")
    def publish(bid: str) -> Any:
        briefing_or_404(bid)
        if not g.session.may_publish:
            return jsonify(error=t()["reviewer_cannot_publish"]), 403
        value = body()
        user, role = who()
        try:
            return jsonify(
                drafts.publish(
                    store,
                    settings,
                    bid,
                    user=user,
                    role=role,
                    base_version=base_version(value),
                    note=str(value.get("note") or ""),
                    notify=bool(value.get("notify")),
                )
            )
        except drafts.Conflict as c:
            return jsonify(error="conflict", latest=c.latest, refused=None), 409

    return app
