"""Streaming speech for long text: the WAV arrives block by block as batches of sentences finish, is
playable as it comes, and the whole is stored and logged when the stream ends."""

from __future__ import annotations

import io
import threading
import wave

import httpx

from zaowu.studio.provenance.audio import detect_cue, read_wav_label

# 50 sentences: the speech backend synthesises 25 sentences per engine call and sends each batch as it is done
TEXT = " ".join(f"Parcel {i} is ready at the shop." for i in range(1, 51))


def test_long_speech_streams_in_blocks_and_is_stored(server):
    base = server.base_url
    blocks: list[bytes] = []
    events: list[str] = []  # what happened, in order: the stream's first audio, a probe's answer, the stream's end

    def probe() -> None:
        """Synthesise one sentence of the text while the stream goes on (the server runs two at once)."""
        r = httpx.post(
            f"{base}/v1/audio/speech", timeout=300, json={"input": TEXT.split(". ")[0] + ".", "voice": "joe"}
        )
        assert r.status_code == 200
        events.append("one sentence synthesised")

    httpx.post(f"{base}/v1/audio/speech", timeout=300, json={"input": "Warm up.", "voice": "joe"})  # voice loaded
    prober = threading.Thread(target=probe)
    with httpx.stream(
        "POST",
        f"{base}/v1/audio/speech",
        timeout=300,
        json={"model": "tts-1", "input": TEXT, "voice": "joe", "stream": True},
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
    # The stream's first audio came while 25 sentences were still to be synthesised, so a single
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
