"""Streaming speech for long text: the WAV arrives block by block as sentences finish, is
playable as it comes, and the whole is stored and logged when the stream ends."""

from __future__ import annotations

import io
import wave

import httpx

TEXT = " ".join(f"This is sentence number {i} of a long announcement for the shop." for i in range(1, 13))


def test_long_speech_streams_in_blocks_and_is_stored(server):
    base = server.base_url
    blocks = []
    with httpx.stream("POST", f"{base}/v1/audio/speech", timeout=300,
                      json={"model": "tts-1", "input": TEXT, "voice": "joe", "stream": True}) as r:  # fmt: skip
        assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
        gen_id = r.headers["x-zaowu-generation-id"]
        for block in r.iter_raw():
            blocks.append(block)
    streamed = b"".join(blocks)
    assert len(blocks) > 2, "blocks arrive as sentences finish, not all at the end"
    assert streamed[:4] == b"RIFF" and streamed[36:40] == b"data"

    row = httpx.get(f"{base}/v1/artifacts?limit=5").json()["data"]
    stored = next(a for a in row if a["generation_id"] == gen_id)
    data = httpx.get(f"{base}/v1/artifacts/{stored['id']}").content
    assert data[44:] == streamed[44:] and len(data) == len(streamed)  # the same audio, with real sizes
    with wave.open(io.BytesIO(data)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert seconds > 20 and abs(stored["meta"]["duration"] - seconds) < 0.01

    for body, param in (({"input": TEXT, "stream": True, "response_format": "mp3"}, "response_format"),
                        ({"input": TEXT, "stream": True, "async": True}, "stream"),
                        ({"input": "hi", "voice": "nobody", "stream": True}, "voice")):
        r = httpx.post(f"{base}/v1/audio/speech", json=body)
        assert r.status_code == 400 and r.json()["error"]["param"] == param, r.text
