"""OpenAI wire shapes: request bodies in, response/chunk JSON out.

Requests forbid unknown fields (a typo is a 400 naming it) but accept what the
official SDK sends. ``to_request`` turns a body into zaowu's TextRequest.
"""

from __future__ import annotations

import base64
import time
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import InvalidRequest
from ..types import MAX_TOKENS, EmbeddingResult, Message, ResponseFormat, TextChunk, TextRequest, TextResult

# List sizes a request may carry (a 400 naming the field beyond them), so that validating a body
# costs time linear in its size and bounded by the body cap, and nothing downstream gets huge lists.
MAX_MESSAGES = 2048  # messages in one chat (OpenAI's limit too)
MAX_CONTENT_PARTS = 256  # parts in one message's content list
MAX_STOP = 8  # stop sequences (TextRequest's limit)
MAX_EMBEDDING_INPUTS = 2048  # texts in one embeddings request (OpenAI's limit too)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ContentPart(_Wire):
    type: Literal["text"]
    text: str


class WireMessage(_Wire):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: Annotated[list[ContentPart], Field(max_length=MAX_CONTENT_PARTS)] | str | None = None
    name: str | None = None

    def to_message(self) -> Message:
        content = self.content if isinstance(self.content, str) else "".join(p.text for p in self.content or [])
        return Message(role=self.role, content=content, name=self.name)


class StreamOptions(_Wire):
    include_usage: bool = False


class _Sampling(_Wire):
    model: str | None = None
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    top_k: int | None = Field(None, ge=0)
    n: int = Field(1, ge=1, le=1, description="only one choice per request is supported")
    stop: Annotated[list[str], Field(max_length=MAX_STOP)] | str | None = None
    seed: int | None = Field(None, ge=0, le=2**32 - 2)
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    repeat_penalty: float | None = Field(None, gt=0, le=3)
    repetition_penalty: float | None = Field(None, gt=0, le=3, description="vLLM's name for repeat_penalty")
    response_format: ResponseFormat | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = None
    async_: bool = Field(False, alias="async", description="zaowu: run as a job and return it (202)")

    def _repeat_penalty(self) -> float | None:
        """repeat_penalty (llama.cpp's name) or repetition_penalty (vLLM's): clients may send both."""
        both = (self.repeat_penalty, self.repetition_penalty)
        if None not in both and both[0] != both[1]:
            raise InvalidRequest(
                "repeat_penalty and repetition_penalty are two names for one setting; give one value",
                param="repetition_penalty",
            )
        return self.repeat_penalty if self.repeat_penalty is not None else self.repetition_penalty

    def _common(self) -> dict[str, Any]:
        stop = [self.stop] if isinstance(self.stop, str) else (self.stop or [])
        return dict(
            model=self.model,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            stop=stop,
            seed=self.seed,
            presence_penalty=self.presence_penalty,
            frequency_penalty=self.frequency_penalty,
            repeat_penalty=self._repeat_penalty(),
            response_format=self.response_format,
        )


class ChatCompletionRequest(_Sampling):
    messages: list[WireMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    max_completion_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS)
    logprobs: Literal[False] | None = None
    parallel_tool_calls: bool | None = None
    knowledge_bases: list[Annotated[str, Field(max_length=40)]] | None = Field(
        None, min_length=1, max_length=16, description="zaowu: vector store ids to answer from, with citations"
    )

    def to_request(self) -> TextRequest:
        common = self._common()
        common["max_tokens"] = self.max_completion_tokens or self.max_tokens
        return TextRequest(messages=[m.to_message() for m in self.messages], **common)


class CompletionRequest(_Sampling):
    prompt: str | list[str]
    echo: Literal[False] | None = None
    logprobs: None = None
    best_of: Literal[1] | None = None
    suffix: None = None

    @field_validator("prompt")
    @classmethod
    def _one_prompt(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list) and len(v) != 1:
            raise ValueError("only one prompt per request is supported; send a string")
        return v

    def to_request(self) -> TextRequest:
        prompt = self.prompt if isinstance(self.prompt, str) else self.prompt[0]
        return TextRequest(prompt=prompt, **self._common())


class EmbeddingsRequest(_Wire):
    model: str | None = None
    input: Annotated[list[str], Field(max_length=MAX_EMBEDDING_INPUTS)] | str
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None
    user: str | None = None

    def texts(self) -> list[str]:
        texts = [self.input] if isinstance(self.input, str) else self.input
        if not texts or any(not t for t in texts):
            raise InvalidRequest("'input' must be a non-empty string or a list of non-empty strings.", param="input")
        return texts


