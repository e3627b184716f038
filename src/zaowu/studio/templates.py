"""Prompt templates: role-structured, bilingual prompts with typed variables.

A template is one YAML file (shipped ones in ``zaowu/studio/templates/``, a user's own in
``<data_dir>/templates/``, which override shipped ones with the same id)::

    id: slogan                      # stable id: lowercase letters, digits, dashes
    category: marketing             # see CATEGORIES
    title: {zh: 广告语, en: Slogans}
    description: {zh: …, en: …}
    variables:                      # typed inputs, validated before anything runs
      - name: brand
        type: string                # string | text | integer | number | boolean | enum | list
        title: {zh: 品牌, en: Brand}
        max_length: 60
      - name: tone
        type: enum
        choices: [{value: playful, zh: 活泼, en: Playful}, {value: premium, zh: 高端, en: Premium}]
        default: playful
    prompt:                         # one role-structured prompt per language
      zh: {role: …, task: …, requirements: [… numbered in the system prompt …], output: …, user: "品牌：{{ brand }}"}
      en: {role: …, task: …, requirements: […], output: …, user: "Brand: {{ brand }}"}
    output_schema: {...}            # optional: JSON output, decoded under this schema
    examples: [{brand: …}]          # example variables (at least one); tests run them
    sampling: {temperature: 0.7, max_tokens: 600}
    checks:                         # optional: what must hold after generation (see quality/outputs.py)
      lists: [{path: slogans, text: [text], count: count, lengths: {text: {zh: 16, en: 60}}}]

Every system prompt ends with today's date (the ``today`` setting, else the system date). After
generation, ``run_template`` applies the checks: claims not in the variables are removed (on by
default), the output's language is checked (on by default), lists hold the requested count and
differ (near-duplicates are regenerated in a focused follow-up request), texts are trimmed to their
limits at a boundary; the result reports ``checks``.

``user`` is a sandboxed Jinja template (strict: a misspelt variable is an error).
Output schemas must bound every string (maxLength or enum) and every array (maxItems):
small models otherwise ramble inside a string until max_tokens and the JSON is cut.
A malformed file never breaks the library: it is reported with its file and field.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InvalidRequest, NotFound, SchemaViolation, ZaowuError
from ..types import LOCAL, Caller, TextRequest
from .quality import Check
from .quality.dates import date_line
from .quality.outputs import OutputChecks, compose_duplicates, narrow_schema, polish_output
from .quality.variants import LOOP_FREQUENCY_PENALTY, MAX_REPAIR_ATTEMPTS, angle_for, seed_for

if TYPE_CHECKING:
    from .engine import Studio

__all__ = [
    "CATEGORIES",
    "Template",
    "TemplateLibrary",
    "Variable",
    "RenderedTemplate",
    "check_bounded_schema",
    "detect_language",
    "BUILTIN_DIR",
]

log = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).with_name("templates")
CATEGORIES = ("marketing", "social", "ecommerce", "business", "office", "education", "service", "writing")
COPY_CATEGORIES = ("marketing", "social", "ecommerce")  # whose Chinese output loses Latin words the input lacks
LANGUAGES = ("zh", "en")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Localized(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


class Choice(_Strict):
    value: str = Field(min_length=1)
    zh: str | None = None
    en: str | None = None


class Variable(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    type: Literal["string", "text", "integer", "number", "boolean", "enum", "list"] = "string"
    title: Localized
    description: Localized | None = None
    required: bool = True
    default: Any = None
    max_length: int | None = Field(default=None, ge=1, le=20000)
    minimum: float | None = None
    maximum: float | None = None
    choices: list[Choice] | None = None
    max_items: int | None = Field(default=None, ge=1, le=100)

    @field_validator("choices", mode="before")
    @classmethod
    def _plain_choices(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"value": c} if isinstance(c, str) else c for c in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Variable:
        if self.type == "enum" and not self.choices:
            raise ValueError("an enum variable needs 'choices'")
        if self.type != "enum" and self.choices:
            raise ValueError("'choices' is only for type 'enum'")
        if self.default is not None:
            self.validate_value(self.default, "default")
        return self

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of this variable (what forms and validation are built from)."""
        s: dict[str, Any] = {"title": self.title.en, "x-title": self.title.model_dump()}
        if self.description:
            s["description"] = self.description.en
            s["x-description"] = self.description.model_dump()
        if self.type in ("string", "text"):
            s.update(type="string", minLength=1 if self.required else 0, maxLength=self._max_length())
            if self.type == "text":
                s["format"] = "textarea"
        elif self.type in ("integer", "number"):
            s["type"] = self.type
            if self.minimum is not None:
                s["minimum"] = self.minimum
            if self.maximum is not None:
                s["maximum"] = self.maximum
        elif self.type == "boolean":
            s["type"] = "boolean"
        elif self.type == "enum":
            assert self.choices
            s.update(type="string", enum=[c.value for c in self.choices])
            s["x-enum-titles"] = {lang: [getattr(c, lang) or c.value for c in self.choices] for lang in LANGUAGES}
        else:
            s.update(
                type="array",
                items={"type": "string", "minLength": 1, "maxLength": self._max_length()},
                maxItems=self.max_items or 20,
            )
        if self.default is not None:
            s["default"] = self.default
        return s

    def _max_length(self) -> int:
        return self.max_length or (4000 if self.type == "text" else 200)

    def validate_value(self, value: Any, where: str) -> None:
        import jsonschema

        schema = {k: v for k, v in self.json_schema().items() if k != "default"}
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(value))
        if errors:
            raise ValueError(f"{where}: {errors[0].message}")


