"""report.md: the same document in Markdown, its figures as PNG files beside it."""

from __future__ import annotations

from ._document import Bullets, Code, Document, Image, Table, Text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(block: Table) -> list[str]:
    lines = [
        "| " + " | ".join(_cell(h) for h in block.header) + " |",
        "|" + "|".join("---" for _ in block.header) + "|",
        *("| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows),
    ]
    if block.caption:
        lines += ["", f"*{block.caption}*"]
    return lines


def _block(block: object) -> list[str]:
    if isinstance(block, Text):
        if block.kind == "lead":
            return [f"> **{block.text}**"]
        if block.kind == "warn":
            return [f"> **Warning:** {block.text}"]
        if block.kind == "note":
            return [f"*{block.text}*"]
        return [block.text]
    if isinstance(block, Bullets):
        return [f"- {item}" for item in block.items]
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Image):
        return [f"![{block.title}]({block.name}.png)", "", f"*{block.title}.* {block.caption}"]
    if isinstance(block, Code):
        fence = "~~~~" if "```" in block.text else "```"
        return [f"{block.summary}:", "", fence, block.text.rstrip("\n"), fence]
    raise TypeError(block)


def render(document: Document) -> str:
    lines = [f"# {document.title}", "", document.subtitle, ""]
    lines += ["Contents: " + " · ".join(f"[{s.title}](#{s.id})" for s in document.sections), ""]
    for section in document.sections:
        lines += [f'<a id="{section.id}"></a>', "", f"## {section.title}", ""]
        for block in section.blocks:
            lines += [*_block(block), ""]
    return "\n".join(lines).rstrip() + "\n"
