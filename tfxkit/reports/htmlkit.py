"""The HTML kit every report view builds with: escaping, tables, the report style and pages.

One escaping function (`esc`) serves every view and the SVG drawings, so text from artifacts,
metadata and user code (feature names, URIs, messages) is always shown, never interpreted.
Pure Python; imports nothing from the rest of tfxkit.
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["STYLE", "esc", "page", "table", "wrap"]

STYLE = (
    ".tfxkit-report{font-family:sans-serif;font-size:13px}"
    ".tfxkit-report table{border-collapse:collapse;margin:.5em 0}"
    ".tfxkit-report td,.tfxkit-report th{border:1px solid #ccc;padding:3px 8px;text-align:left;"
    "vertical-align:top}"
    ".tfxkit-report th{background:#f3f3f3}.tfxkit-report .good{color:#1b5e20}"
    ".tfxkit-report .bad{color:#b71c1c}.tfxkit-report .uri{color:#555;margin-top:0}"
    ".tfxkit-report .charts svg{margin:0 12px 12px 0}.tfxkit-report .graph{overflow-x:auto}"
    ".tfxkit-report td code{word-break:break-all}"
)


def esc(value: object) -> str:
    """`str(value)` as HTML text, quotes included (safe in element text and attributes, and in
    SVG, which is XML)."""
    return html.escape(str(value), quote=True)


def cell_text(value: Any) -> str:
    """How a table shows a value: floats to 4 significant digits, None as empty."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def table(header: list[str], rows: list[list[Any]], raw_columns: frozenset[int] = frozenset()
          ) -> str:
    """An HTML table; cells are escaped except in the column indexes of `raw_columns` (which
    hold HTML the caller built)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell if i in raw_columns else esc(cell_text(cell))}</td>"
                         for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def wrap(fragment: str) -> str:
    """`fragment` inside a `<div class="tfxkit-report">` with its style (for notebooks)."""
    return f"<div class='tfxkit-report'><style>{STYLE}</style>{fragment}</div>"


def page(title: str, fragment: str) -> str:
    """A self-contained HTML page titled `title` around `fragment`."""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(title)}"
            f"</title><style>body{{margin:1.5em}}{STYLE}</style></head><body "
            f"class='tfxkit-report'><h1>{esc(title)}</h1>{fragment}</body></html>")
