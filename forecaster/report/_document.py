"""A report as a small document tree, rendered to both HTML (_html) and Markdown (_markdown).

Text blocks use a tiny inline markup that both renderers understand: ``code``, **bold** and
[label](link), with ``\\x`` for a literal x. A string that comes from a user or a file (a
scenario name or description, a path, an override, any value read back) enters a block only
through :func:`literal` or :func:`code`, so it is text, never markup; a link is kept only
when its target is relative or uses an allowed scheme (:data:`LINK_SCHEMES`).
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from collections.abc import Sequence
from typing import Any, Literal

_MARKUP = re.compile(r"([\\`*\[\]()])")
_ESCAPED = re.compile(r"\\([\\`*\[\]()])")
_PRIVATE = 0xE000  # escaped characters travel as private-use code points while parsing
_SPANS = re.compile(
    r"`(?P<code>[^`]+)`|\*\*(?P<bold>[^*]+)\*\*|\[(?P<label>[^\]]+)\]\((?P<href>[^)\s]+)\)"
)
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_HREF = re.compile(r"^[A-Za-z0-9._~/#?=%+,@:-]*$")


def literal(value: Any) -> str:
    """``value`` as text: its markup characters escaped, so it renders as written."""
    return _MARKUP.sub(r"\\\1", str(value))


def code(value: Any) -> str:
    """``value`` as a code span (escaped like :func:`literal`)."""
    return f"`{literal(value)}`"


def safe_href(href: str) -> bool:
    """A link target a report may carry: relative (not ``//host``) or of an allowed scheme,
    of URL characters only (no entities, quotes, spaces or controls)."""
    if not _HREF.match(href) or href.startswith("//"):
        return False
    scheme = urllib.parse.urlsplit(href).scheme
    return (scheme == "" and ":" not in href.split("/", 1)[0]) or scheme.lower() in LINK_SCHEMES


@dataclasses.dataclass(frozen=True)
class Span:
    """A piece of inline text: plain, code, bold, or a link (``href`` already checked)."""

    kind: Literal["text", "code", "bold", "link"]
    text: str
    href: str | None = None


def _restore(text: str) -> str:
    return re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m.group()) - _PRIVATE), text)


def spans(text: str) -> list[Span]:
    """Parse the inline markup; a link to a refused target becomes its label as text."""
    hidden = _ESCAPED.sub(lambda m: chr(_PRIVATE + ord(m.group(1))), text)
    out: list[Span] = []
    at = 0
    for match in _SPANS.finditer(hidden):
        if match.start() > at:
            out.append(Span("text", _restore(hidden[at : match.start()])))
        if match["code"] is not None:
            out.append(Span("code", _restore(match["code"])))
        elif match["bold"] is not None:
            out.append(Span("bold", _restore(match["bold"])))
        else:
            href = _restore(match["href"])
            label = _restore(match["label"])
            out.append(Span("link", label, href) if safe_href(href) else Span("text", label))
        at = match.end()
    if at < len(hidden):
        out.append(Span("text", _restore(hidden[at:])))
    return out


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
