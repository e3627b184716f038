"""The SSE path batches tokens that are already waiting into one write: nothing is lost, reordered or
re-encoded differently, and the end of a stream and its errors still come through ``next()``."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from zaowu.api.streaming import ThreadedStream
from zaowu.api.wire import _MARK, ChunkWriter
from zaowu.types import TextChunk


def test_waiting_items_come_in_order_and_the_error_after_them():
    go = threading.Event()

    def tokens():
        yield 0
        go.wait()  # the rest arrive while the consumer is busy with the first
        yield from range(1, 200)
        raise ValueError("model failed")

    async def consume() -> list[int]:
        stream = ThreadedStream(tokens())
        got = [await stream.next()]
        go.set()

        async def drain() -> None:
            while True:
                got.append(await stream.next())
                got.extend(stream.ready())  # never hands over the error: next() raises it

        with pytest.raises(ValueError, match="model failed"):
            await drain()
        assert await stream.next() is None  # after the error the stream has ended
        return got

    assert asyncio.run(consume()) == list(range(200))


def test_a_finished_stream_keeps_answering_none():
    async def consume():
        stream = ThreadedStream(iter(["a", "b"]))
        got = [await stream.next(), *stream.ready()]
        while (item := await stream.next()) is not None:
            got.append(item)
        return got, await stream.next(), stream.ready()

    assert asyncio.run(consume()) == (["a", "b"], None, [])


@pytest.mark.parametrize("chat", [True, False])
@pytest.mark.parametrize("text", ["tea", " 茶馆", 'quote " back \\ slash\nline', "\u2028", _MARK, "</script>"])
def test_text_events_are_encoded_as_before(chat, text):
    writer = ChunkWriter(chat, "smollm2-135m-instruct", include_usage=False)
    writer.start("gen-1")
    event = writer.chunk(TextChunk(text=text))
    assert event == writer._event([writer._choice(text, None)])
    assert json.loads(event.removeprefix("data: "))["choices"][0]["delta" if chat else "text"] == (
        {"content": text} if chat else text
    )


def test_a_model_id_holding_the_marker_still_encodes_right():
    writer = ChunkWriter(True, f"odd{_MARK}model", include_usage=False)
    writer.start(None)
    assert json.loads(writer.chunk(TextChunk(text="hi")).removeprefix("data: "))["choices"][0]["delta"] == {
        "content": "hi"
    }
