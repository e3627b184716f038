"""The checkers of bench/quality.py, on hand-written good and bad results, and the evaluation set itself
(at least 40 requests over the apps, templates, designs and music, in zh and en, every input valid)."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 1)  # a Tuesday


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_quality", ROOT / "bench" / "quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_quality"] = module
    spec.loader.exec_module(module)
    return module


def entry(bench, checks, language="en", **input):
    return bench.Entry(id="t", kind="app", target="copywriter", language=language, input=input, checks=checks)


def run(bench, doc, checks, language="en", **input):
    """(the bench's checks of ``doc`` by name, the stats)."""
    found, stats = bench.evaluate(entry(bench, checks, language, **input), doc, TODAY)
    return {c["name"]: c for c in found}, stats


def test_resolve_steps_into_lists(bench):
    doc = {"variants": [{"body": "a", "tags": ["x", "y"]}, {"body": "b"}], "plan": {"sheets": [{"rows": [[1], [2]]}]}}
    assert bench.resolve(doc, "variants[].body") == ["a", "b"]
    assert bench.resolve(doc, "variants[].tags[]") == ["x", "y"]
    assert bench.resolve(doc, "plan.sheets[].rows") == [[[1], [2]]]
    assert bench.resolve(doc, "") == [doc] and bench.resolve(doc, "missing[].x") == []


def test_count(bench):
    doc = {"variants": [{}, {}, {}], "plan": {"sheets": [{"rows": [1] * 13}, {"rows": [1] * 12}]}}
    checks, _ = run(bench, doc, [{"check": "count", "path": "variants", "expected": 3}])
    assert checks["count.variants"]["ok"]
    checks, _ = run(bench, doc, [{"check": "count", "path": "variants", "expected": 4}])
    assert not checks["count.variants"]["ok"] and checks["count.variants"]["detail"] == "3 of 4 variants"
    checks, _ = run(bench, doc, [{"check": "count", "name": "weeks", "path": "plan.sheets[].rows", "expected": 13}])
    assert not checks["count.weeks"]["ok"] and "1 of 2 lists" in checks["count.weeks"]["detail"]


def test_distinct_counts_duplicate_pairs(bench):
    same = {
        "variants": [
            {"body": "Fresh bread every morning at Maple Bakery."},
            {"body": "Fresh bread every morning at Maple Bakery!"},
            {"body": "Our sourdough rests for 48 hours before baking."},
        ]
    }
    checks, stats = run(bench, same, [{"check": "distinct", "path": "variants[].body"}])
    assert not checks["distinct.body"]["ok"] and stats["duplicate_pairs"] == 1
    checks, stats = run(bench, {"variants": same["variants"][1:]}, [{"check": "distinct", "path": "variants[].body"}])
    assert checks["distinct.body"]["ok"] and stats["duplicate_pairs"] == 0
    checks, _ = run(bench, {"variants": same["variants"][:1]}, [{"check": "distinct", "path": "variants[].body"}])
    assert not checks["distinct.body"]["ok"]  # one variant cannot show variety


def test_language(bench):
    checks, _ = run(bench, {"t": "周末面包第二件半价，欢迎来店"}, [{"check": "language", "path": "t"}], language="zh")
    assert checks["language"]["ok"]
    checks, _ = run(
        bench, {"t": "Weekend bread: buy one get one half price"}, [{"check": "language", "path": "t"}], language="zh"
    )
    assert not checks["language"]["ok"]
    checks, _ = run(bench, {"t": "Half price 半价"}, [{"check": "language", "path": "t"}])
    assert not checks["language"]["ok"]
    checks, _ = run(bench, {"t": ""}, [{"check": "language", "path": "t"}])
    assert not checks["language"]["ok"] and checks["language"]["detail"] == "no text"


def test_claims_unless_the_request_states_them(bench):
    doc = {"t": ["The best coffee in town, guaranteed.", "全网销量第一的绿茶"]}
    checks, stats = run(bench, doc, [{"check": "claims", "path": "t"}], facts="Small-batch roasts")
    assert not checks["claims"]["ok"] and stats["unsupported_claims"] == 3
    checks, stats = run(
        bench,
        {"t": "Voted best coffee in town by Portland Weekly"},
        [{"check": "claims", "path": "t"}],
        facts="Voted best coffee in town by Portland Weekly 2025",
    )
    assert checks["claims"]["ok"] and stats["unsupported_claims"] == 0


def test_numbers_the_request_does_not_give(bench):
    assert bench.invented_numbers("Only $45 for a tune-up, 3 reasons to come", "tune-ups for $45") == []
    assert bench.invented_numbers("Since 2020, 25% of our soy… 1,240 sold", "Sold 1,240 units") == ["2020", "25"]
    assert bench.invented_numbers("双11当天付尾款，11.11晚8点开抢", "11月11日晚8点开始付尾款") == []
    assert bench.invented_numbers("首发价89元，原价128元", "首发价89元") == ["128"]  # numbers after Chinese too
    checks, stats = run(
        bench, {"v": ["Lilac, 1128", "First month $19"]}, [{"check": "numbers", "path": "v"}], offer="first month $19"
    )
    assert not checks["numbers"]["ok"] and checks["numbers"]["detail"] == "not in the request: 1128"
    assert stats["invented_numbers"] == 1


def test_length(bench):
    checks, _ = run(
        bench,
        {"v": [{"title": "短标题"}, {"title": "这是一个明显超过二十个字的小红书笔记标题需要被发现才对"}]},
        [{"check": "length", "path": "v[].title", "max": 20}],
    )
    assert not checks["length.title"]["ok"] and "1 of 2" in checks["length.title"]["detail"]


def test_channel_rules(bench):
    good_xhs = {
        "title": "挂耳咖啡真香☕",
        "body": "早上来一包\n酸甜平衡\n每包3.5元\n缺点是有点酸",
        "hashtags": ["咖啡", "好物", "上班族"],
    }
    bad_xhs = {"title": "挂耳咖啡", "body": "这是一段很长的没有分段也没有表情的文字" * 3, "hashtags": ["咖啡"]}
    checks, _ = run(bench, {"v": [good_xhs]}, [{"check": "channel", "path": "v[]", "channel": "xiaohongshu"}])
    assert checks["channel.xiaohongshu"]["ok"], checks
    checks, _ = run(bench, {"v": [good_xhs, bad_xhs]}, [{"check": "channel", "path": "v[]", "channel": "xiaohongshu"}])
    detail = checks["channel.xiaohongshu"]["detail"]
    assert not checks["channel.xiaohongshu"]["ok"] and "no emoji" in detail and "1 hashtags" in detail
    sms = {"messages": [{"text": "麦香小屋：周末面包第二件半价，本周日晚9点截止，回T退订"}, {"text": "长" * 80}]}
    checks, _ = run(bench, sms, [{"check": "channel", "path": "messages[]", "channel": "sms"}], language="zh")
    assert not checks["channel.sms"]["ok"] and "#2: 80 characters (max 70)" in checks["channel.sms"]["detail"]
    checks, _ = run(bench, {"v": [{"body": "x" * 141}]}, [{"check": "channel", "path": "v[]", "channel": "weibo"}])
    assert not checks["channel.weibo"]["ok"]
    tags = {"v": [{"body": "New roast Monday", "hashtags": ["coffee", "Lilac, 2019", "roast"]}]}
    checks, _ = run(bench, tags, [{"check": "channel", "path": "v[]", "channel": "instagram"}])
    assert not checks["channel.instagram"]["ok"] and "not one tag" in checks["channel.instagram"]["detail"]


def test_periods_resolve_against_today(bench):
    p = bench.parse_period
    assert str(p("2027-Q1", TODAY)) == "2027-01-01..2027-03-31"
    assert str(p("2027-02", TODAY)) == "2027-02-01..2027-02-28"
    assert str(p("this_saturday", TODAY)) == "2026-12-05..2026-12-05"
    assert str(p("next_week", TODAY)) == "2026-12-07..2026-12-13"
    assert str(p("next_month", TODAY)) == "2027-01-01..2027-01-31"
    assert str(p("--11-01..--11-11", TODAY)) == "11-01..11-11"
    with pytest.raises(ValueError, match="unknown period 'soon'"):
        p("soon", TODAY)


def test_dates_are_found_in_chinese_and_english(bench):
    text = "春节放假：2027年2月5日至2月12日暂停发货；Nov 27 to 30; 4 January 2027; 2027-03-06"
    assert bench.find_dates(text, 2027) == [
        date(2027, 2, 5),
        date(2027, 2, 12),
        date(2027, 11, 27),
        date(2027, 1, 4),
        date(2027, 3, 6),
    ]  # in the order written
    assert bench.find_dates("2月30日", 2027) == []


def test_dates_within_the_period_and_no_past_years(bench):
    rows = {"rows": [["2027-01-04", 100], ["2027-01-11", 120], ["2027-03-29", 90]]}
    checks, _ = run(bench, rows, [{"check": "dates", "path": "rows", "period": "2027-Q1", "required": True}])
    assert checks["dates"]["ok"], checks
    rows["rows"].append(["2026-12-28", 80])
    checks, _ = run(bench, rows, [{"check": "dates", "path": "rows", "period": "2027-Q1"}])
    assert not checks["dates"]["ok"] and "2026-12-28" in checks["dates"]["detail"]
    checks, _ = run(
        bench, {"t": "Our 2024 best sellers are back"}, [{"check": "dates", "path": "t", "period": "next_month"}]
    )
    assert not checks["dates"]["ok"] and "past years: [2024]" in checks["dates"]["detail"]
    checks, _ = run(bench, {"t": "没有日期"}, [{"check": "dates", "path": "t", "period": "2027-02", "required": True}])
    assert not checks["dates"]["ok"] and "no date" in checks["dates"]["detail"]
    checks, _ = run(
        bench, {"t": "11月1日开始预售，11月11日付尾款"}, [{"check": "dates", "path": "t", "period": "--11-01..--11-11"}]
    )
    assert checks["dates"]["ok"]
    checks, _ = run(
        bench, {"t": "See you this Saturday, December 5"}, [{"check": "dates", "path": "t", "period": "this_saturday"}]
    )
    assert checks["dates"]["ok"]


def test_sum_duration_contains_equals_range_allowed(bench):
    plan = {"costs": [{"amount": 1200}, {"amount": 800.5}], "total_cost": 2000.5}
    checks, _ = run(bench, plan, [{"check": "sum", "items": "costs[].amount", "total": "total_cost"}])
    assert checks["sum"]["ok"]
    plan["total_cost"] = 1000.25  # an average passed off as the total
    checks, _ = run(bench, plan, [{"check": "sum", "items": "costs[].amount", "total": "total_cost"}])
    assert not checks["sum"]["ok"]
    script = {"shots": [{"seconds": 5}, {"seconds": 4}, {"seconds": 4}]}
    checks, _ = run(bench, script, [{"check": "duration", "path": "shots[].seconds", "expected": 30, "tolerance": 2}])
    assert not checks["duration"]["ok"] and checks["duration"]["detail"].startswith("13 s of 30 s")
    sms = {"m": [{"text": "25% off, shop hw.shop/warm"}, {"text": "Last day for 25% off"}]}
    checks, _ = run(bench, sms, [{"check": "contains", "path": "m[].text", "any_of": ["hw.shop/warm"], "each": True}])
    assert not checks["contains.text"]["ok"] and checks["contains.text"]["detail"].startswith("1 of 2")
    checks, _ = run(bench, sms, [{"check": "contains", "path": "m[].text", "any_of": ["hw.shop/warm"]}])
    assert checks["contains.text"]["ok"]
    sheets = {"sheets": [{"name": "North"}, {"name": "South"}, {"name": "East"}]}
    checks, _ = run(
        bench,
        sheets,
        [
            {
                "check": "contains",
                "name": "regions",
                "path": "sheets[].name",
                "all_of": ["North", "South", "East", "West"],
            }
        ],
    )
    assert not checks["contains.regions"]["ok"]
    music = {"plan": {"genre": "jazz", "time_signature": "3/4", "tempo": 150}}
    checks, _ = run(
        bench,
        music,
        [
            {"check": "equals", "path": "plan.genre", "value": "jazz"},
            {"check": "equals", "path": "plan.time_signature", "value": "4/4"},
            {"check": "range", "path": "plan.tempo", "min": 60, "max": 95},
        ],
    )
    assert (
        checks["equals.genre"]["ok"] and not checks["equals.time_signature"]["ok"] and not checks["range.tempo"]["ok"]
    )
    deck = {"slides": [{"kind": "content"}, {"kind": "section"}, {"kind": "two_column"}]}
    checks, _ = run(bench, deck, [{"check": "allowed", "path": "slides[].kind", "values": ["content", "two_column"]}])
    assert not checks["allowed.kind"]["ok"] and "section" in checks["allowed.kind"]["detail"]


def test_icon_and_palette_fit_the_category(bench):
    bakery = {"specs": [{"icon": "croissant", "palette": "cream"}]}
    checks, stats = run(bench, bakery, [{"check": "fit", "category": "bakery"}])
    assert checks["fit.icon_palette"]["ok"] and stats == {"designs": 1, "designs_fit": 1}
    copied = {"specs": [{"icon": "croissant", "palette": "sakura"}, {"icon": "shirt", "palette": "cream"}]}
    checks, stats = run(bench, copied, [{"check": "fit", "category": "fashion"}])  # a croissant on a fashion logo
    assert not checks["fit.icon_palette"]["ok"] and stats == {"designs": 2, "designs_fit": 1}
    pastel = {"specs": [{"icon": "moon", "palette": "mint"}]}  # a festive request in a pastel palette
    checks, _ = run(bench, pastel, [{"check": "fit", "category": "midautumn"}])
    assert not checks["fit.icon_palette"]["ok"] and "palette mint" in checks["fit.icon_palette"]["detail"]
    art = {"specs": [{"icon": "star", "illustration": "noto:moon-cake", "palette": "festive"}]}  # new art sets count
    checks, _ = run(bench, art, [{"check": "fit", "category": "midautumn"}])
    assert checks["fit.icon_palette"]["ok"]


def test_design_variety(bench):
    same = {
        "specs": [
            {"layout": "centered", "palette": "festive", "motifs": ["dots"]},
            {"layout": "centered", "palette": "festive", "motifs": ["rings"]},
        ]
    }
    checks, _ = run(bench, same, [{"check": "variety"}])
    assert not checks["variety.designs"]["ok"]
    same["specs"][1]["layout"] = "split"
    checks, _ = run(bench, same, [{"check": "variety"}])
    assert checks["variety.designs"]["ok"]


def test_reported_checks_and_the_summary(bench):
    from zaowu.studio.quality import Check

    reported = bench.reported_checks(
        [Check(name="count.variants", ok=True), {"name": "claims", "ok": False, "detail": "最"}, "junk"]
    )
    assert [(c["name"], c["ok"], c["source"]) for c in reported] == [
        ("count.variants", True, "result"),
        ("claims", False, "result"),
    ]
    assert bench.reported_checks(None) == []
    e = entry(
        bench,
        [
            {"check": "count", "path": "v", "expected": 2},
            {"check": "distinct", "path": "v"},
            {"check": "claims", "path": "v"},
        ],
    )
    checks, stats = bench.evaluate(e, {"v": ["Same words here", "Same words here!"]}, TODAY)
    records = [
        {"id": "t", "target": "copywriter", "seconds": 2.0, "error": None, "checks": checks + reported, "stats": stats},
        {
            "id": "u",
            "kind": "template",
            "target": "slogans",
            "seconds": 4.0,
            "error": "RemoteError: down",
            "stats": {},
            "checks": [{"name": "count", "ok": False, "detail": "x", "kind": "count", "source": "bench"}],
        },
    ]
    summary = bench.summarise(records)
    assert summary["requirements"] == {"passed": 1, "total": 2, "rate": 0.5}
    assert summary["per_check"]["distinct"]["passed"] == 0 and summary["duplicate_variants"]["pairs"] == 1
    assert summary["per_app"]["copywriter"]["total"] == 3 and summary["reported_by_results"]["claims"]["passed"] == 0
    assert summary["errors"] == [{"id": "u", "error": "RemoteError: down"}]
    assert summary["wall_seconds_per_app"]["template:slogans"]["median"] == 4.0


def test_a_checker_that_cannot_read_the_result_fails_its_check(bench):
    checks, _ = run(bench, {"costs": "not a list"}, [{"check": "fit", "category": "no-such-category"}])
    assert not checks["fit"]["ok"] and "could not check" in checks["fit"]["detail"]


def test_selection_spreads_over_targets(bench):
    entries = bench.load_set()
    first = bench.select(entries, language="en", limit=6)
    assert len(first) == 6 and len({e.target for e in first}) == 6 and all(e.language == "en" for e in first)
    assert {e.id for e in bench.select(entries, only=["music"])} == {e.id for e in entries if e.kind == "music"}
    assert [e.id for e in bench.select(entries, only=["tp-sms"])] == ["tp-sms-bakery-zh", "tp-sms-candles-en"]


def test_the_evaluation_set(bench, studio):
    from zaowu.studio.templates import prepare_template_run

    entries = bench.load_set()
    assert len(entries) >= 40
    assert {e.language for e in entries} == {"zh", "en"} and {e.kind for e in entries} == set(bench.KINDS)
    apps = {e.target for e in entries if e.kind == "app"}
    assert apps == {"copywriter", "business-plan", "office-docs", "store-kit"}
    assert {"slogans", "product-title", "xiaohongshu-note", "weekly-report"} <= {
        e.target for e in entries if e.kind == "template"
    }
    for e in entries:
        assert e.checks, e.id
        if e.kind == "app":
            studio.apps[e.target].Input.model_validate(e.input)
        elif e.kind == "template":
            prepare_template_run(studio, e.target, e.input, language=e.language)
        elif e.kind == "image":
            assert e.target in ("poster", "logo", "banner", "social_post", "product_card", "storefront_header")
        for c in e.checks:
            if c["check"] == "fit":
                assert c["category"] in bench.CATEGORY_FIT, e.id
            if c["check"] == "dates":
                bench.parse_period(c["period"], TODAY)
