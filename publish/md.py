"""The release as Markdown (summary, key figures, change notes), and its one rendering to HTML.

The Markdown is what ``summary.md`` holds and what the press email's text part says; :func:`to_html`
renders it with the ``markdown`` package for the page's summary section and the email's HTML part. Raw
HTML in the text (a transcript can hold anything that was said, or typed in a correction note) is never
passed through: it is shown as text. Timed links (``[00:01:02](#t=62)``) become the page's seek links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.etree import ElementTree

import markdown as _markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from publish import i18n

_SEEK = re.compile(r"^#t=(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?$")
_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def escape(text: str) -> str:
    """Text that Markdown shows as it is (no emphasis, links or HTML out of what someone said)."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def summary_markdown(
    *,
    title: str,
    date: str,
    speakers: Sequence[str],
    summary: Mapping[str, Any],
    corrections: Iterable[Mapping[str, Any]] = (),
    language: str = "en",
    link: str = "",
) -> str:
    """The release in Markdown: title, date, speakers, the timed summary, the key figures, change notes.

    ``summary``: a Summary's ``to_dict()`` (sentences with start, key_figures with said/label/start).
    ``link``: the page's URL; the times then link to ``<link>#t=S`` (else to ``#t=S`` on the page)."""
    t = i18n.strings(language)
    lines = [f"# {escape(title)}", "", f"*{escape(i18n.format_date(date, language))}*", ""]
    if speakers:
        lines += [f"{t['speakers']}: " + ", ".join(escape(s) for s in speakers), ""]
    notes = [c for c in corrections if c.get("note")]
    if notes:
        lines += [f"## {t['corrections']}", ""]
        for c in notes:
            lines.append(
                f"- **{escape(i18n.format_datetime(str(c.get('date', '')), language))}** "
                f"(v{int(c.get('version', 0) or 0)}): {escape(str(c['note']))}"
            )
        lines.append("")
    if summary.get("no_speech"):
        lines += [t["no_speech"] + ".", ""]
    else:
        lines += [f"## {t['summary']}", ""]
        for s in summary.get("sentences", []):
            start = float(s.get("start", 0.0))
            lines.append(f"- [{clock(start)}]({link}#t={int(start)}) {escape(s.get('text', ''))}")
        lines.append("")
    figures = summary.get("key_figures", [])
    if figures:
        lines += [f"## {t['key_figures']}", "", f"| {t['figure']} | {t['counts']} | {t['time']} |", "|---|---|---|"]
        for k in figures:
            said = str(k.get("said", ""))
            if not any(ch.isdigit() for ch in said) and k.get("value") is not None:
                said = f"{said} ({k['value']:,})"  # a number said in words: the number too
            start = float(k.get("start", 0.0))
            lines.append(
                f"| {escape(said)} | {escape(str(k.get('label', '')))} | [{clock(start)}]({link}#t={int(start)}) |"
            )
        lines.append("")
    return "\n".join(lines)


def sentences_markdown(sentences: Iterable[Mapping[str, Any]], *, long: bool = False, link: str = "") -> str:
    """The timed summary as a Markdown list: ``- [01:02](#t=62) The sentence.``"""
    out = []
    for s in sentences:
        start = float(s.get("start", 0.0))
        out.append(f"- [{i18n.format_timestamp(start, long=long)}]({link}#t={int(start)}) {escape(s.get('text', ''))}")
    return "\n".join(out) + "\n"


def inline_html(text: str) -> str:
    """One line of Markdown (a correction note) → inline HTML (no enclosing paragraph)."""
    html = to_html(" ".join(str(text).split()))
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


class _SeekLinks(Treeprocessor):
    """``<a href="#t=S">`` → the page's seek link (class ``seek``, ``data-t``)."""

    def run(self, root: ElementTree.Element) -> None:
        for a in root.iter("a"):
            m = _SEEK.match(a.get("href", ""))
            if m:
                a.set("class", "seek")
                a.set("data-t", f"{float(m.group(1)):.1f}")


class _Safe(Extension):
    def extendMarkdown(self, md: _markdown.Markdown) -> None:  # noqa: N802 - the markdown API's name
        md.preprocessors.deregister("html_block")  # raw HTML blocks: shown as text
        md.inlinePatterns.deregister("html")  # inline tags: shown as text
        md.treeprocessors.register(_SeekLinks(md), "seek_links", 0)


def to_html(text: str) -> str:
    """Markdown → HTML with the ``markdown`` package (tables; raw HTML escaped, never passed through)."""
    md = _markdown.Markdown(extensions=["tables", "sane_lists", _Safe()], output_format="html")
    html: str = md.convert(text)
    return html


def without_title(text: str) -> str:
    """The Markdown without its first-level title and the date line under it (the page shows both)."""
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
        while lines and (not lines[0].strip() or lines[0].startswith("*")):
            lines = lines[1:]
    return "\n".join(lines)


def email_document(body_html: str, *, lang: str, title: str) -> str:
    """A complete, small HTML document around rendered Markdown (for the press email's HTML part)."""
    from html import escape as _esc

    return (
        f'<!DOCTYPE html>\n<html lang="{_esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_esc(title)}</title>\n</head>\n<body>\n{body_html}\n</body>\n</html>\n"
    )
