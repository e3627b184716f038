"""``zaowu kb create|list|add|search|ask|rm``: knowledge bases from the command line, over the same Studio
as the server (stores are named by id or by name; ``--json`` prints machine-readable output)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..errors import InvalidRequest, NotFound


def _out(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str) if as_json else text)


def _store_id(kb, name_or_id: str) -> str:
    """The store with this id, else the one store of this name."""
    stores = kb.stores()
    if any(s["id"] == name_or_id for s in stores):
        return name_or_id
    named = [s["id"] for s in stores if s["name"] == name_or_id]
    if len(named) > 1:
        raise InvalidRequest(
            f"{len(named)} knowledge bases are named '{name_or_id}' ({', '.join(named)}); name one by its id.",
            param="store",
        )
    if not named:
        raise NotFound(f"No knowledge base '{name_or_id}'. See 'zaowu kb list'.", param="store")
    return named[0]


def _where(hit: dict) -> str:
    return (
        hit["filename"]
        + (f" p.{hit['page']}" if hit.get("page") else "")
        + (f" [{hit['sheet']}]" if hit.get("sheet") else "")
    )


@click.group()
def kb() -> None:
    """Knowledge bases: create, add files, search, ask with citations, remove."""


@kb.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def create(state, name: str, as_json: bool) -> None:
    """Create a knowledge base called NAME; prints its id."""
    row = state.studio().knowledge.create_store(name)
    _out(row, as_json, row["id"])


@kb.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def list_(state, as_json: bool) -> None:
    """The knowledge bases, with their files."""
    base = state.studio().knowledge
    rows = [{**s, "files": base.store_files(s["id"])} for s in base.stores()]
    lines = [
        f"{s['id']}  {s['name'] or '-'}  {len(s['files'])} files, {sum(f['chunks'] for f in s['files'])} chunks"
        for s in rows
    ]
    _out(rows, as_json, "\n".join(lines) or "no knowledge bases")


@kb.command()
@click.argument("store")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def add(state, store: str, files: tuple[Path, ...], as_json: bool) -> None:
    """Add FILES (PDF, DOCX, XLSX, PPTX, HTML, Markdown, TXT, CSV) to STORE, with progress on stderr. A file
    whose name the store holds replaces it; a file that fails is reported and the others go on."""
    base = state.studio().knowledge
    store_id = _store_id(base, store)
    ids = {base.add_file(path.read_bytes(), path.name)["id"]: path.name for path in files}
    base.attach(store_id, list(ids))

    def progress(fraction: float, message: str) -> None:
        bar = "#" * int(fraction * 30)
        click.echo(f"\r[{bar:<30}] {fraction:4.0%} {message:<30}", nl=False, err=True)

    outcome = base.ingest(store_id, list(ids), progress=progress)
    click.echo("", err=True)
    results = [{"file_id": i, "filename": ids[i], **o} for i, o in outcome["files"].items()]
    lines = [
        f"{r['filename']}: {r['chunks']} chunks" if r["status"] == "completed" else f"{r['filename']}: {r['error']}"
        for r in results
    ]
    _out({"vector_store_id": store_id, "files": results}, as_json, "\n".join(lines))
    if any(r["status"] != "completed" for r in results):
        raise SystemExit(1)


@kb.command()
@click.argument("store")
@click.argument("query")
@click.option("-n", "--max-results", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def search(state, store: str, query: str, max_results: int, as_json: bool) -> None:
    """The chunks of STORE (a name or id; several joined by commas) that best match QUERY."""
    base = state.studio().knowledge
    hits = base.search([_store_id(base, s) for s in store.split(",")], query, max_results=max_results)
    rows = [
        {
            "filename": h.filename,
            "file_id": h.file_id,
            "page": h.page,
            "sheet": h.sheet,
            "heading_path": h.heading_path,
            "score": h.score,
            "text": h.text,
        }
        for h in hits
    ]
    lines = [f"{r['score']:.3f}  {_where(r)}\n    {r['text'][:200]}" for r in rows]
    _out(rows, as_json, "\n".join(lines) or "nothing found")


@kb.command()
@click.argument("store")
@click.argument("question")
@click.option("--model", help="chat model (default: the default chat model)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def ask(state, store: str, question: str, model: str | None, as_json: bool) -> None:
    """Answer QUESTION from STORE (a name or id; several joined by commas) with cited sources, or say the
    documents do not say."""
    from ..apps.base import run_app

    studio = state.studio()
    stores = [_store_id(studio.knowledge, s) for s in store.split(",")]
    result = run_app(studio, "search", {"question": question, "knowledge_bases": stores}, model=model).result
    sources = "\n".join(f"[{s['index']}] {_where(s)}" for s in result["sources"])
    _out(result, as_json, result["answer"] + (f"\n\n{sources}" if sources else ""))


@kb.command()
@click.argument("store")
@click.argument("file", required=False)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def rm(state, store: str, file: str | None, as_json: bool) -> None:
    """Remove STORE, or only FILE (a file name or id) from it."""
    base = state.studio().knowledge
    store_id = _store_id(base, store)
    if file is None:
        base.delete_store(store_id)
        _out({"id": store_id, "deleted": True}, as_json, f"removed {store_id}")
        return
    held = [f for f in base.store_files(store_id) if file in (f["file_id"], f["filename"])]
    if not held:
        raise NotFound(f"The knowledge base holds no file '{file}'.", param="file")
    for f in held:
        base.delete_file(f["file_id"])
    _out({"removed": [f["file_id"] for f in held]}, as_json, "\n".join(f"removed {f['filename']}" for f in held))
