"""Built-in workflow steps: run a template, ask for structured output, chat, design an image.

Each is a typed step (see workflows.py) registered through the same hook a plugin uses.
Steps that call a language model take an optional ``model``; otherwise the run's model
(an app's ``model`` argument) or the default chat model is used, with the node's seed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..hookspecs import hookimpl
from ..types import ImageRequest, TextRequest
from .artifacts import unprintable
from .templates import run_template
from .workflows import ArtifactRef, Step, StepContext

__all__ = [
    "TemplateStep",
    "StructuredStep",
    "ChatStep",
    "DesignStep",
    "TextFileStep",
    "OfficeStep",
    "llm_request",
    "TEXT_FILE_TYPES",
]

# The MIME types file.text may declare: inert text only. HTML, SVG, XML and scripts would run in a
# browser; the step stores UTF-8, so the only parameter allowed is charset=utf-8.
TEXT_FILE_TYPES = (
    "text/plain",
    "text/markdown",
    "text/csv",
    "text/tab-separated-values",
    "application/json",
    "application/x-ndjson",
    "application/yaml",
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _LLMIn(_In):
    model: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=8192)


class TemplateStep(Step):
    id = "text.template"
    title = "Run a prompt template"
    scope = "text"

    class Inputs(_LLMIn):
        template: str
        variables: dict[str, Any] = Field(default_factory=dict)
        language: str | None = None

    class Outputs(BaseModel):
        text: str
        output: Any = None
        language: str
        generation_id: str | None = None
        checks: list[dict[str, Any]] = Field(default_factory=list)

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        ctx.progress(0.0, f"template {inputs.template}")
        result = run_template(
            ctx.studio,
            inputs.template,
            inputs.variables,
            language=inputs.language,
            model=inputs.model or ctx.model,
            seed=ctx.seed,
            temperature=inputs.temperature,
            max_tokens=fit_max_tokens(ctx, inputs.model, inputs.max_tokens),
            who=ctx.run_caller,
        )
        for generation_id in result.generation_ids or [result.generation_id]:
            ctx.generation(generation_id)
        return self.Outputs(
            text=result.text,
            output=result.output,
            language=result.language,
            generation_id=result.generation_id,
            checks=[c.model_dump() for c in result.checks],
        )


def fit_max_tokens(ctx: StepContext, model: str | None, max_tokens: int | None) -> int | None:
    """A step's max_tokens is a budget, an upper bound: cut it to the model's context (the Studio
    refuses a max_tokens larger than the context, as a direct request must not ask for one)."""
    if max_tokens is None:
        return None
    context = ctx.studio.text_context(model or ctx.model)
    return min(max_tokens, context) if context else max_tokens


def llm_request(
    ctx: StepContext,
    system: str,
    prompt: str,
    *,
    schema: dict[str, Any] | None = None,
    model: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    name: str = "output",
    dated: bool = False,
) -> TextRequest:
    """A chat request with the node's seed and the run's model (for steps and apps); ``dated`` ends the
    system prompt with today's date (the ``today`` setting, else the system date) in its language."""
    if dated:
        from .quality.dates import date_line
        from .templates import detect_language

        day = getattr(ctx.studio.settings, "today", None)
        system = f"{system}\n\n{date_line(detect_language(system or prompt), day)}".strip()
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": prompt})
    response_format = {"type": "json_schema", "json_schema": {"name": name, "schema": schema}} if schema else None
    return TextRequest(
        model=model or ctx.model,
        messages=messages,
        response_format=response_format,
        seed=ctx.seed,
        temperature=temperature,
        max_tokens=fit_max_tokens(ctx, model, max_tokens),
    )


class StructuredStep(Step):
    id = "text.structured"
    title = "Structured output under a JSON schema"
    scope = "text"

    class Inputs(_LLMIn):
        system: str = ""
        prompt: str = Field(min_length=1)
        json_schema: dict[str, Any]
        dated: bool = False  # the system prompt ends with today's date

    class Outputs(BaseModel):
        output: Any
        text: str
        generation_id: str | None = None

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        request = llm_request(
            ctx,
            inputs.system,
            inputs.prompt,
            schema=inputs.json_schema,
            model=inputs.model,
            temperature=inputs.temperature,
            max_tokens=inputs.max_tokens,
            dated=inputs.dated,
        )
        result = ctx.studio.generate_text(request, who=ctx.run_caller)
        ctx.generation(result.generation_id)
        return self.Outputs(output=result.parsed, text=result.text, generation_id=result.generation_id)


class ChatStep(Step):
    id = "text.chat"
    title = "Chat"
    scope = "text"

    class Inputs(_LLMIn):
        system: str = ""
        prompt: str = Field(min_length=1)

    class Outputs(BaseModel):
        text: str
        generation_id: str | None = None

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        request = llm_request(
            ctx,
            inputs.system,
            inputs.prompt,
            model=inputs.model,
            temperature=inputs.temperature,
            max_tokens=inputs.max_tokens,
        )
        result = ctx.studio.generate_text(request, who=ctx.run_caller)
        ctx.generation(result.generation_id)
        return self.Outputs(text=result.text, generation_id=result.generation_id)


class DesignStep(Step):
    id = "image.design"
    title = "Design an image (poster, logo, product card…)"
    scope = "image"

    class Inputs(_In):
        prompt: str = Field(min_length=1)
        kind: str | None = None
        size: str | None = None
        n: int = Field(default=1, ge=1, le=8)
        format: str = "png"
        spec: dict[str, Any] | None = None
        model: str | None = None  # an image model; the design engine by default
        theme: dict[str, Any] | None = (
            None  # a decided category/occasion/mood/palette (a store's), else from the prompt
        )

    class Outputs(BaseModel):
        images: list[ArtifactRef]
        specs: list[dict[str, Any]] = Field(default_factory=list)
        marks: list[ArtifactRef] = Field(default_factory=list)  # a logo's transparent mark, one per image
        checks: list[dict[str, Any]] = Field(default_factory=list)
        generation_id: str | None = None

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        fields = inputs.model_dump(exclude_none=True, exclude={"theme"})
        request = ImageRequest(**fields, seed=ctx.seed)
        result = ctx.studio.generate_media(
            request,
            who=ctx.run_caller,
            progress=lambda f, m: ctx.progress(f, m),
            planner=ctx.model,
            hints={"theme": inputs.theme},
        )
        ctx.generation(result.generation_id)
        images = [
            ctx.adopt(
                {
                    "id": m.meta["artifact_id"],
                    "name": m.meta.get("name") or f"image.{inputs.format}",
                    "mime": m.mime,
                    "size_bytes": len(m.data),
                }
            )
            for m in result.media
        ]
        marks = [
            ctx.adopt(
                {
                    "id": m.meta["mark_artifact_id"],
                    "name": "mark.png",
                    "mime": "image/png",
                    "size_bytes": len(m.attachments["mark"].data),
                }
            )
            for m in result.media
            if "mark_artifact_id" in m.meta and "mark" in m.attachments
        ]
        specs = [m.meta["spec"] for m in result.media if isinstance(m.meta.get("spec"), dict)]
        checks = [c for m in result.media[:1] for c in m.meta.get("checks", [])]
        return self.Outputs(images=images, specs=specs, marks=marks, checks=checks, generation_id=result.generation_id)


class TextFileStep(Step):
    id = "file.text"
    title = "Save text as a file"

    class Inputs(_In):
        text: str
        name: str = Field(min_length=1, max_length=120)
        mime: str = Field("text/plain", description=f"one of {', '.join(TEXT_FILE_TYPES)}")

        @field_validator("name")
        @classmethod
        def _plain_name(cls, name: str) -> str:
            if (bad := unprintable(name)) is not None:
                raise ValueError(f"the file name contains a control character ({bad}); use a plain file name")
            return name

        @field_validator("mime")
        @classmethod
        def _inert_type(cls, mime: str) -> str:
            base, *params = (p.strip().lower() for p in mime.split(";"))
            if base not in TEXT_FILE_TYPES or any(p.replace(" ", "") != "charset=utf-8" for p in params):
                raise ValueError(
                    f"'{mime[:60]}' is not a text type this step stores; use one of "
                    f"{', '.join(TEXT_FILE_TYPES)} (optionally '; charset=utf-8'). HTML, SVG, XML "
                    "and scripts are refused"
                )
            return base

    class Outputs(BaseModel):
        file: ArtifactRef

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        mime = f"{inputs.mime}; charset=utf-8"
        return self.Outputs(file=ctx.artifact(inputs.text.encode("utf-8"), mime, inputs.name))


OFFICE_MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


class OfficeStep(Step):
    id = "office.render"
    title = "Render an office file (XLSX, DOCX, PPTX) from a content plan"

    class Inputs(_In):
        format: Literal["xlsx", "docx", "pptx"]
        plan: dict[str, Any]
        name: str = Field("document", min_length=1, max_length=80)
        pdf: bool = False

    class Outputs(BaseModel):
        file: ArtifactRef
        pdf: ArtifactRef | None = None
        plan: dict[str, Any]

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        from . import office

        plan = office.parse_plan(inputs.format, inputs.plan)
        render = {"xlsx": office.render_xlsx, "docx": office.render_docx, "pptx": office.render_pptx}[inputs.format]
        ctx.progress(0.1, f"rendering {inputs.format}")
        data = render(plan)
        file = ctx.artifact(data, OFFICE_MIME[inputs.format], f"{inputs.name}.{inputs.format}")
        pdf = None
        if inputs.pdf:
            ctx.progress(0.5, "converting to PDF")
            pdf = ctx.artifact(office.to_pdf(data, inputs.format), "application/pdf", f"{inputs.name}.pdf")
        return self.Outputs(file=file, pdf=pdf, plan=plan.model_dump(mode="json"))


@hookimpl
def register_workflow_steps(register):
    for step in (TemplateStep, StructuredStep, ChatStep, DesignStep, TextFileStep, OfficeStep):
        register(step)
