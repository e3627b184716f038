"""Content plans for office files: what a workbook, document or deck says.

A plan is the contract between the LLM (which writes it through JSON-schema
constrained decoding, see each class's ``llm_schema()``) and the renderers.
The Python models accept what a person or program sends (generous limits);
``llm_schema()`` is tighter and flat (inline, no ``$ref``/``anyOf``, every string
bounded, every array bounded) so a small model finishes a valid plan within a
few hundred tokens. Anything the LLM schema allows, the model accepts.

Checks that span fields (a chart naming a missing column, a row longer than the
header) raise ``PlanError``, an ``InvalidRequest`` naming the field path, e.g.
``sheets.0.chart.values.1``. ``parse_plan`` adds a prefix (``plan.sheets.0…``).

This module imports only the standard library, Pydantic and its siblings ``columns`` (column
types) and ``repair`` (the fixes ``from_llm`` applies), neither of which imports it back.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from ...backends.design.spec import is_cjk
from ...errors import InvalidRequest
from .columns import NUMERIC_TYPES, ColumnType
from .repair import repair_plan

__all__ = [
    "PlanError",
    "ColumnType",
    "NUMERIC_TYPES",
    "ColumnPlan",
    "ChartPlan",
    "SheetPlan",
    "WorkbookPlan",
    "TablePlan",
    "SectionPlan",
    "DocumentPlan",
    "SlidePlan",
    "DeckPlan",
    "parse_plan",
    "from_llm",
]

Language = Literal["en", "zh"]


def _text(max_len: int, min_len: int = 0):
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_len, max_length=max_len)]


Cell = str | int | float | None


class PlanError(InvalidRequest):
    """A plan problem spanning several fields; ``param`` is the dotted field path."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"Invalid value for '{path}': {reason}", param=path)
        self.path, self.reason = path, reason

    def under(self, prefix: str | None) -> PlanError:
        return PlanError(f"{prefix}.{self.path}", self.reason) if prefix else self


class _Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Document(_Plan):
    """Fields every plan has: a title and the language of its text."""

    kind: ClassVar[str]
    title: _text(200, 1)
    language: Language | None = Field(None, description="'zh' or 'en'; detected from the text when left out")

    @classmethod
    def from_llm(cls, data: Any, prefix: str | None = "plan") -> Any:
        """Validate a plan an LLM wrote, after repairing its usual slips (see ``office.repair``)."""
        return from_llm(cls.kind, data, prefix)

    def lang(self) -> Language:
        return self.language or ("zh" if is_cjk(self.title + self._sample_text()) else "en")

    def _sample_text(self) -> str:
        return ""


# ---------------------------------------------------------------- workbook


class ColumnPlan(_Plan):
    header: _text(80, 1)
    type: ColumnType = "text"
    total: Literal["sum", "average", "none"] = "none"
    growth_of: _text(80, 1) | None = Field(
        None, description="header of the column whose growth this column shows as formulas (its cells are ignored)"
    )
    growth_vs: _text(80, 1) | None = Field(
        None, description="header of the column it is compared with (year-over-year); the previous row when left out"
    )


class ChartPlan(_Plan):
    type: Literal["bar", "line", "pie"] = "bar"
    title: _text(120) = ""
    category: _text(80, 1) = Field(description="header of the column that labels the bars, points or slices")
    values: list[_text(80, 1)] = Field(min_length=1, max_length=8, description="headers of numeric columns to plot")


