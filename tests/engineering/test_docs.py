"""The reference docstrings stay complete: errors.py's tree names every exception a caller can
meet, and studio/db.py's docstring names every table the migrations create."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sqlalchemy as sa

import zaowu
from zaowu import errors
from zaowu.studio import db

ROOT = Path(zaowu.__file__).parent


def _exception_classes() -> dict[str, str]:
    """Public classes anywhere in the package that derive (through any chain) from ZaowuError: name -> module."""
    bases: dict[str, tuple[set[str], str]] = {}
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                names = {
                    b.id if isinstance(b, ast.Name) else b.attr
                    for b in node.bases
                    if isinstance(b, ast.Name | ast.Attribute)
                }
                bases[node.name] = (names, str(path.relative_to(ROOT)))
    derived = {"ZaowuError"}
    while grown := {n for n, (b, _) in bases.items() if b & derived and n not in derived}:
        derived |= grown
    return {n: bases[n][1] for n in derived if not n.startswith("_") and n in bases}


def test_the_exception_tree_names_every_exception():
    found = _exception_classes()
    assert {"ZaowuError", "InvalidRequest", "StepFailed", "PlanError", "Cancelled", "Overloaded"} <= set(found)
    tree = errors.__doc__ or ""
    missing = sorted(f"{name} ({module})" for name, module in found.items() if not re.search(rf"\b{name}\b", tree))
    assert not missing, f"errors.py's docstring does not list: {missing}"


def test_the_database_docstring_names_every_table(tmp_path):
    engine = db.open_database(f"sqlite:///{tmp_path / 'zaowu.db'}")
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"generations", "workflow_runs", "sessions"} <= tables
    missing = sorted(t for t in tables if f"``{t}``" not in (db.__doc__ or ""))
    assert not missing, f"studio/db.py's docstring does not list the tables: {missing}"
