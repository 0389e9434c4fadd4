"""A glossary of the words a briefing uses: officials' names, ministries, places, medical terms.

It helps recognition twice: before, as Whisper's initial prompt and hotwords (:func:`prompt`,
:func:`hotwords`), and after, by putting a glossary term in place of a near miss of it
(:func:`correct`: "Bộ Y tê" → "Bộ Y tế", "Nguyen Thanh Long" → "Nguyễn Thanh Long"). A correction
needs a close match (character similarity on folded text, with and without diacritics) over the
same number of words, so ordinary words are left alone.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

from transcribe.types import Segment, Transcript, Word

_EDGE = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)


@dataclass(frozen=True)
class Glossary:
    terms: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)  # a known mishearing → the term
    threshold: float = 0.84  # similarity a near miss needs (0..1)
    min_chars: int = 5  # shorter terms are only fed to the model, never used to correct

    def __post_init__(self) -> None:
        terms = tuple(dict.fromkeys(" ".join(t.split()) for t in self.terms if t and t.strip()))
        object.__setattr__(self, "terms", terms)

    def __bool__(self) -> bool:
        return bool(self.terms or self.aliases)

    def key(self) -> str:
        return repr((self.terms, sorted(self.aliases.items()), self.threshold, self.min_chars, "v1"))


@dataclass(frozen=True)
class Fix:
    segment_id: int
    start: float
    end: float
    heard: str
    term: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment_id": self.segment_id,
            "start": self.start,
            "end": self.end,
            "heard": self.heard,
            "term": self.term,
            "score": round(self.score, 3),
        }


def prompt(glossary: Glossary, *, max_chars: int = 600) -> str | None:
    """An initial prompt that names the terms (Whisper is primed by the vocabulary of its prompt)."""
    if not glossary.terms:
        return None
    out = ""
    for t in glossary.terms:
        nxt = (out + ", " if out else "") + t
        if len(nxt) > max_chars:
            break
        out = nxt
    return out + "."


def hotwords(glossary: Glossary, *, max_chars: int = 400) -> str | None:
    p = prompt(glossary, max_chars=max_chars)
    return p[:-1] if p else None


def fold(text: str) -> str:
    return " ".join(
        "".join(ch for ch in unicodedata.normalize("NFC", text).lower() if ch.isalnum() or ch.isspace()).split()
    )


def strip_marks(text: str) -> str:
    """Without diacritics ("Bộ Y tế" → "bo y te"); đ → d."""
    d = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in d if unicodedata.category(ch) != "Mn")


def similarity(a: str, b: str) -> float:
    """Similarity of two phrases: the mean of the character ratio with and without diacritics."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return 0.0
    with_marks = difflib.SequenceMatcher(None, fa, fb).ratio()
    without = difflib.SequenceMatcher(None, strip_marks(fa), strip_marks(fb)).ratio()
    return (with_marks + without) / 2


def _tokens(seg: Segment) -> list[str]:
    return [w.text for w in seg.words] if seg.words else [" " + t for t in seg.text.split()]


def _replace_window(tok: list[str], i: int, n: int, term: str) -> list[str]:
    """Put ``term`` in place of tokens i..i+n, keeping the leading space and punctuation around them."""
    first = _EDGE.match(tok[i].lstrip())
    last = _EDGE.match(tok[i + n - 1])
    lead = tok[i][: len(tok[i]) - len(tok[i].lstrip())] + (first.group(1) if first else "")
    trail = last.group(3) if last else ""
    parts = term.split()
    if len(parts) == n:
        out = [(lead if k == 0 else " ") + p + (trail if k == n - 1 else "") for k, p in enumerate(parts)]
    else:
        out = [lead + term + trail] + [""] * (n - 1)
    return out


