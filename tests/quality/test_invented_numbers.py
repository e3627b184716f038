"""Numbers the input does not give: found when glued to Chinese, list numbering ignored, asides and dates removed."""

from __future__ import annotations

from zaowu.studio.quality.facts import drop_unsupported_numbers, unsupported_numbers
from zaowu.studio.templates import TemplateLibrary, check_template_output

NOTES_EN = "Sold 1,240 units this week, up 8% on last week; onboarded 2 new staff; fixed the POS outage on Tuesday"
REPORT_EN = """## Done this week
1. Sold 1,240 units, up 8% on last week.
2. Onboarded 2 new staff.
3. Fixed the POS outage on Tuesday.
## Key numbers
- Units sold: 1,240 (last week: 1,148)
- Revenue: $12,400
## Next week
- Prepare the holiday window display by December 15, 2026."""


def _texts(found):
    return [n.text for n in found]


def test_numbers_glued_to_chinese_are_read_in_the_copy_and_in_the_facts():
    assert _texts(unsupported_numbers("【麦香小屋】周日晚9点截止", "周末全场面包第二件半价")) == ["9"]
    assert unsupported_numbers("直播3场，成交订单860单", "直播3场，成交订单860单") == []
    assert _texts(unsupported_numbers("90-150码", "90到140码")) == ["150"]


def test_list_numbering_is_no_fact_but_a_number_in_the_line_is():
    assert unsupported_numbers("1. 上新12款\n2. 直播\n3、复盘\n## 4. 下周", "上新12款") == []
    assert _texts(unsupported_numbers("3. Sold 1,300 units", NOTES_EN)) == ["1,300"]
    assert _texts(unsupported_numbers("Up 3.5% this week", NOTES_EN)) == ["3.5%"]


def test_an_aside_or_date_goes_and_its_sentence_stays():
    fix = drop_unsupported_numbers("- Units sold: 1,240 (last week: 1,148)", NOTES_EN)
    assert fix.text == "- Units sold: 1,240" and fix.removed == ["last week: 1,148"]
    fix = drop_unsupported_numbers("- Prepare the holiday window display by December 15, 2026.", "holiday window")
    assert fix.text == "- Prepare the holiday window display." and fix.left == []
    fix = drop_unsupported_numbers("- 12月10日前准备双十二活动页面。", "准备双十二活动页面和优惠券")
    assert fix.text == "- 准备双十二活动页面。"
    fix = drop_unsupported_numbers("销量1240件（上周1148件），继续保持。", "销量1240件")
    assert fix.text == "销量1240件，继续保持。"


def test_weekly_report_keeps_the_notes_numbers_and_loses_invented_ones(tmp_path):
    template = TemplateLibrary.for_data_dir(tmp_path).get("weekly-report")
    rendered = template.render(
        {"role": "Store manager", "notes": NOTES_EN, "next_week": "Prepare the holiday window display"}, "en"
    )
    text, _, checks, _ = check_template_output(rendered, REPORT_EN, None)
    assert "1,148" not in text and "12,400" not in text and "2026" not in text
    for kept in (
        "1. Sold 1,240 units, up 8% on last week.",
        "2. Onboarded 2 new staff.",
        "3. Fixed the POS",
        "- Prepare the holiday window display.",
    ):
        assert kept in text
    assert unsupported_numbers(text, NOTES_EN) == []
    numbers = next(c for c in checks if c.name == "facts.numbers")
    assert numbers.ok and "1,148" in numbers.detail


def test_weekly_report_zh_numbers_checked(tmp_path):
    template = TemplateLibrary.for_data_dir(tmp_path).get("weekly-report")
    notes = "本周上新12款冬季外套；直播3场，成交订单860单；客服平均响应时长从70秒降到45秒"
    rendered = template.render({"role": "电商运营", "notes": notes, "next_week": "准备双十二活动页面和优惠券"}, "zh")
    report = (
        "## 本周完成\n1. 上新12款冬季外套\n2. 直播3场，成交订单860单，GMV约25万元\n"
        "## 关键数据\n- 响应时长从70秒降到45秒，提升36%\n## 下周计划\n- 12月10日前准备双十二活动页面"
    )
    text, _, checks, _ = check_template_output(rendered, report, None)
    assert unsupported_numbers(text, notes + "准备双十二活动页面和优惠券") == []
    assert "成交订单860单" in text and "从70秒降到45秒" in text and "准备双十二活动页面" in text
    assert next(c for c in checks if c.name == "facts.numbers").ok


def test_the_prompts_date_line_copied_into_store_copy_is_removed():
    from zaowu.apps.store_kit import check_brand
    from zaowu.studio.quality.dates import drop_date_echo

    assert drop_date_echo("Today is Tuesday, 1 December 2026. We pour candles.") == "We pour candles."
    assert drop_date_echo("今天是 2026年12月1日，星期二。我们做手工茶具。") == "我们做手工茶具。"
    plan = {
        "candidates": [{"name": "Eco Zen", "reason": "calm"}],
        "name": "Eco Zen",
        "tagline": "Calm candles",
        "about": "Today is Tuesday, 1 December 2026. We hand-pour soy candles, founded in 2019, from $18.",
        "products": [{"name": "Cedar", "price": 18, "description": "Cedar scent"}],
    }
    fixed, checks = check_brand(plan, "An online shop for hand-poured soy candles", "en")
    assert fixed["about"] == "We hand-pour soy candles, from $18."
    numbers = next(c for c in checks if c.name == "brand.facts.numbers")
    assert numbers.ok and "2019" in numbers.detail
