"""Issue 16 in the web studio, in a real browser (Debian's Chromium through Playwright) against a real
``zaowu serve``: the AI-generated notice is shown on every page in both languages, and the Verify page
shows the labels of a dropped image the studio made and the generation it came from."""

from __future__ import annotations

import base64

import httpx
import pytest

from .conftest import Server
from .web_helpers import Page

sync_api = pytest.importorskip("playwright.sync_api")

PAGES = ["home", "chat", "templates", "apps", "images", "audio", "video", "jobs", "history", "verify", "settings"]
SPEC = {"kind": "poster", "headline": "春季新品上市", "brand": "山间茶舍", "language": "zh"}


@pytest.fixture(scope="module")
def web_server(tmp_path_factory, models_dir):
    only = tmp_path_factory.mktemp("verify-models")
    (only / "SmolLM2-135M-Instruct.Q4_1.gguf").symlink_to(models_dir / "SmolLM2-135M-Instruct.Q4_1.gguf")
    srv = Server(tmp_path_factory.mktemp("verify-server"), only)
    yield srv
    srv.stop()


@pytest.fixture
def studio_page(browser, web_server):
    page = Page(browser, web_server.base_url)
    yield page
    page.close()
    assert page.errors == [], page.errors


def test_the_ai_generated_notice_is_on_every_page_in_both_languages(studio_page):
    for name in PAGES:
        studio_page.open(name if name != "home" else "")
        notice = studio_page.page.locator("#ai-notice")
        assert notice.is_visible(), name
        assert "AI-generated" in notice.inner_text(), name
    studio_page.page.select_option("#lang", "zh")
    studio_page.page.wait_for_function("document.getElementById('ai-notice').textContent.includes('AI生成')")
    for name in ("chat", "verify"):
        studio_page.open(name)
        assert "AI生成" in studio_page.page.locator("#ai-notice").inner_text(), name


def test_the_verify_page_shows_a_stored_images_labels_and_generation(studio_page, web_server, tmp_path):
    r = httpx.post(
        f"{web_server.base_url}/v1/images/generations",
        json={"prompt": "tea shop poster", "spec": SPEC, "size": "512x512", "seed": 3, "response_format": "b64_json"},
        timeout=300,
    )
    assert r.status_code == 200, r.text
    path = tmp_path / "poster.png"
    path.write_bytes(base64.b64decode(r.json()["data"][0]["b64_json"]))
    gen_id = r.json()["generation_id"]

    report = httpx.post(
        f"{web_server.base_url}/v1/provenance/verify", files={"file": ("poster.png", path.read_bytes())}
    )
    report = report.json()

    studio_page.open("verify")
    studio_page.page.set_input_files("#verify-drop input[type=file]", str(path))
    studio_page.page.wait_for_selector('#verify-report[data-done="1"]')
    parts = "els => els.map((e) => e.dataset.part).filter(Boolean)"  # a placeholder item has no part
    found = studio_page.page.locator(".labels-found li").evaluate_all(parts)
    missing = studio_page.page.locator(".labels-missing li").evaluate_all(parts)
    assert found == report["found"] and missing == report["missing"]  # the page shows the server's report
    assert "explicit" in found, found  # the visible mark on the studio's image
    if report["implicit"]["found"]:  # the metadata fields and the generation they name
        fields = studio_page.page.locator("#verify-fields").inner_text()
        assert "ProduceID" in fields and "ContentProducer" in fields
        assert gen_id in studio_page.page.locator("#verify-generation").inner_text()
    studio_page.shot("verify-image")

    bare = tmp_path / "notes.txt"  # a file nobody labelled: the implicit label is listed as missing
    bare.write_text("plain notes", encoding="utf-8")
    studio_page.page.evaluate("document.getElementById('verify-report').dataset.done = ''")
    studio_page.page.set_input_files("#verify-drop input[type=file]", str(bare))
    studio_page.page.wait_for_selector('#verify-report[data-done="1"]')
    missing = studio_page.page.locator(".labels-missing li").evaluate_all("els => els.map((e) => e.dataset.part)")
    assert "implicit" in missing, missing
