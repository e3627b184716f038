"""``zaowu verify FILE…``: the labels each file carries and the ones it lacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..errors import InvalidRequest


def _summary(report: dict[str, Any]) -> list[str]:
    implicit = report.get("implicit") or {}
    lines = [f"{report['name']}: {report.get('format') or 'unknown format'} ({report.get('mime') or '?'})"]
    if implicit.get("found"):
        fields = ", ".join(f"{k}={v}" for k, v in (implicit.get("fields") or {}).items())
        lines.append(f"  implicit label: found in {implicit['where']}: {fields}")
        if implicit.get("missing_fields"):
            lines.append(f"    missing fields: {', '.join(implicit['missing_fields'])}")
    else:
        lines.append(f"  implicit label: MISSING ({implicit.get('where') or implicit.get('detail') or 'none found'})")
    for part in ("explicit", "watermark", "c2pa"):
        info = report.get(part) or {}
        state = "found" if info.get("found") else ("MISSING" if info.get("found") is False else "not checked")
        detail = f": {info['detail']}" if info.get("detail") else ""
        lines.append(f"  {part}: {state}{detail}")
    gen = report.get("generation")
    lines.append(
        f"  generation log: {gen['id']} ({gen['modality']}, {gen['model']}, {gen['created_at']})"
        if gen
        else "  generation log: no matching row here"
    )
    lines.append(f"  missing: {', '.join(report.get('missing') or []) or 'none'}")
    return lines


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print the reports as a JSON array")
@click.pass_obj
def verify(state, files: tuple[Path, ...], as_json: bool) -> None:
    """Report the AI-content labels of each FILE (implicit metadata, visible mark, watermark, C2PA) and
    the generation it came from when it was made here. Exits 1 when a file lacks its implicit label."""
    from ..studio.provenance.labels import MAX_VERIFY_BYTES

    studio = state.studio()
    reports = []
    for path in files:
        if path.stat().st_size > MAX_VERIFY_BYTES:
            raise InvalidRequest(f"{path} is larger than {MAX_VERIFY_BYTES >> 20} MiB.", param="FILE")
        reports.append(studio.verify(path.read_bytes(), path.name))
    if as_json:
        click.echo(json.dumps(reports, ensure_ascii=False, indent=2, default=str))
    else:
        for report in reports:
            click.echo("\n".join(_summary(report)))
    if any(not (r.get("implicit") or {}).get("found") for r in reports):
        raise SystemExit(1)
