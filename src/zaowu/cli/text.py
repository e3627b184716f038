"""``zaowu prompt`` (one shot) and ``zaowu chat`` (interactive), both streaming."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import InvalidRequest
from ..types import Caller, Modality, TextRequest


def _sampling(fn):
    options = [
        click.option("-m", "--model", help="model id (default: the configured chat model)"),
        click.option("-s", "--system", help="system prompt"),
        click.option("--temperature", type=float),
        click.option("--top-p", type=float),
        click.option("--max-tokens", type=int),
        click.option("--seed", type=int, help="same seed, same output"),
        click.option("--repeat-penalty", type=float),
        click.option("--stop", multiple=True, help="stop sequence (repeatable)"),
    ]
    for opt in reversed(options):
        fn = opt(fn)
    return fn


def _options(kw: dict[str, Any]) -> dict[str, Any]:
    names = ("model", "temperature", "top_p", "max_tokens", "seed", "repeat_penalty")
    out = {k: kw[k] for k in names if kw.get(k) is not None}
    if kw.get("stop"):
        out["stop"] = list(kw["stop"])
    return out


def _who() -> Caller:
    """The CLI's caller: the local owner, named after the user running it."""
    return Caller(interface="cli", name=_user())


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def _stream_to_stdout(studio, request: TextRequest) -> str:
    stream = studio.stream(request, who=_who())
    parts = []
    try:
        for chunk in stream:
            if chunk.text:
                parts.append(chunk.text)
                sys.stdout.write(chunk.text)
                sys.stdout.flush()
    finally:
        stream.close()
    sys.stdout.write("\n")
    if stream.violation is not None:
        raise stream.violation
    return "".join(parts)


@click.command()
@click.argument("text", required=False)
@_sampling
@click.option("--json", "json_mode", is_flag=True, help="answer with a JSON object")
@click.option(
    "--json-schema",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="answer with JSON matching this JSON Schema file (constrained decoding)",
)
@click.option("--completion", is_flag=True, help="plain text completion instead of chat")
@click.pass_obj
def prompt(state, text: str | None, json_mode: bool, json_schema: Path | None, completion: bool, **kw: Any) -> None:
    """Answer one prompt, streaming. Reads stdin when TEXT is '-' or absent
    (stdin and TEXT together: TEXT follows the piped content)."""
    piped = "" if sys.stdin.isatty() else sys.stdin.read()
    if text == "-":
        text = None
    content = "\n\n".join(p for p in (piped.strip(), text) if p)
    if not content:
        raise click.UsageError("give a prompt as an argument or on stdin")
    options = _options(kw)
    if json_schema is not None:
        try:
            schema = json.loads(json_schema.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidRequest(f"{json_schema} is not valid JSON: {exc}", param="json_schema") from None
        options["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": json_schema.stem, "schema": schema},
        }
    elif json_mode:
        options["response_format"] = {"type": "json_object"}
    if completion:
        request = TextRequest(prompt=content, **options)
    else:
        messages = ([{"role": "system", "content": kw["system"]}] if kw.get("system") else []) + [
            {"role": "user", "content": content}
        ]
        request = TextRequest(messages=messages, **options)
    _stream_to_stdout(state.studio(), request)


@click.command()
@_sampling
@click.pass_obj
def chat(state, **kw: Any) -> None:
    """Interactive chat, streaming. /reset clears the conversation, /exit (or Ctrl-D) quits."""
    studio = state.studio()
    options = _options(kw)
    spec, _ = studio.load(options.get("model"), Modality.text)
    click.echo(f"Chatting with {spec.id}. /reset clears the conversation, /exit quits.", err=True)
    system = [{"role": "system", "content": kw["system"]}] if kw.get("system") else []
    history: list[dict[str, str]] = []
    while True:
        try:
            line = input("> ")
        except EOFError:
            click.echo("", err=True)
            return
        line = line.strip()
        if not line:
            continue
        if line in ("/exit", "/quit"):
            return
        if line == "/reset":
            history.clear()
            click.echo("(conversation cleared)", err=True)
            continue
        history.append({"role": "user", "content": line})
        try:
            reply = _stream_to_stdout(studio, TextRequest(messages=system + history, **options))
        except KeyboardInterrupt:
            sys.stdout.write("\n")
            history.pop()
            continue
        history.append({"role": "assistant", "content": reply})
