"""``zaowu templates``, ``zaowu app NAME`` and ``zaowu workflow``: thin adapters over the
template library, the apps and the workflow engine. App options are generated from each
app's typed input, so a new field appears here without CLI code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args, get_origin

import click

from .output import _echo_checks, _echo_json, _save_artifacts
from .text import _user, _who

# ---------------------------------------------------------------- templates


@click.group()
def templates() -> None:
    """Prompt templates: list, show, run."""


@templates.command("list")
@click.option("-c", "--category", help="marketing, social, ecommerce, business, office, education, service, writing")
@click.pass_obj
def templates_list(state, category) -> None:
    library = state.studio().templates
    for t in library.list(category):
        mark = " [json]" if t.output_schema else ""
        click.echo(f"{t.id:28} {t.category:10} {t.title.zh} / {t.title.en}{mark}")
    for problem in library.problems:
        click.echo(f"warning: {problem}", err=True)


@templates.command("show")
@click.argument("template_id")
@click.pass_obj
def templates_show(state, template_id) -> None:
    _echo_json(state.studio().templates.get(template_id).detail())


def _parse_var(raw: str) -> tuple[str, Any]:
    if "=" not in raw:
        raise click.BadParameter(f"'{raw}' is not NAME=VALUE", param_hint="-v/--var")
    name, value = raw.split("=", 1)
    try:  # numbers, booleans and lists may be written as JSON; anything else is text
        parsed = json.loads(value)
        return name, parsed if not isinstance(parsed, str) else value
    except json.JSONDecodeError:
        return name, value


@templates.command("run")
@click.argument("template_id")
@click.option("-v", "--var", "variables", multiple=True, help="NAME=VALUE (repeatable; JSON for numbers/lists)")
@click.option("-l", "--language", type=click.Choice(["zh", "en"]), help="default: detected from the variables")
@click.option("-m", "--model")
@click.option("--seed", type=int)
@click.option("--example", type=int, help="run the template's example N (0-based) instead of -v values")
@click.option("--stream", is_flag=True, help="print the model's raw output as it comes (the checks do not run)")
@click.pass_obj
def templates_run(state, template_id, variables, language, model, seed, example, stream) -> None:
    """Run a template; the output (text or JSON) goes to stdout, its checks to stderr."""
    from ..studio.templates import prepare_template_run, run_template

    studio = state.studio()
    values = dict(_parse_var(v) for v in variables)
    if example is not None:
        examples = studio.templates.get(template_id).examples
        if not 0 <= example < len(examples):
            raise click.BadParameter(f"the template has {len(examples)} examples", param_hint="--example")
        values = {**examples[example], **values}
    if not stream:
        result = run_template(studio, template_id, values, language=language, model=model, seed=seed, who=_who())
        click.echo(result.text)
        _echo_checks([c.model_dump() for c in result.checks])
        return
    _, _, request = prepare_template_run(studio, template_id, values, language=language, model=model, seed=seed)
    chunks = studio.stream(request, who=_who())
    try:
        for chunk in chunks:
            click.echo(chunk.text, nl=False)
    finally:
        chunks.close()
    click.echo()
    if chunks.violation is not None:
        raise chunks.violation


# ---------------------------------------------------------------- apps


def _option_for(name: str, field) -> click.Option:
    flag = "--" + name.replace("_", "-")
    annotation = field.annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is not None and len(args) == 1 and get_origin(args[0]) is not None:
        annotation = args[0]  # Optional[Literal[...]]
    help_text = " / ".join(x for x in (field.title, field.description) if x)
    required = field.is_required()
    default = None if required else field.default
    if annotation is bool:
        return click.Option([f"{flag}/--no-{flag[2:]}"], default=bool(default), help=help_text, show_default=True)
    if get_origin(annotation) is list:  # a list: the option repeats (--knowledge-bases vs_a --knowledge-bases vs_b)
        return click.Option([flag], multiple=True, required=required, help=f"{help_text} (repeatable)")
    choices = get_args(annotation) if str(get_origin(annotation)).endswith("Literal") else None
    kind = (
        click.Choice([str(c) for c in choices])
        if choices
        else (int if annotation is int else float if annotation is float else str)
    )
    return click.Option(
        [flag], type=kind, required=required, default=default, help=help_text, show_default=default is not None
    )


def _minutes_command() -> click.Command:
    from .minutes import meeting_minutes

    return meeting_minutes


_OWN_COMMANDS = {"meeting-minutes": _minutes_command}


class AppGroup(click.Group):
    """One subcommand per registered app, its options made from the app's typed input."""

    def _apps(self, ctx: click.Context) -> dict[str, Any]:
        from ..plugins import plugin_manager

        found: dict[str, Any] = {}
        settings = getattr(ctx.find_root().obj, "settings", None)  # the root group's State
        pm = plugin_manager(extra=settings().plugins if settings else ())
        pm.hook.register_apps(register=lambda app: found.__setitem__(app.id, app))
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._apps(ctx))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        app = self._apps(ctx).get(name)
        if app is None:
            return None
        if name in _OWN_COMMANDS:  # apps that take a file argument have a command of their own
            return _OWN_COMMANDS[name]()
        params = [_option_for(n, f) for n, f in app.Input.model_fields.items()]
        params += [
            click.Option(
                ["-o", "--out"],
                type=click.Path(file_okay=False, path_type=Path),
                help="folder to save the app's files in",
            ),
            click.Option(["-m", "--model"], help="text model for the app's language steps"),
            click.Option(["--seed"], type=int),
            click.Option(["--json", "as_json"], is_flag=True, help="print the whole result as JSON"),
        ]

        @click.pass_obj
        def run(state, out, model, seed, as_json, **fields):
            given = {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items() if v is not None and v != ()}
            _run_app(state, app.id, given, out, model, seed, as_json)

        return click.Command(
            name, params=params, callback=run, help=f"{app.title.en} / {app.title.zh}: {app.description.en}"
        )


