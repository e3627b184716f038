"""The ``video-ad`` app on a real ``zaowu serve`` (SmolLM2 writes the storyboard, the speech model narrates):
the channel's aspect, the requested length and short on-screen texts hold in the decoded MP4, the SRT and
the cover; bad inputs are 400s naming the field."""

from __future__ import annotations

import io

import httpx
import pytest

from zaowu.apps.video_ad import TEXT_LIMITS, fit_board

av = pytest.importorskip("av")


def _artifact(base: str, ref: dict) -> bytes:
    assert ref["size_bytes"] > 0
    r = httpx.get(f"{base}/v1/artifacts/{ref['id']}", timeout=60)
    assert r.status_code == 200, r.text
    return r.content


def test_video_ad_for_xiaohongshu(server):
    body = {
        "input": {
            "product": "Hand-poured soy candles with calm, natural scents for small flats",
            "channel": "xiaohongshu",
            "seconds": 8,
            "resolution": "360p",
            "music": True,
            "language": "en",
        },
        "seed": 3,
    }
    r = httpx.post(f"{server.base_url}/v1/apps/video-ad", json=body, timeout=900)
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    checks = {c["name"]: c for c in result["checks"]}
    assert result["aspect"] == "9:16" and result["size"] == "360x640"
    assert checks["ad.aspect"]["ok"] and checks["ad.text"]["ok"], checks
    assert checks["ad.duration"]["ok"], checks["ad.duration"]
    board = result["storyboard"]
    assert sum(s["duration"] for s in board["scenes"]) == pytest.approx(8.0, abs=0.01)
    for scene in board["scenes"]:
        for text in (scene.get("text"), scene["visual"].get("headline"), scene["visual"].get("subline")):
            assert text is None or len(text) <= TEXT_LIMITS["en"]
    with av.open(io.BytesIO(_artifact(server.base_url, result["video"]))) as c:
        stream = c.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (360, 640)
        assert c.duration / 1e6 == pytest.approx(8.0, abs=0.1)
        assert c.streams.audio[0].codec_context.name == "aac"
    srt = _artifact(server.base_url, result["srt"]).decode("utf-8")
    assert "-->" in srt
    cover = _artifact(server.base_url, result["cover"])
    with av.open(io.BytesIO(cover)) as c:
        frame = next(c.decode(video=0))
        assert (frame.width, frame.height) == (360, 640)


@pytest.mark.parametrize(
    ("fields", "param"),
    [({"seconds": 3}, "input.seconds"), ({"channel": "myspace"}, "input.channel"), ({"product": ""}, "input.product")],
)
def test_bad_ad_inputs_are_400s(server, fields, param):
    body = {"input": {"product": "Candles", "channel": "douyin", "seconds": 10, **fields}}
    r = httpx.post(f"{server.base_url}/v1/apps/video-ad", json=body, timeout=60)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


def test_fit_board_sums_durations_and_cuts_texts():
    board = {
        "aspect": "16:9",
        "scenes": [
            {
                "text": "一款专为小户型设计的天然大豆香薰蜡烛",
                "duration": 2.3,
                "visual": {"headline": "天然大豆蜡香薰蜡烛礼盒装"},
            },
            {"text": "短句", "duration": 2.3},
            {"text": None, "duration": 2.3, "visual": {"headline": "好"}},
        ],
    }
    fitted, fixes = fit_board(board, 10, "9:16", "zh")
    assert fitted["aspect"] == "9:16"
    assert sum(s["duration"] for s in fitted["scenes"]) == pytest.approx(10.0, abs=1e-6)
    assert fitted["scenes"][0]["text"] == "一款专为小户型设计的天然"
    assert len(fitted["scenes"][0]["visual"]["headline"]) == TEXT_LIMITS["zh"]
    assert fitted["scenes"][1]["text"] == "短句" and "scene 0" in " ".join(fixes)


@pytest.mark.parametrize("run_async", [False, True])
def test_an_unknown_ad_voice_is_a_400_listing_the_voices(server, run_async):
    body = {"input": {"product": "Candles", "channel": "douyin", "seconds": 10, "voice": "robot-9"}}
    r = httpx.post(f"{server.base_url}/v1/apps/video-ad", json={**body, "async": run_async}, timeout=60)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == "input.voice" and "espeak-en" in r.json()["error"]["message"]
