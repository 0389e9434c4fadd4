"""Stable identifiers."""

from __future__ import annotations

import re
import unicodedata

from briefing.core.text import fold


def slugify(text: str, *, max_len: int = 60) -> str:
    """ASCII, lowercase, hyphenated: "Họp báo Chính phủ" -> "hop-bao-chinh-phu"."""
    text = unicodedata.normalize("NFKD", fold(text)).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text[:max_len].rstrip("-") or "briefing"


def briefing_id(date: str, title: str) -> str:
    """The id of a briefing: its date and the slug of its title, e.g. 2026-11-25-daily-press-briefing."""
    return f"{date}-{slugify(title)}"
