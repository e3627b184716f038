"""Built-in job kinds: text generation and embeddings. Later modalities and apps
register theirs through the same ``register_job_kinds`` hook."""

from __future__ import annotations

import json
from typing import Any

from ..hookspecs import hookimpl
from ..types import EmbeddingRequest, TextRequest
from .jobs import JobContext, JobKind


def _run_text(ctx: JobContext, request: TextRequest) -> dict[str, Any]:
    studio = ctx.studio
    stream = studio.stream(request, interface="job", caller=ctx.caller, key_id=ctx.key_id)
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
    art = ctx.artifact(text.encode("utf-8"), f"{mime}; charset=utf-8", name="output.json" if "json" in mime else "output.txt",
                       generation_id=stream.generation_id)  # fmt: skip
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
    result = ctx.studio.embed(request, interface="job", caller=ctx.caller, key_id=ctx.key_id)
    data = json.dumps({"model": result.model, "vectors": result.vectors}).encode()
    art = ctx.artifact(data, "application/json", name="embeddings.json", generation_id=result.generation_id)
    return {"model": result.model, "count": len(result.vectors), "dimensions": len(result.vectors[0]),
            "generation_id": result.generation_id, "artifacts": [art["id"]]}  # fmt: skip


@hookimpl
def register_job_kinds(register):
    register(JobKind(
        name="text", run=_run_text, request_model=TextRequest, scope="text",
        group=lambda r: f"text:{r.model or 'default'}", resumable=True,
        description="a chat or completion (same fields as TextRequest); result has the text and an artifact",
    ))  # fmt: skip
    register(JobKind(
        name="embeddings", run=_run_embeddings, request_model=EmbeddingRequest, scope="text",
        group=lambda r: "embeddings", resumable=True, description="sentence embeddings; vectors in a JSON artifact",
    ))  # fmt: skip
