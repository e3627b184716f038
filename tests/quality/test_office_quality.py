"""Office documents and business plans that keep what the request asked: skeletons built in code from the
constraints (no model), repairs of hand-written bad plans, business-plan number rules, and one real
office-docs run with SmolLM2 whose reopened files hold the counts, dates and formulas asked."""

from __future__ import annotations

import datetime as dt
import io

import jsonschema
import openpyxl
import pptx
import pytest

from zaowu.apps.base import run_app
from zaowu.apps.office_docs import plan_schema
from zaowu.studio.office import WorkbookPlan, render
from zaowu.studio.office.checks import review, verify_file
from zaowu.studio.office.fill import blank_parts, fill_request, merge_fill
from zaowu.studio.office.skeleton import deck_skeleton, document_skeleton, pitch_outline, workbook_skeleton
from zaowu.studio.quality import Check
from zaowu.studio.quality.business import review_business_plan
from zaowu.studio.quality.constraints import parse_constraints
from zaowu.studio.quality.today import pinned_today

TODAY = dt.date(2026, 5, 4)
Q3_EN = "Weekly sales for Q3 2026 for East, West and North regions with a sum row and week-over-week growth"
Q3_ZH = "做一个华东、华南、华北三个地区2026年第三季度的周销售表，要有合计行和周环比增长"


def _c(text: str):
    return parse_constraints(text, today=TODAY)


def _checks(checks) -> dict:
    """Checks by name (results carry them as dicts)."""
    return {c.name: c for c in (Check.model_validate(c) for c in checks)}


def _filled(plan: dict, value: float = 100.0) -> dict:
    """The workbook with every blank value cell written (what a model's fill would do)."""
    for sheet in plan["sheets"]:
        for row in sheet["rows"]:
            for j, col in enumerate(sheet["columns"]):
                if row[j] is None and not col.get("growth_of"):
                    row[j] = value if col["type"] != "text" else "x"
                    value += 10
    return plan


# ---------------------------------------------------------------- skeletons, no model


def test_q3_workbook_has_a_row_per_week_a_column_per_region_a_sum_row_and_growth_formulas():
    c = _c(Q3_EN)
    plan = workbook_skeleton(c, Q3_EN)
    (sheet,) = plan["sheets"]
    headers = [col["header"] for col in sheet["columns"]]
    assert headers == ["Week", "Start", "End", "East", "East WoW", "West", "West WoW", "North", "North WoW"]
    rows = sheet["rows"]
    assert len(rows) in (13, 14)
    starts = [dt.date.fromisoformat(r[1]) for r in rows]
    ends = [dt.date.fromisoformat(r[2]) for r in rows]
    assert starts[0] == dt.date(2026, 7, 1) and ends[-1] == dt.date(2026, 9, 30)
    assert all(s.year == 2026 and dt.date(2026, 7, 1) <= s <= e <= dt.date(2026, 9, 30) for s, e in zip(starts, ends))
    assert all(nxt == end + dt.timedelta(days=1) for end, nxt in zip(ends, starts[1:]))  # no gap, no overlap
    totals = {col["header"]: col["total"] for col in sheet["columns"]}
    assert totals["East"] == totals["West"] == totals["North"] == "sum"

    data = render("xlsx", WorkbookPlan.model_validate(_filled(plan)))
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    last = len(rows) + 1
    assert ws.cell(last + 1, 1).value == "Total"
    assert [ws.cell(last + 1, j).value for j in (4, 6, 8)] == [f"=SUM({x}2:{x}{last})" for x in "DFH"]
    assert ws.cell(2, 5).value is None  # the first week has no previous week
    assert ws.cell(3, 5).value == '=IF(OR(D2="",D2=0,D3=""),"",D3/D2-1)'
    assert all(str(ws.cell(r, 9).value).startswith("=IF(") for r in range(3, last + 1))
    assert _checks(verify_file("xlsx", data, plan, c))["file.totals"].ok


def test_chinese_request_gets_the_same_layout_with_chinese_labels():
    plan = workbook_skeleton(_c(Q3_ZH), Q3_ZH)
    (sheet,) = plan["sheets"]
    headers = [col["header"] for col in sheet["columns"]]
    assert headers[:3] == ["周次", "开始日期", "结束日期"] and "华东" in headers and "华北周环比" in headers
    assert sheet["rows"][0][:3] == ["第1周", "2026-07-01", "2026-07-05"]
    ws = openpyxl.load_workbook(io.BytesIO(render("xlsx", _filled(plan)))).worksheets[0]
    assert ws.cell(len(sheet["rows"]) + 2, 1).value == "合计"


