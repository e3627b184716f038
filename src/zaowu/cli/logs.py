"""``zaowu logs list | show | export``: the generation log."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


def _filters(model, status, interface) -> dict:
    return {k: v for k, v in {"model": model, "status": status, "interface": interface}.items() if v}


def _filter_options(fn):
    fn = click.option("--interface", help="api, cli, python")(fn)
    fn = click.option("--status", help="ok, error, cancelled, running, interrupted, schema_violation")(fn)
    fn = click.option("-m", "--model")(fn)
    return fn


def _short(text: str | None, n: int) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


@click.group()
def logs() -> None:
    """Every generation: who, when, which model (and its sha256), parameters, seed, input, output."""


@logs.command("list")
@click.option("-n", "--limit", default=20, show_default=True)
@_filter_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_(state, limit, model, status, interface, as_json) -> None:
    """Most recent generations first."""
    rows = state.studio().log.list(limit, **_filters(model, status, interface))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        dur = f"{r['duration_ms'] / 1000:.1f}s" if r["duration_ms"] else "-"
        inp = r["input"] or {}
        first = inp.get("prompt") or (inp.get("messages") or [{}])[-1].get("content") or str(inp.get("input", ""))
        click.echo(
            f"{r['id']}  {r['created_at'][:19]}  {r['interface']:<6} {r['model']:<28} {r['status']:<9} "
            f"{dur:>6}  {_short(first, 40)} → {_short(r['output'], 40)}"
        )


@logs.command()
@click.argument("generation_id")
@click.pass_obj
def show(state, generation_id: str) -> None:
    """One generation, in full, as JSON."""
    click.echo(json.dumps(state.studio().log.get(generation_id), ensure_ascii=False, indent=2))


@logs.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="file (default: stdout)")
@_filter_options
@click.pass_obj
def export(state, output, model, status, interface) -> None:
    """All matching generations as one JSON array."""
    log = state.studio().log
    if output is None:
        log.export_json(sys.stdout, **_filters(model, status, interface))
        return
    with open(output, "w", encoding="utf-8") as fp:
        n = log.export_json(fp, **_filters(model, status, interface))
    click.echo(f"exported {n} generation(s) to {output}", err=True)


@logs.command()
@click.pass_obj
def prune(state) -> None:
    """Delete rows older than the generation_log_retention_days setting (at least 180 days)."""
    studio = state.studio()
    n = studio.log.prune(studio.settings.generation_log_retention_days)
    click.echo(f"pruned {n} generation log row(s)")
