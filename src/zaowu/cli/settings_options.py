"""Click options generated from the Settings model: one declaration, three sources."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import click

from ..settings import Settings

_TYPES = {str: click.STRING, int: click.INT, float: click.FLOAT, Path: click.Path(path_type=Path)}


def _simple_type(annotation: Any):
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else None
    return annotation


def settings_options(*names: str):
    """Decorator adding ``--name`` options for the given Settings fields; unset flags
    are left out so env variables and the config file still apply."""

    def decorate(fn):
        for name in reversed(names):
            field = Settings.model_fields[name]
            kind = _simple_type(field.annotation)
            flag = "--" + name.replace("_", "-")
            help_ = f"{field.description or ''} [env: ZAOWU_{name.upper()}]"
            if kind is bool:
                opt = click.option(f"{flag}/--no-{flag[2:]}", name, default=None, help=help_)
            else:
                opt = click.option(flag, name, type=_TYPES[kind], default=None, help=help_)
            fn = opt(fn)
        return fn

    return decorate


def overrides(values: dict[str, Any]) -> dict[str, Any]:
    """The settings a command received as flags (None means not given)."""
    return {k: v for k, v in values.items() if k in Settings.model_fields and v is not None}
