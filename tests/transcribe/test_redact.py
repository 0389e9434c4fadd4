"""Personal data found and redacted in a transcript: every pattern, in digits and said as words."""

from __future__ import annotations

import pytest

from transcribe.redact import merge_spans, patterns_for, redact, redact_summary, redact_text
from transcribe.types import KeyFigure, Segment, Summary, SummarySentence, Transcript, Word

VN = patterns_for("vn")


@pytest.mark.parametrize(
    "said, kind",
    [
        ("Gọi đường dây nóng 0912 345 678 nhé", "phone"),
        ("số 0912.345.678", "phone"),
        ("liên hệ +84 912 345 678", "phone"),
        ("căn cước 001203004567 của ông", "citizen_id"),
        ("bệnh nhân BN1040 đã khỏi", "patient_id"),
        ("trường hợp BN 17 ở Hà Nội", "patient_id"),
        ("bệnh nhân số 91 là phi công", "patient_id"),
        ("gửi thư tới lan.nguyen@moh.gov.vn hôm nay", "email"),
        ("số không chín một hai ba bốn năm sáu bảy tám nhé", "phone"),
    ],
)
def test_each_vietnamese_pattern(said: str, kind: str) -> None:
    text, kinds = redact_text(said, VN)
    assert kinds == [kind]
    assert f"[{kind}]" in text
    assert not any(ch.isdigit() for ch in text.replace("[", "").split("]")[0][-3:])


@pytest.mark.parametrize(
    "said",
    [
        "Hôm nay có 1.040 ca mắc mới, 12 người tử vong.",
        "Năm 2021 đã tiêm 35 nghìn liều, tỷ lệ 3,5 phần trăm.",
        "một nghìn không trăm bốn mươi ca",
        "bệnh nhân đã ra viện",
    ],
)
def test_figures_are_not_personal_data(said: str) -> None:
    assert redact_text(said, VN) == (said, [])


def test_us_patterns_and_custom_ones() -> None:
    us = patterns_for("us")
    assert redact_text("call 555-123-4567 or (555) 123 4567", us)[1] == ["phone", "phone"]
    assert redact_text("SSN 123-45-6789", us)[1] == ["national_id"]
    custom = patterns_for("vn", extra={"passport": r"\b[A-Z]\d{7}\b"}, disable=("email",))
    assert redact_text("hộ chiếu B1234567, thư a@b.vn", custom) == ("hộ chiếu [passport], thư a@b.vn", ["passport"])
    with pytest.raises(ValueError):
        patterns_for("xx")
    with pytest.raises(ValueError):
        patterns_for("vn", extra={"bad": "("})


def test_redact_transcript_gives_spans_from_word_timings() -> None:
    toks = [" Xin", " gọi", " 0912", " 345", " 678", " để", " hỏi."]
    ws = tuple(Word(10 + k, 10 + k + 0.8, t, 0.9) for k, t in enumerate(toks))
    t = Transcript(
        "vi",
        60,
        (
            Segment(0, 10, 17, "".join(toks), ws),
            Segment(1, 20, 24, " Email lan@moh.gov.vn nhé"),
            Segment(2, 30, 32, " Không có gì."),
        ),
    )
    r = redact(t, VN)
    a, b, c = r.transcript.segments
    assert a.text == " Xin gọi [phone] để hỏi."
    assert [w.text for w in a.words] == [" Xin", " gọi", " [phone]", " để", " hỏi."]
    assert a.words[2].start == 12 and a.words[2].end == 14.8
    assert "redacted" in a.flags
    assert b.text == " Email [email] nhé"  # no word timings: the whole segment is bleeped
    assert c == t.segments[2]
    assert [(h.kind, h.start, h.end) for h in r.hits] == [("phone", 11.85, 14.95), ("email", 19.85, 24.15)]
    assert r.hits[0].text == "0912 345 678"
    assert "text" not in r.hits[0].to_dict()  # what was said is never put in the stage's record
    assert r.spans == [(11.85, 14.95), (19.85, 24.15)]
    assert merge_spans([(1, 2), (2.01, 3), (5, 6)]) == [(1, 3), (5, 6)]


