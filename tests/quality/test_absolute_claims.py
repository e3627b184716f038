"""Absolute claims in both languages: always/forever/never fails/100 percent, 永远/绝不/万无一失…"""

from __future__ import annotations

import pytest

from zaowu.studio.quality import find_claims, scrub_claims


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Always fresh, always local.", "Fresh, local."),
        ("This lamp never fails. Warm light for your desk.", "Warm light for your desk."),
        ("Colours that never fade, made of linen.", "Made of linen."),
        ("Absolutely safe for kids and 100 percent cotton.", "Safe for kids and cotton."),
        ("Everyone loves our croissants.", "People love our croissants."),
        ("Candles that last forever.", "Candles that last."),
        ("永远新鲜的面包。", "新鲜的面包。"),
        ("绝不掉色，从不起球。", "不掉色，不起球。"),
        ("品质万无一失，绝无仅有的设计，无可挑剔。", "品质稳妥，少见的设计，出色。"),
        ("零差评好店，永远在线。", "好店，在线。"),
        ("100%纯棉，绝对舒适。", "纯棉，舒适。"),
    ],
)
def test_absolutes_are_rewritten_or_removed(text, expected):
    cleaned, claims = scrub_claims(text)
    assert cleaned == expected and claims


@pytest.mark.parametrize(
    "text",
    [
        "See you soon, as always!",
        "Not always in stock: call ahead.",
        "Almost always sold out by noon.",
        "第一次来的顾客送一杯茶。",
    ],
)
def test_phrases_that_state_no_absolute_are_left(text):
    assert find_claims(text) == []


def test_the_users_own_absolute_is_theirs_to_prove():
    assert scrub_claims("Always fresh bread", "Our bread is always fresh")[0] == "Always fresh bread"
    assert scrub_claims("永远免费退换", "本店承诺永远免费退换")[0].startswith("永远")
