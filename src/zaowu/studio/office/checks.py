"""An office plan checked against what the request asked, repaired in code where the fix is certain.

``review(kind, plan, constraints, skeleton)`` returns the repaired plan and the checks that ran:

- workbooks: the sheets, rows and columns of the skeleton (each week of the period with its dates, a
  column or sheet per region) — rows the model left out come back blank for the model to fill,
  rows outside the period go, a mis-typed date year is moved into the period; the columns asked
  (``including …``/``列出…``) exist; growth columns are formulas, not typed numbers; totals are of the
  kind asked (a sum is never an average);
- decks: the slide count asked (title slide included), the outline's topics present in order,
  slides with bullets on a content layout (never a section header);
- documents: the sections asked present in order, the section count honoured;
- all: full dates inside the requested period.

A repaired check is reported ``ok`` with what was changed; blanks a repair leaves are filled by the
model afterwards (see ``fill``), and ``verify_file`` reopens the rendered file to confirm counts,
layouts and that totals are formulas over the right ranges.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
from typing import Any

from ..quality.checks import CheckList
from ..quality.constraints import Constraints
from ..quality.periods import MONTH_NAMES, Period, month_range
from ..quality.redate import move_dates, recheck
from .cells import coerce
from .plans import NUMERIC_TYPES
from .repair import _match
from .skeleton import GROWTH_NAMES, LABEL_WORDS, bucket_label, guess_type, time_axis, total_for

__all__ = ["merge_checks", "review", "review_deck", "review_document", "review_workbook", "verify_file"]

_GROWTH_WORDS = re.compile(r"growth|change|\bwow\b|\bmom\b|\bqoq\b|\byoy\b|增长|环比|同比|变化", re.IGNORECASE)
_FULL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})(\s*[-/.年]\s*)(\d{1,2})(\s*[-/.月]\s*)(\d{1,2})(?!\d)")
_YEAR_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})(\s*(?:-|/|年)\s*)(\d{1,2})(?![\d/.-]|\s*月\s*\d)")


def _norm(value: Any) -> str:
    return re.sub(r"[\s_\-/.,，。:：()（）]", "", str(value).casefold())


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def merge_checks(*lists: list) -> CheckList:
    """Checks by name, in first-seen order; a later run of a check replaces an earlier one unless the
    earlier one carries a repair note and the later one passes silently."""
    out: dict[str, Any] = {}
    for checks in lists:
        for check in checks:
            old = out.get(check.name)
            if old is not None and check.ok and old.ok and old.detail.startswith("repaired"):
                continue
            out[check.name] = check
    return CheckList(out.values())


# ---------------------------------------------------------------- dates


def _fix_text_dates(text: str, period: Period | None) -> tuple[str, int, int]:
    """``text`` with full dates (and year-months) moved into ``period`` when only their year is wrong;
    (text, fixed, still outside)."""
    if period is None or not isinstance(text, str):
        return text, 0, 0
    fixed = outside = 0

    def shift(m: re.Match, has_day: bool) -> str:
        nonlocal fixed, outside
        year, month = int(m[1]), int(m[3])
        day = int(m[5]) if has_day else None
        if not 1 <= month <= 12:
            return m[0]
        if _inside(year, month, day, period):
            return m[0]
        for candidate in dict.fromkeys((period.start.year, period.end.year)):
            if _inside(candidate, month, day, period):
                fixed += 1
                return str(candidate) + m[0][4:]
        if not has_day:
            outside += 1
        return m[0]  # a full date in the wrong month: moved below

    text = _FULL_DATE.sub(lambda m: shift(m, True), text)
    text = _YEAR_MONTH.sub(lambda m: shift(m, False), text)
    moved = move_dates(text, [period])
    left = recheck(moved.text, [period])
    return moved.text, fixed + len(moved.moved) - len(left), outside + len(left)


def _inside(year: int, month: int, day: int | None, period: Period) -> bool:
    try:
        if day is None:
            start, end = month_range(year, month)
            return start <= period.end and period.start <= end
        return period.contains(dt.date(year, month, day))
    except ValueError:
        return False


def _date_check(checks: CheckList, fixed: int, outside: int, period: Period | None) -> None:
    if period is None:
        return
    span = f"{period.start.isoformat()}…{period.end.isoformat()}"
    if outside:
        checks.add("dates.period", False, f"{outside} dates fall outside {span} ({period.text})")
    elif fixed:
        checks.add("dates.period", True, f"repaired: {fixed} dates moved into {span} (the year was wrong)")
    else:
        checks.add("dates.period", True, f"dates within {span}")


# ---------------------------------------------------------------- workbook


def review_workbook(plan: dict, c: Constraints, skeleton: dict | None = None) -> tuple[dict, CheckList]:
    plan, checks = copy.deepcopy(plan), CheckList()
    fixed, outside = _fix_workbook_dates(plan, c.period)
    if skeleton is not None:
        _conform_workbook(plan, skeleton, c, checks)
    else:
        _free_workbook(plan, c, checks)
    _totals(plan, c, checks)
    if skeleton is not None:  # the conform step dropped rows and wrote the skeleton's dates: count what is left
        outside = _fix_workbook_dates(plan, c.period)[1]
    _date_check(checks, fixed, outside, c.period)
    return plan, merge_checks(checks)


def _fix_workbook_dates(plan: dict, period: Period | None) -> tuple[int, int]:
    fixed = outside = 0
    for sheet in plan.get("sheets") or []:
        for row in sheet.get("rows") or []:
            for j, value in enumerate(row):
                if isinstance(value, str):
                    row[j], f, o = _fix_text_dates(value, period)
                    fixed, outside = fixed + f, outside + o
    return fixed, outside


def _free_workbook(plan: dict, c: Constraints, checks: CheckList) -> None:
    sheets = plan.get("sheets") or []
    asked = c.count("sheet")
    if asked:
        checks.add("count.sheets", len(sheets) == asked, f"{len(sheets)} of {asked} sheets")
    for sheet in sheets:
        _required_columns(sheet, c, checks)
        _growth_columns(sheet, c, checks)
        rows = c.count("row")
        if rows:
            _fit_rows(sheet, rows, checks)


def _insert_column(sheet: dict, index: int, column: dict) -> None:
    sheet["columns"].insert(index, column)
    for row in sheet.get("rows") or []:
        row.extend([None] * max(0, index - len(row)))
        row.insert(index, None)


def _required_columns(sheet: dict, c: Constraints, checks: CheckList) -> None:
    wanted = [i for i in c.includes if not LABEL_WORDS.match(i)]
    if not wanted:
        return
    added = []
    for item in wanted:
        if _match(item, [col["header"] for col in sheet["columns"]]) is None:
            kind = guess_type(item)
            _insert_column(
                sheet, len(sheet["columns"]), {"header": item, "type": kind, "total": total_for(kind, "none", c)}
            )
            added.append(item)
    name = f"columns.{sheet['name']}"
    checks.add(name, True, f"repaired: added {', '.join(added)} (asked for)" if added else f"has {', '.join(wanted)}")


def _growth_columns(sheet: dict, c: Constraints, checks: CheckList) -> None:
    if not c.growth:
        return
    columns = sheet["columns"]
    name = f"growth.{sheet['name']}"
    if any(col.get("growth_of") for col in columns):
        checks.add(name, True, "growth columns are formulas")
        return
    numeric = [
        col["header"]
        for col in columns
        if col.get("type") in ("currency", "integer", "number") and not LABEL_WORDS.match(col["header"])
    ]
    if not numeric:
        checks.add(name, False, "no numeric column to compute growth of")
        return
    typed = [
        j
        for j, col in enumerate(columns)
        if _GROWTH_WORDS.search(col["header"])
        and col.get("type") not in ("currency", "integer", "number")
        and not LABEL_WORDS.match(col["header"])
    ]
    zh = c.language == "zh"
    notes = []
    if "pop" in c.growth:
        if typed:
            col = columns[typed.pop(0)]
            col.update(type="percent", total="none", growth_of=numeric[0])
            notes.append(f"'{col['header']}' now computes growth of '{numeric[0]}' by formula")
        else:
            en, cn = GROWTH_NAMES.get(c.interval or "", ("growth", "环比"))
            index = next(j for j, col in enumerate(columns) if col["header"] == numeric[0]) + 1
            header = f"{numeric[0]}{cn}" if zh else f"{numeric[0]} {en}"
            _insert_column(
                sheet, index, {"header": header, "type": "percent", "total": "none", "growth_of": numeric[0]}
            )
            notes.append(f"added '{header}'")
    if "yoy" in c.growth:
        base = f"{numeric[0]}去年同期" if zh else f"{numeric[0]} last year"
        header = f"{numeric[0]}同比" if zh else f"{numeric[0]} YoY"
        kind = next(col["type"] for col in columns if col["header"] == numeric[0])
        if _match(base, [col["header"] for col in columns]) is None:
            _insert_column(sheet, len(columns), {"header": base, "type": kind, "total": "none"})
        _insert_column(
            sheet,
            len(columns),
            {"header": header, "type": "percent", "total": "none", "growth_of": numeric[0], "growth_vs": base},
        )
        notes.append(f"added '{header}' against '{base}'")
    checks.add(name, True, "repaired: " + "; ".join(notes))


def _fit_rows(sheet: dict, asked: int, checks: CheckList) -> None:
    rows = sheet.get("rows") or []
    have = len(rows)
    if have > asked:
        del rows[asked:]
    else:
        rows.extend([None] * len(sheet["columns"]) for _ in range(asked - have))
    sheet["rows"] = rows
    detail = f"{asked} rows" if have == asked else f"repaired: {have} rows written, {asked} asked"
    checks.add(f"count.rows.{sheet['name']}", True, detail)


def _totals(plan: dict, c: Constraints, checks: CheckList) -> None:
    if not c.totals:
        return
    changed = []
    for sheet in plan.get("sheets") or []:
        for col in sheet.get("columns") or []:
            if col.get("type") not in NUMERIC_TYPES or col.get("growth_of") or LABEL_WORDS.match(col["header"]):
                continue
            want = total_for(col["type"], col.get("total", "none"), c)
            if col.get("total", "none") != want:
                changed.append(f"'{col['header']}' {col.get('total', 'none')} → {want}")
                col["total"] = want
    asked = " and ".join(c.totals)
    detail = f"repaired: {', '.join(changed)}" if changed else f"totals are {asked}s as asked"
    checks.add("totals", True, detail)


# -- conforming a workbook to its skeleton


def _conform_workbook(plan: dict, skeleton: dict, c: Constraints, checks: CheckList) -> None:
    sources = list(plan.get("sheets") or [])
    wanted = skeleton["sheets"]
    axis = time_axis(c)
    out, used = [], set()
    for i, target in enumerate(wanted):
        index = _find_sheet(sources, target["name"], i, len(wanted), used)
        if index is None:
            out.append(copy.deepcopy(target))
            checks.add(f"count.rows.{target['name']}", True, f"repaired: sheet '{target['name']}' added")
            continue
        used.add(index)
        out.append(_conform_sheet(sources[index], target, axis, c, checks))
    extras = [s for k, s in enumerate(sources) if k not in used]
    plan["sheets"] = out + extras
    detail = f"{len(wanted)} sheets" + (f" and {len(extras)} more written by the model" if extras else "")
    missing = len(wanted) - len(used)
    checks.add("count.sheets", True, f"repaired: {missing} sheets added; {detail}" if missing else detail)


def _find_sheet(sources: list[dict], name: str, index: int, count: int, used: set[int]) -> int | None:
    free = [k for k in range(len(sources)) if k not in used]
    found = _match(name, [sources[k].get("name", "") for k in free])
    if found is not None:
        return next(k for k in free if sources[k].get("name") == found)
    if len(sources) == count and index in free:
        return index
    return None


def _bucket_keys(interval: str, index: int, bucket: tuple[dt.date, dt.date] | None) -> set[str]:
    keys = {_norm(bucket_label(interval, index, bucket, zh)) for zh in (True, False)}
    if bucket is None:
        return keys
    start = bucket[0]
    if interval == "week":
        keys |= {f"w{index}", f"wk{index}", f"week{index}", f"第{index}周"}
    elif interval == "month":
        name = MONTH_NAMES[start.month - 1]
        keys |= {
            f"{start.year}{start.month}",
            f"{start.year}{start.month:02d}",
            f"{start.month}月",
            name,
            name[:3],
            f"{name}{start.year}",
            f"{name[:3]}{start.year}",
            f"{start.year}年{start.month:02d}月",
        }
    elif interval == "quarter":
        q = (start.month - 1) // 3 + 1
        keys |= {f"q{q}", f"q{q}{start.year}", f"{start.year}q{q}", f"第{q}季度", f"{'一二三四'[q - 1]}季度"}
    elif interval == "year":
        keys |= {str(start.year), f"{start.year}年"}
    return {_norm(k) for k in keys}


def _row_bucket(row: list, columns: list[dict], keys: list[set[str]], buckets: list) -> int | None:
    for j, value in enumerate(row):
        if _blank(value):
            continue
        for i, key in enumerate(keys):
            if _norm(value) in key:
                return i
        kind = columns[j].get("type", "text") if j < len(columns) else "text"
        day = coerce(value, "date") if kind in ("date", "text") else None
        if isinstance(day, dt.date):
            for i, bucket in enumerate(buckets):
                if bucket is not None and bucket[0] <= day <= bucket[1]:
                    return i
    return None


def _conform_sheet(source: dict, target: dict, axis, c: Constraints, checks: CheckList) -> dict:
    """``target``'s layout with the values ``source`` wrote for the same rows and columns."""
    sheet = copy.deepcopy(target)
    src_cols = source.get("columns") or []
    src_headers = [col.get("header", "") for col in src_cols]
    col_map: dict[int, int] = {}
    for j, col in enumerate(sheet["columns"]):
        if col.get("growth_of"):
            continue
        free = [h for k, h in enumerate(src_headers) if k not in col_map.values()]
        found = _match(col["header"], free)
        if found is not None:
            col_map[j] = src_headers.index(found)
    growthish = {k for k, h in enumerate(src_headers) if _GROWTH_WORDS.search(h)}
    _pair_numeric(sheet["columns"], src_cols, col_map, growthish)
    extra = [k for k in range(len(src_cols)) if k not in col_map.values() and k not in growthish]
    row_map = _match_rows(source.get("rows") or [], src_cols, sheet, axis)
    src_rows = source.get("rows") or []
    for i, row in enumerate(sheet["rows"]):
        src = src_rows[row_map[i]] if i in row_map else None
        for j, k in col_map.items():
            if src is not None and _blank(row[j]) and k < len(src):
                row[j] = src[k]
        row.extend(src[k] if src is not None and k < len(src) else None for k in extra)
    sheet["columns"] += [{k: v for k, v in src_cols[k].items() if k not in ("growth_of", "growth_vs")} for k in extra]
    if isinstance(source.get("chart"), dict) and _chart_fits(source["chart"], sheet["columns"]):
        sheet["chart"] = source["chart"]
    _report_conform(sheet, source, target, col_map, row_map, checks)
    changed = [
        f"'{src_cols[k].get('header')}' {src_cols[k].get('total', 'none')} → {sheet['columns'][j]['total']}"
        for j, k in col_map.items()
        if src_cols[k].get("total", "none") != sheet["columns"][j].get("total", "none")
        and sheet["columns"][j].get("type") in NUMERIC_TYPES
    ]
    if changed and source is not target:
        checks.add("totals", True, f"repaired: {', '.join(changed)}")
    return sheet


