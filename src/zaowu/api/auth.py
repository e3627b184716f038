"""Authentication and quotas for /v1 routes, as a FastAPI dependency.

``Depends(scope("text"))`` checks the Bearer key, or the web studio's session cookie
(401), its scope (403) and its limits (429 with Retry-After), counts the request, and
returns the Principal.
"""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ..errors import AuthenticationError, InvalidRequest
from ..studio.keys import Principal
from ..types import Caller

SESSION_COOKIE = "zaowu_session"  # the web studio's HttpOnly cookie holding a session id (set by /studio/login)


def _authenticate(request: Request) -> Principal:
    """The Authorization header's key, else the studio session the cookie names, else no key."""
    studio = request.app.state.studio
    required = studio.settings.auth_required
    header = request.headers.get("authorization")
    if header:
        return studio.keys.authenticate(header, required)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        if (principal := studio.keys.session(cookie)) is not None:
            return principal
        if required:
            raise AuthenticationError(
                "The studio session has ended (signed out, expired, or its key was revoked). "
                "Sign in again, or send 'Authorization: Bearer zw-...'."
            )
    return studio.keys.authenticate(None, required)


def principal_for(request: Request, needed: str | None, count: bool = True) -> Principal:
    studio = request.app.state.studio
    principal = _authenticate(request)
    principal.require(needed)
    if count:
        studio.keys.admit(principal)
    request.state.principal = principal
    return principal


def scope(needed: str | None, count: bool = True):
    """Dependency for a route needing ``needed`` (None: any valid key). ``count=False``
    skips rate limits and quotas (for reading one's own usage once they are used up)."""

    async def dependency(request: Request) -> Principal:
        if "authorization" not in request.headers and SESSION_COOKIE not in request.cookies:
            # no key and no session: decided from memory, so no worker thread (fast under load)
            return principal_for(request, needed, count)
        return await run_in_threadpool(principal_for, request, needed, count)

    return Depends(dependency)


UNLABELLED_HEADER = "X-Zaowu-Unlabelled"  # "true": store this request's outputs without labels (key permission)


def api_caller(principal: Principal, request: Request, user: str | None = None) -> Caller:
    """Who an API request runs as: the key, named as ``caller_name`` says, asking for unlabelled
    output when the request sends ``X-Zaowu-Unlabelled: true`` (the studio checks the permission)."""
    return Caller(
        interface="api",
        name=caller_name(principal, request, user),
        key_id=principal.key_id,
        unlabelled=_unlabelled(request),
    )


def _unlabelled(request: Request) -> bool:
    value = request.headers.get(UNLABELLED_HEADER)
    if value is None:
        return False
    if value.strip().lower() not in ("true", "false", "1", "0"):
        raise InvalidRequest(
            f"The {UNLABELLED_HEADER} header is '{value[:20]}'; send 'true' or 'false'.", param="unlabelled"
        )
    return value.strip().lower() in ("true", "1")


def caller_name(principal: Principal, request: Request, user: str | None = None) -> str:
    """Who to record in logs: the key's name, else the request's ``user`` field, else the client address."""
    if not principal.anonymous:
        return principal.name
    return user or (request.client.host if request.client else "unknown")
