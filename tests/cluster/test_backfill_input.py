"""What `briefing backfill` reads: a directory (titles from a pattern, dates from the names) or a CSV; bad
input is one line that says what to do (no cluster needed: these fail before anything is queued)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefing.core.errors import InputError
from briefing.recording import backfill as bf
from tests.cluster.helpers import briefing


def _wav(speech_dir: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(speech_dir / "en_ljspeech_LJ001-0002.wav", dest)
    return dest


def test_a_directory_with_dates_in_the_names(tmp_path: Path, speech_dir: Path) -> None:
    _wav(speech_dir, tmp_path / "d" / "2019-05-02 Health ministry briefing.wav")
    _wav(speech_dir, tmp_path / "d" / "20190503_health_ministry_briefing.wav")
    (tmp_path / "d" / "notes.txt").write_text("not a recording")
    got = bf.entries(tmp_path / "d", title_pattern="{name} ({date})", date_from_name=True)
    assert [(e.date, e.title) for e in got] == [
        ("2019-05-02", "Health ministry briefing (2019-05-02)"),
        ("2019-05-03", "health ministry briefing (2019-05-03)"),
    ]


def test_a_csv_list(tmp_path: Path, speech_dir: Path) -> None:
    _wav(speech_dir, tmp_path / "media" / "a.wav")
    (tmp_path / "list.csv").write_text(
        "path,title,date,language,speakers\nmedia/a.wav,Budget briefing,2018-12-01,vi,Bộ trưởng A; Thứ trưởng B\n",
        encoding="utf-8",
    )
    (e,) = bf.entries(tmp_path / "list.csv")
    assert (e.path, e.title, e.date, e.language, e.speakers) == (
        tmp_path / "media" / "a.wav",
        "Budget briefing",
        "2018-12-01",
        "vi",
        ("Bộ trưởng A", "Thứ trưởng B"),
    )


def test_bad_input_says_what_to_do(tmp_path: Path, speech_dir: Path) -> None:
    _wav(speech_dir, tmp_path / "d" / "briefing.wav")
    with pytest.raises(InputError, match="no date"):
        bf.entries(tmp_path / "d", date_from_name=True)
    with pytest.raises(InputError, match="title-pattern"):
        bf.entries(tmp_path / "d", title_pattern="{nope}")
    (tmp_path / "x.csv").write_text("file,title\na.wav,x\n")
    res = briefing(tmp_path / "home", "backfill", str(tmp_path / "x.csv"))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'x.csv'} has no path column — the first line must "
        "name the columns: path,title,date,language,speakers"
    ]


def test_queue_only_registers_once_without_a_cluster(tmp_path: Path, speech_dir: Path) -> None:
    _wav(speech_dir, tmp_path / "d" / "2019-05-02_briefing.wav")
    home = tmp_path / "home"
    first = briefing(home, "backfill", str(tmp_path / "d"), "--date-from-name", "--queue-only")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("1 registered, 0 already registered, 0 failed")
    again = briefing(home, "backfill", str(tmp_path / "d"), "--date-from-name", "--queue-only")
    assert again.stdout.startswith("0 registered, 1 already registered, 0 failed")
    st = briefing(home, "cluster", "status")
    assert "no cluster configured" in st.stdout and "0 done, 0 running, 1 waiting, 0 failed of 1" in st.stdout
