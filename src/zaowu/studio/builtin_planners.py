"""The built-in planners, registered through the ``register_planners`` hook: the LLM writes the design
spec the design engine renders and the music plan the composer plays (``studio/planners.py`` holds the
registry and runs them inside ``Studio.generate_media``)."""

from __future__ import annotations

from collections.abc import Callable

from ..hookspecs import hookimpl
from .design import plan_design
from .music import plan_music_request, review_music_plan
from .planners import Planner
from .presenter import plan_presenter
from .storyboard import plan_storyboard, review_storyboard

__all__ = ["register_planners"]


@hookimpl
def register_planners(register: Callable[[Planner], None]) -> None:
    register(Planner(backends=("design",), fills="spec", plan=plan_design, name="design spec"))
    register(
        Planner(
            backends=("composer",), fills="plan", plan=plan_music_request, review=review_music_plan, name="music plan"
        )
    )
    register(
        Planner(
            backends=("storyboard",),
            fills="storyboard",
            plan=plan_storyboard,
            review=review_storyboard,
            name="storyboard",
        )
    )
    register(
        Planner(backends=("presenter",), fills="images", plan=plan_presenter, name="presenter portrait and speech")
    )
