"""Remix, the zaowu extras and the reference image of OpenAI's Videos API on a real ``zaowu serve``:
a remix keeps the storyboard and seed and changes only what it edits; voice, music and subtitles choices
reach the render; an uploaded product image is cut out on the scenes. Outputs are decoded with PyAV."""

from __future__ import annotations

import io
import json

import httpx
import pytest

from .helpers import wait_video

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK warns that the Sora API closes

av = pytest.importorskip("av")
np = pytest.importorskip("numpy")
openai = pytest.importorskip("openai")

BOARD = {
    "aspect": "9:16",
    "resolution": "360p",
    "fps": 24,
    "music": None,
    "scenes": [
        {"narration": "", "text": "Morning bread", "duration": 1.0, "camera": "zoom_in", "transition": "cut"},
        {"narration": "", "text": "Open at seven", "duration": 1.0, "camera": "pan_left", "transition": "cut"},
    ],
}


def _create(base: str, **body) -> dict:
    r = httpx.post(f"{base}/v1/videos", json={"prompt": "a bakery", "seed": 4, "size": "360x640", **body}, timeout=60)
    assert r.status_code == 200, r.text
    video = wait_video(base, r.json()["id"])
    assert video["status"] == "completed", video["error"]
    return video


def _frames(base: str, video_id: str) -> list:
    data = httpx.get(f"{base}/v1/videos/{video_id}/content", timeout=30).content
    with av.open(io.BytesIO(data)) as c:
        return [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]


def _audio_rms(base: str, video_id: str) -> float:
    data = httpx.get(f"{base}/v1/videos/{video_id}/content", timeout=30).content
    with av.open(io.BytesIO(data)) as c:
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def test_remix_with_an_edited_storyboard_changes_only_the_edited_scene(server):
    """The web page's re-render: the first scene is untouched (its frames equal the source's up to the
    watermark), the second scene's text was edited (its frames differ), same seed, linked to the source."""
    source = _create(server.base_url, storyboard=BOARD)
    edited = json.loads(json.dumps(source["storyboard"]))
    edited["scenes"][1]["text"] = "Closed on Mondays"
    r = httpx.post(
        f"{server.base_url}/v1/videos/{source['id']}/remix",
        json={"prompt": "say we close on Mondays", "storyboard": edited},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    remix = wait_video(server.base_url, r.json()["id"])
    assert remix["status"] == "completed", remix["error"]
    assert remix["remixed_from_video_id"] == source["id"] and remix["seed"] == source["seed"] == 4
    assert remix["storyboard"]["scenes"][1]["text"] == "Closed on Mondays"
    before, after = _frames(server.base_url, source["id"]), _frames(server.base_url, remix["id"])
    assert len(before) == len(after) == 48
    first = max(float(np.abs(a - b).mean()) for a, b in zip(before[:24], after[:24], strict=True))
    second = min(float(np.abs(a - b).mean()) for a, b in zip(before[24:], after[24:], strict=True))
    assert first < 3.0, first  # the same picture, up to each file's own watermark
    assert second > 3.0 * max(first, 1.0), (first, second)  # new words on the picture


def test_sdk_remix_rewrites_texts_and_keeps_the_scenes(server):
    """``client.videos.remix``: SmolLM2 rewrites the texts; scene count, timing hints, camera moves,
    transitions and seed are the source's."""
    source = _create(server.base_url, storyboard=BOARD)
    client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="x", timeout=300, max_retries=0)
    remix = client.videos.remix(source["id"], prompt="Mention fresh croissants")
    assert remix.remixed_from_video_id == source["id"]
    video = wait_video(server.base_url, remix.id)
    assert video["status"] == "completed", video["error"]
    assert video["seed"] == source["seed"] and video["prompt"] == "Mention fresh croissants"
    old, new = source["storyboard"]["scenes"], video["storyboard"]["scenes"]
    assert len(new) == len(old)
    for a, b in zip(old, new, strict=True):
        assert (a["camera"], a["transition"], a["duration"]) == (b["camera"], b["transition"], b["duration"])
    data = client.videos.download_content(video["id"]).read()
    with av.open(io.BytesIO(data)) as c:
        assert c.streams.video[0].codec_context.width == 360


