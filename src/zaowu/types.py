"""Request and result models for every modality, independent of any wire protocol.

One request model per modality with the same argument names everywhere
(prompt, negative_prompt, seed, size, duration, voice, language, format).
Backends receive these; the HTTP API and CLI translate their own shapes into them.
This module imports only the standard library and Pydantic.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

__all__ = [
    "Caller",
    "LOCAL",
    "Modality",
    "ModelSpec",
    "Message",
    "ResponseFormat",
    "TextRequest",
    "MAX_TOKENS",
    "TextChunk",
    "TextResult",
    "Usage",
    "EmbeddingRequest",
    "EmbeddingResult",
    "ImageRequest",
    "SpeechRequest",
    "TranscriptionRequest",
    "MusicRequest",
    "VideoRequest",
    "MediaRequest",
    "Media",
    "MediaResult",
]


class Modality(str, Enum):
    text = "text"
    embedding = "embedding"
    image = "image"
    speech = "speech"
    transcription = "transcription"
    music = "music"
    video = "video"


@dataclass(frozen=True)
class Caller:
    """Who runs a generation: the interface it came through (python, api, cli, job, bench), the caller's
    name, the API key (None: the local owner, who may do anything) and the job it runs in. Recorded
    with every generation and artifact; ``key_id`` decides scopes and quotas. ``unlabelled`` asks for
    outputs without labels, which only a key with the ``unlabelled`` permission gets.

        studio.generate_text(request)                                    # the local owner, from Python
        studio.generate_text(request, who=Caller(interface="api", name="shop", key_id=key_id))
    """

    interface: str = "python"
    name: str | None = None
    key_id: str | None = None
    job_id: str | None = None
    unlabelled: bool = False

    def named(self, default: str) -> Caller:
        """This caller, named ``default`` when it has no name of its own (a template, a workflow run)."""
        return self if self.name else replace(self, name=default)


LOCAL = Caller()  # the local owner calling from Python


class Strict(BaseModel):
    """Base for request models: a misspelt field is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ModelSpec(Strict):
    """What a backend needs to know about one model; built by the catalog."""

    id: str
    modality: Modality
    backend: str
    name: str = ""
    path: str | None = None  # local weights file, when the backend loads one
    sha256: str | None = None
    size_bytes: int | None = None
    licence: str = "unknown"
    languages: list[str] = Field(default_factory=list)
    context_length: int | None = None
    chat: bool = True  # instruct/chat model (False: completion only)
    defaults: dict[str, Any] = Field(default_factory=dict)  # default sampling options
    remote_model: str | None = None  # the model name on a remote server
    remote: str | None = None  # name of the remote config


# ---------------------------------------------------------------- text


class Message(Strict):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str
    name: str | None = None


class JSONSchemaFormat(Strict):
    name: str = "output"
    schema_: dict[str, Any] = Field(alias="schema")
    strict: bool | None = None
    description: str | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ResponseFormat(Strict):
    type: Literal["text", "json_object", "json_schema"] = "text"
    json_schema: JSONSchemaFormat | None = None

    @model_validator(mode="after")
    def _schema_given(self) -> ResponseFormat:
        if self.type == "json_schema" and self.json_schema is None:
            raise ValueError("response_format.type is 'json_schema' but no json_schema was given")
        return self


MAX_TOKENS = 2**20  # the largest max_tokens any request may ask for (a model's own context is checked too)


