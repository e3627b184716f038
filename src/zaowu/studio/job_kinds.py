"""Built-in job kinds: text generation, embeddings, speech, music, images, transcription and video
edits. Later modalities and apps register theirs through the same ``register_job_kinds`` hook."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from .. import cancel
from ..backends.video.ops import VideoEdit
from ..errors import Cancelled
from ..hookspecs import hookimpl
from ..types import (
    EmbeddingRequest,
    ImageRequest,
    MediaRequest,
    MediaResult,
    MusicRequest,
    SpeechRequest,
    TextRequest,
    TranscriptionRequest,
    VideoRequest,
)
from .jobs import JobCancelled, JobContext, JobInterrupted, JobKind


class TranscriptionJob(BaseModel):
    """A transcription job names an uploaded audio artifact (job requests are JSON)."""

    model_config = ConfigDict(extra="forbid")

    artifact_id: str
    model: str | None = None
    language: str | None = Field(None, max_length=10)
    format: str = "json"


def _run_text(ctx: JobContext, request: TextRequest) -> dict[str, Any]:
    studio = ctx.studio
    stream = studio.stream(request, who=ctx.who)
    expected = request.max_tokens or studio.settings.n_ctx
    parts: list[str] = []
    final = None
    try:
        ctx.progress(0.0, "generating", force=True)
        for chunk in stream:
            if chunk.text:
                parts.append(chunk.text)
                ctx.progress(len(parts) / expected, f"{len(parts)} tokens")
            if chunk.finish_reason:
                final = chunk
    finally:
        stream.close()
    if stream.violation is not None:
        raise stream.violation
    text = "".join(parts)
    mime = "application/json" if request.response_format and request.response_format.type != "text" else "text/plain"
    art = ctx.artifact(
        text.encode("utf-8"),
        f"{mime}; charset=utf-8",
        name="output.json" if "json" in mime else "output.txt",
        generation_id=stream.generation_id,
    )
    return {
        "text": text,
        "finish_reason": final.finish_reason if final else None,
        "usage": final.usage.model_dump() if final and final.usage else None,
        "model": stream.model,
        "seed": stream.seed,
        "generation_id": stream.generation_id,
        "artifacts": [art["id"]],
    }


def _run_embeddings(ctx: JobContext, request: EmbeddingRequest) -> dict[str, Any]:
    ctx.progress(0.0, f"embedding {len(request.input)} text(s)", force=True)
    result = ctx.studio.embed(request, who=ctx.who)
    data = json.dumps({"model": result.model, "vectors": result.vectors}).encode()
    art = ctx.artifact(data, "application/json", name="embeddings.json", generation_id=result.generation_id)
    return {
        "model": result.model,
        "count": len(result.vectors),
        "dimensions": len(result.vectors[0]),
        "generation_id": result.generation_id,
        "artifacts": [art["id"]],
    }


def _media_result(result) -> dict[str, Any]:
    return {
        "model": result.model,
        "seed": result.seed,
        "generation_id": result.generation_id,
        "usage": result.usage,
        "artifacts": [m.meta["artifact_id"] for m in result.media],
        "media": [
            {
                "artifact_id": m.meta["artifact_id"],
                "mime": m.mime,
                **{k: v for k, v in m.meta.items() if k in ("duration", "format", "language", "plan", "checks")},
            }
            for m in result.media
        ],
    }


def _run_media(ctx: JobContext, request: MediaRequest) -> MediaResult:
    return ctx.studio.generate_media(request, who=ctx.who, progress=lambda f, m: ctx.progress(f, m))


def _run_speech(ctx: JobContext, request: SpeechRequest) -> dict[str, Any]:
    return _media_result(_run_media(ctx, request))


def _run_music(ctx: JobContext, request: MusicRequest) -> dict[str, Any]:
    return _media_result(_run_media(ctx, request))


def _run_image(ctx: JobContext, request: ImageRequest) -> dict[str, Any]:
    result = _run_media(ctx, request)
    out = _media_result(result)
    out["spec"] = result.media[0].meta.get("spec") if result.media else None
    return out


def _run_transcription(ctx: JobContext, request: TranscriptionJob) -> dict[str, Any]:
    audio = ctx.read_artifact(request.artifact_id)
    req = TranscriptionRequest(audio=audio, model=request.model, language=request.language, format=request.format)
    return _media_result(_run_media(ctx, req))


ArtifactId = Annotated[str, Field(min_length=1, max_length=64)]


class VideoEditJob(BaseModel):
    """A video edit job: input videos and assets as artifact ids the job's key owns, and the edit."""

    model_config = ConfigDict(extra="forbid")

    inputs: list[ArtifactId] = Field(min_length=1, max_length=256, description="videos, concatenated in order")
    edit: VideoEdit
    assets: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")], ArtifactId] = Field(
        default_factory=dict, max_length=16, description="files the operations name (mask, background, audio)"
    )


