"""Grounded, extractive summaries and key figures of a Transcript.

Nothing here generates text: a summary is a choice of sentences that were said, and a key figure is a
number that was said, quoted verbatim (``KeyFigure.said`` is always a substring of ``Transcript.text``)
with the time it was said, taken from the word timestamps.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from transcribe.types import KeyFigure, Segment, Summary, SummarySentence, Transcript

ESTIMATED_TIMES = "estimated-times"  # the segment flag of word times an engine did not give (transcribe.vietasr)

# ---------------------------------------------------------------- text pieces

STOPWORDS_EN = frozenset(
    """
a about above after again against all also am an and any are aren't as at be because been before being
below between both but by can can't could couldn't did didn't do does doesn't doing don't down during each
few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers
herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's
me more most mustn't my myself no nor not now of off on once only or other ought our ours ourselves out
over own same shan't she she'd she'll she's should shouldn't so some such than that that's the their
theirs them themselves then there there's these they they'd they'll they're they've this those through
to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when when's
where where's which while who who's whom why why's will with won't would wouldn't you you'd you'll you're
you've your yours yourself yourselves yes okay ok well so um uh oh like really thank thanks please today
yesterday said say says going get got also just very much many
""".split()
)

STOPWORDS_VI = frozenset(
    """
và là của có được cho các những này đó thì mà với trong khi đã đang sẽ không một như để từ đến tại ở
cũng rất vì nên nhưng hoặc hay nếu theo về do bị lại ra vào lên xuống còn đều chỉ thế vậy nào gì ai
đây kia ấy họ chúng tôi ta mình bạn anh chị em ông bà chúng ta rồi nữa thêm vẫn chưa mới hơn nhất
sau trước trên dưới giữa cùng bởi nhiều ít mọi mỗi từng việc điều cái con người ạ à ừ ơi nhé nhỉ
thưa xin cảm ơn hôm nay
""".split()
)

STOPWORDS = STOPWORDS_EN | STOPWORDS_VI

_TOKEN = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)*)(?P<pct>\s?%)?"
    r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"
    r"|(?P<punct>[^\w\s])"
)
_SENTENCE_END = re.compile(r"(?<=[.!?…。？！])[\"'”’)\]]*\s+")


@dataclass(frozen=True)
class _Tok:
    kind: str  # "num", "word", "punct"
    text: str  # as written
    low: str  # NFC lower-case
    start: int  # char offsets in the segment text
    end: int
    pct: bool = False


def _tokens(text: str) -> list[_Tok]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = (m.lastgroup or "") if m.lastgroup != "pct" else "num"  # every alternative is a named group
        if m.group("num") is not None:
            kind = "num"
        out.append(
            _Tok(
                kind,
                m.group(0),
                unicodedata.normalize("NFC", m.group(0)).lower(),
                m.start(),
                m.end(),
                pct=bool(m.group("pct")),
            )
        )
    return out


def _split_sentences(text: str) -> list[tuple[int, int]]:
    """Char spans of the sentences of ``text`` (a segment's text)."""
    spans, pos = [], 0
    for m in _SENTENCE_END.finditer(text):
        if text[pos : m.start()].strip():
            spans.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        spans.append((pos, len(text.rstrip())))
    return spans


def _word_spans(seg: Segment, text: str) -> list[tuple[int, int, float, float]]:
    """Where each timed word of ``seg`` lies in ``text``: (char start, char end, t start, t end)."""
    spans, cursor = [], 0
    for w in seg.words:
        wt = w.text.strip()
        if not wt:
            continue
        i = text.find(wt, cursor)
        if i < 0:
            continue
        spans.append((i, i + len(wt), w.start, w.end))
        cursor = i + len(wt)
    return spans


def _times(
    seg: Segment, text: str, a: int, b: int, spans: list[tuple[int, int, float, float]] | None = None
) -> tuple[float, float]:
    """Start and end time of characters [a, b) of a segment's text. Where the word times are estimated
    (flag ``estimated-times``: an engine that gives none), a moment in the segment is its start."""
    if ESTIMATED_TIMES in seg.flags:
        return round(seg.start, 3), round(seg.end, 3)
    spans = _word_spans(seg, text) if spans is None else spans
    hit = [(s, e) for (ca, cb, s, e) in spans if ca < b and cb > a]
    if hit:
        return round(min(s for s, _ in hit), 3), round(max(e for _, e in hit), 3)
    n = max(len(text), 1)  # no word timestamps: interpolate over the segment
    dur = max(seg.end - seg.start, 0.0)
    return round(seg.start + dur * a / n, 3), round(seg.start + dur * b / n, 3)


# ---------------------------------------------------------------- summary


@dataclass(frozen=True)
class _Sentence:
    text: str
    start: float
    end: float
    segment_id: int
    confidence: float
    terms: tuple[str, ...]
    has_number: bool


def _sentences(t: Transcript) -> list[_Sentence]:
    out = []
    for seg in t.segments:
        text = seg.text.strip()
        if not text:
            continue
        spans = _word_spans(seg, text)
        for a, b in _split_sentences(text):
            toks = _tokens(text[a:b])
            terms = tuple(x.low for x in toks if x.kind == "word" and x.low not in STOPWORDS and len(x.low) > 1)
            start, end = _times(seg, text, a, b, spans)
            out.append(
                _Sentence(
                    text[a:b].strip(),
                    start,
                    end,
                    seg.id,
                    seg.confidence,
                    terms,
                    any(x.kind == "num" for x in toks) or bool(_find_figures(toks, t.language)),
                )
            )
    return out


def summarize(t: Transcript, *, max_sentences: int = 5) -> Summary:
    """Pick the ``max_sentences`` most informative sentences, in the order they were said.

    Sentences are scored by TF-IDF-like weights of their content words (stopwords of English and
    Vietnamese left out), with a bonus for sentences that state a number and a penalty for segments
    the recogniser was unsure of. Near-duplicates are skipped. No speech gives ``no_speech=True``.
    """
    sentences = [s for s in _sentences(t) if s.text]
    if not sentences:
        return Summary(language=t.language, sentences=(), key_figures=(), no_speech=True)
    n = len(sentences)
    tf = Counter(term for s in sentences for term in s.terms)
    df = Counter(term for s in sentences for term in set(s.terms))

    def weight(term: str) -> float:
        return (1.0 + math.log(tf[term])) * math.log(1.0 + n / df[term])

    scored = []
    for i, s in enumerate(sentences):
        uniq = set(s.terms)
        if not uniq:
            score = 0.0
        else:
            score = sum(weight(x) for x in uniq) / math.sqrt(len(uniq) + 3)  # favours content, not length
        if s.has_number:
            score *= 1.3
        if len(s.terms) < 3:
            score *= 0.5
        score *= 0.5 + 0.5 * max(0.0, min(1.0, s.confidence))
        scored.append((score, -i, i))
    scored.sort(reverse=True)
    chosen: list[int] = []
    for _score, _, i in scored:
        if len(chosen) >= max_sentences:
            break
        a = set(sentences[i].terms)
        if any(_jaccard(a, set(sentences[j].terms)) > 0.6 for j in chosen):
            continue
        chosen.append(i)
    chosen.sort()
    return Summary(
        language=t.language,
        sentences=tuple(
            SummarySentence(sentences[i].text, sentences[i].start, sentences[i].end, sentences[i].segment_id)
            for i in chosen
        ),
        key_figures=key_figures(t),
        no_speech=False,
    )


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


# ---------------------------------------------------------------- numbers

EN_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
EN_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
EN_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 10**12}
EN_WORDS = set(EN_UNITS) | set(EN_TEENS) | set(EN_TENS) | set(EN_SCALES) | {"hundred"}

