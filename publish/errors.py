"""The one base of every error raised by :mod:`publish`.

Each error renders as one line (``str(err)``) and carries ``hint``: what to do. The application maps
these onto its own error tree; this package knows nothing of it.
"""

from __future__ import annotations


class PublishError(Exception):
    """Base of every error raised by ``publish`` (site, targets, mail, notify, archive, manifest)."""

    hint: str = ""

    def __init__(self, message: str = "", *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint
