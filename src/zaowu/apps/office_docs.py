"""Office documents: an instruction → a real XLSX, DOCX or PPTX (and optionally its PDF).

What the instruction states is parsed first (``quality.parse_constraints``: counts, the period with
its real dates, the interval, regions, columns and sections asked, sum or average, growth); when it
states enough, the file's skeleton is built in code (``office.skeleton``: a row per week of the
quarter, a column per region, a ``SUM`` row, growth formulas; a pitch deck's outline at the slide
count asked; the sections asked, in order) and the model only fills it (``office.fill``). Otherwise
the model plans the whole file under a schema sized to the request. Either way the plan is then
checked against the constraints and repaired where code can (``office.checks``), blanks are
re-asked a bounded number of times, the file is rendered and reopened to verify it, and every
check is reported in the result (``checks``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..errors import ContextLengthExceeded, SchemaViolation
from ..studio.quality import Check
from ..studio.steps import llm_request
from ..studio.templates import Localized, detect_language
from ..studio.workflows import ArtifactRef, Step, StepContext, WorkflowRun, WorkflowSpec
from .base import LANGUAGE_FIELD, App, AppInput, input_field

log = logging.getLogger(__name__)

MAX_FILL_ROUNDS = 2  # the fill, then one focused re-ask for what is still blank
MAX_PLAN_ATTEMPTS = 2  # whole-plan generations (no skeleton) before the run fails

_GUIDE = {
    ("xlsx", "zh"): "你是一名擅长做表格的办公助理。根据用户的要求设计一个 Excel 工作簿：列要有明确的表头和正确的类型"
    "（金额用 currency，百分比用 percent，数量用 integer，日期用 date），数值列可以设合计（sum）或平均（average），"
    "需要时加一个图表（category 是标签列的表头，values 是数值列的表头）。数据要具体、合理。只输出 JSON。",
    (
        "xlsx",
        "en",
    ): "You are an office assistant who builds spreadsheets. Design an Excel workbook for the request: clear "
    "headers with the right column types (currency for money, percent, integer for counts, date), totals "
    "(sum or average) on numeric columns where useful, and a chart when it helps (category = the header of "
    "the label column, values = headers of numeric columns). Use concrete, plausible data. JSON only.",
    (
        "docx",
        "zh",
    ): "你是一名擅长写公文和报告的办公助理。根据用户的要求写一份 Word 文档：有标题、副标题、3-6 个带小标题的章节，"
    "每章有段落，需要时用要点列表和表格。内容具体、专业。只输出 JSON。",
    (
        "docx",
        "en",
    ): "You are an office assistant who writes reports and memos. Write a Word document for the request: a "
    "title, a subtitle, 3-6 sections with headings and paragraphs, bullets and a table where they help. "
    "Concrete and professional. JSON only.",
    ("pptx", "zh"): "你是一名擅长做演示文稿的办公助理。根据用户的要求设计一份 PPT：标题、副标题和 4-8 页幻灯片，"
    "每页有标题和不超过 6 条简短要点（section 页只用于分章、不放要点，two_column 页用于对比），每页写演讲者备注。只输出 JSON。",
    (
        "pptx",
        "en",
    ): "You are an office assistant who builds slide decks. Plan a deck for the request: a title, a subtitle "
    "and 4-8 slides, each with a title and at most 6 short bullets (section slides only divide parts and "
    "hold no bullets, two_column slides compare), and speaker notes for every slide. JSON only.",
}


class OfficeInput(AppInput):
    instruction: str = input_field(
        en="What should the document contain?",
        zh="要做什么文档",
        min_length=4,
        max_length=2000,
        help_en="The kind of document, its content and purpose",
        help_zh="写清楚文档类型、内容和用途",
    )
    format: Literal["xlsx", "docx", "pptx"] = input_field(
        "docx",
        en="Format",
        zh="格式",
        choices={
            "xlsx": ("Excel 表格", "Excel workbook"),
            "docx": ("Word 文档", "Word document"),
            "pptx": ("PPT 演示文稿", "PowerPoint deck"),
        },
    )
    pdf: bool = input_field(False, en="Also make a PDF", zh="同时生成 PDF")
    language: Literal["zh", "en"] | None = input_field(None, **LANGUAGE_FIELD)


class OfficeResult(BaseModel):
    format: str
    language: str
    title: str
    plan: dict[str, Any]
    file: ArtifactRef
    pdf: ArtifactRef | None = None
    checks: list[Check] = Field(default_factory=list)


def plan_schema(fmt: str, constraints: Any = None) -> dict[str, Any]:
    """The whole-plan schema, its limits sized to what the request asks (never 12 rows when 13 are needed)."""
    from ..studio.office import DeckPlan, DocumentPlan, WorkbookPlan

    c = constraints
    if c is None:
        return {"xlsx": WorkbookPlan, "docx": DocumentPlan, "pptx": DeckPlan}[fmt].llm_schema()
    if fmt == "xlsx":
        return WorkbookPlan.llm_schema(
            max_sheets=max(2, c.count("sheet") or 0),
            max_columns=max(6, len(c.includes) + 1),
            max_rows=max(12, c.count("row", "item") or 0),
        )
    if fmt == "docx":
        return DocumentPlan.llm_schema(max_sections=max(6, c.count("section") or 0))
    return DeckPlan.llm_schema(max_slides=max(8, (c.count("slide", "page") or 0) - 1))


def _ask(
    ctx: StepContext,
    system: str,
    prompt: str,
    schema: dict[str, Any],
    max_tokens: int,
    attempt: int,
    temperature: float,
) -> Any:
    """One structured generation; a retry gets its own seed."""
    request = llm_request(ctx, system, prompt, schema=schema, max_tokens=max_tokens, temperature=temperature)
    if attempt:
        request = request.model_copy(update={"seed": (ctx.seed + 7919 * attempt) % 2**31})
    result = ctx.studio.generate_text(request, who=ctx.run_caller)
    ctx.generation(result.generation_id)
    return result.parsed


class _Asked(BaseModel):
    """What a step needs to know of the request: its words, the format, the language and the day it was made."""

    instruction: str
    format: Literal["xlsx", "docx", "pptx"]
    language: Literal["zh", "en"]
    today: dt.date


class ComposePlan(Step):
    id = "office.compose"
    title = "Plan an office file: constraints, skeleton, the model's content, checks and repairs"

    class Inputs(_Asked):
        pass

    class Outputs(BaseModel):
        plan: dict[str, Any]
        checks: list[Check]

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        from ..studio.office import from_llm
        from ..studio.office.checks import merge_checks, review
        from ..studio.office.fill import blank_parts
        from ..studio.office.skeleton import deck_skeleton, document_skeleton, workbook_skeleton
        from ..studio.quality.claims import scrub_claims_in

        fmt = inputs.format
        c = _constraints(inputs)
        build = {"xlsx": workbook_skeleton, "pptx": deck_skeleton, "docx": document_skeleton}[fmt]
        skeleton = build(c, inputs.instruction)
        ctx.progress(0.05, "skeleton" if skeleton else "plan")
        plan = skeleton if skeleton is not None else self._whole_plan(ctx, inputs, c)
        plan, checks = review(fmt, plan, c, skeleton)
        self._fill(ctx, inputs, c, plan)
        plan, after = review(fmt, plan, c, skeleton)
        plan = from_llm(fmt, plan).model_dump(mode="json")
        blanks = blank_parts(fmt, plan)
        checks = merge_checks(checks, after)
        rewritten = [c.text for c in scrub_claims_in(plan, inputs.instruction)]
        checks.add(
            "claims",
            True,
            f"repaired: rewrote {', '.join(repr(t) for t in rewritten[:8])}"
            if rewritten
            else "no unsupported absolute or comparative claims",
        )
        checks.add("content.filled", not blanks, f"still blank: {'; '.join(blanks)}" if blanks else "every part filled")
        return self.Outputs(plan=plan, checks=list(checks))

    def _whole_plan(self, ctx: StepContext, inputs: Inputs, c: Any) -> dict[str, Any]:
        from ..studio.office import from_llm

        budget = {"xlsx": 1400, "docx": 1800, "pptx": 1500}[inputs.format]
        system = f"{_today_line(inputs)}\n{_GUIDE[(inputs.format, inputs.language)]}"
        if summary := c.summary():
            system += ("\n要求：" if inputs.language == "zh" else "\nRequirements: ") + summary
        for attempt in range(MAX_PLAN_ATTEMPTS):
            try:
                output = _ask(ctx, system, inputs.instruction, plan_schema(inputs.format, c), budget, attempt, 0.5)
                return from_llm(inputs.format, {**output, "language": inputs.language}).model_dump(mode="json")
            except SchemaViolation:
                if attempt + 1 == MAX_PLAN_ATTEMPTS:
                    raise
                log.info("office plan did not fit its schema; asking again with another seed", exc_info=True)
        raise AssertionError("unreachable")

    def _fill(self, ctx: StepContext, inputs: Inputs, c: Any, plan: dict[str, Any]) -> None:
        from ..studio.office.fill import fill_request, merge_fill

        for attempt in range(MAX_FILL_ROUNDS):
            ctx.check()
            request = fill_request(
                inputs.format,
                plan,
                language=inputs.language,
                today=inputs.today,
                instruction=inputs.instruction,
                requirements=c.summary(),
            )
            if request is None:
                return
            ctx.progress(0.1 + 0.4 * attempt, "filling" if attempt == 0 else "filling what is still blank")
            try:
                answer = _ask(ctx, request.system, request.prompt, request.schema, request.max_tokens, attempt, 0.6)
            except (SchemaViolation, ContextLengthExceeded) as exc:
                log.info("office fill round %d failed: %s", attempt + 1, exc)
                continue
            filled = merge_fill(plan, request, answer)
            log.debug("office fill round %d filled %d parts", attempt + 1, filled)


def _constraints(inputs: Any) -> Any:
    from ..studio.quality.constraints import parse_constraints

    c = parse_constraints(inputs.instruction, today=inputs.today)
    return c.model_copy(update={"language": inputs.language})


def _today_line(inputs: Any) -> str:
    return (
        f"今天是 {inputs.today.isoformat()}。" if inputs.language == "zh" else f"Today is {inputs.today.isoformat()}."
    )


class VerifyFile(Step):
    id = "office.verify"
    title = "Reopen a rendered office file and check it against the request"

    class Inputs(_Asked):
        file: ArtifactRef
        plan: dict[str, Any]
        checks: list[Check] = Field(default_factory=list)

    class Outputs(BaseModel):
        checks: list[Check]

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        from ..studio.office.checks import merge_checks, verify_file

        data = ctx.studio.artifacts.read(inputs.file.id)
        found = verify_file(inputs.format, data, inputs.plan, _constraints(inputs))
        return self.Outputs(checks=list(merge_checks(inputs.checks, found)))


class RepairPlan(Step):
    id = "office.repair_plan"
    title = "Make a model-written office plan renderable"

    class Inputs(BaseModel):
        format: Literal["xlsx", "docx", "pptx"]
        plan: dict[str, Any]
        language: Literal["zh", "en"]

    class Outputs(BaseModel):
        plan: dict[str, Any]

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        from ..studio.office import from_llm

        plan = from_llm(inputs.format, {**inputs.plan, "language": inputs.language})
        return self.Outputs(plan=plan.model_dump(mode="json"))


class OfficeDocs(App):
    id = "office-docs"
    title = Localized(zh="办公文档", en="Office documents")
    description = Localized(
        zh="一句话说明要做什么，生成真正的 Excel（类型、公式、图表）、Word（标题、表格、样式）或 PPT（版式、演讲者备注）。",
        en="Describe the document; get a real Excel (types, formulas, chart), Word (headings, "
        "tables, styles) or PowerPoint (layouts, speaker notes) file.",
    )
    Input = OfficeInput
    Result = OfficeResult
    examples = [
        {
            "instruction": "做一个小咖啡店 1-6 月的收入和成本表，按月列出收入、成本、利润率，并画收入柱状图",
            "format": "xlsx",
        },
        {"instruction": "A 5-slide deck introducing our new loyalty program to store staff", "format": "pptx"},
        {"instruction": "写一份社区读书会活动方案，包括目的、时间安排、分工和预算表", "format": "docx"},
    ]

    def workflow(self, input: OfficeInput) -> WorkflowSpec:
        from ..studio.quality.constraints import parse_constraints
        from ..studio.quality.today import today

        day = today()
        lang = input.language or parse_constraints(input.instruction, today=day).language
        asked = {
            "instruction": "${inputs.input.instruction}",
            "format": input.format,
            "language": lang,
            "today": day.isoformat(),
        }
        return WorkflowSpec.model_validate(
            {
                "id": "office-docs",
                "inputs": {"input": {"type": "object"}},
                "nodes": {
                    "compose": {"step": "office.compose", "with": asked},
                    "render": {
                        "step": "office.render",
                        "with": {
                            "format": input.format,
                            "plan": "${compose.plan}",
                            "name": "文档" if lang == "zh" else "document",
                            "pdf": input.pdf,
                        },
                    },
                    "verify": {
                        "step": "office.verify",
                        "with": {
                            **asked,
                            "file": "${render.file}",
                            "plan": "${render.plan}",
                            "checks": "${compose.checks}",
                        },
                    },
                },
                "outputs": {
                    "plan": "${render.plan}",
                    "file": "${render.file}",
                    "pdf": "${render.pdf}",
                    "checks": "${verify.checks}",
                    "language": lang,
                },
            }
        )

    def result(self, run: WorkflowRun, input: OfficeInput) -> OfficeResult:
        out = run.outputs or {}
        return OfficeResult(
            format=input.format,
            language=out.get("language") or input.language or detect_language(input.instruction),
            title=out["plan"].get("title", ""),
            plan=out["plan"],
            file=out["file"],
            pdf=out.get("pdf"),
            checks=out.get("checks") or [],
        )