def _pair_numeric(columns: list[dict], src_cols: list[dict], col_map: dict[int, int], skip: set[int]) -> None:
    """Value columns left unmatched on both sides, as many on each, are the same measures named differently
    ('Revenue' written for 'Sales'): pair them in order."""

    def numeric(col: dict) -> bool:
        return col.get("type") in NUMERIC_TYPES and not col.get("growth_of") and not LABEL_WORDS.match(col["header"])

    ours = [j for j, col in enumerate(columns) if j not in col_map and numeric(col)]
    theirs = [k for k, col in enumerate(src_cols) if k not in col_map.values() and k not in skip and numeric(col)]
    if ours and len(ours) == len(theirs):
        col_map.update(zip(ours, theirs))


def _match_rows(rows: list, columns: list[dict], sheet: dict, axis) -> dict[int, int]:
    """Target row index → source row index."""
    if axis is not None:
        interval, buckets = axis
        keys = [_bucket_keys(interval, i, b) for i, b in enumerate(buckets, start=1)]
    else:  # rows of regions, stores, products: matched by name, else in order
        names = [row[0] for row in sheet["rows"]]
        if any(_blank(n) for n in names):
            return {i: i for i in range(min(len(rows), len(names)))}
        keys, buckets = [{_norm(n)} for n in names], [None] * len(names)
    out: dict[int, int] = {}
    for r, row in enumerate(rows):
        if not isinstance(row, list):
            continue
        i = _row_bucket(row, columns, keys, buckets)
        if i is not None and i not in out:
            out[i] = r
    return out