class PromptSide(_Strict):
    role: str = Field(min_length=1)
    task: str = Field(min_length=1)
    requirements: list[str] = Field(min_length=1)
    output: str = Field(min_length=1)
    user: str = Field(min_length=1)


class Sampling(_Strict):
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1, le=8192)


class Template(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    version: int = Field(default=1, ge=1)
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    title: Localized
    description: Localized
    variables: list[Variable] = Field(default_factory=list)
    prompt: dict[Literal["zh", "en"], PromptSide]
    output_schema: dict[str, Any] | None = None
    examples: list[dict[str, Any]] = Field(min_length=1)
    sampling: Sampling = Field(default_factory=Sampling)
    checks: OutputChecks = Field(default_factory=OutputChecks)
    source: str | None = Field(default=None, exclude=True)  # the file it came from

    @model_validator(mode="after")
    def _check(self) -> Template:
        for lang in LANGUAGES:
            if lang not in self.prompt:
                raise ValueError(f"prompt.{lang} is missing: templates are bilingual (zh and en)")
        names = [v.name for v in self.variables]
        if len(set(names)) != len(names):
            raise ValueError(f"variables: duplicate names in {names}")
        if self.output_schema is not None:
            check_bounded_schema(self.output_schema, "output_schema")
        self.checks.validate_against(self.output_schema, {v.name: v for v in self.variables})
        if self.checks.latin is None:  # copy drops stray English by default; documents keep their terms
            self.checks.latin = self.category in COPY_CATEGORIES
        for i, example in enumerate(self.examples):
            try:
                self.validate_variables(example)
            except InvalidRequest as exc:
                raise ValueError(f"examples[{i}]: {exc.message}") from None
        return self

    # -- typed variables -------------------------------------------------------
    def input_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {v.name: v.json_schema() for v in self.variables},
            "required": [v.name for v in self.variables if v.required and v.default is None],
            "additionalProperties": False,
        }

    def validate_variables(self, values: dict[str, Any]) -> dict[str, Any]:
        """Check ``values`` against the typed variables; fill defaults. Errors name ``variables.<name>``."""
        import jsonschema

        if not isinstance(values, dict):
            raise InvalidRequest("'variables' must be an object of name → value.", param="variables")
        known = {v.name: v for v in self.variables}
        for name in values:
            if name not in known:
                raise InvalidRequest(
                    f"Template '{self.id}' has no variable '{name}'; its variables are: "
                    f"{', '.join(known) or '(none)'}.",
                    param=f"variables.{name}",
                )
        filled = {n: v.default for n, v in known.items() if v.default is not None and values.get(n) is None}
        filled.update({k: v for k, v in values.items() if v is not None})
        for var in self.variables:
            if var.name not in filled:
                if var.required:
                    raise InvalidRequest(
                        f"Variable '{var.name}' ({var.title.en} / {var.title.zh}) is required.",
                        param=f"variables.{var.name}",
                    )
                continue
            errors = list(jsonschema.Draft202012Validator(var.json_schema()).iter_errors(filled[var.name]))
            if errors:
                raise InvalidRequest(f"Variable '{var.name}': {errors[0].message}.", param=f"variables.{var.name}")
        return filled

    # -- prompts ---------------------------------------------------------------
    def system_prompt(self, language: str, today: date | None = None) -> str:
        """The role-structured system prompt, ending with today's date (``today``, else the system date)."""
        side = self.prompt[language]  # type: ignore[index]
        heads = (
            ("角色", "任务", "要求", "输出格式", "日期")
            if language == "zh"
            else ("Role", "Task", "Requirements", "Output", "Date")
        )
        reqs = "\n".join(f"{i}. {r}" for i, r in enumerate(side.requirements, 1))
        return (
            f"# {heads[0]}\n{side.role}\n\n# {heads[1]}\n{side.task}\n\n# {heads[2]}\n{reqs}\n\n"
            f"# {heads[3]}\n{side.output}\n\n# {heads[4]}\n{date_line(language, today)}"
        )

    def user_prompt(self, language: str, variables: dict[str, Any]) -> str:
        import jinja2

        shown = {v.name: None for v in self.variables} | dict(variables)  # optional ones may be tested with `if`
        for var in self.variables:  # enums read as their label in the prompt's language
            if var.choices and var.name in shown:
                labels = {c.value: getattr(c, language) or c.value for c in var.choices}
                shown[var.name] = labels.get(shown[var.name], shown[var.name])
        try:
            return _jinja().from_string(self.prompt[language].user).render(**shown).strip()  # type: ignore[index]
        except jinja2.TemplateError as exc:
            raise InvalidRequest(
                f"Template '{self.id}' prompt.{language}.user cannot render: {exc}", param=f"prompt.{language}.user"
            ) from None

    def request_schema(self, values: dict[str, Any], language: str) -> dict[str, Any] | None:
        """The schema the model decodes under: the output schema narrowed by the checks (the requested
        count of each checked list, slack past each checked text's limit)."""
        if self.output_schema is None:
            return None
        return narrow_schema(self.checks, self.output_schema, language, values)

    def render(
        self, variables: dict[str, Any], language: str | None = None, today: date | None = None
    ) -> RenderedTemplate:
        """Validate the variables and build the chat request (language auto-detected if not given)."""
        values = self.validate_variables(variables)
        if language is not None and language not in LANGUAGES:
            raise InvalidRequest(
                f"language must be one of {', '.join(LANGUAGES)} (or omitted to detect it).", param="language"
            )
        lang = language or detect_language(variables)  # what the user wrote, not the defaults
        messages = [
            {"role": "system", "content": self.system_prompt(lang, today)},
            {"role": "user", "content": self.user_prompt(lang, values)},
        ]
        response_format = None
        if self.output_schema is not None:
            schema = self.request_schema(values, lang)
            response_format = {"type": "json_schema", "json_schema": {"name": self.id, "schema": schema}}
        return RenderedTemplate(self, lang, values, messages, response_format)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "category": self.category,
            "title": self.title.model_dump(),
            "description": self.description.model_dump(),
            "input_schema": self.input_schema(),
            "has_output_schema": self.output_schema is not None,
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "output_schema": self.output_schema,
            "examples": self.examples,
            "prompt": {k: v.model_dump() for k, v in self.prompt.items()},
            "sampling": self.sampling.model_dump(exclude_none=True),
            "checks": self.checks.model_dump(exclude_defaults=True),
        }


