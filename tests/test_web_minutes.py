"""The meeting-minutes page in a real browser (Debian's Chromium through Playwright) against a real
``zaowu serve`` with the real Whisper base and SmolLM2: it renders in both languages at desktop and
phone widths with every control labelled; a recording spoken by zaowu's own voice is uploaded, the
job's progress shows, and the minutes come back with the planted action item, the transcript and the
Markdown and Word files; a pasted transcript works the same; an empty form names the missing field.
Screenshots land in test-output/web/."""

from __future__ import annotations

import io

import httpx
import pytest

from .conftest import Server
from .test_web import studio_page  # noqa: F401  (a page on this module's web_server)
from .web_helpers import PHONE, Page

sync_api = pytest.importorskip("playwright.sync_api")
av = pytest.importorskip("av")

UNLABELLED = """[...document.querySelectorAll('main input, main select, main textarea')]
    .filter((c) => c.type !== 'hidden' && !c.labels.length && !c.getAttribute('aria-label'))
    .map((c) => c.outerHTML.slice(0, 80))"""
SCRIPT = "Good morning, this is Alice, here with David and Maria. We decided to open on Sundays. David will order the new chairs by Friday."


@pytest.fixture(scope="module")
def web_server(tmp_path_factory, models_dir):
    only = tmp_path_factory.mktemp("minutes-web-models")
    for name in ("SmolLM2-135M-Instruct.Q4_1.gguf", "whisper-base"):
        (only / name).symlink_to(models_dir / name)
    srv = Server(tmp_path_factory.mktemp("minutes-web"), only, {"ZAOWU_TODAY": "2026-12-01"})
    yield srv
    srv.stop()


def _wait_done(pg) -> None:
    pg.wait_for_selector('#minutes-form[data-done="1"], #minutes-form p.error:not([hidden])', timeout=600_000)
    error = pg.locator("#minutes-form p.error:not([hidden])")
    assert not error.count(), error.first.inner_text()


def test_the_page_renders_in_both_languages_and_at_phone_width(browser, web_server, studio_page):  # noqa: F811
    studio_page.open("minutes")
    pg = studio_page.page
    assert pg.locator("h1").inner_text() == "Minutes"
    assert pg.evaluate(UNLABELLED) == []
    assert pg.locator('#nav a[href="#/minutes"]').count() == 1
    pg.select_option("#lang", "zh")
    pg.wait_for_function("document.querySelector('main h1').textContent === '会议纪要'")
    assert "生成会议纪要" in pg.locator("#minutes-form button.primary").inner_text()
    studio_page.shot("minutes-zh")
    phone = Page(browser, web_server.base_url, viewport=PHONE)
    try:
        phone.open("minutes")
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width} px)"
        phone.shot("minutes-phone")
        assert phone.errors == []
    finally:
        phone.close()


def test_an_empty_form_names_the_missing_field(studio_page):  # noqa: F811
    studio_page.open("minutes")
    pg = studio_page.page
    pg.fill('[name="transcript"]', "")
    pg.click("#minutes-form button.primary")
    error = pg.locator("#minutes-form p.error:not([hidden])")
    error.wait_for()
    assert "recording" in error.inner_text()
    assert pg.locator('#minutes-form [name="file"]').get_attribute("aria-invalid") == "true"


def _recording(server: Server) -> bytes:
    r = httpx.post(f"{server.base_url}/v1/audio/speech", json={"input": SCRIPT, "voice": "joe"}, timeout=300)
    assert r.status_code == 200, r.text
    return r.content


def test_upload_a_recording_then_read_and_download_the_minutes(studio_page, web_server, tmp_path):  # noqa: F811
    wav = tmp_path / "standup.wav"
    wav.write_bytes(_recording(web_server))
    studio_page.open("minutes")
    pg = studio_page.page
    pg.fill('[name="date"]', "2026-12-01")
    pg.set_input_files('#minutes-form [name="file"]', str(wav))
    pg.click("#minutes-form button.primary")
    pg.wait_for_selector("#minutes-progress progress")  # the job's live progress
    studio_page.shot("minutes-running")
    _wait_done(pg)
    row = pg.locator("#minutes-actions tbody tr", has_text="David")
    assert "chairs" in row.inner_text() and "2026-12-04" in row.inner_text()
    assert "Sundays" in pg.locator("#minutes-result").inner_text()  # the decision
    assert pg.locator("#minutes-transcript li time").first.inner_text() == "[00:00]"
    links = pg.locator("#minutes-files a")
    names = [links.nth(i).get_attribute("download") for i in range(links.count())]
    assert any(n.endswith(".md") for n in names) and any(n.endswith(".docx") for n in names)
    docx_href = next(links.nth(i).get_attribute("href") for i in range(links.count()) if names[i].endswith(".docx"))
    import docx

    document = docx.Document(io.BytesIO(httpx.get(web_server.base_url + docx_href, timeout=30).content))
    assert any("David" in c.text for t in document.tables for r in t.rows for c in r.cells)
    studio_page.shot("minutes-result")


def test_a_pasted_transcript(studio_page):  # noqa: F811
    studio_page.open("minutes")
    pg = studio_page.page
    pg.fill('[name="date"]', "2026-12-01")
    pg.fill(
        '[name="transcript"]',
        "[00:03] Maria: We agreed to print new menus.\n[00:10] Tom will call the printer tomorrow.",
    )
    pg.click("#minutes-form button.primary")
    _wait_done(pg)
    row = pg.locator("#minutes-actions tbody tr", has_text="Tom")
    assert "printer" in row.inner_text() and "2026-12-02" in row.inner_text() and "[00:10]" in row.inner_text()
