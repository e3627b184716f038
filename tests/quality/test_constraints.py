"""What a request states, parsed before generation: counts with their noun, periods resolved against a
fixed today (year boundaries, weekdays, quarters, never a past year for "this"/"next"), durations,
channels, language, required columns/sections, totals, growth and named lists — zh and en."""

from __future__ import annotations

import datetime as dt

import pytest

from zaowu.studio.quality.constraints import parse_constraints
from zaowu.studio.quality.periods import find_periods, number
from zaowu.studio.quality.today import pinned_today, today

D = dt.date
MON = D(2026, 5, 4)  # a Monday
WED = D(2026, 5, 6)
SAT = D(2026, 5, 9)
SUN = D(2026, 5, 10)


@pytest.mark.parametrize(
    "text,noun,value",
    [
        ("weekly sales for 3 regions", "region", 3),
        ("做三个地区的周销售表", "region", 3),
        ("an 8-slide deck", "slide", 8),
        ("a 10-slide pitch deck", "slide", 10),
        ("做一个8页的路演PPT", "page", 8),
        ("10张幻灯片介绍新品", "slide", 10),
        ("a table of 5 products", "product", 5),
        ("五款产品的价格表", "product", 5),
        ("write 4 variants of the caption", "variant", 4),
        ("写4个版本的文案", "variant", 4),
        ("sales over the next 13 weeks", "week", 13),
        ("未来13周的排班", "week", 13),
        ("a report with four sections", "section", 4),
        ("两家门店的月度对比", "store", 2),
        ("three different headlines", "headline", 3),
        ("a 3-slide deck introducing our loyalty program", "slide", 3),
        ("Top 5 best-selling products", "product", 5),
    ],
)
def test_counts_keep_their_noun(text, noun, value):
    assert parse_constraints(text, today=MON).counts[noun] == value


@pytest.mark.parametrize(
    "text,absent",
    [
        ("2026年第三季度的销售", "quarter"),  # Q3, not three quarters
        ("三季度销售表", "quarter"),
        ("sales for Q3 2026", "quarter"),
        ("13周三个地区", "day"),  # 周三 after a number is not Wednesday, and nothing counts days
        ("a budget of $20,000 for 2026", "year"),
        ("1-6 月的收入表", "month"),  # a range of months, not six of them
        ("a 30-second video", "second"),
    ],
)
def test_numbers_that_are_not_counts(text, absent):
    assert absent not in parse_constraints(text, today=MON).counts


def test_a_listed_set_counts_as_its_size():
    c = parse_constraints("Weekly sales for East, West and North regions", today=MON)
    assert c.names("region") == ["East", "West", "North"] and c.count("region") == 3
    assert "region" not in c.counts  # stated by the list, not by a number


@pytest.mark.parametrize(
    "text,names",
    [
        ("Weekly sales for Q3 2026 for East, West and North regions", ["East", "West", "North"]),
        ("做一个华东、华南、华北三个地区的周销售表", ["华东", "华南", "华北"]),
        ("统计华东、华南和华北地区的销量", ["华东", "华南", "华北"]),
        ("a table of 3 stores (Downtown, Airport, Mall)", ["Downtown", "Airport", "Mall"]),
        ("regions: North, South and Central.", ["North", "South", "Central"]),
        ("产品有拿铁、美式和摩卡，按月统计", ["拿铁", "美式", "摩卡"]),
        ("compare latte, mocha and espresso drinks", ["latte", "mocha", "espresso"]),
    ],
)
def test_named_lists(text, names):
    c = parse_constraints(text, today=MON)
    assert names in c.entities.values()


