"""Review of a transcript by the press officer, and speaker turns assigned by the chair.

``briefing review ID`` lists what deserves a look before the transcript is quoted as the official word:
segments the recogniser was unsure of (with the words it was least sure of), passages the hallucination
guards flagged or cut, glossary corrections and personal data found. Each line has the time, the text and
the confidence, so a correction (``briefing correct ID``) goes where it matters.

``briefing review ID --speaker NAME --from 00:01:10 --to 00:03:00`` names who spoke when. Turns are
kept in the store (``speaker_turns``); a later turn wins where two overlap. The names come from the
roster: the briefing's speakers, including the participants of its Jibri recording (metadata.json).
The published transcript and page label each segment with the speaker of the turn it overlaps most.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from briefing.core import config, text
from briefing.core.config import Setting, Settings
from briefing.core.errors import InputError
from briefing.core.results import Result
from briefing.core.store import Store, now_iso
from briefing.processing import corrections

config.register(
    Setting("quality.low_confidence", 0.5, "Words and segments below this confidence are listed for review.", float),
)


class ReviewSettings(config.Area, area="quality"):
    """The review's part of the quality settings (the recognition's part: speech.QualitySettings)."""

    low_confidence: float


@dataclass(frozen=True)
class Turn(Result):
    """A speaker's turn: who spoke from ``start`` to ``end`` (seconds)."""

    start: float
    end: float
    name: str


@dataclass(frozen=True)
class LowWord(Result):
    text: str
    start: float
    probability: float


@dataclass(frozen=True)
class ReviewItem(Result):
    """A segment worth a look: its time, text, confidence, flags, speaker and least certain words."""

    segment_id: int
    start: float
    end: float
    time: str
    text: str
    confidence: float
    flags: list[str]
    speaker: str | None
    low_words: list[LowWord]


@dataclass(frozen=True)
class Review(Result):
    """What to check in a transcript (``briefing review``), with the guards', glossary's and redaction's
    records of the stages (as they stored them) and the speakers' turns."""

    id: str
    language: str
    segments: int
    to_review: int
    confidence: float
    threshold: float
    items: list[ReviewItem]
    guards: list[dict[str, Any]]
    glossary: list[dict[str, Any]]
    redactions: list[dict[str, Any]]
    speakers: list[Turn]
    roster: list[str]


# -- speakers --------------------------------------------------------------------------------------------
def roster(store: Store, bid: str) -> list[str]:
    """Who may speak: the briefing's speakers and the named participants of its recordings."""
    b = store.briefing(bid)
    names: list[str] = [s for s in b.speakers if s]
    for (raw,) in store.query("SELECT meta FROM recordings WHERE briefing_id = ? ORDER BY id", (bid,)):
        for p in json.loads(raw or "{}").get("participants") or ():
            user = p.get("user") if isinstance(p, dict) else None
            name = (user or {}).get("name") if isinstance(user, dict) else None
            name = text.strip(str(name)) if name else None  # from Jitsi: cleaned, it cannot be refused
            if name and name not in names:
                names.append(name)
    for t in turns(store, bid):
        if t.name not in names:
            names.append(t.name)
    return names


def turns(store: Store, bid: str) -> list[Turn]:
    return [
        Turn(r["start"], r["end"], r["name"])
        for r in store.query("SELECT start, end, name FROM speaker_turns WHERE briefing_id = ? ORDER BY start", (bid,))
    ]


