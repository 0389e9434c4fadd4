"""Find personal data said aloud (phone numbers, national ID numbers, patient numbers, emails) in a
Transcript, and return it redacted together with the time spans to bleep in the audio and video.

Patterns are regular expressions by kind, grouped per country (:data:`COUNTRY_PATTERNS`); a deployment
adds or replaces them. They are matched on each segment's text and, for numbers said as words
("không chín một hai …"), on the text with spoken digits turned into digits. A match becomes
``[kind]`` in the text (e.g. ``[phone]``) and a span from the first to the last word it covers
(the whole segment when the transcript has no word timings), padded a little on both sides.

Patterns expect a well-formed number; a recognizer does not always give one ("zero nine one two, three
four five, six seven eight" came out as "0-1-2-345678", a digit lost). So digit runs are also found as
the recognizer writes them (:func:`number_runs`): digits and spoken digits joined across spaces, hyphens,
dots and commas. A run of 7 digits or more where the words before it announce a number ("call",
"hotline", "số điện thoại", "gọi" ...) is a ``phone``; any run of 9 or more is personal data anyway
(``phone`` when it starts with 0 or +, else ``id_number``). Figures (``1,240``, ``12.500.000``), years
and dates are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from transcribe.types import Segment, Summary, Transcript, Word

_SEP = r"[\s.\-]?"
COMMON_PATTERNS: dict[str, str] = {
    "email": r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
}
COUNTRY_PATTERNS: dict[str, dict[str, str]] = {
    # Vietnam: mobile/landline numbers (0 or +84, then 9-10 digits), the 12-digit citizen ID (CCCD),
    # the 9-digit old ID card, and the Ministry of Health's patient numbers ("BN1040", "bệnh nhân số 1040").
    "vn": {
        "phone": rf"(?<![\d])(?:\+{_SEP}84|0){_SEP}(?:\d{_SEP}){{8,9}}\d(?![\d])",
        "citizen_id": rf"(?<![\d])(?:\d{_SEP}){{11}}\d(?![\d])",
        "patient_id": r"\b(?:BN|[Bb]ệnh nhân số|[Bb]ệnh nhân mã)\s?-?\s?\d{1,6}\b",
    },
    # generic North American style, for English-speaking deployments
    "us": {
        "phone": r"(?<![\d])(?:\+?1[\s.\-]?)?\(?\d{3}\)?[\s.\-]?\d{3}[\s.\-]?\d{4}(?![\d])",
        "national_id": r"(?<![\d])\d{3}-\d{2}-\d{4}(?![\d])",
        "patient_id": r"\b(?:patient (?:number|no\.?|#))\s?\d{1,8}\b",
    },
}

_DIGIT_WORDS = {
    "không": "0",
    "một": "1",
    "hai": "2",
    "ba": "3",
    "bốn": "4",
    "tư": "4",
    "năm": "5",
    "lăm": "5",
    "sáu": "6",
    "bảy": "7",
    "bẩy": "7",
    "tám": "8",
    "chín": "9",
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_NUMERIC_TOKEN = re.compile(r"[+(]?\d[\d.,\-\u2013)]*[,.;:]?")

# Digit runs as a recognizer writes them: digits joined by nothing, a space, or a hyphen, dot or comma
# (with spaces around it). Not preceded by a letter or digit (BN1040 is the patient pattern's).
_RUN = re.compile(r"(?<![\w])\+?\d(?:(?:[ \t]*[.,\-\u2013][ \t]*|[ \t]+)?\d)*")
# Words that announce a number to call, before it (English and Vietnamese); "number of" counts things.
_ANNOUNCE = re.compile(
    r"(?:\b(?:call(?:s|ing)?|ring|phone|telephone|mobile|cell|hotline|helpline|dial(?:l?ing)?|fax|text|"
    r"whats\s?app|zalo|contact|reach|ext(?:ension)?|(?P<weak>numbers?(?!\s+of\b)))\b"
    r"|gọi|điện thoại|đường dây|liên hệ|liên lạc|số máy|nhắn tin|di động|tổng đài)",
    re.IGNORECASE,
)
_ANNOUNCE_AFTER = re.compile(
    r"\W{0,3}(?:is (?:my|our|the|his|her) (?:phone |mobile |contact )?number|là số)", re.IGNORECASE
)
_FIGURE = re.compile(r"[1-9]\d{0,2}(?:([.,])\d{3})(?:\1\d{3})*(?:[.,]\d{1,2})?|\d+[.,]\d{1,2}")  # 1,234,567; 3,5
_DATE = re.compile(r"(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
RUN_MIN_ANNOUNCED = 7  # digits of a run after "call ...": a 10-digit number with up to 3 lost
RUN_MIN = 9  # digits of a run that is personal data wherever it is said (phone, ID card, account)


@dataclass(frozen=True)
class Patterns:
    patterns: tuple[tuple[str, str], ...]  # (kind, regex)
    pad: float = 0.15  # seconds added to each side of a bleep
    runs: bool = True  # also the digit runs a recognizer writes (:func:`number_runs`)

    def __post_init__(self) -> None:
        for kind, rx in self.patterns:
            try:
                re.compile(rx)
            except re.error as e:
                raise ValueError(f"bad redaction pattern {kind}: {e}") from None

    def compiled(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(k, re.compile(rx)) for k, rx in self.patterns]

    def key(self) -> str:
        return repr((self.patterns, self.pad, self.runs, "v2"))


def patterns_for(
    country: str | None = None, *, extra: dict[str, str] | None = None, disable: tuple[str, ...] = (), pad: float = 0.15
) -> Patterns:
    """The patterns of a country (``vn``, ``us``; ``None``: only the common ones), plus ``extra``
    (kind → regex, replacing a kind of the same name), minus the kinds in ``disable`` (``number_runs``
    turns off the digit runs of :func:`number_runs`)."""
    d = dict(COMMON_PATTERNS)
    if country:
        c = country.lower()
        if c not in COUNTRY_PATTERNS:
            raise ValueError(
                f"no redaction patterns for country {country!r}: use one of "
                f"{', '.join(sorted(COUNTRY_PATTERNS))}, or give your own patterns"
            )
        d.update(COUNTRY_PATTERNS[c])
    d.update(extra or {})
    return Patterns(tuple((k, v) for k, v in d.items() if k not in disable), pad=pad, runs="number_runs" not in disable)


@dataclass(frozen=True)
class Hit:
    kind: str
    segment_id: int
    start: float  # the span to bleep, seconds (padded)
    end: float
    text: str  # what was said (kept only in the unredacted record)

    def to_dict(self, *, with_text: bool = False) -> dict[str, Any]:
        d = {"kind": self.kind, "segment_id": self.segment_id, "start": self.start, "end": self.end}
        if with_text:
            d["text"] = self.text
        return d


@dataclass(frozen=True)
class Redaction:
    transcript: Transcript
    hits: tuple[Hit, ...]

    @property
    def spans(self) -> list[tuple[float, float]]:
        return merge_spans([(h.start, h.end) for h in self.hits])


def merge_spans(spans: list[tuple[float, float]], gap: float = 0.05) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + gap:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return [(round(a, 3), round(b, 3)) for a, b in out]


def _spoken_digits(text: str) -> tuple[str, list[int]]:
    """The text with spoken digits written as digits, and for each character of the new text the index of
    the character of ``text`` it comes from. A run of 3+ spoken digits ("không chín một"), or spoken
    digits mixed with written ones ("zero nine 1 2 345 678", 7+ digits in all), becomes one block of
    digits."""
    out: list[str] = []
    src: list[int] = []
    tokens = list(re.finditer(r"\S+", text))

    def word(k: int) -> str | None:
        return _DIGIT_WORDS.get(tokens[k].group().lower().strip(",.;:"))

    def numeric(k: int) -> bool:
        return _NUMERIC_TOKEN.fullmatch(tokens[k].group()) is not None

    i = pos = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and (word(j) is not None or numeric(j)):
            j += 1
        spoken = sum(1 for k in range(i, j) if word(k) is not None)
        numbers = [re.sub(r"\D", "", tokens[k].group()) for k in range(i, j) if word(k) is None]
        written = sum(len(x) for x in numbers)
        mixed = (
            spoken >= 2
            and written
            and spoken + written >= RUN_MIN_ANNOUNCED
            and not all(_YEAR.fullmatch(x) for x in numbers)
        )  # not "hai năm 2021, 2022" (two years)
        if spoken >= 3 or mixed:
            start = tokens[i].start()
            for k in range(pos, start):
                out.append(text[k])
                src.append(k)
            for k in range(i, j):
                d = word(k)
                if d is not None:
                    out.append(d)
                    src.append(tokens[k].start())
                else:
                    for off, ch in enumerate(tokens[k].group()):
                        if ch.isdigit():
                            out.append(ch)
                            src.append(tokens[k].start() + off)
            # the last digit maps to the end of the last word, so spans cover it
            src[-1] = tokens[j - 1].end() - 1
            pos = tokens[j - 1].end()
            i = j
        else:
            i = max(j, i + 1)
    for k in range(pos, len(text)):
        out.append(text[k])
        src.append(k)
    return "".join(out), src


def number_runs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of the digit runs of ``text`` that are personal data: 7+ digits announced by
    the words before them ("call", "hotline", "số điện thoại" ...) or after ("... is my number"), or 9+
    digits anywhere; figures (1,240; 12.500.000), dates and lists of years are not."""
    out = []
    for m in _RUN.finditer(text):
        raw = m.group()
        n = sum(ch.isdigit() for ch in raw)
        if n < RUN_MIN_ANNOUNCED or _DATE.fullmatch(raw) or _FIGURE.fullmatch(raw):
            continue
        groups = re.split(r"[^\d]+", raw.lstrip("+"))
        if len(groups) > 1 and all(_YEAR.fullmatch(g) for g in groups):
            continue  # 2020, 2021, 2022
        before = [a for a in _ANNOUNCE.finditer(text[max(0, m.start() - 60) : m.start()])]
        after = _ANNOUNCE_AFTER.match(text, m.end())
        announced = bool(before or after)
        listed = bool(re.search(r",\s", raw)) and not raw.startswith(("0", "+"))
        if listed and not (after or any(a.group("weak") is None for a in before)):
            continue  # a list of figures ("numbers: 1240, 1500, 1800"): only after "call", "hotline" ...
        if not announced and n < RUN_MIN:
            continue
        kind = "phone" if announced or raw.startswith(("0", "+")) else "id_number"
        out.append((m.start(), m.end(), kind))
    return out


