"""Store, settings, ids and the error tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from briefing.core import config, errors
from briefing.core.ids import briefing_id, slugify
from briefing.core.store import Artifact, Briefing, Store


def test_briefing_id_is_stable_and_ascii() -> None:
    assert briefing_id("2026-11-25", "Họp báo Chính phủ thường kỳ") == "2026-11-25-hop-bao-chinh-phu-thuong-ky"
    assert briefing_id("2026-11-25", "Daily  Press Briefing!") == "2026-11-25-daily-press-briefing"
    assert slugify("Đà Nẵng") == "da-nang"
    assert slugify("???") == "briefing"


def test_store_migrates_once_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    s = Store(path)
    applied = s.migrations_applied()
    assert applied and applied == sorted(applied)
    s.close()
    s2 = Store(path)  # re-open: nothing re-applied, no error
    assert s2.migrations_applied() == applied
    mode = s2.query("PRAGMA journal_mode")[0][0]
    assert mode == "wal"


def test_store_stage_lifecycle() -> None:
    s = Store.memory()
    s.save_briefing(Briefing(id="b1", title="T", date="2026-11-25"))
    assert s.stage("b1", "audio") is None
    s.stage_started("b1", "audio", "k1")
    assert s.stage("b1", "audio").status == "running"
    s.stage_done("b1", "audio", "k1", [Artifact("speech", "/x.wav", "ab" * 32, 10)], {"n": 1})
    run = s.stage("b1", "audio")
    assert run.status == "done" and run.inputs_key == "k1" and run.info == {"n": 1}
    assert s.artifacts("b1")["speech"].size == 10
    s.stage_failed("b1", "audio", "boom")
    assert s.stage("b1", "audio").error == "boom"


def test_unknown_briefing_is_a_clear_error() -> None:
    s = Store.memory()
    with pytest.raises(errors.NotFoundError, match="briefing status"):
        s.briefing("nope")


def test_store_refuses_a_non_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("this is not sqlite" * 100)
    with pytest.raises(errors.StoreError, match="cannot open the store"):
        Store(bad)


def test_settings_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "briefing.toml").write_text('[site]\ntitle = "From TOML"\nlanguage = "vi"\n[summary]\nsentences = 3\n')
    s = config.load_settings(home)
    assert s["site.title"] == "From TOML" and s.sources["site.title"] == "briefing.toml"
    assert s["summary.sentences"] == 3
    monkeypatch.setenv("BRIEFING_SITE_TITLE", "From env")
    s = config.load_settings(home)
    assert s["site.title"] == "From env" and s.sources["site.title"] == "env"
    s = config.load_settings(home, overrides={"site.title": "From flag"})
    assert s["site.title"] == "From flag" and s.sources["site.title"] == "flag"
    assert s["transcribe.model"] == "base" and s.sources["transcribe.model"] == "default"
    assert s.site_dir == home / "site"


def test_settings_bad_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "briefing.toml").write_text("[site\n")
    with pytest.raises(errors.ConfigError, match="not valid TOML"):
        config.load_settings(home)
    (home / "briefing.toml").write_text("")
    monkeypatch.setenv("BRIEFING_SUMMARY_SENTENCES", "many")
    with pytest.raises(errors.ConfigError, match="summary.sentences"):
        config.load_settings(home)


def test_secrets_never_from_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config.register(config.Setting("test.secret", "", "a test secret", secret=True))
    home = tmp_path / "h"
    home.mkdir()
    (home / "briefing.toml").write_text('[test]\nsecret = "hunter2"\n')
    with pytest.raises(errors.ConfigError, match="must not be written in briefing.toml"):
        config.load_settings(home)
    (home / "briefing.toml").write_text("")
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("s3cr3t\n")
    monkeypatch.setenv("BRIEFING_TEST_SECRET_FILE", str(secret_file))
    s = config.load_settings(home)
    assert s["test.secret"] == "s3cr3t"
    shown = {r.name: r.value for r in s.describe()}
    assert shown["test.secret"] == "***"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_home_non_root(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(errors.HomeError, match="cannot write"):
        config.load_settings(ro / "home")


def test_unwritable_home(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where the home's parent directory should be: fails even as root
    with pytest.raises(errors.HomeError, match="BRIEFING_HOME"):
        config.load_settings(blocker / "home")


def test_library_errors_are_translated() -> None:
    from recorder.errors import MediaError, ToolNotFound

    with pytest.raises(errors.InputError):
        with errors.translated():
            raise MediaError("x.mp4 is not a media file", hint="check it", path="x.mp4")
    with pytest.raises(errors.ToolMissingError, match="apt-get install ffmpeg"):
        with errors.translated():
            raise ToolNotFound("ffmpeg", env_var="BRIEFING_FFMPEG")
    with pytest.raises(ZeroDivisionError):  # unknown errors are not swallowed
        with errors.translated():
            1 / 0  # noqa: B018 -- the expression is the point: it raises
