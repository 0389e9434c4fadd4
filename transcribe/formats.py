"""Transcript ↔ text formats: SubRip (SRT), WebVTT, timed plain text, JSON; and parsers for the first three.

Caption cues are cut from the word timestamps so that each cue fits two lines of about 42 characters
and lasts at most about 7 seconds. The parsers return ``(start, end, text)`` triples, which is what a
corrected caption file brings back.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass

from transcribe.errors import TranscribeError
from transcribe.types import Segment, Transcript

LINE_CHARS = 42
MAX_LINES = 2
MAX_CUE_SECONDS = 7.0
MIN_CUE_SECONDS = 0.3

Cue = tuple[float, float, str]


# ---------------------------------------------------------------- timestamps


def format_timestamp(seconds: float, *, sep: str = ".", millis: bool = True) -> str:
    """``HH:MM:SS.mmm`` (``sep=","`` for SRT; ``millis=False`` for ``HH:MM:SS``)."""
    ms_total = max(0, int(round(float(seconds) * 1000)))
    if not millis:
        ms_total = (ms_total // 1000) * 1000
    h, rem = divmod(ms_total, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}" if millis else f"{h:02d}:{m:02d}:{s:02d}"


_TS = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$")


def parse_timestamp(text: str) -> float:
    """Parse ``HH:MM:SS.mmm``, ``HH:MM:SS,mmm``, ``MM:SS.mmm`` or ``HH:MM:SS`` into seconds."""
    m = _TS.match(text.strip())
    if not m:
        raise TranscribeError(
            f"not a timestamp: '{text.strip()}'", hint="timestamps look like 00:01:02.500 (or 00:01:02,500 in SRT)"
        )
    h, mi, s, frac = m.groups()
    ms = int((frac or "0").ljust(3, "0"))
    return int(h or 0) * 3600 + int(mi) * 60 + int(s) + ms / 1000.0


# ---------------------------------------------------------------- cues


@dataclass
class _Piece:
    start: float
    end: float
    text: str  # with its leading space, as Whisper writes words


def _pieces(seg: Segment) -> list[_Piece]:
    if seg.words:
        return [_Piece(w.start, w.end, w.text) for w in seg.words if w.text.strip()]
    # no word timestamps: spread the words over the segment in proportion to their length
    words = seg.text.split()
    if not words:
        return []
    total = sum(len(w) + 1 for w in words)
    span = max(seg.end - seg.start, 0.0)
    out, t = [], seg.start
    for w in words:
        d = span * (len(w) + 1) / total
        out.append(_Piece(t, t + d, " " + w))
        t += d
    return out


def wrap_lines(text: str, width: int = LINE_CHARS) -> list[str]:
    """Split cue text into at most two balanced lines when it is longer than ``width``."""
    text = " ".join(text.split())
    if len(text) <= width or " " not in text:
        return [text]
    mid = len(text) / 2
    spaces = [i for i, c in enumerate(text) if c == " "]
    best = min(spaces, key=lambda i: (max(i, len(text) - i - 1) > width, abs(i - mid)))
    return [text[:best], text[best + 1 :]]


def caption_cues(
    t: Transcript, *, line_chars: int = LINE_CHARS, max_lines: int = MAX_LINES, max_seconds: float = MAX_CUE_SECONDS
) -> list[Cue]:
    """Cut the transcript into caption cues (start, end, text) that respect the size limits."""
    max_chars = line_chars * max_lines
    cues: list[Cue] = []
    group: list[_Piece] = []  # the cue being built; flush() empties it at the end of each segment

    def flush() -> None:
        if group:
            text = "".join(p.text for p in group).strip()
            if text:
                cues.append((group[0].start, group[-1].end, text))
            group.clear()

    for seg in t.segments:
        pieces = _pieces(seg)
        for p in pieces:
            if group:
                text_len = len("".join(q.text for q in group + [p]).strip())
                too_long = text_len > max_chars
                too_slow = p.end - group[0].start > max_seconds
                cur = "".join(q.text for q in group).strip()
                sentence_end = cur[-1:] in ".?!…。" and len(cur) >= line_chars // 2
                if too_long or too_slow or sentence_end:
                    flush()
            group.append(p)
        flush()
    # keep cues ordered, non-overlapping and visible for a moment
    fixed: list[Cue] = []
    for start, end, text in cues:
        if fixed and start < fixed[-1][1]:
            start = fixed[-1][1]
        end = max(end, start + MIN_CUE_SECONDS)
        fixed.append((round(start, 3), round(end, 3), text))
    for i in range(len(fixed) - 1):  # a stretched cue must not run into the next one
        s, e, x = fixed[i]
        ns = fixed[i + 1][0]
        if e > ns:
            fixed[i] = (s, max(ns, s + 0.001), x)
    return fixed


# ---------------------------------------------------------------- writers


def to_srt(t: Transcript) -> str:
    blocks = []
    for i, (start, end, text) in enumerate(caption_cues(t), 1):
        blocks.append(
            f"{i}\n{format_timestamp(start, sep=',')} --> {format_timestamp(end, sep=',')}\n"
            + "\n".join(wrap_lines(text))
        )
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _speaker_at(t: Transcript, start: float) -> str | None:
    for s in t.segments:
        if s.start - 0.001 <= start < s.end + 0.001:
            return s.speaker
    return None


def to_vtt(t: Transcript) -> str:
    """WebVTT; a segment with a named speaker gets a voice span (``<v Name>``) on its cues."""
    out = ["WEBVTT", ""]
    named = any(s.speaker for s in t.segments)
    for start, end, text in caption_cues(t):
        out.append(f"{format_timestamp(start)} --> {format_timestamp(end)}")
        lines = [_vtt_escape(line) for line in wrap_lines(text)]
        who = _speaker_at(t, start) if named else None
        if who:
            lines[0] = f"<v {_vtt_escape(who)}>" + lines[0]
        out.extend(lines)
        out.append("")
    return "\n".join(out)


def to_txt(t: Transcript) -> str:
    """One paragraph per segment, each prefixed with ``[HH:MM:SS]``, and ``Name:`` where the speaker changes."""
    paras, prev = [], None
    for s in t.segments:
        if not s.text.strip():
            continue
        who = f"{s.speaker}: " if s.speaker and s.speaker != prev else ""
        prev = s.speaker or prev
        paras.append(f"[{format_timestamp(s.start, millis=False)}] {who}{s.text.strip()}")
    return "\n\n".join(paras) + ("\n" if paras else "")


def to_json(t: Transcript) -> str:
    return json.dumps(t.to_dict(), ensure_ascii=False, indent=2)


def from_json(s: str) -> Transcript:
    try:
        return Transcript.from_dict(json.loads(s))
    except (ValueError, KeyError, TypeError) as e:
        raise TranscribeError(
            f"not a transcript JSON document: {e}", hint="pass the transcript .json written by briefing, unedited"
        ) from e


# ---------------------------------------------------------------- parsers

_ARROW = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)")
_TAG = re.compile(r"<[^>]*>")  # WebVTT: text "<" is always escaped, so any tag is markup
_SRT_TAG = re.compile(r"</?(?:i|b|u|font)(?:\s[^>]*)?>|\{\\[^}]*\}", re.I)  # <i>, <font …>, {\an8}


def _blocks(text: str) -> list[list[str]]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return [b.split("\n") for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]


def parse_srt(text: str) -> list[Cue]:
    cues: list[Cue] = []
    for lines in _blocks(text):
        idx = next((i for i, ln in enumerate(lines) if "-->" in ln), None)
        if idx is None:
            continue
        m = _ARROW.match(lines[idx])
        if not m:
            raise TranscribeError(
                f"bad SRT timing line: '{lines[idx].strip()}'",
                hint="timing lines look like 00:00:01,000 --> 00:00:03,500",
            )
        body = " ".join(_SRT_TAG.sub("", ln).strip() for ln in lines[idx + 1 :] if ln.strip())
        cues.append((parse_timestamp(m.group(1)), parse_timestamp(m.group(2)), " ".join(body.split())))
    return cues


def parse_vtt(text: str) -> list[Cue]:
    blocks = _blocks(text)
    if not blocks or not blocks[0][0].strip().startswith("WEBVTT"):
        raise TranscribeError("not a WebVTT file (no WEBVTT header)", hint="the first line must be WEBVTT")
    cues: list[Cue] = []
    for lines in blocks:
        first = lines[0].strip()
        if first.startswith(("NOTE", "STYLE", "REGION")) or (
            first.startswith("WEBVTT") and len(cues) == 0 and not any("-->" in ln for ln in lines)
        ):
            continue
        idx = next((i for i, ln in enumerate(lines) if "-->" in ln), None)
        if idx is None:
            continue
        m = _ARROW.match(lines[idx])
        if not m:
            raise TranscribeError(
                f"bad WebVTT timing line: '{lines[idx].strip()}'",
                hint="timing lines look like 00:00:01.000 --> 00:00:03.500",
            )
        body = " ".join(html.unescape(_TAG.sub("", ln)).strip() for ln in lines[idx + 1 :] if ln.strip())
        cues.append((parse_timestamp(m.group(1)), parse_timestamp(m.group(2)), " ".join(body.split())))
    return cues


_TXT_PARA = re.compile(r"^\[([0-9:.,]+)\]\s*(.*)$", re.S)


def parse_timed_txt(text: str, *, duration: float | None = None) -> list[Cue]:
    """Parse ``[HH:MM:SS] text`` paragraphs. A paragraph ends where the next one starts; the last one at
    ``duration`` if given (else at its own start). Lines without a stamp continue the paragraph above."""
    starts: list[tuple[float, str]] = []
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    for para in re.split(r"\n\s*\n", text.strip()):
        para = para.strip()
        if not para:
            continue
        m = _TXT_PARA.match(para)
        if m:
            starts.append((parse_timestamp(m.group(1)), " ".join(m.group(2).split())))
        elif starts:
            s, prev = starts[-1]
            starts[-1] = (s, (prev + " " + " ".join(para.split())).strip())
        else:
            raise TranscribeError(
                "timed text must start with a [HH:MM:SS] stamp", hint="keep the [HH:MM:SS] prefix of each paragraph"
            )
    cues: list[Cue] = []
    for i, (s, body) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else (max(duration, s) if duration is not None else s)
        cues.append((s, end, body))
    return cues