def _chart_fits(chart: dict, columns: list[dict]) -> bool:
    headers = {col["header"] for col in columns}
    return chart.get("category") in headers and all(v in headers for v in chart.get("values") or [None])


def _report_conform(sheet: dict, source: dict, target: dict, col_map: dict, row_map: dict, checks: CheckList) -> None:
    name = sheet["name"]
    wanted, written = len(target["rows"]), len(source.get("rows") or [])
    notes = []
    if len(row_map) < wanted:
        labels = [
            str(next((v for v in sheet["rows"][i] if not _blank(v)), i + 1)) for i in range(wanted) if i not in row_map
        ]
        notes.append(f"added {len(labels)} missing rows ({', '.join(labels[:4])}{'…' if len(labels) > 4 else ''})")
    if written > len(row_map):
        notes.append(f"dropped {written - len(row_map)} rows outside the layout asked")
    detail = f"{wanted} rows"
    checks.add(f"count.rows.{name}", True, f"repaired: {'; '.join(notes)}; {detail}" if notes else detail)
    missing = [
        col["header"]
        for j, col in enumerate(sheet["columns"][: len(target["columns"])])
        if j not in col_map and not col.get("growth_of") and not _filled_column(target, j)
    ]
    if missing and source is not target:
        checks.add(f"columns.{name}", True, f"repaired: added {', '.join(missing)}")
    growth = [col["header"] for col in sheet["columns"] if col.get("growth_of")]
    if growth:
        checks.add(f"growth.{name}", True, f"formulas in {', '.join(growth)}")


