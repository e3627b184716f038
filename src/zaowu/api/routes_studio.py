"""Small JSON endpoints the web studio needs beyond the OpenAI-style API:
the generation history (/v1/generations), pulling a model as a job, API key
management for admins, remote backends and voices, and the studio's session
cookie (/studio/login, /studio/logout, /studio/session).

The session cookie holds a random session id, never the API key: HttpOnly and
SameSite=Strict (Secure over https), so scripts in the page never see it. The
database keeps only its sha256, mapped to the key (studio/keys.py); api/auth.py
reads it when a request carries no Authorization header, and logging out ends the
session server-side.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..errors import AuthenticationError, InvalidRequest
from ..studio.history import History
from ..studio.keys import SESSION_TTL_SECONDS, Principal, Quota
from .auth import SESSION_COOKIE, api_caller, scope
from .routes_jobs import accepted_job

router = APIRouter()


def _mine(principal: Principal) -> str | None:
    """The key whose rows a caller may see: None (all) for admins and the local owner."""
    return None if principal.anonymous or principal.is_admin else principal.key_id


@router.get("/v1/generations")
async def list_generations(
    request: Request,
    modality: str | None = None,
    model: str | None = None,
    status: str | None = None,
    q: str | None = None,
    before: str | None = None,
    limit: int = 50,
    principal: Principal = scope(None, count=False),
) -> dict[str, Any]:
    """The generation log, newest first, each row with its artifacts; keys see only their own rows."""
    studio = request.app.state.studio
    history = History(studio.db, studio.log)
    rows = await run_in_threadpool(
        history.list,
        key_id=_mine(principal),
        modality=modality,
        model=model,
        status=status,
        q=q,
        before=before,
        limit=limit,
    )
    return {"object": "list", "data": rows, "has_more": len(rows) == max(1, min(limit, 500))}


@router.get("/v1/generations/{gen_id}")
async def get_generation(request: Request, gen_id: str, principal: Principal = scope(None, count=False)) -> dict:
    studio = request.app.state.studio
    return await run_in_threadpool(History(studio.db, studio.log).get, gen_id, key_id=_mine(principal))


class PullBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=200)


@router.post("/v1/models/pull", status_code=202)
async def pull_model(request: Request, body: PullBody, principal: Principal = scope("admin")):
    """Install a catalog model as a job (follow /v1/jobs/{id}/events for download progress)."""
    studio = request.app.state.studio
    await run_in_threadpool(studio.catalog.get, body.model)  # 404 naming 'model' before queueing
    return await accepted_job(studio, "pull", body.model_dump(), api_caller(principal, request))


class KeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(default_factory=lambda: ["text", "image", "audio"])
    quota: Quota = Field(default_factory=Quota)
    # the safety filter's policy for the key: "block", "warn" or "log" for every category, or per category
    # ({"violence": "warn", "*": "block"}); None: the safety_policy setting
    safety: str | dict[str, str] | None = None


class KeyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    safety: str | dict[str, str] | None  # as KeyBody.safety; replaces the key's policy (None: the setting's)


def _key_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "api_key",
        **{
            k: row.get(k)
            for k in ("id", "name", "prefix", "scopes", "quota", "created_at", "last_used_at", "revoked_at")
        },
        "safety": _policy_json(row),
    }


def _policy_json(row: dict[str, Any]) -> str | dict[str, str] | None:
    """The key's safety policy as it is set: per category (``"*"``: the rest) or one for all."""
    if row.get("safety_categories"):
        return {**row["safety_categories"], **({"*": row["safety"]} if row.get("safety") else {})}
    return row.get("safety")


@router.get("/v1/keys")
async def list_keys(request: Request, principal: Principal = scope("admin", count=False)) -> dict[str, Any]:
    rows = await run_in_threadpool(request.app.state.studio.keys.list)
    return {"object": "list", "data": [_key_json(r) for r in rows]}


@router.post("/v1/keys", status_code=201)
async def create_key(request: Request, body: KeyBody, principal: Principal = scope("admin")) -> dict[str, Any]:
    """A new key; its secret is in the answer once and never again."""
    keys = request.app.state.studio.keys
    secret, row = await run_in_threadpool(lambda: keys.create(body.name, body.scopes, body.quota, safety=body.safety))
    return {**_key_json(row), "key": secret}


@router.patch("/v1/keys/{name}")
async def update_key(
    request: Request, name: str, body: KeyUpdate, principal: Principal = scope("admin")
) -> dict[str, Any]:
    """Change a key's safety policy (for every category, or per category)."""
    keys = request.app.state.studio.keys
    return _key_json(await run_in_threadpool(keys.set_safety, name, body.safety))


@router.delete("/v1/keys/{name}")
async def revoke_key(request: Request, name: str, principal: Principal = scope("admin")) -> dict[str, Any]:
    return _key_json(await run_in_threadpool(request.app.state.studio.keys.revoke, name))


@router.get("/v1/remotes")
async def list_remotes(request: Request, principal: Principal = scope(None, count=False)) -> dict[str, Any]:
    """Configured OpenAI-compatible servers (never their keys)."""
    remotes = request.app.state.studio.settings.remotes
    data = [
        {"name": n, "base_url": r.base_url, "models": r.models, "has_key": r.api_key is not None, "timeout": r.timeout}
        for n, r in sorted(remotes.items())
    ]
    return {"object": "list", "data": data}


@router.get("/v1/audio/voices")
async def list_voices(request: Request, principal: Principal = scope(None, count=False)) -> dict[str, Any]:
    return {"object": "list", "data": request.app.state.studio.voices()}


# -- the studio's session ---------------------------------------------------------------------


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=200)


def _session(studio, principal: Principal | None) -> dict[str, Any]:
    return {
        "auth_required": studio.settings.auth_required,
        "signed_in": principal is not None and not principal.anonymous,
        "name": principal.name if principal else None,
        "scopes": list(principal.scopes) if principal else [],
        "admin": bool(principal and principal.is_admin),
    }


@router.post("/studio/login")
async def login(request: Request, body: LoginBody, response: Response) -> dict[str, Any]:
    """Check the key and open a session; the HttpOnly cookie holds the session's id, not the key."""
    studio = request.app.state.studio
    try:
        token, principal = await run_in_threadpool(studio.keys.open_session, body.key.strip())
    except AuthenticationError as exc:
        raise InvalidRequest(
            f"{exc.message} Ask the server's owner for a key ('zaowu keys create NAME').", param="key"
        ) from None
    await run_in_threadpool(studio.keys.close_session, request.cookies.get(SESSION_COOKIE))  # the one it replaces
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE, token, max_age=SESSION_TTL_SECONDS, httponly=True, samesite="strict", secure=secure, path="/"
    )
    return _session(studio, principal)


@router.post("/studio/logout")
async def logout(request: Request, response: Response) -> dict[str, Any]:
    """End the session server-side (its id stops working at once) and clear the cookie."""
    studio = request.app.state.studio
    await run_in_threadpool(studio.keys.close_session, request.cookies.get(SESSION_COOKIE))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return _session(studio, None)


@router.get("/studio/session")
async def session(request: Request, response: Response) -> dict[str, Any]:
    """Who the studio is signed in as; a stale cookie (signed out, expired, key revoked) is cleared."""
    studio = request.app.state.studio
    cookie = request.cookies.get(SESSION_COOKIE)
    principal = await run_in_threadpool(studio.keys.session, cookie)
    if principal is None:
        if cookie:
            response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        try:
            principal = await run_in_threadpool(studio.keys.authenticate, None, studio.settings.auth_required)
        except AuthenticationError:
            principal = None
    return _session(studio, principal)