def _matches(text: str, compiled: list[tuple[str, re.Pattern[str]]], runs: bool = False) -> list[tuple[int, int, str]]:
    """(start, end, kind) character ranges of ``text`` to redact, non-overlapping, in order; with ``runs``
    also the digit runs of :func:`number_runs`."""
    found: list[tuple[int, int, str]] = []
    shadow, src = _spoken_digits(text)
    for variant, mapping in ((text, None), (shadow, src)):
        if mapping is not None and variant == text:
            continue
        for kind, rx in compiled:
            for m in rx.finditer(variant):
                if m.end() <= m.start():
                    continue
                a, b = m.start(), m.end()
                if mapping is not None:
                    a, b = mapping[a], mapping[b - 1] + 1
                found.append((a, b, kind))
    if runs:  # after the patterns: where both find the same number, the pattern names its kind
        for a, b, kind in number_runs(shadow):
            found.append((src[a], src[b - 1] + 1, kind))
    found.sort(key=lambda x: (x[0], -(x[1] - x[0])))
    out: list[tuple[int, int, str]] = []
    for a, b, k in found:
        if out and a < out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b, out[-1][2])
            continue
        out.append((a, b, k))
    return out


def redact_text(text: str, patterns: Patterns) -> tuple[str, list[str]]:
    """The text with each match replaced by ``[kind]``; and the kinds found."""
    ms = _matches(text, patterns.compiled(), patterns.runs)
    for a, b, kind in reversed(ms):
        text = text[:a] + f"[{kind}]" + text[b:]
    return text, [k for _, _, k in ms]