VI_UNITS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "nhăm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
}
VI_SCALES = {"nghìn": 1_000, "ngàn": 1_000, "triệu": 1_000_000, "tỷ": 1_000_000_000, "tỉ": 1_000_000_000}
VI_WORDS = set(VI_UNITS) | set(VI_SCALES) | {"mười", "mươi", "trăm", "lẻ", "linh"}
# words that are numbers only next to other number words ("một" is also "a", "năm" also "year" …)
VI_NEED_CONTEXT = {"không", "một", "mốt", "năm", "lăm", "nhăm", "tư", "lẻ", "linh"}
VI_STANDALONE_NOT = {"mốt", "lăm", "nhăm", "tư", "lẻ", "linh", "mươi"}

PERCENT_WORDS = (("percent",), ("per", "cent"), ("phần", "trăm"))
_SKIP_AFTER = {"o'clock", "o’clock", "am", "pm"}
_YEAR_BEFORE = {"in", "since", "until", "năm", "from", "by"}


def _digits_value(s: str, language: str) -> float:
    """Value of a digit string with separators: "1,240" → 1240, "3.5" → 3.5, vi "1.240" → 1240."""
    seps = [c for c in s if c in ".,"]
    if not seps:
        return float(s)
    groups = re.split(r"[.,]", s)
    if len(set(seps)) == 2:  # both: the last one is the decimal mark
        dec = seps[-1]
        thou = "," if dec == "." else "."
        return float(s.replace(thou, "").replace(dec, "."))
    sep = seps[0]
    thousands_shape = len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    if len(seps) > 1:
        return (
            float(s.replace(sep, "")) if thousands_shape else float(s.replace(sep, "", len(seps) - 1).replace(sep, "."))
        )
    vi = language == "vi"
    thousands_mark = "." if vi else ","
    if thousands_shape and sep == thousands_mark:
        return float(s.replace(sep, ""))
    return float(s.replace(sep, "."))


