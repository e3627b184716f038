"""Latin words in Chinese copy: the user's brand words and acronyms stay, other runs are flagged and removed."""

from __future__ import annotations

import json

from zaowu.apps.store_kit import check_copy
from zaowu.studio.quality import check_language
from zaowu.studio.quality.latin import foreign_latin, strip_foreign_latin
from zaowu.studio.templates import TemplateLibrary, check_template_output

INPUT = "纯棉儿童T恤，品牌GreenLeaf；A类纯棉；S-XL；链接 hw.shop/warm"


def test_brand_words_units_sizes_and_common_loanwords_pass():
    ok = "GreenLeaf 儿童T恤，A类纯棉，250ml 大容量，XL 码，会员VIP专享，点击 hw.shop/warm，拒收请回复R"
    assert foreign_latin(ok, INPUT) == []
    assert check_language("t", ok, "zh", allow=INPUT).ok


def test_other_latin_runs_are_flagged_even_when_most_letters_are_chinese():
    text = "这款纯棉T恤柔软透气，穿着舒服，夏天必备，超值 value 好物。"
    check = check_language("t", text, "zh", allow=INPUT)
    assert not check.ok and "'value'" in check.detail
    assert foreign_latin("Best choice for you! 手工炒制", "") == ["Best choice for you"]
    assert foreign_latin("GreenLeaf 竹砧板", "") == ["GreenLeaf"]  # not the user's word: flagged


def test_strip_removes_the_runs_and_their_marks_or_reports_them():
    fix = strip_foreign_latin("超值 value 好物，快来选购！", INPUT)
    assert fix.text == "超值好物，快来选购！" and fix.removed == ["value"]
    fix = strip_foreign_latin("Best choice for you! 手工炒制的高山绿茶。", "")
    assert fix.text == "手工炒制的高山绿茶。"
    fix = strip_foreign_latin("Hello world, 你好", "")
    assert fix.text == "Hello world, 你好" and fix.left == ["Hello world"]  # too little Chinese would be left


def test_copy_templates_remove_stray_english_and_keep_the_opt_out_code(tmp_path):
    template = TemplateLibrary.for_data_dir(tmp_path).get("promo-sms")
    assert template.checks.latin is True
    assert TemplateLibrary.for_data_dir(tmp_path).get("swot").checks.latin is False  # documents keep their terms
    rendered = template.render({"brand": "麦香小屋", "offer": "周末全场面包第二件半价", "count": 1}, "zh")
    output = {
        "messages": [{"text": "【麦香小屋】Hello! 周末全场面包第二件半价，Don't miss it。拒收请回复R", "style": "直接"}]
    }
    _, out, checks, _ = check_template_output(rendered, json.dumps(output, ensure_ascii=False), output)
    assert out["messages"][0]["text"] == "【麦香小屋】周末全场面包第二件半价。拒收请回复R"
    language = next(c for c in checks if c.name == "language.output")
    assert language.ok and "Hello" in language.detail


def test_store_kit_copy_loses_stray_english():
    plan = {"products": [{"name": "青瓷盖碗", "price": 168, "description": "手工拉坯"}]}
    copy = {
        "products": [
            {
                "title": "青瓷盖碗 handmade 手工拉坯",
                "points": ["Nice gift 送礼", "手工拉坯", "釉色温润"],
                "detail": "这款盖碗由杭州手艺人拉坯制作，perfect for tea。",
            }
        ]
    }
    out, checks = check_copy(copy, plan, "在杭州做手工陶瓷茶具的小网店", "zh")
    product = out["products"][0]
    assert product["title"] == "青瓷盖碗手工拉坯" and "perfect" not in product["detail"]
    assert next(c for c in checks if c.name == "copy.language").ok
    assert "handmade" in next(c for c in checks if c.name == "copy.latin").detail
