"""Same request, same seed, same output: on a fresh server, as a later request on a warm one,
and after other requests that share part of its prompt, in either order. llama.cpp's prompt
cache used to make the answer depend on what the server had evaluated before (issue 13)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from ..conftest import Server
from ..helpers import same_picture

SYSTEM = (
    "You are the copywriter of Leaf House, a small tea shop in Hangzhou. Write warm, concrete copy "
    "that names the season, the tea, the price and the shop's address. "
) * 3
ASKED = "Write a product description for our spring Longjing green tea."
OTHER = "Write a slogan for our autumn oolong."
POSTER = "A poster for the spring tea sale at Leaf House, 20% off all green tea"
LOGO = "A logo for Bean There, a coffee shop"


@pytest.fixture
def start(tmp_path, models_dir):
    """Start fresh servers on the real SmolLM2 (the design planner too); all stopped at the end."""
    only = tmp_path / "models"
    only.mkdir()
    (only / "SmolLM2-135M-Instruct.Q4_1.gguf").symlink_to(models_dir / "SmolLM2-135M-Instruct.Q4_1.gguf")
    servers: list[Server] = []

    def fresh() -> Server:
        servers.append(Server(tmp_path / f"server{len(servers)}", only))
        return servers[-1]

    yield fresh
    for server in servers:
        server.stop()


def chat(server: Server, user: str, stream: bool = False) -> str:
    body = {
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
        "seed": 11,
        "max_tokens": 120,
        "temperature": 1.0,
        "stream": stream,
    }
    url = server.base_url + "/v1/chat/completions"
    if not stream:
        r = httpx.post(url, json=body, timeout=300)
        assert r.status_code == 200, r.text
        return r.json()["choices"][0]["message"]["content"]

    with httpx.stream("POST", url, json=body, timeout=300) as r:
        assert r.status_code == 200
        events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: {")]
    return "".join((c.get("delta") or {}).get("content") or "" for e in events for c in e["choices"])


def complete(server: Server, prompt: str) -> str:
    body = {"prompt": SYSTEM + "\n\n" + prompt + "\n", "seed": 5, "max_tokens": 80, "temperature": 1.0}
    r = httpx.post(server.base_url + "/v1/completions", json=body, timeout=300)
    assert r.status_code == 200, r.text
    return r.json()["choices"][0]["text"]


def image(server: Server, prompt: str) -> bytes:
    r = httpx.post(
        server.base_url + "/v1/images/generations",
        json={"prompt": prompt, "seed": 7, "response_format": "b64_json"},
        timeout=300,
    )
    assert r.status_code == 200, r.text
    return base64.b64decode(r.json()["data"][0]["b64_json"])


def test_seeded_text_is_the_same_fresh_warm_and_after_other_requests(start):
    warm = start()
    first, again = chat(warm, ASKED), chat(warm, ASKED)
    other_after = chat(warm, OTHER)  # shares the system prompt: its prefix is in the server's cache
    after_other = chat(warm, ASKED)
    streamed = chat(warm, ASKED, stream=True)
    completions = [complete(warm, ASKED), complete(warm, ASKED), complete(warm, OTHER), complete(warm, ASKED)]
    fresh = start()  # the other order: the other request first
    other_first, asked_second = chat(fresh, OTHER), chat(fresh, ASKED)
    fresh_completion = complete(fresh, ASKED)

    assert first.strip()
    assert again == first and after_other == first and streamed == first and asked_second == first
    assert other_first == other_after != first
    assert completions[0].strip() and completions[1] == completions[3] == completions[0] == fresh_completion


def test_unseeded_requests_still_vary(start):
    """The seed is what makes a repeat: without one, two answers differ (the fix must not pin sampling)."""
    server = start()
    body = {"messages": [{"role": "user", "content": ASKED}], "max_tokens": 40, "temperature": 1.0}
    answers = {
        httpx.post(server.base_url + "/v1/chat/completions", json=body, timeout=300).json()["choices"][0]["message"][
            "content"
        ]
        for _ in range(3)
    }
    assert len(answers) > 1


def test_seeded_image_gives_the_same_picture_fresh_and_warm(start):
    """The design planner (an LLM plan) behind a seeded image request: the same picture every time. Each
    stored image carries labels of its own generation (the implicit label's ProduceID and an invisible
    watermark, issue 16), so the bytes differ by those alone: the pixels agree within the watermark's
    faint change, while a different plan (another headline, palette or layout) changes them far more."""
    warm = start()
    on_warm = [image(warm, POSTER), image(warm, POSTER), image(warm, LOGO), image(warm, POSTER)]
    fresh = start()
    on_fresh = [image(fresh, LOGO), image(fresh, POSTER)]
    assert same_picture(on_warm[0], on_warm[1]) and same_picture(on_warm[0], on_warm[3])
    assert same_picture(on_warm[0], on_fresh[1]) and same_picture(on_warm[2], on_fresh[0])
    assert not same_picture(on_warm[2], on_warm[0])
