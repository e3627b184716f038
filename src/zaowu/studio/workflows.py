"""Workflows: typed steps composed into a graph, validated before they run.

A *step* is a class with a stable ``id`` (``"text.template"``), a ``version``, typed
``Inputs`` and ``Outputs`` (Pydantic models) and one ``execute(ctx, inputs) -> Outputs``.
Steps are registered through the ``register_workflow_steps`` hook, built-ins included.

A *workflow* names its typed inputs and a graph of nodes, in YAML or Python::

    id: poster-with-copy
    inputs:
      product: {type: string, maxLength: 200}
    nodes:
      copy:
        step: text.template
        with: {template: slogans, variables: {brand: "${inputs.product}", selling_points: "…"}}
      poster:
        step: image.design
        with: {prompt: "${inputs.product}: ${copy.text}", kind: poster}
    outputs:
      images: "${poster.images}"

A value that is exactly ``"${node.field}"`` passes the field through with its type;
a reference inside a longer string is interpolated as text. Before anything runs the
graph is checked: known steps, references to existing nodes/fields/inputs, type
compatibility of each connection, required step inputs present, no unknown inputs,
no cycles. Every error names the place (``nodes.poster.with.prompt``).

Untrusted documents are bounded before anything is built from them (``load_workflow``):
at most ``MAX_WORKFLOW_BYTES`` of YAML (or JSON, for an object), ``MAX_DOCUMENT_NODES``
values nested at most ``MAX_DOCUMENT_DEPTH`` deep, no YAML anchors or aliases (an alias
bomb expands a few hundred bytes into gigabytes), and ``MAX_WORKFLOW_NODES`` graph nodes.

Running: nodes execute in dependency order; each result is cached under the sha256
of (step id, version, resolved inputs, the node's seed, the run's model), so a failed
run resumed with ``resume_workflow`` skips every step that already succeeded. Each run
is recorded (table ``workflow_runs``) with its inputs, seed, every step's status,
generation ids and artifacts, and the failed step's id and error. What a run stores is
bounded: its inputs, every step's outputs and its outputs together hold at most
``MAX_RUN_BYTES`` of JSON, and no reference resolves to more (a step or output that
would is refused with a 400 naming it, and the run is recorded as failed).
Runs are read back with ``get_run``, ``list_runs`` and ``run_for_job`` (the run a job started,
to resume after its worker died); apps and interfaces use these, never the table.

A run is the caller's work: before any node runs, the key must hold every scope the
nodes' steps declare (``Step.scope``; 403 naming the node), each step that executes
counts as one request against the key's limits (429 from the step), and artifacts are
read through the owner-checked ``StepContext.read_artifact`` (another key's is a 404).
The engine checks scopes again wherever the work runs.
"""

from __future__ import annotations

import graphlib
import hashlib
import json
import logging
import random
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import cancel
from ..errors import Cancelled, InvalidRequest, NotFound, PermissionDenied, ZaowuError
from ..types import LOCAL, Caller
from .db import put_row, step_cache, workflow_runs
from .genlog import new_id
from .safety import text_fields

if TYPE_CHECKING:
    from .engine import Studio

__all__ = [
    "ArtifactRef",
    "Step",
    "StepContext",
    "WorkflowSpec",
    "NodeSpec",
    "WorkflowRun",
    "StepFailed",
    "StepRegistry",
    "validate_workflow",
    "run_workflow",
    "resume_workflow",
    "get_run",
    "list_runs",
    "run_for_job",
    "load_workflow",
    "check_scopes",
    "check_inputs",
    "MAX_WORKFLOW_BYTES",
    "MAX_DOCUMENT_NODES",
    "MAX_DOCUMENT_DEPTH",
    "MAX_WORKFLOW_NODES",
    "MAX_RUN_BYTES",
]

log = logging.getLogger(__name__)

_REF = re.compile(r"\$\{([a-zA-Z_][\w-]*)\.([a-zA-Z_][\w.]*)\}")

