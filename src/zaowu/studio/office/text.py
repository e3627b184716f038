"""Text helpers shared by the DOCX and PPTX renderers.

LLMs write Markdown habits into plain fields: a leading "- " or "1. " on a
bullet, ``**bold**`` inside a sentence. The renderers turn those into real
list formatting and bold runs instead of printing the marks.
"""

from __future__ import annotations

import re

__all__ = ["CJK_FONT", "CJK_LANG", "strip_marker", "bold_spans"]

CJK_FONT = "Noto Sans CJK SC"  # Debian fonts-noto-cjk; Word and PowerPoint fall back when it is absent
CJK_LANG = "zh-CN"

_MARKER = re.compile(r"^\s*(?:[-*](?=\s)\s*|[•·▪●]\s*|\d{1,2}(?:[.)]\s+|、))")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def strip_marker(text: str) -> str:
    """'- item', '• item', '1. item', '1、项目' → the item text."""
    return _MARKER.sub("", text, count=1).strip() or text.strip()


def bold_spans(text: str) -> list[tuple[str, bool]]:
    """Split ``**bold**`` Markdown into (text, bold) spans; unmatched ``**`` stays as written."""
    spans: list[tuple[str, bool]] = []
    pos = 0
    for m in _BOLD.finditer(text):
        if m.start() > pos:
            spans.append((text[pos : m.start()], False))
        spans.append((m[1], True))
        pos = m.end()
    if pos < len(text) or not spans:
        spans.append((text[pos:], False))
    return spans
