"""Layered animation of storyboard scenes, read back from the encoded MP4 with PyAV: the headline slides in on
its own while the background pans under it, text is never cropped, and the same seed gives the same frames."""

from __future__ import annotations

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from zaowu.backends.design.render import compose
from zaowu.backends.storyboard.layers import TEXT_DELAY, TEXT_SECONDS
from zaowu.backends.storyboard.motion import OVERSCAN
from zaowu.backends.storyboard.render import render_storyboard
from zaowu.backends.storyboard.spec import output_size

from .conftest import Server
from .helpers import wait_video

av = pytest.importorskip("av")
cv2 = pytest.importorskip("cv2")

FPS = 24
SEED = 5
VISUAL = {"kind": "poster", "headline": "Fresh bread daily", "language": "en", "palette": "sunset"}
PATCH = 48


def _board(animation: str, camera: str = "pan_left", seconds: float = 2.5) -> dict:
    scene = {"visual": VISUAL, "duration": seconds, "camera": camera, "animation": animation, "transition": "cut"}
    return {"aspect": "9:16", "resolution": "360p", "fps": FPS, "music": None, "subtitles": "none", "scenes": [scene]}


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="gray") for f in c.decode(video=0)]


def _headline_box() -> tuple[int, int, int, int]:
    """Where the design puts the headline at rest, in output pixels (x0, y0, x1, y1)."""
    size = output_size("9:16", "360p")
    big = tuple(round(s * OVERSCAN / 2) * 2 for s in size)
    design = compose(VISUAL, *big, seed=SEED)
    ink = next(b for b in design.scene.texts if b.name == "headline").ink
    k = size[0] / big[0]
    return round(ink.x * k) - 2, round(ink.y * k) - 2, round((ink.x + ink.w) * k) + 2, round((ink.y + ink.h) * k) + 2


def _find(template: np.ndarray, frame: np.ndarray) -> tuple[float, tuple[int, int]]:
    scores = cv2.matchTemplate(frame, template, cv2.TM_CCOEFF_NORMED)
    _, best, _, at = cv2.minMaxLoc(scores)
    return best, at


def _moved(early: np.ndarray, late: np.ndarray, box: tuple[int, int, int, int]) -> tuple[float, np.ndarray]:
    """How far the late frame's ``box`` content sits from where it was in the early frame (dx, dy)."""
    x0, y0, x1, y1 = box
    score, (x, y) = _find(late[y0:y1, x0:x1], early)
    return score, np.array([x0 - x, y0 - y], dtype=float)