def test_summary_is_redacted_and_personal_figures_dropped() -> None:
    s = Summary(
        "vi",
        (SummarySentence("Gọi 0912345678 để được hỗ trợ.", 1, 2, 0),),
        (
            KeyFigure(1040, "1.040", "ca mắc mới", 3, 4, 1, "Có 1.040 ca mắc mới"),
            KeyFigure(1203004567, "001203004567", "căn cước", 5, 6, 2, "số 001203004567"),
        ),
    )
    r = redact_summary(s, VN)
    assert r.sentences[0].text == "Gọi [phone] để được hỗ trợ."
    assert [k.said for k in r.key_figures] == ["1.040"]


def test_part_of_a_number_is_not_left_as_a_key_figure() -> None:
    s = Summary(
        "vi",
        (),
        (
            KeyFigure(912, "0912", "", 3, 3.5, 1, "Gọi 0912 345 678 nhé"),
            KeyFigure(12, "12", "người", 8, 8.5, 2, "12 người"),
        ),
    )
    assert [k.said for k in redact_summary(s, VN).key_figures] == ["12"]
    s2 = Summary("vi", (), (KeyFigure(12, "12", "người", 8, 8.5, 2, "12 người"),))
    assert redact_summary(s2, VN, [(7.9, 9.0)]).key_figures == ()


# What a recognizer really writes for a number said digit by digit: joined across spaces, hyphens and
# commas, spoken digits mixed with written ones, a digit lost or one too many.
@pytest.mark.parametrize(
    "said, kind",
    [
        ("If you have symptoms, call 0-1-2-345678 right away.", "phone"),  # "zero nine one two ..." a digit lost
        ("call zero nine one two, three four five, six seven eight", "phone"),
        ("my number is zero nine 1 2 345 678", "phone"),
        ("please call 0912 345 67 for help", "phone"),  # too few
        ("Gọi 0912 345 6789 ngay", "phone"),  # one too many
        ("số điện thoại của tôi là không chín một hai ba bốn năm sáu bảy", "phone"),
        ("hotline 1900-9095", "phone"),
        ("0912345678 is my number", "phone"),
        ("the case ID 123456789 was confirmed", "id_number"),  # long enough to be an identifier anywhere
        ("reference 0-1-2-3-4-5-6-7-8-9", "phone"),
    ],
)
def test_garbled_numbers_are_redacted(said: str, kind: str) -> None:
    for pats in (VN, patterns_for("us"), patterns_for(None)):
        text, kinds = redact_text(said, pats)
        assert kinds == [kind], (said, text)
        assert sum(ch.isdigit() for ch in text) == 0, text


@pytest.mark.parametrize(
    "said",
    [
        "There were 1,240 cases in 2026.",
        "on 2026-11-25 and 25/11/2026 and 25-11-2026, call us",
        "Ngân sách 12.500.000.000 đồng cho năm 2026",
        "the number of cases rose 12, 15, 18 and 20",
        "call us between 2020 and 2026",
        "in 2020, 2021, 2022 and 2023 the numbers were",
        "The hotline received 1,234,567 calls",
        "call 911 or 115",
        "ba bốn năm người đã gọi",
        "trong năm 2020 2021 và hai năm 2022, 2023",
        "today's numbers: 1240, 1500, 1800 and 2100",
    ],
)
def test_figures_dates_and_years_are_not_redacted(said: str) -> None:
    assert redact_text(said, VN) == (said, [])


def test_number_runs_can_be_turned_off() -> None:
    off = patterns_for("vn", disable=("number_runs",))
    assert redact_text("call 0-1-2-345678", off) == ("call 0-1-2-345678", [])
    assert off.key() != VN.key()
