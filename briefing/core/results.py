"""Typed application results: each is a dataclass whose ``to_dict()`` is the command's ``--json`` output."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

R = TypeVar("R", bound="Result")


class Absent:
    """The value of a field that is not part of this result at all (left out of ``to_dict()``, unlike
    None, which is written as null). False, so that ``if result.field:`` reads naturally."""

    _instance: Absent | None = None

    def __new__(cls) -> Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()

# a field with this metadata is left out of to_dict() while it is None (a key the JSON has only sometimes)
OMIT_NONE = {"omit_none": True}


def optional(default: Any = None) -> Any:
    """A field that appears in ``to_dict()`` only when it is not None."""
    return dataclasses.field(default=default, metadata=OMIT_NONE)


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: results become dicts, inside lists and dicts too."""
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


class Result:
    """Base of the application's result dataclasses: ``to_dict()`` gives every field in order (nested
    results as dicts), leaving out the fields declared with :func:`optional` while they are None and
    the fields that are :data:`ABSENT`."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is ABSENT or (value is None and f.metadata.get("omit_none")):
                continue
            out[f.name] = plain(value)
        return out

    @classmethod
    def from_row(cls: type[R], row: Any, **overrides: Any) -> R:
        """The result made of a mapping (a store row) that has exactly its fields."""
        data = {**dict(row), **overrides}
        return cls(**data)
