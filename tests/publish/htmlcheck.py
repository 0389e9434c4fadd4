"""A strict little HTML checker for the generated pages (no validator service, no Java).

It asserts what our templates promise: a doctype, every non-void element explicitly closed and properly
nested, no self-closing non-void elements, no duplicate ids or attributes. It also collects every URL the
page refers to (href, src, poster) so tests can check that each resolves to a file of the site.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
URL_ATTRS = {"href", "src", "poster"}


class StrictChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, tuple[int, int]]] = []
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.urls: list[str] = []
        self.doctype = False
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_decl(self, decl: str) -> None:
        if decl.lower() == "doctype html":
            self.doctype = True

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> dict[str, str | None]:
        names = [a for a, _ in attrs]
        if len(names) != len(set(names)):
            self.errors.append(f"duplicate attribute on <{tag}> at {self.getpos()}")
        d = dict(attrs)
        if "id" in d:
            if d["id"] in self.ids:
                self.errors.append(f"duplicate id {d['id']!r}")
            self.ids.add(d["id"] or "")
        for a in URL_ATTRS & d.keys():
            self.urls.append(d[a] or "")
        self.tags.append((tag, d))
        return d

    def handle_starttag(self, tag, attrs):
        self._attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self._attrs(tag, attrs)
        if tag not in VOID:
            self.errors.append(f"self-closing non-void <{tag}/> at {self.getpos()}")

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"end tag for void </{tag}> at {self.getpos()}")
            return
        if not self.stack or self.stack[-1][0] != tag:
            top = self.stack[-1] if self.stack else None
            self.errors.append(f"</{tag}> at {self.getpos()} does not close {top}")
            return
        self.stack.pop()


def check_html(text: str) -> StrictChecker:
    c = StrictChecker()
    c.feed(text)
    c.close()
    if not c.doctype:
        c.errors.append("no <!DOCTYPE html>")
    if c.stack:
        c.errors.append(f"unclosed elements: {c.stack}")
    assert not c.errors, "\n".join(c.errors)
    return c


def resolve(site: Path, page: Path, url: str) -> Path | None:
    """The file a relative URL of ``page`` names (a directory means its index.html); None for fragments."""
    parts = urlsplit(url)
    assert not parts.scheme and not parts.netloc, f"{page}: external or absolute URL {url!r}"
    if not parts.path:
        return None
    target = (page.parent / unquote(parts.path)).resolve()
    assert target.is_relative_to(site.resolve()), f"{page}: {url!r} leaves the site"
    if url.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target
