"""Audio routes: /v1/audio/speech and /v1/audio/transcriptions (OpenAI-compatible)
and /v1/audio/music (zaowu). ``"async": true`` (a form field for transcriptions)
returns a job instead of waiting."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..errors import InvalidRequest
from ..studio.keys import Principal
from ..types import Caller, MusicRequest, SpeechRequest, TranscriptionRequest
from .auth import api_caller, scope
from .disconnect import until_disconnected
from .routes_jobs import accepted_job
from .streaming import ThreadedStream

router = APIRouter(prefix="/v1/audio")

MAX_UPLOAD = 100 << 20


class SpeechBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    model: str | None = None
    input: str = Field(min_length=1, max_length=100_000)
    voice: str | None = None
    language: str | None = None
    response_format: Literal["wav", "mp3", "opus", "flac"] = "wav"
    speed: float = Field(1.0, ge=0.25, le=4.0)
    stream: bool = Field(False, description="send the WAV as sentences finish (long text)")
    async_: bool = Field(False, alias="async")


class MusicBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    model: str | None = None
    prompt: str = Field(min_length=1, max_length=2000)
    duration: float = Field(30, ge=5, le=300, description="seconds, 5 to 300")
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    format: Literal["wav", "mp3", "flac", "ogg"] = "wav"
    plan: dict[str, Any] | None = None
    async_: bool = Field(False, alias="async")


def _media_headers(result, media) -> dict[str, str]:
    return {"X-Zaowu-Generation-Id": result.generation_id or "", "X-Zaowu-Artifact-Id": media.meta["artifact_id"]}


@router.post("/speech")
async def speech(request: Request, body: SpeechBody, principal: Principal = scope("audio")):
    studio = request.app.state.studio
    req = SpeechRequest(
        model=body.model,
        input=body.input,
        voice=body.voice,
        language=body.language,
        speed=body.speed,
        format=body.response_format,
    )
    who = api_caller(principal, request)
    if body.async_:
        if body.stream:
            raise InvalidRequest("'async' and 'stream' cannot be combined.", param="stream")
        return await accepted_job(studio, "speech", req.model_dump(mode="json"), who)
    if body.stream:
        return await _streamed_speech(studio, req, body, who)
    result = await until_disconnected(request, lambda: studio.generate_media(req, who=who))
    media = result.media[0]
    return Response(media.data, media_type=media.mime, headers=_media_headers(result, media))


async def _streamed_speech(studio, req: SpeechRequest, body: SpeechBody, who: Caller) -> StreamingResponse:
    if body.response_format != "wav":
        raise InvalidRequest(
            "Streaming sends WAV; set response_format to 'wav' or leave out 'stream'.", param="response_format"
        )
    blocks = await run_in_threadpool(lambda: studio.stream_media(req, who=who))
    chunks = ThreadedStream(blocks)
    first = await chunks.next()  # the header; errors before it keep their status code

    async def audio():
        item = first
        try:
            while item is not None:
                yield item
                item = await chunks.next()
        finally:
            chunks.stop()

    return StreamingResponse(audio(), media_type="audio/wav", headers={"X-Zaowu-Generation-Id": blocks.generation_id})


@router.post("/transcriptions")
async def transcriptions(
    request: Request,
    file: UploadFile = File(..., description="audio in any format FFmpeg reads"),
    model: str | None = Form(None),
    language: str | None = Form(None),
    response_format: Literal["json", "text", "srt", "vtt", "verbose_json"] = Form("json"),
    async_: bool = Form(False, alias="async"),
    principal: Principal = scope("audio"),
):
    studio = request.app.state.studio
    audio = await file.read(MAX_UPLOAD + 1)
    if len(audio) > MAX_UPLOAD:
        raise InvalidRequest(f"The audio file is larger than {MAX_UPLOAD >> 20} MB.", param="file")
    if not audio:
        raise InvalidRequest("The uploaded audio file is empty.", param="file")
    who = api_caller(principal, request)
    if model == "whisper-1":  # OpenAI's name: the default recogniser
        model = None
    if async_:
        upload = await run_in_threadpool(
            studio.artifacts.put,
            audio,
            file.content_type or "application/octet-stream",
            name=file.filename,
            caller=who.name,
            key_id=who.key_id,
            upload=True,  # the user's own audio: stored as sent, not labelled
        )
        request_ = {"artifact_id": upload["id"], "model": model, "language": language, "format": response_format}
        return await accepted_job(studio, "transcription", request_, who)
    req = TranscriptionRequest(audio=audio, model=model, language=language, format=response_format)
    result = await until_disconnected(request, lambda: studio.generate_media(req, who=who))
    media = result.media[0]
    headers = _media_headers(result, media)
    if response_format in ("json", "verbose_json"):
        return JSONResponse(json.loads(media.data), headers=headers)
    return Response(media.data, media_type=media.mime, headers=headers)


@router.post("/music")
async def music(request: Request, body: MusicBody, principal: Principal = scope("audio")):
    """A prompt (Chinese or English) → an LLM plan → composed music. Answers JSON with the audio
    and MIDI artifacts (download them from their ``url``), the plan and the seed."""
    studio = request.app.state.studio
    req = MusicRequest(
        model=body.model, prompt=body.prompt, duration=body.duration, seed=body.seed, format=body.format, plan=body.plan
    )
    who = api_caller(principal, request)
    if body.async_:
        return await accepted_job(studio, "music", req.model_dump(mode="json"), who)
    result = await until_disconnected(request, lambda: studio.generate_media(req, who=who))
    audio, midi = result.media[0], result.media[1]
    return {
        "object": "music",
        "model": result.model,
        "seed": result.seed,
        "duration": audio.meta.get("duration"),
        "generation_id": result.generation_id,
        "plan": audio.meta.get("plan"),
        "checks": audio.meta.get("checks", []),
        "audio": {
            "artifact_id": audio.meta["artifact_id"],
            "mime": audio.mime,
            "url": f"/v1/artifacts/{audio.meta['artifact_id']}",
        },
        "midi": {
            "artifact_id": midi.meta["artifact_id"],
            "mime": midi.mime,
            "url": f"/v1/artifacts/{midi.meta['artifact_id']}",
        },
    }