def test_remix_of_an_unfinished_or_unknown_video_is_refused(server):
    r = httpx.post(f"{server.base_url}/v1/videos/job_nothere/remix", json={"prompt": "x"}, timeout=30)
    assert r.status_code == 404 and r.json()["error"]["param"] == "video_id"
    long = {**BOARD, "scenes": [{"text": f"Scene {i}", "duration": 8.0} for i in range(30)]}
    running = httpx.post(f"{server.base_url}/v1/videos", json={"prompt": "x", "storyboard": long}, timeout=30).json()
    r = httpx.post(f"{server.base_url}/v1/videos/{running['id']}/remix", json={"prompt": "x"}, timeout=30)
    assert r.status_code == 400 and r.json()["error"]["param"] == "video_id"
    httpx.delete(f"{server.base_url}/v1/videos/{running['id']}", timeout=30)
    done = _create(server.base_url, storyboard=BOARD)
    bad = {**done["storyboard"], "scenes": [{"narration": "x", "camera": "spin"}]}
    r = httpx.post(f"{server.base_url}/v1/videos/{done['id']}/remix", json={"prompt": "x", "storyboard": bad})
    assert r.status_code == 400 and r.json()["error"]["param"] == "storyboard.scenes.0.camera"


def test_extras_reach_the_render(server):
    """music on with subtitles off: a music bed is heard and there is no SRT; music off: silence."""
    narrated = {**BOARD, "scenes": [{**s, "narration": "Fresh bread every morning."} for s in BOARD["scenes"]]}
    scored = _create(server.base_url, storyboard=narrated, music=True, subtitles="none", voice="joe")
    assert scored["storyboard"]["music"] is not None and scored["storyboard"]["subtitles"] == "none"
    assert scored["storyboard"]["voice"] == "joe"
    srt = httpx.get(f"{server.base_url}/v1/videos/{scored['id']}/content", params={"variant": "srt"}, timeout=30)
    assert srt.status_code == 404
    quiet = _create(server.base_url, storyboard=BOARD, music="false", subtitles="burned")
    assert quiet["storyboard"]["music"] is None and quiet["storyboard"]["subtitles"] == "burned"
    assert _audio_rms(server.base_url, quiet["id"]) < 1e-4 < _audio_rms(server.base_url, scored["id"])


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"music": "maybe"}, "music"),
        ({"subtitles": "sideways"}, "subtitles"),
        ({"voice": "v" * 65}, "voice"),
        ({"input_reference": {"file_id": "art_nothere"}}, "input_reference"),
        ({"storyboard": {**BOARD, "scenes": [{"image": "art_nothere"}]}}, "storyboard.scenes.0.image"),
    ],
)
def test_bad_extras_are_refused_naming_the_field(server, body, param):
    before = httpx.get(f"{server.base_url}/v1/videos", timeout=30).json()["data"]
    r = httpx.post(f"{server.base_url}/v1/videos", json={"prompt": "a clip", **body}, timeout=30)
    assert r.status_code in (400, 404), r.text
    assert r.json()["error"]["param"] == param
    assert httpx.get(f"{server.base_url}/v1/videos", timeout=30).json()["data"] == before  # no job queued


