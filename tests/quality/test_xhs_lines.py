"""Xiaohongshu bodies as short separate lines, each led by an emoji, and the request's price carried
into a note: on real model outputs of the full bench (qwen2.5-coder-1.5b, 2026-12-01)."""

from __future__ import annotations

import statistics
from pathlib import Path

import zaowu.studio.templates as templates
from zaowu.studio.quality.formats import EMOJI, short_lines
from zaowu.studio.quality.outputs import polish_output

TEA = (
    "💡 每罐装250g，回甘明显，让你在一杯茶中感受大自然的馈赠。\n"
    "🌟 花这笔钱，你将得到的是：超值的价格，享受天然、纯净的茶叶体验。"
)
NOTE = {
    "title": "杭州西湖边独立书店咖啡馆",
    "cover_text": "西湖美景下的独行小憩",
    "body": "✨ 周末下午，我来到杭州西湖边的一家独立书店咖啡馆，享受了一段悠闲而丰富的时光。\n"
    "🌿 二楼靠窗可以看到湖水，这里是人们拍照留念的好地方，而且书可以随意翻阅，人多要排队20分钟，"
    "不过这里的食物和环境都还不错，适合与朋友一同享用。",
    "hashtags": ["杭州西湖", "独立书店", "咖啡馆", "探店打卡", "周末体验"],
}


def _short(body: str) -> bool:
    """The bench's rule: at least 3 lines, the median line at most 60 characters."""
    lines = [line for line in body.splitlines() if line.strip()]
    return len(lines) >= 3 and statistics.median(len(line) for line in lines) <= 60


def test_two_long_lines_are_split_at_a_clause_end_with_an_emoji_lead():
    assert not _short(TEA)
    out = short_lines(TEA)
    assert _short(out) and all(EMOJI.match(line) for line in out.splitlines())
    assert out.replace("\n", "").replace(" ", "").count("超值的价格") == 1  # nothing lost or doubled
    assert len({line[0] for line in out.splitlines()}) == 3  # each line its own marker
    assert short_lines("one line with no end") == "one line with no end"  # nothing to split at: unchanged


def test_a_note_missing_the_price_gets_it_and_reads_as_short_lines():
    template = templates.load_template(Path(templates.__file__).parent / "templates" / "xiaohongshu-note.yaml")
    values = {
        "subject": "杭州西湖边的独立书店咖啡馆",
        "details": "周末下午去的，二楼靠窗能看到湖，手冲58元一杯，书可以随便翻，人多要排队20分钟",
        "note_type": "visit",
    }
    assert "58" not in NOTE["body"] and not _short(NOTE["body"])
    output, checks, _ = polish_output(
        template.checks, NOTE, template.output_schema, language="zh", facts=templates._facts(values), values=values
    )
    body = output["body"]
    assert "手冲58元一杯" in body and _short(body)
    assert all(EMOJI.match(line) for line in body.splitlines())
    assert len(body) <= template.output_schema["properties"]["body"].get("maxLength", 10_000)
    found = {c.name: c for c in checks}
    assert found["facts.required"].ok and "58" in found["facts.required"].detail


def test_stray_chinese_in_an_english_caption_is_removed_and_reported():
    from zaowu.studio.quality.latin import strip_stray_cjk
    from zaowu.studio.quality.outputs import OutputChecks

    fix = strip_stray_cjk("Free induction with a教练")  # the real Douyin caption of the bench
    assert fix.text == "Free induction" and fix.removed == ["教练"]
    assert (
        strip_stray_cjk("Visit 山野茶舍 today", "山野茶舍").text == "Visit 山野茶舍 today"
    )  # the user's own words stay
    schema = {"type": "object", "properties": {"caption": {"type": "string"}}}
    output, checks, _ = polish_output(
        OutputChecks(), {"caption": "Free induction with a教练"}, schema, language="en", facts="gym", values={}
    )
    language = {c.name: c for c in checks}["language.output"]
    assert output["caption"] == "Free induction" and language.ok and "教练" in language.detail