@dataclass
class RenderedTemplate:
    template: Template
    language: str
    variables: dict[str, Any]
    messages: list[dict[str, str]]
    response_format: dict[str, Any] | None

    def request(self, **overrides: Any) -> TextRequest:
        """The TextRequest to run: the template's sampling, then ``overrides`` (None values ignored)."""
        fields = {
            **self.template.sampling.model_dump(exclude_none=True),
            **{k: v for k, v in overrides.items() if v is not None},
        }
        try:
            return TextRequest(messages=self.messages, response_format=self.response_format, **fields)
        except ValidationError as exc:
            raise InvalidRequest.from_validation(exc) from None


def _jinja():
    import jinja2.sandbox

    env = jinja2.sandbox.SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False
    )
    env.filters["bullets"] = lambda items: "\n".join(f"- {x}" for x in (items or []))
    env.filters["joinlist"] = lambda items, sep="、": sep.join(str(x) for x in (items or []))
    return env


def detect_language(values: Any) -> str:
    """'zh' when the given text (strings anywhere inside ``values``) contains Chinese, else 'en'."""
    text = json.dumps(values, ensure_ascii=False) if not isinstance(values, str) else values
    return "zh" if _CJK.search(text) else "en"


def check_bounded_schema(schema: Any, where: str) -> None:
    """Raise ValueError unless every string is bounded (maxLength/enum/const) and every array has
    maxItems: constrained decoding with small models needs it to finish within max_tokens."""
    import jsonschema

    if not isinstance(schema, dict):
        raise ValueError(f"{where} must be a JSON Schema object")
    if where.count(".") == 0:
        try:
            jsonschema.validators.validator_for(schema).check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"{where} is not a valid JSON Schema: {exc.message}") from None
    kind = schema.get("type")
    if kind == "string" and not ({"maxLength", "enum", "const"} & schema.keys()):
        raise ValueError(f"{where}: a string needs maxLength (or enum)")
    if kind == "array":
        if "maxItems" not in schema:
            raise ValueError(f"{where}: an array needs maxItems")
        check_bounded_schema(schema.get("items", {}), f"{where}.items")
    if kind == "object":
        for name, sub in schema.get("properties", {}).items():
            check_bounded_schema(sub, f"{where}.properties.{name}")


