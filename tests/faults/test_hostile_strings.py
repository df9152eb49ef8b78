"""Hostile strings reaching every report: a scenario's name and description, overrides,
values read back from summary.json, sweep job names, a calibration run's files.

In report.html every such string is escaped text (the only tags are the report's own, every
link is relative or http(s)/mailto, no event handler, no script); in report.md Markdown's
markup and HTML are escaped, so no link, image or tag comes from a string.
"""

from __future__ import annotations

import html.parser
import json
import re
import shutil
import urllib.parse

import pytest
import yaml

from forecaster.report import write_report

pytestmark = pytest.mark.slow

PAYLOADS = [
    "[click](javascript:alert(1))",
    "<script>alert(2)</script>",
    "<img src=x onerror=alert(3)>",
    "![pic](javascript:alert(4))",
    "**bold** `code` | pipe _em_ <b>b</b> &amp;",
    "[ok](JaVaScRiPt:alert(5)) [x](data:text/html,hi)",
]
HOSTILE = " ".join(PAYLOADS)
TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "p", "nav",
    "a", "section", "div", "table", "caption", "thead", "tbody", "tr", "th", "td", "ul", "li",
    "figure", "img", "figcaption", "strong", "code", "details", "summary", "pre",
}  # fmt: skip


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def assert_safe_html(text: str) -> None:
    parser = _Tags()
    parser.feed(text)
    for tag, attrs in parser.found:
        assert tag in TAGS, tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            assert urllib.parse.urlsplit(href).scheme in ("", "http", "https", "mailto"), href
        if tag == "img":
            assert attrs["src"].startswith("data:image/png;base64,"), attrs["src"][:40]
    assert "javascript:" not in "".join(str(a) for _, a in parser.found).lower()


def assert_safe_markdown(text: str) -> None:
    """Outside code (where Markdown shows everything literally) no tag, link or image comes
    from a payload."""
    lines = [ln for ln in text.splitlines() if not ln.startswith('<a id="')]
    body = re.sub(r"^(`{3,})\n.*?^\1$", "", "\n".join(lines), flags=re.S | re.M)
    body = re.sub(r"(?<!\\)(`+)(?!`).+?(?<!`)\1(?!`)", "", body)
    for raw in (r"<script", r"<img", r"<b>", r"\]\(javascript", r"\]\(JaVaScRiPt", r"\]\(data:"):
        assert not re.search(r"(?<!\\)" + raw, body), raw  # only backslash-escaped
    assert "\\<script\\>" in body  # the payload is there, as text


def _hostile_run(run):
    summary = json.loads((run / "summary.json").read_text())
    summary["scenario"] = HOSTILE
    summary["versions"]["forecaster"] = HOSTILE
    summary["settings"]["returns"] = HOSTILE
    summary["device"]["kind"] = HOSTILE
    summary["priors"][HOSTILE] = HOSTILE
    for row in summary["sensitivity"]:
        row["parameter"] = HOSTILE
    (run / "summary.json").write_text(json.dumps(summary))
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["scenario"]["description"] = HOSTILE
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(PAYLOADS))


def test_a_runs_report_shows_hostile_strings_as_text(small_run, copy_of):
    run = copy_of(small_run)
    _hostile_run(run)
    write_report(run)
    page = (run / "report.html").read_text()
    assert_safe_html(page)
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert_safe_markdown((run / "report.md").read_text())


def test_a_calibration_runs_strings_are_text(small_run, copy_of, tmp_path):
    run = copy_of(small_run)
    calibration = tmp_path / "calibration"
    calibration.mkdir()
    (calibration / "posterior.nc").write_bytes(b"")
    info = {
        "model": HOSTILE,
        "description": HOSTILE,
        "n_observations": HOSTILE,
        "converged": True,
        "diagnostics": {"failures": PAYLOADS, "divergences": HOSTILE},
    }
    (calibration / "calibration.json").write_text(json.dumps(info))
    summary = json.loads((run / "summary.json").read_text())
    summary["posterior_files"] = [
        {"parameter": HOSTILE, "path": str(calibration / "posterior.nc"), "variable": HOSTILE}
    ]
    (run / "summary.json").write_text(json.dumps(summary))
    write_report(run)
    page = (run / "report.html").read_text()
    assert '<section id="calibration">' in page
    assert_safe_html(page)
    assert_safe_markdown((run / "report.md").read_text())


def test_a_sweeps_report_shows_hostile_job_names_and_values_as_text(small_run, tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    for name in ("0_[x](javascript:alert(1))", "1_<script>alert(2)<"):
        job = sweep / name
        shutil.copytree(small_run, job)
        _hostile_run(job)
        write_report(job)
    write_report(sweep)
    page = (sweep / "report.html").read_text()
    assert_safe_html(page)
    assert_safe_markdown((sweep / "report.md").read_text())
    assert "0_[x](javascript:alert(1))" in html_text(page)  # the name is shown, as text


def html_text(page: str) -> str:
    import html as html_module

    return html_module.unescape(page)
