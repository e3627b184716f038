"""The studio: zaowu's Python API. Interfaces (CLI, HTTP, web) are thin adapters over it.

It resolves model ids through the catalog, loads each backend once and shares
it between threads, fills in per-model defaults and a seed, enforces
structured output, and records every generation in the generation log.

    with Studio() as studio:
        result = studio.chat("你好")                                        # as the local owner
        result = studio.generate_text(request, who=Caller(interface="api", name="shop", key_id=key_id))
        image = studio.generate_media(ImageRequest(prompt="茶馆春季新品海报"))  # planned by the LLM, then rendered

Media runs one way, ``generate_media``: a request for a backend that renders a plan (design spec,
music plan) and brings none is planned inside it by the planner registered for that backend
(``studio/planners.py``). Every generation is recorded through one path, ``GenerationLog.record``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import random
import re
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from .. import cancel
from ..backends.base import (
    OUTPUT_DIR_PREFIX,
    Backend,
    BackendOptions,
    EmbeddingBackend,
    MediaBackend,
    Progress,
    TextBackend,
)
from ..backends.registry import BackendRegistry
from ..errors import Cancelled, ContentPolicyViolation, InvalidRequest, NotFound, RateLimited, SchemaViolation
from ..plugins import plugin_manager
from ..settings import Settings
from ..types import (
    LOCAL,
    Caller,
    EmbeddingRequest,
    EmbeddingResult,
    ImageRequest,
    Media,
    MediaRequest,
    MediaResult,
    Modality,
    ModelSpec,
    MusicRequest,
    SpeechRequest,
    TextChunk,
    TextRequest,
    TextResult,
    TranscriptionRequest,
    Usage,
    VideoRequest,
)
from .admission import Admission, Ticket
from .artifacts import ArtifactStore, FileLabeller, Labeller
from .backend_options import check_settings, options_for
from .blobs import artifact_blobs
from .catalog import Catalog
from .db import open_database
from .genlog import GenerationLog, Recording
from .jobs import WORKER_ID, JobKind, JobQueue, WorkerPool
from .keys import KeyStore, scope_for, seconds_to_midnight
from .planners import Planned, PlannerRegistry, PlanRun
from .provenance.audio import with_stream_cue
from .provenance.c2pa import credentials as c2pa_credentials
from .provenance.labels import LabelPolicy, label_file, label_output, verify_bytes
from .provenance.video import FrameLabel
from .safety import Match, OutputScreen, Policy, SafetyFilter
from .schema_limits import check_schema_cost
from .templates import TemplateLibrary
from .video_edit import sweep_work_dir
from .workflows import StepRegistry

if TYPE_CHECKING:
    import pluggy

    from ..backends.video.ops import VideoEdit
    from ..backends.video.pipeline import EditProgress
    from .knowledge.store import KnowledgeBase
    from .photos import CutoutResult
    from .video_edit import VideoEditResult, VideoInput

_MEDIA_MODALITY = {
    SpeechRequest: Modality.speech,
    TranscriptionRequest: Modality.transcription,
    MusicRequest: Modality.music,
    ImageRequest: Modality.image,
    VideoRequest: Modality.video,
}

WATERMARK_CANDIDATES = 2000  # newest image/video generations a watermark is matched against when verifying
log = logging.getLogger(__name__)

__all__ = ["Studio", "TextStream"]


@dataclass
class _TextRun:
    """State of one text generation, shared by the streaming and collecting paths."""

    request: TextRequest
    spec: ModelSpec
    backend: TextBackend
    seed: int
    who: Caller
    parts: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    generation_id: str | None = None
    parsed: Any = None
    violation: SchemaViolation | None = None
    screen: OutputScreen | None = None  # the safety filter reading the output as it comes
    policy: Policy = None  # the caller's safety policy, perhaps per category (None: the setting's)
    filtered: ContentPolicyViolation | None = None  # the output was cut by the safety filter

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def result(self) -> TextResult:
        return TextResult(
            text=self.text,
            finish_reason=self.finish_reason,
            usage=self.usage,
            model=self.spec.id,
            seed=self.seed,
            generation_id=self.generation_id,
            parsed=self.parsed,
        )


class TextStream(Iterator[TextChunk]):
    """Iterator of TextChunks that also tells which generation it is."""

    def __init__(self, run: _TextRun, chunks: Iterator[TextChunk], ticket: Ticket | None = None):
        self._run = run
        self._chunks = ticket.guard(chunks) if ticket is not None else chunks
        self._ticket = ticket
        if ticket is not None:  # a stream dropped unread gives its place in the line back
            weakref.finalize(self, ticket.release)

    def __next__(self) -> TextChunk:
        return next(self._chunks)

    def close(self) -> None:
        self._chunks.close()  # type: ignore[attr-defined]
        if self._ticket is not None:
            self._ticket.release()

    @property
    def generation_id(self) -> str | None:
        return self._run.generation_id

    @property
    def model(self) -> str:
        return self._run.spec.id

    @property
    def seed(self) -> int:
        return self._run.seed

    @property
    def violation(self) -> SchemaViolation | None:
        return self._run.violation

    @property
    def parsed(self) -> Any:
        """The JSON value of a finished structured-output stream (None for plain text)."""
        return self._run.parsed

    @property
    def text(self) -> str:
        """The text generated so far."""
        return self._run.text


class Studio:
    def __init__(self, settings: Settings | None = None, *, pm: pluggy.PluginManager | None = None) -> None:
        self.settings = settings or Settings()
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        sweep_work_dir(self.settings.data_dir)  # what a killed video edit left in data_dir/tmp
        self.pm = pm or plugin_manager(extra=self.settings.plugins)
        self.backends = BackendRegistry(self.pm)
        check_settings(self.settings, self.backends)  # a bad backend option stops here, naming it
        if self.settings.ray.deployments:  # a deployment naming no backend, or Ray missing, stops here too
            from ..backends.ray_serve import check_deployments

            check_deployments(self.settings.ray, self.backends.all())
        self.db = open_database(
            self.settings.db_url,
            pool_size=self.settings.database_pool_size,
            max_overflow=self.settings.database_max_overflow,
        )
        self.keys = KeyStore(self.db)
        self.log = GenerationLog(self.db, charge=self.keys.add_usage)  # every generation is charged to its key
        self.safety = SafetyFilter(
            self.db, self.settings.safety_terms, self.settings.safety_extra_terms, self.settings.safety_policy
        )
        self.keys.categories = frozenset(self.safety.categories)  # what a key's per-category policy may name
        self.catalog = Catalog(self.settings, self.pm, self.db)
        self.planners = PlannerRegistry(self.pm)  # what writes a design spec, a music plan... (generate_media)
        self.artifacts = ArtifactStore(
            self.db,
            self.settings.data_dir / "artifacts",
            self.settings.artifact_retention_days,
            principal=self.keys.principal,
            labeller=self._labeller(),
            file_labeller=self._file_labeller(),
            blobs=artifact_blobs(self.settings),
        )
        kinds: dict[str, JobKind] = {}
        self.pm.hook.register_job_kinds(register=lambda kind: kinds.__setitem__(kind.name, kind))
        self.jobs = JobQueue(
            self.db,
            kinds,
            self.settings.job_concurrency,
            self.settings.job_default_concurrency,
            stale_after=self.settings.job_heartbeat_timeout,
            poll_seconds=self.settings.job_poll_seconds,
        )
        self._workers: WorkerPool | None = None
        self.templates = TemplateLibrary.for_data_dir(self.settings.data_dir)
        self.workflow_steps = StepRegistry()
        self.pm.hook.register_workflow_steps(register=self.workflow_steps.register)
        self.apps: dict[str, Any] = {}  # app id -> App class (zaowu/apps), filled by the register_apps hook
        self.pm.hook.register_apps(register=lambda app: self.apps.__setitem__(app.id, app))
        self._loaded: OrderedDict[str, Backend] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        # bounded lines per model (as many slots as its backend declares): busy models answer 503 at once
        self.admission = Admission(self.settings, slots=self._slots)
        self._knowledge: KnowledgeBase | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def knowledge(self) -> KnowledgeBase:
        """Files, vector stores and retrieval (studio/knowledge), made on first use."""
        if self._knowledge is None:
            from .knowledge.store import KnowledgeBase

            with self._lock:
                if self._knowledge is None:
                    self._knowledge = KnowledgeBase(self)
        return self._knowledge

    def start_workers(
        self,
        threads: int | None = None,
        *,
        kinds: list[str] | None = None,
        groups: list[str] | None = None,
        name: str | None = None,
    ) -> WorkerPool:
        """Run queued jobs in this process (the server does; ``zaowu worker`` does elsewhere, on any host
        sharing the database), of only ``kinds`` and ``groups`` when given."""
        if kinds is not None:
            for kind in kinds:
                if kind not in self.jobs.kinds:
                    known = ", ".join(sorted(self.jobs.kinds))
                    raise InvalidRequest(f"Unknown job kind '{kind}'. Known kinds: {known}.", param="kinds")
        if self._workers is None:
            n = self.settings.job_workers if threads is None else threads
            self._workers = WorkerPool(
                self.jobs,
                self,
                threads=n,
                heartbeat=self.settings.job_heartbeat_seconds,
                kinds=kinds,
                groups=groups,
                name=name or WORKER_ID,
            ).start()
        return self._workers

    def close(self) -> None:
        if self._workers is not None:
            self._workers.stop()
            self._workers = None
        self.jobs.close()
        with self._lock:
            for backend in self._loaded.values():
                backend.close()
            self._loaded.clear()
        self.db.dispose()

    # -- labels ------------------------------------------------------------------
    def _label_policy(self) -> LabelPolicy:
        return LabelPolicy(
            producer=self.settings.label_producer, position=self.settings.label_position, settings=self.settings
        )

    def _labeller(self) -> Labeller:
        """The one labelling step of the artifact store (provenance/labels.py), from the settings."""
        policy = self._label_policy()
        return lambda data, mime, produce_id: label_output(
            data, mime, produce_id=produce_id, policy=policy, model_id=self._model_of(produce_id)
        )

    def _file_labeller(self) -> FileLabeller:
        """The labelling step for files stored from disk (videos), path to path."""
        policy = self._label_policy()
        return lambda src, dst, mime, produce_id: label_file(
            src, dst, mime, produce_id=produce_id, policy=policy, model_id=self._model_of(produce_id)
        )

    def _model_of(self, produce_id: str) -> str:
        """The model id of the generation ``produce_id`` (its log row), for the C2PA manifest; "" if unknown."""
        if not produce_id.startswith("gen_"):
            return ""
        try:
            return str(self.log.get(produce_id).get("model") or "")
        except (InvalidRequest, NotFound):
            return ""

    def frame_label(self, generation_id: str, who: Caller) -> Callable[[Any, float], Any] | None:
        """The labels a rendered video's frames carry (visible mark for the first 2 s, the watermark on every
        frame), for the video pipeline's last stage; None for a caller allowed unlabelled output."""
        if who.unlabelled:
            return None
        return FrameLabel(generation_id, self.settings.label_position, producer=self.settings.label_producer)

    def submit_job(
        self, kind: str, request: dict[str, Any], *, who: Caller = LOCAL, priority: int = 0
    ) -> dict[str, Any]:
        """Queue a job of ``kind`` for ``who``. Asking for unlabelled output (``who.unlabelled``) needs the key's
        ``unlabelled`` permission: checked now (403, nothing queued) and again when the job runs."""
        self.check_labels(who)
        return self.jobs.submit(
            kind, request, priority=priority, caller=who.name, key_id=who.key_id, unlabelled=who.unlabelled
        )

    def _frame_labels(self, modality: Modality, generation_id: str, who: Caller) -> AbstractContextManager[None]:
        """For a video render: its frame labels, set where the renderer finds them (``pipeline.frame_labels``)."""
        label = self.frame_label(generation_id, who) if modality == Modality.video else None
        if label is None:
            return nullcontext()
        from ..backends.video.pipeline import frame_labels

        return frame_labels(label)

    def check_labels(self, who: Caller) -> None:
        """Refuse (403) a caller asking for unlabelled output without the key permission, before any work."""
        if who.unlabelled:
            self.artifacts.check_unlabelled(who.key_id)

    def verify(self, data: bytes, name: str | None = None, *, key_id: str | None = None) -> dict[str, Any]:
        """Every label ``data`` carries and every one it lacks (provenance/labels.py), with the
        generation log row its ProduceID names when that generation is ours and the caller may see it."""
        report = verify_bytes(
            data, name, credentials=c2pa_credentials(self.settings), known_ids=self._watermark_candidates(key_id)
        )
        if report.get("format") == "csv" and not report["implicit"].get("found"):
            self._recorded_label(data, key_id, report)
        report["generation"] = self._own_generation(report.get("produce_id"), key_id)
        return report

    def safety_events(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        key: str | None = None,
        category: str | None = None,
        action: str | None = None,
        limit: int = 100,
        before: int | None = None,
    ) -> dict[str, Any]:
        """A page of the safety filter's events, newest first, filtered by time (Unix seconds), key (name or id),
        category and action; ``next_before`` is the cursor of the next page (None: this is the last)."""
        key_id = self.keys.get(key)["id"] if key else None
        rows = self.safety.events(
            limit, since=since, until=until, key_id=key_id, category=category, action=action, before=before
        )
        more = len(rows) == limit and bool(
            self.safety.events(
                1, since=since, until=until, key_id=key_id, category=category, action=action, before=rows[-1]["id"]
            )
        )
        return {"data": rows, "has_more": more, "next_before": rows[-1]["id"] if more else None}

    def _recorded_label(self, data: bytes, key_id: str | None, report: dict[str, Any]) -> None:
        """A CSV's label from the store's record of it (the file itself cannot hold one)."""
        found = self.artifacts.recorded_label(data, key_id=key_id)
        if found is None:
            return
        fields = found["fields"]
        report["implicit"] = {
            "found": True,
            "where": f"artifact record {found['artifact_id']} (CSV holds no metadata)",
            "fields": fields,
            "missing_fields": [],
        }
        report["found"] = ["implicit", *report["found"]]
        report["missing"] = [p for p in report["missing"] if p != "implicit"]
        report["produce_id"] = fields.get("ProduceID") or report.get("produce_id")

    def _watermark_candidates(self, key_id: str | None) -> list[str]:
        """The newest image and video generations the caller may see: verify checks a watermark against them
        when the file's metadata is gone (the payload is a hash of the id, so it is matched, not decoded)."""
        rows = self.log.recent_ids(("image", "video"), WATERMARK_CANDIDATES)
        if key_id is None:
            return [gen_id for gen_id, _ in rows]
        principal = self.keys.principal(key_id)
        return [gen_id for gen_id, owner in rows if principal.can_see(owner)]

    def _own_generation(self, produce_id: str | None, key_id: str | None) -> dict[str, Any] | None:
        gen_id = produce_id
        if produce_id and produce_id.startswith("art_"):
            try:
                gen_id = self.artifacts.get(produce_id, key_id=key_id).get("generation_id")
            except NotFound:
                return None
        if not gen_id or not gen_id.startswith("gen_"):
            return None
        try:
            row = self.log.get(gen_id)
        except InvalidRequest:
            return None
        if key_id is not None and not self.keys.principal(key_id).can_see(row.get("key_id")):
            return None
        return {k: row.get(k) for k in ("id", "created_at", "modality", "model", "caller", "interface", "status")}

    # -- who may run what --------------------------------------------------------
    def authorize(self, key_id: str | None, modality: Modality | str) -> None:
        """Refuse work of ``modality`` (or a scope name) for a key without its scope (403), before any
        work. Every entry point that runs work for a caller calls it, so steps, jobs and apps cannot
        skip it. ``key_id`` None is the local owner; a revoked key is refused (401)."""
        self.keys.principal(key_id).require(scope_for(modality))

    # -- models ----------------------------------------------------------------
    def screen(self, fields: Iterator[tuple[str, str]], who: Caller, modality: str) -> Policy:
        """Run the safety filter over a request's (field, text) pairs under ``who``'s policy (per category, from
        the key): a match is logged, and refused (ContentPolicyViolation naming the field and rule) when the
        policy blocks its category. Returns the policy, for the output check."""
        policy = self.keys.principal(who.key_id).safety_policy
        self.safety.screen(fields, who, policy, modality)
        return policy

    def default_model(self, modality: Modality) -> str:
        defaults = {
            Modality.embedding: self.settings.default_embedding_model,
            Modality.speech: self.settings.default_speech_model,
            Modality.transcription: self.settings.default_transcription_model,
            Modality.music: self.settings.default_music_model,
            Modality.image: self.settings.default_image_model,
            Modality.video: self.settings.default_video_model,
        }
        return defaults.get(modality, self.settings.default_chat_model)

    def edit_models(self) -> list[str]:
        """Image models whose backend takes a source image (image-to-image, inpainting, edits)."""
        classes = self.backends.all()
        editors = [
            e.id
            for e in self.catalog.entries()
            if e.modality == Modality.image and (cls := classes.get(e.backend)) is not None and cls.supports_edit
        ]
        return editors or ["(none registered)"]

    def backend_options(self, spec: ModelSpec) -> BackendOptions:
        """The options ``spec``'s backend loads with, validated by its Options (see studio/backend_options.py)."""
        return options_for(self.backends.get(spec.backend), spec, self.settings)

    def _slots(self, spec: ModelSpec) -> int | None:
        """Generations ``spec``'s backend declares it runs at once (None: the default for its kind); on Ray
        Serve, what its replicas run at once at most."""
        if (deployment := self.settings.ray.deployments.get(spec.backend)) is not None:
            return deployment.max_ongoing_requests * deployment.most_replicas
        return self.backends.get(spec.backend).slots(self.backend_options(spec))

    def _construct(self, cls: type[Backend], spec: ModelSpec) -> Backend:
        """``spec``'s backend: built here, or, for a backend named in ``ray.deployments``, a proxy calling
        its Ray Serve deployment (backends/ray_serve.py), deployed on first use."""
        options = self.backend_options(spec)
        if (deployment := self.settings.ray.deployments.get(spec.backend)) is not None:
            from ..backends.ray_serve import deploy

            return deploy(cls, spec, options, self.settings.ray, deployment)
        return cls(spec, options)

    def load(self, model_id: str | None, modality: Modality) -> tuple[ModelSpec, Backend]:
        """The backend serving ``model_id``, loaded once and shared."""
        spec = self.catalog.spec(model_id or self.default_model(modality), modality)
        with self._lock:
            backend = self._loaded.get(spec.id)
            if backend is not None:
                self._loaded.move_to_end(spec.id)
                return spec, backend
            gate = self._loading.setdefault(spec.id, threading.Lock())
        with gate:  # one thread loads a given model; others wait for it
            with self._lock:
                if (backend := self._loaded.get(spec.id)) is not None:
                    return spec, backend
            cls = self.backends.get(spec.backend)
            started = time.perf_counter()
            backend = self._construct(cls, spec)
            log.info("loaded %s with %s in %.2f s", spec.id, spec.backend, time.perf_counter() - started)
            with self._lock:
                self._loaded[spec.id] = backend
                self._evict()
        return spec, backend

    def _evict(self) -> None:
        """Keep at most ``max_loaded_models`` local language models (the big ones) in memory."""
        local = [k for k, b in self._loaded.items() if b.local and b.modality == Modality.text]
        while len(local) > self.settings.max_loaded_models:
            victim = local.pop(0)
            log.info("unloading %s (max_loaded_models=%d)", victim, self.settings.max_loaded_models)
            # no close(): that would cancel generations still streaming from it; the weights are
            # freed when the last in-flight request lets go of the backend
            self._loaded.pop(victim)

    # -- text ------------------------------------------------------------------
    def text_context(self, model: str | None = None) -> int | None:
        """Tokens one request to a text model may hold (prompt and answer together); None when unknown."""
        _, backend = self.load(model, Modality.text)
        return backend.context_length

    def _prepare_text(self, request: TextRequest, who: Caller, policy: Policy = None) -> _TextRun:
        spec, backend = self.load(request.model, Modality.text)
        assert isinstance(backend, TextBackend)
        if request.response_format and request.response_format.type != "text" and not backend.supports_schema:
            raise InvalidRequest(f"'{spec.id}' cannot do structured output.", param="response_format")
        if (schema := request.schema) is not None:
            _check_schema(schema)
        context = self.text_context(spec.id)
        if request.max_tokens and context and request.max_tokens > context:
            raise InvalidRequest(
                f"max_tokens is {request.max_tokens}, but '{spec.id}' has a context of {context} "
                f"tokens per request (prompt and answer together). Ask for at most {context}.",
                param="max_tokens",
            )
        filled = {
            k: v for k, v in spec.defaults.items() if k in TextRequest.model_fields and getattr(request, k) is None
        }
        request = request.model_copy(update={"model": spec.id, **filled})
        seed = request.seed if request.seed is not None else random.randrange(2**31)
        run = _TextRun(request=request, spec=spec, backend=backend, seed=seed, who=who)
        if self.safety.rules:
            run.screen, run.policy = OutputScreen(self.safety), policy
        return run

    def _run_text(self, run: _TextRun) -> Iterator[TextChunk]:
        prompt_estimate = _estimate_tokens(run.request)
        granted = self._hold_tokens(run, prompt_estimate)
        try:
            yield from self._record_text(run, prompt_estimate)
        finally:
            self.keys.release_tokens(run.who.key_id, granted)

    def _record_text(self, run: _TextRun, prompt_estimate: int) -> Iterator[TextChunk]:
        req = run.request
        params = req.model_dump(exclude_none=True, exclude={"messages", "prompt", "model", "seed"}, by_alias=True)
        if not params.get("stop"):
            params.pop("stop", None)
        shown = (
            {"messages": [m.model_dump(exclude_none=True) for m in req.messages]}
            if req.messages is not None
            else {"prompt": req.prompt}
        )
        with self.log.record(
            run.who, modality="text", model=run.spec, params=params, seed=run.seed, input=shown
        ) as rec:
            run.generation_id = rec.id
            started = time.perf_counter()
            tokens = 0
            token = cancel.current()
            chunks = run.backend.generate(req, run.seed)
            stopped: BaseException | None = None
            try:
                for chunk in chunks:
                    if token is not None and token.cancelled:
                        raise Cancelled(token.reason)
                    if chunk.text and run.screen is not None and self._filtered(run, chunk.text, rec.id):
                        rec.status, rec.error = "refused", run.filtered.message if run.filtered else None
                        run.finish_reason = "content_filter"
                        yield TextChunk(finish_reason="content_filter")
                        break
                    if chunk.text:
                        if rec.ttft_ms is None:
                            rec.ttft_ms = (time.perf_counter() - started) * 1000
                        run.parts.append(chunk.text)
                        tokens += 1  # llama.cpp and OpenAI-style servers stream one token per chunk
                    if chunk.finish_reason:
                        run.finish_reason = chunk.finish_reason
                        run.usage = chunk.usage or run.usage
                    yield chunk
                run.violation = _check_output(run) if run.filtered is None else None
                if run.violation is not None:
                    rec.status, rec.error = "schema_violation", run.violation.message
            except BaseException as exc:
                stopped = exc
                raise
            finally:
                getattr(chunks, "close", lambda: None)()  # stops the backend's generation if it is still running
                cancelled = isinstance(stopped, (Cancelled, GeneratorExit))
                if not run.usage.total_tokens and (tokens or cancelled):
                    # stopped before the backend reported usage: charge what was spent (prompt estimated)
                    run.usage = Usage(prompt_tokens=prompt_estimate, completion_tokens=tokens)
                rec.output = run.text
                rec.prompt_tokens, rec.completion_tokens = run.usage.prompt_tokens, run.usage.completion_tokens

    def _filtered(self, run: _TextRun, text: str, gen_id: str) -> bool:
        """Feed generated ``text`` to the safety filter: True when the policy blocks what it found (the stream
        is cut before this chunk); a warn or log policy records the match once and lets the text go on."""
        assert run.screen is not None
        match: Match | None = run.screen.feed(text)
        if match is None:
            return False
        try:
            self.safety.act(match, run.who, run.policy, "text", gen_id)
        except ContentPolicyViolation as exc:
            run.filtered = exc
            return True
        run.screen.passed.add(match.category)  # recorded once; the rest goes through unless another category blocks
        return False

    def _hold_tokens(self, run: _TextRun, prompt_estimate: int) -> int | None:
        """Reserve the key's remaining daily tokens for this run and cap its max_tokens to them, so
        a generation stops where the quota ends instead of overshooting it."""
        key_id = run.who.key_id
        ceiling = run.request.max_tokens or run.backend.context_length or self.settings.n_ctx
        granted = self.keys.reserve_tokens(key_id, prompt_estimate + ceiling)
        if granted is None:
            return None
        room = granted - prompt_estimate
        if room < 1:
            self.keys.release_tokens(key_id, granted)
            raise RateLimited(
                f"The key's daily token quota has {granted} tokens left, not enough for this prompt "
                f"(about {prompt_estimate} tokens).",
                retry_after=seconds_to_midnight(),
                code="insufficient_quota",
            )
        if room < ceiling:
            run.request = run.request.model_copy(update={"max_tokens": room})
        return granted

    def stream(self, request: TextRequest, *, who: Caller = LOCAL, scope: str = "text") -> TextStream:
        """Stream a chat or completion. The model is resolved and loaded before this returns,
        so unknown models fail here; errors of the generation itself come from the iterator.
        Closing the stream early stops the generation and logs it as cancelled. ``scope``: the key
        scope this text needs (a planner writing an image's design spec runs under "image")."""
        self.authorize(who.key_id, scope)
        policy = self.screen(_text_fields(request), who, "text")
        run = self._prepare_text(request, who, policy)
        return TextStream(run, self._run_text(run), self.admission.reserve(run.spec))

    def generate_text(self, request: TextRequest, *, who: Caller = LOCAL, scope: str = "text") -> TextResult:
        """Run a chat or completion to the end. Structured output that fails its schema raises SchemaViolation.
        ``scope``: the key scope this text needs (a planner for an image or music passes that media's scope)."""
        self.authorize(who.key_id, scope)
        policy = self.screen(_text_fields(request), who, "text")
        run = self._prepare_text(request, who, policy)
        with self.admission.reserve(run.spec):
            for _ in self._run_text(run):
                pass
        if run.filtered is not None:
            raise run.filtered
        if run.violation is not None:
            raise run.violation
        return run.result()

    def chat(self, messages: list[dict[str, Any]] | str, *, who: Caller = LOCAL, **options: Any) -> TextResult:
        """Convenience: ``studio.chat("你好")`` or a list of ``{"role", "content"}`` dicts; ``options``
        are TextRequest fields (model, max_tokens, seed...)."""
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        return self.generate_text(TextRequest.model_validate({"messages": messages, **options}), who=who)

    # -- embeddings ------------------------------------------------------------
    def embed(self, request: EmbeddingRequest, *, who: Caller = LOCAL) -> EmbeddingResult:
        self.authorize(who.key_id, Modality.embedding)
        spec, backend = self.load(request.model, Modality.embedding)
        assert isinstance(backend, EmbeddingBackend)
        with (
            self.admission.reserve(spec),
            self.log.record(
                who, modality="embedding", model=spec, params={}, seed=None, input={"input": request.input}
            ) as rec,
        ):
            result = backend.generate(request)
            dims = len(result.vectors[0]) if result.vectors else 0
            rec.output = json.dumps({"vectors": len(result.vectors), "dimensions": dims})
            rec.prompt_tokens = result.usage.prompt_tokens
        return result.model_copy(update={"generation_id": rec.id})

    # -- media (speech, transcription, music, images, video) -----------------------
    def generate_media(
        self,
        request: MediaRequest,
        *,
        who: Caller = LOCAL,
        progress: Progress | None = None,
        planner: str | None = None,
        hints: Mapping[str, Any] | None = None,
        scope: str | None = None,
    ) -> MediaResult:
        """Run a media model: the one way to make an image, speech, music or a video. A request for a
        backend that renders a plan (the design engine, the composer) and carries none is planned
        first by the planner registered for that backend (``zaowu/studio/planners.py``) with the
        language model ``planner`` (None: the ``planner_model`` setting); ``hints`` go to it. Every
        output is stored as an artifact (ids in each media's ``meta["artifact_id"]``), the generation
        is logged with its media seconds, and each media's ``meta["checks"]`` holds the planner's checks.
        ``scope``: the key scope this work needs (None: its modality's). Work done as part of an operation
        already authorised under another scope passes that scope, as a planner's text does: a transcription
        for a video edit's subtitles runs under "video" (a planner run inside still asks for its own media's scope).
        It is logged and charged to ``who``'s key all the same."""
        modality = _MEDIA_MODALITY[type(request)]
        self.authorize(who.key_id, scope or modality)  # before the planner: a key without the scope spends nothing
        self.screen(_media_fields(request), who, modality.value)
        self.check_labels(who)
        spec, backend = self.load(request.model, modality)
        assert isinstance(backend, MediaBackend)
        if "seed" in type(request).model_fields and getattr(request, "seed", None) is None:
            request = request.model_copy(update={"seed": random.randrange(2**31)})  # the planner plans with it too
        planned = Planned(request)
        if (plans := self.planners.get(spec.backend)) is not None:
            planned = plans.run(self, request, PlanRun(who=who, model=planner, progress=progress, hints=hints or {}))
        with self.admission.reserve(spec):
            result = self._generate_media(planned.request, modality, spec, backend, who, progress)
        if planned.checks:
            for media in result.media:
                media.meta.setdefault("checks", []).extend(dict(c) for c in planned.checks)
        return result

    def _generate_media(
        self,
        request: MediaRequest,
        modality: Modality,
        spec: ModelSpec,
        backend: MediaBackend,
        who: Caller,
        progress: Progress | None,
    ) -> MediaResult:
        if isinstance(request, ImageRequest) and request.image is not None and not backend.supports_edit:
            raise InvalidRequest(
                f"'{spec.id}' cannot edit images. Models that can: {', '.join(self.edit_models())}.", param="model"
            )
        seed = getattr(request, "seed", None)
        shown = request.model_dump(
            mode="json", exclude={"audio", "image", "mask", "narration", "images", "model", "seed"}, exclude_none=True
        )
        if isinstance(request, TranscriptionRequest):
            shown["audio_bytes"] = len(request.audio)
        if isinstance(request, ImageRequest):  # uploaded images are recorded by hash, not kept in the log
            shown.update(
                {
                    f"{k}_sha256": hashlib.sha256(v).hexdigest()
                    for k in ("image", "mask")
                    if (v := getattr(request, k)) is not None
                }
            )
        params = {"unlabelled": True} if who.unlabelled else {}  # every unlabelled output is logged as such
        with self.log.record(who, modality=modality.value, model=spec, params=params, seed=seed, input=shown) as rec:
            cancel.check()
            # a rendered video carries its visible mark and watermark in its frames, drawn by the render itself
            with self._frame_labels(modality, rec.id, who):
                result = backend.generate(request, seed, progress)
            try:
                cancel.check()  # nobody waits for it any more: store nothing
                for media in result.media:
                    self._store_media(media, modality, rec.id, who)
            finally:
                _remove_files(result.media)  # what was not moved into the store
            rec.media_seconds = float(result.usage.get("media_seconds", 0.0))
            rec.output = json.dumps(
                {
                    "artifacts": [
                        {"id": m.meta["artifact_id"], "mime": m.mime, "bytes": m.meta.get("bytes", len(m.data))}
                        for m in result.media
                    ],
                    "media_seconds": rec.media_seconds,
                }
            )
        return result.model_copy(
            update={"generation_id": rec.id, "seed": result.seed if result.seed is not None else seed}
        )

    def _store_media(self, media: Media, modality: Modality, gen_id: str, who: Caller) -> None:
        """Store one output and its attachments (first, so the main file's meta links them) as artifacts."""
        for name, extra in media.attachments.items():
            row = self.artifacts.put(
                extra.data,
                extra.mime,
                name=f"{name}.{extra.mime.split('/')[-1]}",
                job_id=who.job_id,
                generation_id=gen_id,
                caller=who.name,
                key_id=who.key_id,
                meta=extra.meta,
                unlabelled=who.unlabelled,
            )
            media.meta[f"{name}_artifact_id"] = row["id"]
            extra.data = self.artifacts.stored_bytes(row, extra.data)
        fields: dict[str, Any] = {
            "name": _media_name(modality, media),
            "job_id": who.job_id,
            "generation_id": gen_id,
            "caller": who.name,
            "key_id": who.key_id,
            "meta": {k: v for k, v in media.meta.items() if k != "plan"},
            "unlabelled": who.unlabelled,
        }
        if media.path is not None:  # a video: moved into the store, never read into memory
            row = self.artifacts.put_file(media.path, media.mime, move=True, **fields)
            media.meta["bytes"] = row["size_bytes"]
        else:
            row = self.artifacts.put(media.data, media.mime, **fields)
            media.data = self.artifacts.stored_bytes(row, media.data)  # the caller gets the labelled file
        media.meta["artifact_id"] = row["id"]
        media.meta["labels"] = row["meta"].get("labels")

    def stream_media(self, request: SpeechRequest, *, who: Caller = LOCAL) -> _MediaStream:
        """Stream a media backend's output as it is produced (speech: a WAV whose blocks come as
        sentences finish). Bad input raises here, before the first byte; when the stream ends the
        whole output is stored as an artifact and the generation logged (cancelled if cut short)."""
        modality = _MEDIA_MODALITY[type(request)]
        self.authorize(who.key_id, modality)
        self.screen(_media_fields(request), who, modality.value)
        self.check_labels(who)
        spec, backend = self.load(request.model, modality)
        if not (isinstance(backend, MediaBackend) and backend.can_stream):
            raise InvalidRequest(f"'{spec.id}' cannot stream its output; leave out 'stream'.", param="stream")
        blocks = backend.stream(request)
        ticket = self.admission.reserve(spec)
        try:
            shown = request.model_dump(mode="json", exclude={"model"}, exclude_none=True)
            rec = self.log.record(
                who,
                modality=modality.value,
                model=spec,
                params={"stream": True, **({"unlabelled": True} if who.unlabelled else {})},
                seed=None,
                input=shown,
            )
        except BaseException:
            ticket.release()
            raise
        stream = _MediaStream(self, ticket.guard(blocks), rec, modality)
        stream.ticket = ticket
        weakref.finalize(stream, ticket.release)  # a stream dropped unread gives its place back
        return stream

    # -- photo tools -------------------------------------------------------------------
    def cutout(self, image: bytes, kind: str = "auto", *, who: Caller = LOCAL) -> CutoutResult:
        """A product or person cut out of a photo (``kind``: auto, person or object) as an RGBA PNG,
        stored as an artifact and recorded in the generation log like every image; needs the
        'image' scope."""
        from .photos import cut_out

        self.authorize(who.key_id, Modality.image)
        return cut_out(self, image, kind, who)

    # -- video editing -----------------------------------------------------------------
    def edit_video(
        self,
        inputs: Sequence[VideoInput],
        edit: VideoEdit | dict[str, Any] | list[Any],
        *,
        assets: Mapping[str, VideoInput] | None = None,
        who: Caller = LOCAL,
        progress: Callable[[EditProgress], None] | None = None,
    ) -> VideoEditResult:
        """Apply a video edit (typed operations, see ``backends/video/ops.py``) to ``inputs`` (artifact ids
        the caller owns, or local files) in one streaming pass; the MP4 is stored as an artifact with the
        tracks (JSON) and subtitles (SRT) beside it, logged and charged by its seconds; needs the 'video'
        scope. Nothing is stored when the edit fails or is cancelled."""
        from .video_edit import run_video_edit

        self.authorize(who.key_id, Modality.video)
        return run_video_edit(self, inputs, edit, who, assets=assets, progress=progress)

    def check_video_edit(
        self,
        inputs: Sequence[VideoInput],
        edit: VideoEdit | dict[str, Any] | list[Any],
        *,
        assets: Mapping[str, VideoInput] | None = None,
        who: Caller = LOCAL,
    ) -> VideoEdit:
        """Refuse a bad video edit before any work (400 naming the field or limit); the parsed edit."""
        from .video_edit import check_video_edit

        self.authorize(who.key_id, Modality.video)
        return check_video_edit(self, inputs, edit, who, assets=assets)

    def video_info(self, path: str, *, param: str = "video") -> dict[str, Any]:
        """What a video file is (container, codecs, width, height, fps, duration, audio), probed within the
        video limits; 400 naming ``param`` when it is not a readable video."""
        from ..backends.video.probe import probe_video
        from .video_edit import video_limits

        return dict(probe_video(path, video_limits(self), param).as_dict())

    def store_video_upload(
        self, path: str, *, name: str | None = None, param: str = "video", move: bool = False, who: Caller = LOCAL
    ) -> str:
        """Probe an uploaded video (400 naming ``param`` when it is not a readable video within the limits)
        and store it as an artifact owned by ``who`` (``move``: ``path`` is a temporary file the store may
        take over); its id."""
        from .video_edit import store_video

        self.authorize(who.key_id, Modality.video)
        return str(store_video(self, path, who, name=name, param=param, move=move)["id"])

    def store_video_asset(self, path: str, name: str, *, who: Caller = LOCAL) -> str:
        """Store a file a video edit's operations name (a mask, a background, a soundtrack); its artifact id."""
        from .video_edit import store_asset

        self.authorize(who.key_id, Modality.video)
        return str(store_asset(self, path, who, name=name)["id"])

    def check_image(self, data: bytes, param: str) -> None:
        """Refuse (400 naming ``param``) uploaded bytes that are not an image within the size limits."""
        from ..backends.image_io import decode_image

        decode_image(data, param)

    def check_voice(self, voice: str) -> str:
        """``voice`` when the speech model can speak with it (an installed voice; OpenAI's voice names and
        'auto' mean the default voice of the text's language), else a 400 naming ``voice`` with the ones here."""
        from ..backends.speech.engines import OPENAI_VOICES

        _, backend = self.load(self.default_model(Modality.speech), Modality.speech)
        listing = getattr(backend, "voices", None)
        if listing is None:  # a speech backend that cannot list its voices checks them itself
            return voice
        installed = [v.id for v in listing()]
        if voice in installed or voice in OPENAI_VOICES or voice == "auto":
            return voice
        raise InvalidRequest(
            f"'voice' {voice!r} is not a voice here. Use one of: {', '.join(installed) or 'none installed'}; "
            "or 'auto' (or an OpenAI voice name) for the default voice of the text's language.",
            param="voice",
        )

    def voices(self) -> list[dict[str, str]]:
        """The speech voices: id, language, engine and description of each."""
        from ..backends.speech.engines import VOICES

        return [
            {"id": v.id, "language": v.language, "engine": v.engine, "description": v.description}
            for v in VOICES.values()
        ]


