"""Office documents: an instruction → a real XLSX, DOCX or PPTX (and optionally its PDF).

The language model plans the content under the plan's JSON schema (constrained
decoding), ``office.from_llm`` repairs what a small model gets careless about (a chart
naming a column that doesn't exist, rows longer than the header…), then the office renderers
write the file: typed cells, formulas and a chart; headings, tables and styles; slides
on real layouts with speaker notes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ..studio.templates import Localized, detect_language
from ..studio.workflows import ArtifactRef, Step, StepContext, WorkflowRun, WorkflowSpec
from .base import LANGUAGE_FIELD, App, AppInput, input_field

_GUIDE = {
    ("xlsx", "zh"): "你是一名擅长做表格的办公助理。根据用户的要求设计一个 Excel 工作簿：列要有明确的表头和正确的类型"
                    "（金额用 currency，百分比用 percent，数量用 integer，日期用 date），数值列可以设合计（sum）或平均（average），"
                    "需要时加一个图表（category 是标签列的表头，values 是数值列的表头）。数据要具体、合理。只输出 JSON。",
    ("xlsx", "en"): "You are an office assistant who builds spreadsheets. Design an Excel workbook for the request: clear "
                    "headers with the right column types (currency for money, percent, integer for counts, date), totals "
                    "(sum or average) on numeric columns where useful, and a chart when it helps (category = the header of "
                    "the label column, values = headers of numeric columns). Use concrete, plausible data. JSON only.",
    ("docx", "zh"): "你是一名擅长写公文和报告的办公助理。根据用户的要求写一份 Word 文档：有标题、副标题、3-6 个带小标题的章节，"
                    "每章有段落，需要时用要点列表和表格。内容具体、专业。只输出 JSON。",
    ("docx", "en"): "You are an office assistant who writes reports and memos. Write a Word document for the request: a "
                    "title, a subtitle, 3-6 sections with headings and paragraphs, bullets and a table where they help. "
                    "Concrete and professional. JSON only.",
    ("pptx", "zh"): "你是一名擅长做演示文稿的办公助理。根据用户的要求设计一份 PPT：标题、副标题和 4-8 页幻灯片，"
                    "每页有标题和不超过 6 条简短要点（section 页用于分章，two_column 页用于对比），每页写演讲者备注。只输出 JSON。",
    ("pptx", "en"): "You are an office assistant who builds slide decks. Plan a deck for the request: a title, a subtitle "
                    "and 4-8 slides, each with a title and at most 6 short bullets (section slides divide parts, "
                    "two_column slides compare), and speaker notes for every slide. JSON only.",
}  # fmt: skip


class OfficeInput(AppInput):
    instruction: str = input_field(en="What should the document contain?", zh="要做什么文档", min_length=4, max_length=2000,
                             help_en="The kind of document, its content and purpose",
                             help_zh="写清楚文档类型、内容和用途")  # fmt: skip
    format: Literal["xlsx", "docx", "pptx"] = input_field("docx", en="Format", zh="格式", choices={
        "xlsx": ("Excel 表格", "Excel workbook"), "docx": ("Word 文档", "Word document"),
        "pptx": ("PPT 演示文稿", "PowerPoint deck")})  # fmt: skip
    pdf: bool = input_field(False, en="Also make a PDF", zh="同时生成 PDF")
    language: Literal["zh", "en"] | None = input_field(None, **LANGUAGE_FIELD)


class OfficeResult(BaseModel):
    format: str
    language: str
    title: str
    plan: dict[str, Any]
    file: ArtifactRef
    pdf: ArtifactRef | None = None


def plan_schema(fmt: str) -> dict[str, Any]:
    from ..studio.office import DeckPlan, DocumentPlan, WorkbookPlan

    return {"xlsx": WorkbookPlan, "docx": DocumentPlan, "pptx": DeckPlan}[fmt].llm_schema()


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
    description = Localized(zh="一句话说明要做什么，生成真正的 Excel（类型、公式、图表）、Word（标题、表格、样式）或 PPT（版式、演讲者备注）。",
                            en="Describe the document; get a real Excel (types, formulas, chart), Word (headings, "
                               "tables, styles) or PowerPoint (layouts, speaker notes) file.")  # fmt: skip
    Input = OfficeInput
    Result = OfficeResult
    examples = [
        {"instruction": "做一个小咖啡店 1-6 月的收入和成本表，按月列出收入、成本、利润率，并画收入柱状图", "format": "xlsx"},
        {"instruction": "A 5-slide deck introducing our new loyalty program to store staff", "format": "pptx"},
        {"instruction": "写一份社区读书会活动方案，包括目的、时间安排、分工和预算表", "format": "docx"},
    ]  # fmt: skip

    def workflow(self, input: OfficeInput) -> WorkflowSpec:
        lang = input.language or detect_language(input.instruction)
        budget = {"xlsx": 1400, "docx": 1800, "pptx": 1500}[input.format]
        return WorkflowSpec.model_validate({
            "id": "office-docs",
            "inputs": {"input": {"type": "object"}},
            "nodes": {
                "plan": {"step": "text.structured", "with": {
                    "system": _GUIDE[(input.format, lang)], "prompt": input.instruction,
                    "json_schema": plan_schema(input.format), "max_tokens": budget, "temperature": 0.5}},
                "repair": {"step": "office.repair_plan", "with": {"format": input.format, "plan": "${plan.output}",
                                                                  "language": lang}},
                "render": {"step": "office.render", "with": {"format": input.format, "plan": "${repair.plan}",
                                                             "name": "文档" if lang == "zh" else "document",
                                                             "pdf": input.pdf}},
            },
            "outputs": {"plan": "${render.plan}", "file": "${render.file}", "pdf": "${render.pdf}"},
        })  # fmt: skip

    def result(self, run: WorkflowRun, input: OfficeInput) -> OfficeResult:
        out = run.outputs or {}
        return OfficeResult(format=input.format, language=input.language or detect_language(input.instruction),
                            title=out["plan"].get("title", ""), plan=out["plan"], file=out["file"],
                            pdf=out.get("pdf"))  # fmt: skip
