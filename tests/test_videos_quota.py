"""Media-seconds quotas for video on a real ``zaowu serve`` requiring keys: a rendered video is charged its
length, and a key whose quota cannot cover the next video gets 429 before any rendering (no job queued)."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import wait_video
from tests.security.keyed_server import keyed_server, make_keys
from zaowu.studio.keys import Quota

server = keyed_server()

BOARD = {
    "aspect": "9:16",
    "resolution": "360p",
    "fps": 24,
    "music": None,
    "scenes": [{"narration": "", "text": "Two seconds", "duration": 2.0, "camera": "zoom_in"}],
}


@pytest.fixture(scope="module")
def keys(server):
    return make_keys(
        server,
        tight=(["video"], Quota(media_seconds_per_day=3)),
        spent=(["video"], Quota(media_seconds_per_day=1)),
        other=(["video"], None),
    )


def _videos(server, key) -> list:
    return httpx.get(f"{server.base_url}/v1/videos", headers=key["h"], timeout=30).json()["data"]


def test_video_is_charged_and_the_next_one_refused_before_rendering(server, keys):
    key = keys["tight"]
    body = {"prompt": "x", "storyboard": BOARD, "size": "360x640", "seconds": "2"}
    r = httpx.post(f"{server.base_url}/v1/videos", json=body, headers=key["h"], timeout=30)
    assert r.status_code == 200, r.text
    video = wait_video(server.base_url, r.json()["id"], headers=key["h"])
    assert video["status"] == "completed", video["error"]
    usage = httpx.get(f"{server.base_url}/v1/usage", headers=key["h"], timeout=30).json()["data"][0]["today"]
    assert usage["media_seconds"] == pytest.approx(2.0, abs=0.1)  # the clip's length, charged to the key
    before = _videos(server, key)
    r = httpx.post(f"{server.base_url}/v1/videos", json=body, headers=key["h"], timeout=30)
    assert r.status_code == 429 and r.json()["error"]["code"] == "insufficient_quota", r.text
    remix = httpx.post(
        f"{server.base_url}/v1/videos/{video['id']}/remix",
        json={"prompt": "again", "storyboard": video["storyboard"]},
        headers=key["h"],
        timeout=30,
    )
    assert remix.status_code == 429 and remix.json()["error"]["code"] == "insufficient_quota"
    assert _videos(server, key) == before  # nothing queued, nothing rendered
    # another key can neither remix this video nor use its artifacts
    other = keys["other"]["h"]
    r = httpx.post(f"{server.base_url}/v1/videos/{video['id']}/remix", json={"prompt": "x"}, headers=other, timeout=30)
    assert r.status_code == 404 and r.json()["error"]["param"] == "video_id"
    clip = httpx.get(f"{server.base_url}/v1/jobs/{video['id']}", headers=key["h"], timeout=30).json()
    stolen = {**BOARD, "scenes": [{"image": clip["result"]["artifacts"]["thumbnail"], "duration": 1.0}]}
    thumbnail = {"file_id": clip["result"]["artifacts"]["thumbnail"]}
    bodies = (
        {"input_reference": thumbnail},
        {"storyboard": stolen},
        {"model": "presenter", "input_reference": thumbnail},  # as a presenter's portrait: the same owner check
    )
    for body in bodies:
        r = httpx.post(f"{server.base_url}/v1/videos", json={"prompt": "x", **body}, headers=other, timeout=30)
        assert r.status_code == 404, r.text
        assert r.json()["error"]["param"] in ("input_reference", "storyboard.scenes.0.image"), r.text
    assert _videos(server, keys["other"]) == []
    assert httpx.get(f"{server.base_url}/health", timeout=10).status_code == 200


def test_a_video_longer_than_the_quota_is_refused(server, keys):
    r = httpx.post(
        f"{server.base_url}/v1/videos",
        json={"prompt": "x", "storyboard": BOARD, "size": "360x640", "seconds": "2"},
        headers=keys["spent"]["h"],
        timeout=30,
    )
    assert r.status_code == 429 and r.json()["error"]["code"] == "insufficient_quota"
    assert "1 s" in r.json()["error"]["message"]
    assert _videos(server, keys["spent"]) == []
