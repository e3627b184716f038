"""POST /v1/videos/edits: a video edit (typed operations in one streaming pass) as a job.

Two shapes, both answered 202 with a job (``GET /v1/jobs/{id}`` shows its progress per frame and
operation; its result names the video artifact and the tracks/SRT attachments):

- multipart: ``video`` (one or several files, concatenated in order; a text value is an artifact id),
  ``operations`` (JSON: a list of operations, or a whole edit object with ``operations``, ``crf``,
  ``format``...), optional ``assets`` (files the operations name, by file name) and ``user``;
- JSON: ``{"video": ["art_..."], "operations": [...], "assets": {"name": "art_..."}, ...}`` with artifact
  ids the key owns; other fields are those of the edit (``crf``, ``format``...).

The upload streams to temporary files (its size bounded by ``video_max_upload_bytes`` in the BodyLimit
middleware, not the general ``max_upload_bytes``); each video is probed (container, codecs, size,
duration) and the edit planned against it before the job is queued, so a corrupt file or a bad
operation is a 400 naming ``video`` or the field (``operations.2.box``), and nothing is kept.
Uploads are stored as artifacts of the key, served like every artifact: media inline, anything else
as an attachment, never as active content.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import ExitStack
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..backends.video.ops import parse_edit
from ..errors import InvalidRequest
from ..studio.keys import Principal
from ..types import Caller
from .auth import api_caller, scope
from .routes_jobs import job_json

__all__ = ["VIDEO_EDITS_PATH", "router"]

VIDEO_EDITS_PATH = "/v1/videos/edits"
MAX_ASSETS = 16  # most asset files one edit may upload
MAX_FIELDS = 64  # most non-file multipart fields read
COPY_BLOCK = 1 << 20  # bytes copied at a time from the spooled upload to its named temporary file
_JSON_KEYS = ("video", "assets", "user")  # body fields that are not part of the edit itself

router = APIRouter(prefix="/v1/videos")


def _edit_from_text(text: str) -> Any:
    """The ``operations`` field: a JSON list of operations or a whole edit object."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidRequest(
            '\'operations\' must be JSON: a list of operations such as [{"op": "trim", "start": 1, "end": 3}], '
            "or an edit object with 'operations'.",
            param="operations",
        ) from None
    if not isinstance(value, (list, dict)):
        raise InvalidRequest("'operations' must be a JSON list of operations or an edit object.", param="operations")
    return value


def _ids(value: Any, param: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise InvalidRequest(f"'{param}' must be an artifact id or a list of artifact ids.", param=param)
    return items


def _spill(upload: UploadFile, stack: ExitStack) -> str:
    """Copy a spooled upload to a named temporary file (removed when ``stack`` closes); its path."""
    fd, path = tempfile.mkstemp(prefix="zaowu-upload-", suffix=".part")
    stack.callback(lambda: os.path.exists(path) and os.unlink(path))
    with os.fdopen(fd, "wb") as out:
        upload.file.seek(0)
        shutil.copyfileobj(upload.file, out, COPY_BLOCK)
    return path


def _store_uploads(studio: Any, videos: list[Any], assets: list[UploadFile], who: Caller) -> tuple[list[str], dict]:
    """Probe and store the uploaded videos and assets (artifact ids pass through); if one is refused none is kept."""
    stored: list[str] = []
    try:
        with ExitStack() as stack:
            inputs = []
            for i, item in enumerate(videos):
                if isinstance(item, str):
                    inputs.append(item)
                    continue
                param = "video" if len(videos) == 1 else f"video.{i}"
                path = _spill(item, stack)
                art = studio.store_video_upload(path, name=item.filename, param=param, move=True, who=who)
                stored.append(art)
                inputs.append(art)
            named: dict[str, str] = {}
            for item in assets:
                name = os.path.basename(item.filename or "")
                if name in named:
                    raise InvalidRequest(f"Two assets are named '{name[:64]}'; give each a distinct name.", "assets")
                art = studio.store_video_asset(_spill(item, stack), name, who=who)
                stored.append(art)
                named[name] = art
        return inputs, named
    except BaseException:
        studio.artifacts.discard(stored)
        raise


def _submit(studio: Any, inputs: list[str], edit: Any, assets: dict[str, str], who: Caller, uploaded: list[str]):
    """Plan the edit against its inputs (400 before any work), then queue it; uploads are dropped on refusal."""
    try:
        parsed = studio.check_video_edit(inputs, edit, assets=assets, who=who)
        # only what the caller set: a look from words keeps the parameters the caller gave (StyleOp.explicit)
        request = {"inputs": inputs, "edit": parsed.model_dump(mode="json", exclude_unset=True), "assets": assets}
        return studio.submit_job("video_edit", request, who=who)
    except BaseException:
        studio.artifacts.discard(uploaded)
        raise


async def _multipart(request: Request, studio: Any, principal: Principal) -> JSONResponse:
    limits = studio.settings
    form = await request.form(max_files=limits.video_max_inputs + MAX_ASSETS, max_fields=MAX_FIELDS)
    try:
        text = form.get("operations")
        if not isinstance(text, str):
            raise InvalidRequest("Send the operations as a JSON text field 'operations'.", param="operations")
        edit = _edit_from_text(text)
        parse_edit(edit)  # bad operations: 400 before anything is stored
        videos = form.getlist("video")
        if not videos:
            raise InvalidRequest("Upload the video to edit as the multipart file field 'video'.", param="video")
        assets = [a for a in form.getlist("assets") if isinstance(a, UploadFile)]
        user = form.get("user")
        who = api_caller(principal, request, user if isinstance(user, str) else None)
        inputs, named = await run_in_threadpool(_store_uploads, studio, list(videos), assets, who)
        uploaded = [i for i, v in zip(inputs, videos, strict=True) if not isinstance(v, str)] + list(named.values())
        job = await run_in_threadpool(_submit, studio, inputs, edit, named, who, uploaded)
    finally:
        await form.close()
    return _accepted(job)


def _accepted(job: dict[str, Any]) -> JSONResponse:
    return JSONResponse(job_json(job), status_code=202)


@router.post("/edits", status_code=202)
async def create_edit(request: Request, principal: Principal = scope("video")) -> JSONResponse:
    studio = request.app.state.studio
    if request.headers.get("content-type", "").lower().startswith("multipart/"):
        return await _multipart(request, studio, principal)
    try:
        body = await request.json()
    except (ValueError, RecursionError):
        raise InvalidRequest(
            "Send multipart/form-data with 'video' and 'operations', or a JSON object with 'video' (artifact ids) "
            "and 'operations'.",
            param="body",
        ) from None
    if not isinstance(body, dict):
        raise InvalidRequest("The body must be a JSON object with 'video' and 'operations'.", param="body")
    inputs = _ids(body.get("video"), "video")
    assets = body.get("assets") or {}
    if not isinstance(assets, dict) or not all(isinstance(v, str) for v in assets.values()):
        raise InvalidRequest("'assets' must map asset names to artifact ids.", param="assets")
    user = body.get("user")
    who = api_caller(principal, request, user if isinstance(user, str) else None)
    edit = {k: v for k, v in body.items() if k not in _JSON_KEYS}
    return _accepted(await run_in_threadpool(_submit, studio, inputs, edit, assets, who, []))
