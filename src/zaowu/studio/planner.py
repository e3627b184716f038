"""The planner model: which language model writes plans and copy for apps and planners.

Apps (copy, business plans, office documents, store kits) and the planners that run inside a
media request (design spec, music plan) ask a language model to plan. A stronger model than the
default chat model, a remote one or a larger local GGUF, makes better plans; the setting
``planner_model`` routes this work to it, and a run may name its own model instead:

    model = planner_model(studio)             # the configured planner, else the default chat model
    model = planner_model(studio, "ollama/qwen2.5:7b")   # the run's own choice wins
    result = plan_text(studio, request)        # generate, falling back when the planner is down

A configured planner that is missing (not in the catalog, not pulled) or unreachable (its remote
fails) is not fatal: planning falls back to the default chat model with a warning. A model the run
names itself is used as named, and its errors are the run's.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..errors import ModelNotFound, ModelNotInstalled, RemoteError
from ..types import LOCAL, Caller, Modality, TextRequest, TextResult

if TYPE_CHECKING:
    from .engine import Studio

log = logging.getLogger(__name__)

__all__ = ["plan_text", "planner_model"]

_UNAVAILABLE = (ModelNotFound, ModelNotInstalled, RemoteError)


def _default(studio: Studio) -> str:
    return studio.settings.default_chat_model


def _unavailable(studio: Studio, model_id: str) -> str | None:
    """Why ``model_id`` cannot plan here (None when it can)."""
    try:
        entry = studio.catalog.get(model_id, Modality.text)
    except _UNAVAILABLE as exc:
        return exc.message
    except Exception as exc:  # noqa: BLE001 - e.g. an image model named as the planner
        return getattr(exc, "message", str(exc))
    if not studio.catalog.installed(entry):
        return f"'{model_id}' is not installed (zaowu models pull {model_id})"
    return None


def planner_model(studio: Studio, requested: str | None = None) -> str:
    """The model that plans this run: ``requested`` when the run names one, else the configured
    ``planner_model`` when it is available, else the default chat model (with a warning)."""
    if requested:
        return requested
    configured = studio.settings.planner_model
    if not configured or configured == _default(studio):
        return _default(studio)
    reason = _unavailable(studio, configured)
    if reason is None:
        return configured
    log.warning(
        "planner_model '%s' is unavailable (%s); planning with the default chat model '%s'",
        configured,
        reason,
        _default(studio),
    )
    return _default(studio)


def plan_text(studio: Studio, request: TextRequest, *, who: Caller = LOCAL, scope: str = "text") -> TextResult:
    """``studio.generate_text`` with the planner model (unless the request names a model); when the
    configured planner fails as unavailable, the same request runs once more on the default model."""
    if request.model:
        return studio.generate_text(request, who=who, scope=scope)
    model = planner_model(studio)
    try:
        return studio.generate_text(request.model_copy(update={"model": model}), who=who, scope=scope)
    except _UNAVAILABLE as exc:
        if model == _default(studio):
            raise
        log.warning(
            "planner_model '%s' failed (%s); planning with the default chat model '%s'",
            model,
            exc.message,
            _default(studio),
        )
        return studio.generate_text(request.model_copy(update={"model": _default(studio)}), who=who, scope=scope)
