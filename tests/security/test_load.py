"""Back-pressure and body caps against a real server (issue 12, item 8).

The server here has one parallel slot and a queue of one for SmolLM2, so two requests fill the
model's line. Two "holder" chats fill it: a JSON schema needing hundreds of array items keeps each
of them generating for a while (the grammar forbids stopping early), and /health tells when both
are in. A burst sent then must be refused with 503 + Retry-After instead of piling up, /health must
keep answering, a job must wait for its turn instead of being refused, and every place in the line
must be given back afterwards (streams closed early included).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import time

import httpx
import pytest

from ..conftest import TEST_MODEL, Server
from ..helpers import wait_jobs

MAX_UPLOAD = 1 << 20  # the upload cap of this test's server

# at least 300 integers: several hundred tokens that the model cannot cut short
LONG = {
    "type": "json_schema",
    "json_schema": {
        "name": "numbers",
        "strict": True,
        "schema": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 9},
            "minItems": 300,
            "maxItems": 300,
        },
    },
}


def chat(content: str = "Say hi.", **extra) -> dict:
    return {"model": TEST_MODEL, "messages": [{"role": "user", "content": content}], "max_tokens": 8, **extra}


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory, models_dir):
    srv = Server(
        tmp_path_factory.mktemp("load-server"),
        models_dir,
        extra_env={"ZAOWU_N_PARALLEL": "1", "ZAOWU_MAX_QUEUE": "1", "ZAOWU_MAX_UPLOAD_BYTES": str(MAX_UPLOAD)},
    )
    yield srv
    srv.stop()


def line(base: str) -> dict:
    """The model's running/waiting counts from /health (zeros before its first request)."""
    queues = httpx.get(base + "/health", timeout=30).json()["queues"]
    return queues.get(TEST_MODEL, {"running": 0, "waiting": 0})