# ---------------------------------------------------------------- the library


@dataclass
class TemplateProblem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


@dataclass
class TemplateLibrary:
    """The shipped templates plus a user's own; reloaded when a file changes."""

    dirs: list[Path]
    _signature: tuple = ()
    _templates: dict[str, Template] = field(default_factory=dict)
    problems: list[TemplateProblem] = field(default_factory=list)

    @classmethod
    def for_data_dir(cls, data_dir: Path | str) -> TemplateLibrary:
        return cls([BUILTIN_DIR, Path(data_dir) / "templates"])

    def _files(self) -> list[Path]:
        return [p for d in self.dirs if d.is_dir() for p in sorted(d.iterdir()) if p.suffix in (".yaml", ".yml")]

    def _refresh(self) -> None:
        files = self._files()
        signature = tuple((str(p), p.stat().st_mtime_ns) for p in files)
        if signature == self._signature:
            return
        templates: dict[str, Template] = {}
        problems: list[TemplateProblem] = []
        for path in files:
            try:
                template = load_template(path)
            except _LoadError as exc:
                problems.append(exc.problem)
                log.warning("template %s", exc.problem)
                continue
            templates[template.id] = template  # later dirs (the user's) override shipped ones
        self._templates, self.problems, self._signature = templates, problems, signature

    def list(self, category: str | None = None) -> list[Template]:
        self._refresh()
        items = sorted(self._templates.values(), key=lambda t: (CATEGORIES.index(t.category), t.id))
        return [t for t in items if category is None or t.category == category]

    def get(self, template_id: str) -> Template:
        self._refresh()
        if template_id in self._templates:
            return self._templates[template_id]
        broken = [p for p in self.problems if Path(p.file).stem == template_id]
        if broken:
            raise InvalidRequest(f"Template '{template_id}' is malformed: {broken[0]}", param="template")
        raise NotFound(
            f"No template '{template_id}'. See `zaowu templates list` or GET /v1/templates.", param="template"
        )


class _LoadError(ZaowuError):
    def __init__(self, problem: TemplateProblem):
        super().__init__(str(problem))
        self.problem = problem


