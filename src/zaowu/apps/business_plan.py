"""Business plan: an idea → the 8-part lean plan as a table, in Markdown, XLSX and DOCX.

The plan comes from the ``business-plan`` template (JSON-schema constrained, told today's date),
then its numbers are checked (``quality.business``): a software business budgets hosting and
third-party services (missing lines are added, flagged as estimates), an item is not listed twice
at two amounts, a price per unit is the same wherever it is stated, a stated total is the sum of
the cost lines, and the total stays within the budget (the model is asked once more for the cost
lines when it does not, or when a line has no amount). The files come from the office renderers:
the XLSX has the plan table and a cost sheet whose total is a real ``=SUM`` formula with a pie
chart (reopened to verify it); the DOCX has the table and the cost breakdown. The result reports
every check (``checks``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..errors import SchemaViolation
from ..studio.quality import Check
from ..studio.steps import llm_request
from ..studio.templates import Localized, detect_language
from ..studio.workflows import ArtifactRef, Step, StepContext, WorkflowRun, WorkflowSpec
from .base import LANGUAGE_FIELD, App, AppInput, input_field

log = logging.getLogger(__name__)

MAX_COST_REGENERATIONS = 1  # re-asks for the cost lines when they exceed the budget or lack amounts
_ESTIMATE = {"zh": "（估算）", "en": " (estimate)"}

PARTS: list[tuple[str, str, str]] = [
    ("name", "名称", "Name"),
    ("pitch", "一句话介绍", "One-line pitch"),
    ("target_users", "目标用户与痛点", "Target users and pain points"),
    ("value_proposition", "价值主张与渠道", "Value proposition and channels"),
    ("revenue_and_costs", "收入与成本", "Revenue and costs"),
    ("key_activities", "关键活动、资源、伙伴与验证步骤", "Key activities, resources, partners and validation"),
    ("first_year_costs", "第一年费用估算", "First-year cost estimate"),
    ("risks", "风险与应对", "Risks and mitigations"),
]


class BusinessPlanInput(AppInput):
    idea: str = input_field(
        en="Business idea",
        zh="创业想法",
        help_en="What, for whom, where",
        help_zh="做什么、卖给谁、在哪里",
        min_length=4,
        max_length=1500,
    )
    budget: str | None = input_field(None, en="Starting budget", zh="启动预算", max_length=60)
    city: str | None = input_field(None, en="City or market", zh="城市或市场", max_length=60)
    language: Literal["zh", "en"] | None = input_field(None, **LANGUAGE_FIELD)


class PlanRow(BaseModel):
    part: str
    content: str


class CostItem(BaseModel):
    item: str
    amount: float
    added: bool = False  # a line the checks added (e.g. hosting for a software business); the amount is an estimate


class BusinessPlanResult(BaseModel):
    name: str
    pitch: str
    language: str
    table: list[PlanRow]
    costs: list[CostItem]
    total_cost: float
    currency: str
    markdown: str
    markdown_file: ArtifactRef
    xlsx: ArtifactRef
    docx: ArtifactRef
    checks: list[Check] = Field(default_factory=list)


def _item(cost: dict[str, Any], lang: str) -> str:
    return f"{cost['item']}{_ESTIMATE[lang]}" if cost.get("added") else str(cost["item"])


def plan_rows(plan: dict[str, Any], lang: str, currency: str) -> list[PlanRow]:
    rows = []
    for key, zh, en in PARTS:
        if key == "first_year_costs":
            costs = plan.get(key) or []
            total = sum(float(c.get("amount") or 0) for c in costs)
            sep = "；" if lang == "zh" else "; "
            items = sep.join(f"{_item(c, lang)} {currency}{float(c['amount']):,.0f}" for c in costs)
            content = (
                f"合计 {currency}{total:,.0f}：{items}" if lang == "zh" else f"Total {currency}{total:,.0f}: {items}"
            )
        else:
            content = str(plan.get(key) or "")
        rows.append(PlanRow(part=zh if lang == "zh" else en, content=content))
    return rows


def _markdown(plan: dict[str, Any], rows: list[PlanRow], lang: str) -> str:
    head = ("| 部分 | 内容 |" if lang == "zh" else "| Part | Content |") + "\n|---|---|\n"
    body = "\n".join(f"| {r.part} | {r.content.replace('|', '/').replace(chr(10), ' ')} |" for r in rows)
    title = f"# {plan.get('name', '')}\n\n> {plan.get('pitch', '')}\n\n"
    return title + head + body + "\n"


def workbook_plan(plan: dict[str, Any], rows: list[PlanRow], lang: str, currency: str) -> dict[str, Any]:
    zh = lang == "zh"
    costs = [[_item(c, lang), float(c["amount"])] for c in plan.get("first_year_costs") or []]
    return {
        "title": plan.get("name") or "Business plan",
        "language": lang,
        "currency": currency,
        "sheets": [
            {
                "name": "商业计划" if zh else "Plan",
                "columns": [{"header": "部分" if zh else "Part"}, {"header": "内容" if zh else "Content"}],
                "rows": [[r.part, r.content] for r in rows],
            },
            {
                "name": "第一年费用" if zh else "First-year costs",
                "columns": [
                    {"header": "项目" if zh else "Item"},
                    {"header": "金额" if zh else "Amount", "type": "currency", "total": "sum"},
                ],
                "rows": costs or [["—", 0]],
                "chart": {
                    "type": "pie",
                    "title": "第一年费用构成" if zh else "First-year costs",
                    "category": "项目" if zh else "Item",
                    "values": ["金额" if zh else "Amount"],
                },
            },
        ],
    }


def document_plan(plan: dict[str, Any], rows: list[PlanRow], lang: str, currency: str) -> dict[str, Any]:
    zh = lang == "zh"
    costs = [[_item(c, lang), f"{currency}{float(c['amount']):,.0f}"] for c in plan.get("first_year_costs") or []]
    return {
        "title": plan.get("name") or "Business plan",
        "subtitle": plan.get("pitch") or "",
        "language": lang,
        "sections": [
            {
                "heading": "商业计划概要" if zh else "Plan at a glance",
                "table": {
                    "headers": ["部分", "内容"] if zh else ["Part", "Content"],
                    "rows": [[r.part, r.content] for r in rows],
                },
            },
            {
                "heading": "第一年费用估算" if zh else "First-year cost estimate",
                "table": {"headers": ["项目", "金额"] if zh else ["Item", "Amount"], "rows": costs},
            },
        ],
    }


class BusinessPlanReview(Step):
    id = "business_plan.review"
    title = "Check a business plan's costs and prices; repair them or ask again for the cost lines"

    class Inputs(BaseModel):
        plan: dict[str, Any]
        idea: str
        language: Literal["zh", "en"]
        budget: str | None = None
        city: str | None = None
        today: dt.date

    class Outputs(BaseModel):
        plan: dict[str, Any]
        checks: list[Check]

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        from ..studio.quality.business import review_business_plan

        currency = _currency(inputs.language, inputs.budget)

        def check(plan: dict[str, Any]) -> tuple[dict[str, Any], list[Check]]:
            return review_business_plan(
                plan, idea=inputs.idea, budget=inputs.budget, language=inputs.language, currency=currency
            )

        plan, checks = check(inputs.plan)
        for attempt in range(MAX_COST_REGENERATIONS):
            failing = [c for c in checks if not c.ok and c.name in ("costs.budget", "costs.amounts")]
            if not failing:
                break
            costs = self._ask_costs(ctx, inputs, plan, failing, attempt)
            if costs:
                again, again_checks = check({**plan, "first_year_costs": costs})
                if sum(not c.ok for c in again_checks) < sum(not c.ok for c in checks):
                    plan, checks = again, again_checks
        return self.Outputs(plan=plan, checks=list(checks))

    def _ask_costs(
        self, ctx: StepContext, inputs: Inputs, plan: dict[str, Any], failing: list[Check], attempt: int
    ) -> list[dict[str, Any]] | None:
        """One focused re-generation of the cost lines only."""
        zh = inputs.language == "zh"
        lines = "\n".join(f"- {c.get('item')}: {c.get('amount')}" for c in plan.get("first_year_costs") or [])
        problems = "; ".join(c.detail for c in failing)
        if zh:
            system = (
                f"今天是 {inputs.today.isoformat()}。你是商业顾问。重新列出第一年的费用项目和金额（数字），每项都要有金额，"
                f"合计不超过启动预算{inputs.budget or ''}。只输出 JSON。"
            )
            prompt = f"创业想法：{inputs.idea}\n现有费用：\n{lines}\n问题：{problems}"
        else:
            system = (
                f"Today is {inputs.today.isoformat()}. You are a business advisor. List the first-year cost items "
                f"again with amounts (numbers), every item with an amount, the total within the starting budget "
                f"{inputs.budget or ''}. JSON only."
            )
            prompt = f"Business idea: {inputs.idea}\nCurrent costs:\n{lines}\nProblems: {problems}"
        item = {
            "type": "object",
            "properties": {
                "item": {"type": "string", "minLength": 1, "maxLength": 20},
                "amount": {"type": "number", "minimum": 0},
            },
            "required": ["item", "amount"],
            "additionalProperties": False,
        }
        schema = {
            "type": "object",
            "properties": {"first_year_costs": {"type": "array", "items": item, "minItems": 2, "maxItems": 8}},
            "required": ["first_year_costs"],
            "additionalProperties": False,
        }
        request = llm_request(ctx, system, prompt, schema=schema, max_tokens=400 if not zh else 700, temperature=0.4)
        request = request.model_copy(update={"seed": (ctx.seed + 104729 * (attempt + 1)) % 2**31})
        try:
            result = ctx.studio.generate_text(request, who=ctx.run_caller)
        except SchemaViolation as exc:
            log.info("cost lines re-generation failed: %s", exc)
            return None
        ctx.generation(result.generation_id)
        return (result.parsed or {}).get("first_year_costs")


class BusinessPlanFiles(Step):
    id = "business_plan.files"
    title = "Business plan table → Markdown, XLSX, DOCX"

    class Inputs(BaseModel):
        plan: dict[str, Any]
        language: Literal["zh", "en"]
        budget: str | None = None
        checks: list[Check] = Field(default_factory=list)

    class Outputs(BaseModel):
        markdown: str
        markdown_file: ArtifactRef
        xlsx: ArtifactRef
        docx: ArtifactRef
        table: list[PlanRow]
        currency: str
        checks: list[Check]

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        from ..studio import office
        from ..studio.steps import OFFICE_MIME

        lang, plan = inputs.language, inputs.plan
        currency = _currency(lang, inputs.budget)
        rows = plan_rows(plan, lang, currency)
        markdown = _markdown(plan, rows, lang)
        stem = "商业计划书" if lang == "zh" else "business-plan"
        md = ctx.artifact(markdown.encode("utf-8"), "text/markdown; charset=utf-8", f"{stem}.md")
        ctx.progress(0.3, "xlsx")
        xlsx = office.render_xlsx(office.parse_plan("xlsx", workbook_plan(plan, rows, lang, currency)))
        ctx.progress(0.6, "docx")
        docx = office.render_docx(office.parse_plan("docx", document_plan(plan, rows, lang, currency)))
        checks = [*inputs.checks, _verify_cost_sheet(xlsx, len(plan.get("first_year_costs") or []))]
        return self.Outputs(
            markdown=markdown,
            markdown_file=md,
            table=rows,
            currency=currency,
            checks=checks,
            xlsx=ctx.artifact(xlsx, OFFICE_MIME["xlsx"], f"{stem}.xlsx"),
            docx=ctx.artifact(docx, OFFICE_MIME["docx"], f"{stem}.docx"),
        )


def _verify_cost_sheet(xlsx: bytes, lines: int) -> Check:
    """The reopened cost sheet's total is a SUM over every cost line."""
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets[1]
    last = max(lines, 1) + 1
    want = f"=SUM(B2:B{last})"
    found = sheet.cell(last + 1, 2).value
    return Check(
        name="file.total",
        ok=found == want,
        detail=f"the cost sheet's total is {found}" + ("" if found == want else f", not {want}"),
    )