def wait_line(base: str, predicate, what: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = line(base)
        if predicate(state):
            return state
        time.sleep(0.05)
    raise AssertionError(f"the model's line never got {what}: {line(base)}")


def test_full_queue_refuses_with_retry_after_and_jobs_wait(busy_server):
    base = busy_server.base_url
    assert httpx.post(base + "/v1/chat/completions", json=chat(), timeout=120).status_code == 200  # warm
    with cf.ThreadPoolExecutor(16) as pool:
        holders = [
            pool.submit(
                httpx.post,
                base + "/v1/chat/completions",
                timeout=600,
                json=chat("List 300 digits.", max_tokens=1500, response_format=LONG),
            )
            for _ in range(2)
        ]
        wait_line(base, lambda s: s["running"] + s["waiting"] == 2, "both holders in")

        job = httpx.post(base + "/v1/jobs", json={"kind": "text", "request": chat()}, timeout=30)
        assert job.status_code == 202
        burst = [pool.submit(httpx.post, base + "/v1/chat/completions", json=chat(), timeout=600) for _ in range(6)]
        burst += [pool.submit(httpx.post, base + "/v1/chat/completions", json=chat(stream=True), timeout=600)]
        assert httpx.get(base + "/health", timeout=30).json()["status"] == "ok"  # answers during the burst
        answers = [f.result() for f in burst]
        assert all(h.result().status_code == 200 for h in holders)

    refused = [r for r in answers if r.status_code == 503]
    assert refused, [r.status_code for r in answers]
    assert all(r.status_code in (200, 503) for r in answers)
    for r in refused:
        assert int(r.headers["retry-after"]) >= 1
        error = r.json()["error"]
        assert error["code"] == "server_busy" and error["type"] == "server_error"
        assert TEST_MODEL in error["message"] and "max_queue" in error["message"]
    # the job waited for a slot instead of being refused
    (done,) = wait_jobs(base, [job.json()["id"]], timeout=600)
    assert done["state"] == "succeeded", done
    # every place was given back, and the server serves normally
    wait_line(base, lambda s: s["running"] == 0 and s["waiting"] == 0, "empty")
    assert httpx.post(base + "/v1/chat/completions", json=chat(), timeout=120).status_code == 200


def test_abandoned_stream_gives_its_place_back(busy_server):
    base = busy_server.base_url
    body = chat("List 300 digits.", max_tokens=1500, response_format=LONG, stream=True)
    with httpx.stream("POST", base + "/v1/chat/completions", json=body, timeout=120) as r:
        assert r.status_code == 200
        next(r.iter_lines())  # one event, then hang up
    wait_line(base, lambda s: s["running"] == 0 and s["waiting"] == 0, "empty after the stream was closed")
    assert httpx.post(base + "/v1/chat/completions", json=chat(), timeout=120).status_code == 200


def test_large_json_body_is_refused_with_413(busy_server):
    base = busy_server.base_url
    big = json.dumps(chat("x" * (3 << 20))).encode()
    r = httpx.post(base + "/v1/chat/completions", content=big, headers={"content-type": "application/json"}, timeout=60)
    assert r.status_code == 413
    error = r.json()["error"]
    assert error["code"] == "request_too_large" and "max_body_bytes" in error["message"]
    assert "2.0 MiB" in error["message"]

    def chunks():  # no Content-Length: counted as it arrives
        for i in range(0, len(big), 1 << 16):
            yield big[i : i + (1 << 16)]

    r = httpx.post(
        base + "/v1/chat/completions", content=chunks(), headers={"content-type": "application/json"}, timeout=60
    )
    assert r.status_code == 413 and "max_body_bytes" in r.json()["error"]["message"]
    assert httpx.post(base + "/v1/chat/completions", json=chat(), timeout=120).status_code == 200


def test_large_upload_is_refused_with_413(busy_server):
    files = {"file": ("talk.wav", b"\0" * (2 * MAX_UPLOAD), "audio/wav")}
    r = httpx.post(
        busy_server.base_url + "/v1/audio/transcriptions", files=files, data={"model": "whisper-base"}, timeout=60
    )
    assert r.status_code == 413
    assert "max_upload_bytes" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}] * 2049}, "messages"),
        (
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}] * 257}]},
            "messages.0.content",
        ),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}], "stop": ["a"] * 9}, "stop"),
        ("/v1/embeddings", {"input": ["a"] * 2049}, "input"),
    ],
)
def test_oversized_lists_get_400_naming_the_field(busy_server, path, body, param):
    r = httpx.post(busy_server.base_url + path, json={"model": TEST_MODEL, **body}, timeout=60)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["param"] == param and "at most" in error["message"]
    assert httpx.get(busy_server.base_url + "/health", timeout=30).status_code == 200


def test_only_refusing_callers_are_refused_and_waiters_get_the_freed_slot():
    """The middle layer alone: HTTP requests (inside refusing()) get Overloaded when the line is
    full; jobs, the CLI and Python callers wait for a slot instead; a thread holding a slot passes
    its own model's gate again instead of waiting for itself."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from zaowu.errors import Overloaded
    from zaowu.settings import Settings
    from zaowu.studio.admission import Admission, refusing
    from zaowu.types import Modality, ModelSpec

    admission = Admission(Settings(max_queue=1), slots=lambda spec: 1)  # the backend declares one slot
    spec = ModelSpec(id="m", modality=Modality.text, backend="llamacpp")
    other = ThreadPoolExecutor(1)  # the thread holding the slot
    running = other.submit(lambda: admission.reserve(spec).__enter__()).result(30)
    queued = admission.reserve(spec)
    with refusing(), pytest.raises(Overloaded) as refused:
        admission.reserve(spec)
    assert refused.value.retry_after >= 1 and "max_queue=1" in refused.value.message
    nested = other.submit(lambda: admission.reserve(spec).__enter__()).result(30)  # the holder: no wait
    nested.release()

    waiter = admission.reserve(spec)  # not refusing: takes a place beyond the queue and waits
    got_slot = threading.Event()
    thread = threading.Thread(target=lambda: (waiter.start(), got_slot.set()))
    thread.start()
    assert not got_slot.wait(0.2)
    queued.release()  # a place given back before it ran
    running.release()
    assert got_slot.wait(30)
    thread.join()
    waiter.release()
    other.shutdown()
    assert admission.snapshot()["m"] == {"running": 0, "waiting": 0, "slots": 1, "queue": 1}