class SheetPlan(_Plan):
    name: _text(31, 1)
    columns: list[ColumnPlan] = Field(min_length=1, max_length=50)
    rows: list[list[Cell]] = Field(min_length=1, max_length=5000)
    chart: ChartPlan | None = None

    def check(self, path: str) -> None:
        headers = [c.header for c in self.columns]
        for i, header in enumerate(headers):
            if header in headers[:i]:
                raise PlanError(f"{path}.columns.{i}.header", f"'{header}' appears twice; column headers must differ.")
        for i, col in enumerate(self.columns):
            if col.total != "none" and col.type not in NUMERIC_TYPES:
                raise PlanError(
                    f"{path}.columns.{i}.total",
                    f"a {col.total} needs a numeric column, but '{col.header}' is {col.type}; "
                    "use total 'none' or a numeric type.",
                )
        self._check_growth(path)
        for r, row in enumerate(self.rows):
            if len(row) > len(headers):
                raise PlanError(
                    f"{path}.rows.{r}",
                    f"the row has {len(row)} cells but the sheet has {len(headers)} columns; "
                    "add a column or remove cells.",
                )
        if self.chart:
            self._check_chart(path, headers)

    def _check_growth(self, path: str) -> None:
        types = {c.header: c.type for c in self.columns}
        for i, col in enumerate(self.columns):
            for field in ("growth_of", "growth_vs"):
                name = getattr(col, field)
                if name is not None and types.get(name) not in NUMERIC_TYPES:
                    raise PlanError(f"{path}.columns.{i}.{field}", f"'{name}' is not a numeric column of this sheet.")
            if col.growth_vs and not col.growth_of:
                raise PlanError(f"{path}.columns.{i}.growth_vs", "growth_vs needs growth_of (the column measured).")

    def _check_chart(self, path: str, headers: list[str]) -> None:
        types = {c.header: c.type for c in self.columns}
        known = ", ".join(f"'{h}'" for h in headers)
        if self.chart.category not in types:
            raise PlanError(f"{path}.chart.category", f"no column '{self.chart.category}'; use one of {known}.")
        for i, name in enumerate(self.chart.values):
            if name not in types:
                raise PlanError(f"{path}.chart.values.{i}", f"no column '{name}'; use one of {known}.")
            if types[name] not in NUMERIC_TYPES:
                raise PlanError(
                    f"{path}.chart.values.{i}", f"column '{name}' is {types[name]}; a chart plots numeric columns."
                )


class WorkbookPlan(_Document):
    """An XLSX workbook: typed columns, rows, optional totals row and a native chart per sheet."""

    kind: ClassVar[str] = "xlsx"
    currency: _text(4, 1) | None = Field(None, description="currency symbol; ¥ for zh and $ for en when left out")
    sheets: list[SheetPlan] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _cross_checks(self) -> WorkbookPlan:
        seen: dict[str, int] = {}
        for i, sheet in enumerate(self.sheets):
            key = sheet.name.casefold()
            if key in seen:
                raise PlanError(f"sheets.{i}.name", f"'{sheet.name}' is already the name of sheet {seen[key]}.")
            seen[key] = i
            sheet.check(f"sheets.{i}")
        return self

    def _sample_text(self) -> str:
        return " ".join(c.header for s in self.sheets for c in s.columns)

    def currency_symbol(self) -> str:
        return self.currency or ("¥" if self.lang() == "zh" else "$")

    @classmethod
    def llm_schema(cls, max_sheets: int = 2, max_columns: int = 6, max_rows: int = 12) -> dict[str, Any]:
        """JSON Schema for constrained decoding by small models (flat, every string and array bounded)."""
        column = _object(
            header=_str(40, 1),
            type=_enum(list(ColumnType.__args__)),  # type: ignore[attr-defined]
            total=_enum(["sum", "average", "none"]),
            required=["header", "type", "total"],
        )
        cell = {"type": ["string", "number"], "maxLength": 60}
        chart = _object(
            type=_enum(["bar", "line", "pie"]),
            title=_str(80),
            category=_str(40, 1),
            values=_array(_str(40, 1), 1, 3),
            required=["type", "category", "values"],
        )
        sheet = _object(
            name=_str(31, 1),
            columns=_array(column, 1, max_columns),
            rows=_array(_array(cell, 1, max_columns), 1, max_rows),
            chart=chart,
            required=["name", "columns", "rows", "chart"],
        )
        return _object(title=_str(80, 1), sheets=_array(sheet, 1, max_sheets), required=["title", "sheets"])


# ---------------------------------------------------------------- document


class TablePlan(_Plan):
    headers: list[_text(120)] = Field(min_length=1, max_length=12)
    rows: list[list[_text(2000)]] = Field(default_factory=list, max_length=500)


class SectionPlan(_Plan):
    heading: _text(200, 1)
    level: int = Field(1, ge=1, le=3)
    paragraphs: list[_text(8000, 1)] = Field(default_factory=list, max_length=50)
    bullets: list[_text(1000, 1)] = Field(default_factory=list, max_length=50)
    table: TablePlan | None = None