MAX_WORKFLOW_BYTES = 64 * 1024  # a workflow document: its YAML text, or the JSON of a workflow object
MAX_DOCUMENT_NODES = 10_000  # values (mappings, lists, scalars) in one workflow document
MAX_DOCUMENT_DEPTH = 32  # nesting of mappings and lists in one workflow document
MAX_WORKFLOW_NODES = 100  # nodes (steps) in one workflow graph
MAX_RUN_BYTES = 4 << 20  # JSON one run may store: its inputs, its steps' outputs and its outputs, together
MAX_ERROR_CHARS = 4000  # a failed step's error message, as stored


class ArtifactRef(BaseModel):
    """A file a step produced, kept in the artifact store."""

    id: str
    name: str | None = None
    mime: str
    size_bytes: int = 0

    @property
    def url(self) -> str:
        return f"/v1/artifacts/{self.id}"


class StepFailed(ZaowuError):
    """A step raised: ``step`` is the node id, ``run_id`` the run to resume."""

    status = 500
    type = "step_failed"

    def __init__(
        self, message: str, *, node: str, run_id: str, cause: Exception | None = None, param: str | None = None
    ):
        super().__init__(message, param=param or f"nodes.{node}", code="step_failed")
        self.node, self.run_id, self.cause = node, run_id, cause
        if isinstance(cause, ZaowuError):  # keep the cause's HTTP status (a 400 stays a 400, a 429 its Retry-After)
            self.status, self.type = cause.status, cause.type
            self.retry_after = getattr(cause, "retry_after", None)


class Step:
    """Base of workflow steps. Subclasses set the class attributes and implement execute."""

    id: ClassVar[str]
    version: ClassVar[int] = 1  # bump when outputs for the same inputs change (invalidates the cache)
    title: ClassVar[str] = ""
    cacheable: ClassVar[bool] = True
    scope: ClassVar[str | None] = None  # the key scope its work needs ("text", "image"...), checked before a run
    Inputs: ClassVar[type[BaseModel]]
    Outputs: ClassVar[type[BaseModel]]

    def execute(self, ctx: StepContext, inputs: Any) -> BaseModel:
        raise NotImplementedError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class NodeSpec(_Strict):
    step: str
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    title: str | None = None


class WorkflowSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")
    title: str | None = None
    inputs: dict[str, dict[str, Any]] = Field(default_factory=dict)  # name -> JSON Schema
    nodes: dict[str, NodeSpec] = Field(min_length=1)
    outputs: dict[str, Any] = Field(default_factory=dict)


def load_workflow(data: dict[str, Any] | str) -> WorkflowSpec:
    """A WorkflowSpec from a dict or YAML text (untrusted: sizes are bounded); errors name the field."""
    if isinstance(data, str):
        _check_bytes(len(data.encode("utf-8", "surrogatepass")), "YAML")
        data = _parse_yaml(data)
    else:
        _check_shape(data)  # first: it walks without recursion, whatever the nesting
        _check_bytes(_json_size(data), "JSON")
    try:
        spec = WorkflowSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest.from_validation(exc, "workflow") from None
    if len(spec.nodes) > MAX_WORKFLOW_NODES:
        raise InvalidRequest(
            f"The workflow has {len(spec.nodes)} nodes; a workflow may have at most "
            f"{MAX_WORKFLOW_NODES}. Split it into smaller workflows.",
            param="workflow.nodes",
        )
    return spec


def _check_bytes(size: int, form: str) -> None:
    if size > MAX_WORKFLOW_BYTES:
        raise InvalidRequest(
            f"The workflow is {size} bytes of {form}; a workflow may be at most {MAX_WORKFLOW_BYTES} "
            "bytes. Move large values into the run's inputs.",
            param="workflow",
        )


def _too_many_values() -> InvalidRequest:
    return InvalidRequest(
        f"The workflow holds more than {MAX_DOCUMENT_NODES} values; write a smaller workflow.", param="workflow"
    )


def _too_deep() -> InvalidRequest:
    return InvalidRequest(
        f"The workflow nests lists and mappings more than {MAX_DOCUMENT_DEPTH} deep; flatten it.", param="workflow"
    )


