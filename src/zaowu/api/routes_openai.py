"""OpenAI-compatible routes: models, chat completions, completions, embeddings.

Blocking work runs in the thread pool; streams are driven by their own thread
(``ThreadedStream``), and the first chunk is pulled before the response starts so
that errors such as an over-long prompt still get their proper status code.
Chunks that are already waiting when one is written go out in the same write.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..errors import InvalidRequest, ZaowuError
from ..studio.keys import Principal
from ..types import EmbeddingRequest, Modality, TextChunk, TextRequest
from .auth import api_caller, scope
from .disconnect import until_disconnected
from .routes_jobs import accepted_job
from .streaming import ThreadedStream
from .wire import (
    ChatCompletionRequest,
    ChunkWriter,
    CompletionRequest,
    EmbeddingsRequest,
    embeddings_response,
    text_response,
)

router = APIRouter(prefix="/v1")


def _model_card(studio, entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "object": "model",
        "created": 0,
        "owned_by": entry.remote or "zaowu",
        "name": entry.name,
        "modality": entry.modality.value,
        "backend": entry.backend,
        "installed": studio.catalog.installed(entry),
        "licence": entry.licence,
        "languages": entry.languages,
        "context_length": entry.context_length,
        "size_bytes": entry.size_bytes,
        "sha256": entry.sha256,
    }


@router.get("/models")
def list_models(request: Request, all: bool = False, principal: Principal = scope(None)) -> dict[str, Any]:
    """Installed (usable) models; ``?all=true`` lists the whole catalog."""
    studio = request.app.state.studio
    cards = [_model_card(studio, e) for e in studio.catalog.entries()]
    return {"object": "list", "data": [c for c in cards if all or c["installed"]]}


@router.get("/models/{model_id:path}")
def get_model(request: Request, model_id: str, principal: Principal = scope(None)) -> dict[str, Any]:
    studio = request.app.state.studio
    return _model_card(studio, studio.catalog.get(model_id))


async def _text(request: Request, body: ChatCompletionRequest | CompletionRequest, chat: bool, principal: Principal):
    studio = request.app.state.studio
    text_request: TextRequest = body.to_request()
    who = api_caller(principal, request, body.user)
    if chat and getattr(body, "knowledge_bases", None):
        return await _knowledge_answer(request, body, text_request, principal, who)
    if body.async_:
        if body.stream:
            raise InvalidRequest(
                "'async' and 'stream' cannot be combined; follow the job's events instead.", param="stream"
            )
        body_ = text_request.model_dump(mode="json", by_alias=True)
        return await accepted_job(studio, "text", body_, who)
    studio.admission.precheck(text_request.model or studio.default_model(Modality.text))  # busy: 503 now
    if not body.stream:
        result = await until_disconnected(request, studio.generate_text, text_request, who=who)
        return JSONResponse(text_response(result, chat))

    stream = await run_in_threadpool(studio.stream, text_request, who=who)
    chunks = ThreadedStream(stream)
    first = await chunks.next()  # errors before any output keep their status code
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    writer = ChunkWriter(chat, stream.model, include_usage)

    async def events():
        item = first
        try:
            yield writer.start(stream.generation_id)
            while item is not None:
                # tokens that arrived while this one was written go out with it, in one write
                yield "".join([writer.chunk(item), *map(writer.chunk, chunks.ready())])
                item = await chunks.next()
            yield writer.done()
        except ZaowuError as exc:  # failed after the response started: report in-band
            yield writer.error(exc.to_openai())
            yield writer.done()
        finally:
            chunks.stop()  # no-op when finished; stops llama.cpp when the client went away

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


async def _knowledge_answer(request: Request, body, text_request: TextRequest, principal: Principal, who):
    """A chat answer from the named vector stores: the response adds ``citations`` (and ``zaowu.knowledge``);
    streamed, the last event before [DONE] carries them."""
    if body.async_:
        raise InvalidRequest("'knowledge_bases' answers are not 'async' yet; leave 'async' out.", param="async")
    studio = request.app.state.studio
    studio.admission.precheck(text_request.model or studio.default_model(Modality.text))  # busy: 503 now
    kb = studio.knowledge
    if body.stream:
        return await _knowledge_stream(request, body, text_request, principal, who)
    result, knowledge = await until_disconnected(
        request, kb.answer, text_request, list(body.knowledge_bases), viewer=principal, who=who
    )
    from ..studio.knowledge.answer import knowledge_block

    response = text_response(result, True)
    response["citations"] = knowledge["citations"]
    response["zaowu"]["knowledge"] = knowledge_block(knowledge)
    return JSONResponse(response)


async def _knowledge_stream(request: Request, body, text_request: TextRequest, principal: Principal, who):
    from ..studio.knowledge.answer import REFUSAL, finish, prepare, question_of, refused

    studio = request.app.state.studio
    prompt, sources, lang = await run_in_threadpool(
        prepare, studio.knowledge, text_request, list(body.knowledge_bases), viewer=principal, who=who
    )
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    model = text_request.model or studio.default_model(Modality.text)
    if prompt is None:
        writer = ChunkWriter(True, model, include_usage)

        async def refusal():
            yield writer.start(None)
            yield writer.chunk(TextChunk(text=REFUSAL[lang], finish_reason="stop"))
            yield _knowledge_event(writer, refused())
            yield writer.done()

        return StreamingResponse(refusal(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    stream = await run_in_threadpool(studio.stream, prompt, who=who)
    chunks = ThreadedStream(stream)
    first = await chunks.next()
    writer = ChunkWriter(True, stream.model, include_usage)

    async def events():
        item, text = first, []
        try:
            yield writer.start(stream.generation_id)
            while item is not None:
                text.append(item.text)
                if item.finish_reason:  # the marker repair goes out before the final chunk
                    suffix, knowledge = finish("".join(text), sources, question_of(text_request), lang)
                    yield writer.chunk(TextChunk(text=item.text + suffix))
                    yield writer.chunk(item.model_copy(update={"text": ""}))
                    yield _knowledge_event(writer, knowledge)
                else:
                    yield writer.chunk(item)
                item = await chunks.next()
            yield writer.done()
        except ZaowuError as exc:
            yield writer.error(exc.to_openai())
            yield writer.done()
        finally:
            chunks.stop()

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _knowledge_event(writer: ChunkWriter, knowledge: dict[str, Any]) -> str:
    """The event after the answer's last chunk: no choices, the ``citations`` and ``zaowu.knowledge``."""
    from ..studio.knowledge.answer import knowledge_block

    return writer.extra(citations=knowledge["citations"], zaowu={"knowledge": knowledge_block(knowledge)})


@router.post("/chat/completions")
async def chat_completions(request: Request, body: ChatCompletionRequest, principal: Principal = scope("text")):
    return await _text(request, body, True, principal)


@router.post("/completions")
async def completions(request: Request, body: CompletionRequest, principal: Principal = scope("text")):
    return await _text(request, body, False, principal)


@router.post("/embeddings")
async def embeddings(request: Request, body: EmbeddingsRequest, principal: Principal = scope("text")):
    studio = request.app.state.studio
    if body.dimensions is not None:
        raise InvalidRequest("'dimensions' cannot be changed for this model; omit it.", param="dimensions")
    req = EmbeddingRequest(model=body.model, input=body.texts())
    studio.admission.precheck(req.model or studio.default_model(Modality.embedding))
    result = await until_disconnected(request, studio.embed, req, who=api_caller(principal, request, body.user))
    return JSONResponse(embeddings_response(result, body.encoding_format))