class DocumentPlan(_Document):
    """A DOCX document: title, optional subtitle, sections with paragraphs, bullets and a table."""

    kind: ClassVar[str] = "docx"
    subtitle: _text(300) = ""
    sections: list[SectionPlan] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _cross_checks(self) -> DocumentPlan:
        for i, section in enumerate(self.sections):
            if section.table is None:
                continue
            width = len(section.table.headers)
            for r, row in enumerate(section.table.rows):
                if len(row) > width:
                    raise PlanError(
                        f"sections.{i}.table.rows.{r}",
                        f"the row has {len(row)} cells but the table has {width} headers; "
                        "add a header or remove cells.",
                    )
        return self

    def _sample_text(self) -> str:
        return " ".join(s.heading for s in self.sections)

    @classmethod
    def llm_schema(cls, max_sections: int = 6) -> dict[str, Any]:
        """JSON Schema for constrained decoding by small models (flat, every string and array bounded)."""
        table = _object(
            headers=_array(_str(40, 1), 1, 5),
            rows=_array(_array(_str(80), 1, 5), 1, 8),
            required=["headers", "rows"],
        )
        section = _object(
            heading=_str(80, 1),
            level=_enum([1, 2, 3], "integer"),
            paragraphs=_array(_str(600, 1), 0, 3),
            bullets=_array(_str(160, 1), 0, 6),
            table=table,
            required=["heading", "paragraphs"],
        )
        return _object(
            title=_str(80, 1),
            subtitle=_str(120),
            sections=_array(section, 1, max_sections),
            required=["title", "sections"],
        )


# ---------------------------------------------------------------- deck


class SlidePlan(_Plan):
    title: _text(200, 1)
    kind: Literal["content", "section", "two_column"] = "content"
    bullets: list[_text(400, 1)] = Field(default_factory=list, max_length=6)
    left: list[_text(400, 1)] = Field(default_factory=list, max_length=6)
    right: list[_text(400, 1)] = Field(default_factory=list, max_length=6)
    notes: _text(5000) = Field("", description="speaker notes")


class DeckPlan(_Document):
    """A PPTX deck: a title slide, then content, section and two-column slides with speaker notes.

    On a two_column slide plain bullets come first in the left column; with no left/right
    bullets at all they are split across the two columns.
    ``DeckPlan.from_llm(data)`` (like the other plans') repairs a small model's slips first.
    """

    kind: ClassVar[str] = "pptx"
    subtitle: _text(300) = ""
    slides: list[SlidePlan] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _cross_checks(self) -> DeckPlan:
        for i, slide in enumerate(self.slides):
            sides = [side for side in ("left", "right") if getattr(slide, side)]
            if sides and slide.kind != "two_column":
                raise PlanError(
                    f"slides.{i}.{sides[0]}",
                    f"only two_column slides have {sides[0]} bullets; set kind to 'two_column' or use bullets.",
                )
        return self

    def _sample_text(self) -> str:
        return " ".join(s.title for s in self.slides)

    @classmethod
    def llm_schema(cls, max_slides: int = 8) -> dict[str, Any]:
        """JSON Schema for constrained decoding by small models (flat, every string and array bounded)."""
        bullets = _array(_str(100, 1), 0, 6)
        slide = _object(
            title=_str(80, 1),
            kind=_enum(["content", "section", "two_column"]),
            bullets=bullets,
            left=bullets,
            right=bullets,
            notes=_str(400),
            required=["title", "kind", "bullets", "notes"],
        )
        return _object(
            title=_str(80, 1),
            subtitle=_str(120),
            slides=_array(slide, 1, max_slides),
            required=["title", "subtitle", "slides"],
        )


# ---------------------------------------------------------------- schema helpers and parsing


def _str(max_len: int, min_len: int = 0) -> dict[str, Any]:
    return {"type": "string", "minLength": min_len, "maxLength": max_len}


def _enum(values: list, type_: str = "string") -> dict[str, Any]:
    return {"type": type_, "enum": values}


def _array(items: dict[str, Any], min_items: int, max_items: int) -> dict[str, Any]:
    return {"type": "array", "items": items, "minItems": min_items, "maxItems": max_items}


def _object(*, required: list[str], **props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


_KINDS: dict[str, type[_Document]] = {"xlsx": WorkbookPlan, "docx": DocumentPlan, "pptx": DeckPlan}


def parse_plan(kind: str, data: Any, prefix: str | None = "plan") -> WorkbookPlan | DocumentPlan | DeckPlan:
    """Validate ``data`` as the plan for ``kind`` (xlsx, docx, pptx); InvalidRequest names the field."""
    if kind not in _KINDS:
        raise InvalidRequest(f"Unknown office format '{kind}'. Use one of: {', '.join(_KINDS)}.", param="format")
    cls = _KINDS[kind]
    if isinstance(data, cls):
        return data
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest.from_validation(exc, prefix) from None
    except PlanError as exc:
        raise exc.under(prefix) from None


def from_llm(kind: str, data: Any, prefix: str | None = "plan") -> WorkbookPlan | DocumentPlan | DeckPlan:
    """Repair what a small model typically gets wrong (``repair.repair_plan``), then validate as ``parse_plan``."""
    return parse_plan(kind, repair_plan(kind, data), prefix)