def _check_shape(data: Any) -> None:
    """Count the values of a parsed document and its nesting, without recursion."""
    stack, count = [(data, 1)], 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_DOCUMENT_NODES:
            raise _too_many_values()
        if depth > MAX_DOCUMENT_DEPTH:
            raise _too_deep()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children)


def _parse_yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_untrusted_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise InvalidRequest(f"The workflow is not valid YAML: {exc}", param="workflow") from None


@cache
def _untrusted_yaml_loader() -> type:
    """A SafeLoader whose composer refuses anchors and aliases and bounds the node count and depth,
    so a document costs time and memory in proportion to its size."""
    import yaml

    class UntrustedLoader(yaml.SafeLoader):
        def __init__(self, stream: str):
            super().__init__(stream)
            self.values, self.depth = 0, 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise InvalidRequest(
                    f"The workflow uses a YAML anchor or alias (line {event.start_mark.line + 1}); these are not "
                    "accepted. Write each value out in full.",
                    param="workflow",
                )
            self.values += 1
            if self.values > MAX_DOCUMENT_NODES:
                raise _too_many_values()
            if self.depth >= MAX_DOCUMENT_DEPTH:
                raise _too_deep()
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return UntrustedLoader


# ---------------------------------------------------------------- registry and validation


class StepRegistry:
    def __init__(self) -> None:
        self._steps: dict[str, type[Step]] = {}

    def register(self, step: type[Step]) -> None:
        self._steps[step.id] = step

    def get(self, step_id: str) -> type[Step]:
        return self._steps[step_id]

    def __contains__(self, step_id: str) -> bool:
        return step_id in self._steps

    def ids(self) -> list[str]:
        return sorted(self._steps)

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "id": s.id,
                "version": s.version,
                "title": s.title,
                "inputs": s.Inputs.model_json_schema(),
                "outputs": s.Outputs.model_json_schema(),
            }
            for s in (self._steps[i] for i in self.ids())
        ]


