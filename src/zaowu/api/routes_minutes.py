"""The meeting-minutes app over HTTP with a recording upload (multipart), thin over the app.

POST /v1/apps/meeting-minutes/recording   file=<audio>, date, language, attendees, model, seed, async
→ the app's result (as POST /v1/apps/meeting-minutes answers), or 202 + job with ``"async": true``.
The upload is bounded (``minutes_max_upload_bytes``; the BodyLimit middleware refuses a larger body
before it is read) and checked before any work: an empty, undecodable or too long recording is a
400 naming ``file``. A pasted transcript goes to POST /v1/apps/meeting-minutes as ``input.transcript``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from ..apps.base import run_app, validate_input
from ..apps.meeting_minutes import MeetingMinutes, upload_recording
from ..errors import InvalidRequest
from ..studio.keys import Principal
from ..studio.minutes_names import parse_names
from ..studio.workflows import check_scopes
from .auth import api_caller, scope
from .disconnect import until_disconnected
from .routes_jobs import accepted_job

router = APIRouter(prefix="/v1")

MINUTES_RECORDING_PATH = "/v1/apps/meeting-minutes/recording"


@router.post("/apps/meeting-minutes/recording")
async def minutes_recording(
    request: Request,
    file: UploadFile = File(..., description="the meeting recording: m4a, mp3, wav, webm, ogg…"),
    date: str | None = Form(None, description="meeting date YYYY-MM-DD (due dates resolve against it)"),
    language: str | None = Form(None, description="zh or en (default: detected)"),
    attendees: str | None = Form(
        None, max_length=4000, description="names of the people present, separated by commas or 、"
    ),
    model: str | None = Form(None),
    seed: int | None = Form(None, ge=0, le=2**31 - 1),
    async_: bool = Form(False, alias="async"),
    principal: Principal = scope("text"),
) -> Any:
    studio = request.app.state.studio
    limit = studio.settings.minutes_max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidRequest(
            f"'file' is larger than {limit >> 20} MB (setting minutes_max_upload_bytes).", param="file"
        )
    fields = {k: v for k, v in {"date": date or None, "language": language or None}.items() if v is not None}
    if names := parse_names(attendees):
        fields["attendees"] = names
    validate_input(MeetingMinutes, {"audio": "-", **fields})  # a bad date or language is a 400 before any work
    who = api_caller(principal, request)
    upload = await run_in_threadpool(
        upload_recording, studio, data, name=file.filename, mime=file.content_type, who=who
    )
    app_input = {"audio": upload["id"], **fields}
    spec = MeetingMinutes().workflow(validate_input(MeetingMinutes, app_input))
    await run_in_threadpool(check_scopes, studio, spec, principal.key_id)  # the recogniser needs "audio": a 403
    if async_:
        job = {"app": MeetingMinutes.id, "input": app_input, "model": model, "seed": seed}
        return await accepted_job(studio, "app", job, who)
    result = await until_disconnected(
        request, run_app, studio, MeetingMinutes.id, app_input, model=model, seed=seed, who=who
    )
    return result.to_dict()