def test_an_explicit_week_count_is_honoured():
    text = "13 weeks of sales for Q3 2026, one row per week"
    rows = workbook_skeleton(_c(text), text)["sheets"][0]["rows"]
    assert len(rows) == 13 and rows[-1][2] == "2026-09-30"


def test_several_measures_get_a_sheet_per_region_and_an_average_stays_an_average():
    text = "Monthly revenue and orders for Q3 2026 for 3 stores: Downtown, Airport and Mall, with the average"
    plan = workbook_skeleton(_c(text), text)
    assert [s["name"] for s in plan["sheets"]] == ["Downtown", "Airport", "Mall"]
    for sheet in plan["sheets"]:
        assert [r[0] for r in sheet["rows"]] == ["2026-07", "2026-08", "2026-09"]
        assert {c["header"]: c["total"] for c in sheet["columns"]} == {
            "Month": "none",
            "Revenue": "average",
            "Orders": "average",
        }


def test_listed_products_are_rows_and_unnamed_ones_are_left_for_the_model():
    text = "A price list of 5 products with price and stock"
    sheet = workbook_skeleton(_c(text), text)["sheets"][0]
    assert len(sheet["rows"]) == 5 and [c["header"] for c in sheet["columns"]] == ["Product", "Price", "Stock"]
    assert all(r[0] is None for r in sheet["rows"])  # names are the model's to write


def test_fill_schema_is_sized_to_what_was_asked_and_keys_each_row():
    c = _c(Q3_EN)
    plan = workbook_skeleton(c, Q3_EN)
    request = fill_request("xlsx", plan, language="en", today=TODAY, instruction=Q3_EN, requirements=c.summary())
    rows = request.schema["properties"]["sheets"]["properties"]["Sales"]
    assert rows["minItems"] == rows["maxItems"] == 14 == len(rows["prefixItems"])
    assert rows["prefixItems"][0]["properties"]["Week"] == {"const": "Week 1"}
    assert set(rows["prefixItems"][0]["properties"]) == {"Week", "East", "West", "North"}  # no formulas asked for
    assert "Today is 2026-05-04" in request.system
    # the model's answer fills blanks only: labels, dates and formulas stay the code's
    answer = {
        "title": "Q3 2026 weekly sales",
        "sheets": {
            "Sales": [{"Week": f"Week {i + 1}", "East": 10 + i, "West": 20 + i, "North": 30 + i} for i in range(14)]
        },
    }
    jsonschema.validate(answer, request.schema)
    assert merge_fill(plan, request, answer) == 42 and blank_parts("xlsx", plan) == []
    assert plan["title"] == "Q3 2026 weekly sales" and plan["sheets"][0]["rows"][0][:4] == [
        "Week 1",
        "2026-07-01",
        "2026-07-05",
        10,
    ]
    # a whole-plan schema never caps rows below what was asked
    assert (
        plan_schema("xlsx", _c("a table of 20 rows"))["properties"]["sheets"]["items"]["properties"]["rows"]["maxItems"]
        >= 20
    )


def test_pitch_deck_outline_has_the_count_asked_on_content_layouts():
    text = "A 10-slide pitch deck for our SaaS startup"
    c = _c(text)
    plan = deck_skeleton(c, text)
    assert [s["title"] for s in plan["slides"]] == [
        "Problem",
        "Solution",
        "Market",
        "Product",
        "Business model",
        "Traction",
        "Team",
        "Financials",
        "The ask",
    ]
    assert all(s["kind"] == "content" for s in plan["slides"])
    for slide in plan["slides"]:
        slide["bullets"], slide["notes"] = ["one point", "another point"], "say it"
    deck = pptx.Presentation(io.BytesIO(render("pptx", plan)))
    assert len(deck.slides) == 10
    assert [s.slide_layout.name for s in deck.slides][1:] == ["Title and Content"] * 9
    assert pitch_outline(5, False) == ["Title", "Problem", "Solution", "Market", "The ask"]
    assert len(pitch_outline(12, True)) == 12 and pitch_outline(12, True)[-1] == "融资需求"