def parse_time(value: str | float | int) -> float:
    """Seconds from ``HH:MM:SS(.mmm)``, ``MM:SS`` or plain seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    s = str(value).strip()
    try:
        parts = [float(p) for p in s.split(":")]
    except ValueError:
        raise InputError(f"bad time {value!r}", hint="use HH:MM:SS, MM:SS or seconds, e.g. 00:01:10") from None
    if not parts or len(parts) > 3 or any(p < 0 for p in parts):
        raise InputError(f"bad time {value!r}", hint="use HH:MM:SS, MM:SS or seconds, e.g. 00:01:10")
    total = 0.0
    for p in parts:
        total = total * 60 + p
    return total


def assign_speaker(
    store: Store, bid: str, name: str, start: float, end: float, *, allow_new: bool = False
) -> list[Turn]:
    """Name the speaker of [start, end); earlier turns overlapping it are cut back. Returns all turns."""

    name = " ".join(text.check(name, "the speaker name", max_len=text.NAME_MAX).split())
    if not name:
        raise InputError("no speaker name given", hint='pass --speaker "Name"')
    if end <= start:
        raise InputError(f"the turn ends ({end:g} s) before it starts ({start:g} s)", hint="check --from and --to")
    known = roster(store, bid)
    if not allow_new and known and name not in known:
        raise InputError(
            f"{name!r} is not on the roster of {bid} ({', '.join(known)})",
            hint="use a name from the roster, or add --new-speaker to name someone else",
        )
    old = turns(store, bid)
    keep: list[Turn] = []
    for t in old:
        if t.end <= start or t.start >= end:
            keep.append(t)
            continue
        if t.start < start:
            keep.append(Turn(t.start, start, t.name))
        if t.end > end:
            keep.append(Turn(end, t.end, t.name))
    keep.append(Turn(start, end, name))
    keep.sort(key=lambda t: t.start)
    _save(store, bid, keep)
    return turns(store, bid)


def clear_speakers(store: Store, bid: str) -> None:
    store.briefing(bid)
    _save(store, bid, [])


def _save(store: Store, bid: str, new: list[Turn]) -> None:
    ts = now_iso()
    with store.tx() as db:
        db.execute("DELETE FROM speaker_turns WHERE briefing_id = ?", (bid,))
        for t in new:
            db.execute(
                "INSERT INTO speaker_turns (briefing_id, start, end, name, created_at) VALUES (?, ?, ?, ?, ?)",
                (bid, round(t.start, 3), round(t.end, 3), t.name, ts),
            )


def apply_turns(t: Any, turn_list: list[Turn]) -> Any:
    """The transcript with each segment's ``speaker`` set from the turn it overlaps most (unchanged
    where no turn overlaps it)."""
    if not turn_list:
        return t
    segs = []
    for s in t.segments:
        best, score = None, 0.0
        for tr in turn_list:
            o = max(0.0, min(s.end, tr.end) - max(s.start, tr.start))
            if o > score:
                best, score = tr.name, o
        segs.append(replace(s, speaker=best) if best else s)
    return replace(t, segments=tuple(segs))


def quality_info(store: Any, bid: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    run = store.stage(bid, "transcribe")
    if run is not None:
        out["guards"] = (run.info.get("quality") or {}).get("guards", [])
        out["glossary"] = (run.info.get("quality") or {}).get("glossary", [])
    red = store.stage(bid, "redact")
    if red is not None:
        out["redactions"] = red.info.get("hits", [])
    return out


# -- the review list -------------------------------------------------------------------------------------
def review(store: Store, settings: Settings, bid: str, *, show_all: bool = False) -> Review:
    """What a press officer should check: one item per segment worth a look (or every one with show_all)."""
    from transcribe.guards import low_confidence_words, needs_review

    t = corrections.current_transcript(store, settings, bid)
    t = apply_turns(t, turns(store, bid))
    threshold = ReviewSettings.of(settings).low_confidence
    items = []
    for s in t.segments:
        if not show_all and not needs_review(s, threshold):
            continue
        low = low_confidence_words(s, threshold)
        items.append(
            ReviewItem(
                s.id,
                s.start,
                s.end,
                _clock(s.start),
                s.text.strip(),
                round(s.confidence, 3),
                list(s.flags),
                s.speaker,
                [LowWord(w.text.strip(), w.start, round(w.probability, 3)) for w in low],
            )
        )
    info = quality_info(store, bid)
    return Review(
        bid,
        t.language,
        len(t.segments),
        len(items),
        round(t.confidence, 3),
        threshold,
        items,
        info.get("guards", []),
        info.get("glossary", []),
        info.get("redactions", []),
        list(turns(store, bid)),
        roster(store, bid),
    )


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def render(data: Review) -> str:
    """The review list as text for the terminal."""
    lines = [
        f"{data.id}: {data.to_review} of {data.segments} segments to review "
        f"(confidence {data.confidence:.0%}, threshold {data.threshold:.0%})"
    ]
    for it in data.items:
        who = f" {it.speaker}:" if it.speaker else ""
        flags = f" [{', '.join(it.flags)}]" if it.flags else ""
        lines.append(f"  {it.time}  {it.confidence:4.0%}{flags}{who} {it.text}")
        if it.low_words:
            lines.append(
                "            unsure: " + ", ".join(f"{w.text} ({w.probability:.0%})" for w in it.low_words[:8])
            )
    for g in data.guards:
        lines.append(f"  {_clock(g['start'])}  guard: {g['kind']} {g['action']}: {g['text'][:80]}")
    for f in data.glossary:
        lines.append(f"  {_clock(f['start'])}  glossary: {f['heard']!r} → {f['term']!r}")
    for r in data.redactions:
        lines.append(f"  {_clock(r['start'])}  redacted {r['kind']} ({r['start']:.1f}–{r['end']:.1f} s)")
    if data.speakers:
        lines.append("speakers: " + "; ".join(f"{_clock(x.start)}–{_clock(x.end)} {x.name}" for x in data.speakers))
    if data.roster:
        lines.append("roster: " + ", ".join(data.roster))
    return "\n".join(lines)