def load_template(path: Path) -> Template:
    """Parse and validate one template file; _LoadError names the file and field."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _LoadError(TemplateProblem(str(path), "(file)", f"not readable YAML: {exc}")) from None
    if not isinstance(data, dict):
        raise _LoadError(TemplateProblem(str(path), "(file)", "must be a YAML mapping"))
    try:
        template = Template.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        raise _LoadError(TemplateProblem(str(path), where, err["msg"])) from None
    if template.id != path.stem:
        raise _LoadError(TemplateProblem(str(path), "id", f"'{template.id}' must match the file name '{path.stem}'"))
    return template


def iter_examples(templates: Iterable[Template]):
    for t in templates:
        for example in t.examples:
            yield t, example


# ---------------------------------------------------------------- running a template


@dataclass
class TemplateResult:
    template: str
    language: str
    model: str
    seed: int | None
    generation_id: str | None
    text: str
    output: Any  # the parsed JSON when the template has an output schema
    checks: list[Check] = field(default_factory=list)
    generation_ids: list[str] = field(default_factory=list)  # the first generation and any focused repairs

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "language": self.language,
            "model": self.model,
            "seed": self.seed,
            "generation_id": self.generation_id,
            "text": self.text,
            "output": self.output,
            "checks": [c.model_dump() for c in self.checks],
            "generation_ids": self.generation_ids,
        }


def prepare_template_run(
    studio: Studio, template_id: str, variables: dict[str, Any], *, language: str | None = None, **overrides: Any
) -> tuple[Template, RenderedTemplate, TextRequest]:
    """Look up, validate and render: everything that can fail on bad input fails here."""
    template = studio.templates.get(template_id)
    rendered = template.render(variables, language, today=_today_setting(studio))
    budget = template.sampling.max_tokens
    if overrides.get("max_tokens") is None and budget:  # the template's own budget is cut to the model's context
        context = studio.text_context(overrides.get("model"))
        if context and budget > context:
            overrides = {**overrides, "max_tokens": context}
    return template, rendered, rendered.request(**overrides)


def _today_setting(studio: Studio) -> date | None:
    from .quality.today import settings_today

    return settings_today(studio)


def _facts(values: dict[str, Any]) -> str:
    """What the user stated: every variable's value, as text claims and numbers are checked against."""
    return "\n".join(json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v for v in values.values())


def check_template_output(
    rendered: RenderedTemplate, text: str, parsed: Any
) -> tuple[str, Any, list[Check], dict[str, list[int]]]:
    """Apply the template's checks to one generation: (text, output, checks, list items to regenerate)."""
    template = rendered.template
    schema = template.output_schema
    if schema is not None and parsed is None:
        return text, parsed, [Check(name="generated", ok=False, detail="no JSON output to check")], {}
    subject = parsed if schema is not None else text
    output, checks, redo = polish_output(
        template.checks,
        subject,
        schema,
        language=rendered.language,
        facts=_facts(rendered.variables),
        values=rendered.variables,
    )
    if schema is None:
        return output, None, checks, redo
    return json.dumps(output, ensure_ascii=False), output, checks, redo


