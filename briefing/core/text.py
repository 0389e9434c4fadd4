"""Text from people: checked where it enters, made harmless where it is shown.

Titles, speaker names, notes, glossary entries, schedule titles and the names in invitations are typed by
people (or come from Jitsi's metadata). :func:`check` refuses control characters (C0, DEL, C1) and the
bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which break XML feeds and can
rewrite what a terminal shows, and bounds the length; :func:`strip` removes them instead, for text from
outside that cannot be refused. :func:`for_terminal` shows any that are already stored as visible
``\\uXXXX`` escapes, so the terminal never receives them raw.
"""

from __future__ import annotations

import re
import unicodedata

from briefing.core.errors import InputError

# Bidirectional embeddings/overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI).
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI}]")
_UNSAFE_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI}]")  # tab and newline allowed
_TERMINAL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI}]")  # what a terminal must not receive raw

TITLE_MAX = 200
NAME_MAX = 120
NOTE_MAX = 2000
TERM_MAX = 200

_NAMES = {
    0x1B: "ESC",
    0x07: "BEL",
    0x0D: "CR",
    0x0A: "newline",
    0x09: "tab",
    0x08: "BS",
    0x00: "NUL",
    0x7F: "DEL",
    0x202E: "RIGHT-TO-LEFT OVERRIDE",
    0x202D: "LEFT-TO-RIGHT OVERRIDE",
}


def _describe(ch: str) -> str:
    code = ord(ch)
    name = _NAMES.get(code) or unicodedata.name(ch, "") or "control character"
    return f"U+{code:04X} {name}"


def check(value: str | None, what: str, *, max_len: int = TITLE_MAX, multiline: bool = False) -> str:
    """``value`` NFC-normalised and trimmed; InputError (one line) if it holds a control character or a
    bidirectional override, or is longer than ``max_len`` characters."""
    text = unicodedata.normalize("NFC", str(value or "")).strip()
    m = (_UNSAFE_MULTILINE if multiline else _UNSAFE).search(text)
    if m:
        raise InputError(
            f"{what} contains {_describe(m.group())} at character {m.start() + 1}",
            hint="remove control characters and direction overrides; use plain text",
        )
    if len(text) > max_len:
        raise InputError(f"{what} is {len(text):,} characters long (at most {max_len:,})", hint="shorten it")
    return text


def strip(value: str | None, *, max_len: int = NAME_MAX) -> str:
    """``value`` without control characters and bidirectional overrides (tabs and newlines become spaces),
    cut to ``max_len`` characters: for text from outside that cannot be refused."""
    text = unicodedata.normalize("NFC", str(value or ""))
    text = re.sub(r"[\t\n\r]+", " ", text)
    return _UNSAFE.sub("", text).strip()[:max_len]


def is_clean(value: str, *, multiline: bool = False) -> bool:
    return not (_UNSAFE_MULTILINE if multiline else _UNSAFE).search(value)


def for_terminal(text: str) -> str:
    """``text`` with every character a terminal would act on (except tab and newline) written as a visible
    ``\\uXXXX`` escape. Inside JSON output the escape reads back as the same character."""
    return _TERMINAL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# Combining marks (Combining Diacritical Marks and their Extended, Supplement, for Symbols, Half Marks
# blocks): removed by :func:`fold`. The site search's JavaScript port is built from these same ranges.
MARK_RANGES = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F))
_MARKS = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in MARK_RANGES) + "]")


def fold(text: str) -> str:
    """The project's one diacritics folder: "Đà Nẵng TIÊM CHỦNG" -> "da nang tiem chung" (Unicode NFD,
    combining marks removed, đ → d, NFC, lower case). Search folds with it, ids build slugs on it, and the
    site search page's JavaScript ``fold`` is the same steps (tests/briefing/test_fold.py runs both)."""
    text = unicodedata.normalize("NFD", text)
    text = _MARKS.sub("", text).replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFC", text).lower()


def js_mark_class() -> str:
    """:data:`MARK_RANGES` as the inside of a JavaScript regular-expression character class."""
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in MARK_RANGES)
