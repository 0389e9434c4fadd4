"""The systemd units in deploy/: valid (systemd-analyze verify, no warning at all) and hardened
(systemd-analyze security --offline=yes: overall exposure at most 5.0, "OK" or better, for each)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
ANALYZE = shutil.which("systemd-analyze")
UNITS = sorted(p.name for p in DEPLOY.glob("*.service")) + sorted(p.name for p in DEPLOY.glob("*.timer"))

pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed (Debian: systemd)")


@pytest.fixture
def units(tmp_path: Path) -> Path:
    """The units, with the program they start pointed at an executable that exists here (verify checks it)."""
    exe = tmp_path / "briefing"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    for name in UNITS:
        text = (DEPLOY / name).read_text().replace("/opt/briefing/.venv/bin/briefing", str(exe))
        (tmp_path / name).write_text(text)
    return tmp_path


def test_every_expected_unit_is_there():
    assert {
        "briefing-daily.service",
        "briefing-daily.timer",
        "briefing-work.service",
        "briefing-capture@.service",
        "briefing-reservations.service",
    } <= set(UNITS)
    text = (DEPLOY / "briefing-reservations.service").read_text()
    assert re.search(r"^ExecStart=\S+/briefing .*jitsi reservations serve", text, re.M)


def test_systemd_analyze_verify_accepts_every_unit_without_a_warning(units: Path):
    r = subprocess.run(
        [ANALYZE, "verify", "--man=no", *[str(units / n) for n in UNITS]], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), r.stdout + r.stderr


def test_systemd_analyze_verify_would_catch_a_mistake(units: Path):
    bad = units / "broken.service"
    bad.write_text((units / "briefing-work.service").read_text().replace("ProtectSystem=", "ProtectSytem="))
    r = subprocess.run([ANALYZE, "verify", "--man=no", str(bad)], capture_output=True, text=True, timeout=120)
    assert "ProtectSytem" in r.stdout + r.stderr


@pytest.mark.parametrize("name", [n for n in UNITS if n.endswith(".service")])
def test_every_service_is_hardened(units: Path, name: str):
    r = subprocess.run(
        [ANALYZE, "security", "--offline=yes", "--threshold=50", str(units / name)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)", r.stdout)
    assert m, r.stdout + r.stderr
    score, word = float(m.group(1)), m.group(2)
    assert score <= 5.0 and word in ("PERFECT", "SAFE", "OK"), f"{name}: {score} {word}"
    assert r.returncode == 0, r.stdout[-2000:]
