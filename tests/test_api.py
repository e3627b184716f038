"""The OpenAI-compatible API, driven by the official openai SDK against a real
``zaowu serve`` process running the real SmolLM2 model."""

from __future__ import annotations

import json
import threading

import httpx
import jsonschema
import numpy as np
import openai
import pytest

from zaowu.studio.db import open_database
from zaowu.studio.genlog import GenerationLog

from .conftest import TEST_MODEL

MSG = [{"role": "user", "content": "Name three colours."}]
PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 40}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def server_log(server) -> GenerationLog:
    return GenerationLog(open_database(server.settings().db_url))


def test_models_lists_installed_models_with_catalog_facts(client):
    models = {m.id: m for m in client.models.list()}
    assert TEST_MODEL in models and "use-multilingual-v3" in models
    card = client.models.retrieve(TEST_MODEL).model_dump()
    assert card["modality"] == "text" and card["licence"] == "Apache-2.0"
    assert card["sha256"] == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def test_chat_streaming_matches_non_streaming_for_the_same_seed(client):
    kw = dict(model=TEST_MODEL, messages=MSG, max_tokens=24, seed=42, temperature=0.8)
    full = client.chat.completions.create(**kw)
    text = full.choices[0].message.content
    assert text and full.choices[0].finish_reason in ("stop", "length")
    assert full.usage.prompt_tokens > 5 and 0 < full.usage.completion_tokens <= 24

    pieces, usage, finish = [], None, None
    for chunk in client.chat.completions.create(**kw, stream=True, stream_options={"include_usage": True}):
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
            finish = choice.finish_reason or finish
    assert "".join(pieces) == text
    assert finish == full.choices[0].finish_reason
    assert usage.completion_tokens == full.usage.completion_tokens


def test_completions_stream_and_not(client):
    r = client.completions.create(model=TEST_MODEL, prompt="The capital of France is", max_tokens=6, temperature=0)
    assert "Paris" in r.choices[0].text
    streamed = "".join(
        c.choices[0].text
        for c in client.completions.create(
            model=TEST_MODEL, prompt="The capital of France is", max_tokens=6, temperature=0, stream=True
        )
    )
    assert streamed == r.choices[0].text


def test_stop_sequence_ends_output(client):
    r = client.chat.completions.create(
        model=TEST_MODEL,
        temperature=0,
        max_tokens=60,
        stop=["4"],
        messages=[{"role": "user", "content": "Count from 1 to 10, one number per line."}],
    )
    text = r.choices[0].message.content
    assert "3" in text and "4" not in text and r.choices[0].finish_reason == "stop"


def test_json_schema_output_is_valid(client):
    for seed in range(3):
        r = client.chat.completions.create(
            model=TEST_MODEL,
            seed=seed,
            max_tokens=80,
            messages=[{"role": "user", "content": "Invent a person with a name and an age."}],
            response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON}},
        )
        jsonschema.validate(json.loads(r.choices[0].message.content), PERSON)


def test_json_object_mode_returns_json(client):
    r = client.chat.completions.create(
        model=TEST_MODEL,
        max_tokens=120,
        temperature=0,
        messages=[{"role": "user", "content": "Describe a cat as JSON with keys name and colour."}],
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(r.choices[0].message.content), dict)


def test_embeddings_float_and_base64_agree_and_are_multilingual(client):
    texts = ["I like cats", "我喜欢猫", "The stock market fell today"]
    b64 = client.embeddings.create(model="use-multilingual-v3", input=texts)  # the SDK asks for base64
    flt = client.embeddings.create(model="use-multilingual-v3", input=texts, encoding_format="float")
    a = np.array([d.embedding for d in b64.data])
    b = np.array([d.embedding for d in flt.data])
    assert a.shape == (3, 512)
    assert np.allclose(a, b, atol=1e-6)
    sim = a @ a.T
    assert sim[0, 1] > 0.6 > sim[0, 2]


