"""Details a text template must keep from the request (``checks.keep``), added in code where the model left
them out: the event's time, place and how to join, and every day a store notice names. The outputs are real
ones of the full bench (qwen2.5-coder-1.5b, 2026-12-01) that dropped them."""

from __future__ import annotations

import pytest

from zaowu.studio.quality.outputs import OutputChecks
from zaowu.studio.quality.redate import stated_days
from zaowu.studio.templates import TemplateLibrary, check_template_output


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return TemplateLibrary.for_data_dir(tmp_path_factory.mktemp("templates"))


def _check(library, template_id, values, text, language):
    rendered = library.get(template_id).render(values, language)
    text, _, checks, _ = check_template_output(rendered, text, None)
    return text, {c.name: c for c in checks}


LATTE = {
    "event": "Latte art workshop",
    "when_where": "This Saturday, 2-4pm, at Driftwood Coffee, 12 Pine St",
    "highlights": "Learn hearts and tulips with our head barista; all milk and coffee included",
    "how_to_join": "$25, 10 places, book at the counter",
    "channel": "social",
}
LATTE_OUT = (
    "# Latte Art Workshop\n\nDiscover the beauty of heart and tulip designs with our head barista. All milk and "
    "coffee included. Limited to 10 places, book at the counter today. 🥛✨ #LatteArt #DriftwoodCoffee #JoinNow"
)
NOTICE = {
    "store": "花间集女装",
    "kind": "holiday",
    "details": "春节放假：2027年2月5日至2月12日暂停发货，2月13日起恢复发货，期间可以正常下单",
    "tone": "warm",
}
NOTICE_OUT = (
    "### 春节放假安排\n\n亲爱的顾客们：\n\n我们很抱歉于今天宣布，由于春节假期的来临，我们将从2027年2月5日开始暂停发货，"
    "直到2027年2月12日。在此期间，您可以正常下单，我们将尽快恢复发货。\n\n再次感谢您的理解和支持！\n\n---\n\n"
    "**注意：以上公告为花间集女装的官方公告，如有任何疑问或需要帮助，请联系我们的客服团队。**"
)


def test_an_event_post_without_its_time_place_and_price_gets_them_as_lines(library):
    text, checks = _check(library, "event-promotion", LATTE, LATTE_OUT, "en")
    assert text.startswith(LATTE_OUT)  # the model's words stay; the details follow them
    assert "- **When and where**: This Saturday, 2-4pm, at Driftwood Coffee, 12 Pine St" in text
    assert "- **How to join**: $25, 10 places, book at the counter" in text
    assert "repaired" in checks["keep.when_where"].detail and checks["keep.how_to_join"].ok
    again, checks = _check(library, "event-promotion", LATTE, text, "en")
    assert again.count("$25") == 1 and checks["keep.how_to_join"].detail == "written as given"


def test_an_event_post_that_wrote_the_details_in_bold_or_other_spacing_is_left_alone(library):
    written = "# Latte art\n\n**this saturday, 2-4pm,  at Driftwood Coffee, 12 Pine St**\n\n$25, 10 places, book at the counter"
    text, checks = _check(library, "event-promotion", LATTE, written, "en")
    assert text == written
    assert checks["keep.when_where"].detail == checks["keep.how_to_join"].detail == "written as given"


def test_a_holiday_notice_that_dropped_the_day_shipping_resumes_gets_that_clause_before_its_footer(library):
    text, checks = _check(library, "store-announcement", NOTICE, NOTICE_OUT, "zh")
    assert "- 2月13日起恢复发货\n\n---\n\n**注意" in text
    assert text.count("2月5日") == 1 and text.count("2月12日") == 1  # days already written are not repeated
    assert checks["keep.details"].ok and "2月13日起恢复发货" in checks["keep.details"].detail
    _, checks = _check(library, "store-announcement", NOTICE, text, "zh")
    assert checks["keep.details"].detail == "every day the request names is written"


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("2027年2月5日至2月12日暂停发货，2月13日起恢复", [(2, 5), (2, 12), (2, 13)]),
        ("2 月 8 日至 2 月 17 日春节放假", [(2, 8), (2, 17)]),
        ("new ship date 18 June; closed Feb 13th and on 2027-03-01", [(6, 18), (2, 13), (3, 1)]),
        ("this Saturday, 2-4pm, at 12 Pine St", []),
    ],
)
def test_the_days_a_text_names_are_read_in_every_written_form(text, days):
    assert [day for day, _ in stated_days(text)] == days


def test_keep_rules_name_what_is_wrong():
    with pytest.raises(ValueError, match="keep.when: give a label"):
        OutputChecks.model_validate({"keep": [{"variable": "when"}]})
    with pytest.raises(ValueError, match="checks.keep.0.variable: no variable 'place'"):
        OutputChecks.model_validate({"keep": [{"variable": "place", "dates": True}]}).validate_against(None, {})
    rules = OutputChecks.model_validate({"keep": [{"variable": "d", "dates": True}]})
    with pytest.raises(ValueError, match="checks.keep: only for a text"):
        rules.validate_against({"type": "object", "properties": {}}, {"d": object()})
