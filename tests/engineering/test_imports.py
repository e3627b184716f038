"""The package's import graph: no two modules import each other (a loop that only works while one
side imports lazily breaks the day someone moves that import to the top)."""

from __future__ import annotations

import ast
from pathlib import Path

import zaowu

ROOT = Path(zaowu.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every zaowu module ``path`` imports, at the top or inside a function (imports for type
    checking only, under ``if TYPE_CHECKING:``, never run and are left out)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known and m != name}


def _runtime_nodes(tree: ast.AST):
    """The nodes of ``tree`` outside ``if TYPE_CHECKING:`` blocks."""
    for node in ast.iter_child_nodes(tree):
        test = node.test if isinstance(node, ast.If) else None
        if test is not None and "TYPE_CHECKING" in ast.unparse(test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def test_no_two_modules_import_each_other():
    paths = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph = {name: _imports(path, name, set(paths)) for name, path in paths.items()}
    loops = sorted(
        f"{a} <-> {b}"
        for a, deps in graph.items()
        for b in deps
        if a < b and a in graph[b] and not (a.startswith(b + ".") or b.startswith(a + "."))
    )
    assert not loops, f"modules importing each other: {loops}"


def test_the_office_plans_and_their_repairs_do_not_loop():
    """office.repair works on plain dicts; plans.from_llm repairs then validates (named here so the
    loop this test guards against is the one that existed)."""
    graph = {
        name: _imports(
            ROOT / f"studio/office/{name}.py",
            f"zaowu.studio.office.{name}",
            {f"zaowu.studio.office.{m}" for m in ("plans", "repair", "columns")},
        )
        for name in ("plans", "repair")
    }
    assert "zaowu.studio.office.plans" not in graph["repair"]
    assert "zaowu.studio.office.repair" in graph["plans"]


def test_apps_use_the_workflows_api_not_the_studio_tables():
    """Apps read runs through zaowu.studio.workflows (get_run, run_for_job), so the studio may change
    its tables without breaking them."""
    paths = {_module_name(p): p for p in ROOT.rglob("*.py")}
    offenders = sorted(
        name
        for name, path in paths.items()
        if name.startswith("zaowu.apps") and "zaowu.studio.db" in _imports(path, name, set(paths))
    )
    assert not offenders, f"apps importing the studio's tables: {offenders}"
