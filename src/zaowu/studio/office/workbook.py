"""WorkbookPlan → XLSX with openpyxl.

Each sheet: a bold, frozen, filterable header row in row 1; typed cells with
number formats from row 2; an optional totals row of real formulas
(``=SUM(B2:B9)``, ``=AVERAGE(...)``); growth columns as formulas; column widths fitted to the content
(CJK counted double); a native bar/line/pie chart below the table; and a print
setup (title in the page header, page numbers, header row repeated, fit to width)
so the PDF export reads like a report.

Only the totals row holds formulas: every other text cell (headers, labels, what the
model wrote) is stored as a string, never a formula, and one that a spreadsheet would
read as a formula (``=``, ``+``, ``-``, ``@``) is also marked quote-prefixed, so it is
shown and kept as text even when edited (no formula or DDE injection).
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from .cells import coerce, display_text, number_format, text_width
from .plans import ChartPlan, SheetPlan, WorkbookPlan, parse_plan

log = logging.getLogger(__name__)

__all__ = ["render_xlsx"]

_HEADER_FILL = "DCE6F1"
_FONT = "Calibri"  # openpyxl's default body font; named so bold cells do not fall back to a serif
_TOTAL_LABEL = {"en": ("Total", "Average"), "zh": ("合计", "平均")}


def render_xlsx(plan: WorkbookPlan | dict[str, Any]) -> bytes:
    """The workbook as XLSX bytes; a dict is validated first (InvalidRequest names the field)."""
    from openpyxl import Workbook

    plan = parse_plan("xlsx", plan)
    lang = plan.lang()
    book = Workbook()
    book.remove(book.active)
    book.properties.title = plan.title
    book.properties.creator = "zaowu"
    book.properties.language = "zh-CN" if lang == "zh" else "en-US"
    for sheet in plan.sheets:
        _write_sheet(book, sheet, plan)
    out = io.BytesIO()
    book.save(out)
    log.debug("rendered workbook %r: %d sheets, %d bytes", plan.title, len(plan.sheets), out.tell())
    return out.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets take as the start of a formula


def _put(ws, row: int, column: int, value: Any):
    """Write a value a plan gave; strings are always text, never formulas."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(_FORMULA_START):
            cell.quotePrefix = True
    return cell


def _sheet_title(name: str) -> str:
    """Excel forbids []:*?/\\ in sheet names and leading/trailing apostrophes."""
    return re.sub(r"[\[\]:*?/\\]", "-", name).strip("'")[:31] or "Sheet"


def _write_sheet(book, sheet: SheetPlan, plan: WorkbookPlan) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(_sheet_title(sheet.name))
    currency = plan.currency_symbol()
    widths = [text_width(c.header) + 2 for c in sheet.columns]
    rule = Side(style="thin", color="808080")
    for c, col in enumerate(sheet.columns, start=1):
        cell = _put(ws, 1, c, col.header)
        cell.font = Font(name=_FONT, size=11, bold=True)
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=False)
        cell.border = Border(bottom=rule)
    for r, row in enumerate(sheet.rows, start=2):
        for c, col in enumerate(sheet.columns, start=1):
            value = coerce(row[c - 1] if c - 1 < len(row) else None, col.type)
            cell = _put(ws, r, c, value)
            if value is not None and not isinstance(value, str):
                cell.number_format = number_format(col.type, currency)
            widths[c - 1] = max(widths[c - 1], text_width(display_text(value, col.type, currency)))
    last = len(sheet.rows) + 1
    _write_growth(ws, sheet, last, number_format("percent", currency))
    if any(col.total != "none" for col in sheet.columns):
        _write_totals(ws, sheet, plan, last, widths, Border(top=rule))
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{last}"
    _print_setup(ws, plan.title, sum(widths))
    if sheet.chart:
        _add_chart(ws, sheet, sheet.chart, last, currency)


