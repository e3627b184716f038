"""The default chat model answers in Chinese and English. It is a 1.1 GB download: ``make test``
pulls it into the test models folder (and fails these tests if it is missing); a plain ``pytest``
runs them where it is already pulled and skips them elsewhere."""

from __future__ import annotations

import re

import pytest

from zaowu.settings import Settings
from zaowu.studio.engine import Studio

from .conftest import TEST_THREADS, default_model_missing

DEFAULT = "qwen2.5-coder-1.5b-instruct"


@pytest.fixture(scope="module")
def qwen(tmp_path_factory, models_dir):
    import os

    candidates = [models_dir, Settings().models_path]
    if os.environ.get("ZAOWU_DEFAULT_MODEL_DIR"):
        candidates.insert(0, os.environ["ZAOWU_DEFAULT_MODEL_DIR"])
    for folder in candidates:
        settings = Settings(
            data_dir=tmp_path_factory.mktemp("qwen"), models_dir=folder, n_parallel=1, n_threads=TEST_THREADS
        )
        studio = Studio(settings)
        if studio.catalog.installed(studio.catalog.get(DEFAULT)):
            yield studio
            studio.close()
            return
        studio.close()
    default_model_missing(DEFAULT)


def test_answers_in_chinese(qwen):
    r = qwen.chat("中国的首都是哪个城市？请用一句中文回答。", model=DEFAULT, max_tokens=40, temperature=0)
    assert "北京" in r.text
    assert len(re.findall(r"[\u4e00-\u9fff]", r.text)) >= 4


def test_answers_in_english(qwen):
    r = qwen.chat(
        "What is the capital of Japan? Answer in one short sentence.", model=DEFAULT, max_tokens=30, temperature=0
    )
    assert "Tokyo" in r.text
