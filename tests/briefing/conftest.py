"""Fixtures of the application's tests: a CLI runner, a configured Jitsi, a copy of the test's home."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cli
from tests.briefing.helpers_jitsi import APP_ID, SECRET
from tests.factory import home_snapshot


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    """Run `briefing ARGS...` in-process exactly as the console script does; return code, stdout, stderr."""

    def _run(*args: str) -> Result:
        capsys.readouterr()
        code = 0
        try:
            cli.main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return _run


@pytest.fixture
def copied_home(
    briefing_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[Path, dict[str, str]]]:
    """Copy the test's home elsewhere (links kept as links) and point BRIEFING_HOME at the copy; returns
    (the copy, a :func:`tests.factory.home_snapshot` of the original taken before, ``store`` as there)."""

    def _copy(*, store: bool = True) -> tuple[Path, dict[str, str]]:
        original = home_snapshot(briefing_env, store=store)
        copy = tmp_path / "elsewhere" / "home"
        shutil.copytree(briefing_env, copy, symlinks=True)
        monkeypatch.setenv("BRIEFING_HOME", str(copy))
        return copy, original

    return _copy


@pytest.fixture
def jitsi_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "BRIEFING_JITSI_URL": "https://meet.gov.example",
        "BRIEFING_JITSI_APP_ID": APP_ID,
        "BRIEFING_JITSI_APP_SECRET": SECRET,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env
