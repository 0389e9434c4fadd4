"""Corrections of a published transcript, published as a new version with a note.

``briefing correct ID`` takes the corrected text (from $EDITOR, as ``[HH:MM:SS.mmm] text`` paragraphs, or
from a corrected SRT, VTT or TXT file) and keeps it as the briefing's *pending* correction: nothing is
published yet. ``briefing publish ID --note "..."`` then applies it and publishes version N+1, whose page
says "corrected on <date>: <note>"; the earlier versions stay on the site under ``v<N>/``.

How corrected text maps back onto the transcript: every cue of the corrected file belongs to the original
segment it overlaps most in time. A segment whose words did not change is kept as it was (word timings,
confidence); a changed one gets the corrected text, loses its word timings (the captions are re-timed over
the segment) and is marked ``corrected`` with full confidence, since a person checked it. A segment with no
cue left was deleted; a cue that overlaps no segment becomes a new one.

Applying is crash-safe: the correction is first recorded in the briefing's metadata as *applying*, then its
files become the transcript's artifacts, then the mark is cleared; a run that finds the mark finishes the job.
The new version is recorded in the briefing's corrections only once the site holds it (``Runner.publish``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from briefing.core import errors, locks, text
from briefing.core import text as txt
from briefing.core.config import Settings
from briefing.core.errors import ConfigError, InputError
from briefing.core.faults import fault_point
from briefing.core.fsutil import atomic_write_text
from briefing.core.results import ABSENT, Absent, Result, optional
from briefing.core.store import Artifact, Store, now_iso
from publish.files import sha256_file

HEADER = (
    "# Correct the words below. Keep each [HH:MM:SS.mmm] stamp at the start of its paragraph;\n"
    "# delete a paragraph to remove it. Lines starting with # are ignored.\n"
    '# Save and close the editor to keep the correction; publish it with: briefing publish {id} --note "..."\n'
)
ROLES = {"json": "transcript.json", "srt": "transcript.srt", "vtt": "transcript.vtt", "txt": "transcript.txt"}


def _dir(settings: Settings, bid: str) -> Path:
    return settings.workspace / bid / "corrections"


def current_transcript(store: Store, settings: Settings, bid: str) -> Any:
    """The pending correction if there is one, else the transcript as published."""
    from transcribe import formats

    b = store.briefing(bid)
    pending = b.meta.get("pending_correction")
    if pending and not pending.get("applying") and (Path(pending["dir"]) / ROLES["json"]).is_file():
        path = Path(pending["dir"]) / ROLES["json"]
    else:
        arts = store.artifacts(bid)
        if "json" not in arts:
            raise InputError(f"briefing {bid} has no transcript yet", hint="run `briefing process` for it first")
        path = Path(arts["json"].path)
    with errors.translated():
        return formats.from_json(path.read_text(encoding="utf-8"))


def editable_text(store: Store, settings: Settings, bid: str) -> str:
    from transcribe.formats import format_timestamp

    t = current_transcript(store, settings, bid)
    paras = [f"[{format_timestamp(s.start)}] {s.text.strip()}" for s in t.segments if s.text.strip()]
    return HEADER.format(id=bid) + "\n" + "\n\n".join(paras) + "\n"


def parse(text: str, kind: str, duration: float) -> list[tuple[float, float, str]]:
    """Cues from corrected text; kind is srt, vtt or txt (timed paragraphs, # comment lines ignored)."""
    from transcribe import formats

    with errors.translated():
        if kind == "srt":
            return formats.parse_srt(text)
        if kind == "vtt":
            return formats.parse_vtt(text)
        kept = "\n".join(line for line in text.replace("\r\n", "\n").split("\n") if not line.lstrip().startswith("#"))
        if not kept.strip():
            raise InputError("the corrected text is empty", hint="keep the paragraphs you do not change")
        return formats.parse_timed_txt(kept, duration=duration)


END_SLACK_S = 1.0  # a cue may end this much after the recording (captions round up)


def check_cues(cues: list[tuple[float, float, str]], duration: float) -> None:
    """Refuse a correction whose cues go past the recording, or whose text holds control characters."""
    from transcribe.formats import format_timestamp

    for start, end, words in cues:
        if duration > 0 and (start >= duration or end > duration + END_SLACK_S):
            raise InputError(
                f"the correction has a cue at {format_timestamp(start)}–{format_timestamp(end)}, "
                f"beyond the end of the recording ({format_timestamp(duration)})",
                hint="is it the correction of another briefing? Keep the timestamps of this one",
            )
        if not txt.is_clean(words, multiline=True):
            raise InputError(
                f"the correction's cue at {format_timestamp(start)} holds a control character or a direction override",
                hint="remove it; use plain text",
            )
        if end < start:
            raise InputError(
                f"the correction's cue at {format_timestamp(start)} ends before it starts", hint="fix its timestamps"
            )


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def apply_cues(t: Any, cues: list[tuple[float, float, str]]) -> tuple[Any, int]:
    """The transcript with the cues' text put in; and how many segments changed, appeared or went."""
    from transcribe.types import Segment

    segs = list(t.segments)
    assigned: dict[int, list[str]] = {}
    new: list[Any] = []
    if len(cues) == len(segs) and all(abs(c[0] - s.start) < 1.0 for c, s in zip(cues, segs, strict=True)):
        # one cue per segment at its start (timed text stamps whole seconds): map them in order
        assigned = {i: [c[2]] for i, c in enumerate(cues)}
        cues = []
    for start, end, said in cues:
        best, score = None, 0.0
        for i, s in enumerate(segs):
            o = _overlap(start, max(end, start + 0.001), s.start, s.end)
            if o > score:
                best, score = i, o
        if best is None:  # a zero-length cue, or one between segments: the segment it starts in or at
            near = [i for i, s in enumerate(segs) if abs(s.start - start) < 0.5 or s.start <= start < s.end]
            best = near[0] if near else None
        if best is None:
            new.append(
                Segment(
                    id=-1, start=start, end=max(end, start + 0.5), text=" " + said, confidence=1.0, flags=("corrected",)
                )
            )
        else:
            assigned.setdefault(best, []).append(said)
    changed = len(new)
    out = []
    for i, s in enumerate(segs):
        if i not in assigned:
            changed += 1  # deleted
            continue
        said = " ".join(" ".join(assigned[i]).split())
        if s.speaker and said.startswith(f"{s.speaker}: "):  # the TXT labels speaker changes: not the words
            said = said[len(s.speaker) + 2 :]
        if said == " ".join(s.text.split()):
            out.append(s)
            continue
        changed += 1
        flags = tuple(f for f in s.flags if f != "low-confidence") + ("corrected",)
        out.append(replace(s, text=" " + said, words=(), confidence=1.0, flags=flags))
    out += new
    out.sort(key=lambda s: s.start)
    out = [replace(s, id=i) for i, s in enumerate(out)]
    return replace(t, segments=tuple(out)), changed


@dataclass(frozen=True)
class Correction(Result):
    """What a correction changed: segments changed, whether one is pending now, and where it is."""

    id: str
    changed: int
    pending: bool
    dir: str | None = optional()
    rev: str | None | Absent = ABSENT  # the review desk's revision of the draft it came from (None: not the desk)


@locks.locked
def correct(
    store: Store,
    settings: Settings,
    bid: str,
    *,
    file: Path | None = None,
    text: str | None = None,
    source: str = "editor",
) -> Correction:
    """Keep a corrected transcript as the briefing's pending correction; returns what changed."""

    t = current_transcript(store, settings, bid)
    if file is not None:
        file = Path(file)
        kind = file.suffix.lower().lstrip(".")
        if kind not in ("srt", "vtt", "txt"):
            raise InputError(f"{file} is not an SRT, VTT or TXT file", hint="pass a .srt, .vtt or .txt file")
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {file}: {exc}", hint="pass a UTF-8 text file") from None
        source = file.name
    else:
        kind = "txt"
    if text is None:
        raise InputError("no corrected text given")
    cues = parse(text, kind, t.duration)
    if not cues:
        raise InputError(
            "no timed text found in the correction", hint="keep the timestamps ([HH:MM:SS] paragraphs, or SRT/VTT cues)"
        )
    check_cues(cues, t.duration)
    fixed, changed = apply_cues(t, cues)
    if changed == 0:
        return Correction(bid, 0, bool(store.briefing(bid).meta.get("pending_correction")))
    return keep_pending(store, settings, bid, fixed, changed=changed, source=source)


def keep_pending(
    store: Store, settings: Settings, bid: str, fixed: Any, *, changed: int, source: str, rev: str | None = None
) -> Correction:
    """Keep ``fixed`` (a whole corrected Transcript) as the briefing's pending correction (the caller holds
    the briefing's lock): what ``correct`` does with an edited text, and the review desk with a draft."""
    from transcribe import formats

    out = _dir(settings, bid) / "pending"
    files = {
        "json": formats.to_json(fixed),
        "srt": formats.to_srt(fixed),
        "vtt": formats.to_vtt(fixed),
        "txt": formats.to_txt(fixed),
    }
    for role, body in files.items():
        atomic_write_text(out / ROLES[role], body)
    rev = rev or secrets.token_hex(8)  # which pending correction this is (two may share a created_at second)
    store.update_meta(
        bid,
        pending_correction={"created_at": now_iso(), "source": source, "changed": changed, "dir": str(out), "rev": rev},
    )
    return Correction(bid, changed, True, str(out), rev)


@locks.locked
def discard(store: Store, settings: Settings, bid: str) -> bool:
    b = store.briefing(bid)
    pending = b.meta.get("pending_correction")
    if not pending or pending.get("applying"):
        return False
    shutil.rmtree(pending["dir"], ignore_errors=True)
    store.update_meta(bid, pending_correction=None)
    return True


def prepare_publish(store: Store, settings: Settings, bid: str, note: str | None) -> int | None:
    """Before publishing: apply the pending correction (it needs a note); the publish stage then makes it
    version N+1 (``Runner.publish``).

    Returns the version the pending correction becomes, or None when there is none. Nothing about the
    new version is recorded as published here: the store records it once the site holds it."""
    from publish.site import published_metadata

    b = store.briefing(bid)
    pending = b.meta.get("pending_correction")
    if pending and pending.get("applying"):
        _finish(store, settings, bid, pending)
        return int(pending["version"])

    note = text.check(note, "the note", max_len=text.NOTE_MAX, multiline=True) or None
    if note is None:
        if pending:
            raise ConfigError(
                f"briefing {bid} has a correction waiting to be published",
                hint=f'publish it as a new version with: briefing publish {bid} --note "what was corrected"',
            )
        return None
    live = published_metadata(settings.site_dir, bid)
    if not live:
        raise InputError(
            f"briefing {bid} has not been published yet, so there is nothing to correct",
            hint=f"publish it first with: briefing publish {bid}",
        )
    if not pending:
        return None
    version = int(live.get("version", 1)) + 1
    pending = {**pending, "applying": True, "version": version}
    store.update_meta(
        bid,
        pending_correction=pending,
        publishing={"version": version, "note": " ".join(note.split()), "date": now_iso()},
    )
    _finish(store, settings, bid, pending)
    return version


def _finish(store: Store, settings: Settings, bid: str, pending: dict[str, Any]) -> None:
    src = Path(pending["dir"])
    dest = _dir(settings, bid) / f"v{pending['version']}"
    if src.is_dir():
        if dest.exists():
            shutil.rmtree(dest)
        os.rename(src, dest)
    if not (dest / ROLES["json"]).is_file():
        raise InputError(
            f"the correction's files are gone from {dest}",
            hint=f"make the correction again with `briefing correct {bid}`",
        )
    arts = [
        Artifact(role, str(dest / name), sha256_file(dest / name), (dest / name).stat().st_size)
        for role, name in ROLES.items()
    ]
    key = json.dumps({a.role: a.sha256 for a in arts}, sort_keys=True)
    store.stage_started(bid, "correct", key)
    store.stage_done(
        bid,
        "correct",
        key,
        arts,
        {"version": pending["version"], "changed": pending.get("changed"), "source": pending.get("source")},
    )
    fault_point("after:correct")
    store.update_meta(bid, pending_correction=None)
