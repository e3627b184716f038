"""The blanks of an office plan → one JSON schema and prompt for the model; its answer → merged into the blanks.

A skeleton (see ``skeleton``) or a repaired plan (see ``checks``) leaves blank what only the model
can write: the value cells of a table (and the names of unnamed products), the bullets and notes of
a slide, the paragraphs of a section. ``fill_request`` asks for exactly those, in a schema sized to
them (14 weeks need 14 rows, never "at most 12"), each row or slide keyed by its label so a small
model knows what it is writing; ``merge_fill`` writes the answer into the blanks only, so nothing
laid out in code (dates, labels, formulas, titles) is ever overwritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .plans import NUMERIC_TYPES
from .skeleton import wants_table

__all__ = ["PLACEHOLDER_TITLES", "FillRequest", "blank_parts", "fill_request", "merge_fill"]

MAX_FILL_TOKENS = 6000  # one fill call's ceiling
MAX_LABEL_CONSTS = 400  # row labels written into the schema as constants (each costs grammar states)
LABEL_CHARS = 40  # a name the model writes in a label cell (a product, a store)
BULLET_CHARS = 100
NOTES_CHARS = 300
PARAGRAPH_CHARS = 500
PLACEHOLDER_TITLES = frozenset({"Workbook", "工作簿", "Presentation", "演示文稿", "Document", "文档", "Title", "封面"})
_GUIDE = {
    "xlsx": (
        (
            "Fill the table with concrete, plausible figures for the request. Write numbers only: money without a "
            "currency sign, a percentage as 12.5 for 12.5%."
        ),
        "按要求给表格填入具体、合理的数据。只写数字：金额不带货币符号，百分比写成 12.5 表示 12.5%。",
    ),
    "pptx": (
        (
            "Write each slide's content for the request: 2-5 short bullets on the slide's topic and one or two "
            "sentences of speaker notes."
        ),
        "按要求写每页幻灯片的内容：2-5 条紧扣本页主题的简短要点，以及一两句演讲者备注。",
    ),
    "docx": (
        (
            "Write each section of the document for the request: 1-2 concrete paragraphs on the section's "
            "heading, bullets and a table where they help."
        ),
        "按要求写文档的每一章：1-2 段紧扣小标题的具体段落，需要时加要点和表格。",
    ),
}


@dataclass
class FillRequest:
    """What to ask the model for one round of filling, and where the answer goes."""

    kind: str
    schema: dict[str, Any]
    prompt: str
    system: str
    max_tokens: int
    targets: list[Any] = field(default_factory=list)
    with_title: bool = False


def _str(max_len: int, min_len: int = 1) -> dict[str, Any]:
    return {"type": "string", "minLength": min_len, "maxLength": max_len}


def _array(items: dict[str, Any], low: int, high: int) -> dict[str, Any]:
    return {"type": "array", "items": items, "minItems": low, "maxItems": high}


def _object(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _system(kind: str, lang: str, today: dt.date, requirements: str) -> str:
    zh = lang == "zh"
    day = f"今天是 {today.isoformat()}。" if zh else f"Today is {today.isoformat()}."
    text = f"{day}\n{_GUIDE[kind][1 if zh else 0]}"
    if requirements:
        text += ("\n要求：" if zh else "\nRequirements: ") + requirements
    return text + ("\n只输出 JSON。" if zh else "\nJSON only.")


# ---------------------------------------------------------------- workbook


def _fillable(column: dict) -> bool:
    return not column.get("growth_of") and column.get("type", "text") != "date"


def _workbook_targets(plan: dict) -> list[tuple[int, list[int], list[int]]]:
    """(sheet index, row indexes with blanks, column indexes to fill) per sheet that has blanks."""
    out = []
    for s, sheet in enumerate(plan.get("sheets") or []):
        columns = sheet.get("columns") or []
        fill = [j for j, col in enumerate(columns) if _fillable(col)]
        rows = [
            r
            for r, row in enumerate(sheet.get("rows") or [])
            if any(_blank(row[j] if j < len(row) else None) for j in fill)
        ]
        cols = [
            j for j in fill if any(_blank(sheet["rows"][r][j] if j < len(sheet["rows"][r]) else None) for r in rows)
        ]
        if rows and cols:
            out.append((s, rows, cols))
    return out


def _cell_schema(column: dict) -> dict[str, Any]:
    kind = column.get("type", "text")
    if kind == "integer":
        return {"type": "integer"}
    if kind in NUMERIC_TYPES:
        return {"type": "number"}
    return _str(LABEL_CHARS)


def _row_label(sheet: dict, row: list, fill_cols: list[int]) -> tuple[str, str] | None:
    """(header, text) of the row's first written label cell, to key the row for the model."""
    for j, col in enumerate(sheet["columns"]):
        if j not in fill_cols and j < len(row) and not _blank(row[j]) and not col.get("growth_of"):
            return col["header"], str(row[j])
    return None