def _filled_column(sheet: dict, j: int) -> bool:
    return all(not _blank(row[j]) for row in sheet["rows"])


# ---------------------------------------------------------------- deck


def _slide(title: str = "") -> dict:
    return {"title": title, "kind": "content", "bullets": [], "left": [], "right": [], "notes": ""}


def review_deck(plan: dict, c: Constraints, skeleton: dict | None = None) -> tuple[dict, CheckList]:
    plan, checks = copy.deepcopy(plan), CheckList()
    plan.setdefault("slides", [])
    asked = c.count("slide", "page")
    if skeleton is not None:
        _conform_slides(plan, skeleton, checks)
    elif asked:
        _fit_slides(plan, max(asked - 1, 1), checks)
    _slide_layouts(plan, checks)
    if asked:
        total = len(plan["slides"]) + 1
        checks.add(
            "count.slides",
            total == asked or (asked == 1 and total == 2),
            f"{total} slides (title slide included) of {asked} asked",
        )
    fixed, outside = _fix_plan_text(
        plan, c.period, ("title", "subtitle"), "slides", ("title", "bullets", "left", "right", "notes")
    )
    _date_check(checks, fixed, outside, c.period)
    return plan, checks


def _conform_slides(plan: dict, skeleton: dict, checks: CheckList) -> None:
    sources = plan["slides"]
    used: set[int] = set()
    out, added = [], []
    for target in skeleton["slides"]:
        title = target["title"]
        free = [k for k in range(len(sources)) if k not in used]
        if title:
            found = _match(title, [sources[k].get("title", "") for k in free])
            k = next((k for k in free if sources[k].get("title") == found), None) if found else None
        else:
            k = next(
                (
                    k
                    for k in free
                    if not _match(sources[k].get("title"), [t["title"] for t in skeleton["slides"] if t["title"]])
                ),
                None,
            )
        if k is None:
            out.append(_slide(title))
            added.append(title or str(len(out) + 1))
            continue
        used.add(k)
        slide = {**_slide(), **sources[k]}
        slide["title"] = slide.get("title") or title
        out.append(slide)
    dropped = len(sources) - len(used)
    plan["slides"] = out
    notes = ([f"added {', '.join(added)}"] if added else []) + ([f"dropped {dropped} extra"] if dropped else [])
    topics = [t["title"] for t in skeleton["slides"] if t["title"]]
    detail = f"{len(out)} slides after the title slide" + (f" ({', '.join(topics)})" if topics else "")
    checks.add("outline.slides", True, f"repaired: {'; '.join(notes)}; {detail}" if notes else detail)


