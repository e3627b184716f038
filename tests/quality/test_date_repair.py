"""Dates outside the requested period, moved into it in code: on real model outputs of the full bench
(qwen2.5-coder-1.5b, 2026-12-01), checked with the bench's own date reader."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

from zaowu.studio.office.checks import review
from zaowu.studio.quality.constraints import parse_constraints
from zaowu.studio.quality.outputs import OutputChecks, polish_output
from zaowu.studio.quality.redate import move_dates, request_periods
from zaowu.studio.quality.today import pinned_today

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_quality", ROOT / "bench" / "quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_quality"] = module
    spec.loader.exec_module(module)
    return module


def _outside(bench, text: str, period: str) -> list[dt.date]:
    span = bench.parse_period(period, TODAY)
    year = TODAY.year if span.any_year else span.start.year
    return [d for d in bench.find_dates(text, year) if not span.contains(d)]


EMAIL = (
    "Use code WARM25 to save 25% on all Hearth & Wick soy candles from November 27th to December 30th. "
    "Ideal for any occasion, from cozy nights in bed to outdoor gatherings."
)
FACTS = "Hand-poured in Portland; 40-hour burn time; Black Friday: 25% off all candles Nov 27-30 with code WARM25"


def test_an_english_day_past_the_sale_moves_to_the_same_day_inside_it(bench):
    periods = request_periods(FACTS, TODAY)
    assert [(p.start, p.end) for p in periods] == [(dt.date(2026, 11, 27), dt.date(2026, 11, 30))]  # not 'Friday'
    assert _outside(bench, EMAIL, "--11-27..--11-30")  # the real output fails the bench
    moved = move_dates(EMAIL, periods)
    assert "from November 27th to November 30th." in moved.text
    assert moved.moved == ["December 30th → November 30th"]
    assert not _outside(bench, moved.text, "--11-27..--11-30")
    assert move_dates(moved.text, periods).moved == []  # the check re-run finds nothing left


def test_a_template_letter_dated_today_is_dated_inside_the_holiday(bench):
    details = "春节放假：2027年2月5日至2月12日暂停发货，2月13日起恢复发货，期间可以正常下单"
    text = "我们将于2027年2月5日至2月12日暂停发货，2月13日起恢复发货。\n\n感谢您的理解与支持！\n\n花间集女装\n2026年12月1日"
    assert _outside(bench, text, "2027-02")
    checks = OutputChecks(numbers=True)
    with pinned_today(TODAY):
        output, found, _ = polish_output(checks, text, None, language="zh", facts=details, values={})
    assert output.endswith("花间集女装\n2027年2月5日") and "2月13日起恢复发货" in output  # request dates kept
    assert not _outside(bench, output, "2027-02")
    by_name = {c.name: c for c in found}
    assert by_name["dates.period"].ok and "repaired" in by_name["dates.period"].detail
    assert by_name["facts.numbers"].ok  # 2026 is gone, so no invented number is left


def test_a_document_dated_in_the_wrong_month_is_moved_into_the_month_asked(bench):
    instruction = "写一份社区读书会活动方案，包括目的、时间安排（2027年1月每周六下午）、人员分工和预算表"
    section = {
        "heading": "时间安排（2027年1月每周六下午）",
        "level": 1,
        "paragraphs": ["时间安排：每周六下午，具体日期如下：", "2027-12-01: 开始活动，介绍活动规则和流程"],
        "bullets": ["每周六下午，具体日期如下：2027-12-01: 开始活动，介绍活动规则和流程"],
        "table": {"headers": ["日期", "活动内容"], "rows": [["2027-12-01", "活动开始，介绍活动规则和流程"]]},
    }
    plan, checks = review("docx", {"title": "读书会", "sections": [section]}, parse_constraints(instruction, TODAY))
    fixed = plan["sections"][0]
    texts = [*fixed["paragraphs"], *fixed["bullets"], *[c for row in fixed["table"]["rows"] for c in row]]
    assert fixed["paragraphs"][1] == "2027-01-01: 开始活动，介绍活动规则和流程"
    assert not [d for t in texts for d in _outside(bench, t, "2027-01")]
    check = {c.name: c for c in checks}["dates.period"]
    assert check.ok and check.detail.startswith("repaired: 3 dates moved")


def test_style_is_kept_and_dates_inside_are_left_alone():
    periods = request_periods("Spring sale 2027-03-01 to 2027-03-15", TODAY)
    moved = move_dates("Dec. 3, 2027 · 3rd April · 2027/03/09 · 2027年04月02日", periods)
    assert moved.text == "Mar. 3, 2027 · 3rd March · 2027/03/09 · 2027年03月02日"
    assert move_dates("no dates here, 25% off", periods).moved == []
