"""Errors say what happened: a full disk, a correction of another recording, an unknown press list, a
misspelt setting, a weak Jitsi secret, a plain-http Jitsi."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from briefing.core import errors
from briefing.core.config import load_settings
from briefing.core.errors import ConfigError, DiskFullError, InputError
from briefing.processing import corrections, pipeline
from tests.briefing.helpers_jitsi import SECRET
from tests.factory import make_briefing

BID = "2026-11-25-daily-briefing"
REPO = Path(__file__).resolve().parents[2]


def _one_line(r, code: int | None = None) -> None:
    assert r.code != 0 and (code is None or r.code == code), (r.code, r.err)
    assert "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1, r.err


# -- briefing.toml -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "toml, wrong, nearest",
    [
        ('[jitsi]\nAPP_SECRET = "x"\n', "APP_SECRET", "jitsi.app_secret"),
        ('APP_SECRET = "x"\n', "APP_SECRET", "jitsi.app_secret"),
        ('[site]\ntittle = "Press"\n', "tittle", "site.title"),
        ("[transcribe]\nbeam = 3\n", "beam", "transcribe.beam_size"),
        ("[sumary]\nsentences = 3\n", "sumary", "summary.sentences"),
    ],
)
def test_an_unknown_setting_is_an_error_naming_the_nearest_known_one(run, briefing_env, toml, wrong, nearest) -> None:
    briefing_env.mkdir(parents=True, exist_ok=True)
    (briefing_env / "briefing.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting") as exc:
        load_settings(briefing_env)
    assert wrong in str(exc.value) and f"did you mean {nearest}?" in str(exc.value)
    r = run("settings")
    _one_line(r, 2)
    assert f"did you mean {nearest}?" in r.err
    if nearest == "jitsi.app_secret":
        assert "BRIEFING_JITSI_APP_SECRET" in r.err  # and where a secret goes instead


def test_known_tables_and_settings_are_accepted(briefing_env) -> None:
    briefing_env.mkdir(parents=True, exist_ok=True)
    (briefing_env / "briefing.toml").write_text(
        '[site]\ntitle = "Press"\n[press_lists]\nnational = ["a@b.example"]\n[glossary]\npeople = ["Hà Nội"]\n'
        '[glossary.aliases]\n"ha noi" = "Hà Nội"\n[redact]\nenabled = true\n[redact.patterns]\nx = "y"\n'
        '[[publish.targets]]\nname = "www"\ntype = "local"\npath = "/srv/www"\n[publish]\nretry_attempts = 2\n'
        '[retention.short]\nworking_days = 2\n[jitsi]\nurl = "https://meet.gov.example"\n',
        encoding="utf-8",
    )
    assert load_settings(briefing_env)["site.title"] == "Press"


# -- Jitsi: secret length, plain http ---------------------------------------------------------------------
def test_a_short_hs256_secret_and_a_plain_http_jitsi_are_refused(run, jitsi_env, monkeypatch) -> None:
    assert run("schedule", "add", "--title", "Daily", "--start", "2026-12-01T09:00", "--timezone", "UTC").code == 0
    oid = "2026-12-01-daily"
    assert run("links", oid).code == 0
    monkeypatch.setenv("BRIEFING_JITSI_APP_SECRET", "s" * 31)
    r = run("links", oid)
    _one_line(r, 2)
    assert "31 bytes" in r.err and "at least 32" in r.err and "RFC 7518" in r.err
    monkeypatch.setenv("BRIEFING_JITSI_APP_SECRET", SECRET)
    for url in ("http://meet.gov.example", "http://10.0.0.5:8000", "http://[2001:db8::1]/"):
        monkeypatch.setenv("BRIEFING_JITSI_URL", url)
        r = run("links", oid)
        _one_line(r, 2)
        assert "plain http" in r.err and "https://" in r.err
    for url in ("http://localhost:8000", "http://127.0.0.1:8443/tenant", "http://[::1]:8000"):
        monkeypatch.setenv("BRIEFING_JITSI_URL", url)
        assert run("links", oid).code == 0, url


# -- schedule add --press-list --------------------------------------------------------------------------------
def test_an_unknown_press_list_is_refused_when_the_schedule_is_added(run, briefing_env) -> None:
    briefing_env.mkdir(parents=True, exist_ok=True)
    (briefing_env / "briefing.toml").write_text(
        '[press_lists]\nnational = ["VNA <news@vna.example>"]\n', encoding="utf-8"
    )
    base = ("schedule", "add", "--title", "Daily", "--start", "2026-12-01T09:00", "--timezone", "UTC")
    r = run(*base, "--press-list", "nationl")
    _one_line(r, 2)
    assert "no press list 'nationl'" in r.err and "did you mean 'national'?" in r.err
    assert run("schedule", "list", "--from", "2026-12-01", "--to", "2026-12-01", "--json").json() == []
    assert run(*base, "--press-list", "national").code == 0


# -- a correction of another recording ---------------------------------------------------------------------
def test_a_correction_with_cues_beyond_the_recording_is_refused(briefing_env, tmp_path) -> None:
    store, settings = make_briefing(briefing_env, BID)  # 3 s long
    pipeline.publish_one(store, settings, BID)
    other = tmp_path / "other.srt"
    other.write_text(
        "1\n00:00:00,000 --> 00:00:02,000\nGood morning.\n\n"
        "2\n00:12:00,000 --> 00:12:04,000\nA cue twelve minutes in.\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"beyond the end of the recording \(00:00:03.000\)"):
        corrections.correct(store, settings, BID, file=other)
    assert not store.briefing(BID).meta.get("pending_correction")


# -- a full disk -------------------------------------------------------------------------------------------
def test_a_full_disk_is_named_as_such_by_the_error_tree() -> None:
    with pytest.raises(OSError) as raised:  # a real ENOSPC: /dev/full always answers it
        with open("/dev/full", "wb", buffering=0) as f:
            f.write(b"x" * 4096)
    assert raised.value.errno == errno.ENOSPC
    with pytest.raises(DiskFullError, match="the disk is full") as exc:
        with errors.translated(places=("/dev",)):
            raise raised.value
    assert "No space left on device" in str(exc.value) and "df -h" in str(exc.value)
    named = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/srv/briefing/site/index.html")
    msg = str(errors.convert(named))
    assert "cannot write /srv/briefing/site/index.html" in msg and "df -h /srv/briefing/site" in msg


def test_ffmpeg_writing_to_a_full_disk_says_so_and_not_re_record(tmp_path) -> None:
    from recorder import ffmpeg
    from recorder.errors import FFmpegError

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    with pytest.raises(FFmpegError) as exc:  # ffmpeg itself exits 0 here: its output is lost all the same
        ffmpeg.run(
            [
                "ffmpeg",
                "-hide_banner",
                "-nostdin",
                "-f",
                "lavfi",
                "-i",
                "anullsrc=r=16000:cl=mono",
                "-t",
                "2",
                "-y",
                "-f",
                "wav",
                "/dev/full",
            ]
        )
    text = str(exc.value)
    assert "the disk is full" in text and "/dev/full" in text and "re-record" not in text
    assert isinstance(errors.convert(exc.value), DiskFullError)


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 1 MiB tmpfs (needs root, as in CI's container); skipped where mounting is not allowed."""
    where = tmp_path / f"small-{uuid.uuid4().hex[:6]}"
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_the_model_cache_on_a_full_disk_says_the_disk_is_full(small_disk) -> None:
    from transcribe.errors import ModelError
    from transcribe.model import ensure_bundled_model

    with pytest.raises(ModelError) as exc:
        ensure_bundled_model(small_disk / "cache")
    text = f"{exc.value} {exc.value.hint}"
    assert "the disk is full" in text and str(small_disk) in text and "reinstall" not in text
    assert not any(small_disk.rglob("model.bin*"))  # nothing half-written left behind