def _redact_segment(
    seg: Segment, compiled: list[tuple[str, re.Pattern[str]]], pad: float, duration: float, runs: bool = False
) -> tuple[Segment, list[Hit]]:
    text = "".join(w.text for w in seg.words) if seg.words else seg.text
    ms = _matches(text, compiled, runs)
    if not ms:
        return seg, []
    hits: list[Hit] = []
    if seg.words:
        offsets = []
        pos = 0
        for w in seg.words:
            offsets.append((pos, pos + len(w.text)))
            pos += len(w.text)
        words = list(seg.words)
        drop: set[int] = set()
        for a, b, kind in ms:
            idx = [i for i, (x, y) in enumerate(offsets) if x < b and y > a]
            if not idx:
                continue
            i0, i1 = idx[0], idx[-1]
            w0, w1 = seg.words[i0], seg.words[i1]
            lead_chars = text[offsets[i0][0] : a]
            trail_chars = text[b : offsets[i1][1]]
            words[i0] = Word(
                start=w0.start,
                end=w1.end,
                text=f"{lead_chars}[{kind}]{trail_chars}",
                probability=min(w.probability for w in seg.words[i0 : i1 + 1]),
            )
            drop.update(range(i0 + 1, i1 + 1))
            hits.append(
                Hit(
                    kind,
                    seg.id,
                    round(max(0.0, w0.start - pad), 3),
                    round(min(duration or w1.end + pad, w1.end + pad), 3),
                    text[a:b].strip(),
                )
            )
        new_words = tuple(w for i, w in enumerate(words) if i not in drop)
        seg = replace(seg, words=new_words, text="".join(w.text for w in new_words))
    else:
        new = text
        for a, b, kind in reversed(ms):
            new = new[:a] + f"[{kind}]" + new[b:]
            hits.append(
                Hit(kind, seg.id, round(max(0.0, seg.start - pad), 3), round(seg.end + pad, 3), text[a:b].strip())
            )
        hits.reverse()
        seg = replace(seg, text=new)
    if "redacted" not in seg.flags:
        seg = replace(seg, flags=seg.flags + ("redacted",))
    return seg, hits