def test_document_sections_come_in_the_order_asked():
    text = "写一份社区读书会活动方案，包括目的、时间安排、分工和预算表"
    plan = document_skeleton(_c(text), text)
    assert [s["heading"] for s in plan["sections"]] == ["目的", "时间安排", "分工", "预算表"]
    request = fill_request("docx", plan, language="zh", today=TODAY, instruction=text)
    sections = request.schema["properties"]["sections"]["properties"]
    assert (
        list(sections) == ["1. 目的", "2. 时间安排", "3. 分工", "4. 预算表"]
        and "table" in sections["4. 预算表"]["properties"]
    )


# ---------------------------------------------------------------- repairs of hand-written bad plans


def _weekly_plan(weeks: list[int], total: str = "average", year: int = 2026) -> dict:
    """A model-written Q3 sheet: a row per given week (its first day in Q3), revenue only."""
    monday = dt.date(2026, 6, 29)
    starts = [max(monday + dt.timedelta(days=7 * i), dt.date(2026, 7, 1)).replace(year=year) for i in weeks]
    rows = [[f"Week {i + 1}", start.isoformat(), 1000 + i] for i, start in zip(weeks, starts)]
    return {
        "title": "Q3",
        "sheets": [
            {
                "name": "Sales",
                "rows": rows,
                "columns": [
                    {"header": "Week", "type": "text", "total": "none"},
                    {"header": "Week of", "type": "date", "total": "none"},
                    {"header": "Revenue", "type": "currency", "total": total},
                ],
            }
        ],
    }


def test_missing_weeks_come_back_blank_and_an_average_becomes_the_sum_asked():
    text = "Weekly sales for Q3 2026 with a sum row"
    c = _c(text)
    skeleton = workbook_skeleton(c, text)
    bad = _weekly_plan([w for w in range(14) if w not in (4, 9)])  # 12 of 14 weeks
    plan, checks = review("xlsx", bad, c, skeleton)
    rows = plan["sheets"][0]["rows"]
    assert len(rows) == 14 and rows[0][:3] == ["Week 1", "2026-07-01", "2026-07-05"]
    sales = [c["header"] for c in plan["sheets"][0]["columns"]].index("Sales")  # 'Revenue' written for 'Sales'
    assert [r[sales] for r in rows].count(None) == 2 and rows[3][sales] == 1003  # values kept on their weeks
    assert blank_parts("xlsx", plan) == ["Sales rows 5, 10"]  # what the model is asked for again
    found = _checks(checks)
    assert "added 2 missing rows" in found["count.rows.Sales"].detail
    assert {c["header"]: c["total"] for c in plan["sheets"][0]["columns"]}["Sales"] == "sum"
    assert found["totals"].detail == "repaired: 'Revenue' average → sum"


def test_dates_in_the_wrong_year_are_moved_into_the_period():
    text = "Weekly sales for Q3 2026 with a total"
    c = _c(text)
    plan, checks = review("xlsx", _weekly_plan(list(range(14)), total="sum", year=2023), c, None)
    assert plan["sheets"][0]["rows"][2][1] == "2026-07-13"
    assert _checks(checks)["dates.period"].detail.startswith("repaired: 14 dates moved")
    outside = _weekly_plan([0], total="sum")
    outside["sheets"][0]["rows"][0][1] = "2026-12-25"
    plan, checks = review("xlsx", outside, c, None)
    assert plan["sheets"][0]["rows"][0][1] == "2026-09-25"  # the wrong month: the same day inside Q3
    assert _checks(checks)["dates.period"].ok


def test_free_plan_gets_the_sum_the_growth_formulas_and_the_columns_asked():
    text = "做一个按月的收入表，列出收入、成本、利润率，要有合计和环比增长"
    plan = {
        "title": "收入表",
        "sheets": [
            {
                "name": "收入",
                "columns": [
                    {"header": "月份", "type": "text", "total": "none"},
                    {"header": "收入", "type": "currency", "total": "average"},
                    {"header": "环比增长", "type": "percent", "total": "none"},
                ],
                "rows": [["1月", 100, 0.1], ["2月", 120, 0.2]],
            }
        ],
    }
    fixed, checks = review("xlsx", plan, _c(text), None)
    columns = {c["header"]: c for c in fixed["sheets"][0]["columns"]}
    assert columns["收入"]["total"] == "sum"
    assert columns["环比增长"]["growth_of"] == "收入"  # typed numbers replaced by formulas
    assert {"成本", "利润率"} <= set(columns) and columns["利润率"]["type"] == "percent"
    ws = openpyxl.load_workbook(io.BytesIO(render("xlsx", _filled(fixed)))).worksheets[0]
    assert ws["C3"].value.startswith("=IF(") and ws["B4"].value == "=SUM(B2:B3)"
    assert all(c.ok for c in checks)