def _run_app(state, app_id: str, fields: dict[str, Any], out: Path | None, model, seed, as_json: bool) -> None:
    from ..apps.base import run_app

    studio = state.studio()
    last = [""]

    class _Progress:  # app runs report per-step progress through a job-like object
        job_id = None

        def check(self) -> None:
            pass

        def progress(self, fraction: float, message: str | None = None, **_: Any) -> None:
            if message != last[0]:
                last[0] = message or ""
                click.echo(f"[{fraction:4.0%}] {message}", err=True)

        def artifact(self, data, mime, *, name=None, meta=None, generation_id=None):
            return studio.artifacts.put(data, mime, name=name, meta=meta, generation_id=generation_id, caller=_user())

    result = run_app(studio, app_id, fields, model=model, seed=seed, job=_Progress(), who=_who())
    if as_json:
        _echo_json(result.to_dict())
    elif isinstance(result.result.get("markdown"), str):
        click.echo(result.result["markdown"])
    else:
        _echo_json(result.result)
    _echo_checks(result.result.get("checks") or [])
    click.echo(f"run {result.run_id} (seed {result.seed})", err=True)
    if out is not None:
        _save_artifacts(studio, result.artifacts, out)


@click.group(cls=AppGroup)
def app() -> None:
    """Run an app: copywriter, business-plan, office-docs, store-kit…  (`zaowu app NAME --help`)."""


# ---------------------------------------------------------------- workflows


@click.group()
def workflow() -> None:
    """Run, inspect and resume workflows."""


@workflow.command("run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-i", "--input", "inputs", multiple=True, help="NAME=VALUE (repeatable; JSON for numbers/lists)")
@click.option("-m", "--model")
@click.option("--seed", type=int)
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), help="folder for the files")
@click.pass_obj
def workflow_run(state, file, inputs, model, seed, out) -> None:
    """Run the workflow in FILE (YAML or JSON)."""
    from ..studio.workflows import load_workflow, run_workflow

    studio = state.studio()
    spec = load_workflow(file.read_text(encoding="utf-8"))
    run = run_workflow(studio, spec, dict(_parse_var(i) for i in inputs), seed=seed, model=model, who=_who())
    _echo_json(run.to_dict())
    if out is not None:
        _save_artifacts(studio, run.artifacts, out)


@workflow.command("show")
@click.argument("run_id")
@click.pass_obj
def workflow_show(state, run_id) -> None:
    from ..studio.workflows import get_run

    _echo_json(get_run(state.studio(), run_id).to_dict())


@workflow.command("resume")
@click.argument("run_id")
@click.pass_obj
def workflow_resume(state, run_id) -> None:
    """Run a failed run again from its failed step."""
    from ..apps.base import resume_app
    from ..studio.workflows import get_run, resume_workflow

    studio = state.studio()
    if get_run(studio, run_id).app is not None:
        _echo_json(resume_app(studio, run_id).to_dict())
    else:
        _echo_json(resume_workflow(studio, run_id).to_dict())
