"""A backend's load-time options, assembled from the catalog, the settings and the remotes, and
validated by the backend's own ``Options`` model (see backends/base.py).

Later sources win: the catalog entry's defaults that are options of its backend (a diffusers
model's steps), the settings the backend names in ``settings_options`` (llama.cpp's n_ctx), the
remote's connection for models on a remote server, then the ``backend_options`` settings table:

    [backend_options.tts]
    sentence_pause = 0.4

A bad value raises InvalidRequest naming where it was set (``backend_options.tts.sentence_pause``);
``check_settings`` does so when the studio starts (and ``zaowu serve`` before it listens), so a typo
in the settings file stops the server with that message instead of failing the first request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequest
from ..settings import Settings
from ..types import ModelSpec

if TYPE_CHECKING:
    from ..backends.base import Backend, BackendOptions
    from ..backends.registry import BackendRegistry

__all__ = ["check_settings", "options_for"]


def options_for(cls: type[Backend], spec: ModelSpec, settings: Settings) -> BackendOptions:
    """The options ``cls`` loads ``spec`` with."""
    values: dict[str, Any] = {}
    where: dict[str, str] = {}

    def layer(items: dict[str, Any], prefix: str | None) -> None:
        for name, value in items.items():
            values[name] = value
            where[name] = f"{prefix}.{name}" if prefix else cls.settings_options[name]

    layer({k: v for k, v in spec.defaults.items() if k in cls.Options.model_fields}, f"models.{spec.id}.defaults")
    layer({name: getattr(settings, setting) for name, setting in cls.settings_options.items()}, None)
    if spec.remote:
        cfg = settings.remotes[spec.remote]
        layer(
            {"name": spec.remote, "base_url": cfg.base_url, "api_key": cfg.api_key, "timeout": cfg.timeout},
            f"remotes.{spec.remote}",
        )
    layer(dict(settings.backend_options.get(cls.id, {})), f"backend_options.{cls.id}")
    return cls.parse_options(values, where)


def check_settings(settings: Settings, backends: BackendRegistry | None = None) -> None:
    """Every ``backend_options`` table names an installed backend and options it has, with valid values
    (``backends``: the studio's registry; by default the one the ``plugins`` setting makes)."""
    if backends is None:
        from ..backends.registry import BackendRegistry
        from ..plugins import plugin_manager

        backends = BackendRegistry(plugin_manager(extra=settings.plugins))
    for backend_id, given in settings.backend_options.items():
        try:
            cls = backends.get(backend_id)
        except InvalidRequest as exc:
            raise InvalidRequest(
                f"{exc.message} (set at 'backend_options.{backend_id}')", param=f"backend_options.{backend_id}"
            ) from None
        cls.parse_options(given, {k: f"backend_options.{backend_id}.{k}" for k in given}, partial=True)
