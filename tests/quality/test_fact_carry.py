"""The request's promo codes and figures carried into every copy variant, on real model outputs of the
full bench (qwen2.5-coder-1.5b, 2026-12-01) that left them out."""

from __future__ import annotations

from zaowu.apps.copywriter import CHANNELS, polish
from zaowu.studio.quality.musts import explicit_facts


def _checks(draft) -> dict:
    return {c.name: c for c in draft.checks}


def test_codes_prices_and_quantities_are_read_with_their_clause():
    candles = "Hand-poured in Portland; 40-hour burn time; Black Friday: 25% off all candles Nov 27-30 with code WARM25"
    assert [(f.kind, f.token) for f in explicit_facts(candles)] == [("code", "WARM25")]
    dentist = "Teeth cleaning $89 for new patients; evening appointments until 8pm; downtown Austin"
    assert [(f.token, f.clause) for f in explicit_facts(dentist)] == [("$89", "Teeth cleaning $89 for new patients")]
    assert [f.token for f in explicit_facts("750 ml; double-wall stainless steel; BPA-free lid")] == ["750"]
    assert [f.token for f in explicit_facts("二楼靠窗能看到湖，手冲58元一杯，书可以随便翻")] == ["58"]
    assert explicit_facts("Hand-poured soy candles in three scents") == []


def test_an_email_without_the_promo_code_gets_it_within_the_limit():
    facts = "Hand-poured in Portland; 40-hour burn time; Black Friday: 25% off all candles Nov 27-30 with code WARM25"
    body = (
        "Hey there! 🎉 We're thrilled to announce our Black Friday sale on our hand-poured Portland soy candles. "
        "Check out our website now and let's make your holiday shopping extra special! 🎉"
    )
    draft = polish(
        {"title": "Save Up to 25% on Our Soy Candles!", "body": body}, CHANNELS["email"], "en", facts, "value", 0
    )
    assert draft.body.endswith("extra special! 🎉 Use code WARM25")
    assert _checks(draft)["facts.required"].ok and "WARM25" in _checks(draft)["facts.required"].detail
    again = polish({"title": "Sale", "body": draft.body}, CHANNELS["email"], "en", facts, "value", 0)
    assert again.body.count("WARM25") == 1  # present: nothing added twice


def test_a_short_search_ad_trims_its_own_words_to_carry_the_price():
    facts = "Teeth cleaning $89 for new patients; evening appointments until 8pm; downtown Austin"
    body = "Experience the ultimate smile makeover with Bright Smile Dental. Our professional team"
    draft = polish({"title": "Bright Smile Dental", "body": body}, CHANNELS["search_ad"], "en", facts, "value", 2)
    limit = CHANNELS["search_ad"].body_max
    assert "$89" in draft.body and len(draft.body) <= limit
    assert draft.body.startswith("Experience the ultimate smile makeover")
    assert _checks(draft)["facts.required"].ok


def test_a_title_only_listing_carries_the_quantity_in_its_title():
    facts = "750 ml; double-wall stainless steel; keeps drinks cold 24 hours and hot 12 hours; BPA-free lid"
    title = "A Comfortable, Long-Term Solution for Your Daily Water Needs"
    draft = polish({"title": title, "body": None}, CHANNELS["amazon_title"], "en", facts, "routine", 1)
    assert draft.title == title + ". 750 ml"
    assert _checks(draft)["facts.required"].ok


def test_a_near_duplicate_title_is_varied_from_its_own_body():
    from zaowu.apps.copywriter import Draft, vary_titles
    from zaowu.studio.quality.checks import DUPLICATE_SIMILARITY
    from zaowu.studio.quality.text import similarity

    drafts = [  # the real search-ad titles of the bench: 1 ≈ 3
        Draft(angle="value", title="Bright Smile Dental - Your", body="Teeth cleaning is $89 for new patients"),
        Draft(angle="scene", title="Revitalize Your Smile with", body="Evening appointments until 8pm"),
        Draft(
            angle="craft",
            title="Bright Smile Dental",
            body="Experience the ultimate smile makeover with Bright. Teeth cleaning $89 for new patients",
        ),
    ]
    assert similarity(drafts[0].title, drafts[2].title) > DUPLICATE_SIMILARITY
    changed = vary_titles(drafts, 30)
    assert changed and changed[0].startswith("variant 3:")
    titles = [d.title for d in drafts]
    assert titles[:2] == ["Bright Smile Dental - Your", "Revitalize Your Smile with"]  # the first of a pair stays
    assert all(similarity(a, b) <= DUPLICATE_SIMILARITY for i, a in enumerate(titles) for b in titles[i + 1 :])
    assert len(titles[2]) <= 30
    assert vary_titles(drafts, 30) == []  # nothing left to vary
