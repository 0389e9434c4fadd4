"""Typed results of speech recognition and of what is derived from it.

These are plain dataclasses with ``to_dict``/``from_dict`` so a transcript round-trips through JSON
unchanged. ``publish/`` may import these types; nothing else crosses package boundaries.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    id: int
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    confidence: float = 1.0  # 0..1, from the words' probabilities (or exp(avg_logprob))
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    speaker: str | None = None
    flags: tuple[str, ...] = ()  # e.g. "low-confidence", "repetition"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        d = dict(d)
        d["words"] = tuple(Word(**w) for w in d.get("words", ()))
        d["flags"] = tuple(d.get("flags", ()))
        return cls(**d)


@dataclass(frozen=True)
class Transcript:
    language: str
    duration: float
    segments: tuple[Segment, ...]
    language_probability: float = 1.0
    model: str = ""
    engine: str = ""  # e.g. "faster-whisper 1.2.1 / ctranslate2 4.6.0, cpu int8"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def confidence(self) -> float:
        """Duration-weighted mean segment confidence (1.0 for an empty transcript)."""
        total = sum(max(s.end - s.start, 0.01) for s in self.segments)
        if not total:
            return 1.0
        return sum(s.confidence * max(s.end - s.start, 0.01) for s in self.segments) / total

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["text"] = self.text
        d["confidence"] = round(self.confidence, 4)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transcript:
        return cls(
            language=d["language"],
            duration=float(d["duration"]),
            segments=tuple(Segment.from_dict(s) for s in d.get("segments", ())),
            language_probability=float(d.get("language_probability", 1.0)),
            model=d.get("model", ""),
            engine=d.get("engine", ""),
            options=dict(d.get("options", {})),
        )


@dataclass(frozen=True)
class SummarySentence:
    text: str
    start: float
    end: float
    segment_id: int


@dataclass(frozen=True)
class KeyFigure:
    value: float  # the number as said, normalized (e.g. 1240, 3.5)
    said: str  # the exact words as they appear in the transcript, e.g. "1,240"
    label: str  # what it counts, e.g. "new cases"
    start: float
    end: float
    segment_id: int
    context: str = ""  # the sentence it was said in
    unit: str = ""  # "%" when said as a percentage


@dataclass(frozen=True)
class Summary:
    language: str
    sentences: tuple[SummarySentence, ...]
    key_figures: tuple[KeyFigure, ...]
    no_speech: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Summary:
        return cls(
            language=d["language"],
            sentences=tuple(SummarySentence(**s) for s in d.get("sentences", ())),
            key_figures=tuple(KeyFigure(**k) for k in d.get("key_figures", ())),
            no_speech=bool(d.get("no_speech", False)),
        )