def _workbook_fill(plan: dict, lang: str, today: dt.date, instruction: str, requirements: str) -> FillRequest | None:
    targets = _workbook_targets(plan)
    if not targets:
        return None
    consts = sum(len(rows) for _, rows, _ in targets) <= MAX_LABEL_CONSTS
    sheets_schema, lines, cells = {}, [], 0
    for s, rows, cols in targets:
        sheet = plan["sheets"][s]
        items, labels = [], []
        for i, r in enumerate(rows):
            label = _row_label(sheet, sheet["rows"][r], cols)
            labels.append(label[1] if label else str(i + 1))
            props: dict[str, Any] = {label[0]: {"const": label[1]}} if label and consts else {}
            props.update({sheet["columns"][j]["header"]: _cell_schema(sheet["columns"][j]) for j in cols})
            items.append(_object(props))
        # one schema per row (prefixItems), so each row carries its own label and the count is exact
        sheets_schema[sheet["name"]] = {
            "type": "array",
            "prefixItems": items,
            "minItems": len(rows),
            "maxItems": len(rows),
        }
        headers = " | ".join(c["header"] for c in sheet["columns"])
        fill = ", ".join(sheet["columns"][j]["header"] for j in cols)
        lines.append(f"{sheet['name']}: {headers}\n  rows: {', '.join(labels)}\n  fill: {fill}")
        cells += len(rows) * (len(cols) + 1)
    with_title = plan.get("title") in PLACEHOLDER_TITLES
    props = {"title": _str(60)} if with_title else {}
    props["sheets"] = _object(sheets_schema)
    zh = lang == "zh"
    prompt = f"{instruction}\n\n" + ("表格：\n" if zh else "Tables:\n") + "\n".join(lines)
    budget = 64 + int(cells * 12 * (1.5 if zh else 1.0)) + (60 if with_title else 0)
    return FillRequest(
        "xlsx",
        _object(props),
        prompt,
        _system("xlsx", lang, today, requirements),
        min(budget, MAX_FILL_TOKENS),
        targets,
        with_title,
    )


def _merge_workbook(plan: dict, request: FillRequest, answer: dict) -> int:
    filled = 0
    sheets = answer.get("sheets") or {}
    for s, rows, cols in request.targets:
        sheet = plan["sheets"][s]
        given = sheets.get(sheet["name"]) or []
        for r, values in zip(rows, given):
            if not isinstance(values, dict):
                continue
            row = sheet["rows"][r]
            row.extend([None] * (len(sheet["columns"]) - len(row)))
            for j in cols:
                value = values.get(sheet["columns"][j]["header"])
                if _blank(row[j]) and not _blank(value) and not isinstance(value, bool):
                    row[j] = value.strip() if isinstance(value, str) else value
                    filled += 1
    _merge_title(plan, request, answer)
    return filled


# ---------------------------------------------------------------- deck


def _slide_key(index: int, title: str) -> str:
    return f"{index + 2}. {title}" if title.strip() else str(index + 2)


def _deck_fill(plan: dict, lang: str, today: dt.date, instruction: str, requirements: str) -> FillRequest | None:
    targets = [
        i
        for i, s in enumerate(plan.get("slides") or [])
        if _blank(s.get("title")) or (s.get("kind", "content") != "section" and not _slide_has_body(s))
    ]
    if not targets:
        return None
    slides = {}
    for i in targets:
        slide = plan["slides"][i]
        props: dict[str, Any] = {"title": _str(60, 2)} if _blank(slide.get("title")) else {}
        props["bullets"] = _array(_str(BULLET_CHARS, 2), 2, 5)
        props["notes"] = _str(NOTES_CHARS, 0)
        slides[_slide_key(i, slide.get("title") or "")] = _object(props)
    return _outline_request("pptx", plan, slides, targets, (lang, today, instruction, requirements))


def _outline_request(
    kind: str, plan: dict, parts: dict[str, Any], targets: list[int], asked: tuple[str, dt.date, str, str]
) -> FillRequest:
    """A deck's or document's request: its parts keyed by number and title, the outline in the prompt."""
    lang, today, instruction, requirements = asked
    field, key, per_part = ("title", _slide_key, 190) if kind == "pptx" else ("heading", _section_key, 320)
    listed = "slides" if kind == "pptx" else "sections"
    with_title = plan.get("title") in PLACEHOLDER_TITLES or _blank(plan.get("title"))
    props = {"title": _str(60), "subtitle": _str(100, 0)} if with_title else {}
    props[listed] = _object(parts)
    zh = lang == "zh"
    outline = "\n".join(f"- {key(i, s.get(field) or '')}" for i, s in enumerate(plan[listed]))
    heading = {
        ("pptx", True): "幻灯片（第 1 页是封面）：",
        ("pptx", False): "Slides (slide 1 is the title slide):",
        ("docx", True): "章节：",
        ("docx", False): "Sections:",
    }[(kind, zh)]
    budget = 80 + int(len(targets) * per_part * (1.6 if zh else 1.0))
    return FillRequest(
        kind,
        _object(props),
        f"{instruction}\n\n{heading}\n{outline}",
        _system(kind, lang, today, requirements),
        min(budget, MAX_FILL_TOKENS),
        targets,
        with_title,
    )


def _slide_has_body(slide: dict) -> bool:
    return any(slide.get(k) for k in ("bullets", "left", "right"))


