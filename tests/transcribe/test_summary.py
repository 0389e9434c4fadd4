from __future__ import annotations

import pytest

from transcribe.summary import key_figures, parse_number, summarize
from transcribe.types import Segment, Summary, Transcript, Word


def timed(seg_id: int, text: str, start: float, step: float = 0.3) -> Segment:
    words, t = [], start
    for w in text.split():
        words.append(Word(round(t, 3), round(t + step * 0.8, 3), " " + w, 0.9))
        t += step
    return Segment(seg_id, start, round(t, 3), text, tuple(words), confidence=0.9)


EN = Transcript(
    "en",
    120.0,
    (
        timed(0, "Good morning everyone and thank you for coming.", 0.0),
        timed(1, "Today the ministry recorded 1,240 new cases and twelve deaths in the capital.", 4.0),
        timed(
            2, "Laboratories carried out two thousand four hundred tests, and the positivity rate fell to 3.5%.", 12.0
        ),
        timed(3, "Vaccination centres will open on Saturday in every district of the city.", 25.0),
        timed(4, "Hospital capacity remains stable with 62 percent of intensive care beds occupied.", 35.0),
        timed(5, "We will take your questions now.", 45.0),
        timed(6, "The next briefing is at 9 o'clock tomorrow, as it was in 2021.", 50.0),
    ),
)

VI = Transcript(
    "vi",
    60.0,
    (
        timed(0, "Xin chào quý vị phóng viên.", 0.0),
        timed(1, "Hôm nay cả nước ghi nhận một nghìn không trăm bốn mươi ca mắc mới và 12 người tử vong.", 3.0),
        timed(2, "Thành phố đã xét nghiệm hai trăm nghìn mẫu, tỷ lệ dương tính là 3,5 phần trăm.", 12.0),
        timed(3, "Có ba mươi lăm bệnh viện dã chiến và mười trạm y tế lưu động, thêm hai trăm lẻ năm giường.", 22.0),
        Segment(4, 40.0, 44.0, "Tổng số ca nhiễm là 1.250.000 trong năm 2021."),  # no word timestamps
    ),
)


def figures_by_said(t: Transcript) -> dict[str, object]:
    return {k.said: k for k in key_figures(t)}


def test_every_figure_was_said_verbatim():
    for t in (EN, VI):
        figs = key_figures(t)
        assert figs
        for k in figs:
            assert k.said in t.text
            assert k.said in k.context and k.context in t.text
            assert parse_number(k.said, t.language) == k.value
            seg = next(s for s in t.segments if s.id == k.segment_id)
            assert seg.start <= k.start <= k.end <= seg.end + 1e-6


def test_english_figures():
    f = figures_by_said(EN)
    assert f["1,240"].value == 1240 and f["1,240"].label == "new cases"
    assert f["twelve"].value == 12 and f["twelve"].label == "deaths"
    assert f["two thousand four hundred"].value == 2400 and f["two thousand four hundred"].label == "tests"
    assert f["3.5%"].value == 3.5 and f["3.5%"].unit == "%"
    assert f["62 percent"].value == 62 and f["62 percent"].label == "intensive care beds occupied"
    assert "9" not in f and "2021" not in f  # a clock time and a year are not key figures
    # spoken as words: the time spans all the words
    k = f["two thousand four hundred"]
    words = EN.segments[2].words
    assert k.start == words[3].start and k.end == words[6].end


def test_vietnamese_figures():
    f = figures_by_said(VI)
    assert f["một nghìn không trăm bốn mươi"].value == 1040
    assert f["một nghìn không trăm bốn mươi"].label == "ca mắc mới"
    assert f["12"].label == "người tử vong"
    assert f["hai trăm nghìn"].value == 200_000 and f["hai trăm nghìn"].label == "mẫu"
    assert f["3,5 phần trăm"].value == 3.5 and f["3,5 phần trăm"].unit == "%"
    assert f["ba mươi lăm"].value == 35 and f["ba mươi lăm"].label.startswith("bệnh viện")
    assert f["mười"].value == 10
    assert f["hai trăm lẻ năm"].value == 205 and f["hai trăm lẻ năm"].label == "giường"
    assert f["1.250.000"].value == 1_250_000
    assert "2021" not in f
    # no word timestamps: times interpolated inside the segment
    assert 40.0 <= f["1.250.000"].start < f["1.250.000"].end <= 44.0