@pytest.mark.parametrize(
    "text,day,start,end",
    [
        # quarters, explicit and bare (the nearest occurrence: Q1 said in November is next year's)
        ("weekly sales for Q3 2026", MON, D(2026, 7, 1), D(2026, 9, 30)),
        ("2026 Q3 report", MON, D(2026, 7, 1), D(2026, 9, 30)),
        ("2026年第三季度的周销售", MON, D(2026, 7, 1), D(2026, 9, 30)),
        ("third quarter of 2027", MON, D(2027, 7, 1), D(2027, 9, 30)),
        ("三季度销售表", D(2026, 10, 20), D(2026, 7, 1), D(2026, 9, 30)),
        ("plan for Q1", D(2026, 11, 20), D(2027, 1, 1), D(2027, 3, 31)),
        ("this quarter", D(2026, 12, 31), D(2026, 10, 1), D(2026, 12, 31)),
        ("本季度", D(2026, 2, 1), D(2026, 1, 1), D(2026, 3, 31)),
        ("next quarter", D(2026, 11, 2), D(2027, 1, 1), D(2027, 3, 31)),
        ("下个季度的目标", D(2026, 11, 2), D(2027, 1, 1), D(2027, 3, 31)),
        ("last quarter", D(2026, 2, 1), D(2025, 10, 1), D(2025, 12, 31)),
        # weekdays: this = the coming one (never in the past), next/下 = next week's
        ("this Saturday", WED, SAT, SAT),
        ("this Saturday", SAT, SAT, SAT),
        ("this Saturday", SUN, D(2026, 5, 16), D(2026, 5, 16)),
        ("本周六开业", WED, SAT, SAT),
        ("本周六开业", SUN, D(2026, 5, 16), D(2026, 5, 16)),
        ("周六促销", WED, SAT, SAT),
        ("下周六", WED, D(2026, 5, 16), D(2026, 5, 16)),
        ("next Saturday", WED, D(2026, 5, 16), D(2026, 5, 16)),
        ("上周六", WED, D(2026, 5, 2), D(2026, 5, 2)),
        ("星期天", SAT, SUN, SUN),
        ("下周一到周五", WED, D(2026, 5, 11), D(2026, 5, 15)),
        ("this weekend", WED, SAT, SUN),
        ("本周末", SUN, SAT, SUN),
        ("this week", WED, MON, SUN),
        ("下周", WED, D(2026, 5, 11), D(2026, 5, 17)),
        # months and years, across year boundaries
        ("next month", D(2026, 12, 15), D(2027, 1, 1), D(2027, 1, 31)),
        ("下个月上线", D(2026, 12, 15), D(2027, 1, 1), D(2027, 1, 31)),
        ("本月", D(2026, 2, 10), D(2026, 2, 1), D(2026, 2, 28)),
        ("上个月", D(2026, 1, 10), D(2025, 12, 1), D(2025, 12, 31)),
        ("last year", D(2026, 1, 1), D(2025, 1, 1), D(2025, 12, 31)),
        ("去年", D(2026, 1, 1), D(2025, 1, 1), D(2025, 12, 31)),
        ("this year", D(2026, 12, 31), D(2026, 1, 1), D(2026, 12, 31)),
        ("明年的预算", D(2026, 12, 31), D(2027, 1, 1), D(2027, 12, 31)),
        ("this December", D(2027, 1, 10), D(2027, 12, 1), D(2027, 12, 31)),
        ("next March", MON, D(2027, 3, 1), D(2027, 3, 31)),
        ("今年3月", MON, D(2026, 3, 1), D(2026, 3, 31)),
        ("March 2026", MON, D(2026, 3, 1), D(2026, 3, 31)),
        ("2026年7月", MON, D(2026, 7, 1), D(2026, 7, 31)),
        ("做一个 1-6 月的收入表", MON, D(2026, 1, 1), D(2026, 6, 30)),
        ("January to June 2027", MON, D(2027, 1, 1), D(2027, 6, 30)),
        ("下半年", MON, D(2026, 7, 1), D(2026, 12, 31)),
        ("H1 2027", MON, D(2027, 1, 1), D(2027, 6, 30)),
        ("in 2026", MON, D(2026, 1, 1), D(2026, 12, 31)),
        # explicit dates and ranges
        ("2026-07-01", MON, D(2026, 7, 1), D(2026, 7, 1)),
        ("2026年7月1日开业", MON, D(2026, 7, 1), D(2026, 7, 1)),
        ("from 2026-07-01 to 2026-07-31", MON, D(2026, 7, 1), D(2026, 7, 31)),
        ("7月1日至9月30日", MON, D(2026, 7, 1), D(2026, 9, 30)),
        ("12月28日到1月3日", D(2026, 12, 1), D(2026, 12, 28), D(2027, 1, 3)),
        ("July 1 - August 15, 2026", MON, D(2026, 7, 1), D(2026, 8, 15)),
        ("June 20, 2026", MON, D(2026, 6, 20), D(2026, 6, 20)),
        ("today", MON, MON, MON),
        ("明天", D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 1)),
        ("past 3 months", MON, D(2026, 2, 5), MON),
        ("近7天", MON, D(2026, 4, 28), MON),
        ("next 2 weeks", MON, MON, D(2026, 5, 17)),
    ],
)
def test_periods_resolve_against_today(text, day, start, end):
    periods = find_periods(text, day)
    assert periods, text
    assert (periods[0].start, periods[0].end) == (start, end)


