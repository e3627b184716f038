"""The video editor page in a real browser (Debian's Chromium) against a real ``zaowu serve``:
upload a synthetic clip, scrub to a frame, draw a box around the moving object, pick track and mute,
run the edit with live progress, and compare the before and after players; the tracks JSON the
page links to has a box per frame. Labelled controls, no console errors, zh/en texts present."""

from __future__ import annotations

import json

import httpx
import pytest

from .conftest import Server
from .test_web import UNLABELLED
from .video_scenes import make_scene
from .web_helpers import Page

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("av")


@pytest.fixture(scope="module")
def video_web_server(tmp_path_factory, models_dir):
    srv = Server(tmp_path_factory.mktemp("video-web"), models_dir, {"ZAOWU_JOB_WORKERS": "1"})
    yield srv
    srv.stop()


def _metadata(pg, selector: str) -> dict:
    pg.wait_for_function(
        f"document.querySelector('{selector}') && document.querySelector('{selector}').readyState >= 1"
    )
    return pg.evaluate(
        f"(() => {{ const v = document.querySelector('{selector}'); return {{w: v.videoWidth, h: v.videoHeight, d: v.duration}}; }})()"
    )


def _near(box, truth, tolerance: int = 8) -> bool:
    return box is not None and all(abs(a - b) <= tolerance for a, b in zip(box[:2], truth[:2], strict=True))


def _run(pg, page, srv, button: str, duration: float) -> list[dict]:
    """Click ``button``, wait for the job's result, check both players, and return the tracked boxes."""
    pg.evaluate("document.getElementById('video-compare').replaceChildren()")
    pg.click(button)
    pg.wait_for_selector("#video-job progress")
    pg.wait_for_selector("#video-after, main p.error:not([hidden])", timeout=300_000)
    assert not pg.locator("main p.error:not([hidden])").count()
    after = _metadata(pg, "#video-after")
    assert (after["w"], after["h"]) == (320, 240) and abs(after["d"] - duration) < 0.2, after
    assert _metadata(pg, "#video-original")["w"] == 320
    href = pg.get_attribute("#video-compare ul.files a", "href")
    (boxes,) = json.loads(httpx.get(srv.base_url + href).text)["tracks"].values()
    return boxes


def test_video_page_draws_a_box_runs_the_edit_and_compares(browser, video_web_server, tmp_path):
    scene = make_scene(tmp_path / "clip.mp4", seconds=2.0)
    page = Page(browser, video_web_server.base_url)
    try:
        page.open("video")
        pg = page.page
        assert pg.locator("h1").first.inner_text() == "Video"
        pg.click("#video-tab-edit")  # the page opens on its Generate tab
        pg.set_input_files('input[name="video"]', str(scene.path))
        assert pg.evaluate(UNLABELLED) == []
        assert _metadata(pg, "#video-before")["w"] == 320
        pg.fill('input[name="at"]', "1")  # scrub to 1 s (frame 30) and draw the box there
        pg.dispatch_event('input[name="at"]', "input")
        x, y, w, h = scene.boxes[30]
        pg.locator("#box-layer").scroll_into_view_if_needed()
        r = pg.locator("#box-layer").bounding_box()
        sx, sy = r["width"] / 320, r["height"] / 240
        pg.mouse.move(r["x"] + x * sx, r["y"] + y * sy)
        pg.mouse.down()
        pg.mouse.move(r["x"] + (x + w) * sx, r["y"] + (y + h) * sy, steps=5)
        pg.mouse.up()
        drawn = [int(v) for v in pg.input_value('input[name="box"]').split(",")]
        assert all(abs(a - b) <= 3 for a, b in zip(drawn, (x, y, w, h), strict=True)), drawn
        assert pg.is_checked("#use-track")  # drawing a box picks tracking
        pg.check("#use-mute")
        page.shot("video-before")

        # preview: a few seconds from the shown frame (the clip's last second here)
        boxes = _run(pg, page, video_web_server, "#video-preview", duration=1.0)
        assert len(boxes) == 30 and _near(boxes[0]["box"], scene.boxes[30])
        # the whole edit: tracking starts at 1 s, where the box was drawn
        boxes = _run(pg, page, video_web_server, "#video-form button[type=submit]", duration=2.0)
        assert len(boxes) == len(scene.boxes) and _near(boxes[30]["box"], scene.boxes[30])
        assert _near(boxes[-1]["box"], scene.boxes[-1])
        page.shot("video-compare")
        # the Chinese page has its own words
        pg.select_option("#lang", "zh")
        pg.wait_for_function("document.querySelector('main h1')?.textContent === '视频'")  # re-rendered in Chinese
        page.wait_page("video")
        assert page.errors == [], page.errors
    finally:
        page.close()
