"""Hallucination guards on synthetic transcripts: loops, artefacts, text in silence, duplicates."""

from __future__ import annotations

import numpy as np

from transcribe.guards import apply_guards, count_loops, find_loops, is_artefact, needs_review, quiet_spans
from transcribe.types import Segment, Transcript, Word


def words(text: str, start: float, step: float = 0.3, p: float = 0.9) -> tuple[Word, ...]:
    out = []
    for i, w in enumerate(text.split()):
        out.append(Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), " " + w, p))
    return tuple(out)


def seg(i: int, text: str, start: float, end: float | None = None, *, with_words: bool = True, **kw) -> Segment:
    ws = words(text, start) if with_words else ()
    end = end if end is not None else (ws[-1].end if ws else start + 2)
    return Segment(id=i, start=start, end=end, text=" " + text, words=ws, **kw)


def transcript(*segs: Segment, duration: float = 60.0) -> Transcript:
    return Transcript(language="vi", duration=duration, segments=segs)


def test_repetition_loop_is_collapsed_and_flagged() -> None:
    t = transcript(seg(0, "Hôm nay chân vô chân vô chân vô chân vô chân vô chúng tôi họp", 0.0))
    assert count_loops(t) == 1
    g = apply_guards(t)
    s = g.transcript.segments[0]
    assert s.text.strip() == "Hôm nay chân vô chúng tôi họp"
    assert [w.text for w in s.words] == [" Hôm", " nay", " chân", " vô", " chúng", " tôi", " họp"]
    assert "repetition" in s.flags
    assert count_loops(g.transcript) == 0
    assert any(e.kind == "repetition" and e.action == "cut" for e in g.events)


def test_speech_repeats_are_not_loops() -> None:
    assert find_loops("no , no , no".split()) == []  # "no no no" is speech
    assert find_loops("10 10 10 10 10".split()) == []  # a figure read out
    assert find_loops("we will we will we will".split()) == [(0, 2, 3)]


def test_whole_segment_artefacts_are_removed() -> None:
    t = transcript(
        seg(0, "Bộ Y tế ghi nhận 40 ca mắc mới.", 0.0),
        seg(1, "Subtitles by the Amara.org community", 10.0),
        seg(2, "Hãy subscribe cho kênh Ghiền Mì Gõ để không bỏ lỡ những video hấp dẫn", 20.0),
        seg(3, "Thank you for watching!", 40.0),
    )
    g = apply_guards(t)
    assert [s.text.strip() for s in g.transcript.segments] == ["Bộ Y tế ghi nhận 40 ca mắc mới."]
    assert [e.kind for e in g.events] == ["artefact"] * 3
    assert [s.id for s in g.transcript.segments] == [0]


def test_artefact_sentence_is_cut_from_a_longer_segment() -> None:
    t = transcript(seg(0, "Cuộc họp kết thúc. Subtitles by the Amara.org community", 0.0))
    g = apply_guards(t)
    s = g.transcript.segments[0]
    assert s.text.strip() == "Cuộc họp kết thúc."
    assert [w.text for w in s.words] == [" Cuộc", " họp", " kết", " thúc."]
    assert "artefact" in s.flags


def test_ordinary_text_is_not_an_artefact() -> None:
    for text in (
        "The Ministry of Health reported 40 cases.",
        "Chúng tôi cảm ơn các bác sĩ tuyến đầu.",
        "Subscribers to the bulletin will get it by email",
    ):
        assert not is_artefact(text)


def test_text_in_silence_is_removed() -> None:
    sr = 16000
    t_axis = np.arange(sr * 10) / sr
    audio = (0.3 * np.sin(2 * np.pi * 220 * t_axis)).astype(np.float32)
    audio[sr * 4 : sr * 8] = 0.0  # 4 s of silence
    quiet = quiet_spans(audio, sr)
    assert len(quiet) == 1 and abs(quiet[0][0] - 4.0) < 0.1 and abs(quiet[0][1] - 8.0) < 0.1
    t = transcript(seg(0, "Xin chào các bạn", 0.5), seg(1, "Cảm ơn rất nhiều", 4.5, 7.5), duration=10)
    g = apply_guards(t, quiet=quiet)
    assert [s.text.strip() for s in g.transcript.segments] == ["Xin chào các bạn"]
    assert g.events[0].kind == "silence" and g.events[0].action == "removed"


