"""Plugin hooks. A plugin is any module or object with ``@hookimpl`` functions,
registered by the ``zaowu`` entry-point group, by the ``plugins`` setting
(module names), or built in: the built-ins use these same hooks."""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("zaowu")
hookimpl = pluggy.HookimplMarker("zaowu")


@hookspec
def register_backends(register):
    """Call ``register(BackendClass)`` for each backend class the plugin provides."""


@hookspec
def register_models(register):
    """Call ``register(CatalogEntry)`` (or a dict of its fields) for each catalog model."""


@hookspec
def register_job_kinds(register):
    """Call ``register(JobKind)`` for each kind of job the plugin can run."""


@hookspec
def register_workflow_steps(register):
    """Call ``register(StepClass)`` for each workflow step type (see zaowu/studio/workflows.py)."""


@hookspec
def register_apps(register):
    """Call ``register(AppClass)`` for each application (see zaowu/apps/base.py)."""


@hookspec
def register_planners(register):
    """Call ``register(Planner)`` for each planner (see zaowu/studio/planners.py): a function that
    writes the plan a media backend renders (an image's design spec, a music plan) from the prompt,
    run by ``Studio.generate_media`` when a request for one of its backends carries no plan."""
