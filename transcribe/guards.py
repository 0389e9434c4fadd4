"""Guards against Whisper's known failure modes, applied to a finished :class:`Transcript`.

Whisper invents text where it cannot follow the audio. The failures are well known:

- **repetition loops**: one phrase repeated until the window ends ("chân vô chân vô chân vô …");
- **text in silence**: a plausible sentence over a pause, music or room noise;
- **artefacts** learnt from subtitled video: "Subtitles by the Amara.org community", "Thanks for watching",
  "This is the end of the video", "Hãy subscribe cho kênh …";
- **text with no time**: a sentence whose words have (nearly) zero length, which is how Whisper's word
  alignment places text that no audio carries (at the end of a window, past the end of the speech).

Decoding options prevent some of this (see :data:`DECODING`); :func:`apply_guards` removes what is
certainly invented and flags what only may be, so a person looks at it before it is quoted. Every
action is reported as a :class:`GuardEvent`. Nothing here reads a config file or loads a model.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

from transcribe.types import Segment, Transcript, Word

# Decoding options that keep the model from starting a loop or inventing text over long pauses
# (faster-whisper keyword arguments; TranscribeOptions has a field for each). The benchmark
# bench/bench_quality.py measures them against the defaults on ../shared/speech.
DECODING: dict[str, Any] = {
    "condition_on_previous_text": False,  # a loop in one window cannot feed the next
    # faster-whisper's hallucination_silence_threshold is left off: on clean briefing speech it made
    # decoding 1.7-2.3x slower (5-minute English recording, one run) for no gain on ../shared/speech;
    # text over silence is caught afterwards by apply_guards, which checks the audio itself.
    "hallucination_silence_threshold": None,
    "compression_ratio_threshold": 2.4,  # re-decode at higher temperature when the text compresses too well
    "no_speech_threshold": 0.6,
    "log_prob_threshold": -1.0,
}

# Phrases Whisper learnt from the credits of subtitled video. A segment that is nothing but one of these is
# removed; one inside longer text is cut out. Compared on folded text (lower case, no punctuation).
ARTEFACTS: tuple[str, ...] = (
    r"(?:subtitles?|subtitled|captions?|captioned|transcription|transcribed|translated|translation)"
    r" (?:by|from) .{0,60}",
    r".{0,30}amara ?\.? ?org.{0,30}",
    r"(?:please )?(?:like and )?subscribe(?: to (?:my|our|the) channel)?",
    r"thanks? (?:you )?(?:so much )?for watching(?: and see you next time)?",
    r"see you (?:in the )?next (?:time|video)",
    r"(?:and )?(?:this|that) (?:is|was) the end of (?:the|this|our|my) (?:video|clip|recording|broadcast)",
    r"(?:and )?(?:that ?s|that is) (?:all|it) for (?:this|today's|the) (?:video|clip)",
    r"thanks? (?:you )?(?:so much )?for (?:watching|listening|viewing)(?: this video)?",
    r"(?:www ?\. ?)?[a-z0-9-]+ ?\. ?(?:com|net|org|vn)(?: ?/ ?\S+)?",
    r"hãy (?:đăng ký|subscribe|like).{0,60}",
    r"(?:đăng ký|subscribe) (?:cho )?kênh.{0,60}",
    r"(?:cảm ơn|cám ơn) (?:các bạn|quý vị) đã (?:theo dõi|xem).{0,40}",
    r"để không bỏ lỡ (?:những|các) video.{0,60}",
    r"phụ đề (?:được thực hiện )?bởi.{0,60}",
    r"ghiền mì gõ.{0,40}",
    r"la la school.{0,40}",
)
_ARTEFACT_RES = tuple(re.compile(p) for p in ARTEFACTS)
_FOLD_PUNCT = re.compile(r"[^\w\s./]")


@dataclass(frozen=True)
class GuardOptions:
    remove_artefacts: bool = True
    collapse_repetition: bool = True
    min_repeats: int = 3  # an n-gram repeated back to back this often is a loop (single words: one more)
    max_ngram: int = 6
    remove_duplicates: bool = True  # a segment repeating the one before it word for word
    quiet_fraction: float = 0.8  # a segment this much inside quiet audio is text in silence
    no_speech_prob: float = 0.6  # with avg_logprob below log_prob: Whisper's own "no speech" rule
    log_prob: float = -1.0
    low_confidence: float = 0.5  # a word below this probability is listed for review
    # Text with no time: a segment most of whose words last under ``min_word_seconds`` is removed when
    # the model was unsure of it (mean word probability under ``low_confidence``), flagged otherwise.
    min_word_seconds: float = 0.02
    timeless_fraction: float = 0.5

    def key(self) -> str:
        return repr(self) + "|" + repr(ARTEFACTS) + "|v2"


@dataclass(frozen=True)
class GuardEvent:
    kind: str  # "artefact", "repetition", "duplicate", "silence", "no-speech", "timeless"
    action: str  # "removed" (the segment), "cut" (part of its text), "flagged"
    start: float
    end: float
    text: str  # the text removed or flagged

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "action": self.action, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class GuardResult:
    transcript: Transcript
    events: tuple[GuardEvent, ...] = field(default_factory=tuple)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.events:
            k = f"{e.kind}-{e.action}"
            out[k] = out.get(k, 0) + 1
        return out


def fold(text: str) -> str:
    """Lower case, NFC, punctuation except "." and "/" removed, spaces collapsed."""
    text = unicodedata.normalize("NFC", text).lower()
    return " ".join(_FOLD_PUNCT.sub(" ", text).split())


def is_artefact(text: str) -> bool:
    """True when the whole text is one of Whisper's learnt credits (see :data:`ARTEFACTS`)."""
    f = fold(text).strip(" .")
    return bool(f) and any(r.fullmatch(f) for r in _ARTEFACT_RES)


