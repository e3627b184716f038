"""Facts an output must carry, made to hold in code: a promo SMS always has the link given and the opt-out
(inserted within the SMS length when the model left them out, then re-checked and reported), and a
weekly-report heading whose invented lines were removed says nothing was reported instead of standing empty."""

from __future__ import annotations

import json

import pytest

from zaowu.studio.templates import TemplateLibrary, check_template_output


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return TemplateLibrary.for_data_dir(tmp_path_factory.mktemp("templates"))


def _check(library, template_id, values, output, language):
    rendered = library.get(template_id).render(values, language)
    text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
    text, parsed, checks, _ = check_template_output(rendered, text, None if isinstance(output, str) else output)
    return text, parsed, {c.name: c for c in checks}


SMS_ZH = {"brand": "鲜果时光", "offer": "会员日全场水果8折", "deadline": "本周日22:00", "link": "小程序搜索“鲜果时光”"}
SMS_EN = {"brand": "Northside Books", "offer": "20% off paperbacks this weekend", "link": "nsbooks.co/weekend"}


def test_promo_sms_zh_gets_the_missing_link_and_opt_out_within_70_characters(library):
    messages = [
        # the link missing: it goes before the opt-out, which stays last
        {"text": "【鲜果时光】会员日全场水果8折，本周日22:00截止。拒收请回复R", "style": "直接优惠"},
        # both missing, and the message already long: the words before are trimmed at a boundary
        {
            "text": "【鲜果时光】会员专属：全场水果8折，鲜切果盘也参加，本周日22:00截止，欢迎到店或线上选购，数量有限先到先得",
            "style": "会员专属",
        },
        # everything there, the opt-out in another common wording and the quotes in ASCII: unchanged
        {"text": '【鲜果时光】本周日22:00前全场水果8折，小程序搜索"鲜果时光"下单。回T退订', "style": "限时提醒"},
    ]
    values = {**SMS_ZH, "count": 3}
    _, out, checks = _check(library, "promo-sms", values, {"messages": messages}, "zh")
    texts = [m["text"] for m in out["messages"]]
    assert texts[0] == "【鲜果时光】会员日全场水果8折，本周日22:00截止。小程序搜索“鲜果时光” 拒收请回复R"
    assert texts[1].startswith("【鲜果时光】会员专属：全场水果8折") and texts[1].endswith(
        "小程序搜索“鲜果时光” 拒收请回复R"
    )
    assert texts[2] == messages[2]["text"]
    assert all(len(t) <= 70 for t in texts), [len(t) for t in texts]
    check = checks["required.messages.text"]
    assert (
        check.ok and "added link to messages [1, 2]" in check.detail and "added opt-out to messages [2]" in check.detail
    )


def test_promo_sms_en_appends_the_link_and_the_opt_out_and_says_so(library):
    messages = [
        {"text": "Northside Books: 20% off paperbacks this weekend, members only", "style": "members"},
        {
            "text": "Northside Books: 20% off paperbacks this weekend at nsbooks.co/weekend. Reply STOP to opt out",
            "style": "offer",
        },
    ]
    _, out, checks = _check(library, "promo-sms", {**SMS_EN, "count": 2}, {"messages": messages}, "en")
    first = out["messages"][0]["text"]
    assert (
        first
        == "Northside Books: 20% off paperbacks this weekend, members only. nsbooks.co/weekend Reply STOP to opt out"
    )
    assert out["messages"][1]["text"] == messages[1]["text"]
    check = checks["required.messages.text"]
    assert check.ok and "added link to messages [1]" in check.detail and "opt-out to messages [1]" in check.detail


def test_a_fact_that_cannot_fit_is_reported_not_forced_and_no_link_is_asked_when_none_was_given(library):
    long_link = "小程序搜索“鲜果时光”领取会员日专属优惠券后再下单可享受全场水果八折及满九十九元送草莓一盒的双重优惠"
    text = "【鲜果时光】会员日全场水果8折，满99元送1盒草莓，本周日22:00截止，到店或线上都可参加。拒收请回复R"
    values = {**SMS_ZH, "offer": "会员日全场水果8折，满99元送1盒草莓", "count": 1}
    _, out, checks = _check(
        library, "promo-sms", {**values, "link": long_link}, {"messages": [{"text": text, "style": "a"}]}, "zh"
    )
    check = checks["required.messages.text"]
    assert not check.ok and "messages [1] still lack link" in check.detail
    assert out["messages"][0]["text"] == text and len(text) <= 70  # left as it was, within the SMS
    # no link given: only the opt-out is required
    _, out, checks = _check(
        library, "promo-sms", {**values, "link": ""}, {"messages": [{"text": text, "style": "a"}]}, "zh"
    )
    assert checks["required.messages.text"].ok and out["messages"][0]["text"] == text


REPORT_ZH = {"role": "电商运营", "notes": "周一上架12款新品；直播两场，GMV 4.2万；客服差评3条已处理"}
REPORT_EN = {"role": "Backend engineer", "notes": "Shipped login rate limiting; on-call Tuesday, one incident"}


def test_weekly_report_zh_section_emptied_of_invented_numbers_says_nothing_was_reported(library):
    report = (
        "## 本周完成\n- 上架12款新品\n- 处理客服差评3条\n\n"
        "## 关键数据\n- 点击率提升35%\n\n"  # invented: the notes give no click rate
        "## 问题与风险\n\n"  # left empty by the model
        "## 下周计划\n- 准备新品直播"
    )
    text, _, checks = _check(library, "weekly-report", REPORT_ZH, report, "zh")
    assert "35%" not in text
    assert "## 关键数据\n- 无（记录中未提及）" in text and "## 问题与风险\n- 无（记录中未提及）" in text
    assert "## 本周完成\n- 上架12款新品" in text and "- 准备新品直播" in text
    assert checks["facts.numbers"].ok and "35%" in checks["facts.numbers"].detail
    assert "关键数据" in checks["sections"].detail and "问题与风险" in checks["sections"].detail


def test_weekly_report_en_with_bold_headings_and_subsections(library):
    report = (
        "**Done this week**\n- Shipped login rate limiting\n"
        "**Key numbers**\n- Cut p95 latency by 40%\n"  # invented
        "**Issues and risks**\n- One incident while on call Tuesday\n"
        "**Next week**\n- Write the postmortem"
    )
    text, _, checks = _check(library, "weekly-report", REPORT_EN, report, "en")
    assert "40%" not in text and "**Key numbers**\n- None reported in the notes\n**Issues and risks**" in text
    assert checks["sections"].detail == "nothing left under ['Key numbers']: each given '- None reported in the notes'"
    complete = "## Done\n- Shipped login rate limiting\n### Incidents\n- One on Tuesday\n## Next week\n- Postmortem"
    text, _, checks = _check(library, "weekly-report", REPORT_EN, complete, "en")
    assert (
        text == complete and checks["sections"].detail == "every section has content"
    )  # a parent of a full subsection
