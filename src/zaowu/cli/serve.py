"""``zaowu serve``: the HTTP API (OpenAI-compatible) on uvicorn."""

from __future__ import annotations

from typing import Any

import click

from .settings_options import overrides, settings_options


@click.command()
@settings_options(
    "host",
    "port",
    "default_chat_model",
    "planner_model",
    "default_embedding_model",
    "n_ctx",
    "n_parallel",
    "n_threads",
    "n_gpu_layers",
    "max_loaded_models",
    "max_queue",
    "job_workers",
    "log_level",
)
@click.option("--preload/--no-preload", default=True, help="load the default chat model at start")
@click.pass_obj
def serve(state, preload: bool, **values: Any) -> None:
    """Serve the OpenAI-compatible API (and later the web studio)."""
    import logging

    import uvicorn

    from ..api.app import create_app
    from ..studio.backend_options import check_settings

    settings = state.settings(**overrides(values))
    check_settings(settings)  # a bad backend option is one line naming it, before the server starts
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    app = create_app(settings, preload=preload)
    click.echo(f"zaowu serving on http://{settings.host}:{settings.port} (data in {settings.data_dir})", err=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower())