def test_content_slide_on_a_section_layout_is_moved_to_a_content_layout():
    text = "A 4-slide deck about our loyalty program"
    bad = {
        "title": "Loyalty",
        "slides": [
            {"title": "Why it matters", "kind": "section", "bullets": ["Members spend more", "They come back"]},
            {"title": "How it works", "kind": "content", "bullets": ["Earn points", "Redeem rewards"]},
            {"title": "Rollout", "kind": "section", "bullets": ["Start in May"]},
            {"title": "Extra", "kind": "content", "bullets": ["Too many slides"]},
        ],
    }
    c = _c(text)
    plan, checks = review("pptx", bad, c, None)
    assert [s["kind"] for s in plan["slides"]] == ["content"] * 3 and len(plan["slides"]) == 3
    assert "section header → content" in _checks(checks)["layout.slides"].detail
    assert _checks(checks)["count.slides"].ok
    found = _checks(verify_file("pptx", render("pptx", plan), plan, c))
    assert found["file.slides"].ok and found["file.layouts"].ok
    assert not _checks(verify_file("pptx", render("pptx", bad), bad, c))["file.layouts"].ok


def test_pitch_deck_missing_topics_get_slots_in_order():
    text = "A 5-slide investor pitch deck"
    c = _c(text)
    bad = {
        "title": "Acme",
        "slides": [
            {"title": "The Solution", "bullets": ["a", "b"]},
            {"title": "Our problem", "bullets": ["c", "d"]},
            {"title": "Random", "bullets": ["e"]},
        ],
    }
    plan, checks = review("pptx", bad, c, deck_skeleton(c, text))
    assert [s["title"] for s in plan["slides"]] == ["Our problem", "The Solution", "Market", "The ask"]
    assert blank_parts("pptx", plan) == ["slide 4", "slide 5"]
    assert "added Market, The ask" in _checks(checks)["outline.slides"].detail


def test_document_missing_or_misplaced_sections_are_put_in_order():
    text = "A report including Summary, Sales, Costs and Next steps"
    c = _c(text)
    bad = {
        "title": "Report",
        "sections": [
            {"heading": "Costs", "paragraphs": ["c"]},
            {"heading": "Summary", "paragraphs": ["s"]},
            {"heading": "Next steps", "paragraphs": ["n"]},
        ],
    }
    plan, checks = review("docx", bad, c, document_skeleton(c, text))
    assert [s["heading"] for s in plan["sections"]] == ["Summary", "Sales", "Costs", "Next steps"]
    assert blank_parts("docx", plan) == ["section 2"]
    assert "put in the order asked" in _checks(checks)["sections.order"].detail


# ---------------------------------------------------------------- business plans


def _business(costs: list[tuple[str, float]], **text: str) -> dict:
    plan = dict.fromkeys(
        ("name", "pitch", "target_users", "value_proposition", "revenue_and_costs", "key_activities", "risks"), ""
    )
    return {**plan, **text, "first_year_costs": [{"item": i, "amount": a} for i, a in costs]}


def test_saas_budget_without_hosting_or_apis_gets_flagged_estimates():
    plan = _business([("Salaries", 15000), ("Marketing", 3000)], pitch="Booking software for salons")
    fixed, checks = review_business_plan(
        plan, idea="A SaaS booking tool for hair salons", budget="$30,000", currency="$"
    )
    added = [c for c in fixed["first_year_costs"] if c.get("added")]
    assert [c["item"] for c in added] == ["Cloud hosting and servers", "APIs and third-party services"]
    assert all(c["amount"] > 0 for c in added)
    assert "estimate" in _checks(checks)["costs.required"].detail
    already = _business([("Salaries", 15000), ("AWS hosting", 900), ("Stripe and SMS APIs", 600)])
    kept, checks = review_business_plan(already, idea="SaaS for salons", budget="$30,000", currency="$")
    assert not any(c.get("added") for c in kept["first_year_costs"])
    zh, _ = review_business_plan(
        _business([("房租", 36000)]), idea="做一个帮餐馆排班的小程序", language="zh", currency="¥"
    )
    assert [c["item"] for c in zh["first_year_costs"] if c.get("added")] == ["云服务器与托管", "API 与第三方服务"]
    plain, _ = review_business_plan(_business([("Van", 9000)]), idea="A mobile bike-repair van", currency="$")
    assert len(plain["first_year_costs"]) == 1  # no software, nothing added


