from __future__ import annotations

import pytest

from transcribe.errors import TranscribeError
from transcribe.formats import (
    LINE_CHARS,
    MAX_CUE_SECONDS,
    caption_cues,
    format_timestamp,
    from_json,
    parse_srt,
    parse_timed_txt,
    parse_timestamp,
    parse_vtt,
    to_json,
    to_srt,
    to_txt,
    to_vtt,
)
from transcribe.types import Segment, Transcript, Word


def _words(text: str, start: float, step: float = 0.4) -> tuple[Word, ...]:
    out, t = [], start
    for w in text.split():
        out.append(Word(round(t, 3), round(t + step * 0.9, 3), " " + w, 0.9))
        t += step
    return tuple(out)


def make_transcript() -> Transcript:
    long = (
        "Today the ministry reports 1,240 new cases and 12 deaths, while 35,000 tests were carried out "
        "across the country in the last twenty four hours, and hospitals say that beds remain available."
    )
    s0 = Segment(0, 0.0, 2.0, "Good morning & welcome <everyone>.", _words("Good morning & welcome <everyone>.", 0.0))
    ws = _words(long, 2.5)
    s1 = Segment(1, 2.5, ws[-1].end, long, ws, confidence=0.8)
    s2 = Segment(2, 40.0, 44.0, "Không có từ thời gian cho đoạn này, thưa quý vị.")  # no word timestamps
    return Transcript("en", 45.0, (s0, s1, s2), model="whisper-base", engine="test", options={"beam_size": 5})


def test_timestamps_roundtrip():
    assert format_timestamp(3723.456) == "01:02:03.456"
    assert format_timestamp(3723.456, sep=",") == "01:02:03,456"
    assert format_timestamp(59.9996) == "00:01:00.000"
    assert format_timestamp(3723.9, millis=False) == "01:02:03"
    for v in (0.0, 0.001, 61.5, 3599.999, 36000.25):
        assert parse_timestamp(format_timestamp(v)) == pytest.approx(v, abs=1e-3)
    assert parse_timestamp("01:02.5") == pytest.approx(62.5)
    with pytest.raises(TranscribeError):
        parse_timestamp("soon")


def test_cues_respect_limits_and_keep_every_word():
    t = make_transcript()
    cues = caption_cues(t)
    assert len(cues) > len(t.segments)  # the long segment was split
    for start, end, text in cues:
        assert end > start
        assert len(text) <= 2 * LINE_CHARS
        assert end - start <= MAX_CUE_SECONDS + 0.5
    for (_s0, e0, _), (s1, _, _) in zip(cues, cues[1:], strict=False):
        assert e0 <= s1 + 1e-9
    assert " ".join(c[2] for c in cues).split() == t.text.split()


def test_srt_roundtrip():
    t = make_transcript()
    srt = to_srt(t)
    assert srt.startswith("1\n00:00:00,000 --> ")
    cues = parse_srt(srt)
    assert [(round(s, 3), round(e, 3), x) for s, e, x in caption_cues(t)] == cues
    for block in srt.strip().split("\n\n"):
        lines = block.split("\n")[2:]
        assert 1 <= len(lines) <= 2
        assert all(len(ln) <= LINE_CHARS + 8 for ln in lines)


def test_vtt_roundtrip_and_escaping():
    t = make_transcript()
    vtt = to_vtt(t)
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")
    assert "&amp;" in vtt and "&lt;everyone&gt;" in vtt
    cues = parse_vtt(vtt)
    assert cues == caption_cues(t)
    assert cues[0][2] == "Good morning & welcome <everyone>."


def test_vtt_parser_tolerates_notes_ids_settings_and_tags():
    text = (
        "WEBVTT - corrected\r\n\r\nNOTE checked by press office\r\n\r\ncue-1\r\n"
        "00:01.000 --> 00:03.500 align:start\r\n<v Minister>Hello &amp; welcome</v>\r\n\r\n"
        "00:00:04.000 --> 00:00:05.000\r\nsecond\r\nline\r\n"
    )
    assert parse_vtt(text) == [(1.0, 3.5, "Hello & welcome"), (4.0, 5.0, "second line")]
    with pytest.raises(TranscribeError):
        parse_vtt("1\n00:00:01,000 --> 00:00:02,000\nnot vtt\n")


def test_txt_roundtrip():
    t = make_transcript()
    txt = to_txt(t)
    assert txt.startswith("[00:00:00] Good morning")
    assert "\n\n[00:00:40] Không có" in txt
    cues = parse_timed_txt(txt, duration=t.duration)
    assert [c[2] for c in cues] == [s.text for s in t.segments]
    assert [c[0] for c in cues] == [float(int(s.start)) for s in t.segments]
    assert cues[-1][1] == t.duration and cues[0][1] == cues[1][0]
    # a corrected file may wrap a paragraph over several lines
    assert parse_timed_txt("[00:00:01] one\ntwo\n\n[00:00:05] three") == [(1.0, 5.0, "one two"), (5.0, 5.0, "three")]
    with pytest.raises(TranscribeError):
        parse_timed_txt("no stamp here")


def test_json_roundtrip():
    t = make_transcript()
    s = to_json(t)
    assert "Không có" in s  # not \u-escaped
    assert from_json(s) == t
    with pytest.raises(TranscribeError):
        from_json("{not json")


def test_empty_transcript_formats():
    t = Transcript("vi", 12.0, ())
    assert to_srt(t) == ""
    assert to_vtt(t).startswith("WEBVTT")
    assert parse_vtt(to_vtt(t)) == []
    assert to_txt(t) == ""
    assert from_json(to_json(t)) == t
