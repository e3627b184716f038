"""OpenAI's Videos API over zaowu's video jobs: ``POST /v1/videos`` queues a ``video`` job (prompt →
storyboard → MP4) and answers a video object; ``GET /v1/videos[/{id}]``, ``GET /v1/videos/{id}/content``
(``variant=video|thumbnail|spritesheet|srt``), ``DELETE /v1/videos/{id}`` and ``POST /v1/videos/{id}/remix`` (the
same storyboard and seed, its texts rewritten for a new prompt). A video's id is its job's id. ``input_reference``:
an image (multipart upload, a ``data:`` URL, or ``{"file_id": ARTIFACT_ID}``; an upload is stored as the caller's
artifact): the storyboard's product/hero image, shown cut out on the scenes, or the ``presenter``'s portrait.
zaowu extras in the body: ``storyboard`` (render exactly this), ``seed``, ``language``, ``voice``, ``music``
(true/false), ``subtitles`` (soft/burned/both/none); for model ``presenter`` the script is ``prompt``, its options
``presenter`` (banner name, background, voice, subtitles; JSON text in a form), and ``audio`` a voice recording
(WAV: a file, or base64 in JSON) spoken instead of the script. The route only
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
from ..studio.presenter import store_uploads
from ..studio.reference import store_reference
from ..studio.storyboard import remix_request, video_request
from .auth import api_caller, scope
from .routes_jobs import from_object_store

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
VARIANTS = ("video", "thumbnail", "spritesheet", "srt")


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
        "prompt": req.get("prompt"),
        "remixed_from_video_id": req.get("remixed_from"),
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


EXTRAS = ("storyboard", "seed", "language", "voice", "music", "subtitles", "image_model", "presenter")
CREATE_FIELDS = {"prompt", "model", "seconds", "size", "input_reference", "audio", *EXTRAS}
REMIX_FIELDS = {"prompt", "storyboard", "voice", "music", "subtitles"}


def _known(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        field = min(unknown)
        raise InvalidRequest(f"Unknown field '{field}'.", param=field)


async def _file(value: Any, param: str) -> bytes | None:
    """An uploaded file's bytes (bounded), base64 text or a ``data:`` URL (a JSON body), or None."""
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


async def _reference(studio, body: dict[str, Any], who) -> tuple[str | None, bytes | None]:
    """``input_reference``: an artifact id the caller may read (checked), or an upload's bytes (multipart or a
    ``data:`` URL), not stored yet: the request is checked first, the portrait's face included."""
    from ..studio.reference import check_reference

    ref = body.get("input_reference")
    if ref in (None, ""):
        return None, None
    if hasattr(ref, "read") or (isinstance(ref, str) and ref.startswith("data:")):
        return None, await _file(ref, "input_reference")
    return await run_in_threadpool(check_reference, studio, ref, who), None


@router.post("")
async def create_video(request: Request, principal: Principal = scope("video")) -> JSONResponse:
    studio = request.app.state.studio
    body = await _body(request)
    _known(body, CREATE_FIELDS)
    who = api_caller(principal, request)
    fields = {k: body.get(k) for k in ("prompt", "model", "seconds", "size", *EXTRAS)}
    fields["audio"] = await _file(body.get("audio"), "audio")
    fields["input_reference"], upload = await _reference(studio, body, who)
    # every field checked (a presenter's portrait: its face) before the upload is stored or the job queued
    req = await run_in_threadpool(lambda: video_request(studio, **fields, portrait=upload, who=who))
    if upload is not None:
        name = getattr(body["input_reference"], "filename", None)
        stored = await run_in_threadpool(store_reference, studio, upload, who, name)
        req = req.model_copy(update={"input_reference": stored})
    if req.presenter is not None or req.narration:  # inline pictures and recordings are stored: the job holds ids
        req = await run_in_threadpool(store_uploads, studio, req, who)
    job = await run_in_threadpool(
        studio.jobs.submit, "video", req.model_dump(mode="json", exclude_none=True), caller=who.name, key_id=who.key_id
    )
    return JSONResponse(video_json(job))


@router.post("/{video_id}/remix")
async def remix_video(request: Request, video_id: str, principal: Principal = scope("video")) -> JSONResponse:
    """A new video from a completed one: its storyboard and seed with the texts rewritten for ``prompt``
    (or ``storyboard``: an edited board rendered exactly)."""
    studio = request.app.state.studio
    body = await _body(request)
    _known(body, REMIX_FIELDS)
    source = await run_in_threadpool(_job, studio, principal, video_id)
    who = api_caller(principal, request)
    fields = {k: body.get(k) for k in REMIX_FIELDS}
    req = await run_in_threadpool(lambda: remix_request(studio, source, **fields, who=who))
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
    if studio.artifacts.remote:  # relayed from the bucket (or a presigned 307), not copied to this node first
        row = await run_in_threadpool(studio.artifacts.get, artifact_id, key_id=principal.key_id)
        return await from_object_store(request, studio.artifacts, row, row["mime"], {})
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