class TextRequest(Strict):
    """A chat (``messages``) or a plain completion (``prompt``) request."""

    model: str | None = None
    messages: list[Message] | None = None
    prompt: str | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    top_k: int | None = Field(default=None, ge=0)
    stop: list[str] = Field(default_factory=list, max_length=8)
    seed: int | None = Field(default=None, ge=0, le=2**32 - 2)
    repeat_penalty: float | None = Field(default=None, gt=0, le=3)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    response_format: ResponseFormat | None = None

    @model_validator(mode="after")
    def _one_input(self) -> TextRequest:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("give exactly one of 'messages' (chat) or 'prompt' (completion)")
        if self.messages is not None and not self.messages:
            raise ValueError("'messages' must contain at least one message")
        return self

    @property
    def is_chat(self) -> bool:
        return self.messages is not None

    @property  # shadows pydantic v1's deprecated BaseModel.schema() classmethod on purpose: the request's schema
    def schema(self) -> dict[str, Any] | None:  # type: ignore[override]
        rf = self.response_format
        return rf.json_schema.schema_ if rf and rf.json_schema else None


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class TextChunk(BaseModel):
    """One streamed piece of text; the last one has ``finish_reason`` and ``usage``."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None


class TextResult(BaseModel):
    text: str
    finish_reason: str | None
    usage: Usage
    model: str
    seed: int | None
    generation_id: str | None = None
    parsed: Any = None  # the JSON value when a JSON response_format was requested


# ---------------------------------------------------------------- embeddings


class EmbeddingRequest(Strict):
    model: str | None = None
    input: list[str] = Field(min_length=1, max_length=2048)


class EmbeddingResult(BaseModel):
    vectors: list[list[float]]
    model: str
    usage: Usage
    generation_id: str | None = None


# ---------------------------------------------------------------- media (images, audio, video)


class ImageRequest(Strict):
    model: str | None = None
    prompt: str = Field(min_length=1)
    negative_prompt: str | None = None
    size: str = "1024x1024"
    n: int = Field(default=1, ge=1, le=16)
    seed: int | None = None
    kind: str | None = None  # design engine: poster, logo, banner, ...
    format: Literal["png", "webp", "jpeg", "svg"] = "png"
    image: bytes | None = None  # image-to-image / edit source
    mask: bytes | None = None
    spec: dict[str, Any] | None = None  # design engine: a design spec; written by the LLM if absent


class SpeechRequest(Strict):
    model: str | None = None
    input: str = Field(min_length=1)
    voice: str | None = None
    language: str | None = None
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    format: Literal["wav", "mp3", "opus", "flac"] = "wav"


class TranscriptionRequest(Strict):
    model: str | None = None
    audio: bytes
    language: str | None = None
    format: Literal["json", "text", "srt", "vtt", "verbose_json"] = "json"


class MusicRequest(Strict):
    model: str | None = None
    prompt: str = Field(min_length=1)
    duration: float = Field(default=30, ge=5, le=300)
    seed: int | None = None
    format: Literal["wav", "mp3", "flac", "ogg"] = "wav"
    plan: dict[str, Any] | None = None  # a music plan (genre, key, tempo, sections...); planned by the LLM if absent


def _from_base64(value: Any) -> Any:
    """Bytes as given; a string is base64 (how a stored job request carries them)."""
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("must be bytes, or base64 text") from None
    return value


FileBytes = Annotated[
    bytes, BeforeValidator(_from_base64), PlainSerializer(lambda b: base64.b64encode(b).decode(), when_used="json")
]
"""A file's bytes; written to JSON as base64 (a job's stored request) and read back from it."""


class VideoRequest(Strict):
    model: str | None = None
    prompt: str = Field(min_length=1)
    duration: float = Field(default=10, gt=0, le=600)
    size: str = "1280x720"
    seed: int | None = None
    format: Literal["mp4", "webm"] = "mp4"
    language: Literal["zh", "en"] | None = None  # narration and on-screen text (None: the prompt's)
    storyboard: dict[str, Any] | None = None  # storyboard backend: scenes to render; written by the LLM if absent
    narration: list[FileBytes | None] | None = None  # one WAV per scene (None: silent): the planner's, or a recording
    voice: str | None = Field(default=None, max_length=64)  # narration voice (None: the storyboard's)
    music: bool | None = None  # a music bed under the clip (None: the storyboard's choice)
    subtitles: Literal["soft", "burned", "both", "none"] | None = None  # captions (None: the storyboard's)
    remix_prompt: str | None = Field(default=None, max_length=4000)  # a remix's change: the texts are rewritten
    remixed_from: str | None = Field(default=None, max_length=64)  # the video a remix starts from
    input_reference: str | None = Field(default=None, max_length=64)  # artifact id: product image / portrait
    image_model: str | None = Field(default=None, max_length=200)  # paints design scenes' pictures (None: design)
    images: dict[str, str] | None = None  # image names → files (presenter: "portrait"): planner only
    presenter: dict[str, Any] | None = None  # presenter backend: banner name, background, voice... (PresenterOptions)


MediaRequest = SpeechRequest | TranscriptionRequest | MusicRequest | ImageRequest | VideoRequest


class Media(BaseModel):
    """One produced file: bytes plus what it is, and files that belong with it (a logo's
    transparent mark): each attachment is stored beside it as ``meta["<name>_artifact_id"]``.
    ``path``: a file too large to hold (a video) given instead of ``data``; the Studio moves it into the
    artifact store (removing it if the output is not stored) and ``data`` stays empty."""

    data: bytes = b""
    mime: str
    path: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    attachments: dict[str, Media] = Field(default_factory=dict)


class MediaResult(BaseModel):
    media: list[Media]
    model: str
    seed: int | None = None
    usage: dict[str, float] = Field(default_factory=dict)  # e.g. {"media_seconds": 12.5}
    generation_id: str | None = None
