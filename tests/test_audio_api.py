"""Audio over HTTP against the real server: speech → transcription round trip,
music with plan, MIDI and exact duration, jobs, and bad input."""

from __future__ import annotations

import io
import re
import wave

import httpx
import pytest

from zaowu.studio.provenance.audio import CUE_SECONDS

from .helpers import content_of, unlabelled_text, wait_jobs, wer

SENTENCES = [
    "The coffee shop opens early in the morning.",
    "Our new menu has many different flavors.",
    "Please leave your order at the front desk.",
]


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


def test_speech_transcription_round_trip_and_subtitles(server):
    base = server.base_url
    r = httpx.post(
        f"{base}/v1/audio/speech", json={"model": "tts-1", "input": " ".join(SENTENCES), "voice": "joe"}, timeout=120
    )
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert wav_seconds(r.content) > 5
    files = {"file": ("speech.wav", r.content, "audio/wav")}
    t = httpx.post(
        f"{base}/v1/audio/transcriptions", files=files, data={"model": "whisper-1", "language": "en"}, timeout=120
    )
    assert t.status_code == 200
    assert wer(" ".join(SENTENCES), t.json()["text"]) <= 0.10
    srt = httpx.post(f"{base}/v1/audio/transcriptions", files=files, data={"response_format": "srt"}, timeout=120)
    assert srt.headers["content-type"].startswith("application/x-subrip") or "srt" in srt.headers["content-type"]
    assert re.match(r"1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n", srt.text)
    verbose = httpx.post(
        f"{base}/v1/audio/transcriptions", files=files, data={"response_format": "verbose_json"}, timeout=120
    ).json()
    assert verbose["segments"] and verbose["segments"][0]["end"] > verbose["segments"][0]["start"]
    # both generations are in the log, with their artifacts
    art = r.headers["x-zaowu-artifact-id"]
    assert httpx.get(f"{base}/v1/artifacts/{art}").content == r.content


def test_speech_formats_have_their_content_types(server):
    for fmt, mime in (("mp3", "audio/mpeg"), ("flac", "audio/flac"), ("opus", "audio/ogg")):
        r = httpx.post(
            f"{server.base_url}/v1/audio/speech", json={"input": "Formats.", "response_format": fmt}, timeout=60
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith(mime) and len(r.content) > 500


def test_music_has_the_requested_duration_and_a_midi_and_repeats_by_seed(server):
    base = server.base_url
    body = {"prompt": "欢快的中国风音乐，适合店铺开业", "duration": 12, "seed": 21}
    first = httpx.post(f"{base}/v1/audio/music", json=body, timeout=300).json()
    audio = httpx.get(base + first["audio"]["url"]).content
    assert abs(wav_seconds(audio) - CUE_SECONDS - 12) <= 0.5  # the AI-content cue comes first
    midi = httpx.get(base + first["midi"]["url"])
    assert midi.headers["content-type"] == "audio/midi" and midi.content[:4] == b"MThd"
    assert first["plan"]["genre"] and first["plan"]["sections"]
    # the plan sanity checks travel with the result (tests/quality/test_music_plan.py tests the rules)
    assert {c["name"] for c in first["checks"]} == {
        f"music.{n}" for n in ("mode", "instruments", "chords", "metre", "tempo", "sections")
    }
    # the returned plan and seed reproduce the piece exactly (the LLM's plan itself can vary
    # between a cold and a cached prompt in llama.cpp, so the plan is what makes music repeatable)
    again = httpx.post(f"{base}/v1/audio/music", json={**body, "plan": first["plan"]}, timeout=300).json()
    assert content_of(httpx.get(base + again["midi"]["url"]).content) == content_of(midi.content)  # labels aside
    assert content_of(httpx.get(base + again["audio"]["url"]).content) == content_of(audio)
    assert again["midi"]["artifact_id"] != first["midi"]["artifact_id"]


def test_music_as_a_job(server):
    base = server.base_url
    job = httpx.post(
        f"{base}/v1/audio/music", json={"prompt": "calm piano", "duration": 6, "seed": 2, "async": True, "plan": None}
    ).json()
    assert job["object"] == "job"
    job = wait_jobs(base, [job["id"]])[0]
    assert job["state"] == "succeeded", job
    mimes = [m["mime"] for m in job["result"]["media"]]
    assert mimes == ["audio/wav", "audio/midi"]
    assert all(c["ok"] for c in job["result"]["media"][0]["checks"])


@pytest.mark.parametrize(
    "path, body, param",
    [
        ("speech", {"input": ""}, "input"),
        ("speech", {"input": "hi", "voice": "nobody"}, "voice"),
        ("speech", {"input": "hi", "speed": 9}, "speed"),
        ("music", {"prompt": "x", "duration": 0}, "duration"),
        ("music", {"prompt": "x", "duration": 10000}, "duration"),
        ("music", {"prompt": ""}, "prompt"),
        ("music", {"prompt": "x", "plan": {"genre": "polka"}}, "plan.genre"),
    ],
)
def test_bad_audio_requests_are_400_naming_the_field(server, path, body, param):
    r = httpx.post(f"{server.base_url}/v1/audio/{path}", json=body, timeout=60)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


def test_corrupt_or_empty_upload_is_400(server):
    for content in (b"this is not audio at all" * 10, b""):
        r = httpx.post(f"{server.base_url}/v1/audio/transcriptions", files={"file": ("x.wav", content, "audio/wav")})
        assert r.status_code == 400 and r.json()["error"]["param"] == "file"
    assert httpx.get(f"{server.base_url}/health").status_code == 200


def test_transcription_as_a_job_from_an_upload(server):
    base = server.base_url
    speech = httpx.post(
        f"{base}/v1/audio/speech", json={"input": "Please leave your order at the front desk."}, timeout=60
    ).content
    r = httpx.post(
        f"{base}/v1/audio/transcriptions",
        files={"file": ("s.wav", speech, "audio/wav")},
        data={"async": "true", "response_format": "text"},
    )
    assert r.status_code == 202
    job = wait_jobs(base, [r.json()["id"]])[0]
    assert job["state"] == "succeeded", job
    text = unlabelled_text(httpx.get(base + "/v1/artifacts/" + job["result"]["artifacts"][0]).text)
    assert wer("Please leave your order at the front desk.", text) <= 0.10