def _product_png() -> bytes:
    """A red disc on a white table: easy to cut out, easy to find again in a frame."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 400), "white")
    ImageDraw.Draw(image).ellipse((100, 100, 300, 300), fill=(220, 20, 20))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _red_share(frame) -> float:
    r, g, b = frame[..., 0], frame[..., 1], frame[..., 2]
    return float(((r > 170) & (g < 80) & (b < 80)).mean())


def test_input_reference_is_cut_out_on_the_scenes(server):
    """The SDK's multipart ``input_reference`` upload becomes a product card on the first and last scenes:
    the red product is seen in their frames; the uploaded image is then usable by id in a scene."""
    design = {
        **BOARD,
        "scenes": [
            {"text": "Fresh", "visual": {"kind": "poster", "headline": "Fresh", "palette": "ocean"}, "duration": 1.0},
            {"text": "Daily", "visual": {"kind": "poster", "headline": "Daily", "palette": "ocean"}, "duration": 1.0},
        ],
    }
    r = httpx.post(
        f"{server.base_url}/v1/videos",
        data={"prompt": "a red ball", "size": "360x640", "seed": "2", "storyboard": json.dumps(design)},
        files={"input_reference": ("ball.png", _product_png(), "image/png")},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    video = wait_video(server.base_url, r.json()["id"])
    assert video["status"] == "completed", video["error"]
    scenes = video["storyboard"]["scenes"]
    assert all(s["visual"]["kind"] == "product_card" and s["image"] == scenes[0]["image"] for s in scenes)
    frames = _frames(server.base_url, video["id"])
    assert _red_share(frames[12]) > 0.02 and _red_share(frames[36]) > 0.02
    plain = _create(server.base_url, storyboard=design)
    assert _red_share(_frames(server.base_url, plain["id"])[12]) < 0.001  # the red comes from the upload
    client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="x", timeout=300, max_retries=0)
    sdk = client.videos.create(
        prompt="A red ball", input_reference=("ball.png", _product_png(), "image/png"), size="720x1280", seconds="2"
    )  # the SDK's own multipart upload; SmolLM2 plans the storyboard
    planned = wait_video(server.base_url, sdk.id)
    assert planned["status"] == "completed", planned["error"]
    first = planned["storyboard"]["scenes"][0]
    assert first["visual"]["kind"] == "product_card" and first["image"].startswith("art")
    assert _red_share(_frames(server.base_url, sdk.id)[12]) > 0.02
    by_id = {**BOARD, "scenes": [{"image": scenes[0]["image"], "text": "Ours", "duration": 1.0}]}
    shown = _create(server.base_url, storyboard=by_id)
    assert _red_share(_frames(server.base_url, shown["id"])[12]) > 0.05  # the whole photo, covering the frame
    r = httpx.post(
        f"{server.base_url}/v1/videos",
        data={"prompt": "x"},
        files={"input_reference": ("notes.png", b"not an image at all", "image/png")},
        timeout=30,
    )
    assert r.status_code == 400 and r.json()["error"]["param"] == "input_reference"


def _artifacts(base: str, video_id: str) -> dict:
    return httpx.get(f"{base}/v1/jobs/{video_id}", timeout=30).json()["result"]["artifacts"]


def test_a_users_clip_plays_in_a_scene(server):
    """A scene's ``image`` naming a video artifact plays that clip (its pictures move, matching the clip's
    frames below the scene's caption), held to the scene's length; a clip on a product card is refused."""
    source = _create(server.base_url, storyboard=BOARD)
    clip_id = _artifacts(server.base_url, source["id"])["video"]
    board = {**BOARD, "scenes": [{"image": clip_id, "text": "Our shop", "duration": 3.0, "camera": "none"}]}
    played = _create(server.base_url, storyboard=board)
    ours, theirs = _frames(server.base_url, played["id"]), _frames(server.base_url, source["id"])
    assert len(ours) == 72
    for n in (5, 30, 47):  # the lower half (under the caption) is the clip's own picture at that time
        assert float(np.abs(ours[n][320:] - theirs[n][320:]).mean()) < 4.0, n
    assert float(np.abs(ours[5][320:] - ours[30][320:]).mean()) > 4.0  # it plays: the pictures change
    assert float(np.abs(ours[60][320:] - theirs[47][320:]).mean()) < 4.0  # then its last frame is held
    bad = {**BOARD, "scenes": [{"image": clip_id, "visual": {"kind": "product_card", "headline": "x"}}]}
    r = httpx.post(f"{server.base_url}/v1/videos", json={"prompt": "x", "storyboard": bad}, timeout=30)
    assert r.status_code == 400 and r.json()["error"]["param"] == "storyboard.scenes.0.image"
