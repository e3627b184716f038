"""Column types of office plans, shared by the plan models (``plans``), the LLM repairs
(``repair``) and the checks, so none of them imports another for them."""

from __future__ import annotations

from typing import Literal

__all__ = ["NUMERIC_TYPES", "ColumnType"]

ColumnType = Literal["text", "integer", "number", "currency", "percent", "date"]
NUMERIC_TYPES = frozenset({"integer", "number", "currency", "percent"})
"""Column types whose cells are numbers (they may have totals, growth and charts)."""
