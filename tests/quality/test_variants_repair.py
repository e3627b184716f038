"""Near-duplicate variants: angles per repaired item, variants composed from the input's facts, store-kit titles."""

from __future__ import annotations

import json

import pytest

from zaowu.apps.store_kit import check_copy, distinct_titles
from zaowu.studio.quality import similarity
from zaowu.studio.quality.checks import DUPLICATE_SIMILARITY
from zaowu.studio.quality.outputs import compose_duplicates
from zaowu.studio.quality.variants import ANGLES, angle_for, differs, fact_slots, slot_choices
from zaowu.studio.templates import TemplateLibrary, check_template_output


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return TemplateLibrary.for_data_dir(tmp_path_factory.mktemp("templates"))


def _all_differ(texts):
    return all(similarity(a, b) <= DUPLICATE_SIMILARITY for i, a in enumerate(texts) for b in texts[i + 1 :])


def test_items_of_one_round_never_share_an_angle_and_each_round_moves_on():
    for count in range(1, len(ANGLES) + 1):
        for attempt in range(3):
            keys = [angle_for(i, attempt, count).key for i in range(count)]
            assert len(set(keys)) == count
    assert angle_for(1, 1, 3) != angle_for(1, 2, 3)
    assert all(a.lead("zh") and a.lead("en") and a.name("zh") and a.name("en") for a in ANGLES)


def test_fact_slots_keep_a_list_of_colours_together_and_choices_start_where_asked():
    slots = fact_slots("品牌小橙子；A类纯棉；90到140码；黄、蓝、白三色；夏季短袖")
    assert slots == ["品牌小橙子", "A类纯棉", "90到140码", "黄、蓝、白三色", "夏季短袖"]
    assert fact_slots("Brand GreenLeaf; set of 3 sizes; organic bamboo") == [
        "Brand GreenLeaf",
        "set of 3 sizes",
        "organic bamboo",
    ]
    assert slot_choices(["a", "b", "c"], 2, 1)[0] == ["b", "c"]
    assert slot_choices(["a", "b"], None, 1) == [["a", "b"]]
    assert differs("完全不同的一句话", ["一模一样的句子", "一模一样的句子"], 1)
    assert not differs("一模一样的句子", ["一模一样的句子", "别的"], 1)


SMS_ZH = {"brand": "麦香小屋", "offer": "周末全场面包第二件半价", "deadline": "本周日晚9点", "count": 3}
SMS_DUPES_ZH = {
    "messages": [
        {"text": "【麦香小屋】周末全场面包第二件半价，本周日晚9点截止，快来选购！拒收请回复R", "style": "直接优惠"},
        {"text": "【麦香小屋】周末全场面包第二件半价，本周日晚9点前有效，快来选购！拒收请回复R", "style": "直接优惠"},
        {"text": "【麦香小屋】周末全场面包第二件半价，本周日晚9点截止，欢迎选购！拒收请回复R", "style": "直接优惠"},
    ]
}


def _repair(library, template_id, values, output, language):
    template = library.get(template_id)
    rendered = template.render(values, language)
    _, output, checks, redo = check_template_output(rendered, json.dumps(output, ensure_ascii=False), output)
    assert redo, "the hand-written output must hold near-duplicates"
    repairs = compose_duplicates(template.checks, output, language=language, values=rendered.variables)
    _, output, checks, redo = check_template_output(rendered, json.dumps(output, ensure_ascii=False), output)
    return output, [*checks, *repairs], redo


def test_promo_sms_duplicates_composed_from_the_offer_keep_the_format_zh(library):
    out, checks, redo = _repair(library, "promo-sms", SMS_ZH, json.loads(json.dumps(SMS_DUPES_ZH)), "zh")
    texts = [m["text"] for m in out["messages"]]
    assert texts[0] == SMS_DUPES_ZH["messages"][0]["text"]  # the first of a pair is kept
    assert _all_differ(texts) and not redo
    for text in texts[1:]:
        assert text.startswith("【麦香小屋】") and text.endswith("拒收请回复R") and "周末全场面包第二件半价" in text
        assert len(text) <= 70
    by_name = {c.name: c for c in checks}
    assert by_name["distinct.messages"].ok and by_name["repair.messages"].ok
    assert "[2, 3] composed" in by_name["repair.messages"].detail
    assert by_name["facts.numbers"].ok and by_name["claims"].ok


