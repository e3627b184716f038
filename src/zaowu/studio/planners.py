"""Planners: what writes the plan a media backend renders, run inside ``Studio.generate_media``.

Some backends render a plan rather than a prompt: the design engine renders a design spec, the
composer a music plan (and soon the video engine a storyboard). A language model writes that plan
from the prompt. Each planner is registered for the backend ids it plans for through the
``register_planners`` hook, and ``generate_media`` runs it when a request for one of those backends
carries no plan, so every caller (HTTP, CLI, jobs, workflow steps, apps) runs media one way and
backends never see the LLM:

    @hookimpl
    def register_planners(register):
        register(Planner(backends=("storyboard",), fills="storyboard", plan=write_storyboard))

``plan(studio, request, run)`` gets the request with its seed decided and returns a ``Planned``:
the request with the plan filled in, and checks to report with every output (``meta["checks"]``).
``review``, when given, runs instead when the request brings its own plan (music: a given plan is
checked and reported, not rewritten).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..types import Caller

if TYPE_CHECKING:
    from ..backends.base import Progress
    from .engine import Studio

log = logging.getLogger(__name__)

__all__ = ["PlanRun", "Planned", "Planner", "PlannerRegistry"]


@dataclass(frozen=True)
class PlanRun:
    """What a planner may use besides the request: who runs it (for its LLM calls, scopes and
    quotas), the language model to plan with (None: the ``planner_model`` setting), progress, and
    hints a caller passes (the design planner reads ``hints["theme"]``, a store's shared theme)."""

    who: Caller = field(default_factory=Caller)
    model: str | None = None
    progress: Progress | None = None
    hints: Mapping[str, Any] = field(default_factory=dict)

    def report(self, fraction: float, message: str) -> None:
        if self.progress is not None:
            self.progress(fraction, message)


@dataclass
class Planned:
    """A planner's answer: the request with its plan, and checks reported with each output."""

    request: Any
    checks: list[dict[str, Any]] = field(default_factory=list)


PlanFunction = Callable[["Studio", Any, PlanRun], Planned]


@dataclass(frozen=True)
class Planner:
    """Plans requests for the backends ``backends``: ``plan`` runs when the request's ``fills``
    field is empty, ``review`` (optional) when the request brings it."""

    backends: tuple[str, ...]
    fills: str
    plan: PlanFunction
    review: PlanFunction | None = None
    name: str = ""

    def run(self, studio: Studio, request: Any, run: PlanRun) -> Planned:
        if getattr(request, self.fills, None) is None:
            return self.plan(studio, request, run)
        if self.review is not None:
            return self.review(studio, request, run)
        return Planned(request)


class PlannerRegistry:
    """Planners by backend id, filled by the ``register_planners`` hook (a later plugin's planner
    for the same backend replaces the built-in)."""

    def __init__(self, pm: Any = None):
        self._by_backend: dict[str, Planner] = {}
        if pm is not None:
            pm.hook.register_planners(register=self.register)

    def register(self, planner: Planner) -> None:
        for backend in planner.backends:
            if backend in self._by_backend:
                log.info(
                    "planner %r replaces %r for backend '%s'", planner.name, self._by_backend[backend].name, backend
                )
            self._by_backend[backend] = planner

    def get(self, backend: str) -> Planner | None:
        return self._by_backend.get(backend)

    def backends(self) -> list[str]:
        return sorted(self._by_backend)