def run_template(
    studio: Studio,
    template_id: str,
    variables: dict[str, Any],
    *,
    language: str | None = None,
    who: Caller = LOCAL,
    **overrides: Any,
) -> TemplateResult:
    """Render a template with ``variables``, run it and apply its checks; an output that does not parse
    is generated once more, near-duplicate list items are regenerated together in one request, each with an
    angle of its own (at most ``MAX_REPAIR_ATTEMPTS`` rounds), and what is still a near-duplicate is composed
    from the input's facts (the list's ``compose`` rule) or reported. Overrides: model, seed, temperature,
    max_tokens, top_p."""
    from .safety import text_fields

    studio.screen(text_fields(variables, "variables"), who, "text")  # names the variable a refusal is about
    template, rendered, request = prepare_template_run(studio, template_id, variables, language=language, **overrides)
    who = who.named(f"template:{template.id}")
    try:
        result = studio.generate_text(request, who=who)
    except SchemaViolation as exc:  # mostly a small model looping to max_tokens: one more try, against loops
        if request.response_format is None:
            raise
        log.info("template %s: %s; trying once more", template.id, exc)
        result = studio.generate_text(
            request.model_copy(
                update={
                    "seed": None if request.seed is None else seed_for(request.seed, 0, 1),
                    "frequency_penalty": request.frequency_penalty or LOOP_FREQUENCY_PENALTY,
                }
            ),
            who=who,
        )
    ids = [result.generation_id] if result.generation_id else []
    text, output, checks, redo = check_template_output(rendered, result.text, result.parsed)
    for attempt in range(1, MAX_REPAIR_ATTEMPTS + 1):
        if not redo:
            break
        for path, indices in redo.items():
            ids += _regenerate_items(studio, rendered, request, output, path, indices, attempt, result.seed, who)
        text, output, checks, redo = check_template_output(rendered, json.dumps(output, ensure_ascii=False), output)
    if redo:  # near-duplicates that regeneration did not fix: composed from the input's facts, re-checked
        repairs = compose_duplicates(template.checks, output, language=rendered.language, values=rendered.variables)
        if repairs:
            text, output, checks, redo = check_template_output(rendered, json.dumps(output, ensure_ascii=False), output)
            checks = [*checks, *repairs]
    return TemplateResult(
        template.id, rendered.language, result.model, result.seed, result.generation_id, text, output, checks, ids
    )


def _regenerate_items(
    studio: Studio,
    rendered: RenderedTemplate,
    request: TextRequest,
    output: dict[str, Any],
    path: str,
    indices: list[int],
    attempt: int,
    seed: int | None,
    who: Caller,
) -> list[str]:
    """Regenerate the items ``indices`` of the list ``path`` in one follow-up request, each from an angle of
    its own (no two items of a round share one), shown the items kept to differ from. One request, not one per
    item: each reads the whole prompt again (a seeded request does not reuse the prompt cache)."""
    template, lang = rendered.template, rendered.language
    rule = next(r for r in template.checks.lists if r.path == path)
    items = output[path]
    kept = [items[i] for i in range(len(items)) if i not in indices]
    shown = [x if isinstance(x, str) else " / ".join(str(x.get(f) or "") for f in rule.text) for x in kept]
    angles = [angle_for(i, attempt, len(items)).instruction(lang) for i in indices]
    k = len(indices)
    if lang == "zh":
        ask = "\n\n已经写好的（新写的要和它们明显不同，换用词、换开头、换结构）：\n" + "\n".join(
            f"- {x}" for x in shown
        )
        ask += f"\n请只写 {k} 条新的，" + (
            f"角度：{angles[0]}。"
            if k == 1
            else "每条一个角度：" + "；".join(f"{n}. {a}" for n, a in enumerate(angles, 1)) + "。"
        )
    else:
        ask = (
            "\n\nAlready written (each new one must clearly differ: other words, another opening, another structure):\n"
        )
        ask += "\n".join(f"- {x}" for x in shown)
        ask += (
            f"\nWrite only 1 new one, from this angle: {angles[0]}."
            if k == 1
            else f"\nWrite only {k} new ones, each from its own angle: "
            + "; ".join(f"{n}. {a}" for n, a in enumerate(angles, 1))
            + "."
        )
    schema = template.request_schema(rendered.variables, lang) or {}
    array = {**schema["properties"][path], "minItems": k, "maxItems": k}
    sub = {"type": "object", "properties": {path: array}, "required": [path]}
    messages = [*rendered.messages[:-1], {"role": "user", "content": rendered.messages[-1]["content"] + ask}]
    follow = TextRequest.model_validate(
        {
            **request.model_dump(exclude_none=True, by_alias=True),
            "messages": messages,
            "seed": seed_for(seed or 0, 101 + indices[0], attempt),
            "response_format": {"type": "json_schema", "json_schema": {"name": f"{template.id}-{path}", "schema": sub}},
        }
    )
    try:
        result = studio.generate_text(follow, who=who)
    except SchemaViolation as exc:
        log.info("template %s: regenerating %s%s failed: %s", template.id, path, indices, exc)
        return []
    for index, item in zip(indices, (result.parsed or {}).get(path) or []):
        items[index] = item
    return [result.generation_id] if result.generation_id else []