def _write_growth(ws, sheet: SheetPlan, last: int, percent: str) -> None:
    """Growth columns as formulas: against the previous row (period over period) or another column
    of the same row (year over year); blank where the base is empty or zero."""
    from openpyxl.utils import get_column_letter

    letters = {col.header: get_column_letter(i) for i, col in enumerate(sheet.columns, start=1)}
    for c, col in enumerate(sheet.columns, start=1):
        if not col.growth_of:
            continue
        value = letters[col.growth_of]
        for r in range(2, last + 1):
            base = f"{letters[col.growth_vs]}{r}" if col.growth_vs else f"{value}{r - 1}" if r > 2 else None
            cell = ws.cell(
                row=r,
                column=c,
                value=None if base is None else f'=IF(OR({base}="",{base}=0,{value}{r}=""),"",{value}{r}/{base}-1)',
            )
            cell.number_format = percent


def _write_totals(ws, sheet: SheetPlan, plan: WorkbookPlan, last: int, widths: list[int], border) -> None:
    """One row of real formulas under the data; a label in the first column when it has no total."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    row = last + 1
    currency = plan.currency_symbol()
    kinds = {col.total for col in sheet.columns} - {"none"}
    total, average = _TOTAL_LABEL[plan.lang()]
    for c, col in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=row, column=c)
        cell.font = Font(name=_FONT, size=11, bold=True)
        cell.border = border
        if col.total == "none":
            if c == 1:
                _put(ws, row, c, average if kinds == {"average"} else total)
            continue
        letter = get_column_letter(c)
        cell.value = f"={'SUM' if col.total == 'sum' else 'AVERAGE'}({letter}2:{letter}{last})"
        cell.number_format = number_format(col.type, currency)
        numbers = [
            v
            for v in (coerce(r[c - 1] if c - 1 < len(r) else None, col.type) for r in sheet.rows)
            if isinstance(v, (int, float))
        ]
        estimate = sum(numbers) / (len(numbers) if col.total == "average" and numbers else 1)
        widths[c - 1] = max(widths[c - 1], text_width(display_text(estimate, col.type, currency)))


def _print_setup(ws, title: str, table_width: int) -> None:
    ws.oddHeader.center.text = title.replace("&", "&&")
    ws.oddFooter.center.text = "&P / &N"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape" if table_width > 90 else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _add_chart(ws, sheet: SheetPlan, spec: ChartPlan, last: int, currency: str) -> None:
    """A native chart of the data rows (never the totals row), anchored below the table."""
    from openpyxl.chart import BarChart, LineChart, PieChart, Reference
    from openpyxl.chart.label import DataLabelList

    index = {col.header: i for i, col in enumerate(sheet.columns, start=1)}
    chart = {"bar": BarChart, "line": LineChart, "pie": PieChart}[spec.type]()
    values = spec.values[:1] if spec.type == "pie" else spec.values  # a pie shows one series
    for name in values:
        chart.add_data(Reference(ws, min_col=index[name], min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=index[spec.category], min_row=2, max_row=last))
    chart.title = spec.title or None
    chart.width, chart.height = 18, 9
    if spec.type == "pie":
        chart.dataLabels = DataLabelList()
        chart.dataLabels.showPercent = True
    else:
        _label_axes(chart, sheet, spec, values, currency)
    totals = any(col.total != "none" for col in sheet.columns)
    ws.add_chart(chart, f"A{last + (3 if totals else 2)}")


def _label_axes(chart, sheet: SheetPlan, spec: ChartPlan, values: list[str], currency: str) -> None:
    first = next(col for col in sheet.columns if col.header == values[0])
    chart.x_axis.title = spec.category
    chart.y_axis.title = values[0] if len(values) == 1 else None
    chart.y_axis.number_format = number_format(first.type, currency)
    chart.x_axis.delete = False  # openpyxl 3.1 hides axes unless told otherwise
    chart.y_axis.delete = False
    if len(values) == 1:
        chart.legend = None  # the axis title already names the one series
    if spec.type == "bar":
        chart.type = "col"
