"""A storyboard's narrations after the model: repeated scenes replaced, the request's facts said, nothing
added that the request does not state. The first case is what qwen2.5-coder-1.5b really wrote for a
30-second tea-house ad (eight scenes, two lines alternating, the price and opening hours left out)."""

from __future__ import annotations

import copy

from zaowu.studio.quality.checks import DUPLICATE_SIMILARITY
from zaowu.studio.quality.text import similarity
from zaowu.studio.storyboard_texts import request_facts, settle_narration

TEA = "A 30-second Douyin ad for Hilltop Tea House's new osmanthus oolong, 28 yuan a cup, open daily 9am to 9pm"
WRITTEN = [
    "Enjoy your delicious osmanthus oolong!",
    "Start your day with a delicious osmanthus oolong!",
    "Come and enjoy your delicious osmanthus oolong!",
    "Start your day with a delicious osmanthus oolong!",
    "Come and enjoy your delicious osmanthus oolong!",
    "Start your day with a delicious osmanthus oolong!",
    "Come and enjoy your delicious osmanthus oolong!",
    "Start your day with a delicious osmanthus oolong!",
]
TEXTS = [
    "Osmanthus oolong",
    "New at Hilltop",
    "Fragrant cup",
    "Warm",
    "Fresh daily",
    "Daily",
    "Visit",
    "Hilltop Tea House",
]


def _board(narrations, texts):
    return {"scenes": [{"narration": n, "text": t, "duration": 3.75} for n, t in zip(narrations, texts, strict=True)]}


def _repeats(narrations) -> list[tuple[int, int]]:
    said = [(i, n) for i, n in enumerate(narrations) if n.strip()]
    return [
        (i, j) for a, (i, x) in enumerate(said) for j, y in said[a + 1 :] if similarity(x, y) > DUPLICATE_SIMILARITY
    ]


def test_the_facts_a_request_states_are_read():
    assert [(f.token, f.phrase) for f in request_facts(TEA)] == [
        ("28 yuan", "28 yuan a cup"),
        ("9am to 9pm", "open daily 9am to 9pm"),
    ]
    zh = request_facts("山野茶舍新品桂花乌龙，每杯28元，每天早上9点到晚上9点营业，优惠码TEA20")
    assert [f.phrase for f in zh] == ["每杯28元", "每天早上9点到晚上9点营业", "优惠码TEA20"]
    assert request_facts("A calm explainer about tea") == []


def test_repeated_scenes_are_replaced_and_the_facts_said():
    board = _board(WRITTEN, TEXTS)
    repairs = settle_narration(board, TEA, "en")
    said = [s["narration"] for s in board["scenes"]]
    assert _repeats(said) == []
    assert "28 yuan a cup." in said and "Open daily 9am to 9pm." in said
    assert said[:2] == WRITTEN[:2]  # what was new is kept as written
    # every changed scene says the request's words or its own on-screen words, or nothing
    for before, after, text in zip(WRITTEN, said, TEXTS, strict=True):
        assert after in (before, "", f"{text}.", "28 yuan a cup.", "Open daily 9am to 9pm.")
    assert len(repairs) == sum(a != b for a, b in zip(WRITTEN, said, strict=True))


def test_a_fact_no_scene_says_opens_the_last_scene():
    """Distinct narrations that leave the price out: it is said first in the last scene, where cutting the
    narration to the scene's length (which keeps the start) cannot drop it."""
    board = _board(["Meet our new oolong.", "Brewed fresh every hour.", "Visit us today."], ["a", "b", "c"])
    settle_narration(board, "New oolong at Hilltop Tea House, 28 yuan a cup", "en")
    assert [s["narration"] for s in board["scenes"]] == [
        "Meet our new oolong.",
        "Brewed fresh every hour.",
        "28 yuan a cup. Visit us today.",
    ]


def test_chinese_board_gets_its_code_and_hours():
    prompt = "山野茶舍新品桂花乌龙，每杯28元，每天早上9点到晚上9点营业，优惠码TEA20"
    board = _board(["桂花乌龙上新啦！", "桂花乌龙上新啦！", "欢迎来山野茶舍。"], ["新品", "上新", "山野茶舍"])
    settle_narration(board, prompt, "zh")
    text = " ".join(s["narration"] for s in board["scenes"])
    assert "28" in text and "TEA20" in text and "9点" in text
    assert _repeats([s["narration"] for s in board["scenes"]]) == []


def test_a_board_that_is_already_right_is_left_alone():
    narrations = ["Meet our new oolong, 28 yuan a cup.", "Open daily 9am to 9pm.", "See you soon."]
    board = _board(narrations, ["a", "b", "c"])
    before = copy.deepcopy(board)
    assert settle_narration(board, TEA, "en") == [] and board == before


def test_narration_is_cut_at_a_sentence_or_clause_end_never_mid_phrase():
    from zaowu.studio.storyboard import _fit

    # 2 s at 2.6 words a second is 5 words: no end within them, so the sentence is kept whole for the
    # scene lengths to be balanced when it is spoken (it was cut to "Our osmanthus oolong is open daily.")
    whole = "Our osmanthus oolong is open daily from 9am to 9pm."
    assert _fit(whole, 2.0, "en") == whole
    assert _fit("Enjoy a cup of oolong, then stay for a slice of cake.", 2.5, "en") == "Enjoy a cup of oolong."
    assert _fit("Fresh every morning. Open daily from nine to nine.", 2.0, "en") == "Fresh every morning."
    assert _fit("桂花乌龙上新，每杯二十八元，欢迎品尝。", 2.0, "zh") == "桂花乌龙上新。"
    assert _fit(whole, 2.0, "en", hard=True) == "Our osmanthus oolong is open."  # the last resort: words that fit


def test_fragments_end_as_sentences_or_go():
    from zaowu.studio.storyboard import tidy_narration

    assert tidy_narration("Our osmanthus oolong is available at", "en") == "Our osmanthus oolong is available."
    assert tidy_narration("Visit us today and.", "en") == "Visit us today."
    assert tidy_narration("Our.", "en") == ""  # a cut that left nothing to say: the scene plays with music
    assert tidy_narration("Hello there!", "en") == "Hello there!"
    assert tidy_narration("The price per cup is 28 yuan.", "en") == "The price per cup is 28 yuan."
    assert tidy_narration("欢迎光临", "zh") == "欢迎光临"