class BusinessPlan(App):
    id = "business-plan"
    title = Localized(zh="商业计划书", en="Business plan")
    description = Localized(
        zh="输入一个创业想法，得到 8 部分的精益商业计划表，并导出 Markdown、Excel 和 Word。",
        en="An idea → an 8-part lean business plan table, exported as Markdown, Excel and Word.",
    )
    Input = BusinessPlanInput
    Result = BusinessPlanResult
    examples = [
        {"idea": "在大学城开一家主打低糖健康饮品的小店，兼做外卖", "budget": "15 万元", "city": "武汉"},
        {
            "idea": "A mobile bike-repair van serving office parks, booked through a simple web page",
            "budget": "$20,000",
            "city": "Portland",
        },
    ]

    def workflow(self, input: BusinessPlanInput) -> WorkflowSpec:
        from ..studio.quality.today import today

        lang = input.language or detect_language(input.idea)
        day = today().isoformat()
        given = {"idea": input.idea, "budget": input.budget, "city": input.city}
        variables = {k: f"${{inputs.input.{k}}}" for k, v in given.items() if v} | {"today": day}
        return WorkflowSpec.model_validate(
            {
                "id": "business-plan",
                "inputs": {"input": {"type": "object"}},
                "nodes": {
                    "plan": {
                        "step": "text.template",
                        "with": {"template": "business-plan", "variables": variables, "language": lang},
                    },
                    "review": {
                        "step": "business_plan.review",
                        "with": {
                            "plan": "${plan.output}",
                            "idea": "${inputs.input.idea}",
                            "language": lang,
                            "today": day,
                            **{k: f"${{inputs.input.{k}}}" for k in ("budget", "city") if given[k]},
                        },
                    },
                    "files": {
                        "step": "business_plan.files",
                        "with": {
                            "plan": "${review.plan}",
                            "language": lang,
                            "budget": input.budget,
                            "checks": "${review.checks}",
                        },
                    },
                },
                "outputs": {
                    "plan": "${review.plan}",
                    **{k: f"${{files.{k}}}" for k in BusinessPlanFiles.Outputs.model_fields},
                },
            }
        )

    def result(self, run: WorkflowRun, input: BusinessPlanInput) -> BusinessPlanResult:
        out = run.outputs or {}
        plan, files = out["plan"], out
        costs = [
            CostItem(item=c["item"], amount=float(c["amount"]), added=bool(c.get("added")))
            for c in plan.get("first_year_costs") or []
        ]
        return BusinessPlanResult(
            name=plan.get("name", ""),
            pitch=plan.get("pitch", ""),
            language=input.language or detect_language(input.idea),
            table=files["table"],
            costs=costs,
            total_cost=sum(c.amount for c in costs),
            currency=files["currency"],
            markdown=files["markdown"],
            markdown_file=files["markdown_file"],
            xlsx=files["xlsx"],
            docx=files["docx"],
            checks=files.get("checks") or [],
        )


def _currency(lang: str, budget: str | None = None) -> str:
    for symbol in ("$", "€", "£", "¥"):
        if budget and symbol in budget:
            return symbol
    return "¥" if lang == "zh" else "$"