@dataclass
class _Figure:
    i: int  # first token
    j: int  # one past the last token
    value: float
    unit: str = ""


def _parse_en(words: list[str]) -> tuple[float, int] | None:
    """Longest English number at the start of ``words`` (lower-case tokens): (value, tokens used)."""
    best: tuple[float, int] | None
    total, current, last, used, best = 0, 0, None, 0, None
    max_scale = 10**18
    k = 0
    while k < len(words):
        w = words[k]
        if w in EN_UNITS and last in (None, "tens", "hyphen", "hundred", "scale", "and"):
            if last in ("tens", "hyphen") and EN_UNITS[w] == 0:
                break
            current += EN_UNITS[w]
            last = "unit"
        elif w in EN_TEENS and last in (None, "hundred", "scale", "and"):
            current += EN_TEENS[w]
            last = "teen"
        elif w in EN_TENS and last in (None, "hundred", "scale", "and"):
            current += EN_TENS[w]
            last = "tens"
        elif w == "hundred" and last in ("unit", "teen", "tens") and current % 100 == current:
            current = current * 100
            last = "hundred"
        elif w in EN_SCALES and last in ("unit", "teen", "tens", "hundred") and EN_SCALES[w] < max_scale:
            total += current * EN_SCALES[w]
            current = 0
            max_scale = EN_SCALES[w]
            last = "scale"
        elif (
            w == "and"
            and last in ("hundred", "scale")
            and k + 1 < len(words)
            and (words[k + 1] in EN_UNITS or words[k + 1] in EN_TEENS or words[k + 1] in EN_TENS)
        ):
            last = "and"
            k += 1
            continue
        elif w == "-" and last == "tens" and k + 1 < len(words) and words[k + 1] in EN_UNITS:
            last = "hyphen"
            k += 1
            continue
        else:
            break
        k += 1
        used = k
        best = (total + current, used)
    if best is not None and k + 1 < len(words) and words[k] == "point" and words[k + 1] in EN_UNITS:
        digits, m = "", k + 1
        while m < len(words) and words[m] in EN_UNITS:
            digits += str(EN_UNITS[words[m]])
            m += 1
        best = (best[0] + float("0." + digits), m)
    return best


