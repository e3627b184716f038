"""One recorded-generation path (``GenerationLog.record``) for text, streamed text, embeddings, media
and streamed media: each outcome is logged with its status and error, and every generation's usage is
charged to the caller's key, failures included (what a failing text generation spent still counts)."""

from __future__ import annotations

import json

import pytest

from zaowu.errors import InvalidRequest
from zaowu.studio.provenance.audio import CUE_SECONDS
from zaowu.types import Caller, EmbeddingRequest, ImageRequest, SpeechRequest, TextRequest


@pytest.fixture
def who(dstudio):
    key = dstudio.keys.create("meter", ["text", "image", "audio"])[1]
    return Caller(interface="api", name="meter", key_id=key["id"])


def _row(studio, gen_id=None):
    return studio.log.get(gen_id) if gen_id else studio.log.list(1)[0]


def test_text_is_logged_and_charged_when_it_succeeds_fails_or_is_closed_early(dstudio, who):
    ok = dstudio.generate_text(TextRequest(model="echo-text", prompt="hi"), who=who)
    row = _row(dstudio, ok.generation_id)
    assert (row["status"], row["output"], row["prompt_tokens"], row["completion_tokens"]) == ("ok", "abc", 5, 3)
    assert row["key_id"] == who.key_id and row["interface"] == "api" and row["ttft_ms"] is not None

    with pytest.raises(RuntimeError, match="crashed"):
        dstudio.generate_text(TextRequest(model="broken-text", prompt="hi"), who=who)
    row = _row(dstudio)
    assert row["status"] == "error" and row["error"] == "RuntimeError: the text backend crashed"
    assert row["output"] == "ab" and row["completion_tokens"] == 2 and row["prompt_tokens"] > 0  # spent, charged

    stream = dstudio.stream(TextRequest(model="echo-text", prompt="hi"), who=who)
    next(stream)
    stream.close()
    row = _row(dstudio, stream.generation_id)
    assert row["status"] == "cancelled" and row["output"] == "a" and row["completion_tokens"] == 1
    _charged_as_logged(dstudio, who)


def test_embeddings_are_logged_and_charged(dstudio, who):
    ok = dstudio.embed(EmbeddingRequest(model="count-embed", input=["a", "b"]), who=who)
    row = _row(dstudio, ok.generation_id)
    assert row["status"] == "ok" and row["prompt_tokens"] == 8 and row["modality"] == "embedding"
    with pytest.raises(RuntimeError):
        dstudio.embed(EmbeddingRequest(model="broken-embed", input=["a"]), who=who)
    row = _row(dstudio)
    assert row["status"] == "error" and row["error"] == "RuntimeError: the embedding backend crashed"
    _charged_as_logged(dstudio, who)


def test_media_is_logged_and_charged_when_it_succeeds_or_fails(dstudio, who):
    ok = dstudio.generate_media(ImageRequest(model="stamp-1", prompt="x", spec={"text": "X"}, seed=1), who=who)
    row = _row(dstudio, ok.generation_id)
    assert row["status"] == "ok" and '"media_seconds": 1.5' in row["output"] and row["seed"] == 1
    with pytest.raises(RuntimeError):
        dstudio.generate_media(ImageRequest(model="broken-image", prompt="x"), who=who)
    row = _row(dstudio)
    assert row["status"] == "error" and row["error"] == "RuntimeError: the image backend crashed"
    with pytest.raises(InvalidRequest):  # the backend refuses: an error the user can fix, logged with its message
        dstudio.generate_media(ImageRequest(model="stamp-1", prompt="x", spec={"no-text": 1}), who=who)
    row = _row(dstudio)
    assert row["status"] == "error" and "text" in row["error"]
    _charged_as_logged(dstudio, who, media_seconds=1.5)


def test_streamed_media_is_logged_and_charged_when_it_ends_fails_or_is_closed(dstudio, who):
    ok = dstudio.stream_media(SpeechRequest(model="beep-speech", input="hello"), who=who)
    assert sum(len(b) for b in ok) == 44 + 2 * 8000 + 2 * round(CUE_SECONDS * 8000)  # the AI-content cue first
    row = _row(dstudio, ok.generation_id)
    assert row["status"] == "ok" and json.loads(row["output"])["media_seconds"] == pytest.approx(1.0 + CUE_SECONDS)

    broken = dstudio.stream_media(SpeechRequest(model="beep-speech", input="broken"), who=who)
    with pytest.raises(RuntimeError):
        list(broken)
    row = _row(dstudio, broken.generation_id)
    assert row["status"] == "error" and row["error"] == "RuntimeError: the speech backend crashed"

    closed = dstudio.stream_media(SpeechRequest(model="beep-speech", input="hello"), who=who)
    next(closed)
    closed.close()
    assert _row(dstudio, closed.generation_id)["status"] == "cancelled"
    _charged_as_logged(dstudio, who, media_seconds=1.0 + CUE_SECONDS)


def _charged_as_logged(studio, who: Caller, media_seconds: float = 0.0) -> None:
    """The key's usage today is the sum of what its logged generations used."""
    rows = studio.log.list(1000)
    assert rows and all(r["key_id"] == who.key_id and r["status"] != "running" for r in rows)
    today = studio.keys.usage_for(who.key_id, days=1)[0]
    assert today["prompt_tokens"] == sum(r["prompt_tokens"] or 0 for r in rows)
    assert today["completion_tokens"] == sum(r["completion_tokens"] or 0 for r in rows)
    assert today["media_seconds"] == pytest.approx(media_seconds)
