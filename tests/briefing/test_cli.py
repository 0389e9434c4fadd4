"""The command line as a newcomer meets it: global options in either position."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

import cli


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        out.append(((*path, name), cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, (*path, name)))
    return out


@pytest.mark.parametrize("where", ["before", "after"])
def test_home_before_or_after_the_subcommand(run, tmp_path: Path, briefing_env: Path, where: str) -> None:
    other = tmp_path / "other-home"
    args = ["--home", str(other), "settings"] if where == "before" else ["settings", "--home", str(other)]
    r = run(*args)
    assert r.code == 0, r.err
    assert f"home: {other}" in r.out
    r = run(*(["--home", str(other), "status"] if where == "before" else ["status", "--home", str(other)]))
    assert r.code == 0, r.err
    assert (other / "briefing.db").exists() and not (briefing_env / "briefing.db").exists()


def test_home_after_a_nested_subcommand(run, tmp_path: Path, briefing_env: Path) -> None:
    other = tmp_path / "other-home"
    r = run("schedule", "list", "--home", str(other))
    assert r.code == 0, r.err
    assert (other / "briefing.db").exists() and not (briefing_env / "briefing.db").exists()


def test_home_after_archive_before_its_default_command(run, tmp_path: Path, briefing_env: Path) -> None:
    """`briefing archive ID` is `archive create ID`, with the global options before the ID too."""
    other = tmp_path / "other-home"
    for args in (("archive", "--home", str(other), "2026-01-01-x"), ("archive", "2026-01-01-x", "--home", str(other))):
        r = run(*args)
        assert r.code != 0 and r.err.startswith("error: no briefing with id '2026-01-01-x'"), r.err
    assert (other / "briefing.db").exists() and not (briefing_env / "briefing.db").exists()


def test_quiet_and_debug_after_the_subcommand(run, tmp_path: Path) -> None:
    assert run("outbox", "send").out == "nothing due\n"
    assert run("outbox", "send", "-q").out == "" == run("-q", "outbox", "send").out
    # --debug after the subcommand: the error is raised with its traceback, not turned into one line
    with pytest.raises(Exception) as exc:
        cli.main(["process", str(tmp_path / "missing.mp4"), "--debug"])
    assert not isinstance(exc.value, SystemExit)
    r = run("process", str(tmp_path / "missing.mp4"))
    assert r.code != 0 and "Traceback" not in r.err and r.err.startswith("error:")


def test_every_command_takes_the_global_options() -> None:
    missing = [
        " ".join(p)
        for p, cmd in _commands(cli.cli)
        if not {"--home", "--debug", "--quiet", "-q"} <= {o for prm in cmd.params for o in prm.opts}
    ]
    assert missing == []


def test_demo_homes_share_one_model_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two demos in new temporary homes join the model once, in the user's cache, not in each home."""
    from briefing import demo

    monkeypatch.delenv("BRIEFING_CACHE_DIR")
    monkeypatch.delenv("BRIEFING_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    one, two = demo.settings_for(None), demo.settings_for(None)
    assert one.home != two.home
    assert one.cache_dir == two.cache_dir == tmp_path / "xdg-cache" / "briefing"
    for s in (one, two):
        assert not s.cache_dir.is_relative_to(s.home)
    # a home given is a home like any other: its own cache; cache.dir (BRIEFING_CACHE_DIR) always wins
    mine = demo.settings_for(str(tmp_path / "mine"))
    assert mine.cache_dir == tmp_path / "mine" / "cache"
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(tmp_path / "pinned"))
    assert demo.settings_for(None).cache_dir == tmp_path / "pinned"