# -- repetition --------------------------------------------------------------------------------------
def _norm_token(t: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFC", t).lower() if ch.isalnum())


def find_loops(tokens: list[str], *, min_repeats: int = 3, max_n: int = 6) -> list[tuple[int, int, int]]:
    """Back-to-back repeats of an n-gram: ``(start, n, repeats)`` for each run, longest n-grams first.

    A single word needs one more repeat than ``min_repeats`` ("no, no, no" is speech), and a number
    repeated is not a loop ("10, 10, 10, 10" happens when a figure is read out)."""
    norm = [_norm_token(t) for t in tokens]
    runs: list[tuple[int, int, int]] = []
    covered = [False] * len(norm)
    for n in range(max_n, 0, -1):
        need = min_repeats + (1 if n == 1 else 0)
        i = 0
        while i + n * need <= len(norm):
            gram = norm[i : i + n]
            if not all(gram) or any(covered[i : i + n]) or (n == 1 and gram[0].isdigit()):
                i += 1
                continue
            k = 1
            while norm[i + k * n : i + (k + 1) * n] == gram:
                k += 1
            if k >= need:
                runs.append((i, n, k))
                for j in range(i, i + k * n):
                    covered[j] = True
                i += k * n
            else:
                i += 1
    return sorted(runs)


def count_loops(t: Transcript, *, min_repeats: int = 3, max_n: int = 6) -> int:
    """How many repetition loops the transcript holds (the benchmark's count)."""
    n = 0
    prev = None
    for s in t.segments:
        n += len(find_loops(s.text.split(), min_repeats=min_repeats, max_n=max_n))
        f = fold(s.text)
        if f and f == prev:
            n += 1
        prev = f
    return n


def _collapse(seg: Segment, opts: GuardOptions) -> tuple[Segment, list[str]]:
    """Keep the first occurrence of each looping n-gram; returns the segment and the text cut."""
    if seg.words:
        tokens = [w.text for w in seg.words]
    else:
        tokens = seg.text.split()
    runs = find_loops(tokens, min_repeats=opts.min_repeats, max_n=opts.max_ngram)
    if not runs:
        return seg, []
    drop: set[int] = set()
    cut: list[str] = []
    for i, n, k in runs:
        idx = range(i + n, i + k * n)
        drop.update(idx)
        cut.append(" ".join(tokens[j].strip() for j in idx))
    if seg.words:
        kept = [w for j, w in enumerate(seg.words) if j not in drop]
        # the loop's time goes to the last word kept before it, so captions stay continuous
        text = "".join(w.text for w in kept)
        seg = replace(
            seg,
            words=tuple(kept),
            text=text,
            confidence=round(sum(w.probability for w in kept) / len(kept), 4) if kept else seg.confidence,
        )
    else:
        seg = replace(seg, text=" " + " ".join(t for j, t in enumerate(tokens) if j not in drop))
    return seg, cut


# -- silence -----------------------------------------------------------------------------------------
def quiet_spans(
    samples: Any,
    sample_rate: int = 16000,
    *,
    threshold_db: float = -45.0,
    min_duration: float = 0.6,
    frame: float = 0.05,
) -> list[tuple[float, float]]:
    """Stretches of at least ``min_duration`` seconds where the audio stays below ``threshold_db`` dBFS
    (50 ms frames, RMS). ``samples``: mono float samples in -1..1 (a numpy array)."""
    import numpy as np

    x = np.asarray(samples, dtype=np.float32)
    hop = max(1, int(sample_rate * frame))
    n = len(x) // hop
    if n == 0:
        return []
    rms = np.sqrt(np.mean(np.square(x[: n * hop].reshape(n, hop), dtype=np.float64), axis=1) + 1e-12)
    quiet = 20 * np.log10(rms) < threshold_db
    spans = []
    start = None
    for i, q in enumerate(list(quiet) + [False]):
        if q and start is None:
            start = i
        elif not q and start is not None:
            a, b = start * frame, i * frame
            if b - a >= min_duration:
                spans.append((round(a, 3), round(b, 3)))
            start = None
    return spans


def _quiet_overlap(start: float, end: float, spans: list[tuple[float, float]]) -> float:
    if end <= start:
        return 0.0
    got = sum(max(0.0, min(end, b) - max(start, a)) for a, b in spans)
    return got / (end - start)


def timeless(seg: Segment, opts: GuardOptions | None = None) -> bool:
    """True when most of the segment's words last (nearly) no time: Whisper's alignment put text where no
    audio carries it. A segment without word times is never timeless."""
    o = opts or GuardOptions()
    if not seg.words:
        return False
    short = sum(1 for w in seg.words if w.end - w.start < o.min_word_seconds)
    return short >= o.timeless_fraction * len(seg.words)


def _mean_probability(seg: Segment) -> float:
    return sum(w.probability for w in seg.words) / len(seg.words) if seg.words else seg.confidence


# -- the guard ---------------------------------------------------------------------------------------
def _add_flag(seg: Segment, flag: str) -> Segment:
    return seg if flag in seg.flags else replace(seg, flags=seg.flags + (flag,))


def _cut_artefact(seg: Segment) -> tuple[Segment, str]:
    """Cut an artefact sentence out of a longer segment; ``("", …)`` when none."""
    parts = re.split(r"(?<=[.!?…])\s+", seg.text.strip())
    if len(parts) < 2:
        return seg, ""
    kept = [p for p in parts if not is_artefact(p)]
    if len(kept) == len(parts) or not kept:
        return seg, ""
    cut = " ".join(p for p in parts if is_artefact(p))
    kept_text = " ".join(kept)
    words = seg.words
    if words:  # keep the words of the sentences kept
        fk = fold(kept_text).split()
        out: list[Word] = []
        j = 0
        for w in words:
            fw = fold(w.text).split()
            if j < len(fk) and fw and fw[0] == fk[j]:
                out.append(w)
                j += len(fw)
        words = tuple(out) if j >= len(fk) else ()
    return replace(seg, text=" " + kept_text, words=words), cut


def apply_guards(
    t: Transcript, *, quiet: list[tuple[float, float]] | None = None, options: GuardOptions | None = None
) -> GuardResult:
    """Remove what is certainly invented, flag what may be. ``quiet``: spans of silent audio
    (:func:`quiet_spans`), when the audio is at hand."""
    o = options or GuardOptions()
    events: list[GuardEvent] = []
    out: list[Segment] = []
    prev_fold = None
    for seg in t.segments:
        text = seg.text.strip()
        if o.remove_artefacts and is_artefact(text):
            events.append(GuardEvent("artefact", "removed", seg.start, seg.end, text))
            continue
        if o.remove_artefacts:
            seg, cut = _cut_artefact(seg)
            if cut:
                events.append(GuardEvent("artefact", "cut", seg.start, seg.end, cut))
                seg = _add_flag(seg, "artefact")
        if quiet and _quiet_overlap(seg.start, seg.end, quiet) >= o.quiet_fraction:
            events.append(GuardEvent("silence", "removed", seg.start, seg.end, text))
            continue
        if seg.no_speech_prob > o.no_speech_prob and seg.avg_logprob < o.log_prob:
            events.append(GuardEvent("no-speech", "removed", seg.start, seg.end, text))
            continue
        if timeless(seg, o):
            if _mean_probability(seg) < o.low_confidence:
                events.append(GuardEvent("timeless", "removed", seg.start, seg.end, text))
                continue
            seg = _add_flag(seg, "maybe-no-speech")
        if o.collapse_repetition:
            seg, cuts = _collapse(seg, o)
            for c in cuts:
                events.append(GuardEvent("repetition", "cut", seg.start, seg.end, c))
            if cuts:
                seg = _add_flag(seg, "repetition")
        f = fold(seg.text)
        if o.remove_duplicates and f and f == prev_fold and len(f.split()) >= 2:
            events.append(GuardEvent("duplicate", "removed", seg.start, seg.end, seg.text.strip()))
            if out:
                out[-1] = _add_flag(out[-1], "repetition")
            continue
        prev_fold = f
        if "repetition" in seg.flags or "maybe-no-speech" in seg.flags:
            events.append(
                GuardEvent(
                    "repetition" if "repetition" in seg.flags else "no-speech",
                    "flagged",
                    seg.start,
                    seg.end,
                    seg.text.strip(),
                )
            )
        out.append(seg)
    segs = tuple(replace(s, id=i) for i, s in enumerate(out))
    return GuardResult(replace(t, segments=segs), tuple(events))


def low_confidence_words(seg: Segment, threshold: float = 0.5) -> list[Word]:
    return [w for w in seg.words if w.probability < threshold]


def needs_review(seg: Segment, threshold: float = 0.5) -> bool:
    """A segment a press officer should look at: low confidence, a word the model was unsure of, or a flag."""
    if "corrected" in seg.flags:
        return False
    return (
        seg.confidence < threshold
        or bool(low_confidence_words(seg, threshold))
        or any(f in seg.flags for f in ("low-confidence", "repetition", "maybe-no-speech", "artefact"))
    )
