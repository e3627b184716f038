"""The backend contract: one small class per model family, one ``generate`` method.

A backend declares what it can do as class attributes, and the studio reads them instead of
probing methods or comparing backend ids, so a plugin backend gets the same treatment as a
built-in one:

- ``can_stream``: text backends yield chunks as they are decoded; a media backend that sets it
  implements ``stream(request)``, yielding its output's bytes as they are produced;
- ``supports_schema``: JSON-schema constrained output (text);
- ``supports_edit``: takes a source image (and a mask) to edit (images);
- ``formats``: the output formats it writes; ``local``, ``needs_key``, ``licence``;
- ``context_length`` (per instance): tokens one request may hold, prompt and answer together;
- ``slots(options)``: how many requests it runs at once (None: the studio's ``media_parallel``).

Its load-time options are a pydantic model, ``Options``. The studio fills them from the catalog
entry's defaults, from the settings the backend names in ``settings_options``, from a remote's
connection, and from the ``backend_options.<id>`` settings table, and ``parse_options`` validates
them: a bad one is an InvalidRequest naming where it was set and what is allowed.

A backend is constructed once per model (the studio caches it) and must be safe to call from
several threads at once, queueing internally if it must.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import InvalidRequest
from ..types import (
    EmbeddingRequest,
    EmbeddingResult,
    MediaResult,
    Modality,
    ModelSpec,
    TextChunk,
    TextRequest,
)

R = TypeVar("R", bound=BaseModel)

__all__ = [
    "OUTPUT_DIR_PREFIX",
    "Backend",
    "BackendOptions",
    "TextBackend",
    "EmbeddingBackend",
    "MediaBackend",
    "Progress",
    "output_dir",
]

OUTPUT_DIR_PREFIX = "zaowu-output-"
"""Temporary folders holding a media backend's large outputs (``Media.path``): the Studio moves the file into
the artifact store and removes the folder."""


def output_dir() -> str:
    """A new temporary folder for a large output file, which the Studio takes over (``Media.path``)."""
    import tempfile

    return tempfile.mkdtemp(prefix=OUTPUT_DIR_PREFIX)


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
    formats: ClassVar[tuple[str, ...]] = ()  # output formats it writes (empty: the request type's)
    Options: ClassVar[type[BackendOptions]] = BackendOptions
    settings_options: ClassVar[Mapping[str, str]] = {}
    """Options the studio fills from its settings: option name -> Settings attribute, e.g. {"n_ctx": "n_ctx"}."""

    def __init__(self, model: ModelSpec, options: BackendOptions | dict[str, Any] | None = None):
        self.model = model
        if isinstance(options, BackendOptions):
            self.options = options
        else:
            self.options = self.Options(**(options or {}))
        self.context_length: int | None = model.context_length
        """Tokens one request may hold (prompt and answer together); None when unknown or not text."""

    def close(self) -> None:
        """Release the model; called when the studio shuts down or unloads it."""

    @classmethod
    def slots(cls, options: BackendOptions) -> int | None:
        """Requests this backend runs at once with ``options`` (None: the studio's ``media_parallel``)."""
        return None

    @classmethod
    def parse_options(
        cls, values: Mapping[str, Any], where: Mapping[str, str] | None = None, *, partial: bool = False
    ) -> BackendOptions:
        """``values`` validated by this backend's ``Options``. ``where`` maps an option to the place it was
        set (``backend_options.tts.sentence_pause``), which the error names. ``partial``: check only the
        values given (required options may come later, e.g. from a remote's connection)."""
        try:
            return cls.Options(**values)
        except ValidationError as exc:
            problems = [e for e in exc.errors() if not (partial and e["type"] == "missing")]
            if not problems:
                return cls.Options.model_construct(**values)
            raise cls._option_error(problems[0], where or {}) from None

    @classmethod
    def _option_error(cls, problem: Mapping[str, Any], where: Mapping[str, str]) -> InvalidRequest:
        name = str(problem["loc"][0]) if problem["loc"] else ""
        place = where.get(name) or f"backend_options.{cls.id}.{name}".rstrip(".")
        fields = cls.Options.model_fields
        if problem["type"] == "extra_forbidden":
            close = difflib.get_close_matches(name, list(fields), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            return InvalidRequest(
                f"Backend '{cls.id}' has no option '{name}' (set at '{place}').{hint} "
                f"Its options: {', '.join(fields) or '(none)'}.",
                param=place,
            )
        about = f" ({name}: {fields[name].description})" if name in fields and fields[name].description else ""
        return InvalidRequest(f"Invalid value for '{place}': {problem['msg']}{about}.", param=place)


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

    def _expect(self, request: BaseModel, kind: type[R], name: str) -> R:
        """``request`` as the ``kind`` this backend takes, in one of its ``formats`` (when it declares them);
        else a 400 (``name``: the backend's name in the message)."""
        if not isinstance(request, kind):
            raise InvalidRequest(f"the {name} backend takes a {kind.__name__}, not {type(request).__name__}")
        formats = getattr(self, "formats", None)
        fmt = getattr(request, "format", None)
        if formats and fmt is not None and fmt not in formats:
            raise InvalidRequest(
                f"format must be {' or '.join(repr(f) for f in formats)} for the {name} model.", param="format"
            )
        return request

    def stream(self, request: BaseModel) -> Iterator[bytes]:
        """Backends declaring ``can_stream``: the output's bytes as they are produced (speech: a WAV whose
        blocks come as sentences finish). Bad input raises here, before the first byte."""
        raise NotImplementedError(f"backend '{self.id}' does not stream")
