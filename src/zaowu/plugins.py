"""The plugin manager: built-in plugins, installed entry points and modules named
in the ``plugins`` setting, all through the hooks of zaowu/hookspecs.py."""

from __future__ import annotations

from importlib import import_module

import pluggy

from . import hookspecs
from .errors import InvalidRequest

ENTRY_POINT_GROUP = "zaowu"
BUILTIN_PLUGINS = (
    "zaowu.backends.llamacpp",
    "zaowu.backends.openai_remote",
    "zaowu.backends.use_embeddings",
    "zaowu.backends.music.backend",
    "zaowu.backends.storyboard.backend",
    "zaowu.backends.presenter.backend",
    "zaowu.backends.speech.backend",
    "zaowu.backends.speech.whisper",
    "zaowu.backends.design.backend",
    "zaowu.backends.design.avatar_backend",
    "zaowu.backends.diffusers_backend",
    "zaowu.backends.remote_images",
    "zaowu.studio.job_kinds",
    "zaowu.studio.builtin_planners",
    "zaowu.studio.steps",
    "zaowu.apps.plugin",
    "zaowu.studio.model_jobs",
    "zaowu.studio.knowledge.jobs",
)


def plugin_manager(load_entry_points: bool = True, extra: list[str] | tuple[str, ...] = ()) -> pluggy.PluginManager:
    """A plugin manager with the built-ins, installed entry points and ``extra`` module names
    registered (plugin modules are small; heavy libraries load only with a model)."""
    pm = pluggy.PluginManager("zaowu")
    pm.add_hookspecs(hookspecs)
    for name in (*BUILTIN_PLUGINS, *extra):
        if pm.get_plugin(name) is None:
            try:
                module = import_module(name)
            except ImportError as exc:
                raise InvalidRequest(f"Cannot import plugin module '{name}': {exc}", param="plugins") from None
            pm.register(module, name=name)
    if load_entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return pm
