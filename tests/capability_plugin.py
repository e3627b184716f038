"""A plugin for tests: backends that declare their capabilities and options, registered through the
real ``register_backends``/``register_models`` hooks (loaded in servers via the ``plugins`` setting).

- ``test-chime-stream`` (speech): a sine tone; declares ``can_stream`` and implements ``stream``, and
  declares how many generations it runs at once (its ``parallel`` option);
- ``test-chime`` (speech): the same tone, without streaming;
- ``test-echo`` (text): echoes the prompt; its context length is its ``context`` option.

The tone's pitch is an option (``ChimeOptions.pitch``), so a test can tell from the audio which
options the backend was loaded with."""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import Iterator

from pydantic import BaseModel, Field

from zaowu.backends.base import BackendOptions, MediaBackend, TextBackend
from zaowu.hookspecs import hookimpl
from zaowu.types import Media, MediaResult, Modality, TextChunk, TextRequest, Usage

RATE = 8000
SECONDS = 0.5


class ChimeOptions(BackendOptions):
    pitch: float = Field(440.0, ge=20, le=4000, description="tone frequency in Hz")
    parallel: int = Field(1, ge=1, le=8, description="generations run at once")


def tone_samples(pitch: float) -> bytes:
    n = int(RATE * SECONDS)
    return struct.pack(f"<{n}h", *(int(12000 * math.sin(2 * math.pi * pitch * i / RATE)) for i in range(n)))


def wav(samples: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples)
    return out.getvalue()


class Chime(MediaBackend):
    id = "test-chime"
    modality = Modality.speech
    description = "a sine tone (tests)"
    Options = ChimeOptions

    @classmethod
    def slots(cls, options: BackendOptions) -> int | None:
        return options.parallel if isinstance(options, ChimeOptions) else None

    def generate(self, request: BaseModel, seed: int | None, progress=None) -> MediaResult:
        data = wav(tone_samples(self.options.pitch))  # type: ignore[attr-defined]
        return MediaResult(
            media=[Media(data=data, mime="audio/wav", meta={"format": "wav"})],
            model=self.model.id,
            usage={"media_seconds": SECONDS},
        )


class StreamingChime(Chime):
    id = "test-chime-stream"
    can_stream = True

    def stream(self, request: BaseModel) -> Iterator[bytes]:
        whole = wav(tone_samples(self.options.pitch))  # type: ignore[attr-defined]
        header, samples = whole[:44], whole[44:]
        yield header
        for start in range(0, len(samples), 1000):
            yield samples[start : start + 1000]


class EchoOptions(BackendOptions):
    context: int = Field(64, ge=8, le=4096, description="tokens one request may hold")


class Echo(TextBackend):
    id = "test-echo"
    description = "echoes the last message (tests)"
    Options = EchoOptions

    def __init__(self, model, options=None):
        super().__init__(model, options)
        self.context_length = self.options.context  # type: ignore[attr-defined]

    def generate(self, request: TextRequest, seed: int) -> Iterator[TextChunk]:
        text = request.messages[-1].content if request.messages else (request.prompt or "")
        yield TextChunk(text=text)
        yield TextChunk(finish_reason="stop", usage=Usage(prompt_tokens=len(text.split()), completion_tokens=1))


@hookimpl
def register_backends(register):
    for cls in (Chime, StreamingChime, Echo):
        register(cls)


@hookimpl
def register_models(register):
    builtin = {"source": {"kind": "builtin"}, "licence": "Apache-2.0"}
    register({"id": "chime", "modality": "speech", "backend": "test-chime", **builtin})
    register({"id": "chime-stream", "modality": "speech", "backend": "test-chime-stream", **builtin})
    register({"id": "chime-low", "modality": "speech", "backend": "test-chime", "defaults": {"pitch": 220}, **builtin})
    register({"id": "chime-broken", "modality": "speech", "backend": "test-chime", "defaults": {"pitch": 5}, **builtin})
    register({"id": "echo", "modality": "text", "backend": "test-echo", **builtin})
