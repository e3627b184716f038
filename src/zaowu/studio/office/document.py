"""DocumentPlan → DOCX with python-docx.

Built-in styles throughout (Title, Subtitle, Heading 1-3, List Bullet, a table
style), so the file restyles cleanly in Word or LibreOffice. Every style gets an
East Asian font (``w:eastAsia``) and the document an East Asian language, so
Chinese renders in the CJK face rather than a fallback; Chinese documents use A4.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from .cells import coerce
from .plans import DocumentPlan, TablePlan, parse_plan
from .text import CJK_FONT, CJK_LANG, bold_spans, strip_marker

log = logging.getLogger(__name__)

__all__ = ["render_docx", "TABLE_STYLE"]

TABLE_STYLE = "Light Grid Accent 1"


def render_docx(plan: DocumentPlan | dict[str, Any]) -> bytes:
    """The document as DOCX bytes; a dict is validated first (InvalidRequest names the field)."""
    from docx import Document

    plan = parse_plan("docx", plan)
    lang = plan.lang()
    doc = Document()
    _east_asian_fonts(doc)
    props = doc.core_properties
    props.title, props.author, props.language = plan.title, "zaowu", "zh-CN" if lang == "zh" else "en-US"
    if lang == "zh":
        _a4(doc)
    doc.add_paragraph(plan.title, style="Title")
    if plan.subtitle:
        doc.add_paragraph(plan.subtitle, style="Subtitle")
    for section in plan.sections:
        doc.add_heading(section.heading, level=section.level)
        for text in section.paragraphs:
            _add_runs(doc.add_paragraph(), text)
        for text in section.bullets:
            _add_runs(doc.add_paragraph(style="List Bullet"), strip_marker(text))
        if section.table is not None:
            _add_table(doc, section.table)
    out = io.BytesIO()
    doc.save(out)
    log.debug("rendered document %r: %d sections, %d bytes", plan.title, len(plan.sections), out.tell())
    return out.getvalue()


def _add_runs(paragraph, text: str) -> None:
    for span, bold in bold_spans(text):
        paragraph.add_run(span).bold = bold or None


def _add_table(doc, table_plan: TablePlan) -> None:
    """A styled table whose first row is a bold header repeated on every page."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    width = len(table_plan.headers)
    table = doc.add_table(rows=1 + len(table_plan.rows), cols=width)
    table.style = doc.styles[TABLE_STYLE]
    header = table.rows[0]
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for cell, text in zip(header.cells, table_plan.headers):
        cell.paragraphs[0].add_run(text).bold = True
    for row, values in zip(table.rows[1:], table_plan.rows):  # numbers, money, percentages align right
        for cell, text in zip(row.cells, list(values) + [""] * (width - len(values))):
            _add_runs(cell.paragraphs[0], text)
            if text and any(not isinstance(coerce(text, t), str) for t in ("currency", "percent")):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    look = table._tbl.tblPr.find(qn("w:tblLook"))
    if look is not None:
        look.set(qn("w:firstRow"), "1")
    doc.add_paragraph()  # keeps the next heading off the table's bottom edge


def _east_asian_fonts(doc) -> None:
    """Set w:eastAsia on the document defaults and every style that names fonts; East Asian language zh-CN."""
    from docx.oxml.ns import qn

    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    named = [s.element.rPr for s in doc.styles if s.element.rPr is not None and s.element.rPr.rFonts is not None]
    for rpr in [defaults, *named]:
        fonts = rpr.get_or_add_rFonts()
        fonts.attrib.pop(qn("w:eastAsiaTheme"), None)  # a theme font would override w:eastAsia
        fonts.set(qn("w:eastAsia"), CJK_FONT)
    lang = defaults.find(qn("w:lang"))
    if lang is None:
        lang = defaults.makeelement(qn("w:lang"), {})
        defaults.append(lang)
    lang.set(qn("w:eastAsia"), CJK_LANG)


def _a4(doc) -> None:
    from docx.shared import Mm

    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(25)