def _background_patch(late: np.ndarray, avoid: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    """The most textured PATCH-sized square of the late frame away from the text and the product (a motif)."""
    h, w = late.shape
    best, where = -1.0, (0, 0, PATCH, PATCH)
    for y in range(PATCH, h - 2 * PATCH, 8):
        for x in range(PATCH, w - 2 * PATCH, 8):
            box = (x, y, x + PATCH, y + PATCH)
            if any(x < a[2] and a[0] < x + PATCH and y < a[3] and a[1] < y + PATCH for a in avoid):
                continue
            spread = float(late[y : y + PATCH, x : x + PATCH].std())
            if spread > best:
                best, where = spread, box
    return where


def _product_boxes() -> list[tuple[int, int, int, int]]:
    size = output_size("9:16", "360p")
    big = tuple(round(s * OVERSCAN / 2) * 2 for s in size)
    design = compose(VISUAL, *big, seed=SEED)
    k = size[0] / big[0]
    pad = 12
    return [
        (round(r.x * k) - pad, round(r.y * k) - pad, round((r.x + r.w) * k) + pad, round((r.y + r.h) * k) + pad)
        for r in design.arts
    ]


def _motions(tmp_path: Path, animation: str):
    result = render_storyboard(_board(animation), tmp_path / f"{animation}.mp4", seed=SEED)
    frames = _frames(result.path)
    early = frames[round((TEXT_DELAY + 0.4 * TEXT_SECONDS) * FPS)]  # the text mostly faded in, still sliding
    late = frames[-1]
    text = _headline_box()
    score, text_moved = _moved(early, late, text)
    assert score > 0.6, f"the headline was not found in the early frame ({score:.2f})"
    patch = _background_patch(late, [text, *_product_boxes()])
    score, back_moved = _moved(early, late, patch)
    assert score > 0.6, f"the background patch was not found in the early frame ({score:.2f})"
    return frames, text_moved, back_moved


def test_headline_and_background_move_independently(tmp_path):
    """Layered: the headline slides vertically into place while the background pans sideways under it; with the
    camera alone the same two regions move together (so the measure can tell the two apart)."""
    _, text, back = _motions(tmp_path, "layered")
    assert abs(text[1]) >= 5, f"the headline did not slide: {text}"
    assert abs(text[0]) <= 2, f"the headline moved sideways with the camera: {text}"
    assert abs(back[0]) >= 8, f"the background did not pan: {back}"
    assert np.abs(text - back).max() >= 8
    _, text, back = _motions(tmp_path, "camera")
    assert np.abs(text - back).max() <= 3, f"camera alone: text {text} and background {back} should move together"


def test_text_never_cropped_and_inside_the_frame(tmp_path):
    """From the moment it is mostly faded in, every frame shows the whole headline (it matches its resting
    picture closely), and it never leaves the frame during its slide, whichever the camera move."""
    for camera in ("zoom_in", "pan_up", "pan_down"):
        result = render_storyboard(_board("layered", camera, 2.0), tmp_path / f"{camera}.mp4", seed=SEED)
        frames = _frames(result.path)
        x0, y0, x1, y1 = _headline_box()
        h, w = frames[0].shape
        assert min(x0, y0) >= 0 and x1 <= w and y1 <= h
        template = frames[-1][y0:y1, x0:x1]
        start = round((TEXT_DELAY + 0.5 * TEXT_SECONDS) * FPS)
        for n, frame in enumerate(frames[start:], start):
            score, (x, _) = _find(template, frame)
            assert score > 0.85, f"{camera}: frame {n}: the headline is not whole ({score:.2f})"
            assert abs(x - x0) <= 2, f"{camera}: frame {n}: the headline moved sideways to {x} from {x0}"


def test_same_seed_same_layered_frames(tmp_path):
    a = render_storyboard(_board("layered"), tmp_path / "a.mp4", seed=SEED)
    b = render_storyboard(_board("layered"), tmp_path / "b.mp4", seed=SEED)
    fa, fb = _frames(a.path), _frames(b.path)
    assert len(fa) == len(fb) and all(np.array_equal(x, y) for x, y in zip(fa, fb, strict=True))
    c = render_storyboard(_board("layered"), tmp_path / "c.mp4", seed=SEED + 1)
    assert not np.array_equal(_frames(c.path)[-1], fa[-1])


def test_animation_must_be_known(tmp_path):
    from zaowu.errors import InvalidRequest

    board = _board("layered")
    board["scenes"][0]["animation"] = "spin"
    with pytest.raises(InvalidRequest) as err:
        render_storyboard(board, tmp_path / "bad.mp4")
    assert err.value.param == "storyboard.scenes.0.animation"


# ---------------------------------------------------------------- image_model: scenes painted by a remote image server

CHECKER = ((224, 48, 128), (16, 176, 224))
"""The two colours (RGB) of the remote double's picture: a checkerboard no design would paint."""
TILE = 40


class ImageDouble(ThreadingHTTPServer):
    """A real HTTP server answering OpenAI's ``POST /v1/images/generations`` with a checkerboard PNG of the
    requested size (``b64_json``), keeping each request body."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ImageHandler)
        self.received: list[dict[str, Any]] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _ImageHandler(BaseHTTPRequestHandler):
    server: ImageDouble

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        self.server.received.append(body)
        if self.path != "/v1/images/generations":
            self.send_error(404)
            return
        width, height = (int(v) for v in str(body.get("size", "256x256")).split("x"))
        ys, xs = np.mgrid[0:height, 0:width]
        odd = ((xs // TILE + ys // TILE) % 2).astype(bool)
        picture = np.where(odd[..., None], CHECKER[1], CHECKER[0]).astype(np.uint8)
        png = io.BytesIO()
        Image.fromarray(picture, "RGB").save(png, "PNG")
        payload = json.dumps({"created": 0, "data": [{"b64_json": base64.b64encode(png.getvalue()).decode()}]})
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload.encode())


@pytest.fixture(scope="module")
def painted(tmp_path_factory, models_dir):
    """A real ``zaowu serve`` with the double configured as the remote ``pics`` (image model ``pics/checker``)."""
    double = ImageDouble()
    remotes = {"pics": {"base_url": double.base_url, "image_models": ["checker"], "timeout": 30}}
    srv = Server(tmp_path_factory.mktemp("painted"), models_dir, extra_env={"ZAOWU_REMOTES": json.dumps(remotes)})
    yield srv, double
    srv.stop()
    double.shutdown()
    double.server_close()


def _near(rgb: np.ndarray, color: tuple[int, int, int], tolerance: int = 40) -> np.ndarray:
    return np.abs(rgb.astype(int) - np.array(color)).max(axis=2) <= tolerance


def test_image_model_scene_shows_the_remote_picture_under_the_design_text(painted):
    """``image_model`` on POST /v1/videos: the scene's image_prompt goes to the remote image server, its picture
    is the scene's background (the frames are mostly its two colours), and the headline is laid over it by
    the design engine (not the model: the double draws no text). Without image_model, the same storyboard
    shows the design engine's own background."""
    srv, double = painted
    board = {
        "aspect": "9:16",
        "resolution": "360p",
        "fps": 24,
        "music": None,
        "subtitles": "none",
        "scenes": [
            {
                "visual": {"kind": "poster", "headline": "Blue hour"},
                "image_prompt": "a checkerboard at dusk",
                "duration": 1.5,
                "camera": "zoom_in",
            }
        ],
    }
    shares = {}
    for image_model in ("pics/checker", None):
        body = {"prompt": "A dusk poster", "model": "storyboard", "seconds": "2", "size": "360x640"}
        body |= {"storyboard": board, "seed": 3} | ({"image_model": image_model} if image_model else {})
        r = httpx.post(f"{srv.base_url}/v1/videos", json=body, timeout=60)
        assert r.status_code == 200, r.text
        video = wait_video(srv.base_url, r.json()["id"])
        assert video["status"] == "completed", video
        data = httpx.get(f"{srv.base_url}/v1/videos/{video['id']}/content", timeout=60).content
        with av.open(io.BytesIO(data)) as c:
            last = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)][-1]
        x0, y0, x1, y1 = _headline_box_for(board)
        outside = np.ones(last.shape[:2], bool)
        outside[y0:y1, x0:x1] = False
        either = _near(last, CHECKER[0]) | _near(last, CHECKER[1])
        shares[image_model] = float(either[outside].mean())
    assert [b["prompt"] for b in double.received] == ["a checkerboard at dusk"]
    assert double.received[0]["size"] == "360x640"
    assert shares["pics/checker"] > 0.6, shares
    assert shares[None] < 0.1, shares


