"""The ``zaowu`` command. Each subcommand is a thin adapter over the Studio;
errors become one clear line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from .. import __version__
from ..errors import InvalidRequest, ZaowuError
from .settings_options import overrides, settings_options


class State:
    """Settings and a lazily opened Studio, shared by the subcommands."""

    def __init__(self, values: dict[str, Any]):
        self.values = values
        self._studio = None

    def settings(self, **more: Any):
        from ..settings import Settings

        return Settings(**{**self.values, **more})

    def studio(self):
        if self._studio is None:
            from ..studio.engine import Studio

            self._studio = Studio(self.settings())
        return self._studio

    def close(self) -> None:
        if self._studio is not None:
            self._studio.close()


class ZaowuGroup(click.Group):
    """Turns zaowu's errors (and invalid settings) into ``Error: ...`` with exit status 1."""

    def invoke(self, ctx: click.Context):
        from pydantic import ValidationError

        try:
            return super().invoke(ctx)
        except ZaowuError as exc:
            raise click.ClickException(exc.message) from None
        except ValidationError as exc:
            raise click.ClickException(InvalidRequest.from_validation(exc).message) from None
        except KeyboardInterrupt:
            raise click.Abort() from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # a bug: still one line, with the traceback on request
            if os.environ.get("ZAOWU_DEBUG"):
                raise
            raise click.ClickException(
                f"internal error: {type(exc).__name__}: {exc} (run with ZAOWU_DEBUG=1 for the traceback)"
            ) from None


@click.group(cls=ZaowuGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zaowu")
@settings_options("data_dir", "models_dir", "database_url")
@click.pass_context
def cli(ctx: click.Context, **values: Any) -> None:
    """造物 zaowu: a self-hosted AIGC studio."""
    state = State(overrides(values))
    ctx.obj = state
    ctx.call_on_close(state.close)


def _register() -> None:
    from . import apps, jobs, kb, logs, media, models, safety, serve, text, verify, video

    cli.add_command(text.prompt)
    cli.add_command(text.chat)
    cli.add_command(serve.serve)
    cli.add_command(models.models)
    cli.add_command(logs.logs)
    cli.add_command(jobs.jobs)
    cli.add_command(jobs.worker)
    cli.add_command(jobs.artifacts)
    cli.add_command(jobs.keys)
    cli.add_command(media.speak)
    cli.add_command(media.transcribe)
    cli.add_command(media.music)
    cli.add_command(media.image)
    cli.add_command(video.video)
    cli.add_command(apps.templates)
    cli.add_command(apps.app)
    cli.add_command(apps.workflow)
    cli.add_command(verify.verify)
    cli.add_command(kb.kb)
    cli.add_command(safety.safety)


_register()


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="zaowu")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
