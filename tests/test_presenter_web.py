"""The Video page's presenter tab in a real browser (Debian's Chromium) against a real ``zaowu serve``:
choose the tab, upload a portrait (scikit-image's astronaut), type a script and a banner name, preview the
first sentence with live progress, and play the clip that comes back. Labelled controls, no console errors."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Server
from .helpers import job_request
from .test_web import UNLABELLED
from .web_helpers import Page, launch

sync_api = pytest.importorskip("playwright.sync_api")
cv2 = pytest.importorskip("cv2")
skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def web_server(tmp_path_factory, models_dir):
    srv = Server(tmp_path_factory.mktemp("presenter-web"), models_dir, {"ZAOWU_JOB_WORKERS": "1"})
    yield srv
    srv.stop()


def test_presenter_tab_previews_a_talking_host(web_server, tmp_path):
    face = tmp_path / "face.png"
    cv2.imwrite(str(face), cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR))
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = Page(browser, web_server.base_url)
        try:
            page.open("video")
            pg = page.page
            assert pg.is_hidden("#presenter-tab")
            pg.click("#video-tab-presenter")
            assert pg.is_visible("#presenter-tab") and pg.is_hidden("#video-form")
            pg.set_input_files("#presenter-portrait", str(face))
            pg.wait_for_selector("#presenter-thumb:not([hidden])")
            pg.fill("#presenter-script", "Hello from the studio. This part is not in the preview.")
            pg.fill("#presenter-name", "Eileen")
            pg.select_option("#presenter-aspect", "16:9")
            assert pg.evaluate(UNLABELLED) == []
            pg.click("#presenter-preview")
            pg.wait_for_selector("#presenter-job progress")
            pg.wait_for_selector("#presenter-video, main p.error:not([hidden])", timeout=300_000)
            assert not pg.locator("main p.error:not([hidden])").count()
            pg.wait_for_function("document.querySelector('#presenter-video').readyState >= 1")
            meta = pg.evaluate(
                "(() => { const v = document.querySelector('#presenter-video'); "
                "return {w: v.videoWidth, h: v.videoHeight, d: v.duration}; })()"
            )
            assert (meta["w"], meta["h"]) == (640, 360) and 0.5 < meta["d"] < 3.5, meta  # the first sentence only
            page.shot("presenter-preview")

            # again with the portrait picked from the ones used before, a slide and a designed scene
            page.open("video")
            pg.click("#video-tab-presenter")
            pg.wait_for_selector("#presenter-earlier option:nth-child(2)", state="attached")
            earlier = pg.eval_on_selector("#presenter-earlier option:nth-child(2)", "o => o.value")
            pg.select_option("#presenter-earlier", earlier)
            pg.wait_for_selector("#presenter-thumb:not([hidden])")
            pg.fill("#presenter-script", "Fresh bread every morning.")
            pg.fill("#presenter-slides", "Studio news: fresh bread; open at 7")
            pg.select_option("#presenter-background", "scene")
            pg.select_option("#presenter-aspect", "16:9")
            newest, asked = _preview(pg, web_server)
            assert asked["input_reference"] == earlier and newest["status"] == "completed"
            assert asked["presenter"]["panels"] == [{"title": "Studio news", "bullets": ["fresh bread", "open at 7"]}]
            assert asked["presenter"]["background"] == "scene"

            # no photo: a designed avatar described in words; a photo and an avatar together are refused
            page.open("video")
            pg.click("#video-tab-presenter")
            pg.fill("#presenter-avatar", "短发女主播，藏青色西装")
            pg.fill("#presenter-script", "大家好，欢迎光临。")
            newest, asked = _preview(pg, web_server)
            assert asked["presenter"]["avatar"] == "短发女主播，藏青色西装" and "input_reference" not in asked
            assert newest["status"] == "completed"
            page.shot("presenter-avatar")
            pg.set_input_files("#presenter-portrait", str(face))
            pg.click("#presenter-preview")
            pg.wait_for_timeout(1500)
            assert _newest(web_server)["id"] == newest["id"]  # nothing sent
            assert page.errors == [], page.errors
        finally:
            page.close()
            browser.close()


def _newest(server) -> dict:
    return httpx.get(f"{server.base_url}/v1/videos", params={"limit": 1}, timeout=30).json()["data"][0]


def _preview(pg, server) -> tuple[dict, dict]:
    """Click Preview on a labelled form, wait for the clip (no error shown): the newest video and its request."""
    assert pg.evaluate(UNLABELLED) == []
    pg.click("#presenter-preview")
    pg.wait_for_selector("#presenter-video, main p.error:not([hidden])", timeout=300_000)
    assert not pg.locator("main p.error:not([hidden])").count()
    newest = _newest(server)
    return newest, job_request(server, newest["id"])
