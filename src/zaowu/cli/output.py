"""What the CLI's app, template and minutes commands print and write: JSON, a result's checks, artifacts
saved to a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _echo_checks(checks: list[dict[str, Any]]) -> None:
    """A result's checks on stderr, one a line: 'check ok   count.variants: 3 of 3 variants'."""
    for c in checks:
        click.echo(f"check {'ok  ' if c.get('ok') else 'FAIL'} {c.get('name')}: {c.get('detail', '')}", err=True)


def _save_artifacts(studio, artifacts: list[dict[str, Any]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for art in artifacts:
        path = folder / (art.get("name") or art["id"])
        path.write_bytes(studio.artifacts.read(art["id"]))
        click.echo(f"wrote {path}", err=True)
