"""Typed settings, resolved once (issue 17): each area reads its settings through a frozen options class
(``XSettings.of(settings).field``) built once per Settings, never ``settings["area.name"]``."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from briefing.core import config, errors
from briefing.meeting.invite import SmtpSettings
from briefing.meeting.jitsi import JitsiSettings
from briefing.processing.live import LiveSettings
from briefing.processing.speech import QualitySettings, TranscribeSettings
from briefing.recording.daily import DailySettings
from briefing.recording.record import JibriSettings

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "briefing").rglob("*.py")) + [ROOT / "cli.py"]


def _registered() -> set[str]:
    return config._known_names()[0]


def string_reads(source: str, names: set[str]) -> list[tuple[int, str]]:
    """(line, setting) for every ``X["name"]`` or ``X.get("name", ...)`` of a registered setting; reading
    where a value came from (``settings.sources["name"]``) is not a read of the value."""
    out = []
    for node in ast.walk(ast.parse(source)):
        key, receiver = None, None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            key, receiver = node.slice.value, node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            key, receiver = node.args[0].value, node.func.value
        if not isinstance(key, str) or key not in names:
            continue
        if isinstance(receiver, ast.Attribute) and receiver.attr == "sources":
            continue
        if "." not in key and not ast.unparse(receiver).endswith(("settings", "st")):
            continue  # a top-level setting ("channels") shares its name with keys of other dicts
        out.append((node.lineno, key))
    return out


def test_the_detector_sees_string_reads() -> None:
    names = {"live.wait", "channels"}
    code = (
        'a = settings["live.wait"]\nb = self.settings.get("live.wait", 9)\nc = st["channels"]\n'
        'd = settings.sources["live.wait"]\ne = row["channels"]\nf = LiveSettings.of(settings).wait\n'
    )
    assert string_reads(code, names) == [(1, "live.wait"), (2, "live.wait"), (3, "channels")]


def test_no_string_keyed_setting_reads_remain() -> None:
    names = _registered()
    found = [
        f"{path.relative_to(ROOT)}:{line}: {key}"
        for path in SOURCES
        for line, key in string_reads(path.read_text(encoding="utf-8"), names)
    ]
    assert not found, "read these through their area's options (XSettings.of(settings).field):\n" + "\n".join(found)


def test_every_setting_belongs_to_exactly_one_options_class() -> None:
    # in a fresh interpreter: other tests register settings of their own (test.secret)
    code = (
        "import cli\nfrom briefing.core import config\nconfig._known_names()\nimport json\n"
        "print(json.dumps({'settings': [s.name for s in config.SETTINGS],"
        " 'areas': {n: c.__module__ + '.' + c.__qualname__ for n, c in config.AREAS.items()},"
        " 'fields': [[c.__qualname__, n] for c in set(config.AREAS.values()) for n in c._names.values()]}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    got = json.loads(done.stdout)
    assert sorted(got["areas"]) == sorted(got["settings"])  # every one read by a class, no class reads more
    names = [n for _, n in got["fields"]]
    assert len(names) == len(set(names)) == len(got["settings"])  # and by one class only
    assert got["areas"]["transcribe.beam_size"] == "briefing.processing.speech.TranscribeSettings"
    assert got["areas"]["smtp.from"] == "briefing.meeting.invite.SmtpSettings"
    assert got["areas"]["channels"] == "briefing.press.distribute.ChannelSettings"


def test_a_field_that_is_no_setting_is_an_error_at_declaration() -> None:
    with pytest.raises(TypeError, match=r"Typo\.beam: transcribe\.beam is not a registered setting"):

        class Typo(config.Area, area="transcribe"):
            beam: int

    with pytest.raises(TypeError, match=r"live\.wait is already read by LiveSettings"):

        class Again(config.Area, area="live"):
            wait: float

    assert config.AREAS["live.wait"] is LiveSettings


def test_options_are_frozen_and_built_once_per_settings(briefing_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = config.load_settings(briefing_env)
    live = LiveSettings.of(s)
    assert LiveSettings.of(s) is live and s.areas[LiveSettings] is live
    with pytest.raises(dataclasses.FrozenInstanceError):
        live.wait = 1.0  # type: ignore[misc]
    assert live.wait == 900.0
    monkeypatch.setenv("BRIEFING_LIVE_WAIT", "90")
    assert LiveSettings.of(s).wait == 900.0  # resolved once: the run goes on with what it started with
    again = config.load_settings(briefing_env)
    assert LiveSettings.of(again) is not live and LiveSettings.of(again).wait == 90.0


def test_values_have_the_declared_types(briefing_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    briefing_env.mkdir()
    (briefing_env / "briefing.toml").write_text(
        '[transcribe]\nbeam_size = "5"\nlanguages = "vi, en"\n'
        '[live]\npage = "yes"\nmin_chunk = 6\n[daily]\nempty_grace = "2m"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("BRIEFING_QUALITY_GUARDS", "off")
    s = config.load_settings(briefing_env)
    t = TranscribeSettings.of(s)
    assert t.beam_size == 5 and type(t.beam_size) is int
    assert t.languages == ("vi", "en")
    live = LiveSettings.of(s)
    assert live.page is True and live.min_chunk == 6.0 and type(live.min_chunk) is float
    assert DailySettings.of(s).empty_grace == 120.0
    assert QualitySettings.of(s).guards is False
    # defaults go through the registry's type too: a duration default of 1800 is 1800.0 seconds
    assert JitsiSettings.of(s).lead == 1800.0 and type(JitsiSettings.of(s).lead) is float
    for cls in set(config.AREAS.values()):
        built, hints = cls.of(s), typing.get_type_hints(cls)
        for attr in cls._names:
            kind = typing.get_origin(hints[attr]) or hints[attr]
            assert type(getattr(built, attr)) is kind, (cls.__qualname__, attr)


def test_a_bad_value_is_the_same_one_line_error(briefing_env: Path, run) -> None:
    briefing_env.mkdir()
    (briefing_env / "briefing.toml").write_text('[transcribe]\nbeam_size = "five"\n', encoding="utf-8")
    with pytest.raises(errors.ConfigError) as caught:
        config.load_settings(briefing_env)
    assert caught.value.message == (
        "bad value for transcribe.beam_size from briefing.toml: invalid literal for int() with base 10: 'five'"
    )
    r = run("settings")
    assert r.code != 0 and "Traceback" not in r.err
    assert [line for line in r.err.splitlines() if line.strip()][0].startswith(
        "error: bad value for transcribe.beam_size from briefing.toml"
    )


def test_secrets_are_masked_in_every_repr(briefing_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = [s for s in config.SETTINGS if s.secret and s.name in config.AREAS]
    assert {"jitsi.app_secret", "smtp.url", "jibri.xmpp_password", "signing.key", "channels"} <= {
        s.name for s in secrets
    }
    for n, s in enumerate(secrets):
        monkeypatch.setenv(s.env, f"smtp://user:hunter{n}-secret@mail.example.org:587")
    st = config.load_settings(briefing_env)
    for cls in {config.AREAS[s.name] for s in secrets}:
        shown = repr(cls.of(st)) + str(cls.of(st)) + f"{cls.of(st)}"
        assert "hunter" not in shown, shown
    j = JitsiSettings.of(st)
    assert j.app_secret.startswith("smtp://user:hunter")  # the value itself is there for the code
    assert "app_secret='***'" in repr(j) and "url=''" in repr(j)  # an unset secret shows as empty
    assert "from_=''" in repr(SmtpSettings.of(st)) and "url='***'" in repr(SmtpSettings.of(st))
    assert "xmpp_password='***'" in repr(JibriSettings.of(st))
