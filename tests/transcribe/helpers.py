"""Helpers shared by the transcribe tests: the real-speech set and the scoring normalisation."""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

_PUNCT = re.compile(r"[^\w\s']")


def normalize(text: str) -> str:
    """The normalisation of ../shared/speech/SOURCES.md: NFC, lowercase, every character other than a
    letter, digit, underscore, white space or apostrophe replaced by a space, white space collapsed."""
    text = unicodedata.normalize("NFC", text).lower()
    return " ".join(_PUNCT.sub(" ", text).split())


def speech_dir() -> Path | None:
    env = os.environ.get("BRIEFING_SPEECH_DIR")
    d = Path(env) if env else (Path(__file__).resolve().parents[2] / ".." / "shared" / "speech").resolve()
    return d if (d / "manifest.tsv").is_file() else None


@dataclass(frozen=True)
class Clip:
    audio: Path
    language: str
    duration: float
    reference: str


def clips(directory: Path) -> list[Clip]:
    out = []
    with open(directory / "manifest.tsv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            out.append(
                Clip(
                    directory / row["audio"],
                    row["language"],
                    float(row["duration_s"]),
                    (directory / row["reference"]).read_text(encoding="utf-8").strip(),
                )
            )
    return out