def _fit_slides(plan: dict, wanted: int, checks: CheckList) -> None:
    slides = plan["slides"]
    have = len(slides)
    if have > wanted:
        del slides[wanted:]
    slides.extend(_slide() for _ in range(wanted - len(slides)))
    if have != wanted:
        checks.add("outline.slides", True, f"repaired: {have} slides written after the title slide, {wanted} asked")


def _slide_layouts(plan: dict, checks: CheckList) -> None:
    changed = []
    for i, slide in enumerate(plan["slides"]):
        kind = slide.get("kind", "content")
        body = slide.get("bullets") or slide.get("left") or slide.get("right")
        if kind == "section" and body:
            slide["kind"] = "content"
            changed.append(f"slide {i + 2} '{slide.get('title', '')}' section header → content")
        elif kind == "two_column" and not (slide.get("left") or slide.get("right")) and len(body or []) < 2:
            slide["kind"] = "content"
            changed.append(f"slide {i + 2} two columns → content")
    detail = f"repaired: {'; '.join(changed)}" if changed else "slides with bullets use a content layout"
    checks.add("layout.slides", True, detail)


# ---------------------------------------------------------------- document


def review_document(plan: dict, c: Constraints, skeleton: dict | None = None) -> tuple[dict, CheckList]:
    plan, checks = copy.deepcopy(plan), CheckList()
    plan.setdefault("sections", [])
    if skeleton is not None:
        _conform_sections(plan, skeleton, checks)
    asked = c.count("section")
    if asked:
        level1 = sum(1 for s in plan["sections"] if s.get("level", 1) == 1)
        checks.add("count.sections", level1 == asked, f"{level1} of {asked} sections")
    fixed, outside = _fix_plan_text(
        plan, c.period, ("title", "subtitle"), "sections", ("heading", "paragraphs", "bullets")
    )
    _date_check(checks, fixed, outside, c.period)
    return plan, checks