def _refs(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return _REF.findall(value)
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def _whole_ref(value: Any) -> tuple[str, str] | None:
    if isinstance(value, str) and (m := _REF.fullmatch(value.strip())):
        return m.group(1), m.group(2)
    return None


def _types(schema: dict[str, Any] | None) -> set[str] | None:
    """The JSON types a schema admits; None when unknown/anything."""
    if not schema:
        return None
    if "$ref" in schema:
        return {"object"}
    if "anyOf" in schema:
        parts = [_types(s) for s in schema["anyOf"]]
        return None if any(p is None for p in parts) else set().union(*parts)  # type: ignore[arg-type]
    if "enum" in schema and "type" not in schema:
        return {"string"} if all(isinstance(v, str) for v in schema["enum"]) else None
    kind = schema.get("type")
    if kind is None:
        return None
    found = set(kind) if isinstance(kind, list) else {kind}
    if "number" in found:
        found.add("integer")
    return found


def _field_schema(model: type[BaseModel], name: str) -> dict[str, Any] | None:
    return model.model_json_schema().get("properties", {}).get(name)


@dataclass
class _Checked:
    spec: WorkflowSpec
    order: list[str]


def validate_workflow(spec: WorkflowSpec, steps: StepRegistry) -> _Checked:
    """Check the graph before running it; InvalidRequest lists every problem, ``param`` names the first."""
    problems: list[tuple[str, str]] = []
    graph: dict[str, set[str]] = {}
    for node_id, node in spec.nodes.items():
        where = f"nodes.{node_id}"
        graph[node_id] = set()
        if node.step not in steps:
            problems.append((f"{where}.step", f"unknown step '{node.step}' (known: {', '.join(steps.ids())})"))
            continue
        step = steps.get(node.step)
        fields = step.Inputs.model_fields
        for name in node.with_:
            if name not in fields:
                problems.append(
                    (f"{where}.with.{name}", (f"step '{step.id}' has no input '{name}' (inputs: {', '.join(fields)})"))
                )
        for name, info in fields.items():
            if info.is_required() and name not in node.with_:
                problems.append((f"{where}.with.{name}", f"required input '{name}' of step '{step.id}' is missing"))
        for name, value in node.with_.items():
            if name not in fields:
                continue
            graph[node_id] |= _check_refs(
                spec, steps, value, f"{where}.with.{name}", _field_schema(step.Inputs, name), problems
            )
    for name, value in spec.outputs.items():
        _check_refs(spec, steps, value, f"outputs.{name}", None, problems)
    order: list[str] = []
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        problems.append((f"nodes.{cycle[0]}", f"the graph has a cycle: {' → '.join(cycle)}"))
    if problems:
        text = "; ".join(f"{where}: {msg}" for where, msg in problems)
        raise InvalidRequest(f"Workflow '{spec.id}' is invalid: {text}.", param=problems[0][0])
    return _Checked(spec, order)


def _check_refs(
    spec: WorkflowSpec,
    steps: StepRegistry,
    value: Any,
    where: str,
    target: dict | None,
    problems: list[tuple[str, str]],
) -> set[str]:
    """Check the references in one value; return the nodes it depends on."""
    deps: set[str] = set()
    whole = _whole_ref(value)
    for source, path in _refs(value):
        top = path.split(".")[0]
        if source == "inputs":
            if top not in spec.inputs:
                problems.append(
                    (where, f"'${{inputs.{path}}}' names no workflow input (inputs: {', '.join(spec.inputs)})")
                )
                continue
            produced = spec.inputs[top] if "." not in path else None
        elif source in spec.nodes:
            deps.add(source)
            step_id = spec.nodes[source].step
            if step_id not in steps:
                continue
            outputs = steps.get(step_id).Outputs
            if top not in outputs.model_fields:
                problems.append(
                    (
                        where,
                        (
                            f"node '{source}' ({step_id}) has no output '{top}' "
                            f"(outputs: {', '.join(outputs.model_fields)})"
                        ),
                    )
                )
                continue
            produced = _field_schema(outputs, top) if "." not in path else None
        else:
            problems.append((where, f"'${{{source}.{path}}}' names no node (nodes: {', '.join(spec.nodes)})"))
            continue
        if not whole and not isinstance(value, str):
            continue  # inside a list/object: the container's item types are not declared here
        wanted = _types(target)
        got = _types(produced) if whole else {"string"}
        if wanted is not None and got is not None and not got <= wanted | {"null"}:
            problems.append(
                (
                    where,
                    (
                        f"type mismatch: '${{{source}.{path}}}' gives {'/'.join(sorted(got))} "
                        f"but the input takes {'/'.join(sorted(wanted))}"
                    ),
                )
            )
    return deps


# ---------------------------------------------------------------- running


@dataclass
class WorkflowRun:
    id: str
    workflow: str
    status: str
    seed: int
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    steps: dict[str, dict[str, Any]]
    error: str | None = None
    failed_step: str | None = None
    app: str | None = None
    job_id: str | None = None
    key_id: str | None = None

    @property
    def artifacts(self) -> list[dict[str, Any]]:
        return [a for s in self.steps.values() for a in s.get("artifacts", [])]

    @property
    def generation_ids(self) -> list[str]:
        return [g for s in self.steps.values() for g in s.get("generation_ids", [])]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workflow": self.workflow,
            "app": self.app,
            "status": self.status,
            "seed": self.seed,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "steps": self.steps,
            "error": self.error,
            "failed_step": self.failed_step,
            "job_id": self.job_id,
        }


