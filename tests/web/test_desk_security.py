"""Who may do what at the review desk, over real HTTP on loopback: sessions, roles, CSRF, paths, logins."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

import cli
from briefing.web import accounts, drafts
from tests.web.helpers import BID, PASSWORD, Officer


def corrected(data: dict[str, Any], text: str = "The ministry recorded 1,420 new cases in the past day.") -> list:
    s = data["segments"][1]
    return [{"p": 0}, {"s": s["s"], "e": s["e"], "t": text, "src": 1}, {"p": 2}, {"p": 3}]


@pytest.fixture
def officer(accounts_made, desk) -> Any:
    o = Officer(desk.url)
    with o.c:
        yield o


def test_no_session_is_sent_to_the_login_page(officer: Officer) -> None:
    for path in ("/", f"/b/{BID}", f"/b/{BID}/media", f"/b/{BID}/diff"):
        r = officer.c.get(path)
        assert r.status_code == 302 and r.headers["location"].startswith("/login?next="), path
    r = officer.c.post(f"/b/{BID}/draft", json={"base_version": 0, "segments": []})
    assert r.status_code == 403


def test_session_cookie_is_httponly_strict_and_pages_load_nothing_from_elsewhere(officer: Officer) -> None:
    r = officer.login("minh")
    assert r.status_code == 302
    cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith("desk_session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = officer.c.get(f"/b/{BID}")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert not re.search(r'(src|href)="(https?:)?//', page.text)


def test_reviewer_saves_but_cannot_publish(officer: Officer, desk_home) -> None:
    store, settings = desk_home
    assert officer.login("lan").status_code == 302
    data = officer.editor()
    assert data["may_publish"] is False
    r = officer.post(f"/b/{BID}/draft", {"base_version": data["version"], "segments": corrected(data)})
    assert r.status_code == 200 and r.json()["version"] == 1
    r = officer.post(f"/b/{BID}/publish", {"base_version": 1, "note": "misheard figure"})
    assert r.status_code == 403 and "publisher" in r.json()["error"]
    assert drafts.site_version(settings, BID) == 1
    assert "1,240" in (settings.site_dir / "briefings" / BID / "transcript.txt").read_text(encoding="utf-8")


def test_publisher_publishes_version_2_with_the_note(officer: Officer, desk_home) -> None:
    store, settings = desk_home
    officer.login("minh")
    data = officer.editor()
    officer.post(f"/b/{BID}/draft", {"base_version": data["version"], "segments": corrected(data)})
    r = officer.post(f"/b/{BID}/publish", {"base_version": 1, "note": ""})
    assert r.status_code == 400 and "note" in r.json()["error"]
    r = officer.post(f"/b/{BID}/publish", {"base_version": 1, "note": "A figure was misheard."})
    assert r.status_code == 200, r.text
    assert r.json()["site_version"] == 2 and r.json()["link"]
    page = (settings.site_dir / "briefings" / BID / "index.html").read_text(encoding="utf-8")
    assert "1,420" in page and "A figure was misheard." in page
    # the audit trail: who saved and who published, and it goes into the archive package's records
    from briefing.records import archive

    rows = archive.schedule_records(store, BID)["review_audit"]
    assert [(a["user"], a["action"]) for a in rows] == [("minh", "save"), ("minh", "publish")]
    assert rows[1]["detail"]["note"] == "A figure was misheard."


@pytest.mark.parametrize("csrf", ["", "wrong-token"])
def test_post_without_or_with_a_wrong_csrf_token_is_403_and_changes_nothing(
    officer: Officer, desk_home, csrf: str
) -> None:
    store, settings = desk_home
    officer.login("minh")
    data = officer.editor()
    before = store.briefing(BID).meta
    for path, body in (
        (f"/b/{BID}/draft", {"base_version": data["version"], "segments": corrected(data)}),
        (f"/b/{BID}/publish", {"base_version": data["version"], "note": "x"}),
        (f"/b/{BID}/speaker", {"name": "Spokesperson", "start": 0, "end": 1}),
    ):
        r = officer.post(path, body, csrf=csrf)
        assert r.status_code == 403, path
    assert store.briefing(BID).meta == before
    assert not store.query("SELECT 1 FROM review_drafts") and not store.query("SELECT 1 FROM review_audit")
    assert not store.query("SELECT 1 FROM speaker_turns")
    assert drafts.site_version(settings, BID) == 1
    # the logout form needs it too, and the login form its own
    assert officer.c.post("/logout").status_code == 403
    r = officer.c.post("/login", data={"user": "minh", "password": PASSWORD})
    assert r.status_code == 403 and "desk_session" not in r.headers.get("set-cookie", "")
    assert officer.c.get("/").status_code == 200


def test_paths_outside_the_home_are_404(officer: Officer) -> None:
    officer.login("minh")
    for path in (
        "/b/..%2F..%2Fbriefing.db/media",
        "/b/../../briefing.db",
        "/static/../app.py",
        "/static/..%2Fapp.py",
        "/static/%2e%2e/drafts.py",
        f"/b/{BID}/..%2F..%2Fbriefing.db",
        "/b/%2e%2e/media",
    ):
        r = officer.c.get(path)
        assert r.status_code == 404, (path, r.status_code)
        assert b"SQLite" not in r.content and b"import" not in r.content


def test_wrong_passwords_are_slowed_then_refused_for_a_while(officer: Officer, desk_home) -> None:
    store = desk_home[0]
    for _ in range(accounts.FREE_FAILURES):
        r = officer.login("minh", "not the password")
        assert r.status_code == 401 and "Wrong account name or password" in r.text
    assert accounts.failures(store, "user:minh") == accounts.FREE_FAILURES
    # now even the right password is refused until the lock passes, and the page says how long
    r = officer.login("minh")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= accounts.LOCK_S - 5
    assert "wait" in r.text and "desk_session" not in r.headers.get("set-cookie", "")
    assert accounts.failures(store, "user:minh") == accounts.FREE_FAILURES  # a refused attempt is not counted
    # each further failure doubles the lock (counted, not timed)
    assert accounts._lock_s(accounts.FREE_FAILURES + 2) == 4 * accounts.LOCK_S
    assert accounts._lock_s(100) == accounts.LOCK_MAX_S


def test_one_time_link_opens_a_publisher_session_once(desk_home) -> None:
    from tests.web.helpers import Running

    running = Running(*desk_home)
    try:
        assert running.link and "/login?token=" in running.link
        with httpx.Client(timeout=30) as c:
            r = c.get(running.link)
            page = c.get(running.url + f"/b/{BID}")
        assert r.status_code == 302
        assert page.status_code == 200 and 'id="publish-form"' in page.text
        again = httpx.get(running.link, timeout=30)
        assert again.status_code == 403 and "desk_session" not in again.headers.get("set-cookie", "")
        wrong = httpx.get(running.url + "/login?token=guess", timeout=30)
        assert wrong.status_code == 403
    finally:
        running.close()


def test_with_accounts_there_is_no_one_time_link(accounts_made, desk) -> None:
    assert desk.link is None
    assert httpx.get(desk.url + "/login?token=anything", timeout=30).status_code == 403


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = 0
    try:
        cli.main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_serve_refuses_a_public_address_without_accounts(desk_home, capsys) -> None:
    code, out, err = _run(capsys, "review", "serve", "--host", "0.0.0.0", "--port", "0")
    assert code != 0
    assert err.count("\n") == 1 and "refusing to serve the review desk on 0.0.0.0 without accounts" in err
    assert "briefing review users add" in err and "Traceback" not in err


def test_users_add_list_remove(desk_home, capsys, tmp_path) -> None:
    store = desk_home[0]
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n", encoding="utf-8")
    code, out, err = _run(capsys, "review", "users", "add", "hoa", "--role", "publisher", "--password-file", str(pw))
    assert code == 0, err
    stored = store.query("SELECT password_hash FROM review_users WHERE name = 'hoa'")[0][0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    code, out, err = _run(capsys, "review", "users", "list", "--json")
    assert [u["name"] for u in json.loads(out)] == ["hoa"] and json.loads(out)[0]["role"] == "publisher"
    code, out, err = _run(capsys, "review", "users", "add", "hoa", "--password-file", str(pw))
    assert code != 0 and "exists already" in err
    short = tmp_path / "short"
    short.write_text("abc\n", encoding="utf-8")
    code, out, err = _run(capsys, "review", "users", "add", "x", "--password-file", str(short))
    assert code != 0 and "shorter than" in err
    token = accounts.open_session(store, "hoa", "publisher")
    assert accounts.session(store, token) is not None
    code, out, err = _run(capsys, "review", "users", "remove", "hoa")
    assert code == 0 and accounts.session(store, token) is None  # its sessions end with it
    code, out, err = _run(capsys, "review", "users", "remove", "hoa")
    assert code != 0 and "no account named" in err
    # `briefing review ID` still lists what to check
    code, out, err = _run(capsys, "review", BID)
    assert code == 0 and "segments to review" in out


def test_serve_on_a_taken_port_says_so_in_one_line(desk, capsys) -> None:
    port = desk.url.rsplit(":", 1)[1]
    code, out, err = _run(capsys, "review", "serve", "--port", port)
    assert code != 0 and err.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err and "another --port" in err and "Traceback" not in err


def test_login_goes_back_only_to_a_page_of_the_desk(officer: Officer) -> None:
    for nxt, where in (("//evil.example/x", "/"), ("https://evil.example/", "/"), (f"/b/{BID}", f"/b/{BID}")):
        page = officer.c.get("/login")
        token = re.search(r'id="login-form".*?name="csrf_token" value="([^"]+)"', page.text, re.S).group(1)
        r = officer.c.post("/login", data={"csrf_token": token, "user": "minh", "password": PASSWORD, "next": nxt})
        assert r.status_code == 302 and r.headers["location"] == where, nxt
