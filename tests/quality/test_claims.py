"""Claims scrubber (广告法 words and English absolutes) on hand-written copy: claims found and
rewritten so the text still reads, the user's own facts keep theirs, and words that only look
absolute (最近, 第一次, best before …) are left alone."""

from __future__ import annotations

import pytest

from zaowu.studio.quality import find_claims, scrub_claims
from zaowu.studio.quality.claims import describe_claims

REWRITTEN = [
    # (copy, what it must become)
    ("这是全网销量第一的绿茶，最好喝！", "这是热销的绿茶，很好喝！"),
    ("行业第一的茶舍，性价比第一。", "受欢迎的茶舍，性价比高。"),
    ("史上最好喝的咖啡", "很好喝的咖啡"),
    ("这个杯子最适合上班族，最受欢迎。", "这个杯子很适合上班族，很受欢迎。"),
    ("国家级非遗工艺，顶级原料，完美搭配。", "非遗工艺，优质原料，理想搭配。"),
    ("这款茶比其他茶叶更香，值得一试。", "这款茶很香，值得一试。"),
    ("永不褪色，绝对好看。", "不易褪色，好看。"),
    ("100%纯棉，舒适透气。", "纯棉，舒适透气。"),
    ("百分百纯棉，舒适透气。", "纯棉，舒适透气。"),
    ("最新款上市，送礼首选！", "新款上市，送礼优选！"),
    ("唯一的选择，独家配方。", "理想的选择，配方。"),
    ("全网最低价，限时抢购", "实惠价，限时抢购"),
    ("保证有效，无效退款。手工炒制，回甘明显。", "手工炒制，回甘明显。"),
    ("每天一杯，降血压。手工炒制。", "手工炒制。"),
    ("The best coffee in town!", "Great coffee in town!"),
    ("Our best-selling blend is back.", "Our favorite blend is back."),
    ("Satisfaction guaranteed. Roasted every Monday.", "Roasted every Monday."),
    ("Guaranteed fresh", "Fresh"),
    ("The only roaster that ships daily.", "A roaster that ships daily."),
    ("It tastes better than any other coffee, and it is world-class.", "It tastes great, and it is excellent."),
    ("The perfect gift for mornings.", "The ideal gift for mornings."),
    ("Our most popular blend.", "Our very popular blend."),
    ("We are #1 in Yunnan. Beans from two farms.", "Beans from two farms."),
    ("100% organic beans, award-winning roast.", "Organic beans, roast."),
    ("It cures headaches. Tasty too.", "Tasty too."),
    ("Freshest beans, cheapest prices.", "Fresh beans, affordable prices."),
    ("Unbeatable prices, the only eco shop here.", "Great prices, an eco shop here."),
]

NOT_CLAIMS = [
    "第一次喝就爱上了，第一口回甘明显。",
    "第一件半价，最多买 3 件，最近上新。",
    "最好提前预约，最后一天优惠，最终解释权归本店。",
    "每天最高立减 20 元，最低消费 50 元。",
    "我的最爱，第一时间分享给你，第一印象很好。",
    "保证金 200 元，活动结束后退还。",
    "Best before 2026-12-01. Store in a cool place.",
    "All the best, and do your best.",
    "Pairs best with milk; best served warm.",
    "The first sip tells you everything.",
    "Make the most of your mornings.",
    "It is one of two farms we buy from, the first time we roasted it.",
]


@pytest.mark.parametrize("copy,expected", REWRITTEN, ids=[c for c, _ in REWRITTEN])
def test_claims_are_rewritten_and_the_text_reads_cleanly(copy, expected):
    cleaned, claims = scrub_claims(copy)
    assert claims, "a claim was found"
    assert cleaned == expected
    assert not find_claims(cleaned), "nothing left to find"
    assert "  " not in cleaned and not cleaned.startswith(("，", ",", "的", " "))


@pytest.mark.parametrize("copy", NOT_CLAIMS)
def test_words_that_only_look_absolute_are_left_alone(copy):
    assert find_claims(copy) == []
    assert scrub_claims(copy) == (copy, [])


def test_the_users_own_facts_keep_their_claims():
    facts = "国家级非物质文化遗产 国家级非遗；Voted the best café in Hangzhou 2024; 100% organic; 销量第一"
    for copy in ("国家级非遗工艺", "The best café in Hangzhou.", "100% organic beans", "全网销量第一的咖啡馆"):
        assert scrub_claims(copy, facts) == (copy, []), copy
    # a fact that only looks like a claim supports nothing
    assert scrub_claims("The best café in Hangzhou.", "Best before: 2026")[0] == "Great café in Hangzhou."
    assert scrub_claims("最好喝的茶", "最好提前预约")[0] == "很好喝的茶"
    # a fact supports its own claim, not others
    cleaned, claims = scrub_claims("国家级工艺，顶级原料", "国家级非遗")
    assert cleaned == "国家级工艺，优质原料" and [c.text for c in claims] == ["顶级"]


def test_changes_are_described_for_the_checks():
    _, claims = scrub_claims("Satisfaction guaranteed. 100% organic, the best beans.")
    detail = describe_claims(claims)
    assert "dropped the sentence (or clause) with 'guaranteed'" in detail
    assert "removed '100%'" in detail and "'the best' → 'great'" in detail
    assert [c.key for c in claims] == ["guaranteed", "100%", "best"]


def test_a_single_sentence_loses_the_words_not_the_sentence():
    assert scrub_claims("保证新鲜")[0] == "新鲜"
    assert scrub_claims("Money-back guarantee on every bag")[0]  # one sentence: never emptied


def test_a_rewritten_claim_never_breaks_the_schema_length():
    """'best' → 'great' lengthens a text: a 30-character name must stay within its maxLength (seen in CI)."""
    from zaowu.studio.quality.outputs import OutputChecks, polish_output

    schema = {"type": "object", "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 30}}}
    output, _, _ = polish_output(
        OutputChecks(), {"name": "Nominated for a Best of the 20"}, schema, language="en", facts="a bakery", values={}
    )
    assert len(output["name"]) <= 30 and "Best" not in output["name"] and not output["name"].endswith(" ")
