"""The openai-remote text backend against servers that are not zaowu: a double answering like
vLLM, Ollama, OpenAI's API and sse-starlette servers (``remote_double``). What a user relies on:
the answer streams through, the seed zaowu logs is the seed the server got (so a run can be
replayed), usage is counted, nothing non-standard is sent unless the user asked for it, and
each server's own error shape becomes one RemoteError naming the remote and what it said."""

from __future__ import annotations

import pytest

from zaowu.errors import RemoteError, SchemaViolation
from zaowu.settings import RemoteConfig, Settings
from zaowu.studio.engine import Studio
from zaowu.types import TextRequest

from .remote_double import FAIL_MID_STREAM, MODELS, DoubleServer, answer


@pytest.fixture(scope="module")
def double():
    srv = DoubleServer()
    yield srv
    srv.stop()


@pytest.fixture
def studio(tmp_path, double):
    """A studio with no local model at all, only the remotes."""
    remotes = {f: RemoteConfig(base_url=double.base_url(f), models=[m], timeout=30) for f, m in MODELS.items()}
    with Studio(Settings(data_dir=tmp_path / "data", models_dir=tmp_path / "models", remotes=remotes)) as s:
        yield s


def model(flavour: str) -> str:
    return f"{flavour}/{MODELS[flavour]}"


@pytest.mark.parametrize("flavour", ["vllm", "ollama", "openai", "sse"])
def test_chat_streams_with_the_logged_seed_and_usage(studio, double, flavour):
    messages = [{"role": "user", "content": "Name some fruit."}]
    r = studio.chat(messages, model=model(flavour), max_tokens=6, temperature=0.7)  # no seed: zaowu picks one
    sent = double.last(flavour)
    row = studio.log.get(r.generation_id)
    assert sent["seed"] == row["seed"] == r.seed  # the seed logged is the one the server used
    assert (
        sent["model"] == MODELS[flavour]
        and sent["stream"] is True
        and sent["stream_options"] == {"include_usage": True}
    )
    assert r.text == "".join(answer(str(messages).replace("'", '"'), r.seed, 6))
    assert r.finish_reason == "length"
    assert (row["completion_tokens"], row["status"]) == (6, "ok") and row["prompt_tokens"] > 0
    again = studio.chat(messages, model=model(flavour), max_tokens=6, temperature=0.7, seed=r.seed)
    assert again.text == r.text  # replayed from the log's seed


@pytest.mark.parametrize("flavour", ["vllm", "ollama", "sse"])
def test_stream_and_completions(studio, flavour):
    chunks = list(
        studio.stream(
            TextRequest(model=model(flavour), messages=[{"role": "user", "content": "hi"}], max_tokens=20, seed=5)
        )
    )
    text = "".join(c.text for c in chunks)
    assert text.split() == [w.strip() for w in answer('[{"role": "user", "content": "hi"}]', 5, 20)]
    done = studio.generate_text(TextRequest(model=model(flavour), prompt="Once upon a time", max_tokens=3, seed=1))
    assert done.text == "".join(answer("Once upon a time", 1, 3))


def test_nothing_non_standard_is_sent_unless_asked(studio, double):
    """OpenAI's API refuses fields it does not know: a plain request must carry none of zaowu's own."""
    r = studio.chat(
        "hi",
        model=model("openai"),
        max_tokens=4,
        seed=2,
        temperature=0.5,
        top_p=0.9,
        presence_penalty=0.1,
        frequency_penalty=0.2,
        stop=["\n"],
    )
    plain = double.last("openai")
    assert r.text and not {"top_k", "repeat_penalty", "repetition_penalty"} & set(plain), plain
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    with pytest.raises(SchemaViolation):  # the double's answer is not JSON: the schema check is still zaowu's
        studio.chat(
            "hi",
            model=model("openai"),
            max_tokens=4,
            seed=2,
            response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
        )
    assert double.last("openai")["response_format"]["json_schema"]["schema"] == schema
    # a field only some servers know, asked for by the user, reaches the server; its refusal is the user's 400
    with pytest.raises(RemoteError) as info:
        studio.chat("hi", model=model("openai"), max_tokens=4, top_k=40)
    assert info.value.status == 400 and "Remote 'openai'" in info.value.message
    assert "Unrecognized request argument supplied: top_k" in info.value.message
    assert studio.chat("hi", model=model("vllm"), max_tokens=4, top_k=40, repeat_penalty=1.1).text  # vLLM takes it


def test_the_repeat_penalty_reaches_vllm_and_llamacpp_under_their_own_names(studio, double):
    """vLLM reads ``repetition_penalty``, llama.cpp's server ``repeat_penalty``: a penalty the user sets
    must arrive under the name each server reads, not only under one it silently ignores."""
    studio.chat("hi", model=model("vllm"), max_tokens=4, seed=3, repeat_penalty=1.3)
    sent = double.last("vllm")
    assert sent["repetition_penalty"] == 1.3  # what vLLM applies
    assert sent["repeat_penalty"] == 1.3  # what llama.cpp's server applies (vLLM ignores it)
    studio.chat("hi", model=model("vllm"), max_tokens=4, seed=3)
    assert "repetition_penalty" not in double.last("vllm")  # not set, not sent: the server's own default holds


@pytest.mark.parametrize(
    "flavour, status, said",
    [
        ("vllm", 404, "The model `nope` does not exist."),
        ("ollama", 404, 'model "nope" not found, try pulling it first'),
        ("openai", 404, "The model `nope` does not exist"),
    ],
)
def test_each_servers_error_shape_is_one_clear_error(tmp_path, double, flavour, status, said):
    remotes = {flavour: RemoteConfig(base_url=double.base_url(flavour), models=["nope"], timeout=30)}
    with Studio(Settings(data_dir=tmp_path / "d", models_dir=tmp_path / "m", remotes=remotes)) as studio:
        with pytest.raises(RemoteError) as info:
            studio.chat("hi", model=f"{flavour}/nope", max_tokens=4)
        assert (
            info.value.status == status and f"Remote '{flavour}'" in info.value.message and said in info.value.message
        )
        assert studio.log.list(1)[0]["status"] == "error"


def test_context_refusals_and_mid_stream_failures(studio):
    with pytest.raises(RemoteError) as info:  # vLLM's top-level error message, kept as the user's 400
        studio.chat("hi", model=model("vllm"), max_tokens=2000)
    assert info.value.status == 400 and "maximum context length is 1024 tokens" in info.value.message
    assert studio.chat("hi", model=model("ollama"), max_tokens=2000).text  # Ollama truncates instead
    with pytest.raises(RemoteError) as info:  # status 200 was sent, then the server failed
        studio.chat(FAIL_MID_STREAM, model=model("vllm"), max_tokens=8, seed=1)
    assert "Remote 'vllm' failed mid-stream" in info.value.message and "CUDA out of memory" in info.value.message
    row = studio.log.list(1)[0]
    assert row["status"] == "error" and "CUDA out of memory" in row["error"]
