"""report.html: one self-contained file (inline CSS, images as base64 PNG data URIs, no
scripts, no external resources), readable offline in any browser."""

from __future__ import annotations

import base64
import html

from ._document import Bullets, Code, Document, Image, Span, Table, Text, spans

CSS = """
:root { --ink: #1d2733; --muted: #5b6673; --rule: #d9dee4; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f7f9; color: var(--ink);
  font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 48px; background: #fff;
  min-height: 100vh; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 0; color: var(--muted); }
nav { margin: 16px 0 8px; padding: 8px 0; border-top: 1px solid var(--rule);
  border-bottom: 1px solid var(--rule); font-size: 14px; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; }
section { margin-top: 30px; }
h2 { font-size: 20px; border-bottom: 2px solid var(--rule); padding-bottom: 4px; }
p.lead { font-size: 17px; background: #eef5fb; border-left: 4px solid var(--accent);
  padding: 10px 14px; margin: 10px 0; }
p.warn { background: #fff4e5; border-left: 4px solid #D55E00; padding: 8px 12px; }
p.note { color: var(--muted); font-size: 13.5px; }
.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 10px 0 6px; font-size: 14px; }
th, td { border: 1px solid var(--rule); padding: 4px 10px; text-align: left;
  vertical-align: top; }
th { background: #f0f3f6; }
td { font-variant-numeric: tabular-nums; }
caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: 13px;
  padding-top: 4px; }
figure { margin: 14px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 13.5px; margin-top: 4px; }
code, pre { font-family: "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
code { background: #f0f3f6; padding: 0 3px; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: #f6f8fa; border: 1px solid var(--rule); padding: 10px; overflow-x: auto; }
details summary { cursor: pointer; color: var(--accent); }
"""


def _span(span: Span) -> str:
    text = html.escape(span.text, quote=True)
    if span.kind == "code":
        return f"<code>{text}</code>"
    if span.kind == "bold":
        return f"<strong>{text}</strong>"
    if span.kind == "link":
        return f'<a href="{html.escape(span.href or "", quote=True)}">{text}</a>'
    return text


def inline(text: str) -> str:
    """Render the inline markup (`code`, **bold**, [label](href)); everything else is text."""
    return "".join(_span(s) for s in spans(text))


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _table(block: Table) -> str:
    head = "".join(f"<th>{inline(h)}</th>" for h in block.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>" for row in block.rows
    )
    caption = f"<caption>{inline(block.caption)}</caption>" if block.caption else ""
    return (
        f'<div class="table-wrap"><table>{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _block(block: object) -> str:
    if isinstance(block, Text):
        return f'<p class="{block.kind}">{inline(block.text)}</p>'
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{inline(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Image):
        alt = html.escape(block.title, quote=True)
        return (
            f'<figure id="fig-{block.name}"><img src="{data_uri(block.png)}" alt="{alt}">'
            f"<figcaption><strong>{html.escape(block.title)}.</strong> "
            f"{inline(block.caption)}</figcaption></figure>"
        )
    if isinstance(block, Code):
        return (
            f"<details><summary>{inline(block.summary)}</summary>"
            f"<pre>{html.escape(block.text)}</pre></details>"
        )
    raise TypeError(block)


def render(document: Document) -> str:
    nav = "".join(f'<a href="#{s.id}">{html.escape(s.title)}</a>' for s in document.sections)
    sections = "\n".join(
        f'<section id="{s.id}"><h2>{html.escape(s.title)}</h2>\n'
        + "\n".join(_block(b) for b in s.blocks)
        + "</section>"
        for s in document.sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(document.title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<main>\n<header><h1>{html.escape(document.title)}</h1>"
        f"<p>{inline(document.subtitle)}</p></header>\n<nav>{nav}</nav>\n{sections}\n"
        "</main>\n</body>\n</html>\n"
    )
