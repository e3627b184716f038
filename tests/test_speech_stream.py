"""Streaming speech for long text: the WAV arrives block by block as batches of sentences finish, is
playable as it comes, and the whole is stored and logged when the stream ends."""

from __future__ import annotations

import io
import threading
import wave

import httpx

from zaowu.studio.provenance.audio import detect_cue, read_wav_label

# 50 sentences: more than one engine batch (25); the stream sends each batch as it is done
TEXT = " ".join(f"Parcel {i} is ready at the shop." for i in range(1, 51))


# 7 sentences, under one engine batch: a stream still sends its first sentence alone before the rest
SHORT = " ".join(f"Order {i} ships today." for i in range(1, 8))


def _stream_with_probe(base: str, text: str) -> tuple[list[str], list[bytes], str]:
    """Stream ``text``; the moment its first audio arrives, synthesise one sentence of it in a second
    request. Returns what happened, in order (the stream's first audio, the probe's answer, the
    stream's end), the blocks received and the stream's generation id."""
    blocks: list[bytes] = []
    events: list[str] = []

    def probe() -> None:
        """Synthesise one sentence of the text while the stream goes on (the server runs two at once)."""
        r = httpx.post(
            f"{base}/v1/audio/speech", timeout=300, json={"input": text.split(". ", 1)[0] + ".", "voice": "joe"}
        )
        assert r.status_code == 200
        events.append("one sentence synthesised")

    httpx.post(f"{base}/v1/audio/speech", timeout=300, json={"input": "Warm up.", "voice": "joe"})  # voice loaded
    prober = threading.Thread(target=probe)
    with httpx.stream(
        "POST",
        f"{base}/v1/audio/speech",
        timeout=300,
        json={"model": "tts-1", "input": text, "voice": "joe", "stream": True},
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
        gen_id = r.headers["x-zaowu-generation-id"]
        for block in r.iter_raw():
            blocks.append(block)
            if not prober.is_alive() and "first audio" not in events and sum(map(len, blocks)) > 44:
                events.append("first audio")  # past the 44-byte header: the first sentence is here
                prober.start()
        events.append("stream ended")
    prober.join()
    return events, blocks, gen_id


def test_short_speech_sends_its_first_sentence_before_the_rest(server):
    events, blocks, _ = _stream_with_probe(server.base_url, SHORT)
    # The first audio came while six sentences were still to be synthesised, so a single sentence
    # started then is done before the stream ends; had the server synthesised the text in one call
    # (it is shorter than a batch), the rest would follow at once and the stream would end first.
    assert events == ["first audio", "one sentence synthesised", "stream ended"], events
    streamed = b"".join(blocks)
    assert streamed[:4] == b"RIFF" and streamed[36:40] == b"data"
    with wave.open(io.BytesIO(streamed[:40] + (len(streamed) - 44).to_bytes(4, "little") + streamed[44:])) as w:
        assert w.getnframes() / w.getframerate() > 5  # seven sentences of speech, not one


def test_long_speech_streams_in_blocks_and_is_stored(server):
    base = server.base_url
    events, blocks, gen_id = _stream_with_probe(base, TEXT)
    # The stream's first audio came while the text was still being synthesised, so a single
    # sentence started then is done before the stream ends; had the server synthesised the whole text
    # before sending, the rest would follow at once and the stream would end first.
    assert events == ["first audio", "one sentence synthesised", "stream ended"], events
    streamed = b"".join(blocks)
    assert streamed[:4] == b"RIFF" and streamed[36:40] == b"data"

    row = httpx.get(f"{base}/v1/artifacts?limit=5").json()["data"]
    stored = next(a for a in row if a["generation_id"] == gen_id)
    data = httpx.get(f"{base}/v1/artifacts/{stored['id']}").content
    # the same audio (the AI-content cue first, streamed too), with real sizes, then the label chunks
    assert data[44 : len(streamed)] == streamed[44:] and detect_cue(streamed)
    assert data[len(streamed) :].startswith(b"LIST") and read_wav_label(data)[0]["ProduceID"] == gen_id
    with wave.open(io.BytesIO(data)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert seconds > 20 and abs(stored["meta"]["duration"] - seconds) < 0.01

    for body, param in (
        ({"input": TEXT, "stream": True, "response_format": "mp3"}, "response_format"),
        ({"input": TEXT, "stream": True, "async": True}, "stream"),
        ({"input": "hi", "voice": "nobody", "stream": True}, "voice"),
    ):
        r = httpx.post(f"{base}/v1/audio/speech", json=body)
        assert r.status_code == 400 and r.json()["error"]["param"] == param, r.text
