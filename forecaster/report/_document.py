"""A report as a small document tree, rendered to both HTML (_html) and Markdown (_markdown).

Text blocks use a tiny inline markup that both renderers understand: ``code``, **bold** and
[label](relative link).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence


@dataclasses.dataclass
class Text:
    text: str
    kind: str = "p"  # "p" | "lead" (the plain-words headline) | "warn" | "note"


@dataclasses.dataclass
class Bullets:
    items: Sequence[str]


@dataclasses.dataclass
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    caption: str | None = None


@dataclasses.dataclass
class Image:
    """A PNG: written as ``<name>.png`` beside report.md, embedded in report.html."""

    name: str
    title: str
    caption: str
    png: bytes


@dataclasses.dataclass
class Code:
    text: str
    summary: str  # what the (collapsed) block is


Block = Text | Bullets | Table | Image | Code


@dataclasses.dataclass
class Section:
    id: str
    title: str
    blocks: list[Block]


@dataclasses.dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section]

    def images(self) -> list[Image]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Image)]
