"""Customer-service assistants over HTTP (zaowu's own endpoints, thin over studio/knowledge/assistants.py).

POST   /v1/assistants                    {"name", "knowledge_bases", "policy", "tone", "allowed_origins"}
                                         → the assistant, its widget key (shown once) and the script tag
GET    /v1/assistants                    GET/DELETE /v1/assistants/{id}
POST   /v1/assistants/{id}/chat          {"message", "conversation_id"} → reply with citations and sources
OPTIONS /v1/assistants/{id}/chat         CORS preflight: answered only for the assistant's allowed origins
GET    /v1/assistants/{id}/handoffs      the questions handed to a person (?status=open|closed)
POST   /v1/assistants/{id}/handoffs/{handoff_id}  {"status": "closed"}: a person took it
GET    /v1/assistants/{id}/conversations/{conversation_id}
GET    /widget.js                        the chat widget a shop embeds with one script tag

The chat takes the assistant's widget key (scope ``assistant``: nothing else) from pages of its allowed
origins only; a widget key must come with such an ``Origin``. The owner's keys may chat too (the studio's
live preview). Widget keys are rate-limited per minute (``assistant_requests_per_minute``). The chat's error
replies (401, 403, 429...) carry the CORS headers too when the page's origin is one the assistant allows, so
the widget can read the status and say "too many requests"; a foreign page's get none.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..errors import PermissionDenied, ZaowuError
from ..studio.keys import ASSISTANT, Principal
from .auth import api_caller, scope
from .disconnect import until_disconnected

router = APIRouter()
CORS_MAX_AGE = 600  # seconds a browser may keep a preflight answer
_CHAT_PATH = re.compile(r"^/v1/assistants/([^/]+)/chat$")


class AssistantBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    knowledge_bases: list[str] = Field(min_length=1, max_length=16)
    policy: str = Field("", max_length=4000)
    tone: str = Field("", max_length=200)
    allowed_origins: list[str] = Field(default_factory=list, max_length=20)
    requests_per_minute: int | None = Field(None, ge=1, le=10_000)


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=1000)
    conversation_id: str | None = Field(None, max_length=60)
    model: str | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {"object": "assistant", **{k: v for k, v in row.items() if k != "key_id"}}


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def _own_origin(request: Request) -> str:
    return _base_url(request).lower()


def _origin_allowed(request: Request, row: dict[str, Any], principal: Principal) -> str | None:
    """The request's Origin when it may chat (None when there is none or it is the server's own), else 403."""
    origin = (request.headers.get("origin") or "").strip().lower() or None
    if origin == _own_origin(request):
        origin = None
    if origin is None and not principal.widget:
        return None
    if origin is None or origin not in row["allowed_origins"]:
        raise PermissionDenied(
            f"The origin '{(origin or 'none')[:100]}' may not use this assistant's chat. Add the site to the "
            "assistant's allowed_origins (like https://shop.example).",
            param="origin",
        )
    return origin


def _cors(response: Response, origin: str | None) -> Response:
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


def error_cors_headers(request: Request) -> dict[str, str]:
    """CORS headers for an error reply to the widget's chat when the page's origin is one the assistant allows
    (the app's error handlers add them); none for other paths, origins or an unknown assistant."""
    match = _CHAT_PATH.match(request.url.path)
    origin = (request.headers.get("origin") or "").strip().lower()
    if match is None or not origin:
        return {}
    from ..studio.keys import OWNER

    try:
        row = request.app.state.studio.knowledge.assistants.get(match.group(1), OWNER)
    except ZaowuError:
        return {}
    if origin not in row["allowed_origins"]:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


@router.post("/v1/assistants")
def create_assistant(request: Request, body: AssistantBody, principal: Principal = scope("text")) -> dict[str, Any]:
    from ..studio.knowledge.assistants import widget_snippet

    desk = request.app.state.studio.knowledge.assistants
    row, key = desk.create(
        body.name,
        body.knowledge_bases,
        policy=body.policy,
        tone=body.tone,
        allowed_origins=body.allowed_origins,
        requests_per_minute=body.requests_per_minute,
        viewer=principal,
    )
    return {**_public(row), "widget_key": key, "snippet": widget_snippet(_base_url(request), row["id"], key)}


@router.get("/v1/assistants")
def list_assistants(request: Request, principal: Principal = scope("text")) -> dict[str, Any]:
    desk = request.app.state.studio.knowledge.assistants
    return {"object": "list", "data": [_public(r) for r in desk.list(principal)]}


@router.get("/v1/assistants/{assistant_id}")
def get_assistant(request: Request, assistant_id: str, principal: Principal = scope("text")) -> dict[str, Any]:
    return _public(request.app.state.studio.knowledge.assistants.get(assistant_id, principal))


@router.delete("/v1/assistants/{assistant_id}")
def delete_assistant(request: Request, assistant_id: str, principal: Principal = scope("text")) -> dict[str, Any]:
    request.app.state.studio.knowledge.assistants.delete(assistant_id, principal)
    return {"id": assistant_id, "object": "assistant.deleted", "deleted": True}


@router.get("/v1/assistants/{assistant_id}/handoffs")
def handoffs(
    request: Request, assistant_id: str, status: str | None = None, principal: Principal = scope("text")
) -> dict[str, Any]:
    rows = request.app.state.studio.knowledge.assistants.handoffs(assistant_id, principal, status)
    return {"object": "list", "data": rows}


class HandoffBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str


@router.post("/v1/assistants/{assistant_id}/handoffs/{handoff_id}")
def set_handoff(
    request: Request, assistant_id: str, handoff_id: str, body: HandoffBody, principal: Principal = scope("text")
) -> dict[str, Any]:
    return request.app.state.studio.knowledge.assistants.set_handoff(assistant_id, handoff_id, body.status, principal)


@router.get("/v1/assistants/{assistant_id}/conversations/{conversation_id}")
def conversation(
    request: Request, assistant_id: str, conversation_id: str, principal: Principal = scope("text")
) -> dict[str, Any]:
    return request.app.state.studio.knowledge.assistants.conversation(assistant_id, conversation_id, principal)


@router.options("/v1/assistants/{assistant_id}/chat")
def chat_preflight(request: Request, assistant_id: str) -> Response:
    """CORS for the widget: only an origin the assistant allows gets the Allow-* headers (others: 403)."""
    from ..studio.keys import OWNER

    origin = (request.headers.get("origin") or "").strip().lower()
    row = request.app.state.studio.knowledge.assistants.get(assistant_id, OWNER)
    if origin not in row["allowed_origins"]:
        raise PermissionDenied(f"The origin '{origin[:100]}' may not use this assistant's chat.", param="origin")
    response = Response(status_code=204)
    response.headers["Access-Control-Allow-Methods"] = "POST"
    response.headers["Access-Control-Allow-Headers"] = "authorization, content-type"
    response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE)
    return _cors(response, origin)


class _Access:
    """Who may chat with the assistant, from which page: decided before the body is read."""

    def __init__(self, row: dict[str, Any], principal: Principal, origin: str | None):
        self.row, self.principal, self.origin = row, principal, origin


def _chat_access(request: Request, assistant_id: str, principal: Principal = scope(ASSISTANT)) -> _Access:
    row = request.app.state.studio.knowledge.assistants.get(assistant_id, principal)  # a widget: its own only
    return _Access(row, principal, _origin_allowed(request, row, principal))


@router.post("/v1/assistants/{assistant_id}/chat")
async def chat(
    request: Request, assistant_id: str, body: ChatBody, access: _Access = Depends(_chat_access)
) -> Response:
    desk = request.app.state.studio.knowledge.assistants
    reply = await until_disconnected(
        request,
        desk.reply,
        assistant_id,
        body.message,
        conversation_id=body.conversation_id,
        viewer=access.principal,
        who=api_caller(access.principal, request),
        model=body.model,
        seed=body.seed,
    )
    return _cors(JSONResponse(reply), access.origin)


@router.get("/widget.js")
def widget_js() -> Response:
    script = resources.files("zaowu.web").joinpath("static/widget.js").read_text(encoding="utf-8")
    return Response(
        script,
        media_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
