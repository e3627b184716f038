"""GET /v1/safety/events: the safety filter's log, for admin keys (``admin`` scope).

Filters: ``since`` and ``until`` (Unix seconds), ``key`` (a key's name or id), ``category``, ``action``
(refused, warned, logged, cut); newest first, ``limit`` per page (at most 500) and ``before`` (the page
cursor: ``next_before`` of the previous answer). A thin adapter over ``Studio.safety_events``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from ..studio.keys import Principal
from .auth import scope

router = APIRouter(prefix="/v1/safety")


def _event_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"object": "safety.event", **row}


@router.get("/events")
async def list_safety_events(
    request: Request,
    since: float | None = None,
    until: float | None = None,
    key: str | None = None,
    category: str | None = None,
    action: str | None = None,
    limit: int = 100,
    before: int | None = None,
    principal: Principal = scope("admin", count=False),
) -> dict[str, Any]:
    studio = request.app.state.studio
    page = await run_in_threadpool(
        lambda: studio.safety_events(
            since=since, until=until, key=key, category=category, action=action, limit=limit, before=before
        )
    )
    return {"object": "list", **page, "data": [_event_json(r) for r in page["data"]]}