@pytest.mark.parametrize(
    "text,day",
    [
        ("this Saturday", D(2026, 12, 27)),
        ("next month", D(2026, 12, 2)),
        ("next quarter", D(2026, 12, 30)),
        ("本周六", D(2026, 12, 27)),
        ("下个月", D(2026, 12, 2)),
        ("下季度", D(2026, 12, 30)),
        ("明年", D(2026, 12, 31)),
        ("this December", D(2027, 1, 10)),
        ("this weekend", D(2026, 12, 31)),
    ],
)
def test_this_and_next_never_land_in_the_past(text, day):
    period = find_periods(text, day)[0]
    assert period.end >= day and period.start.year >= day.year


@pytest.mark.parametrize("text", ["every Saturday", "每周六营业", "2000 units", "a 30-second video", "13周三个地区"])
def test_words_that_are_not_periods(text):
    assert find_periods(text, MON) == []


@pytest.mark.parametrize(
    "text,seconds",
    [
        ("a 30-second Douyin script", 30),
        ("30 seconds", 30),
        ("30s video for TikTok", 30),
        ("30秒短视频", 30),
        ("1分钟的视频", 60),
        ("一分钟", 60),
        ("1分30秒", 90),
        ("一分半的片子", 90),
        ("a 2-minute video", 120),
        ("1 minute 30 seconds", 90),
        ("half a minute", 30),
        ("两分钟", 120),
    ],
)
def test_durations(text, seconds):
    assert parse_constraints(text, today=MON).duration_s == seconds


def test_people_in_their_30s_is_not_a_duration():
    assert parse_constraints("for women in their 30s", today=MON).durations == []


@pytest.mark.parametrize(
    "text,channels",
    [
        ("写一篇小红书笔记", ["xiaohongshu"]),
        ("发朋友圈的文案", ["wechat_moments"]),
        ("公众号推文", ["wechat"]),
        ("Instagram and TikTok captions", ["tiktok", "instagram"]),
        ("抖音短视频脚本", ["douyin"]),
        ("a newsletter email", ["email"]),
        ("淘宝商品标题", ["taobao"]),
    ],
)
def test_channels(text, channels):
    assert parse_constraints(text, today=MON).channels == channels


@pytest.mark.parametrize(
    "text,language,explicit,bilingual",
    [
        ("做一个周销售表", "zh", False, False),
        ("weekly sales", "en", False, False),
        ("用英文写一份产品介绍", "en", True, False),
        ("Write the menu in Chinese", "zh", True, False),
        ("中英双语的菜单", "zh", False, True),
        ("a bilingual menu", "en", False, True),
    ],
)
def test_language(text, language, explicit, bilingual):
    c = parse_constraints(text, today=MON)
    assert (c.language, c.language_explicit, c.bilingual) == (language, explicit, bilingual)