def test_promo_sms_duplicates_composed_en(library):
    values = {
        "brand": "Hearth & Wick",
        "offer": "25% off all candles this weekend",
        "deadline": "Sunday midnight",
        "link": "hw.shop/warm",
        "count": 2,
    }
    text = (
        "Hearth & Wick: 25% off all candles this weekend until Sunday midnight at hw.shop/warm. Reply STOP to opt out"
    )
    out, _, redo = _repair(
        library,
        "promo-sms",
        values,
        {"messages": [{"text": text, "style": "offer"}, {"text": text + ".", "style": "offer"}]},
        "en",
    )
    second = out["messages"][1]["text"]
    assert _all_differ([m["text"] for m in out["messages"]]) and not redo
    assert second.startswith("Hearth & Wick: ") and second.endswith("Reply STOP to opt out")
    assert "25% off all candles this weekend" in second and "hw.shop/warm" in second and len(second) <= 160


def test_product_titles_composed_from_distinct_attributes_within_taobao_width(library):
    values = {
        "product": "纯棉儿童T恤",
        "attributes": "品牌小橙子；A类纯棉；90到140码；黄、蓝、白三色；夏季短袖",
        "platform": "taobao",
        "count": 3,
    }
    same = {"title": "小橙子纯棉儿童T恤 A类纯棉 夏季短袖 黄蓝白三色", "focus": "儿童T恤"}
    out, checks, _ = _repair(
        library,
        "product-title",
        values,
        {"titles": [dict(same), dict(same), dict(same)], "keywords": ["儿童T恤"]},
        "zh",
    )
    titles = [t["title"] for t in out["titles"]]
    assert _all_differ(titles) and len(set(titles)) == 3
    assert all(t.startswith("纯棉儿童T恤") for t in titles[1:])
    by_name = {c.name: c for c in checks}
    assert by_name["distinct.titles"].ok and by_name["length.titles.title"].ok and by_name["facts.numbers"].ok


def test_no_composition_that_differs_is_reported_not_shipped_as_fixed(library):
    values = {"brand": "麦香小屋", "offer": "半价", "count": 2}
    template = library.get("promo-sms")
    rendered = template.render(values, "zh")
    # the first message already says everything a composition could: nothing composed differs enough
    first = "【麦香小屋】半价。拒收请回复R"
    output = {"messages": [{"text": first, "style": "a"}, {"text": first, "style": "b"}]}
    repairs = compose_duplicates(template.checks, output, language="zh", values=rendered.variables)
    assert len(repairs) == 1
    # either a composition differs (and is in place) or the check says so and fails
    texts = [m["text"] for m in output["messages"]]
    assert repairs[0].ok == _all_differ(texts)


def test_store_kit_duplicate_titles_rewritten_from_their_own_product_and_reported():
    plan = {
        "products": [
            {"name": "青瓷盖碗", "price": 168, "description": "手工拉坯的青瓷盖碗，釉色温润"},
            {"name": "粗陶公道杯", "price": 88, "description": "粗陶烧制，握感厚实"},
        ]
    }
    copy = {
        "products": [
            {
                "title": "杭州手工陶瓷茶具 温润素雅 年轻人喝茶好物 礼盒装",
                "points": ["手工拉坯", "釉色温润", "适合泡绿茶"],
                "detail": "这款盖碗由杭州手艺人拉坯制作。",
            },
            {
                "title": "杭州手工陶瓷茶具 温润素雅 年轻人喝茶好物",
                "points": ["粗陶烧制", "握感厚实", "分茶方便"],
                "detail": "公道杯用粗陶烧制，握感厚实。",
            },
        ]
    }
    assert similarity(copy["products"][0]["title"], copy["products"][1]["title"]) > DUPLICATE_SIMILARITY
    out, checks = check_copy(copy, plan, "在杭州做手工陶瓷茶具的小网店，风格温润素雅，面向喜欢喝茶的年轻人", "zh")
    titles = [p["title"] for p in out["products"]]
    assert titles[0] == copy["products"][0]["title"] and titles[1].startswith("粗陶公道杯")
    distinct = next(c for c in checks if c.name == "copy.distinct.titles")
    assert distinct.ok and "repaired: titles [2]" in distinct.detail


def test_store_kit_titles_en_and_untouched_when_distinct():
    products = [
        {
            "title": "Soy Candle - Hand-Poured, Calm Natural Scent",
            "points": ["Lavender and cedar", "40-hour burn"],
            "detail": "",
        },
        {
            "title": "Soy Candle - Hand-Poured, Calm Natural Scents",
            "points": ["Sea salt and sage", "Cotton wick"],
            "detail": "",
        },
    ]
    planned = [{"name": "Lavender Candle"}, {"name": "Sea Salt Candle"}]
    assert distinct_titles(products, planned, "en").startswith("repaired: titles [2]")
    assert products[1]["title"] == "Sea Salt Candle - Sea salt and sage, Cotton wick"
    assert distinct_titles(products, planned, "en") == ""
