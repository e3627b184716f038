"""Jobs, artifacts and usage: /v1/jobs, /v1/artifacts, /v1/usage."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from ..errors import InvalidRequest, NotFound, PermissionDenied
from ..studio.artifacts import delivery
from ..studio.jobs import FINAL_STATES
from ..studio.keys import Principal
from ..types import Caller
from .auth import api_caller, scope

router = APIRouter(prefix="/v1")


class JobSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    request: dict[str, Any] = Field(default_factory=dict)
    priority: int = 0
    unlabelled: bool = False  # outputs stored without labels (the key's 'unlabelled' permission; as the header)


def job_json(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": job["id"],
        "object": "job",
        "kind": job["kind"],
        "state": job["state"],
        "priority": job["priority"],
        "progress": job["progress"],
        "message": job["message"],
        "created_at": job["created_at"],
        "started_at": job["started_at"],
        "finished_at": job["finished_at"],
        "attempts": job["attempts"],
        "caller": job["caller"],
        "unlabelled": bool(job.get("unlabelled")),
        "result": job["result"],
        "error": job["error"],
    }


async def accepted_job(studio, kind: str, request: dict[str, Any], who: Caller) -> JSONResponse:
    """Queue ``request`` as a job of ``kind`` for ``who``'s ``"async": true`` call: 202 with the job."""
    job = await run_in_threadpool(lambda: studio.submit_job(kind, request, who=who))
    return JSONResponse(job_json(job), status_code=202)


def _owned(principal: Principal, row: dict[str, Any], what: str) -> dict[str, Any]:
    """Keys see only their own jobs and artifacts; admin keys and the local owner see all."""
    if principal.can_see(row.get("key_id")):
        return row
    raise NotFound(f"No {what} with id '{row['id']}'.", param="id")


@router.post("/jobs", status_code=202)
async def submit_job(request: Request, body: JobSubmit, principal: Principal = scope(None)) -> dict[str, Any]:
    studio = request.app.state.studio
    principal.require(studio.jobs.kind(body.kind).scope)
    who = api_caller(principal, request)
    who = replace(who, unlabelled=who.unlabelled or body.unlabelled)
    job = await run_in_threadpool(lambda: studio.submit_job(body.kind, body.request, who=who, priority=body.priority))
    return job_json(job)


@router.get("/jobs")
async def list_jobs(
    request: Request,
    state: str | None = None,
    caller: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    principal: Principal = scope(None),
) -> dict[str, Any]:
    studio = request.app.state.studio
    mine = None if principal.anonymous or principal.is_admin else principal.key_id
    rows = await run_in_threadpool(
        studio.jobs.list, state=state, caller=caller, kind=kind, key_id=mine, limit=max(1, min(limit, 1000))
    )
    return {"object": "list", "data": [job_json(r) for r in rows]}


@router.get("/jobs/{job_id}")
async def get_job(request: Request, job_id: str, principal: Principal = scope(None)) -> dict[str, Any]:
    job = await run_in_threadpool(request.app.state.studio.jobs.get, job_id)
    return job_json(_owned(principal, job, "job"))


@router.delete("/jobs/{job_id}")
async def cancel_job(request: Request, job_id: str, principal: Principal = scope(None)) -> dict[str, Any]:
    studio = request.app.state.studio
    _owned(principal, await run_in_threadpool(studio.jobs.get, job_id), "job")
    return job_json(await run_in_threadpool(studio.jobs.cancel, job_id))


MAX_EVENT_ID = 2**63 - 1  # event ids are database integers


def _last_event_id(header: str | None) -> int:
    """The event id a reconnecting client last saw (0: none), or a 400 naming the header."""
    value = (header or "").strip()
    if not value:
        return 0
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_EVENT_ID:
        raise InvalidRequest(
            f"The Last-Event-ID header must be the id of an event this stream sent (a whole number from 0 to "
            f"{MAX_EVENT_ID}), not {value[:40]!r}. Reconnect without the header to replay every event.",
            param="Last-Event-ID",
        )
    return int(value)