def _edit_message(p) -> str:
    """``frame 12/90 · track 12 · style 11``: where the pass is, per operation."""
    ops = " · ".join(f"{name} {done}" for name, done in p.operations)
    return f"frame {p.frame}/{p.total}" + (f" · {ops}" if ops else "")


def _run_video_edit(ctx: JobContext, request: VideoEditJob) -> dict[str, Any]:
    token = cancel.CancelToken("The job was cancelled; the video edit was stopped and nothing was stored.")

    def progress(p) -> None:
        try:
            ctx.progress(p.fraction, _edit_message(p))
        except (JobCancelled, JobInterrupted):
            token.cancel()
            raise Cancelled(token.reason) from None

    ctx.progress(0.0, "starting the edit", force=True)
    with token.active():
        result = ctx.studio.edit_video(
            request.inputs, request.edit, assets=request.assets, who=ctx.who, progress=progress
        )
    if ctx.cancelled:  # cancelled as the last outputs were stored: take them back
        ctx.studio.artifacts.discard(result.artifacts)
        ctx.check()
    for art in [{"artifact_id": result.artifact_id, "mime": result.mime}, *result.attachments]:
        ctx.queue._event(ctx.job_id, "artifact", {"artifact_id": art["artifact_id"], "mime": art["mime"]})
    return result.as_dict()


def _run_video(ctx: JobContext, request: VideoRequest) -> dict[str, Any]:
    """Plan (LLM, narration) and render a video; a cancel stops the render and stores nothing."""
    token = cancel.CancelToken("The job was cancelled; the video was stopped and nothing was stored.")

    def progress(fraction: float, message: str) -> None:
        try:
            ctx.progress(fraction, message)
        except (JobCancelled, JobInterrupted):
            token.cancel()
            raise Cancelled(token.reason) from None

    ctx.progress(0.0, "starting the video", force=True)
    with token.active():
        result = ctx.studio.generate_media(request, who=ctx.who, progress=progress)
    video = result.media[0]
    names = ("thumbnail", "spritesheet", "srt")
    ids = {"video": video.meta["artifact_id"], **{n: video.meta.get(f"{n}_artifact_id") for n in names}}
    if ctx.cancelled:  # cancelled as the outputs were stored: take them back
        ctx.studio.artifacts.discard([i for i in ids.values() if i])
        ctx.check()
    for name, artifact_id in ids.items():
        if artifact_id:
            ctx.queue._event(ctx.job_id, "artifact", {"artifact_id": artifact_id, "name": name})
    meta = video.meta
    return {
        "artifacts": ids,
        "seed": result.seed,
        "seconds": meta.get("duration"),
        "size": f"{meta.get('width')}x{meta.get('height')}",
        "storyboard": meta.get("storyboard"),
        "checks": meta.get("checks", []),
    }


@hookimpl
def register_job_kinds(register):
    register(
        JobKind(
            name="text",
            run=_run_text,
            request_model=TextRequest,
            scope="text",
            group=lambda r: f"text:{r.model or 'default'}",
            resumable=True,
            description="a chat or completion (same fields as TextRequest); result has the text and an artifact",
        )
    )
    register(
        JobKind(
            name="embeddings",
            run=_run_embeddings,
            request_model=EmbeddingRequest,
            scope="text",
            group=lambda r: "embeddings",
            resumable=True,
            description="sentence embeddings; vectors in a JSON artifact",
        )
    )
    register(
        JobKind(
            name="speech",
            run=_run_speech,
            request_model=SpeechRequest,
            scope="audio",
            group=lambda r: "speech",
            description="text to speech; the audio is an artifact",
        )
    )
    register(
        JobKind(
            name="music",
            run=_run_music,
            request_model=MusicRequest,
            scope="audio",
            group=lambda r: "music",
            description="prompt → plan → composed music; audio and MIDI artifacts",
        )
    )
    register(
        JobKind(
            name="image",
            run=_run_image,
            request_model=ImageRequest,
            scope="image",
            group=lambda r: "image",
            description="prompt → design spec → rendered images (artifacts)",
        )
    )
    register(
        JobKind(
            name="transcription",
            run=_run_transcription,
            request_model=TranscriptionJob,
            scope="audio",
            group=lambda r: "transcription",
            description="speech to text of an uploaded audio artifact",
        )
    )
    register(
        JobKind(
            name="video_edit",
            run=_run_video_edit,
            request_model=VideoEditJob,
            scope="video",
            group=lambda r: "video_edit",
            description="a video edit (operations in one streaming pass) of uploaded videos; MP4 and tracks artifacts",
        )
    )
    register(
        JobKind(
            name="video",
            run=_run_video,
            request_model=VideoRequest,
            scope="video",
            group=lambda r: "video",
            description="prompt → storyboard → narrated, scored, subtitled MP4 (+ thumbnail, spritesheet, SRT)",
        )
    )
