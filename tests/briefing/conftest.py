"""Fixtures for the schedule / Jitsi / invitation tests: a CLI runner and a configured Jitsi."""

from __future__ import annotations

import json
from typing import Any

import pytest

import cli
from tests.briefing.helpers_jitsi import APP_ID, SECRET


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
def jitsi_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"BRIEFING_JITSI_URL": "https://meet.gov.example", "BRIEFING_JITSI_APP_ID": APP_ID,
           "BRIEFING_JITSI_APP_SECRET": SECRET}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env
