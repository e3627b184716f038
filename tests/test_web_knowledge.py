"""The studio's knowledge and customer-service pages in a real browser (Debian's Chromium) against a real
`zaowu serve` with the real SmolLM2: upload with progress, files and chunks, a test search, an assistant
with its widget snippet and live preview, and the widget itself embedded on a shop's page (another origin,
served by the browser's router): allowed there, refused on a site the assistant does not list."""

from __future__ import annotations

import httpx
import pytest

from tests import kb_docs

from .conftest import Server
from .web_helpers import Page

sync_api = pytest.importorskip("playwright.sync_api")
# the shop's sites: *.localhost pages are secure contexts, which Chrome lets reach the loopback test server
# (with the local-network-access permission); a public http:// page could not reach it at all
SHOP = "http://shop.localhost:8123"
ELSEWHERE = "http://elsewhere.localhost:8123"
MODEL_WAIT_MS = 300_000


@pytest.fixture(scope="module")
def kb_server(tmp_path_factory, models_dir):
    srv = Server(tmp_path_factory.mktemp("web-kb"), models_dir)
    yield srv
    srv.stop()


def _shop_page(browser, server, origin: str, snippet: str) -> Page:
    """A page of ``origin`` (answered by the browser's router, not a server) that embeds ``snippet``."""
    page = Page(browser, server.base_url)
    page.context.grant_permissions(["local-network-access"])  # the test server listens on loopback
    html = f"<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>{snippet}</body></html>"
    page.page.route(f"{origin}/", lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.page.goto(f"{origin}/")
    return page


def test_upload_list_chunks_search_then_an_assistant_with_its_widget(browser, kb_server, tmp_path):
    docs = []
    for name, blob in kb_docs.documents().items():
        (tmp_path / name).write_bytes(blob)
        docs.append(str(tmp_path / name))
    studio = Page(browser, kb_server.base_url)
    try:
        pg = studio.page
        studio.open("knowledge")
        pg.fill("#kb-create input[name=name]", "shop")
        pg.click("#kb-create button[type=submit]")
        pg.wait_for_selector("#kb-files p.hint")  # the new, empty base is chosen
        pg.set_input_files("#kb-upload input[type=file]", docs)
        pg.click("#kb-upload button[type=submit]")
        pg.wait_for_selector("#kb-status:has-text('4 of 4')", timeout=MODEL_WAIT_MS)
        assert pg.eval_on_selector("#kb-progress", "e => e.value") == 1
        assert pg.locator("#kb-files tbody tr").count() == 4
        pg.click("#kb-files tr[data-file='hours.pdf'] button:has-text('Chunks')")
        pg.wait_for_selector("#kb-chunks li")
        chunks = pg.locator("#kb-chunks").inner_text()
        assert "weekends" in chunks and "p.1" in chunks and "p.2" in chunks
        pg.fill("#kb-search input[name=query]", "寄到西藏需要额外付邮费吗")
        pg.click("#kb-search button[type=submit]")
        first = pg.locator("#kb-results li").first
        first.wait_for()
        assert "shipping.docx" in first.inner_text() and "15元" in first.inner_text()
        studio.shot("knowledge-search")

        studio.open("assistant")
        pg.fill("#cs-create input[name=name]", "AirCup")
        pg.fill("#cs-create textarea[name=allowed_origins]", SHOP)
        pg.click("#cs-create button[type=submit]")
        pg.wait_for_selector("#cs-widget:not([hidden])")
        snippet = pg.input_value("#cs-snippet")
        assert snippet.startswith(f'<script src="{kb_server.base_url}/widget.js" data-assistant="asst')
        pg.fill("#cs-preview input[name=message]", "What time do you open on Saturdays?")
        pg.click("#cs-preview button[type=submit]")
        answer = pg.locator("#cs-messages [data-role=assistant]").first
        answer.wait_for(timeout=MODEL_WAIT_MS)
        assert "hours.pdf p.1" in answer.inner_text()
        pg.fill("#cs-preview input[name=message]", "What is the capital of France?")
        pg.click("#cs-preview button[type=submit]")
        pg.wait_for_selector("#cs-messages [data-handed-off='1']")
        assert "I'll pass this to a person" in pg.locator("[data-handed-off='1']").inner_text()
        pg.wait_for_selector("#cs-handoffs li:has-text('capital of France')")
        studio.shot("assistant-preview")
        # a person took the question: closing it marks it closed, on the page and on the server
        pg.click("#cs-handoffs li:has-text('capital of France') button")
        pg.wait_for_selector("#cs-handoffs li[data-status=closed]:has-text('capital of France')")
        made = pg.input_value("#cs-preview select[name=assistant_id]")
        still_open = httpx.get(f"{kb_server.base_url}/v1/assistants/{made}/handoffs", params={"status": "open"})
        assert still_open.json()["data"] == [], still_open.text
    finally:
        studio.close()
    assert studio.errors == [], studio.errors

    shop = _shop_page(browser, kb_server, SHOP, snippet)
    try:
        shop.page.wait_for_selector("[data-zaowu-widget]", state="attached")
        widget = shop.page.locator("[data-zaowu-widget]")
        widget.locator("button.b").click()
        widget.locator("input").fill("What is the capital of France?")
        widget.locator("form button").click()
        reply = widget.locator(".m.a").first
        reply.wait_for(timeout=MODEL_WAIT_MS)
        assert "I'll pass this to a person" in reply.inner_text()
        shop.shot("widget-on-shop")
    finally:
        shop.close()
    assert shop.errors == [], shop.errors

    stranger = _shop_page(browser, kb_server, ELSEWHERE, snippet)
    try:
        widget = stranger.page.locator("[data-zaowu-widget]")
        widget.locator("button.b").click()
        widget.locator("input").fill("What is the capital of France?")
        widget.locator("form button").click()
        reply = widget.locator(".m.a").first
        reply.wait_for()
        assert "cannot answer" in reply.inner_text()  # the browser refused: no CORS for this site
        assert any("CORS" in e or "Failed to fetch" in e or "403" in e for e in stranger.errors), stranger.errors
    finally:
        stranger.close()


def test_the_knowledge_page_deletes_a_file_and_a_knowledge_base(browser, kb_server, tmp_path):
    """A file deleted from the page is gone from the server (404) and the base's list; a deleted base is gone
    from the picker and the server, while another base keeps its files."""
    doc = tmp_path / "notes.txt"
    doc.write_text("Our shop opens at nine on weekdays.\n\nWe close at six.", encoding="utf-8")
    keep = httpx.post(f"{kb_server.base_url}/v1/vector_stores", json={"name": "keep"}).json()["id"]
    studio = Page(browser, kb_server.base_url)
    try:
        pg = studio.page
        pg.on("dialog", lambda dialog: dialog.accept())  # the confirmations
        studio.open("knowledge")
        pg.fill("#kb-create input[name=name]", "doomed")
        pg.click("#kb-create button[type=submit]")
        picker = "#kb-upload select[name=vector_store_id]"
        pg.wait_for_function(  # the new base is picked once the page has it
            "sel => { const s = document.querySelector(sel); return s && s.selectedOptions[0]?.text.includes('doomed'); }",
            arg=picker,
        )
        pg.wait_for_selector("#kb-files p.hint")
        store = pg.input_value(picker)
        assert store != keep
        pg.set_input_files("#kb-upload input[type=file]", [str(doc)])
        pg.click("#kb-upload button[type=submit]")
        pg.wait_for_selector("#kb-status:has-text('1 of 1')", timeout=MODEL_WAIT_MS)
        file_id = httpx.get(f"{kb_server.base_url}/v1/vector_stores/{store}/files").json()["data"][0]["id"]
        pg.click("#kb-files tr[data-file='notes.txt'] button:has-text('Delete file')")
        pg.wait_for_selector("#kb-files p.hint")  # the base is empty again
        assert httpx.get(f"{kb_server.base_url}/v1/files/{file_id}").status_code == 404

        pg.click("#kb-delete-store")
        pg.wait_for_function(
            f"() => ![...document.querySelectorAll('#kb-upload select option')].some(o => o.value === '{store}')"
        )
        assert httpx.get(f"{kb_server.base_url}/v1/vector_stores/{store}").status_code == 404
        assert httpx.get(f"{kb_server.base_url}/v1/vector_stores/{keep}").status_code == 200
    finally:
        studio.close()
    assert studio.errors == [], studio.errors