def redact(t: Transcript, patterns: Patterns) -> Redaction:
    """The transcript with personal data replaced by ``[kind]``, and what was found where."""
    compiled = patterns.compiled()
    segs: list[Segment] = []
    hits: list[Hit] = []
    for seg in t.segments:
        s, h = _redact_segment(seg, compiled, patterns.pad, t.duration, patterns.runs)
        segs.append(s)
        hits += h
    return Redaction(replace(t, segments=tuple(segs)), tuple(hits))


def redact_summary(s: Summary, patterns: Patterns, spans: Sequence[tuple[float, float]] = ()) -> Summary:
    """The summary with the same patterns applied. A key figure that is personal data, or part of it (the
    "0912" of a phone number), is dropped: its text matches, it lies inside a match of its sentence, or
    its time falls in one of the redacted ``spans``."""
    compiled = patterns.compiled()
    sentences = tuple(replace(x, text=redact_text(x.text, patterns)[0]) for x in s.sentences)
    figures = []
    for k in s.key_figures:
        if redact_text(k.said, patterns)[1]:
            continue
        at = k.context.find(k.said)
        if at >= 0 and any(a < at + len(k.said) and b > at for a, b, _ in _matches(k.context, compiled, patterns.runs)):
            continue
        if any(k.start < b and k.end > a for a, b in spans):
            continue
        figures.append(replace(k, context=redact_text(k.context, patterns)[0], label=redact_text(k.label, patterns)[0]))
    return replace(s, sentences=sentences, key_figures=tuple(figures))
