"""The project's one duration parser, briefing.core.config.duration: its accepted forms and its one-line error."""

from __future__ import annotations

import pytest

from briefing.core import config


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (90, 90.0),
        (1.5, 1.5),
        ("90", 90.0),
        ("1.5", 1.5),
        ("", 0.0),
        ("90s", 90.0),
        ("30m", 1800.0),
        ("1h", 3600.0),
        ("2d", 172800.0),
        ("500ms", 0.5),
        ("1h30m", 5400.0),
        ("1h 30m", 5400.0),
        (" 10 s ", 10.0),
        ("1.5h", 5400.0),
        ("1H30M", 5400.0),
        ("1m30s", 90.0),
        ("1h30", 3630.0),
        (".5s", 0.5),
    ],
)
def test_accepted_forms(text, seconds):
    assert config.duration(text) == seconds


@pytest.mark.parametrize("text", ["abc", "m", "10x", "1.5.5", "10 20", "1h-5m", "PT1H", "-5m", True, "1,5h"])
def test_the_one_error(text):
    with pytest.raises(ValueError) as err:
        config.duration(text)
    message = str(err.value)
    assert message == f"not a duration: {text!r} (use e.g. 90s, 30m or 1h30m)"
    assert "\n" not in message


def test_every_duration_reader_uses_it(tmp_path, monkeypatch):
    """Settings, --duration and --segment read durations through this one parser."""
    import recorder.capture as rc
    from briefing.core.errors import InputError
    from briefing.meeting import schedule
    from briefing.recording import record

    assert not hasattr(rc, "parse_segment")  # the library takes seconds; the application parses
    monkeypatch.setenv("BRIEFING_HOME", str(tmp_path))
    monkeypatch.setenv("BRIEFING_DAILY_EMPTY_GRACE", "1m 30s")
    import briefing.recording.daily  # noqa: F401 - registers its settings

    assert config.load_settings(tmp_path)["daily.empty_grace"] == 90.0
    assert schedule.parse_duration("1h 30m") == 5400
    assert record._segment_seconds("500ms") == 0.5
    with pytest.raises(InputError, match="bad segment length 'ten'"):
        record._segment_seconds("ten")
    with pytest.raises(rc.CaptureError, match="too short"):
        rc.CaptureOptions(segment_seconds=0.5)
