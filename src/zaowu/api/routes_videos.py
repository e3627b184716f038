"""OpenAI's Videos API over zaowu's video jobs: ``POST /v1/videos`` queues a ``video`` job (prompt →
storyboard → MP4) and answers a video object; ``GET /v1/videos[/{id}]``, ``GET /v1/videos/{id}/content``
(``variant=video|thumbnail|spritesheet``) and ``DELETE /v1/videos/{id}``. A video's id is its job's id.
zaowu extras in the body: ``storyboard`` (render exactly this), ``seed``, ``language``; for model ``presenter``
the script is ``prompt``, the portrait ``input_reference`` (a file, or base64 in JSON) and its options
``presenter`` (banner name, background, voice, subtitles; JSON text in a form), and ``audio`` a voice
recording (WAV) spoken instead of the script. The route only
translates: the Studio checks the fields (``studio/storyboard.video_request``) and runs the job."""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from ..errors import InvalidRequest, NotFound
from ..studio.keys import Principal
from ..studio.storyboard import video_request
from .auth import api_caller, scope

__all__ = ["router"]

router = APIRouter(prefix="/v1/videos")

STATUS = {
    "queued": "queued",
    "running": "in_progress",
    "succeeded": "completed",
    "failed": "failed",
    "cancelled": "failed",
    "interrupted": "queued",
}
VARIANTS = ("video", "thumbnail", "spritesheet")


def video_json(job: dict[str, Any]) -> dict[str, Any]:
    req = job.get("request") or {}
    result = job.get("result") or {}
    status = STATUS.get(job["state"], "in_progress")
    error = job.get("error")
    if job["state"] == "cancelled" and not error:
        error = {"code": "cancelled", "message": "The video was cancelled."}
    return {
        "id": job["id"],
        "object": "video",
        "created_at": job["created_at"],
        "completed_at": job["finished_at"] if status == "completed" else None,
        "status": status,
        "progress": 100 if status == "completed" else round(100 * float(job.get("progress") or 0)),
        "model": req.get("model") or "storyboard",
        "seconds": str(result.get("seconds") or req.get("duration") or ""),
        "size": req.get("size"),
        "seed": result.get("seed", req.get("seed")),
        "error": error if status == "failed" else None,
        "storyboard": result.get("storyboard"),
    }


def _job(studio, principal: Principal, video_id: str) -> dict[str, Any]:
    try:
        job = studio.jobs.get(video_id)
    except NotFound:
        job = None
    if job is None or job["kind"] != "video" or not principal.can_see(job.get("key_id")):
        raise NotFound(f"No video with id '{video_id}'.", param="video_id")
    return job


async def _body(request: Request) -> dict[str, Any]:
    """The fields, from JSON or from a multipart form (what the openai SDK sends; ``storyboard`` as JSON text)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        body: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        body.update({k: v for k, v in form.items() if not isinstance(v, str)})
        for name in ("storyboard", "presenter"):
            if isinstance(body.get(name), str):
                try:
                    body[name] = json.loads(body[name])
                except ValueError:
                    raise InvalidRequest(f"'{name}' must be JSON.", param=name) from None
        return body
    try:
        body = await request.json()
    except ValueError:
        raise InvalidRequest("The body must be a JSON object.", param="body") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The body must be a JSON object.", param="body")
    return body


FIELDS = ("prompt", "model", "seconds", "size", "seed", "storyboard", "language", "presenter")
"""The body's fields besides ``input_reference`` (a file, or base64 text in a JSON body)."""


async def _file(value: Any, param: str) -> bytes | None:
    """An uploaded file's bytes (bounded), base64 text (a JSON body), or None."""
    from ..backends.presenter.spec import MAX_PORTRAIT_BYTES, MAX_RECORDING_BYTES

    limit = MAX_RECORDING_BYTES if param == "audio" else MAX_PORTRAIT_BYTES
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.split(",", 1)[1] if value.startswith("data:") else value
        if len(text) > limit * 4 // 3 + 4:
            raise InvalidRequest(f"'{param}' is over {limit >> 20} MB; upload a smaller file.", param=param)
        try:
            return base64.b64decode(text, validate=True)
        except ValueError:
            raise InvalidRequest(f"'{param}' must be a file upload or base64 text.", param=param) from None
    data = await value.read(limit + 1)
    if len(data) > limit:
        raise InvalidRequest(f"'{param}' is over {limit >> 20} MB; upload a smaller file.", param=param)
    return data


@router.post("")
async def create_video(request: Request, principal: Principal = scope("video")) -> JSONResponse:
    studio = request.app.state.studio
    body = await _body(request)
    unknown = set(body) - {*FIELDS, "input_reference", "audio"}
    if unknown:
        field = min(unknown)
        raise InvalidRequest(f"Unknown field '{field}'.", param=field)
    fields = {k: body.get(k) for k in FIELDS}
    fields["input_reference"] = await _file(body.get("input_reference"), "input_reference")
    fields["audio"] = await _file(body.get("audio"), "audio")
    req = await run_in_threadpool(lambda: video_request(studio, **fields))
    who = api_caller(principal, request)
    job = await run_in_threadpool(
        studio.jobs.submit, "video", req.model_dump(mode="json", exclude_none=True), caller=who.name, key_id=who.key_id
    )
    return JSONResponse(video_json(job))


@router.get("")
async def list_videos(request: Request, limit: int = 20, principal: Principal = scope("video")) -> dict[str, Any]:
    studio = request.app.state.studio
    mine = None if principal.anonymous or principal.is_admin else principal.key_id
    rows = await run_in_threadpool(studio.jobs.list, kind="video", key_id=mine, limit=max(1, min(limit, 100)))
    data = [video_json(r) for r in rows]
    return {"object": "list", "data": data, "has_more": False, "first_id": None, "last_id": None}


@router.get("/{video_id}")
async def get_video(request: Request, video_id: str, principal: Principal = scope("video")) -> dict[str, Any]:
    return video_json(await run_in_threadpool(_job, request.app.state.studio, principal, video_id))


@router.get("/{video_id}/content")
async def video_content(request: Request, video_id: str, variant: str = "video", principal: Principal = scope("video")):
    studio = request.app.state.studio
    if variant not in VARIANTS:
        raise InvalidRequest(f"'variant' must be one of {', '.join(VARIANTS)}.", param="variant")
    job = await run_in_threadpool(_job, studio, principal, video_id)
    artifact_id = ((job.get("result") or {}).get("artifacts") or {}).get(variant)
    if job["state"] != "succeeded" or not artifact_id:
        raise NotFound(f"Video '{video_id}' has no {variant} (it is {video_json(job)['status']}).", param="video_id")
    row, path = await run_in_threadpool(studio.artifacts.open_path, artifact_id, key_id=principal.key_id)
    return FileResponse(path, media_type=row["mime"])


@router.delete("/{video_id}")
async def delete_video(request: Request, video_id: str, principal: Principal = scope("video")) -> dict[str, Any]:
    studio = request.app.state.studio
    job = await run_in_threadpool(_job, studio, principal, video_id)
    if job["state"] in ("queued", "running"):
        await run_in_threadpool(studio.jobs.cancel, video_id)
    ids = [i for i in ((job.get("result") or {}).get("artifacts") or {}).values() if i]
    if ids:
        await run_in_threadpool(studio.artifacts.discard, ids)
    return {"id": video_id, "object": "video.deleted", "deleted": True}
