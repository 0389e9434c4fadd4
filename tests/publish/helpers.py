"""Hand-made transcripts and summaries (and their VTT/SRT), shared by the press-site and briefing tests."""

from __future__ import annotations

from transcribe.types import KeyFigure, Segment, Summary, SummarySentence, Transcript, Word


def make_transcript(language: str = "en", texts: list[str] | None = None) -> Transcript:
    texts = texts or [
        "Good morning, and welcome to today's briefing.",
        "The ministry recorded 1,240 new cases in the past day.",
        "Hospital occupancy stands at 3.5 percent of capacity.",
        "We will take questions now.",
    ]
    segments = []
    t = 0.0
    for i, text in enumerate(texts):
        start, end = t, t + 0.7
        words = tuple(Word(start + j * 0.1, start + j * 0.1 + 0.09, " " + w, 0.9) for j, w in enumerate(text.split()))
        confidence = 0.3 if i == 2 else 0.92
        flags = ("low-confidence",) if i == 2 else ()
        segments.append(
            Segment(
                i,
                start,
                end,
                " " + text,
                words,
                confidence=confidence,
                flags=flags,
                speaker="Spokesperson" if i < 3 else "Moderator",
            )
        )
        t = end + 0.05
    return Transcript(
        language=language, duration=3.0, segments=tuple(segments), model="base", engine="faster-whisper test"
    )


def make_summary(transcript: Transcript, *, no_speech: bool = False) -> Summary:
    if no_speech:
        return Summary(language=transcript.language, sentences=(), key_figures=(), no_speech=True)
    segs = transcript.segments
    return Summary(
        language=transcript.language,
        sentences=tuple(SummarySentence(s.text.strip(), s.start, s.end, s.id) for s in segs[1:3]),
        key_figures=(
            KeyFigure(1240, "1,240", "new cases", segs[1].start, segs[1].end, 1, segs[1].text.strip()),
            KeyFigure(3.5, "3.5 percent", "hospital occupancy", segs[2].start, segs[2].end, 2),
        ),
    )


def vtt_for(transcript: Transcript) -> str:
    def ts(x: float) -> str:
        h, rem = divmod(x, 3600)
        m, s = divmod(rem, 60)
        return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"

    lines = ["WEBVTT", ""]
    for s in transcript.segments:
        lines += [f"{ts(s.start)} --> {ts(s.end)}", s.text.strip(), ""]
    return "\n".join(lines)


def srt_for(transcript: Transcript) -> str:
    return vtt_for(transcript).replace("WEBVTT\n\n", "").replace(".", ",")