@dataclass
class StepContext:
    """What a running step may use: the studio, its seed and model, progress, artifacts."""

    studio: Studio
    run_id: str
    node: str
    seed: int
    model: str | None = None
    job: Any = None  # the JobContext when running as a job
    who: Caller = LOCAL  # who runs the workflow (its key decides scopes, quotas and which artifacts it may read)
    report: Callable[[float, str], None] | None = None
    generation_ids: list[str] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key_id(self) -> str | None:
        return self.who.key_id

    @property
    def run_caller(self) -> Caller:
        """Who the step's generations are recorded as: the run's caller, else ``workflow:<run id>``."""
        return self.who.named(f"workflow:{self.run_id}")

    def progress(self, fraction: float, message: str = "") -> None:
        if self.report is not None:
            self.report(fraction, message)

    def check(self) -> None:
        if self.job is not None:
            self.job.check()

    def generation(self, generation_id: str | None) -> None:
        if generation_id:
            self.generation_ids.append(generation_id)

    def artifact(
        self, data: bytes, mime: str, name: str, *, meta: dict | None = None, generation_id: str | None = None
    ) -> ArtifactRef:
        meta = {**(meta or {}), "workflow_run": self.run_id, "node": self.node}
        if self.job is not None:
            row = self.job.artifact(data, mime, name=name, meta=meta, generation_id=generation_id)
        else:
            row = self.studio.artifacts.put(
                data,
                mime,
                name=name,
                generation_id=generation_id,
                caller=self.who.name,
                key_id=self.key_id,
                meta=meta,
                unlabelled=self.who.unlabelled,
            )
        return self.adopt(row)

    def read_artifact(self, artifact_id: str) -> bytes:
        """The bytes of an artifact the run's key may read; another key's gives the same 404 as a missing id."""
        return self.studio.artifacts.read(artifact_id, key_id=self.key_id)

    def adopt(self, row: dict[str, Any]) -> ArtifactRef:
        """Record an artifact stored elsewhere (e.g. by generate_media) as this step's; it must be the key's own."""
        self.studio.artifacts.get(row["id"], key_id=self.key_id)
        ref = ArtifactRef(id=row["id"], name=row.get("name"), mime=row["mime"], size_bytes=row.get("size_bytes") or 0)
        self.artifacts.append({**ref.model_dump(), "url": ref.url})
        return ref


def _json_size(value: Any) -> int:
    """Bytes of ``value`` as UTF-8 JSON (what the database stores)."""
    return len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass"))


class _Budget:
    """Bytes of JSON still allowed; ``spend`` raises InvalidRequest naming ``where`` past the limit."""

    def __init__(self, limit: int):
        self.limit, self.left = limit, limit

    def spend(self, size: int, where: str) -> None:
        self.left -= size
        if self.left < 0:
            raise InvalidRequest(
                f"'{where}' would make the run hold more than {MAX_RUN_BYTES >> 20} MiB of data (its inputs, step "
                "outputs and outputs together). Pass less data along, e.g. one field instead of a whole output.",
                param=where,
            )


def _resolve(value: Any, scope: dict[str, Any], where: str, budget: _Budget | None = None) -> Any:
    """``value`` with its references replaced, refusing (InvalidRequest naming ``where``) to build more
    than the budget: references can repeat one large value many times."""
    budget = budget or _Budget(MAX_RUN_BYTES)
    sizes: dict[int, int] = {}

    def whole(found: Any) -> Any:
        if id(found) not in sizes:
            sizes[id(found)] = _json_size(found)
        budget.spend(sizes[id(found)], where)
        return found

    def text(match: re.Match) -> str:
        piece = _as_text(_lookup(scope, match.group(1), match.group(2)))
        budget.spend(len(piece.encode("utf-8", "surrogatepass")), where)
        return piece

    def walk(item: Any) -> Any:
        ref = _whole_ref(item)
        if ref is not None:
            return whole(_lookup(scope, *ref))
        if isinstance(item, str):
            return _REF.sub(text, item)
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return walk(value)


