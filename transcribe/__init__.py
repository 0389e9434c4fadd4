"""Speech in, Transcript out; summaries and key figures of a Transcript. Knows nothing of briefings."""

from transcribe.types import KeyFigure, Segment, Summary, SummarySentence, Transcript, Word

__all__ = ["KeyFigure", "Segment", "Summary", "SummarySentence", "Transcript", "Word"]
