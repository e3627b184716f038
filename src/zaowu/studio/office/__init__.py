"""Office files from content plans: XLSX workbooks, DOCX documents, PPTX decks, and PDF.

    plan = WorkbookPlan.model_validate(llm_json)      # or DocumentPlan / DeckPlan
    xlsx = render_xlsx(plan)                          # bytes; render_docx, render_pptx alike
    pdf = to_pdf(xlsx, "xlsx")                        # LibreOffice headless

The LLM writes the plan through JSON-schema constrained decoding with
``WorkbookPlan.llm_schema()`` (flat, bounded, no ``$ref``/``anyOf``); cells it writes
as text ("¥1,200", "12.5%", "2026-03-01") are coerced to the column's type.
A bad plan raises InvalidRequest naming the field path (``plan.sheets.0.rows.3``);
``WorkbookPlan.from_llm(data)`` (or ``from_llm("xlsx", data)``) first repairs the slips a
small model makes that a schema cannot rule out (a chart naming a missing column...).

Modules: ``plans`` (the plan models, their LLM schemas, from_llm), ``repair`` (the fixes from_llm
applies), ``columns`` (column types), ``cells`` (coercion, number formats, widths),
``workbook``/``document``/``deck`` (one renderer each), ``pdf`` (LibreOffice conversion).
Importing this package loads no office library.
"""

from __future__ import annotations

from typing import Any

from .deck import render_pptx
from .document import render_docx
from .pdf import LIBREOFFICE_PACKAGES, soffice_path, to_pdf
from .plans import (
    ChartPlan,
    ColumnPlan,
    DeckPlan,
    DocumentPlan,
    PlanError,
    SectionPlan,
    SheetPlan,
    SlidePlan,
    TablePlan,
    WorkbookPlan,
    from_llm,
    parse_plan,
)
from .workbook import render_xlsx

__all__ = [
    "WorkbookPlan",
    "SheetPlan",
    "ColumnPlan",
    "ChartPlan",
    "DocumentPlan",
    "SectionPlan",
    "TablePlan",
    "DeckPlan",
    "SlidePlan",
    "PlanError",
    "parse_plan",
    "from_llm",
    "render",
    "render_xlsx",
    "render_docx",
    "render_pptx",
    "to_pdf",
    "soffice_path",
    "LIBREOFFICE_PACKAGES",
    "MEDIA_TYPES",
    "PLAN_TYPES",
]

MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
}
PLAN_TYPES = {"xlsx": WorkbookPlan, "docx": DocumentPlan, "pptx": DeckPlan}
_RENDERERS = {"xlsx": render_xlsx, "docx": render_docx, "pptx": render_pptx}


def render(kind: str, plan: WorkbookPlan | DocumentPlan | DeckPlan | dict[str, Any], pdf: bool = False) -> bytes:
    """Render a plan as ``kind`` (xlsx, docx, pptx); with ``pdf=True`` convert the file to PDF too."""
    plan = parse_plan(kind, plan)  # checks kind and the plan, naming the field on error
    data = _RENDERERS[kind](plan)
    return to_pdf(data, kind) if pdf else data