def _lookup(scope: dict[str, Any], source: str, path: str) -> Any:
    value = scope[source]
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value.get(part) if isinstance(value, dict) else None
    return value


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _cache_key(step: type[Step], inputs: BaseModel, seed: int, model: str | None) -> str:
    blob = json.dumps(
        [step.id, step.version, inputs.model_dump(mode="json"), seed, model], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(blob.encode()).hexdigest()


class _Runner:
    def __init__(self, studio: Studio, checked: _Checked, row: dict[str, Any], job: Any):
        self.studio, self.checked, self.row, self.job = studio, checked, row, job
        self.engine = studio.db
        self.steps_state: dict[str, dict[str, Any]] = {
            n: {"step": checked.spec.nodes[n].step, "status": "pending"} for n in checked.order
        }
        self.budget = _Budget(MAX_RUN_BYTES)  # what the run may still store
        self.budget.spend(_json_size(row["inputs"]), "inputs")

    def _save(self, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                workflow_runs.update()
                .where(workflow_runs.c.id == self.row["id"])
                .values(steps=self.steps_state, **values)
            )

    def _who(self) -> Caller:
        """Who the run runs as (recorded with the run); the job's id when it runs as a job."""
        return Caller(
            interface=self.row["interface"] or "python",
            name=self.row["caller"],
            key_id=self.row["key_id"],
            job_id=getattr(self.job, "job_id", None),
        )

    def _report(self, index: int, node: str) -> Callable[[float, str], None]:
        total = len(self.checked.order)

        def report(fraction: float, message: str) -> None:
            if self.job is not None:
                done = (index + max(0.0, min(1.0, fraction))) / total
                self.job.progress(done, f"{node}: {message}" if message else node)

        return report

    def run(self) -> WorkflowRun:
        spec, scope = self.checked.spec, {"inputs": self.row["inputs"]}
        for index, node_id in enumerate(self.checked.order):
            if cancel.cancelled():  # the caller went away: run no further step
                self._save(status="cancelled", finished_at=time.time(), error="cancelled", failed_step=node_id)
                cancel.check()
            if self.job is not None:  # each step's start is always recorded (progress writes are throttled)
                self.job.progress(index / len(self.checked.order), f"{node_id}: starting", force=True)
            scope[node_id] = self._run_node(index, node_id, scope)
        try:
            outputs = {
                name: _resolve(value, scope, f"outputs.{name}", self.budget) for name, value in spec.outputs.items()
            }
        except InvalidRequest as exc:
            self._save(status="failed", finished_at=time.time(), error=exc.message, failed_step=None)
            raise
        self._save(status="succeeded", outputs=outputs, finished_at=time.time(), error=None, failed_step=None)
        return get_run(self.studio, self.row["id"])

    def _run_node(self, index: int, node_id: str, scope: dict[str, Any]) -> dict[str, Any]:
        node = self.checked.spec.nodes[node_id]
        step_cls = self.studio.workflow_steps.get(node.step)
        state = self.steps_state[node_id]
        seed = (self.row["seed"] + zlib.crc32(node_id.encode())) % 2**31
        ctx = StepContext(
            studio=self.studio,
            run_id=self.row["id"],
            node=node_id,
            seed=seed,
            model=self.row["model"],
            job=self.job,
            who=self._who(),
            report=self._report(index, node_id),
        )
        started = time.perf_counter()
        try:
            inputs = step_cls.Inputs.model_validate(_resolve(node.with_, scope, f"nodes.{node_id}.with"))
        except ValidationError as exc:
            return self._fail(node_id, state, InvalidRequest.from_validation(exc, f"nodes.{node_id}.with"))
        except InvalidRequest as exc:
            return self._fail(node_id, state, exc)
        key = _cache_key(step_cls, inputs, seed, self.row["model"])
        cached = self._cached(key) if step_cls.cacheable else None
        if cached is not None:
            state.update(cached["state"], status="cached", cache_key=key)
            try:
                self.budget.spend(_json_size(cached["outputs"]), f"nodes.{node_id}")
            except InvalidRequest as exc:
                return self._fail(node_id, state, exc)
            self._save()
            return cached["outputs"]
        state.update(status="running", cache_key=key)
        self._save()
        try:
            keys = self.studio.keys
            keys.admit(keys.principal(self.row["key_id"]))  # each executed step is one request of the key
            outputs = step_cls().execute(ctx, inputs).model_dump(mode="json")
        except Exception as exc:
            from .jobs import JobCancelled, JobInterrupted

            state.update(generation_ids=ctx.generation_ids, artifacts=ctx.artifacts)
            if isinstance(exc, (JobCancelled, JobInterrupted, Cancelled)):
                state["status"] = "cancelled"
                self._save(status="cancelled", finished_at=time.time(), error="cancelled", failed_step=node_id)
                raise
            return self._fail(node_id, state, exc)
        state.update(
            status="done",
            generation_ids=ctx.generation_ids,
            artifacts=ctx.artifacts,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        try:
            self.budget.spend(_json_size(outputs), f"nodes.{node_id}")
        except InvalidRequest as exc:
            return self._fail(node_id, state, exc)
        if step_cls.cacheable:
            self._store(key, step_cls.id, outputs, state)
        self._save()
        return outputs

    def _fail(self, node_id: str, state: dict[str, Any], exc: Exception):
        message = exc.message if isinstance(exc, ZaowuError) else f"{type(exc).__name__}: {exc}"
        if len(message) > MAX_ERROR_CHARS:
            message = message[:MAX_ERROR_CHARS] + " …"
        state.update(status="failed", error=message)
        self._save(status="failed", finished_at=time.time(), error=message, failed_step=node_id)
        log.warning("workflow run %s: step %s failed: %s", self.row["id"], node_id, message)
        raise StepFailed(
            f"Step '{node_id}' ({state['step']}) failed: {message} Resume the run with "
            f"id '{self.row['id']}' once fixed.",
            node=node_id,
            run_id=self.row["id"],
            cause=exc,
            param=self._param(node_id, exc),
        )

    def _param(self, node_id: str, exc: Exception) -> str:
        """Where a step's error points: the input it names (``nodes.save.with.mime``), else the node."""
        param = getattr(exc, "param", None) or ""
        if param.startswith(f"nodes.{node_id}."):
            return param
        step = self.studio.workflow_steps.get(self.checked.spec.nodes[node_id].step)
        return f"nodes.{node_id}.with.{param}" if param in step.Inputs.model_fields else f"nodes.{node_id}"

    def _cached(self, key: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(step_cache.c.outputs).where(step_cache.c.key == key)).first()
        if row is None:
            return None
        entry = row[0]
        for art in entry["state"].get("artifacts", []):  # a pruned (or another key's) artifact invalidates the entry
            try:
                self.studio.artifacts.open_path(art["id"], key_id=self.row["key_id"])
            except ZaowuError:
                return None
        return entry

    def _store(self, key: str, step_id: str, outputs: dict[str, Any], state: dict[str, Any]) -> None:
        entry = {"outputs": outputs, "state": {k: state[k] for k in ("generation_ids", "artifacts", "duration_ms")}}
        with self.engine.begin() as conn:
            row = {"key": key, "step": step_id, "outputs": entry, "created_at": time.time()}
            put_row(conn, step_cache, row, ["key"])  # a concurrent run of the same step may store it too


def check_inputs(spec: WorkflowSpec, inputs: dict[str, Any]) -> dict[str, Any]:
    """The run's input values (defaults filled in), checked against the workflow's input schemas and size."""
    import jsonschema

    if not isinstance(inputs, dict):
        raise InvalidRequest("'inputs' must be an object.", param="inputs")
    if (size := _json_size(inputs)) > MAX_RUN_BYTES:
        raise InvalidRequest(
            f"The inputs are {size} bytes of JSON; a run may hold at most {MAX_RUN_BYTES >> 20} MiB. "
            "Store large content as an artifact and pass its id.",
            param="inputs",
        )
    for name in inputs:
        if name not in spec.inputs:
            raise InvalidRequest(
                f"Workflow '{spec.id}' has no input '{name}' (inputs: {', '.join(spec.inputs)}).",
                param=f"inputs.{name}",
            )
    values = {n: s["default"] for n, s in spec.inputs.items() if "default" in s}
    values.update(inputs)
    for name, schema in spec.inputs.items():
        if name not in values:
            raise InvalidRequest(f"Workflow input '{name}' is required.", param=f"inputs.{name}")
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(values[name]))
        if errors:
            raise InvalidRequest(f"Workflow input '{name}': {errors[0].message}.", param=f"inputs.{name}")
    return values


def check_scopes(studio: Studio, spec: WorkflowSpec, key_id: str | None) -> None:
    """Refuse a run (403 naming the node) when the key lacks a scope one of its steps declares,
    before anything runs; an app's workflow declares what it needs through its steps."""
    principal, steps = studio.keys.principal(key_id), studio.workflow_steps
    for node_id, node in spec.nodes.items():
        needed = getattr(steps.get(node.step), "scope", None) if node.step in steps else None
        try:
            principal.require(needed)
        except PermissionDenied as exc:
            raise PermissionDenied(
                f"{exc.message} Node '{node_id}' runs '{node.step}', which needs it.", param=f"nodes.{node_id}"
            ) from None


def run_workflow(
    studio: Studio,
    spec: WorkflowSpec,
    inputs: dict[str, Any],
    *,
    seed: int | None = None,
    model: str | None = None,
    job: Any = None,
    app: str | None = None,
    who: Caller = LOCAL,
) -> WorkflowRun:
    """Validate and run a workflow to the end for ``who``. A failing step raises StepFailed naming it and the run id."""
    checked = validate_workflow(spec, studio.workflow_steps)
    check_scopes(studio, spec, who.key_id)
    values = check_inputs(spec, inputs)
    studio.screen(text_fields(values, "inputs"), who, "text")  # refused before any step runs, naming the input
    row = {
        "id": new_id("run"),
        "workflow": spec.id,
        "app": app,
        "spec": spec.model_dump(mode="json", by_alias=True),
        "inputs": values,
        "seed": seed if seed is not None else random.randrange(2**31),
        "model": model,
        "status": "running",
        "steps": {},
        "job_id": getattr(job, "job_id", None),
        "interface": who.interface,
        "caller": who.name,
        "key_id": who.key_id,
        "created_at": time.time(),
    }
    with studio.db.begin() as conn:
        conn.execute(workflow_runs.insert().values(**row))
    return _Runner(studio, checked, row, job).run()


def resume_workflow(studio: Studio, run_id: str, *, job: Any = None) -> WorkflowRun:
    """Run a failed or interrupted run again: steps that succeeded come from the cache."""
    with studio.db.connect() as conn:
        found = conn.execute(sa.select(workflow_runs).where(workflow_runs.c.id == run_id)).first()
    if found is None:
        raise NotFound(f"No workflow run '{run_id}'.", param="run_id")
    row = dict(found._mapping)
    if row["status"] == "succeeded":
        return get_run(studio, run_id)
    checked = validate_workflow(WorkflowSpec.model_validate(row["spec"]), studio.workflow_steps)
    check_scopes(studio, checked.spec, row["key_id"])
    with studio.db.begin() as conn:
        conn.execute(
            workflow_runs.update()
            .where(workflow_runs.c.id == run_id)
            .values(
                status="running",
                error=None,
                failed_step=None,
                finished_at=None,
                job_id=getattr(job, "job_id", None) or row["job_id"],
            )
        )
    return _Runner(studio, checked, row, job).run()


def _to_run(row: Any) -> WorkflowRun:
    m = row._mapping
    return WorkflowRun(
        id=m["id"],
        workflow=m["workflow"],
        status=m["status"],
        seed=m["seed"],
        inputs=m["inputs"],
        outputs=m["outputs"],
        steps=m["steps"],
        error=m["error"],
        failed_step=m["failed_step"],
        app=m["app"],
        job_id=m["job_id"],
        key_id=m["key_id"],
    )


def get_run(studio: Studio, run_id: str) -> WorkflowRun:
    with studio.db.connect() as conn:
        row = conn.execute(sa.select(workflow_runs).where(workflow_runs.c.id == run_id)).first()
    if row is None:
        raise NotFound(f"No workflow run '{run_id}'.", param="run_id")
    return _to_run(row)


def run_for_job(studio: Studio, job_id: str) -> WorkflowRun | None:
    """The latest run job ``job_id`` started (a job whose worker died resumes it); None when it started none."""
    query = (
        sa.select(workflow_runs)
        .where(workflow_runs.c.job_id == job_id)
        .order_by(workflow_runs.c.created_at.desc())
        .limit(1)
    )
    with studio.db.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else _to_run(row)


def list_runs(
    studio: Studio, *, caller: str | None = None, app: str | None = None, limit: int = 50
) -> list[WorkflowRun]:
    query = sa.select(workflow_runs).order_by(workflow_runs.c.created_at.desc()).limit(limit)
    if caller is not None:
        query = query.where(workflow_runs.c.caller == caller)
    if app is not None:
        query = query.where(workflow_runs.c.app == app)
    with studio.db.connect() as conn:
        return [_to_run(r) for r in conn.execute(query)]