@pytest.mark.parametrize(
    "text,includes",
    [
        ("写一份社区读书会活动方案，包括目的、时间安排、分工和预算表", ["目的", "时间安排", "分工", "预算表"]),
        ("按月列出收入、成本、利润率，并画收入柱状图", ["收入", "成本", "利润率"]),
        ("a monthly table including revenue, cost and margin for each month", ["revenue", "cost", "margin"]),
        ("columns: Month, Revenue, Cost and Margin", ["Month", "Revenue", "Cost", "Margin"]),
        ("A report with 4 sections: Summary, Sales, Costs and Next steps", ["Summary", "Sales", "Costs", "Next steps"]),
        ("a weekly table including a sum row and week-over-week growth", []),  # flags, not columns
    ],
)
def test_required_columns_and_sections(text, includes):
    assert parse_constraints(text, today=MON).includes == includes


@pytest.mark.parametrize(
    "text,totals",
    [
        ("with a sum row", ["sum"]),
        ("show the total", ["sum"]),
        ("要有合计行", ["sum"]),
        ("底部加总计", ["sum"]),
        ("with the average per week", ["average"]),
        ("算出平均值", ["average"]),
        ("total and average", ["sum", "average"]),
        ("a weekly table", []),
    ],
)
def test_sum_is_not_average(text, totals):
    assert parse_constraints(text, today=MON).totals == totals


@pytest.mark.parametrize(
    "text,growth,interval",
    [
        ("with week-over-week growth", ["pop"], "week"),
        ("month-over-month change", ["pop"], "month"),
        ("with MoM", ["pop"], "month"),
        ("period-over-period growth by week", ["pop"], "week"),
        ("按月统计并计算环比增长", ["pop"], "month"),
        ("周环比", ["pop"], "week"),
        ("同比去年", ["yoy"], None),
        ("year-over-year, monthly", ["yoy"], "month"),
        ("每天的销量，环比和同比", ["pop", "yoy"], "day"),
    ],
)
def test_growth_and_interval(text, growth, interval):
    c = parse_constraints(text, today=MON)
    assert (c.growth, c.interval) == (growth, interval)


def test_chart_kind():
    assert parse_constraints("并画收入柱状图", today=MON).chart == "bar"
    assert parse_constraints("a line chart of sales", today=MON).chart == "line"
    assert parse_constraints("饼图", today=MON).chart == "pie"
    assert parse_constraints("add a chart", today=MON).chart == "any"
    assert parse_constraints("a table", today=MON).chart is None


def test_the_issue_requests_in_both_languages():
    en = parse_constraints(
        "Weekly sales for Q3 2026 for East, West and North regions with a sum row and week-over-week growth", today=MON
    )
    zh = parse_constraints("做一个华东、华南、华北三个地区2026年第三季度的周销售表，要有合计行和周环比增长", today=MON)
    for c in (en, zh):
        assert c.count("region") == 3 and c.interval == "week" and c.totals == ["sum"] and c.growth == ["pop"]
        assert (c.period.start, c.period.end) == (D(2026, 7, 1), D(2026, 9, 30))
        assert c.summary()


def test_chinese_numbers():
    assert [number(t) for t in ("十三", "二十", "二十一", "两", "一百", "13", "thirteen", "abc")] == [
        13,
        20,
        21,
        2,
        100,
        13,
        13,
        None,
    ]


def test_today_is_pinned_for_a_block_and_used_by_default():
    with pinned_today("2026-12-27"):
        assert today() == D(2026, 12, 27)
        assert parse_constraints("next month").period.start == D(2027, 1, 1)
    assert today() == dt.date.today()