def _conform_sections(plan: dict, skeleton: dict, checks: CheckList) -> None:
    sources = plan["sections"]
    headings = [t["heading"] for t in skeleton["sections"]]
    used: list[int] = []
    out, added = [], []
    for target in skeleton["sections"]:
        heading = target["heading"]
        free = [k for k in range(len(sources)) if k not in used]
        if heading:
            found = _match(heading, [sources[k].get("heading", "") for k in free])
            k = next((k for k in free if sources[k].get("heading") == found), None) if found else None
        else:
            k = next((k for k in free if not _match(sources[k].get("heading"), [h for h in headings if h])), None)
        if k is None:
            out.append({"heading": heading, "level": 1, "paragraphs": [], "bullets": []})
            added.append(heading or str(len(out)))
            continue
        used.append(k)
        section = dict(sources[k])
        section["heading"], section["level"] = section.get("heading") or heading, 1
        out.append(section)
    reordered = used != sorted(used)
    extras = [s for k, s in enumerate(sources) if k not in used]
    plan["sections"] = out + extras
    notes = ([f"added {', '.join(added)}"] if added else []) + (["put in the order asked"] if reordered else [])
    shown = ", ".join(h for h in headings if h)
    detail = f"{len(out)} sections" + (f" in order: {shown}" if shown else "")
    checks.add("sections.order", True, f"repaired: {'; '.join(notes)}; {detail}" if notes else detail)


def _fix_plan_text(
    plan: dict, period: Period | None, top: tuple[str, ...], parts: str, fields: tuple[str, ...]
) -> tuple[int, int]:
    fixed = outside = 0

    def fix(value: Any) -> Any:
        nonlocal fixed, outside
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, str):
            value, f, o = _fix_text_dates(value, period)
            fixed, outside = fixed + f, outside + o
        return value

    for key in top:
        if key in plan:
            plan[key] = fix(plan[key])
    for part in plan.get(parts) or []:
        for key in fields:
            if key in part:
                part[key] = fix(part[key])
        if isinstance(part.get("table"), dict):
            part["table"]["rows"] = fix(part["table"].get("rows") or [])
    return fixed, outside