def test_process_on_a_full_disk_says_so_in_one_line(small_disk, briefing_env, tmp_path) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    wav = tmp_path / "briefing.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=3",
            "-ar",
            "16000",
            "-ac",
            "1",
            "-y",
            str(wav),
        ],
        check=True,
    )
    env = {**os.environ, "BRIEFING_HOME": str(small_disk / "home"), "PYTHONPATH": str(REPO)}
    env.pop("BRIEFING_CACHE_DIR", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import cli; cli.main()",
            "--quiet",
            "process",
            str(wav),
            "--title",
            "Full disk",
            "--language",
            "en",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "the disk is full" in last, proc.stderr
    assert "reinstall" not in proc.stderr and "re-record" not in proc.stderr and "Traceback" not in proc.stderr


def test_a_command_writing_onto_a_full_disk_names_the_file(small_disk, run, briefing_env) -> None:
    filler = small_disk / "filler"
    with pytest.raises(OSError):  # fill the disk for real
        with open(filler, "wb") as f:
            while True:
                f.write(b"\0" * 65536)
    out = small_disk / "figures.csv"
    r = run("export", "figures", "--out", str(out))
    _one_line(r)
    assert "the disk is full: cannot write " + str(out) in r.err and f"df -h {small_disk}" in r.err
    assert "unexpected" not in r.err


def test_a_library_error_caused_by_a_full_disk_is_reported_as_one() -> None:
    from publish.targets import TargetError as LibraryPublishError

    try:
        with open("/dev/full", "wb", buffering=0) as f:
            f.write(b"x")
    except OSError as e:
        e.filename = "/srv/site/briefings/x/index.html"
        cause = e
    with pytest.raises(DiskFullError, match="cannot write /srv/site/briefings/x/index.html"):
        with errors.translated():
            raise LibraryPublishError("could not publish the page") from cause
