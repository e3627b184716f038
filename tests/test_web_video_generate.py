"""The Video page's Generate tab in a real browser (Debian's Chromium) against a real ``zaowu serve``
(SmolLM2 writes the storyboard): a prompt, an aspect and a length → live progress → the clip plays at the
asked size; MP4, SRT and cover download; a scene's text edited in the storyboard re-renders as a remix of
the same storyboard and seed. Labelled controls, no console errors, zh/en texts present."""

from __future__ import annotations

import io

import httpx
import pytest

from .test_web import UNLABELLED
from .test_web_video import video_web_server  # noqa: F401 - the same server fixture
from .web_helpers import Page

sync_api = pytest.importorskip("playwright.sync_api")
av = pytest.importorskip("av")


def _player(pg) -> dict:
    pg.wait_for_function("document.querySelector('#videogen-video')?.readyState >= 1", timeout=60_000)
    return pg.evaluate(
        "(() => { const v = document.querySelector('#videogen-video');"
        " return {w: v.videoWidth, h: v.videoHeight, d: v.duration, src: v.getAttribute('src')}; })()"
    )


def _video_id(src: str) -> str:
    return src.split("/")[3]


def test_generate_tab_makes_plays_and_rerenders(browser, video_web_server):  # noqa: F811
    base = video_web_server.base_url
    page = Page(browser, base)
    try:
        page.open("video")
        pg = page.page
        assert pg.get_attribute("#video-tab-generate", "aria-selected") == "true"
        pg.fill('textarea[name="prompt"]', "A bakery's fresh morning bread")
        pg.select_option('select[name="aspect"]', "9:16")
        pg.select_option('select[name="quality"]', "360p")
        pg.fill('input[name="seconds"]', "3")
        assert pg.evaluate(UNLABELLED) == []
        pg.click("#videogen-run")
        pg.wait_for_selector("#videogen-job progress")
        pg.wait_for_selector("#videogen-video, main p.error:not([hidden])", timeout=600_000)
        assert not pg.locator("main p.error:not([hidden])").count()
        first = _player(pg)
        assert (first["w"], first["h"]) == (360, 640) and first["d"] >= 2.9, first
        links = [pg.get_attribute(f"#videogen-files li:nth-child({i}) a", "href") for i in (1, 2, 3)]
        with av.open(io.BytesIO(httpx.get(base + links[0], timeout=60).content)) as c:
            assert c.streams.video[0].codec_context.name == "h264"
        assert "-->" in httpx.get(base + links[1], timeout=60).text
        assert httpx.get(base + links[2], timeout=60).content[:4] == b"\x89PNG"
        page.shot("video-generate")

        # edit the first scene's on-screen text and render again from the same storyboard and seed
        pg.fill('input[name="storyboard.scenes.0.text"]', "Fresh at seven")
        assert pg.evaluate(UNLABELLED) == []
        pg.click("#videogen-rerender")
        pg.wait_for_function(
            f"document.querySelector('#videogen-video')?.getAttribute('src') !== {first['src']!r}", timeout=600_000
        )
        second = _player(pg)
        assert (second["w"], second["h"]) == (360, 640)
        old, new = (httpx.get(f"{base}/v1/videos/{_video_id(v['src'])}", timeout=30).json() for v in (first, second))
        assert new["remixed_from_video_id"] == old["id"] and new["seed"] == old["seed"]
        assert new["storyboard"]["scenes"][0]["text"] == "Fresh at seven"
        assert [s["camera"] for s in new["storyboard"]["scenes"]] == [s["camera"] for s in old["storyboard"]["scenes"]]
        # the Chinese page has its own words
        pg.select_option("#lang", "zh")
        pg.wait_for_function("document.querySelector('main h1')?.textContent === '视频'")
        page.wait_page("video")
        assert pg.inner_text("#video-tab-generate") == "生成" and pg.inner_text("#video-tab-edit") == "剪辑"
        assert page.errors == [], page.errors
    finally:
        page.close()