def test_contradicting_prices_and_duplicate_items_are_resolved_and_totals_agree():
    plan = _business(
        [("Rent", 12000), ("Marketing", 3000), ("Rent", 15000)],
        pitch="Bike repairs at $30 per repair",
        revenue_and_costs="We charge $25 per repair; total first-year costs of $40,000.",
        key_activities="Tiers: $30 per repair, $20 per repair",
    )
    fixed, checks = review_business_plan(plan, idea="A bike-repair van", budget="$20,000", currency="$")
    assert [(c["item"], c["amount"]) for c in fixed["first_year_costs"]] == [("Rent", 12000), ("Marketing", 3000)]
    assert "$30 per repair" in fixed["revenue_and_costs"] and "$25" not in fixed["revenue_and_costs"]
    assert "$15,000" in fixed["revenue_and_costs"]  # the stated total is the sum of the lines
    assert fixed["key_activities"] == "Tiers: $30 per repair, $20 per repair"  # tiers within one part stay
    found = _checks(checks)
    assert "contradicting" in found["costs.duplicates"].detail and found["costs.budget"].ok
    zh, _ = review_business_plan(
        _business([("房租", 36000)], pitch="奶茶每杯15元", revenue_and_costs="客单价25元，每杯18元"),
        idea="奶茶店",
        language="zh",
        currency="¥",
    )
    assert "每杯15元" in zh["revenue_and_costs"] and "客单价25元" in zh["revenue_and_costs"]


def test_costs_over_the_budget_are_scaled_to_it_and_missing_amounts_reported():
    fixed, checks = review_business_plan(
        _business([("Van", 30000), ("Tools", 0)]), idea="A bike-repair van", budget="$20,000", currency="$"
    )
    found = _checks(checks)
    assert found["costs.budget"].ok and "scaled" in found["costs.budget"].detail
    assert [(c["item"], c["amount"]) for c in fixed["first_year_costs"]] == [("Van", 19000), ("Tools", 0)]
    assert not found["costs.amounts"].ok and "Tools" in found["costs.amounts"].detail
    tiny = _checks(review_business_plan(_business([("Van", 30)]), idea="van", budget="15 万元", currency="¥")[1])
    assert not tiny["costs.budget"].ok


# ---------------------------------------------------------------- a real run with SmolLM2


@pytest.mark.slow
def test_office_docs_run_keeps_the_counts_dates_and_formulas_asked(studio):
    with pinned_today(TODAY):
        run = run_app(studio, "office-docs", {"instruction": Q3_EN, "format": "xlsx"}, seed=3)
        deck_run = run_app(
            studio,
            "office-docs",
            {"instruction": "A 5-slide pitch deck for a bike-repair van", "format": "pptx"},
            seed=3,
        )
    r = run.result
    checks = _checks(r["checks"])
    assert {"count.rows.Sales", "totals", "dates.period", "file.totals", "file.growth", "content.filled"} <= set(checks)
    ws = openpyxl.load_workbook(io.BytesIO(studio.artifacts.read(r["file"]["id"]))).worksheets[0]
    header = [c.value for c in ws[1]]
    assert {"East", "West", "North"} <= set(header)
    weeks = [row for row in ws.iter_rows(min_row=2, values_only=True) if str(row[0]).startswith("Week")]
    assert len(weeks) in (13, 14) and ws.cell(len(weeks) + 2, 1).value == "Total"
    assert all(dt.date(2026, 7, 1) <= row[1].date() <= row[2].date() <= dt.date(2026, 9, 30) for row in weeks)
    east = header.index("East") + 1
    letter = openpyxl.utils.get_column_letter(east)
    assert ws.cell(len(weeks) + 2, east).value == f"=SUM({letter}2:{letter}{len(weeks) + 1})"
    assert str(ws.cell(3, header.index("East WoW") + 1).value).startswith("=IF(")
    if checks["content.filled"].ok:  # what the model left blank is reported, never shipped silently
        assert all(isinstance(row[east - 1], (int, float)) for row in weeks)

    deck = pptx.Presentation(io.BytesIO(studio.artifacts.read(deck_run.result["file"]["id"])))
    assert len(deck.slides) == 5 and _checks(deck_run.result["checks"])["file.slides"].ok
    assert [s.slide_layout.name for s in deck.slides][1:] == ["Title and Content"] * 4
    assert [s.shapes.title.text for s in deck.slides][1:] == ["Problem", "Solution", "Market", "The ask"]
