"""Distribution end to end at the application level: targets, channels, email, outbox, status, kill/re-run."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from briefing.core.config import load_settings
from briefing.core.errors import PublishError
from briefing.core.store import Store
from briefing.press import distribute
from briefing.processing import pipeline
from tests.distfixtures import receiver, s3, s3_endpoint, smtp_server, wait_for  # noqa: F401
from tests.factory import make_briefing

BID = "2026-11-25-daily-briefing"
REPO = Path(__file__).resolve().parents[2]


def write_config(
    home: Path,
    *,
    bucket: str | None = None,
    endpoint: str = "",
    www: Path | None = None,
    channels: list[tuple[str, str]] = (),
    email: bool = False,
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    lines = ["[site]", 'base_url = "https://press.example/"', ""]  # a target needs it (canonical URLs, feeds)
    if bucket:
        lines += [
            "[[publish.targets]]",
            'name = "cdn"',
            'type = "s3"',
            f'bucket = "{bucket}"',
            'prefix = "site"',
            f'endpoint_url = "{endpoint}"',
            'region = "us-east-1"',
            'addressing_style = "path"',
            'public_url = "https://cdn.press.example/"',
            "",
        ]
    if www:
        lines += ["[[publish.targets]]", 'name = "www"', 'type = "local"', f'path = "{www}"', ""]
    for name, url in channels:
        lines += ["[[publish.channels]]", f'name = "{name}"', f'url = "{url}"', ""]
    if email:
        lines += [
            "[publish.email]",
            'from = "Press Office <press@gov.example>"',
            'to = ["press-list@press.example", "wire@press.example"]',
            "",
        ]
    lines += ["[publish]", "retry_attempts = 2", 'retry_wait = "0"', ""]
    (home / "briefing.toml").write_text("\n".join(lines), encoding="utf-8")


def fresh(home: Path) -> tuple[Store, object]:
    s = load_settings(home)
    return Store(s.store_path), s


def test_publish_reaches_every_target_channel_and_the_press_list(
    briefing_env: Path, s3, receiver, smtp_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, bucket, endpoint = s3
    smtp_url, box = smtp_server
    monkeypatch.setenv("BRIEFING_SMTP_URL", smtp_url)
    monkeypatch.setenv("BRIEFING_CHANNELS", f"chat={receiver.url('chat')}\n")  # a token-bearing URL: from env
    www = briefing_env.parent / "www"
    write_config(
        briefing_env,
        bucket=bucket,
        endpoint=endpoint,
        www=www,
        channels=[("newsroom", receiver.url("newsroom"))],
        email=True,
    )
    store, settings = make_briefing(briefing_env, BID)
    result = pipeline.publish_one(store, settings, BID)
    d = result.distribution
    assert d is not None and d.version == 1 and d.link == f"https://cdn.press.example/briefings/{BID}/"
    assert [t.status for t in d.targets] == ["ok", "ok"]

    keys = {o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]}
    for rel in (
        "index.html",
        "feed.xml",
        "signing-key.pub",
        f"briefings/{BID}/index.html",
        f"briefings/{BID}/manifest.json",
        f"briefings/{BID}/manifest.json.sig",
        f"briefings/{BID}/audio.m4a",
    ):
        assert f"site/{rel}" in keys
    assert (www / "briefings" / BID / "index.html").is_file()

    assert receiver.count("newsroom") == 1 and receiver.count("chat") == 1
    post = receiver.bodies("newsroom")[0]
    assert "Daily press briefing" in post["title"] and f"https://cdn.press.example/briefings/{BID}/" in post["message"]
    assert "1,240" in post["message"]  # a key figure

    assert len(box.messages) == 1
    msg = box.messages[0]
    assert sorted(box.envelopes[0].rcpt_tos) == ["press-list@press.example", "wire@press.example"]
    assert {a.get_filename() for a in msg.iter_attachments()} == {"transcript.txt", "summary.md"}
    assert f"https://cdn.press.example/briefings/{BID}/" in msg.get_body(("plain",)).get_content()
    # multipart: text and the release's Markdown rendered as HTML (times link to the moment on the page)
    assert msg.get_body(("plain",)).get_content_type() == "text/plain"
    html = msg.get_body(("html",)).get_content()
    assert "<h2>Summary</h2>" in html and "<table>" in html and "1,240" in html
    assert f'href="https://cdn.press.example/briefings/{BID}/#t=' in html

    # status: per target and channel, the version, URL, when, errors
    st = distribute.status(store, settings, BID)
    state = next(t for t in st.targets if t.name == "cdn")
    assert (
        state.version == 1 and state.status == "ok" and state.url and state.url.startswith("https://cdn.press.example/")
    )
    assert state.published_at
    assert {(m.name, m.status) for m in st.messages} == {
        ("newsroom", "sent"),
        ("chat", "sent"),
        ("press-list@press.example, wire@press.example", "sent"),
    }

    # a re-run sends nothing again and uploads nothing unchanged
    again = pipeline.publish_one(store, settings, BID)
    assert receiver.count("newsroom") == 1 and receiver.count("chat") == 1 and len(box.messages) == 1
    assert again.distribution is not None
    cdn = next(t for t in again.distribution.targets if t.name == "cdn")
    assert cdn.uploaded == 0 and cdn.skipped and cdn.skipped > 0


def test_a_failed_channel_does_not_block_the_others_and_status_reports_it(briefing_env: Path, receiver) -> None:
    receiver.fail.add("broken")
    write_config(briefing_env, channels=[("broken", receiver.url("broken")), ("good", receiver.url("good"))])
    store, settings = make_briefing(briefing_env, BID)
    with pytest.raises(PublishError, match="broken"):
        pipeline.publish_one(store, settings, BID)
    assert receiver.count("good") == 1
    st = {m.name: m for m in distribute.status(store, settings, BID).messages}
    assert st["broken"].status == "failed" and st["broken"].attempts == 1 and st["broken"].error
    assert st["good"].status == "sent"
    # the channel recovers: the next run sends it, once, and the good one is not told again
    receiver.fail.clear()
    pipeline.publish_one(store, settings, BID)
    assert receiver.count("broken") == 1 and receiver.count("good") == 1


def test_the_cli_status_shows_targets_and_channels(briefing_env: Path, receiver) -> None:
    from click.testing import CliRunner

    import cli

    receiver.fail.add("broken")
    write_config(briefing_env, channels=[("broken", receiver.url("broken"))])
    store, settings = make_briefing(briefing_env, BID)
    with pytest.raises(PublishError):
        pipeline.publish_one(store, settings, BID)
    out = CliRunner().invoke(cli.cli, ["status", BID]).output
    assert "→ site" in out and "ok v1" in out
    assert "✉ channel broken  failed v1" in out and "error:" in out


def test_an_email_sent_at_a_time_is_not_sent_before_it(
    briefing_env: Path, smtp_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp_url, box = smtp_server
    monkeypatch.setenv("BRIEFING_SMTP_URL", smtp_url)
    write_config(briefing_env, email=True)
    store, settings = make_briefing(briefing_env, BID)
    monkeypatch.setenv("BRIEFING_NOW", "2026-11-25T13:59:00+07:00")  # the injectable clock, no waiting
    pipeline.publish_one(store, settings, BID, send_at="2026-11-25T14:00:00+07:00")
    assert box.messages == []
    st = distribute.status(store, settings, BID).messages
    assert st[0].status == "embargoed" and st[0].not_before
    assert distribute.send_due(store, settings) == []  # cron before the time: nothing
    monkeypatch.setenv("BRIEFING_NOW", "2026-11-25T14:00:01+07:00")
    sent = distribute.send_due(store, settings)
    assert [r.status for r in sent] == ["sent"] and len(box.messages) == 1
    assert distribute.send_due(store, settings) == [] and len(box.messages) == 1


def test_notifications_wait_for_every_target(briefing_env: Path, s3, receiver) -> None:
    client, bucket, endpoint = s3
    write_config(
        briefing_env, bucket=bucket + "-missing", endpoint=endpoint, channels=[("newsroom", receiver.url("newsroom"))]
    )
    store, settings = make_briefing(briefing_env, BID)
    with pytest.raises(PublishError, match="NoSuchBucket"):
        pipeline.publish_one(store, settings, BID)
    assert receiver.count("newsroom") == 0  # the link would not work yet
    targets = {t.name: t for t in distribute.status(store, settings, BID).targets}
    assert targets["cdn"].status == "failed" and "NoSuchBucket" in (targets["cdn"].error or "")
    client.create_bucket(Bucket=bucket + "-missing")
    pipeline.publish_one(store, settings, BID)
    assert receiver.count("newsroom") == 1


def test_signing_key_is_made_on_first_publish_and_shown_in_the_footer(briefing_env: Path) -> None:
    store, settings = make_briefing(briefing_env, BID)
    result = pipeline.publish_one(store, settings, BID)
    assert result.distribution is not None and result.distribution.key_generated
    key = Path(result.distribution.key_generated)
    assert key == briefing_env / "keys" / "signing-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    fp = distribute.key_fingerprint(settings)
    for page in (settings.site_dir / "index.html", settings.site_dir / "briefings" / BID / "index.html"):
        assert fp in page.read_text()
    assert (settings.site_dir / "signing-key.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    again = pipeline.publish_one(store, settings, BID)
    assert again.distribution is not None and again.distribution.key_generated is None


def test_keys_generate_and_a_configured_key(briefing_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import cli

    out = briefing_env.parent / "ministry.pem"
    r = CliRunner().invoke(cli.cli, ["keys", "generate", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    again = CliRunner().invoke(cli.cli, ["keys", "generate", "--out", str(out)])
    assert again.exit_code != 0 and "already exists" in str(again.exception)
    monkeypatch.setenv("BRIEFING_SIGNING_KEY_FILE", str(out))
    store, settings = make_briefing(briefing_env, BID)
    res = pipeline.publish_one(store, settings, BID)
    assert (
        res.distribution is not None and res.distribution.key_generated is None and not (briefing_env / "keys").exists()
    )
    v = CliRunner().invoke(cli.cli, ["verify", str(settings.site_dir / "briefings" / BID)])
    assert v.exit_code == 0 and "AUTHENTIC" in v.output


def _publish_proc(home: Path, channels: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update(BRIEFING_HOME=str(home), BRIEFING_CHANNELS=channels, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "-q", "publish", BID],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_kill_during_publish_then_rerun_notifies_each_channel_exactly_once(briefing_env: Path, receiver) -> None:
    write_config(briefing_env)
    store, settings = make_briefing(briefing_env, BID)
    store.close()
    receiver.hold.add("two")  # the second channel's service takes its time: the process is killed meanwhile
    channels = "\n".join(f"{n}={receiver.url(n)}" for n in ("one", "two", "three"))
    proc = _publish_proc(briefing_env, channels)
    try:
        assert receiver.held.wait(60), proc.stderr.read() if proc.poll() is not None else "no post arrived"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    receiver.release.set()
    assert receiver.count("one") == 1 and receiver.count("two") == 1 and receiver.count("three") == 0

    rerun = _publish_proc(briefing_env, channels)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err.decode()
    assert (receiver.count("one"), receiver.count("two"), receiver.count("three")) == (1, 1, 1)
    store, settings = fresh(briefing_env)
    st = {m.name: m.status for m in distribute.status(store, settings, BID).messages}
    assert st == {"one": "sent", "two": "uncertain", "three": "sent"}
    # once more: still nobody told twice
    third = _publish_proc(briefing_env, channels)
    third.communicate(timeout=120)
    assert (receiver.count("one"), receiver.count("two"), receiver.count("three")) == (1, 1, 1)


def test_a_target_without_site_base_url_is_refused_before_anything_is_published(briefing_env: Path, run) -> None:
    www = briefing_env.parent / "www"
    briefing_env.mkdir(parents=True, exist_ok=True)
    (briefing_env / "briefing.toml").write_text(
        f'[[publish.targets]]\nname = "www"\ntype = "local"\npath = "{www}"\n', encoding="utf-8"
    )
    store, settings = make_briefing(briefing_env, BID)
    r = run("publish", BID)
    errors = [x for x in r.err.splitlines() if x.startswith("error")]
    assert r.code != 0 and "Traceback" not in r.err and len(errors) == 1, r.err
    assert "needs site.base_url" in errors[0] and "https://press.gov.example/" in r.err
    assert not (settings.site_dir / "briefings" / BID).exists() and not www.exists()  # nothing half-published


def test_the_local_site_alone_warns_once_without_base_url(briefing_env: Path, run) -> None:
    from briefing.processing import pipeline as pl

    pl._WARNED.clear()
    make_briefing(briefing_env, BID)
    r = run("publish", BID)
    assert r.code == 0, r.err
    assert (r.out + r.err).count("site.base_url is not set") == 1
    again = run("publish", BID, "--force")
    assert again.code == 0 and "site.base_url is not set" not in again.out + again.err  # once per run


def test_the_press_pack_of_a_published_briefing_verifies(briefing_env: Path, run, tmp_path: Path) -> None:
    import zipfile

    store, settings = make_briefing(briefing_env, BID)
    pipeline.publish_one(store, settings, BID)
    pack = settings.site_dir / "briefings" / BID / "v1" / f"{BID}-v1-press-pack.zip"
    r = run("verify", str(pack))
    assert r.code == 0 and f"AUTHENTIC: {BID} version 1" in r.out, r.out + r.err
    with zipfile.ZipFile(pack) as z:
        z.extractall(tmp_path)
    unzipped = tmp_path / f"{BID}-v1"
    r = run("verify", str(unzipped), "--key", str(unzipped / "signing-key.pub"))
    assert r.code == 0 and "AUTHENTIC" in r.out, r.out + r.err
    r = run("verify", str(settings.site_dir))  # the whole site, checked exactly, still authentic
    assert r.code == 0 and "AUTHENTIC" in r.out, r.out + r.err
    (unzipped / "summary.md").write_text("# altered\n")
    assert run("verify", str(unzipped), "--key", str(unzipped / "signing-key.pub")).code != 0