def _clean_lines(items: Any, limit: int) -> list[str]:
    out: list[str] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str) and item.strip() and item.strip() not in out:
            out.append(item.strip())
    return out[:limit]


def _merge_deck(plan: dict, request: FillRequest, answer: dict) -> int:
    filled = 0
    given = answer.get("slides") or {}
    for i in request.targets:
        slide = plan["slides"][i]
        content = given.get(_slide_key(i, slide.get("title") or "")) or {}
        if _blank(slide.get("title")) and not _blank(content.get("title")):
            slide["title"] = content["title"].strip()
            filled += 1
        if not _slide_has_body(slide) and (bullets := _clean_lines(content.get("bullets"), 6)):
            slide["bullets"] = bullets
            filled += 1
        if _blank(slide.get("notes")) and isinstance(content.get("notes"), str):
            slide["notes"] = content["notes"].strip()
    _merge_title(plan, request, answer)
    return filled


def _merge_title(plan: dict, request: FillRequest, answer: dict) -> None:
    if request.with_title and not _blank(answer.get("title")):
        plan["title"] = answer["title"].strip()
        if "subtitle" in answer and isinstance(answer["subtitle"], str) and _blank(plan.get("subtitle")):
            plan["subtitle"] = answer["subtitle"].strip()


# ---------------------------------------------------------------- document


def _section_key(index: int, heading: str) -> str:
    return f"{index + 1}. {heading}" if heading.strip() else str(index + 1)


def _section_empty(section: dict) -> bool:
    return not (section.get("paragraphs") or section.get("bullets") or section.get("table"))


def _document_fill(plan: dict, lang: str, today: dt.date, instruction: str, requirements: str) -> FillRequest | None:
    targets = [i for i, s in enumerate(plan.get("sections") or []) if _blank(s.get("heading")) or _section_empty(s)]
    if not targets:
        return None
    sections = {}
    for i in targets:
        section = plan["sections"][i]
        heading = section.get("heading") or ""
        props: dict[str, Any] = {"heading": _str(60, 2)} if _blank(heading) else {}
        props["paragraphs"] = _array(_str(PARAGRAPH_CHARS, 10), 1, 2)
        props["bullets"] = _array(_str(120, 2), 0, 4)
        if wants_table(heading):
            props["table"] = _object(
                {"headers": _array(_str(30), 2, 4), "rows": _array(_array(_str(60, 0), 2, 4), 1, 6)}
            )
        sections[_section_key(i, heading)] = _object(props)
    return _outline_request("docx", plan, sections, targets, (lang, today, instruction, requirements))


def _merge_document(plan: dict, request: FillRequest, answer: dict) -> int:
    filled = 0
    given = answer.get("sections") or {}
    for i in request.targets:
        section = plan["sections"][i]
        content = given.get(_section_key(i, section.get("heading") or "")) or {}
        if _blank(section.get("heading")) and not _blank(content.get("heading")):
            section["heading"] = content["heading"].strip()
        if _section_empty(section):
            section["paragraphs"] = _clean_lines(content.get("paragraphs"), 3)
            section["bullets"] = _clean_lines(content.get("bullets"), 6)
            table = content.get("table")
            if isinstance(table, dict) and _clean_lines(table.get("headers"), 5):
                headers = _clean_lines(table["headers"], 5)
                rows = [
                    [str(c) for c in row[: len(headers)]] for row in table.get("rows") or [] if isinstance(row, list)
                ]
                section["table"] = {"headers": headers, "rows": rows}
            filled += int(not _section_empty(section))
    _merge_title(plan, request, answer)
    return filled


# ---------------------------------------------------------------- dispatch

_BUILD = {"xlsx": _workbook_fill, "pptx": _deck_fill, "docx": _document_fill}
_MERGE = {"xlsx": _merge_workbook, "pptx": _merge_deck, "docx": _merge_document}


def fill_request(
    kind: str, plan: dict, *, language: str, today: dt.date, instruction: str, requirements: str = ""
) -> FillRequest | None:
    """The model call that fills ``plan``'s blanks; None when nothing is blank."""
    return _BUILD[kind](plan, language, today, instruction, requirements)


def merge_fill(plan: dict, request: FillRequest, answer: Any) -> int:
    """Write the model's ``answer`` into the blanks of ``plan`` (in place); the number of parts filled."""
    if not isinstance(answer, dict):
        return 0
    return _MERGE[request.kind](plan, request, answer)


def blank_parts(kind: str, plan: dict) -> list[str]:
    """What is still blank, in words: 'Sales rows 3, 5', 'slide 4', 'section 2'."""
    if kind == "xlsx":
        return [
            f"{plan['sheets'][s]['name']} rows {', '.join(str(r + 1) for r in rows[:8])}"
            for s, rows, _ in _workbook_targets(plan)
        ]
    if kind == "pptx":
        return [
            f"slide {i + 2}"
            for i, s in enumerate(plan.get("slides") or [])
            if s.get("kind", "content") != "section" and not _slide_has_body(s)
        ]
    return [f"section {i + 1}" for i, s in enumerate(plan.get("sections") or []) if _section_empty(s)]
