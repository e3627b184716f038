"""A plugin of backend doubles and a planner, loaded by name (``Settings(plugins=[...])``) the way a
third-party package adds a backend: ``stamp`` renders the plan its planner writes (a backend id the
studio has never heard of), ``echo-text``/``count-embed``/``beep-speech`` answer with known usage,
and the ``broken-*`` backends fail part-way, so the generation log's one recorded path can be seen
logging each outcome and charging each modality."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from typing import Any

from zaowu.backends.base import EmbeddingBackend, MediaBackend, TextBackend
from zaowu.errors import InvalidRequest
from zaowu.hookspecs import hookimpl
from zaowu.studio.planners import Planned, Planner, PlanRun
from zaowu.types import (
    EmbeddingRequest,
    EmbeddingResult,
    ImageRequest,
    Media,
    MediaResult,
    Modality,
    SpeechRequest,
    TextChunk,
    TextRequest,
    Usage,
)

PLANNED: list[dict[str, Any]] = []  # what the stamp planner was asked, one entry per call
STAMP_SECONDS = 1.5  # media seconds a stamp reports
SAMPLE_RATE = 8000


def _png(text: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8 + len(text), 8), "white").save(out, "PNG")
    return out.getvalue()


class StampBackend(MediaBackend):
    """Renders ``request.spec`` and nothing else: a request that reaches it unplanned is refused."""

    id = "stamp"
    modality = Modality.image

    def generate(self, request: Any, seed: int | None, progress: Any = None) -> MediaResult:
        if not isinstance(request, ImageRequest) or request.spec is None:
            raise InvalidRequest("the stamp backend renders a spec; none was planned", param="spec")
        if not isinstance(request.spec.get("text"), str):
            raise InvalidRequest("spec.text is missing; give the text to stamp", param="spec.text")
        media = Media(data=_png(request.spec["text"]), mime="image/png", meta={"spec": request.spec, "seed": seed})
        return MediaResult(media=[media], model=self.model.id, seed=seed, usage={"media_seconds": STAMP_SECONDS})


def plan_stamp(studio: Any, request: ImageRequest, run: PlanRun) -> Planned:
    PLANNED.append(
        {"prompt": request.prompt, "seed": request.seed, "who": run.who, "model": run.model, "hints": dict(run.hints)}
    )
    run.report(0.0, "planning the stamp")
    spec = {"text": request.prompt.upper(), "seed": request.seed}
    return Planned(
        request.model_copy(update={"spec": spec}), [{"name": "stamp.planned", "ok": True, "detail": "upper"}]
    )


class EchoText(TextBackend):
    """Answers three tokens and reports 5 prompt tokens."""

    id = "echo-text"

    def generate(self, request: TextRequest, seed: int) -> Iterator[TextChunk]:
        yield TextChunk(text="a")
        yield TextChunk(text="b")
        yield TextChunk(text="c")
        yield TextChunk(finish_reason="stop", usage=Usage(prompt_tokens=5, completion_tokens=3))


class BrokenText(TextBackend):
    """Two tokens, then the backend fails."""

    id = "broken-text"

    def generate(self, request: TextRequest, seed: int) -> Iterator[TextChunk]:
        yield TextChunk(text="a")
        yield TextChunk(text="b")
        raise RuntimeError("the text backend crashed")


class CountEmbedding(EmbeddingBackend):
    id = "count-embed"

    def generate(self, request: EmbeddingRequest) -> EmbeddingResult:
        return EmbeddingResult(
            vectors=[[1.0, 0.0] for _ in request.input],
            model=self.model.id,
            usage=Usage(prompt_tokens=4 * len(request.input)),
        )


class BrokenEmbedding(EmbeddingBackend):
    id = "broken-embed"

    def generate(self, request: EmbeddingRequest) -> EmbeddingResult:
        raise RuntimeError("the embedding backend crashed")


class BrokenImage(MediaBackend):
    id = "broken-image"
    modality = Modality.image

    def generate(self, request: Any, seed: int | None, progress: Any = None) -> MediaResult:
        raise RuntimeError("the image backend crashed")


def _wav_header() -> bytes:
    """A streamed WAV header (sizes unknown: 0xFFFFFFFF), 16-bit mono."""
    return (
        b"RIFF"
        b"\xff\xff\xff\xff"
        b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16)
        + b"data"
        + b"\xff\xff\xff\xff"
    )


class BeepSpeech(MediaBackend):
    """Streams one second of silence as a WAV; ``broken`` in the input fails after the first block."""

    id = "beep-speech"
    modality = Modality.speech
    can_stream = True

    def generate(self, request: Any, seed: int | None, progress: Any = None) -> MediaResult:
        raise RuntimeError("use stream")

    def stream(self, request: SpeechRequest) -> Iterator[bytes]:
        yield _wav_header()
        if "broken" in request.input:
            raise RuntimeError("the speech backend crashed")
        yield b"\x00\x00" * SAMPLE_RATE


def _entry(model_id: str, backend: type, modality: Modality) -> dict[str, Any]:
    return {
        "id": model_id,
        "modality": modality.value,
        "backend": backend.id,
        "licence": "test double",
        "source": {"kind": "builtin"},
    }


@hookimpl
def register_backends(register):
    for cls in (StampBackend, EchoText, BrokenText, CountEmbedding, BrokenEmbedding, BrokenImage, BeepSpeech):
        register(cls)


@hookimpl
def register_models(register):
    register(_entry("stamp-1", StampBackend, Modality.image))
    register(_entry("echo-text", EchoText, Modality.text))
    register(_entry("broken-text", BrokenText, Modality.text))
    register(_entry("count-embed", CountEmbedding, Modality.embedding))
    register(_entry("broken-embed", BrokenEmbedding, Modality.embedding))
    register(_entry("broken-image", BrokenImage, Modality.image))
    register(_entry("beep-speech", BeepSpeech, Modality.speech))


@hookimpl
def register_planners(register):
    register(Planner(backends=("stamp",), fills="spec", plan=plan_stamp, name="stamp"))
