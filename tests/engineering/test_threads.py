"""llama.cpp's thread default follows the machine's load, and the answer to a seeded request does not
depend on the thread count, so the load-dependent default keeps seeds reproducible (issue 13)."""

from __future__ import annotations

import os

import pytest

from zaowu.backends.llamacpp import default_threads
from zaowu.settings import Settings
from zaowu.types import TextRequest

from ..conftest import TEST_MODEL


@pytest.mark.parametrize(
    ("cores", "load", "threads"),
    [(8, 0.2, 8), (8, 3.4, 5), (2, 0.0, 2), (2, 0.6, 1), (2, 1.4, 1), (2, 9.0, 1), (1, 0.0, 1), (16, 40.0, 1)],
)
def test_default_threads_leave_the_busy_cores_alone(cores, load, threads):
    assert default_threads(cores, load) == threads


def test_default_threads_reads_this_machine():
    assert 1 <= default_threads() <= (os.cpu_count() or 1)


def test_a_prompt_is_read_on_every_core_whatever_the_load(models_dir, monkeypatch):
    """Decoding threads follow the load; prompt reading takes every core unless told (a stale load average
    had halved the knowledge answers' first token on an idle 2-core machine: 6.0 s on 1 thread, 3.1 s on 2)."""
    from zaowu.backends import llamacpp

    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    path = str(models_dir / "SmolLM2-135M-Instruct.Q4_1.gguf")
    cores = len(os.sched_getaffinity(0))
    params = llamacpp.server_params(path, llamacpp.LlamaCppOptions(), 1024)
    assert (params.cpuparams.n_threads, params.cpuparams_batch.n_threads) == (1, cores)
    params = llamacpp.server_params(path, llamacpp.LlamaCppOptions(n_threads=1), 1024)
    assert params.cpuparams_batch.n_threads == 1  # an explicit n_threads holds for both
    params = llamacpp.server_params(path, llamacpp.LlamaCppOptions(n_threads_batch=3), 1024)
    assert params.cpuparams_batch.n_threads == 3


def test_the_same_seed_gives_the_same_text_at_any_thread_count(tmp_path, models_dir):
    from zaowu.studio.engine import Studio

    request = TextRequest(
        messages=[{"role": "user", "content": "Describe a spring tea sale in three sentences."}],
        seed=21,
        temperature=1.0,
        max_tokens=80,
    )
    texts = []
    for threads in (1, 2):
        settings = Settings(
            data_dir=tmp_path / f"t{threads}",
            models_dir=models_dir,
            default_chat_model=TEST_MODEL,
            n_ctx=1024,
            n_parallel=1,
            n_threads=threads,
        )
        with Studio(settings) as studio:
            texts.append(studio.generate_text(request).text)
    assert texts[0].strip() and texts[0] == texts[1]