@router.get("/jobs/{job_id}/events")
async def job_events(request: Request, job_id: str, principal: Principal = scope(None)):
    """Server-sent events: every state, progress and artifact event in order, until the job ends.
    Reconnecting with Last-Event-ID resumes after that event."""
    studio = request.app.state.studio
    _owned(principal, await run_in_threadpool(studio.jobs.get, job_id), "job")
    after = _last_event_id(request.headers.get("last-event-id"))

    async def stream():
        nonlocal after
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()  # set by NOTIFY on PostgreSQL; otherwise the stream polls
        unwatch = studio.jobs.watch(job_id, lambda: loop.call_soon_threadsafe(woken.set))
        try:
            while True:
                woken.clear()
                events = await run_in_threadpool(studio.jobs.events, job_id, after)
                for e in events:
                    after = e["id"]
                    payload = {"job_id": job_id, "at": e["at"], **e["data"]}
                    yield f"id: {e['id']}\nevent: {e['type']}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
                job = await run_in_threadpool(studio.jobs.get, job_id)
                if job["state"] in FINAL_STATES and not events:
                    yield f"event: end\ndata: {json.dumps(job_json(job), ensure_ascii=False)}\n\n"
                    return
                if await request.is_disconnected():
                    return
                if events:  # there may be more already: read again before waiting
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), studio.jobs.event_poll_seconds)
        finally:
            unwatch()

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def artifact_json(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "sha256", "mime", "size_bytes", "name", "created_at", "expires_at", "job_id", "generation_id", "meta")
    return {"object": "artifact", **{k: row[k] for k in keys}, "url": f"/v1/artifacts/{row['id']}"}


@router.get("/artifacts")
async def list_artifacts(
    request: Request, job_id: str | None = None, limit: int = 50, principal: Principal = scope(None)
) -> dict[str, Any]:
    studio = request.app.state.studio
    rows = await run_in_threadpool(studio.artifacts.list, job_id=job_id, limit=max(1, min(limit, 1000)))
    rows = [r for r in rows if principal.can_see(r["key_id"])]
    return {"object": "list", "data": [artifact_json(r) for r in rows]}


@router.get("/artifacts/{artifact_id}/meta")
async def artifact_meta(request: Request, artifact_id: str, principal: Principal = scope(None)) -> dict[str, Any]:
    row = await run_in_threadpool(request.app.state.studio.artifacts.get, artifact_id, key_id=principal.key_id)
    return artifact_json(row)


@router.get("/artifacts/{artifact_id}")
async def get_artifact(request: Request, artifact_id: str, principal: Principal = scope(None)) -> Response:
    """The file itself; Range requests are honoured (audio/video seeking). Only rendered media
    are inline: anything else is an attachment, and every answer is nosniff and CSP-sandboxed.
    From an object store the bytes are relayed (a Range becomes a ranged GET), or, with
    s3_presign, the answer is a 307 to a presigned URL (after the same owner check)."""
    store = request.app.state.studio.artifacts
    if not store.remote:
        row, path = await run_in_threadpool(store.open_path, artifact_id, key_id=principal.key_id)
        mime, disposition, headers = _artifact_headers(row)
        if _unchanged(request, row):
            return Response(status_code=304, headers=_validators(headers))
        return FileResponse(
            path, media_type=mime, filename=row["name"], content_disposition_type=disposition, headers=headers
        )
    row = await run_in_threadpool(store.get, artifact_id, key_id=principal.key_id)
    mime, disposition, headers = _artifact_headers(row)
    if _unchanged(request, row):  # the client's copy is current: nothing is fetched from the bucket
        return Response(status_code=304, headers=_validators(headers))
    headers["Content-Disposition"] = _disposition(disposition, row["name"])
    return await from_object_store(request, store, row, mime, headers)


@router.head("/artifacts/{artifact_id}")
async def head_artifact(request: Request, artifact_id: str, principal: Principal = scope(None)) -> Response:
    """The file's headers without its bytes (type, length, ETag, disposition), after the same owner check;
    for an object store, nothing is read from the bucket."""
    store = request.app.state.studio.artifacts
    row = await run_in_threadpool(store.get, artifact_id, key_id=principal.key_id)
    mime, disposition, headers = _artifact_headers(row)
    if _unchanged(request, row):
        return Response(status_code=304, headers=_validators(headers))
    headers.update(
        {
            "Content-Type": mime,
            "Content-Length": str(row["size_bytes"]),
            "Content-Disposition": _disposition(disposition, row["name"]),
            "Accept-Ranges": "bytes",
        }
    )
    return Response(status_code=200, headers=headers)


def _unchanged(request: Request, row: dict[str, Any]) -> bool:
    """``If-None-Match`` names this artifact's ETag (its content hash) or is ``*``: the client's copy is current."""
    asked = request.headers.get("if-none-match")
    if not asked:
        return False
    tags = {t.strip().removeprefix("W/") for t in asked.split(",")}
    return "*" in tags or f'"{row["sha256"]}"' in tags


