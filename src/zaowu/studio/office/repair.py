"""Repairs for plans written by small LLMs, applied by ``plans.from_llm`` before validation.

Constrained decoding makes the JSON match ``llm_schema()``, but a schema cannot
say "a chart names an existing column" or "a row is no longer than the header".
Rather than fail a user's run on such slips, ``repair_plan`` fixes them the obvious
way and logs each fix:

- blank required text gets a neutral placeholder; blank bullets and paragraphs go;
- repeated sheet names and column headers get " 2", " 3";
- a total on a non-numeric column becomes 'none'; cells past the last column go;
- a chart's category and values are matched to headers (case, containment); values
  that match no numeric column go; with none left the first numeric column is plotted,
  and a sheet without numeric columns gets no chart;
- table cells past the last header go;
- left/right bullets on a slide that is not two_column join its bullets (at most 6).

Plans from people and programs go through the strict models (``parse_plan``) instead.
This module works on plain dicts and does not import the plan models, so ``plans`` can import it.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from .columns import NUMERIC_TYPES

log = logging.getLogger(__name__)

__all__ = ["repair_plan"]

_MAX_BULLETS = 6


def repair_plan(kind: str, data: Any) -> Any:
    """A copy of ``data`` with what a small model typically gets wrong repaired (``data`` itself when it is
    not a dict); validation is the caller's (``plans.from_llm``)."""
    if isinstance(data, dict):
        notes: list[str] = []
        fix = {"xlsx": _workbook, "docx": _document, "pptx": _deck}.get(kind)
        if fix is not None:
            data = copy.deepcopy(data)
            try:
                fix(data, notes)
            except (AttributeError, TypeError, KeyError, IndexError):
                log.debug("plan shape unexpected; validation will name the field", exc_info=True)
            for note in notes:
                log.info("repaired LLM %s plan: %s", kind, note)
    return data


def _text(value: Any, fallback: str, where: str, notes: list[str]) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        notes.append(f"{where} was blank; set to '{fallback}'")
    return text or fallback


def _lines(items: Any) -> Any:
    return [s for s in items if not isinstance(s, str) or s.strip()] if isinstance(items, list) else items


def _unique(names: list[str], where: str, notes: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{name} {n}"
        if candidate != name:
            notes.append(f"{where}: repeated '{name}' renamed '{candidate}'")
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def _match(name: Any, candidates: list[str]) -> str | None:
    """The candidate ``name`` means: equal, equal ignoring case, or one containing the other."""
    if not isinstance(name, str) or not name.strip():
        return None
    key = name.strip().casefold()
    for test in (lambda c: c == key, lambda c: key in c or c in key):
        for candidate in candidates:
            if test(candidate.casefold()):
                return candidate
    return None


def _workbook(data: dict, notes: list[str]) -> None:
    data["title"] = _text(data.get("title"), "Workbook", "title", notes)
    sheets = data.get("sheets") or []
    names = [_text(s.get("name"), f"Sheet{i + 1}", f"sheets.{i}.name", notes) for i, s in enumerate(sheets)]
    for i, (sheet, name) in enumerate(zip(sheets, _unique(names, "sheets", notes))):
        sheet["name"] = name
        _sheet(sheet, f"sheets.{i}", notes)


def _sheet(sheet: dict, path: str, notes: list[str]) -> None:
    columns = sheet.get("columns") or []
    headers = [
        _text(c.get("header"), f"Column {i + 1}", f"{path}.columns.{i}.header", notes) for i, c in enumerate(columns)
    ]
    headers = _unique(headers, f"{path}.columns", notes)
    for i, (column, header) in enumerate(zip(columns, headers)):
        column["header"] = header
        if column.get("total", "none") != "none" and column.get("type", "text") not in NUMERIC_TYPES:
            notes.append(f"{path}.columns.{i}.total: no {column['total']} of a {column.get('type', 'text')} column")
            column["total"] = "none"
    rows = sheet.get("rows") or []
    for r, row in enumerate(rows):
        if isinstance(row, list) and len(row) > len(columns):
            notes.append(f"{path}.rows.{r}: dropped {len(row) - len(columns)} cells past the last column")
            rows[r] = row[: len(columns)]
    if isinstance(sheet.get("chart"), dict):
        _chart(sheet, columns, headers, path, notes)


def _chart(sheet: dict, columns: list[dict], headers: list[str], path: str, notes: list[str]) -> None:
    chart = sheet["chart"]
    numeric = [h for h, c in zip(headers, columns) if c.get("type", "text") in NUMERIC_TYPES]
    labels = [h for h, c in zip(headers, columns) if c.get("type", "text") not in NUMERIC_TYPES]
    category = _match(chart.get("category"), headers) or (labels or headers)[0]
    values: list[str] = []
    for name in chart.get("values") or []:
        found = _match(name, [h for h in numeric if h != category])
        if found and found not in values:
            values.append(found)
    values = values or [h for h in numeric if h != category][:1]
    if not values:
        notes.append(f"{path}.chart: no numeric column to plot; chart left out")
        del sheet["chart"]
        return
    if category != chart.get("category") or values != chart.get("values"):
        notes.append(
            f"{path}.chart: plots {values} by '{category}' (asked {chart.get('values')} by '{chart.get('category')}')"
        )
    chart["category"], chart["values"] = category, values


def _document(data: dict, notes: list[str]) -> None:
    data["title"] = _text(data.get("title"), "Document", "title", notes)
    for i, section in enumerate(data.get("sections") or []):
        section["heading"] = _text(section.get("heading"), str(i + 1), f"sections.{i}.heading", notes)
        for field in ("paragraphs", "bullets"):
            section[field] = _lines(section.get(field, []))
        table = section.get("table")
        if isinstance(table, dict):
            width = len(table.get("headers") or [])
            for r, row in enumerate(table.get("rows") or []):
                if isinstance(row, list) and len(row) > width:
                    notes.append(f"sections.{i}.table.rows.{r}: dropped {len(row) - width} cells past the last header")
                    table["rows"][r] = row[:width]


def _deck(data: dict, notes: list[str]) -> None:
    data["title"] = _text(data.get("title"), "Presentation", "title", notes)
    for i, slide in enumerate(data.get("slides") or []):
        slide["title"] = _text(slide.get("title"), data["title"], f"slides.{i}.title", notes)
        bullets, left, right = (_lines(slide.get(k, [])) for k in ("bullets", "left", "right"))
        if slide.get("kind", "content") != "two_column" and (left or right):
            notes.append(f"slides.{i}: left/right bullets on a {slide.get('kind', 'content')} slide joined its bullets")
            bullets, left, right = (bullets + left + right)[:_MAX_BULLETS], [], []
        slide["bullets"], slide["left"], slide["right"] = bullets, left, right