class _MediaStream(Iterator[bytes]):
    """The blocks of a streamed media output; logs and stores the whole when it ends."""

    def __init__(self, studio: Studio, blocks: Iterator[bytes], rec: Recording, modality: Modality):
        self.generation_id = rec.id
        self._studio, self._blocks, self._rec, self._modality = studio, blocks, rec, modality
        self._parts: list[bytes] = []
        self.ticket: Ticket | None = None  # its place in the model's line, given back when it ends

    def __next__(self) -> bytes:
        try:
            block = next(self._blocks)
        except StopIteration:
            self._finish(None)
            raise
        except Exception as exc:
            self._finish(exc)
            raise
        if not self._parts and not self._rec.who.unlabelled:
            block = with_stream_cue(block)  # the listener hears the AI-content cue first, as stored
        self._parts.append(block)
        return block

    def close(self) -> None:
        getattr(self._blocks, "close", lambda: None)()
        self._finish(GeneratorExit())

    def _finish(self, exc: BaseException | None) -> None:
        if self._rec.ended:
            return
        if self.ticket is not None:
            self.ticket.release()
        rec, data = self._rec, _sized_wav(b"".join(self._parts))
        if exc is None and data:
            rate = int.from_bytes(data[24:28], "little") or 1
            rec.media_seconds = (len(data) - 44) / (2 * rate)
            row = self._studio.artifacts.put(
                data,
                "audio/wav",
                name=f"{self._modality.value}.wav",
                generation_id=rec.id,
                caller=rec.who.name,
                key_id=rec.who.key_id,
                meta={"duration": rec.media_seconds, "format": "wav"},
                unlabelled=rec.who.unlabelled,
            )
            rec.output = json.dumps(
                {
                    "artifacts": [{"id": row["id"], "mime": "audio/wav", "bytes": len(data)}],
                    "media_seconds": rec.media_seconds,
                }
            )
        rec.end(exc)