def _validators(headers: dict[str, str]) -> dict[str, str]:
    """The headers a 304 repeats (RFC 9110 15.4.5)."""
    return {k: v for k, v in headers.items() if k in ("ETag", "Cache-Control")}


async def from_object_store(
    request: Request, store: Any, row: dict[str, Any], mime: str, headers: dict[str, str]
) -> Response:
    """An owner-checked artifact ``row`` of a remote store: a 307 to a presigned URL (s3_presign) carrying
    its type and Content-Disposition, else the bytes relayed (whole, or the asked Range)."""
    disposition = headers.setdefault("Content-Disposition", "inline")
    url = await run_in_threadpool(store.presigned_url, row, mime, disposition)
    if url is not None:
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    return await _relay(store, row, mime, headers, request.headers.get("range"))


def _artifact_headers(row: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    mime, disposition, headers = delivery(row)
    headers.update({"ETag": f'"{row["sha256"]}"', "Cache-Control": "private, max-age=31536000, immutable"})
    return mime, disposition, headers


def _disposition(kind: str, name: str | None) -> str:
    """Content-Disposition as FileResponse writes it (RFC 6266: ``filename*`` for names that need quoting)."""
    if name is None:
        return kind
    quoted = quote(name)
    return f"{kind}; filename*=utf-8''{quoted}" if quoted != name else f'{kind}; filename="{name}"'


async def _relay(store: Any, row: dict[str, Any], mime: str, headers: dict[str, str], header: str | None) -> Response:
    """Stream an artifact from the object store: whole (200), one byte range (206), or 416; a file missing
    from the store is a 404 before anything is sent."""
    size = row["size_bytes"]
    headers["Accept-Ranges"] = "bytes"
    span = _byte_range(header, size)
    if span == "unsatisfiable":
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if not size:
        return Response(b"", media_type=mime, headers=headers)
    start, end = span or (0, size - 1)
    body = await run_in_threadpool(store.read_range, row, start, end)
    headers["Content-Length"] = str(end - start + 1)
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    status = 200 if span is None else 206
    return StreamingResponse(iterate_in_threadpool(body), status_code=status, media_type=mime, headers=headers)


def _byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """The one range ``bytes=A-B`` / ``A-`` / ``-N`` asks for, clipped to ``size``; None (send it all)
    for no header, a malformed one or several ranges (RFC 9110 lets a server ignore Range), or
    ``"unsatisfiable"`` when it starts past the end."""
    if not header or not header.strip().lower().startswith("bytes=") or "," in header:
        return None
    first, sep, last = header.strip()[6:].strip().partition("-")
    if not sep or not (first.isdigit() or last.isdigit()) or (first and not first.isdigit()):
        return None
    if last and not last.isdigit():
        return None
    if not first:  # the last N bytes
        n = int(last)
        return (max(size - n, 0), size - 1) if n and size else "unsatisfiable"
    start, end = int(first), int(last) if last else size - 1
    if start >= size:
        return "unsatisfiable"
    return (start, min(end, size - 1)) if end >= start else None


@router.get("/usage")
async def get_usage(
    request: Request, key: str | None = None, days: int = 7, principal: Principal = scope(None, count=False)
) -> dict[str, Any]:
    """The calling key's daily usage and limits; admins may ask for any key (``?key=NAME``) or all."""
    keys = request.app.state.studio.keys
    days = max(1, min(days, 90))
    if principal.anonymous and key is None:
        return {"object": "list", "data": []}  # the local owner has no key; keys' usage is admin business
    if key is not None or principal.anonymous:
        if not principal.is_admin:
            raise PermissionDenied(
                "Only admin keys can read the usage of other keys; send an admin key "
                "('zaowu keys create NAME --scope admin') or read it with 'zaowu keys usage'."
            )
        rows = [await run_in_threadpool(keys.get, key)] if key else await run_in_threadpool(keys.list)
    else:
        rows = [await run_in_threadpool(keys.get, principal.key_id)]
    out = []
    for row in rows:
        daily = await run_in_threadpool(keys.usage_for, row["id"], days)
        out.append(
            {
                "key": row["name"],
                "scopes": row["scopes"],
                "limits": row["quota"],
                "revoked": bool(row["revoked_at"]),
                "today": daily[0],
                "daily": daily,
            }
        )
    return {"object": "list", "data": out}