def _parse_vi(words: list[str]) -> tuple[float, int] | None:
    """Longest Vietnamese number at the start of ``words``: (value, tokens used)."""
    total, current, pending, last, best = 0, 0, None, None, None
    max_scale = 10**18
    for k, w in enumerate(words):
        if w in VI_UNITS:
            u = VI_UNITS[w]
            if last in ("mười", "mươi") and pending is None:
                if u == 0 or w in ("không",):
                    break
                if w == "năm" and last == "mươi" and not (k + 1 < len(words) and words[k + 1] in VI_SCALES):
                    break  # "hai mươi năm" is usually "twenty years"; "hai mươi năm nghìn" is 25000
                current += u
                last = "tail"
            elif last in (None, "trăm", "lẻ", "scale") and pending is None:
                if (
                    w in ("mốt", "tư", "lăm", "nhăm")
                    and last in ("trăm", "scale")
                    and not (k + 1 < len(words) and (words[k + 1] in VI_WORDS))
                ):
                    # the spoken short form: "hai trăm mốt" 210, "hai nghìn tư" 2400
                    if last == "trăm":
                        current += u * 10
                    else:
                        total += u * max_scale // 10
                    best = (total + current, k + 1)
                    break
                if w in ("mốt", "tư", "lăm", "nhăm") and last not in ("lẻ",):
                    break
                pending = u
                last = "unit"
            else:
                break
        elif w == "mười" and last in (None, "trăm", "scale") and pending is None:
            current += 10
            last = "mười"
        elif w == "mươi" and last == "unit" and pending not in (None, 0, 1):
            current += pending * 10
            pending = None
            last = "mươi"
        elif w == "trăm" and last == "unit":
            assert pending is not None  # a unit is pending after "unit"
            current += pending * 100
            pending = None
            last = "trăm"
        elif w in ("lẻ", "linh") and last in ("trăm", "scale") and k + 1 < len(words) and words[k + 1] in VI_UNITS:
            last = "lẻ"
            continue
        elif w in VI_SCALES and (
            last in ("unit", "tail", "mười", "mươi", "trăm")
            and VI_SCALES[w] != max_scale
            or last == "scale"
            and VI_SCALES[w] > max_scale
        ):
            group = current + (pending or 0)
            scale = VI_SCALES[w]
            if scale > max_scale:  # "mười nghìn tỷ": the scale multiplies everything before it
                total = (total + group) * scale
            else:
                total += group * scale
            max_scale = scale
            current, pending = 0, None
            last = "scale"
        else:
            break
        best = (total + current + (pending or 0), k + 1)
    if best is None:
        return None
    used = best[1]
    # a lone context word ("một", "năm", "không" …) is not a number
    if used == 1 and words[0] in VI_NEED_CONTEXT | VI_STANDALONE_NOT:
        return None
    # trailing "không"/"một" that did not combine ("hai không") – drop them
    return best


def _scale_after(words: list[str], language: str) -> tuple[int, int]:
    """A scale word right after a digit number ("1.2 million", "35 nghìn"): (multiplier, tokens)."""
    if not words:
        return 1, 0
    scales = {**EN_SCALES, **VI_SCALES}
    if words[0] in scales:
        mult, n = scales[words[0]], 1
        if len(words) > 1 and words[1] in scales and scales[words[1]] > mult:  # "nghìn tỷ"
            mult *= scales[words[1]]
            n = 2
        return mult, n
    if words[0] == "hundred":
        return 100, 1
    return 1, 0


def _find_figures(toks: list[_Tok], language: str) -> list[_Figure]:
    words = [x.low for x in toks]
    figures: list[_Figure] = []
    k = 0
    while k < len(toks):
        tok = toks[k]
        fig: _Figure | None = None
        if tok.kind == "num":
            digits = tok.text.rstrip("% ").strip()
            try:
                value = _digits_value(digits, language)
            except ValueError:
                k += 1
                continue
            end = k + 1
            unit = "%" if tok.pct else ""
            if not unit:
                mult, n = _scale_after(words[end : end + 2], language)
                value *= mult
                end += n
            fig = _Figure(k, end, value, unit)
        elif tok.kind == "word" and tok.low in EN_WORDS | {"-"} and language != "vi":
            r = _parse_en(words[k:])
            if r and not (r[1] == 1 and words[k] in ("one", "zero")):
                fig = _Figure(k, k + r[1], r[0])
        elif tok.kind == "word" and tok.low in VI_WORDS and language in ("vi", ""):
            r = _parse_vi(words[k:])
            if r:
                fig = _Figure(k, k + r[1], r[0])
        if fig is None:
            k += 1
            continue
        if not fig.unit:
            for pw in PERCENT_WORDS:
                if tuple(words[fig.j : fig.j + len(pw)]) == pw:
                    fig.j += len(pw)
                    fig.unit = "%"
                    break
        figures.append(fig)
        k = fig.j
    return figures