def _sized_wav(data: bytes) -> bytes:
    """A streamed WAV's open-ended header (sizes 0xFFFFFFFF) with the real sizes filled in."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[36:40] != b"data":
        return data
    return (
        data[:4]
        + (len(data) - 8).to_bytes(4, "little")
        + data[8:40]
        + (len(data) - 44).to_bytes(4, "little")
        + data[44:]
    )


def _remove_files(media: list[Media]) -> None:
    """Delete the files of outputs given by path (and their folders, the backend's temporaries) that are left."""
    for item in media:
        if item.path is None:
            continue
        path = Path(item.path)
        path.unlink(missing_ok=True)
        if path.parent.name.startswith(OUTPUT_DIR_PREFIX):  # the backend's own temporary folder, empty now
            with contextlib.suppress(OSError):
                path.parent.rmdir()


def _media_name(modality: Modality, media: Media) -> str:
    ext = media.meta.get("format") or media.mime.split("/")[-1].split(";")[0]
    ext = {"midi": "mid", "mpeg": "mp3", "plain": "txt"}.get(ext, ext)
    return f"{modality.value}.{ext}"


_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def _text_fields(request: TextRequest) -> Iterator[tuple[str, str]]:
    """The (field, text) pairs of a text request the safety filter reads."""
    for i, message in enumerate(request.messages or []):
        yield f"messages.{i}.content", message.content
    if request.prompt:
        yield "prompt", request.prompt


_SCREENED_MEDIA_FIELDS = ("prompt", "input")  # media request fields holding what to make (not negative_prompt)


def _media_fields(request: MediaRequest) -> Iterator[tuple[str, str]]:
    """The (field, text) pairs of a media request the safety filter reads: its prompt or text, and the texts
    of a plan brought with it (a design spec's headline is drawn into the image)."""
    for name in _SCREENED_MEDIA_FIELDS:
        if isinstance(value := getattr(request, name, None), str):
            yield name, value
    for name in ("spec", "plan", "presenter"):
        if (value := getattr(request, name, None)) is not None:
            yield name, json.dumps(value, ensure_ascii=False)


def _estimate_tokens(request: TextRequest) -> int:
    """Prompt tokens, estimated on the high side without the tokenizer: one per CJK character, one
    per three other characters, 8 per message and 32 for a chat template's own text (default system
    prompts). Used to hold quota before a generation and to charge one stopped before the backend
    reported its usage."""
    if request.messages is None:
        texts, overhead = [request.prompt or ""], 2
    else:
        texts, overhead = [m.content for m in request.messages], 32 + 8 * len(request.messages)
    cjk = sum(len(_CJK.findall(t)) for t in texts)
    other = sum(len(t) for t in texts) - cjk
    return cjk + (other + 2) // 3 + overhead


def _check_schema(schema: dict[str, Any]) -> None:
    import jsonschema

    check_schema_cost(schema)  # bounded grammar work first: a huge schema is refused before it is compiled

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise InvalidRequest(
            f"response_format.json_schema.schema is not a valid JSON Schema: {exc.message}",
            param="response_format.json_schema.schema",
        ) from None


def _check_output(run: _TextRun) -> SchemaViolation | None:
    """Parse and validate structured output; return the violation, if any."""
    rf = run.request.response_format
    if rf is None or rf.type == "text":
        return None
    hint = ""
    if run.finish_reason == "length":
        hint = f" The output stopped at max_tokens={run.request.max_tokens}; raise max_tokens."
    try:
        run.parsed = json.loads(run.text)
    except json.JSONDecodeError as exc:
        return SchemaViolation(f"The model's output is not valid JSON ({exc.msg} at char {exc.pos}).{hint}")
    if (schema := run.request.schema) is not None:
        import jsonschema

        errors = sorted(jsonschema.validators.validator_for(schema)(schema).iter_errors(run.parsed), key=str)
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
            return SchemaViolation(
                f"The model's output does not match the schema at {where}: {errors[0].message}.{hint}"
            )
    return None
