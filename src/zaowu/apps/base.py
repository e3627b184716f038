"""The application layer's contract: an app is a workflow with a typed input and a typed result.

    class Copywriter(App):
        id = "copywriter"
        title = Localized(zh="文案助手", en="Copywriter")
        Input = CopywriterInput        # Pydantic: forms, CLI options and validation come from it
        Result = CopywriterResult

        def workflow(self, input) -> WorkflowSpec: ...      # the graph for this input
        def result(self, run, input) -> CopywriterResult: ...  # typed result from the run's outputs

Apps register through the ``register_apps`` hook (built-ins included) and run the
same way from Python (``run_app``), the CLI (``zaowu app NAME``) and HTTP
(``POST /v1/apps/{id}``, as a job with per-step progress when async).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InvalidRequest, NotFound
from ..studio.templates import Localized
from ..studio.workflows import WorkflowRun, WorkflowSpec, get_run, resume_workflow, run_workflow
from ..types import LOCAL, Caller

if TYPE_CHECKING:
    from ..studio.engine import Studio

__all__ = [
    "App",
    "AppInput",
    "AppRun",
    "get_app",
    "list_apps",
    "run_app",
    "resume_app",
    "validate_input",
    "token_budget",
    "input_field",
    "LANGUAGE_FIELD",
]

log = logging.getLogger(__name__)


def token_budget(max_chars: int, language: str) -> int:
    """max_tokens that fits a schema's longest possible output of ``max_chars`` characters.

    Constrained decoding stops at max_tokens and cuts the JSON, so the budget must cover
    the worst case: small English-centric tokenizers (SmolLM2) spend up to ~3 tokens per
    Chinese character (Qwen about 1); English text is at most ~1 token per character."""
    return min(6000, 64 + int(max_chars * (3.2 if language == "zh" else 1.0)))


def input_field(
    default: Any = ...,
    *,
    en: str,
    zh: str,
    help_en: str | None = None,
    help_zh: str | None = None,
    choices: dict[str, tuple[str, str]] | None = None,
    **constraints: Any,
) -> Any:
    """A typed app input field with its label (and help, and choice labels) in both languages,
    carried in the JSON Schema as ``x-title`` / ``x-description`` / ``x-enum-titles``."""
    extra: dict[str, Any] = {"x-title": {"zh": zh, "en": en}}
    if help_en or help_zh:
        extra["x-description"] = {"zh": help_zh or help_en, "en": help_en or help_zh}
    if choices:
        extra["x-enum-titles"] = {"zh": [z for z, _ in choices.values()], "en": [e for _, e in choices.values()]}
    return Field(default, title=en, description=help_en, json_schema_extra=extra, **constraints)


LANGUAGE_FIELD = dict(
    en="Output language",
    zh="输出语言",
    help_en="Detected from your text when left empty",
    help_zh="留空则按输入自动判断",
    choices={"zh": ("中文", "Chinese"), "en": ("英文", "English")},
)


class AppInput(BaseModel):
    """Base of app inputs: a typo is an error; ``language`` picks zh/en output (auto by default)."""

    model_config = ConfigDict(extra="forbid")


class App:
    id: ClassVar[str]
    title: ClassVar[Localized]
    description: ClassVar[Localized]
    Input: ClassVar[type[BaseModel]]
    Result: ClassVar[type[BaseModel]]
    examples: ClassVar[list[dict[str, Any]]] = []

    def workflow(self, input: Any) -> WorkflowSpec:
        raise NotImplementedError

    def result(self, run: WorkflowRun, input: Any) -> BaseModel:
        raise NotImplementedError

    def check(self, studio: Studio, input: Any) -> None:
        """Checks of a valid input that need the Studio (each a 400 naming its field); none by default."""

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {
            "id": cls.id,
            "title": cls.title.model_dump(),
            "description": cls.description.model_dump(),
            "input_schema": cls.Input.model_json_schema(),
            "result_schema": cls.Result.model_json_schema(),
            "examples": cls.examples,
        }


@dataclass
class AppRun:
    app: str
    run_id: str
    result: dict[str, Any]
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    generation_ids: list[str] = field(default_factory=list)
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "run_id": self.run_id,
            "seed": self.seed,
            "result": self.result,
            "artifacts": self.artifacts,
            "generation_ids": self.generation_ids,
        }


def list_apps(studio: Studio) -> list[type[App]]:
    return [studio.apps[k] for k in sorted(studio.apps)]


def get_app(studio: Studio, app_id: str) -> type[App]:
    if app_id not in studio.apps:
        raise NotFound(f"No app '{app_id}'. Apps: {', '.join(sorted(studio.apps))}.", param="app")
    return studio.apps[app_id]


def validate_input(app: type[App], data: Any) -> BaseModel:
    if isinstance(data, app.Input):
        return data
    if not isinstance(data, dict):
        raise InvalidRequest("'input' must be an object of the app's fields.", param="input")
    try:
        return app.Input.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest.from_validation(exc, "input") from None


def _finish(app: type[App], run: WorkflowRun, data: BaseModel) -> AppRun:
    result = app().result(run, data)
    return AppRun(
        app=app.id,
        run_id=run.id,
        result=result.model_dump(mode="json"),
        artifacts=run.artifacts,
        generation_ids=run.generation_ids,
        seed=run.seed,
    )


def run_app(
    studio: Studio,
    app_id: str,
    input: Any,
    *,
    model: str | None = None,
    seed: int | None = None,
    job: Any = None,
    who: Caller = LOCAL,
) -> AppRun:
    """Validate the input, run the app's workflow, and build its typed result. Without ``model`` the
    app plans and writes with the configured ``planner_model`` (or the default chat model)."""
    from ..studio.planner import planner_model

    if model is None and studio.settings.planner_model:
        model = planner_model(studio)
    app = get_app(studio, app_id)
    data = validate_input(app, input)
    app().check(studio, data)
    spec = app_workflow(studio, app, data)
    run = run_workflow(
        studio, spec, {"input": data.model_dump(mode="json")}, seed=seed, model=model, job=job, app=app.id, who=who
    )
    return _finish(app, run, data)


def app_workflow(studio: Studio, app: type[App], data: BaseModel) -> WorkflowSpec:
    """The app's workflow for ``data``, built while today is the studio's day (the ``today`` setting
    unless a caller pinned one), so the dates an app resolves and states come from one source."""
    from ..studio.quality.today import studio_today

    with studio_today(studio):
        return app().workflow(data)


def resume_app(studio: Studio, run_id: str, *, job: Any = None) -> AppRun:
    """Resume a failed app run from its failed step."""
    try:
        earlier = get_run(studio, run_id)
    except NotFound:
        earlier = None
    if earlier is None or earlier.app is None:
        raise NotFound(f"No app run '{run_id}'.", param="run_id")
    app = get_app(studio, earlier.app)
    data = validate_input(app, earlier.inputs["input"])
    return _finish(app, resume_workflow(studio, run_id, job=job), data)