_LABEL_STOP_EN = {
    "and",
    "or",
    "but",
    "in",
    "on",
    "at",
    "to",
    "for",
    "with",
    "from",
    "by",
    "that",
    "which",
    "who",
    "were",
    "was",
    "is",
    "are",
    "have",
    "has",
    "had",
    "been",
    "be",
    "will",
    "would",
    "this",
    "these",
    "those",
    "than",
    "as",
    "while",
    "since",
    "today",
    "yesterday",
    "so",
    "because",
    "across",
    "over",
    "during",
    "per",
    "compared",
    "it",
    "they",
    "we",
    "he",
    "she",
    "there",
    "more",
    "less",
    "fewer",
    "according",
}
_LABEL_STOP_VI = {
    "và",
    "hoặc",
    "nhưng",
    "trong",
    "tại",
    "ở",
    "với",
    "từ",
    "đến",
    "là",
    "được",
    "đã",
    "đang",
    "sẽ",
    "này",
    "đó",
    "cho",
    "theo",
    "so",
    "do",
    "vì",
    "khi",
    "thì",
    "mà",
    "còn",
    "hôm",
    "nay",
    "qua",
    "trên",
    "dưới",
    "tăng",
    "giảm",
    "bị",
    "có",
    "vừa",
    "vẫn",
    "đều",
    "rồi",
    "cũng",
    "chỉ",
    "nữa",
    "hơn",
    "nhất",
    "như",
    "nên",
    "nếu",
    "để",
    "gồm",
    "thuộc",
    "về",
    "ra",
    "vào",
    "lên",
    "xuống",
}
_LABEL_MAX = 4


def _label(toks: list[_Tok], j: int, language: str) -> str:
    stop = _LABEL_STOP_VI if language == "vi" else _LABEL_STOP_EN | _LABEL_STOP_VI
    k = j
    while k < len(toks) and toks[k].kind == "word" and toks[k].low in {"of", "the", "a", "an"}:
        k += 1
    out: list[str] = []
    while k < len(toks) and len(out) < _LABEL_MAX:
        x = toks[k]
        if x.kind != "word" or x.low in stop or x.low in EN_WORDS or x.low in _SKIP_AFTER:
            break
        out.append(x.text)
        k += 1
    while out and out[-1].lower() in STOPWORDS_EN | {"của", "các", "những"}:
        out.pop()
    return " ".join(out)


def key_figures(t: Transcript) -> tuple[KeyFigure, ...]:
    """Every number said in the transcript, with what it counts and when it was said.

    Digits ("1,240", "3.5", "12%", "1.2 million") and number words in English ("two thousand four
    hundred") and Vietnamese ("một nghìn không trăm bốn mươi") are recognised. ``said`` is the exact
    text of the transcript; ``value`` is parsed from it; ``label`` is the noun phrase that follows
    (up to four words); ``start``/``end`` come from the word timestamps that cover it.
    """
    language = (t.language or "").lower()
    out: list[KeyFigure] = []
    for seg in t.segments:
        text = seg.text.strip()
        if not text:
            continue
        spans = _word_spans(seg, text)
        for a, b in _split_sentences(text):
            sentence = text[a:b].strip()
            toks = _tokens(text[a:b])
            for fig in _find_figures(toks, language):
                first, last = toks[fig.i], toks[fig.j - 1]
                ca, cb = a + first.start, a + last.end
                said = text[ca:cb].rstrip()
                if _skip(toks, fig, said):
                    continue
                start, end = _times(seg, text, ca, cb, spans)
                value = fig.value
                out.append(
                    KeyFigure(
                        value=int(value) if float(value).is_integer() else value,
                        said=said,
                        label=_label(toks, fig.j, language),
                        start=start,
                        end=end,
                        segment_id=seg.id,
                        context=sentence,
                        unit=fig.unit,
                    )
                )
    return tuple(out)


def _skip(toks: list[_Tok], fig: _Figure, said: str) -> bool:
    after = toks[fig.j].low if fig.j < len(toks) else ""
    if after in _SKIP_AFTER or (after == "." and fig.j + 1 < len(toks) and toks[fig.j + 1].low in ("m",)):
        return True  # a clock time: "9 o'clock", "10 a.m."
    before = toks[fig.i - 1].low if fig.i > 0 else ""
    if re.fullmatch(r"(19|20)\d\d", said) and before in _YEAR_BEFORE:
        return True  # a year: "in 2021", "năm 2021"
    return False


def parse_number(said: str, language: str = "en") -> float | None:
    """The value of a figure as said (the inverse :func:`key_figures` applies), or None."""
    toks = _tokens(said)
    figs = _find_figures(toks, (language or "").lower())
    if len(figs) != 1 or figs[0].i != 0 or figs[0].j != len(toks):
        return None
    v = figs[0].value
    return int(v) if float(v).is_integer() else v