def correct(
    t: Transcript, glossary: Glossary, *, written_form: bool | None = None
) -> tuple[Transcript, tuple[Fix, ...]]:
    """Put glossary terms in place of their near misses; segments changed get the flag ``glossary``.
    ``written_form``: also put a term heard exactly but all in lower case in its written form ("bộ y tế"
    → "Bộ Y tế"); None: where the transcript's casing and punctuation were restored by rule (its
    options say ``punctuation: rule``, as transcribe.vietasr writes), not written by the model."""
    if not glossary:
        return t, ()
    written = t.options.get("punctuation") == "rule" if written_form is None else written_form
    terms = [
        (term, len(term.split()), fold(term))
        for term in glossary.terms
        if len(fold(term).replace(" ", "")) >= glossary.min_chars
    ]
    aliases = {fold(k): v for k, v in glossary.aliases.items() if fold(k)}
    fixes: list[Fix] = []
    segs = []
    for seg in t.segments:
        tok = _tokens(seg)
        norm = [fold(x) for x in tok]
        changed = False
        i = 0
        while i < len(tok):
            best: tuple[float, int, str] | None = None
            for phrase, term in aliases.items():
                n = len(phrase.split())
                if " ".join(norm[i : i + n]) == phrase:
                    best = (1.0, n, term)
                    break
            if best is None:
                for term, n, fterm in terms:
                    if i + n > len(tok) or not all(norm[i : i + n]):
                        continue
                    heard = " ".join(norm[i : i + n])
                    if heard == fterm:
                        # already right: do not "correct" it into a neighbour; but from an engine that
                        # writes no capitals (viet-asr), give a term heard in lower case its written form
                        said = "".join(tok[i : i + n])
                        best = (1.0, n, term) if written and said == said.lower() != term else None
                        break
                    score = similarity(heard, fterm)
                    if score >= glossary.threshold and (best is None or score > best[0]):
                        best = (score, n, term)
            if best is None:
                i += 1
                continue
            score, n, term = best
            heard = "".join(tok[i : i + n]).strip()
            if fold(heard) == fold(term) and heard.strip(" .,") == term:
                i += n
                continue
            new = _replace_window(tok, i, n, term)
            words = seg.words
            w0 = seg.words[i] if seg.words else None
            w1 = seg.words[i + n - 1] if seg.words else None
            fixes.append(Fix(seg.id, w0.start if w0 else seg.start, w1.end if w1 else seg.end, heard, term, score))
            tok[i : i + n] = new
            norm[i : i + n] = [fold(x) for x in new]
            if seg.words:
                ws = list(words)
                for k in range(n):
                    ws[i + k] = replace(ws[i + k], text=new[k])
                seg = replace(seg, words=tuple(ws))
            changed = True
            i += n
        if changed:
            if seg.words:
                kept = tuple(w for w in seg.words if w.text)
                # a merged term keeps the time of all the words it replaced
                merged: list[Word] = []
                for w in seg.words:
                    if w.text:
                        merged.append(w)
                    elif merged:
                        merged[-1] = replace(merged[-1], end=w.end)
                seg = replace(
                    seg, words=tuple(merged) if len(merged) == len(kept) else kept, text="".join(w.text for w in merged)
                )
            else:
                seg = replace(seg, text="".join(x for x in tok if x))
            if "glossary" not in seg.flags:
                seg = replace(seg, flags=seg.flags + ("glossary",))
        segs.append(seg)
    return replace(t, segments=tuple(segs)), tuple(fixes)


def from_config(node: Any) -> Glossary:
    """A glossary from a parsed TOML table: ``terms = [...]``, ``[glossary.aliases]``, ``threshold``;
    or a plain list of terms."""
    if node is None:
        return Glossary()
    if isinstance(node, (list, tuple)):
        return Glossary(terms=tuple(str(x) for x in node))
    if not isinstance(node, dict):
        raise ValueError("the glossary must be a list of terms or a table with terms = [...]")
    terms: list[str] = []
    for _k, v in node.items():  # terms = [...], and any other list (names = [...], places = [...])
        if isinstance(v, list):
            terms += [str(x) for x in v]
    aliases = {str(k): str(v) for k, v in (node.get("aliases") or {}).items()}
    kw: dict[str, Any] = {}
    if "threshold" in node:
        kw["threshold"] = float(node["threshold"])
    return Glossary(terms=tuple(terms), aliases=aliases, **kw)
