"""Copy that keeps its promises: channel format rules, invented numbers, variant checks and template
checks on hand-written zh and en outputs; the copywriter and a checked template run with the real
SmolLM2 model (English), one generation per variant, with their checks reported."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from zaowu.apps.base import run_app
from zaowu.apps.copywriter import ANGLES, CHANNELS, _system, pick_angles, polish
from zaowu.studio.quality import check_language, similarity
from zaowu.studio.quality.checks import DUPLICATE_SIMILARITY, Check
from zaowu.studio.quality.dates import date_line, today
from zaowu.studio.quality.facts import drop_unsupported_numbers, numbers_in
from zaowu.studio.quality.formats import (
    add_emoji_markers,
    drop_echoes,
    drop_repeats,
    extract_hashtags,
    fit_text,
    format_hashtags,
    has_emoji,
    is_hook,
    normalize_hashtags,
    short_paragraphs,
)
from zaowu.studio.quality.outputs import measure
from zaowu.studio.quality.variants import aggregate_checks, redo_indices, with_slack
from zaowu.studio.templates import TemplateLibrary, check_template_output, run_template

TEA = "山野茶舍 高山云雾绿茶\n海拔 1200 米茶园，手工炒制，250g 罐装，回甘明显"
COFFEE = "Driftwood Coffee\nSmall-batch roasts every Monday; beans from two farms in Yunnan; 250 g bags"
DAY = date(2026, 9, 1)  # a Tuesday


# ---------------------------------------------------------------- format rules


def test_hashtags_are_normalised_and_shown_in_the_platforms_form():
    tags = normalize_hashtags(
        [
            "#绿茶",
            "绿茶",
            " 高山 绿茶 ",
            "#春茶 #明前茶",
            "##",
            "2026",
            "#Tea#",
            "tea",
            "一个远远超过二十个字符长度的话题标签应该被丢弃掉才对的",
        ]
    )
    assert tags == ["绿茶", "高山绿茶", "春茶", "明前茶", "Tea"]
    assert format_hashtags(["绿茶", "春茶"], "weibo") == "#绿茶# #春茶#"
    assert format_hashtags(["coffee", "SmallBatch"], "tag") == "#coffee #SmallBatch"
    body, inline = extract_hashtags("Roasted on Mondays ☕ #coffee #smallbatch\n周一烘焙 #咖啡# 好喝")
    assert inline == ["coffee", "smallbatch", "咖啡"] and "#" not in body and "好喝" in body


def test_xiaohongshu_body_gets_short_paragraphs_and_emoji_markers():
    body = (
        "周一烘焙，新鲜到家。豆子来自云南两个农场。每一口都很香。适合上班族，早上一杯刚刚好。周末也能喝到。"
        "我很喜欢这种感觉，朋友也说好喝。"
    )
    shaped = add_emoji_markers(short_paragraphs(body, 30))
    lines = shaped.split("\n")
    assert len(lines) >= 3 and all(has_emoji(line[:2]) for line in lines)
    assert all(len(line) <= 30 + 2 for line in lines)
    assert "".join(re.sub(r"^\S+ ", "", line) for line in lines) == body  # nothing lost, nothing added but markers
    already = "☕ Monday roast.\nTwo farms."
    assert add_emoji_markers(already) == already  # the model's own emoji are kept as they are
    assert (
        short_paragraphs("Hi there. It is good. We roast on Mondays.", 16)
        == "Hi there.\nIt is good.\nWe roast on Mondays."
    )


def test_a_douyin_title_is_a_hook():
    for title in (
        "你一定要试试这杯绿茶",
        "为什么这杯茶会回甘？",
        "3 秒看懂手工炒茶",
        "Why Monday coffee hits different",
        "Stop buying stale beans!",
    ):
        assert is_hook(title), title
    for title in ("山野茶舍高山绿茶", "Driftwood Coffee", ""):
        assert not is_hook(title), title


def test_text_is_trimmed_at_a_boundary_never_mid_word():
    en = "Small-batch roasts every Monday from two farms in Yunnan, packed in 250 g bags"
    fit = fit_text(en, 30)
    assert fit.trimmed and fit.boundary and len(fit.text) <= 30
    assert en.startswith(fit.text) and en[len(fit.text)] in " ,"
    zh = "周一烘焙，新鲜到家。豆子来自云南两个农场"
    fit = fit_text(zh, 12)
    assert fit.text == "周一烘焙，新鲜到家。" and fit.boundary
    fit = fit_text("周一烘焙新鲜到家豆子来自云南两个农场每一口都很香", 10)  # no mark: where a word ends
    assert fit.text == "周一烘焙新鲜到家豆子" and fit.boundary
    assert fit_text("杭州西湖边的独立书店咖啡馆体验", 12).text == "杭州西湖边的独立书店"  # not "…书店咖啡"
    fit = fit_text("Supercalifragilisticexpialidocious", 10)
    assert fit.trimmed and not fit.boundary and "mid-word" in fit.describe(10, 34)  # reported, not hidden
    assert fit_text("Short enough", 30) == fit_text("Short enough ", 30) and not fit_text("Short", 30).trimmed


def test_echoes_of_the_prompt_and_loops_are_removed():
    said = [ANGLES["routine"].en, ANGLES["routine"].zh]
    text, dropped = drop_echoes("Routine: How it fits into everyday life. I drink it on the train.", said)
    assert text == "I drink it on the train." and dropped
    assert drop_echoes("日常习惯：写它怎样融入每天的生活节奏。通勤路上来一杯。", said)[0] == "通勤路上来一杯。"
    assert drop_repeats("It is small-batch. It is small-batch. It is small-batch. It is") == "It is small-batch."
    assert drop_repeats("好喝。好喝。真的很香！\n好喝。") == "好喝。真的很香！"


# ---------------------------------------------------------------- invented numbers


def test_numbers_not_in_the_facts_are_removed_or_reported():
    assert {"1200", "250", "2"} <= numbers_in("海拔一千二百米，250g，两个农场")
    assert {"2", "250"} <= numbers_in(COFFEE)
    fix = drop_unsupported_numbers("1200米高山茶园，手工炒制！每罐仅需 99 元，回甘明显。", TEA)
    assert fix.text == "1200米高山茶园，手工炒制！回甘明显。" and fix.removed == ["每罐仅需 99 元"] and not fix.left
    fix = drop_unsupported_numbers("Beans from 2 farms, 250 g bags. Only $19.99 this week!", COFFEE)
    assert fix.text == "Beans from 2 farms, 250 g bags." and fix.removed == ["Only $19.99 this week"]
    fix = drop_unsupported_numbers("3 reasons to love it", COFFEE)
    assert fix.text == "3 reasons to love it" and fix.left == ["3"]  # one clause: reported, not mangled
    assert drop_unsupported_numbers("海拔１２００米", TEA).left == []  # full-width digits read as digits
    fix = drop_unsupported_numbers("Serving 20,000,000 cups, roasted on Mondays in 250g bags.", COFFEE)
    assert fix.removed == ["Serving 20,000,000 cups"] and fix.text == "Roasted on Mondays in 250g bags."


# ---------------------------------------------------------------- one variant, polished


def test_a_chinese_xiaohongshu_variant_is_brought_into_the_channels_rules():
    raw = {
        "title": "全网最好喝的高山绿茶，一口回甘真的停不下来啦姐妹们",
        "body": "海拔1200米的茶园，手工炒制。每罐只要 99 元，性价比第一！泡开以后回甘明显，办公室里喝很提神。#绿茶 #春茶",
        "hashtags": ["#绿茶", "高山 绿茶", "绿茶"],
    }
    d = polish(raw, CHANNELS["xiaohongshu"], "zh", TEA, "craft", 0)
    checks = {c.name: c for c in d.checks}
    assert len(d.title) <= 20 and checks["length.title"].ok and "最" not in d.title
    assert "99" not in d.body and "第一" not in d.body and "1200" in d.body
    assert all(has_emoji(line[:2]) for line in d.body.split("\n")) and checks["format.emoji"].ok
    assert d.hashtags[:3] == ["绿茶", "高山绿茶", "春茶"] and "#" not in d.body and "性价比高" in d.body
    assert checks["claims"].ok and "'全网最好' → '很好'" in checks["claims"].detail
    assert checks["facts.numbers"].ok and "99" in checks["facts.numbers"].detail
    assert checks["language.text"].ok and checks["format.hashtags"].ok


def test_weibo_hashtags_douyin_hooks_and_wrong_language_are_reported():
    d = polish(
        {"body": "手工炒制的高山绿茶，回甘明显，适合办公室。", "hashtags": ["绿茶", "#绿茶#", "春茶"]},
        CHANNELS["weibo"],
        "zh",
        TEA,
        "scene",
        1,
    )
    assert d.hashtags == ["绿茶", "春茶"]
    assert format_hashtags(d.hashtags, CHANNELS["weibo"].hashtag_style) == "#绿茶# #春茶#"
    d = polish(
        {
            "title": "山野茶舍高山绿茶",
            "body": "手工炒制，回甘明显，评论区告诉我你的喝法。",
            "hashtags": ["绿茶", "春茶"],
        },
        CHANNELS["douyin"],
        "zh",
        TEA,
        "scene",
        0,
    )
    hook = next(c for c in d.checks if c.name == "format.hook")
    assert not hook.ok and d.failed == 1
    d = polish(
        {"body": "The tea is grown at 1200 m and fried by hand, 味道很好。", "hashtags": ["tea", "green", "hill"]},
        CHANNELS["instagram"],
        "en",
        TEA,
        "craft",
        0,
    )
    language = next(c for c in d.checks if c.name == "language.text")
    assert not language.ok and "Chinese" in language.detail
    # the user's own Chinese shop name in English copy is no language error
    assert check_language("t", "Visit 山野茶舍 for tea", "en", allow=TEA).ok
    assert not check_language("t", "Visit 山野茶舍 for 好茶", "en", allow=TEA).ok


def test_angles_are_chosen_by_code_fitting_the_facts_first():
    order = pick_angles(TEA, 1)
    assert sorted(order) == sorted(ANGLES) and order == pick_angles(TEA, 1)
    fitting = {k for k, a in ANGLES.items() if any(c in TEA.lower() for c in a.cues)}
    assert fitting and set(order[: len(fitting)]) == fitting  # craft, senses … before any other
    assert "value" not in order[:4] and "gift" not in order[:4]  # no price or gift in the facts
    assert len({tuple(pick_angles(TEA, s)) for s in range(6)}) > 1  # the seed varies the order


def test_repairs_pick_the_later_duplicate_and_checks_aggregate():
    texts = ["Roasted every Monday in small batches", "Roasted every Monday in small batches!", "A gift for Sunday"]
    assert redo_indices(texts, []) == [1] and redo_indices(texts, [2]) == [1, 2]
    per = [[Check(name="length.body", ok=True, detail="120/400")], [Check(name="length.body", ok=False, detail="mid")]]
    (agg,) = aggregate_checks(per)
    assert not agg.ok and agg.detail == "variant 1: 120/400; variant 2: mid"
    assert with_slack(20) == 28 and with_slack(400) == 500


def test_today_is_one_source_that_prompts_state():
    assert today(DAY) == DAY and today() == date.today()
    assert date_line("zh", DAY) == "今天是 2026年9月1日，星期二。"
    assert date_line("en", DAY) == "Today is Tuesday, 1 September 2026."
    assert date_line("en", DAY) in _system(CHANNELS["x"], "friendly", "en", DAY)
    tpl = TemplateLibrary.for_data_dir("/nonexistent").get("slogans")
    assert tpl.render(tpl.examples[0], today=DAY).messages[0]["content"].endswith("今天是 2026年9月1日，星期二。")


# ---------------------------------------------------------------- template checks


def _lib() -> TemplateLibrary:
    return TemplateLibrary.for_data_dir("/nonexistent")


def test_template_checks_narrow_the_schema_before_generation():
    tpl = _lib().get("slogans")
    rendered = tpl.render({"brand": "Driftwood", "selling_points": "Monday roasts", "count": 3})
    schema = rendered.response_format["json_schema"]["schema"]
    slogans = schema["properties"]["slogans"]
    assert slogans["minItems"] == slogans["maxItems"] == 3  # the count asked for, by construction
    assert slogans["items"]["properties"]["text"]["maxLength"] == with_slack(60)  # room to end a sentence
    assert tpl.output_schema["properties"]["slogans"]["minItems"] == 1  # the template itself is unchanged


def test_template_checks_repair_and_report_hand_written_outputs():
    tpl = _lib().get("slogans")
    rendered = tpl.render({"brand": "山野茶舍", "selling_points": "高山云雾绿茶，手工炒制，回甘明显", "count": 3})
    output = {
        "slogans": [
            {"text": "最好喝的高山绿茶，一口回甘停不下来的好滋味", "idea": "绝对经典"},
            {"text": "最好喝的高山绿茶，一口回甘停不下来", "idea": "同上"},
            {"text": "手工炒制 99 元一罐", "idea": "价格"},
        ]
    }
    text, out, checks, redo = check_template_output(rendered, json.dumps(output), output)
    by = {c.name: c for c in checks}
    assert out["slogans"][0]["text"] == "很好喝的高山绿茶" and json.loads(text) == out
    assert by["count.slogans"].ok and by["length.slogans.text"].ok
    assert not by["distinct.slogans"].ok and "1≈2" in by["distinct.slogans"].detail
    assert not by["facts.numbers"].ok and "99" in by["facts.numbers"].detail
    assert by["claims"].ok and "'最好' → '很好'" in by["claims"].detail and by["language.output"].ok
    assert redo == {"slogans": [1, 2]}  # the near-duplicate and the invented price are regenerated


def test_taobao_titles_are_measured_by_taobao_width():
    assert measure("暖织羊毛开衫", "zh_width") == 6 and measure("V领 70%", "zh_width") == 4
    tpl = _lib().get("product-title")
    rendered = tpl.render(tpl.examples[0])
    long = "暖织 女士羊毛开衫 70%绵羊毛 V领短款 秋冬针织外套 米白燕麦黑三色 S-XL 通勤百搭 新款上市"
    output = {
        "titles": [
            {"title": long, "focus": "羊毛开衫"},
            {"title": "暖织 羊毛开衫女 V领短款", "focus": "短款"},
            {"title": "暖织 针织外套 秋冬 70%绵羊毛", "focus": "秋冬"},
        ],
        "keywords": ["羊毛开衫"],
    }
    _, out, checks, _ = check_template_output(rendered, json.dumps(output, ensure_ascii=False), output)
    first = out["titles"][0]["title"]
    assert measure(first, "zh_width") <= 30 and long.startswith(first) and long[len(first)] == " "
    assert next(c for c in checks if c.name == "length.titles.title").ok


def test_xiaohongshu_note_template_gets_format_rules():
    tpl = _lib().get("xiaohongshu-note")
    rendered = tpl.render(tpl.examples[0])
    output = {
        "title": "一人食小电锅真的绝了",
        "cover_text": "一人食神器",
        "body": "租房两个月，每天都用它。1.2L 刚好一人份。能煮面、蒸蛋、涮火锅。159 元，性价比最高。缺点是不能炒菜。保证好用。",
        "hashtags": ["#一人食", "一人食", "租房 好物", "#小电锅#"],
    }
    _, out, checks, _ = check_template_output(rendered, json.dumps(output, ensure_ascii=False), output)
    assert out["hashtags"] == ["一人食", "租房好物", "小电锅"]
    assert has_emoji(out["body"][:2]) and "最高" not in out["body"] and "保证" not in out["body"]
    assert "1.2L" in out["body"] and "159" in out["body"]  # the user's own numbers stay
    assert all(c.ok for c in checks), checks


def test_a_text_template_counts_its_items_and_restyles_weibo_topics():
    tpl = _lib().get("weibo-post")
    rendered = tpl.render(tpl.examples[0])
    text = (
        "第 1 条\n骑车来喝咖啡！出示头盔，美式第二杯半价 #周末去哪儿 #城市骑行# #周末去哪儿#\n\n"
        "第 2 条\n全城最好喝的咖啡店开业啦，11 月 1 日见！#城市骑行"
    )
    out, output, checks, _ = check_template_output(rendered, text, None)
    assert output is None and "#周末去哪儿# #城市骑行#\n" in out and out.count("#周末去哪儿#") == 1
    assert "最好" not in out and out.endswith("11 月 1 日见！#城市骑行#")
    by = {c.name: c for c in checks}
    assert by["count.items"].ok and by["distinct.items"].ok and by["facts.numbers"].ok
    _, _, checks, _ = check_template_output(rendered, "第 1 条\n开业啦 #城市骑行", None)
    assert not next(c for c in checks if c.name == "count.items").ok  # one post of the two asked for


@pytest.mark.parametrize(
    "checks,field",
    [
        ("checks: {lists: [{path: nope, text: [text]}]}", "checks.lists.0.path"),
        ("checks: {lists: [{path: slogans, text: [text], count: tone}]}", "checks.lists.0.count"),
        ("checks: {lists: [{path: slogans, text: [text], lengths: {text: 500}}]}", "maxLength"),
        (
            "checks: {lists: [{path: slogans, text: [text], lengths: {text: {variable: tone, values: {grumpy: 9}}}}]}",
            "grumpy",
        ),
        ("checks: {lengths: {idea: 10}}", "checks.lengths.idea"),
        ("checks: {colour: red}", "checks.colour"),
        ("checks: {items: {marker: '第 N 条'}}", "checks.items"),
        ("checks: {hashtags: {style: weibo}}", "checks.hashtags.path"),
    ],
)
def test_the_loader_validates_the_checks_section(tmp_path, checks, field):
    folder = tmp_path / "templates"
    folder.mkdir()
    with open(_lib().get("slogans").source, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"\nchecks:\n(?:  .*\n)+", "\n", text).replace("id: slogans", "id: my-slogans")
    (folder / "my-slogans.yaml").write_text(text + checks + "\n", encoding="utf-8")
    (folder / "ok-slogans.yaml").write_text(
        text.replace("id: my-slogans", "id: ok-slogans")
        + "checks: {lists: [{path: slogans, text: [text], count: count}]}\n",
        encoding="utf-8",
    )
    lib = TemplateLibrary.for_data_dir(tmp_path)
    lib.list()
    (problem,) = [p for p in lib.problems if p.file.endswith("my-slogans.yaml")]
    assert field in f"{problem.field}: {problem.message}", problem
    assert lib.get("ok-slogans").checks.lists[0].count == "count"


def test_every_shipped_checks_section_is_valid_and_list_templates_declare_one():
    lib = _lib()
    assert lib.list() and not lib.problems
    for tid in ("slogans", "product-title", "ad-copy", "brand-names", "promo-sms", "video-title-ideas"):
        rules = lib.get(tid).checks
        assert rules.lists and rules.lists[0].distinct and rules.claims, tid
    assert lib.get("translate-zh-en").checks.claims is False


def test_store_kit_brand_and_copy_texts_are_cleaned_against_the_idea():
    from zaowu.apps.store_kit import check_brand, check_copy

    idea = "在杭州做手工陶瓷茶具的小网店，风格温润素雅"
    plan = {
        "candidates": [
            {"name": "最美茶舍", "reason": "好记"},
            {"name": "山野陶舍", "reason": "国家级工艺"},
            {"name": "温陶", "reason": "素雅"},
        ],
        "name": "最美茶舍",
        "tagline": "全网第一的手工茶具",
        "about": "我们坚持手工制作，保证品质。",
        "products": [{"name": "青白釉茶杯", "price": 89, "description": "最好用的手工茶杯"}],
    }
    plan, checks = check_brand(plan, idea, "zh")
    assert plan["name"] == "山野陶舍"  # a name that is a claim gives way to a plain candidate
    assert plan["tagline"] == "受欢迎的手工茶具" and plan["about"] == "我们坚持手工制作。"
    assert plan["products"][0] == {"name": "青白釉茶杯", "price": 89, "description": "很好用的手工茶杯"}
    assert "removed '国家级'" in next(c for c in checks if c.name == "brand.claims").detail
    copy = {
        "products": [
            {
                "title": "青白釉手工茶杯 顶级釉料",
                "points": ["手工拉坯", "第一品牌", "容量 250ml"],
                "detail": "售价 89 元，永不褪色。容量 250ml，送礼自用都合适。",
            }
        ]
    }
    copy, checks = check_copy(copy, plan, idea, "zh")
    product = copy["products"][0]
    assert product["title"] == "青白釉手工茶杯 优质釉料" and product["points"][1] == "受欢迎品牌"
    assert product["detail"] == "售价 89 元，不易褪色。送礼自用都合适。"  # the plan's price stays, 250ml goes
    by = {c.name: c for c in checks}
    assert by["copy.count.products"].ok and not by["copy.facts.numbers"].ok  # "容量 250ml" alone: reported
    assert "250" in by["copy.facts.numbers"].detail


# ---------------------------------------------------------------- with the real model


@pytest.fixture
def dated_studio(settings):
    from zaowu.studio.engine import Studio

    with Studio(settings.model_copy(update={"today": DAY})) as s:
        yield s


@pytest.mark.slow
def test_copywriter_writes_each_variant_from_its_own_angle_and_checks_it(dated_studio):
    studio = dated_studio
    run = run_app(
        studio,
        "copywriter",
        {"product": "Driftwood Coffee", "facts": COFFEE.split("\n")[1], "channel": "instagram", "variants": 3},
        seed=5,
    )
    r = run.result
    variants = r["variants"]
    assert len(variants) == 3 and all(v["body"] for v in variants)
    bodies = [v["body"] for v in variants]
    assert all(similarity(a, b) <= DUPLICATE_SIMILARITY for i, a in enumerate(bodies) for b in bodies[i + 1 :]), bodies
    assert len({v["angle"] for v in variants}) == 3 and all(v["angle"] in ANGLES for v in variants)
    names = {c["name"]: c for c in r["checks"]}
    assert {
        "count.variants",
        "distinct.variants",
        "length.body",
        "language.text",
        "claims",
        "facts.numbers",
        "format.hashtags",
    } <= set(names)
    assert names["count.variants"]["ok"] and names["distinct.variants"]["ok"]
    assert all(set(c) == {"name", "ok", "detail"} and c["detail"] for c in r["checks"])

    rows = [studio.log.get(g) for g in run.generation_ids]
    assert len(rows) >= 3  # one generation per variant (more when a variant was rewritten)
    assert len({row["seed"] for row in rows}) == len(rows)
    raw_bodies = [json.loads(row["output"]).get("body", "") for row in rows]
    for v in variants:
        assert len(v["body"]) <= 400 and len(v["hashtags"]) <= 10 and v["within_limits"] == names["length.body"]["ok"]
        last = re.findall(r"\w+", v["body"])[-1]  # a word the model wrote whole, or a fact of the request carried
        assert any(re.search(rf"\b{re.escape(last)}\b", raw) for raw in [*raw_bodies, COFFEE]), (last, v["body"])
        assert v["post"].startswith(v["body"]) and all(f"#{t}" in v["post"] for t in v["hashtags"])
    for row in rows:  # every prompt knows today's date
        assert "Today is Tuesday, 1 September 2026." in json.dumps(row["input"])
    saved = json.loads(studio.artifacts.read(r["file"]["id"]))
    assert saved["variants"] == variants and saved["checks"] == r["checks"]


@pytest.mark.slow
def test_a_template_with_checks_returns_the_count_asked_for_and_its_checks(dated_studio):
    result = run_template(
        dated_studio,
        "slogans",
        {"brand": "Driftwood Coffee", "count": 3, "selling_points": "Small-batch roasts every Monday"},
        seed=3,
    )
    assert len(result.output["slogans"]) == 3 and json.loads(result.text) == result.output
    assert all(len(s["text"]) <= 60 for s in result.output["slogans"])
    names = {c.name: c for c in result.checks}
    assert {
        "count.slogans",
        "distinct.slogans",
        "length.slogans.text",
        "language.output",
        "claims",
        "facts.numbers",
    } <= set(names)
    assert names["count.slogans"].ok
    texts = [s["text"] for s in result.output["slogans"]]
    pairs_ok = all(similarity(a, b) <= DUPLICATE_SIMILARITY for i, a in enumerate(texts) for b in texts[i + 1 :])
    assert names["distinct.slogans"].ok == pairs_ok  # the check tells the truth about the output
    assert result.generation_ids[0] == result.generation_id
    payload = result.to_dict()
    assert payload["checks"] and set(payload["checks"][0]) == {"name", "ok", "detail"}
    row = dated_studio.log.get(result.generation_id)
    assert "Today is Tuesday, 1 September 2026." in json.dumps(row["input"])


def test_timed_shots_are_scaled_to_the_requested_length():
    """A 30-second script whose shots add up to 13 s (seen with the default model) is repaired in code."""
    from pathlib import Path

    from zaowu.studio.quality.outputs import fit_durations, polish_output
    from zaowu.studio.templates import TemplateLibrary

    assert fit_durations([3, 4, 3, 3], 30) == [7, 9, 7, 7]
    assert sum(fit_durations([5, 5, 5, 6], 15)) == 15 and min(fit_durations([5, 5, 5, 6], 15)) >= 1
    assert fit_durations([0, 0, 0], 30) == [10, 10, 10]
    template = TemplateLibrary.for_data_dir(Path("/nonexistent-zaowu-data")).get("douyin-script")
    output = {
        "title": "鲜榨橙汁开业",
        "hook": "不加一滴水？",
        "ending": "评论区见",
        "hashtags": ["鲜榨"],
        "shots": [
            {"seconds": 3, "visual": "切橙子", "voiceover": "现榨不加水", "caption": "现榨"},
            {"seconds": 5, "visual": "倒果汁", "voiceover": "第二杯半价", "caption": "半价"},
            {"seconds": 5, "visual": "门头", "voiceover": "人民路88号", "caption": "地址"},
        ],
    }
    fixed, checks, _ = polish_output(
        template.checks,
        output,
        template.output_schema,
        language="zh",
        facts="现榨不加水，第二杯半价，人民路88号",
        values={"duration": "30"},
    )
    assert sum(s["seconds"] for s in fixed["shots"]) == 30
    found = {c.name: c for c in checks}
    assert found["duration.shots"].ok and "repaired: 13 s scaled to 30 s" in found["duration.shots"].detail