def test_whispers_no_speech_rule_and_duplicates() -> None:
    t = transcript(
        seg(0, "Số ca mắc mới hôm nay", 0.0),
        seg(1, "Số ca mắc mới hôm nay", 3.0),  # the model repeating its last line
        seg(2, "ừm", 6.0, no_speech_prob=0.9, avg_logprob=-1.5),
        seg(3, "Có thể là tiếng ồn", 9.0, no_speech_prob=0.7, avg_logprob=-0.3, flags=("maybe-no-speech",)),
    )
    g = apply_guards(t)
    texts = [s.text.strip() for s in g.transcript.segments]
    assert texts == ["Số ca mắc mới hôm nay", "Có thể là tiếng ồn"]
    assert "repetition" in g.transcript.segments[0].flags
    kinds = {(e.kind, e.action) for e in g.events}
    assert {("duplicate", "removed"), ("no-speech", "removed"), ("no-speech", "flagged")} <= kinds


def test_clean_transcript_is_unchanged() -> None:
    t = transcript(seg(0, "Hội nghị bộ trưởng kết thúc hôm qua.", 0.0), seg(1, "Ngày mai có họp báo.", 3.0))
    g = apply_guards(t)
    assert g.transcript == t and g.events == ()


def test_needs_review() -> None:
    ok = seg(0, "rõ ràng", 0.0, confidence=0.95)
    low_word = Segment(1, 0, 1, " a b", words=(Word(0, 0.5, " a", 0.9), Word(0.5, 1, " b", 0.2)), confidence=0.55)
    assert not needs_review(ok)
    assert needs_review(low_word)
    assert needs_review(seg(2, "x y", 0.0, confidence=0.3))
    assert not needs_review(seg(3, "x y", 0.0, confidence=1.0, flags=("corrected",)))


def _timeless(text: str, at: float, p: float) -> tuple[Word, ...]:
    """Words as Whisper's alignment places text that no audio carries: all at one instant."""
    return tuple(Word(at, at, " " + w, p) for w in text.split())


def test_text_with_no_time_is_removed_when_unsure_and_flagged_when_sure() -> None:
    invented = Segment(
        id=1,
        start=25.1,
        end=25.52,
        text=" I'm sorry, we have to go.",
        words=(Word(25.1, 25.52, " I'm", 0.39),) + _timeless("sorry, we have to go.", 25.52, 0.3),
    )
    sure = Segment(id=2, start=26.0, end=26.01, text=" Thank you all.", words=_timeless("Thank you all.", 26.0, 0.95))
    t = transcript(seg(0, "His letter is admirably clear and regular.", 20.0), invented, sure)
    g = apply_guards(t)
    assert [s.text.strip() for s in g.transcript.segments] == [
        "His letter is admirably clear and regular.",
        "Thank you all.",
    ]
    assert [(e.kind, e.action, e.text) for e in g.events if e.action == "removed"] == [
        ("timeless", "removed", "I'm sorry, we have to go.")
    ]
    kept = g.transcript.segments[1]
    assert "maybe-no-speech" in kept.flags and needs_review(kept)
    # real speech at an ordinary pace, even with a short word in it, is left alone
    ok = Segment(
        id=0,
        start=0.0,
        end=1.2,
        text=" a b c",
        words=(Word(0.0, 0.5, " a", 0.3), Word(0.5, 0.51, " b", 0.3), Word(0.51, 1.2, " c", 0.3)),
    )
    assert apply_guards(transcript(ok)).transcript.segments[0].text == " a b c"


def test_learnt_sign_offs_are_artefacts() -> None:
    for text in (
        "This is the end of the video.",
        "And that's all for this video!",
        "Thank you for watching.",
        "Thanks for listening.",
    ):
        assert is_artefact(text), text
    for text in (
        "This is the end of the consultation period.",
        "Thank you for your questions.",
        "We will watch the figures closely.",
    ):
        assert not is_artefact(text), text
