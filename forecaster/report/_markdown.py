"""report.md: the same document in Markdown, its figures as PNG files beside it.

Text is escaped for Markdown (no raw HTML, no markup of its own): ``<``, ``>``, ``&`` and the
characters of inline markup are backslash-escaped, as is a line start that would open a
heading or a list; code spans are fenced with more backticks than they hold, and only links
that passed the allow-list stay links.
"""

from __future__ import annotations

import re

from ._document import Bullets, Code, Document, Image, Span, Table, Text, spans

# Markup characters; ``_`` only where it could open or close emphasis (not inside a word).
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_BLOCK_START = re.compile(r"^(?:([#+=-])|(\d+)([.)]))")


def escape(text: str) -> str:
    """Plain text for Markdown: its punctuation and HTML characters are literal."""
    return _MD_SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def _line(text: str) -> str:
    """A rendered line that cannot open a heading, a list or a setext underline."""
    return _BLOCK_START.sub(
        lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text.lstrip(), count=1
    )


def _code_span(text: str, in_table: bool) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    body = text.replace("\n", " ")
    if in_table:  # GitHub tables split cells at | even inside code spans
        body = body.replace("|", "\\|")
    return f"{fence}{pad}{body}{pad}{fence}"


def _span(span: Span, in_table: bool = False) -> str:
    if span.kind == "code":
        return _code_span(span.text, in_table)
    if span.kind == "bold":
        return f"**{escape(span.text)}**"
    if span.kind == "link":
        return f"[{escape(span.text)}]({span.href})"
    return escape(span.text)


def inline(text: str, in_table: bool = False) -> str:
    """Render the inline markup in Markdown; everything else is escaped text."""
    return "".join(_span(s, in_table) for s in spans(text))


def _cell(text: str) -> str:
    return inline(text, in_table=True)


def _table(block: Table) -> list[str]:
    lines = [
        "| " + " | ".join(_cell(h) for h in block.header) + " |",
        "|" + "|".join("---" for _ in block.header) + "|",
        *("| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows),
    ]
    if block.caption:
        lines += ["", f"*{inline(block.caption)}*"]
    return lines


def _block(block: object) -> list[str]:
    if isinstance(block, Text):
        text = _line(inline(block.text))
        if block.kind == "lead":
            return [f"> **{text}**"]
        if block.kind == "warn":
            return [f"> **Warning:** {text}"]
        if block.kind == "note":
            return [f"*{text}*"]
        return [text]
    if isinstance(block, Bullets):
        return [f"- {_line(inline(item))}" for item in block.items]
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Image):
        title = escape(block.title)
        return [f"![{title}]({block.name}.png)", "", f"*{title}.* {inline(block.caption)}"]
    if isinstance(block, Code):
        longest = max((len(run) for run in re.findall(r"`+", block.text)), default=0)
        fence = "`" * max(3, longest + 1)
        return [f"{inline(block.summary)}:", "", fence, block.text.rstrip("\n"), fence]
    raise TypeError(block)


def render(document: Document) -> str:
    lines = [f"# {escape(document.title)}", "", _line(inline(document.subtitle)), ""]
    contents = " · ".join(f"[{escape(s.title)}](#{s.id})" for s in document.sections)
    lines += [f"Contents: {contents}", ""]
    for section in document.sections:
        lines += [f'<a id="{section.id}"></a>', "", f"## {escape(section.title)}", ""]
        for block in section.blocks:
            lines += [*_block(block), ""]
    return "\n".join(lines).rstrip() + "\n"