# ---------------------------------------------------------------- dispatch and the rendered file

_REVIEW = {"xlsx": review_workbook, "pptx": review_deck, "docx": review_document}


def review(kind: str, plan: dict, c: Constraints, skeleton: dict | None = None) -> tuple[dict, CheckList]:
    """The plan repaired against the constraints (and skeleton), and the checks that ran."""
    return _REVIEW[kind](plan, c, skeleton)


def verify_file(kind: str, data: bytes, plan: dict, c: Constraints) -> CheckList:
    """Reopen the rendered file: counts, layouts, and totals/growth as formulas over the right ranges."""
    return {"xlsx": _verify_xlsx, "pptx": _verify_pptx, "docx": _verify_docx}[kind](data, plan, c)


def _verify_xlsx(data: bytes, plan: dict, c: Constraints) -> CheckList:
    import openpyxl
    from openpyxl.utils import get_column_letter

    checks = CheckList()
    book = openpyxl.load_workbook(io.BytesIO(data))
    wrong_totals, wrong_growth, totals = [], [], 0
    for ws, sheet in zip(book.worksheets, plan["sheets"]):
        last = len(sheet["rows"]) + 1
        letters = {col["header"]: get_column_letter(j) for j, col in enumerate(sheet["columns"], start=1)}
        for j, col in enumerate(sheet["columns"], start=1):
            letter = get_column_letter(j)
            if col.get("total", "none") != "none":
                totals += 1
                want = f"={'SUM' if col['total'] == 'sum' else 'AVERAGE'}({letter}2:{letter}{last})"
                if ws.cell(last + 1, j).value != want:
                    wrong_totals.append(f"{ws.title}!{letter}{last + 1}")
            if col.get("growth_of"):
                value = letters[col["growth_of"]]
                cells = [ws.cell(r, j).value for r in range(3 if not col.get("growth_vs") else 2, last + 1)]
                if not all(isinstance(v, str) and v.startswith("=IF(") and f"{value}" in v for v in cells):
                    wrong_growth.append(f"{ws.title}!{letter}")
        if ws.max_row < last:
            checks.add(
                f"file.rows.{sheet['name']}", False, f"{ws.max_row - 1} data rows in the file, {last - 1} planned"
            )
    if totals or wrong_totals:
        checks.add(
            "file.totals",
            not wrong_totals,
            f"not formulas over the data rows: {', '.join(wrong_totals)}"
            if wrong_totals
            else f"{totals} totals are formulas over the data rows",
        )
    if wrong_growth or any(col.get("growth_of") for s in plan["sheets"] for col in s["columns"]):
        checks.add(
            "file.growth",
            not wrong_growth,
            f"growth not computed in {', '.join(wrong_growth)}" if wrong_growth else "growth columns are formulas",
        )
    return checks


def _verify_pptx(data: bytes, plan: dict, c: Constraints) -> CheckList:
    import pptx

    checks = CheckList()
    deck = pptx.Presentation(io.BytesIO(data))
    slides = list(deck.slides)
    asked = c.count("slide", "page")
    expected = asked if asked and asked > 1 else len(plan["slides"]) + 1
    checks.add("file.slides", len(slides) == expected, f"{len(slides)} slides in the file, {expected} expected")
    wrong = [
        i + 1
        for i, slide in enumerate(slides[1:], start=1)
        if slide.slide_layout.name == "Section Header"
        and any(
            s.has_text_frame and s.text_frame.text.strip() and s != slide.shapes.title
            for s in slide.placeholders
            if s.placeholder_format.idx != 0
        )
    ]
    checks.add(
        "file.layouts",
        not wrong,
        f"section header layout on content slides {wrong}" if wrong else "content slides use content layouts",
    )
    return checks


def _verify_docx(data: bytes, plan: dict, c: Constraints) -> CheckList:
    import docx

    checks = CheckList()
    document = docx.Document(io.BytesIO(data))
    found = [p.text.strip() for p in document.paragraphs if p.style.name == "Heading 1"]
    wanted = [s["heading"] for s in plan["sections"] if s.get("level", 1) == 1]
    checks.add("file.sections", found == wanted, f"{len(found)} sections in the file, {len(wanted)} planned")
    return checks
