"""The backend contract: one small class per model family, one ``generate`` method.

Capabilities are class attributes so callers read them instead of probing.
A backend is constructed once per model (the studio caches it) and must be
safe to call from several threads at once, queueing internally if it must.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from ..types import (
    EmbeddingRequest,
    EmbeddingResult,
    MediaResult,
    Modality,
    ModelSpec,
    TextChunk,
    TextRequest,
)

__all__ = ["Backend", "BackendOptions", "TextBackend", "EmbeddingBackend", "MediaBackend", "Progress"]

Progress = Callable[[float, str], None]
"""Progress callback for long work: fraction done in [0, 1] and a short message."""


class BackendOptions(BaseModel):
    """Load-time options of a backend (threads, context size, URLs...). Typos are errors."""

    model_config = ConfigDict(extra="forbid")


class Backend:
    id: ClassVar[str]
    modality: ClassVar[Modality]
    description: ClassVar[str] = ""
    licence: ClassVar[str] = "Apache-2.0"  # licence of the runtime, not of the weights
    local: ClassVar[bool] = True
    can_stream: ClassVar[bool] = False
    supports_schema: ClassVar[bool] = False
    needs_key: ClassVar[bool] = False
    supports_edit: ClassVar[bool] = False  # images: takes a source image (and mask) to edit
    Options: ClassVar[type[BackendOptions]] = BackendOptions

    def __init__(self, model: ModelSpec, options: BackendOptions | dict[str, Any] | None = None):
        self.model = model
        if isinstance(options, BackendOptions):
            self.options = options
        else:
            self.options = self.Options(**(options or {}))

    def close(self) -> None:
        """Release the model; called when the studio shuts down or unloads it."""


class TextBackend(Backend):
    modality = Modality.text
    can_stream = True

    def generate(self, request: TextRequest, seed: int) -> Iterator[TextChunk]:
        """Yield text pieces; the last chunk carries finish_reason and usage.

        Closing the iterator early must stop the generation.
        """
        raise NotImplementedError


class EmbeddingBackend(Backend):
    modality = Modality.embedding

    def generate(self, request: EmbeddingRequest) -> EmbeddingResult:
        raise NotImplementedError


class MediaBackend(Backend):
    """Images, speech, transcription, music, video: bytes out, progress reported."""

    def generate(self, request: BaseModel, seed: int | None, progress: Progress | None = None) -> MediaResult:
        raise NotImplementedError
