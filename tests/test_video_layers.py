"""Layered animation of storyboard scenes, read back from the encoded MP4 with PyAV: the headline slides in on
its own while the background pans under it, text is never cropped, and the same seed gives the same frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zaowu.backends.design.render import compose
from zaowu.backends.storyboard.layers import TEXT_DELAY, TEXT_SECONDS
from zaowu.backends.storyboard.motion import OVERSCAN
from zaowu.backends.storyboard.render import render_storyboard
from zaowu.backends.storyboard.spec import output_size

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