# ---------------------------------------------------------------- responses


def _usage(result_usage) -> dict[str, int]:
    return {
        "prompt_tokens": result_usage.prompt_tokens,
        "completion_tokens": result_usage.completion_tokens,
        "total_tokens": result_usage.total_tokens,
    }


def completion_id(chat: bool, generation_id: str | None) -> str:
    return ("chatcmpl-" if chat else "cmpl-") + (generation_id or "unknown")


def text_response(result: TextResult, chat: bool) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "finish_reason": result.finish_reason, "logprobs": None}
    if chat:
        choice["message"] = {"role": "assistant", "content": result.text}
    else:
        choice["text"] = result.text
    return {
        "id": completion_id(chat, result.generation_id),
        "object": "chat.completion" if chat else "text_completion",
        "created": int(time.time()),
        "model": result.model,
        "choices": [choice],
        "usage": _usage(result.usage),
        "system_fingerprint": f"zaowu-seed-{result.seed}",
        "zaowu": {"generation_id": result.generation_id, "seed": result.seed},
    }


_MARK = "<zaowu:text>"  # stands for the text while a ChunkWriter encodes its event frame once


class ChunkWriter:
    """Formats a stream of TextChunks as OpenAI SSE events."""

    def __init__(self, chat: bool, model: str, include_usage: bool):
        self.chat, self.model, self.include_usage = chat, model, include_usage
        self._frame: tuple[str, ...] | None = None  # a text event split around its text, made once per stream
        self.id = completion_id(chat, None)
        self.created = int(time.time())

    def _event(self, choices: list[dict], **extra: Any) -> str:
        import json

        body = {
            "id": self.id,
            "object": "chat.completion.chunk" if self.chat else "text_completion",
            "created": self.created,
            "model": self.model,
            "choices": choices,
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    def _choice(self, text: str | None, finish_reason: str | None, role: bool = False) -> dict[str, Any]:
        if self.chat:
            delta: dict[str, Any] = {"role": "assistant"} if role else {}
            if text is not None:
                delta["content"] = text
            return {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return {"index": 0, "text": text or "", "finish_reason": finish_reason, "logprobs": None}

    def start(self, generation_id: str | None) -> str:
        self.id = completion_id(self.chat, generation_id)
        self._frame = None
        return self._event([self._choice("", None, role=True)]) if self.chat else ""

    def _text_event(self, text: str) -> str:
        """``_event`` for one piece of text, byte for byte, with only the text encoded per token: the
        event around it is encoded once (at 100+ tokens/s the whole-dict ``json.dumps`` showed in profiles)."""
        import json

        if self._frame is None:
            encoded = json.dumps(_MARK)
            event = self._event([self._choice(_MARK, None)])
            self._frame = tuple(event.split(encoded)) if event.count(encoded) == 1 else ()
        if len(self._frame) != 2:  # the marker also appeared elsewhere (a model id): encode it all
            return self._event([self._choice(text, None)])
        return json.dumps(text, ensure_ascii=False).join(self._frame)

    def chunk(self, chunk: TextChunk) -> str:
        out = ""
        if chunk.text:
            out += self._text_event(chunk.text)
        if chunk.finish_reason:
            out += self._event([self._choice(None if self.chat else "", chunk.finish_reason)])
            if self.include_usage and chunk.usage:
                out += self._event([], usage=_usage(chunk.usage))
        return out

    def extra(self, **fields: Any) -> str:
        """An event with no choices and ``fields`` (a knowledge answer's citations after its last chunk)."""
        return self._event([], **fields)

    @staticmethod
    def error(payload: dict[str, Any]) -> str:
        import json

        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    @staticmethod
    def done() -> str:
        return "data: [DONE]\n\n"


def embeddings_response(result: EmbeddingResult, encoding_format: str) -> dict[str, Any]:
    data = []
    for i, vec in enumerate(result.vectors):
        if encoding_format == "base64":
            emb: Any = base64.b64encode(np.asarray(vec, dtype=np.float32).tobytes()).decode("ascii")
        else:
            emb = vec
        data.append({"object": "embedding", "index": i, "embedding": emb})
    return {
        "object": "list",
        "data": data,
        "model": result.model,
        "usage": {"prompt_tokens": result.usage.prompt_tokens, "total_tokens": result.usage.prompt_tokens},
    }