@pytest.mark.parametrize(
    "said,language,value",
    [
        ("1,240", "en", 1240),
        ("3.5", "en", 3.5),
        ("12%", "en", 12),
        ("1,250,000", "en", 1_250_000),
        ("1,234.5", "en", 1234.5),
        ("1.2 million", "en", 1_200_000),
        ("forty-two", "en", 42),
        ("one hundred and five", "en", 105),
        ("three point five", "en", 3.5),
        ("seven", "en", 7),
        ("two thousand four hundred", "en", 2400),
        ("ninety nine thousand", "en", 99_000),
        ("1.240", "vi", 1240),
        ("3,5", "vi", 3.5),
        ("35 nghìn", "vi", 35_000),
        ("2 tỷ", "vi", 2_000_000_000),
        ("hai mươi mốt", "vi", 21),
        ("hai mươi tư", "vi", 24),
        ("mười lăm", "vi", 15),
        ("hai trăm", "vi", 200),
        ("một nghìn không trăm bốn mươi", "vi", 1040),
        ("ba triệu năm trăm nghìn", "vi", 3_500_000),
        ("một trăm linh một", "vi", 101),
        ("hai ngàn", "vi", 2000),
        ("mười nghìn tỷ", "vi", 10**13),
    ],
)
def test_parse_number(said, language, value):
    assert parse_number(said, language) == value


@pytest.mark.parametrize(
    "said,language", [("one", "en"), ("một", "vi"), ("năm", "vi"), ("không", "vi"), ("cases", "en"), ("", "en")]
)
def test_not_numbers(said, language):
    assert parse_number(said, language) is None


def test_summary_picks_informative_sentences_in_time_order():
    s = summarize(EN, max_sentences=3)
    assert isinstance(s, Summary) and not s.no_speech and s.language == "en"
    assert len(s.sentences) == 3
    texts = [x.text for x in s.sentences]
    assert all(x in EN.text for x in texts)
    assert "We will take your questions now." not in texts
    assert "Good morning everyone and thank you for coming." not in texts
    assert [x.start for x in s.sentences] == sorted(x.start for x in s.sentences)
    assert any("1,240" in x for x in texts)
    first = s.sentences[0]
    seg = EN.segments[first.segment_id]
    assert first.start == seg.words[0].start and first.end == seg.words[-1].end
    assert s.key_figures == key_figures(EN)
    assert Summary.from_dict(s.to_dict()) == s


def test_summary_vietnamese_and_sentence_split():
    s = summarize(VI, max_sentences=2)
    assert len(s.sentences) == 2
    assert all(x.text in VI.text for x in s.sentences)
    assert "Xin chào quý vị phóng viên." not in [x.text for x in s.sentences]
    t = Transcript("en", 10, (timed(0, "Cases rose sharply this week. Deaths fell to four. Testing continues.", 0.0),))
    s = summarize(t, max_sentences=1)
    assert len(s.sentences) == 1 and s.sentences[0].text in {"Cases rose sharply this week.", "Deaths fell to four."}
    assert s.sentences[0].end - s.sentences[0].start < 3


def test_no_speech():
    for t in (Transcript("en", 30.0, ()), Transcript("vi", 5.0, (Segment(0, 0, 5, "  "),))):
        s = summarize(t)
        assert s.no_speech and s.sentences == () and s.key_figures == ()
        assert key_figures(t) == ()


def test_label_stops_at_a_verb():
    t = Transcript("vi", 6, (Segment(0, 0, 6, "Cụ ông 110 tuổi vừa vượt hành trình 8 tháng đến Đức"),))
    f = figures_by_said(t)
    assert f["110"].label == "tuổi" and f["8"].label == "tháng"


def test_figures_said_as_words_keep_their_word_timestamps() -> None:
    from transcribe.summary import key_figures
    from transcribe.types import Segment, Transcript, Word

    toks = [" Hôm", " nay", " có", " một", " nghìn", " không", " trăm", " bốn", " mươi", " ca", " mắc", " mới."]
    ws = tuple(Word(20 + k * 0.5, 20 + (k + 1) * 0.5, t, 0.9) for k, t in enumerate(toks))
    en = [" We", " tested", " two", " thousand", " four", " hundred", " samples."]
    we = tuple(Word(40 + k * 0.4, 40 + (k + 1) * 0.4, t, 0.9) for k, t in enumerate(en))
    for lang, words, said, value, start, end in (
        ("vi", ws, "một nghìn không trăm bốn mươi", 1040, 21.5, 24.5),
        ("en", we, "two thousand four hundred", 2400, 40.8, 42.4),
    ):
        seg = Segment(0, words[0].start, words[-1].end, "".join(w.text for w in words), words)
        f = key_figures(Transcript(lang, 60, (seg,)))
        assert len(f) == 1
        assert (f[0].said, f[0].value) == (said, value)
        assert (round(f[0].start, 3), round(f[0].end, 3)) == (start, end)  # the words' own times
