"""Glossary: prompt/hotwords for recognition, and near-miss correction afterwards."""

from __future__ import annotations

from transcribe.glossary import Glossary, correct, from_config, hotwords, prompt, similarity
from transcribe.types import Segment, Transcript, Word

G = Glossary(terms=("Bộ Y tế", "Nguyễn Thanh Long", "Trung Á", "Hà Nội", "Nga"), aliases={"covy": "COVID-19"})


def wseg(i: int, tokens: list[str], start: float = 0.0) -> Segment:
    ws = tuple(Word(start + k * 0.4, start + (k + 1) * 0.4, t, 0.6) for k, t in enumerate(tokens))
    return Segment(id=i, start=start, end=ws[-1].end, text="".join(tokens), words=ws)


def test_prompt_and_hotwords_name_the_terms() -> None:
    assert prompt(G) == "Bộ Y tế, Nguyễn Thanh Long, Trung Á, Hà Nội, Nga."
    assert hotwords(G) == "Bộ Y tế, Nguyễn Thanh Long, Trung Á, Hà Nội, Nga"
    assert prompt(Glossary()) is None
    assert len(prompt(Glossary(terms=tuple(f"term{i}" for i in range(500))), max_chars=100)) <= 101


def test_near_misses_become_the_term_with_word_timings_kept() -> None:
    s = wseg(0, [" Hôm", " nay", " bộ", " y", " tê", " báo", " cáo", " covy."])
    t = Transcript("vi", 10, (s, Segment(1, 4, 6, " ông nguyen thanh long nói.")))
    fixed, fixes = correct(t, G)
    a, b = fixed.segments
    assert a.text == " Hôm nay Bộ Y tế báo cáo COVID-19."
    assert [w.text for w in a.words][2:5] == [" Bộ", " Y", " tế"]
    assert [w.start for w in a.words] == [w.start for w in s.words]  # times unchanged
    assert b.text == " ông Nguyễn Thanh Long nói."
    assert "glossary" in a.flags and "glossary" in b.flags
    assert [(f.heard, f.term) for f in fixes] == [
        ("bộ y tê", "Bộ Y tế"),
        ("covy.", "COVID-19"),
        ("nguyen thanh long", "Nguyễn Thanh Long"),
    ]
    assert fixes[0].start == s.words[2].start and fixes[0].end == s.words[4].end


def test_ordinary_words_are_left_alone() -> None:
    t = Transcript("vi", 10, (Segment(0, 0, 5, " hôm nay hà nội mưa, người ta đi chợ, bộ ý kiến."),))
    fixed, fixes = correct(t, G)
    assert fixes == () and fixed == t  # exact terms and distant words are not touched
    assert similarity("hôm nay", "hà nội") < 0.84
    # short terms ("Nga") are only fed to the model: "nga" would match too many words
    t2 = Transcript("vi", 10, (Segment(0, 0, 5, " ngà voi"),))
    assert correct(t2, G)[1] == ()


def test_from_config() -> None:
    g = from_config({"terms": ["Bộ Y tế"], "places": ["Hà Nội"], "aliases": {"bộ y tê": "Bộ Y tế"}, "threshold": 0.9})
    assert g.terms == ("Bộ Y tế", "Hà Nội") and g.aliases == {"bộ y tê": "Bộ Y tế"} and g.threshold == 0.9
    assert from_config(["a", "b"]).terms == ("a", "b")
    assert not from_config(None)