def _headline_box_for(board: dict) -> tuple[int, int, int, int]:
    """The headline's place (output pixels) with a wide margin: its panel and the scrim around it."""
    size = output_size(board["aspect"], board["resolution"])
    big = tuple(round(s * OVERSCAN / 2) * 2 for s in size)
    design = compose({**board["scenes"][0]["visual"], "language": "en"}, *big, seed=3)
    k = size[0] / big[0]
    boxes = [b.ink for b in design.scene.texts]
    x0, y0 = min(r.x for r in boxes) * k, min(r.y for r in boxes) * k
    x1, y1 = max(r.x + r.w for r in boxes) * k, max(r.y + r.h for r in boxes) * k
    return max(0, round(x0) - 30), max(0, round(y0) - 30), round(x1) + 30, round(y1) + 30


def test_unknown_image_model_is_a_400_naming_it(painted):
    srv = painted[0]
    body = {"prompt": "x", "model": "storyboard", "seconds": "2", "size": "360x640", "image_model": "no-such-painter"}
    body["storyboard"] = {"aspect": "9:16", "resolution": "360p", "scenes": [{"text": "Hi", "duration": 1.0}]}
    for painter in ("no-such-painter", "pics/not-listed"):  # a configured remote, but no image model it lists
        r = httpx.post(f"{srv.base_url}/v1/videos", json={**body, "image_model": painter}, timeout=60)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["param"] == "image_model"
    assert "checker" in r.json()["error"]["message"]
    assert httpx.get(f"{srv.base_url}/health", timeout=10).status_code == 200


def test_planner_picks_the_animation_by_scene_type(bare_studio):
    """A storyboard given to the Studio with ``auto`` animations is stored with the planner's choice: a poster
    and a text scene move in layers, a logo under the camera alone; an explicit choice is kept."""
    from zaowu.types import VideoRequest

    scenes = [
        {"visual": {"kind": "poster", "headline": "New"}, "duration": 0.5},
        {"visual": {"kind": "logo", "headline": "Acme"}, "duration": 0.5},
        {"text": "Open daily", "duration": 0.5},
        {"visual": {"kind": "poster", "headline": "Still"}, "duration": 0.5, "animation": "camera"},
    ]
    board = {"aspect": "1:1", "resolution": "360p", "fps": 24, "music": None, "subtitles": "none", "scenes": scenes}
    result = bare_studio.generate_media(VideoRequest(prompt="x", storyboard=board, narration=[None] * 4, seed=1))
    stored = result.media[0].meta["storyboard"]["scenes"]
    assert [s["animation"] for s in stored] == ["layered", "camera", "layered", "camera"]
