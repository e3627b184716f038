"""The remote backend against a real OpenAI-compatible server: a second zaowu
process. The same Studio interface, remote errors surfaced with their source."""

from __future__ import annotations

import pytest

from zaowu.errors import RemoteError
from zaowu.settings import RemoteConfig, Settings
from zaowu.studio.engine import Studio
from zaowu.types import EmbeddingRequest, TextRequest

from .conftest import TEST_MODEL, free_port


@pytest.fixture
def remote_studio(tmp_path, server):
    remotes = {
        "peer": RemoteConfig(
            base_url=server.base_url + "/v1",
            api_key="secret",
            models=[TEST_MODEL],
            embedding_models=["use-multilingual-v3"],
        ),
        "down": RemoteConfig(base_url=f"http://127.0.0.1:{free_port()}/v1", timeout=5),
    }
    with Studio(Settings(data_dir=tmp_path / "client", remotes=remotes)) as studio:
        yield studio


def test_remote_chat_matches_the_server_and_is_logged_locally(remote_studio, client):
    kw = dict(max_tokens=16, seed=11, temperature=0.7)
    # the remote backend sends the penalty under vLLM's and llama.cpp's names; a zaowu peer takes both
    via_remote = remote_studio.chat("Name a fruit.", model=f"peer/{TEST_MODEL}", repeat_penalty=1.3, **kw)
    direct = client.chat.completions.create(
        model=TEST_MODEL,
        messages=[{"role": "user", "content": "Name a fruit."}],
        extra_body={"repeat_penalty": 1.3},
        **kw,
    )
    assert via_remote.text == direct.choices[0].message.content
    assert via_remote.usage.completion_tokens == direct.usage.completion_tokens
    row = remote_studio.log.get(via_remote.generation_id)
    assert row["backend"] == "openai-remote" and row["model"] == f"peer/{TEST_MODEL}"


def test_remote_stream_completion_and_schema(remote_studio):
    stream = remote_studio.stream(
        TextRequest(model=f"peer/{TEST_MODEL}", prompt="The capital of France is", max_tokens=6, temperature=0)
    )
    assert "Paris" in "".join(c.text for c in stream)
    schema = {"type": "object", "properties": {"colour": {"type": "string", "maxLength": 20}}, "required": ["colour"]}
    r = remote_studio.chat(
        "Pick a colour.",
        model=f"peer/{TEST_MODEL}",
        max_tokens=40,
        seed=2,
        response_format={"type": "json_schema", "json_schema": {"name": "c", "schema": schema}},
    )
    assert isinstance(r.parsed["colour"], str)


def test_remote_embeddings(remote_studio):
    r = remote_studio.embed(EmbeddingRequest(model="peer/use-multilingual-v3", input=["hello", "你好"]))
    assert len(r.vectors) == 2 and len(r.vectors[0]) == 512


def test_remote_errors_say_which_remote_and_what_it_said(remote_studio):
    with pytest.raises(RemoteError) as info:
        remote_studio.chat("hi", model="peer/not-on-the-server")
    assert info.value.status == 404 and "Remote 'peer'" in info.value.message and "does not exist" in info.value.message
    with pytest.raises(RemoteError) as info:
        remote_studio.chat("word " * 5000, model=f"peer/{TEST_MODEL}", max_tokens=4)
    assert info.value.status == 400 and "context holds 2048 tokens" in info.value.message


def test_unreachable_remote(remote_studio):
    with pytest.raises(RemoteError) as info:
        remote_studio.chat("hi", model="down/anything")
    assert info.value.status == 502 and "Cannot reach remote 'down'" in info.value.message
    rows = remote_studio.log.list(1)
    assert rows[0]["status"] == "error" and "Cannot reach" in rows[0]["error"]


def test_the_api_takes_vllms_name_for_the_repeat_penalty(server):
    """vLLM clients send ``repetition_penalty``; the same value under both names is one setting, two
    different values are refused naming the field."""
    import httpx

    url, body = server.base_url + "/v1/completions", {"model": TEST_MODEL, "prompt": "Hi", "max_tokens": 4, "seed": 1}
    one = httpx.post(url, json={**body, "repetition_penalty": 1.3}, timeout=120)
    both = httpx.post(url, json={**body, "repetition_penalty": 1.3, "repeat_penalty": 1.3}, timeout=120)
    assert one.status_code == both.status_code == 200, one.text
    assert one.json()["choices"][0]["text"] == both.json()["choices"][0]["text"]
    r = httpx.post(url, json={**body, "repetition_penalty": 1.3, "repeat_penalty": 1.1}, timeout=120)
    assert r.status_code == 400 and r.json()["error"]["param"] == "repetition_penalty", r.text
