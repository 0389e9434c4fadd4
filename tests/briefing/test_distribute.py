"""Distribution end to end at the application level: targets, channels, email, outbox, status, kill/re-run."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from briefing.press import distribute
from briefing.processing import pipeline
from briefing.core.config import load_settings
from briefing.core.errors import PublishError
from briefing.core.store import Store
from tests.factory import make_briefing
from tests.distfixtures import receiver, s3, s3_endpoint, smtp_server, wait_for  # noqa: F401

BID = "2026-11-25-daily-briefing"
REPO = Path(__file__).resolve().parents[2]


def write_config(home: Path, *, bucket: str | None = None, endpoint: str = "", www: Path | None = None,
                 channels: list[tuple[str, str]] = (), email: bool = False) -> None:
    home.mkdir(parents=True, exist_ok=True)
    lines = []
    if bucket:
        lines += ["[[publish.targets]]", 'name = "cdn"', 'type = "s3"', f'bucket = "{bucket}"', 'prefix = "site"',
                  f'endpoint_url = "{endpoint}"', 'region = "us-east-1"', 'addressing_style = "path"',
                  'public_url = "https://cdn.press.example/"', ""]
    if www:
        lines += ["[[publish.targets]]", 'name = "www"', 'type = "local"', f'path = "{www}"', ""]
    for name, url in channels:
        lines += ["[[publish.channels]]", f'name = "{name}"', f'url = "{url}"', ""]
    if email:
        lines += ["[publish.email]", 'from = "Press Office <press@gov.example>"',
                  'to = ["press-list@press.example", "wire@press.example"]', ""]
    lines += ["[publish]", "retry_attempts = 2", 'retry_wait = "0"', ""]
    (home / "briefing.toml").write_text("\n".join(lines), encoding="utf-8")


def fresh(home: Path) -> tuple[Store, object]:
    s = load_settings(home)
    return Store(s.store_path), s


def test_publish_reaches_every_target_channel_and_the_press_list(briefing_env: Path, s3, receiver, smtp_server,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    client, bucket, endpoint = s3
    smtp_url, box = smtp_server
    monkeypatch.setenv("BRIEFING_SMTP_URL", smtp_url)
    monkeypatch.setenv("BRIEFING_CHANNELS", f"chat={receiver.url('chat')}\n")  # a token-bearing URL: from env
    www = briefing_env.parent / "www"
    write_config(briefing_env, bucket=bucket, endpoint=endpoint, www=www,
                 channels=[("newsroom", receiver.url("newsroom"))], email=True)
    store, settings = make_briefing(briefing_env, BID)
    result = pipeline.publish_one(store, settings, BID)
    d = result.distribution
    assert d is not None and d.version == 1 and d.link == f"https://cdn.press.example/briefings/{BID}/"
    assert [t.status for t in d.targets] == ["ok", "ok"]

    keys = {o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]}
    for rel in ("index.html", "feed.xml", "signing-key.pub", f"briefings/{BID}/index.html",
                f"briefings/{BID}/manifest.json", f"briefings/{BID}/manifest.json.sig", f"briefings/{BID}/audio.m4a"):
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

    # status: per target and channel, the version, URL, when, errors
    st = distribute.status(store, settings, BID)
    state = next(t for t in st.targets if t.name == "cdn")
    assert state.version == 1 and state.status == "ok" and state.url and state.url.startswith("https://cdn.press.example/")
    assert state.published_at
    assert {(m.name, m.status) for m in st.messages} == {
        ("newsroom", "sent"), ("chat", "sent"), ("press-list@press.example, wire@press.example", "sent")}

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


def test_embargoed_email_is_not_sent_before_its_time(briefing_env: Path, smtp_server,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    smtp_url, box = smtp_server
    monkeypatch.setenv("BRIEFING_SMTP_URL", smtp_url)
    write_config(briefing_env, email=True)
    store, settings = make_briefing(briefing_env, BID)
    at = (datetime.now().astimezone() + timedelta(seconds=3)).isoformat(timespec="seconds")
    pipeline.publish_one(store, settings, BID, embargo=at)
    assert box.messages == []
    st = distribute.status(store, settings, BID).messages
    assert st[0].status == "embargoed" and st[0].not_before
    assert distribute.send_due(store, settings) == []  # cron before the time: nothing
    time.sleep(3.5)
    sent = distribute.send_due(store, settings)
    assert [r.status for r in sent] == ["sent"] and len(box.messages) == 1
    assert distribute.send_due(store, settings) == [] and len(box.messages) == 1


def test_notifications_wait_for_every_target(briefing_env: Path, s3, receiver) -> None:
    client, bucket, endpoint = s3
    write_config(briefing_env, bucket=bucket + "-missing", endpoint=endpoint,
                 channels=[("newsroom", receiver.url("newsroom"))])
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
    assert res.distribution is not None and res.distribution.key_generated is None and not (briefing_env / "keys").exists()
    v = CliRunner().invoke(cli.cli, ["verify", str(settings.site_dir / "briefings" / BID)])
    assert v.exit_code == 0 and "AUTHENTIC" in v.output


def _publish_proc(home: Path, channels: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update(BRIEFING_HOME=str(home), BRIEFING_CHANNELS=channels, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", "-q", "publish", BID], env=env,
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


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
