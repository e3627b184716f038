"""Authentication and quotas for /v1 routes, as a FastAPI dependency.

``Depends(scope("text"))`` checks the Bearer key (401), its scope (403) and its
limits (429 with Retry-After), counts the request, and returns the Principal.
"""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ..studio.keys import Principal

SESSION_COOKIE = "zaowu_session"  # the web studio's HttpOnly cookie holding its key (set by /studio/login)


def _authorization(request: Request) -> str | None:
    """The Authorization header, else the studio's session cookie as a Bearer key."""
    header = request.headers.get("authorization")
    if header:
        return header
    cookie = request.cookies.get(SESSION_COOKIE)
    return f"Bearer {cookie}" if cookie else None


def principal_for(request: Request, needed: str | None, count: bool = True) -> Principal:
    studio = request.app.state.studio
    principal = studio.keys.authenticate(_authorization(request), studio.settings.auth_required)
    principal.require(needed)
    if count:
        studio.keys.admit(principal)
    request.state.principal = principal
    return principal


def scope(needed: str | None, count: bool = True):
    """Dependency for a route needing ``needed`` (None: any valid key). ``count=False``
    skips rate limits and quotas (for reading one's own usage once they are used up)."""

    async def dependency(request: Request) -> Principal:
        if _authorization(request) is None:  # no key: decided from memory, so no worker thread (fast under load)
            return principal_for(request, needed, count)
        return await run_in_threadpool(principal_for, request, needed, count)

    return Depends(dependency)


def caller_name(principal: Principal, request: Request, user: str | None = None) -> str:
    """Who to record in logs: the key's name, else the request's ``user`` field, else the client address."""
    if not principal.anonymous:
        return principal.name
    return user or (request.client.host if request.client else "unknown")