@pytest.mark.parametrize(
    "change, status, param, fragment",
    [
        ({"temperature": 5}, 400, "temperature", "less than or equal to 2"),
        ({"top_p": 0}, 400, "top_p", "greater than 0"),
        ({"max_tokens": 0}, 400, "max_tokens", "greater than or equal to 1"),
        ({"n": 2}, 400, "n", "less than or equal to 1"),
        ({"messages": []}, 400, "messages", "at least 1"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, 400, "messages.0.role", "Input should be"),
        ({"model": "no-such-model"}, 404, "model", "Known models: "),
        ({"model": "gemma-3-270m"}, 404, "model", "zaowu models pull gemma-3-270m"),
        ({"messages": [{"role": "user", "content": "word " * 5000}]}, 400, "messages", "context holds 2048 tokens"),
        ({"frobnicate": True}, 400, "frobnicate", "Unrecognized request argument"),
        (
            {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "nonsense"}}}},
            400,
            "response_format.json_schema.schema",
            "not a valid JSON Schema",
        ),
    ],
)
def test_bad_requests_get_openai_errors_naming_the_field(server, change, status, param, fragment):
    body = {"model": TEST_MODEL, "messages": MSG, "max_tokens": 5, **change}
    r = httpx.post(server.base_url + "/v1/chat/completions", json=body, timeout=60)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["param"] == param and fragment in err["message"] and err["type"]
    # the same through a streaming request: the error comes before the stream starts
    r = httpx.post(server.base_url + "/v1/chat/completions", json={**body, "stream": True}, timeout=60)
    assert r.status_code == status
    assert httpx.get(server.base_url + "/health").json()["status"] == "ok"


def test_unknown_model_error_lists_known_ids(client):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-17", messages=MSG)
    assert TEST_MODEL in info.value.body["message"] and info.value.body["code"] == "model_not_found"


def test_schema_violation_is_422(client):
    with pytest.raises(openai.UnprocessableEntityError) as info:
        client.chat.completions.create(
            model=TEST_MODEL,
            messages=MSG,
            max_tokens=2,
            response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON}},
        )
    assert "raise max_tokens" in info.value.body["message"]


def test_malformed_json_body_is_400(server):
    r = httpx.post(
        server.base_url + "/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]


def test_eight_concurrent_streams_all_complete(client, server):
    results: dict[int, tuple[str, str | None]] = {}
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            parts, finish = [], None
            for chunk in client.chat.completions.create(
                model=TEST_MODEL,
                max_tokens=32,
                seed=i,
                stream=True,
                user=f"worker-{i}",
                messages=[{"role": "user", "content": f"Write a sentence about the number {i}."}],
            ):
                for c in chunk.choices:
                    parts.append(c.delta.content or "")
                    finish = c.finish_reason or finish
            results[i] = ("".join(parts), finish)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    assert sorted(results) == list(range(8))
    assert all(text and finish in ("stop", "length") for text, finish in results.values())
    rows = server_log(server).list(50, interface="api")
    callers = {r["caller"] for r in rows if r["status"] == "ok"}
    assert {f"worker-{i}" for i in range(8)} <= callers


def test_every_generation_is_logged_with_model_hash_seed_and_usage(client, server):
    r = client.chat.completions.create(model=TEST_MODEL, messages=MSG, max_tokens=12, user="alice", temperature=0.3)
    gen_id = r.model_dump()["zaowu"]["generation_id"]
    row = server_log(server).get(gen_id)
    assert row["interface"] == "api" and row["caller"] == "alice" and row["status"] == "ok"
    assert row["model"] == TEST_MODEL and row["model_sha256"].startswith("b179c952")
    assert row["seed"] is not None and row["params"]["temperature"] == 0.3 and row["params"]["max_tokens"] == 12
    assert row["input"]["messages"][0]["content"] == MSG[0]["content"]
    assert row["output"] == r.choices[0].message.content
    assert row["completion_tokens"] == r.usage.completion_tokens and row["duration_ms"] > 0
    # replaying the logged seed and parameters gives the same output
    again = client.chat.completions.create(
        model=TEST_MODEL, messages=MSG, max_tokens=12, temperature=0.3, seed=row["seed"]
    )
    assert again.choices[0].message.content == r.choices[0].message.content


def test_client_disconnect_stops_generation_and_logs_cancelled(server):
    body = {
        "model": TEST_MODEL,
        "messages": [{"role": "user", "content": "Write a very long story."}],
        "max_tokens": 2000,
        "stream": True,
        "user": "leaver",
        "temperature": 1.0,
    }
    with httpx.stream("POST", server.base_url + "/v1/chat/completions", json=body, timeout=60) as r:
        lines = r.iter_lines()
        for _ in range(4):
            next(lines)
    log = server_log(server)
    import time

    for _ in range(100):
        rows = log.list(5, caller="leaver")
        if rows and rows[0]["status"] != "running":
            break
        time.sleep(0.1)
    assert rows[0]["status"] == "cancelled"
    assert rows[0]["completion_tokens"] is None or rows[0]["completion_tokens"] < 2000
    assert httpx.get(server.base_url + "/health").status_code == 200
