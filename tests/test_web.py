"""The web studio in a real browser (Debian's Chromium through Playwright) against a real
``zaowu serve``: every page renders without console errors at desktop and phone widths,
chat streams, an image appears and its text re-renders, music plays, a job's progress
moves and cancel works, the language switch, history re-run with the seed, and signing in
with a key kept in an HttpOnly cookie. Screenshots land in test-output/web/."""

from __future__ import annotations

import httpx
import pytest

from zaowu.studio.engine import Studio

from .conftest import TEST_MODEL, Server
from .helpers import unlabelled_text
from .web_helpers import PHONE, Page

sync_api = pytest.importorskip("playwright.sync_api")

# every visible form control must have a label a screen reader can announce
UNLABELLED = """[...document.querySelectorAll('main input, main select, main textarea, header select')]
    .filter((c) => c.type !== 'hidden' && !c.labels.length && !c.getAttribute('aria-label')
                   && !c.getAttribute('aria-labelledby') && !c.closest('label'))
    .map((c) => c.outerHTML.slice(0, 80))"""
PAGES = [
    "home",
    "chat",
    "templates",
    "apps",
    "knowledge",
    "assistant",
    "images",
    "audio",
    "minutes",
    "video",
    "jobs",
    "history",
    "verify",
    "settings",
]


def _test_models(tmp_path_factory, models_dir):
    only = tmp_path_factory.mktemp("web-models")
    for name in ("SmolLM2-135M-Instruct.Q4_1.gguf", "whisper-base"):
        (only / name).symlink_to(models_dir / name)
    return only


@pytest.fixture(scope="module")
def web_server(tmp_path_factory, models_dir):
    srv = Server(
        tmp_path_factory.mktemp("web-server"),
        _test_models(tmp_path_factory, models_dir),
        {"ZAOWU_PLUGINS": '["tests.slow_jobs", "tests.web_app"]', "ZAOWU_JOB_WORKERS": "2"},
    )
    yield srv
    srv.stop()


@pytest.fixture
def studio_page(browser, web_server):
    page = Page(browser, web_server.base_url)
    yield page
    page.close()
    assert page.errors == [], page.errors  # no page may log a console error


def _wait_for_result(pg, selector: str, timeout: float = 420_000) -> None:
    """Wait for ``selector`` or a shown error (then fail with the error's text)."""
    pg.wait_for_selector(f"{selector}, main p.error:not([hidden])", timeout=timeout)
    error = pg.locator("main p.error:not([hidden])")
    assert not error.count(), error.first.inner_text()


def test_every_page_renders_at_desktop_and_phone_width(browser, web_server, studio_page):
    base = web_server.base_url
    pages = PAGES
    for name in pages:
        studio_page.open("" if name == "home" else name)
        studio_page.page.wait_for_load_state("networkidle")
        assert studio_page.page.locator("h1").first.inner_text().strip()
        assert studio_page.page.evaluate(UNLABELLED) == [], f"controls without a label on {name}"
        studio_page.shot(f"{name}-desktop")
    phone = Page(browser, base, viewport=PHONE)
    try:
        for name in pages:
            phone.open("" if name == "home" else name)
            phone.page.wait_for_load_state("networkidle")
            overflow = phone.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{name} is wider than a phone screen by {overflow}px"
            phone.shot(f"{name}-phone")
        phone.page.click("#menu-toggle")  # the menu folds away on a phone and opens from its button
        assert phone.page.locator("nav a").nth(1).is_visible()
    finally:
        phone.close()
    assert phone.errors == [], phone.errors


def test_language_switch_changes_the_text_and_is_remembered(browser, web_server):
    page = Page(browser, web_server.base_url, locale="zh-CN")
    try:
        page.open("chat")
        nav = page.page.locator("nav a").nth(1)
        assert nav.inner_text() == "对话"  # the browser's language chooses Chinese
        assert page.page.locator("h1").inner_text() == "对话"
        page.page.select_option("#lang", "en")
        page.page.wait_for_function("document.querySelector('main h1')?.textContent === 'Chat'")
        assert nav.inner_text() == "Chat" and page.page.evaluate("document.documentElement.lang") == "en"
        page.page.reload()
        page.wait_page("chat")
        assert page.page.locator("h1").inner_text() == "Chat"  # the choice is remembered
        page.shot("language-en")
    finally:
        page.close()
    assert page.errors == [], page.errors


def test_keyboard_reaches_the_studio_with_visible_focus(studio_page):
    pg = studio_page.page
    studio_page.open()
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.id") == "skip-link"
    for _ in range(3):  # brand, (phone-only menu button is hidden here), first nav links
        pg.keyboard.press("Tab")
    focused = pg.evaluate(
        "[document.activeElement.tagName, document.activeElement.textContent, "
        "getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused[0] == "A" and focused[1] == "Chat" and focused[2] != "none"
    pg.keyboard.press("Enter")  # a link opens its page from the keyboard
    studio_page.wait_page("chat")


def test_copy_from_the_home_page_streams_into_the_chat(studio_page):
    pg = studio_page.page
    studio_page.open()
    pg.click('[data-quick="copy"]')  # click 1: the quick start opens a prefilled chat
    studio_page.wait_page("chat")
    assert "soap" in pg.locator('textarea[name="messages"]').input_value()
    pg.evaluate("""() => { window.__updates = 0;
        new MutationObserver(() => window.__updates++).observe(document.getElementById('chat-messages'),
            {subtree: true, childList: true, characterData: true}); }""")
    pg.click("text=Send")  # click 2
    pg.wait_for_function("window.__updates >= 6", timeout=180_000)  # tokens arrive one piece at a time
    reply = pg.locator(".msg.assistant .reply")
    assert reply.inner_text().strip()
    pg.click("text=Stop")  # no need to wait for a small model to finish its thought
    pg.wait_for_selector('.msg.assistant[data-done="1"]')
    assert pg.locator("main p.error").is_hidden()
    studio_page.shot("chat-reply")


def _from_home(studio_page, quick: str, page: str, fill: dict[str, str], button: str, result: str):
    """Click 1: a quick start on the home page opens ``page`` prefilled; click 2: generate; wait for ``result``."""
    pg = studio_page.page
    studio_page.open()
    pg.click(f'[data-quick="{quick}"]')
    studio_page.wait_page(page)
    for selector, value in fill.items():
        pg.fill(selector, value)
    pg.click(f"button.primary:has-text('{button}')")
    _wait_for_result(pg, result)
    return pg


IMAGE_SHOWN = (
    "(() => { const i = document.querySelector('#image-grid img'); return i && i.complete && i.naturalWidth > 0; })()"
)


def test_poster_from_the_home_page_and_its_text_re_rendered(studio_page):
    pg = _from_home(studio_page, "poster", "images", {'input[name="seed"]': "5"}, "Generate", "#image-grid figure img")
    img = pg.locator("#image-grid figure img").first
    pg.wait_for_function(IMAGE_SHOWN)
    assert pg.locator("#image-grid figure").count() == 2  # two variants
    first_src = img.get_attribute("src")
    studio_page.shot("images-variants")
    fig = pg.locator("#image-grid figure").first
    fig.locator("text=Edit text").click()
    fig.locator('input[name="headline"]').fill("Summer Tea Sale")
    fig.locator("text=Re-render").click()
    pg.wait_for_selector('#image-grid figure[data-rerendered="1"]', timeout=60_000)
    assert img.get_attribute("src") != first_src
    pg.wait_for_function(IMAGE_SHOWN)
    studio_page.shot("images-rerendered")


def test_music_from_the_home_page_plays(studio_page):
    pg = _from_home(studio_page, "music", "audio", {'input[name="duration"]': "6"}, "Compose", "#music-output audio")
    pg.wait_for_function("document.querySelector('#music-output audio').duration > 0")
    duration = pg.evaluate("document.querySelector('#music-output audio').duration")
    assert 5 <= duration <= 8
    pg.evaluate("document.querySelector('#music-output audio').play()")
    pg.wait_for_function("document.querySelector('#music-output audio').currentTime > 0.2")
    midi = httpx.get(studio_page.base_url + pg.locator("#music-output a", has_text="MIDI").get_attribute("href"))
    assert midi.content[:4] == b"MThd"
    studio_page.shot("audio-music")


def test_speak_then_transcribe_the_speech_with_subtitles(studio_page, tmp_path):
    pg = studio_page.page
    studio_page.open("audio")
    pg.locator('select[name="voice"]').select_option("joe")
    pg.fill('textarea[name="input"]', "Fresh bread every morning.")
    pg.click("button.primary:has-text('Speak')")
    _wait_for_result(pg, "#speech-output audio")
    pg.wait_for_function("document.querySelector('#speech-output audio').duration > 0.5")
    wav = httpx.get(studio_page.base_url + pg.locator("#speech-output audio").get_attribute("src")).content
    (tmp_path / "bread.wav").write_bytes(wav)
    pg.click("#tab-transcribe")
    pg.set_input_files('input[name="file"]', str(tmp_path / "bread.wav"))
    pg.click("button.primary:has-text('Transcribe')")
    _wait_for_result(pg, "#transcript ol.subtitles li")
    assert "bread" in pg.locator("#transcript").inner_text().lower()
    with pg.expect_download() as download:
        pg.click("text=Download SRT")
    srt = download.value.path().read_text()
    assert srt.startswith("1\n00:00:00,") and "bread" in srt.lower()
    studio_page.shot("audio-transcript")


def test_job_progress_moves_and_cancel_works(web_server, studio_page):
    base = web_server.base_url
    job = httpx.post(
        f"{base}/v1/jobs", json={"kind": "steps", "request": {"steps": 300, "step_seconds": 0.1, "group": "web"}}
    ).json()
    pg = studio_page.page
    studio_page.open("jobs")
    bar = pg.locator(f'tr[data-job="{job["id"]}"] progress')
    pg.wait_for_function(
        f"(() => {{ const b = document.querySelector('tr[data-job=\"{job['id']}\"] progress'); return b && b.value > 0; }})()"
    )
    first = float(bar.evaluate("b => b.value"))
    pg.wait_for_function(f"document.querySelector('tr[data-job=\"{job['id']}\"] progress').value > {first}")
    studio_page.shot("jobs-running")
    pg.locator(f'tr[data-job="{job["id"]}"] button', has_text="Cancel").click()
    pg.wait_for_selector(f'tr[data-job="{job["id"]}"][data-state="cancelled"]', timeout=30_000)
    assert httpx.get(f"{base}/v1/jobs/{job['id']}").json()["state"] == "cancelled"


def test_history_filters_and_re_runs_with_the_same_seed(web_server, studio_page):
    base = web_server.base_url
    r = httpx.post(
        f"{base}/v1/chat/completions",
        timeout=120,
        json={
            "model": TEST_MODEL,
            "seed": 4242,
            "max_tokens": 8,
            "messages": [{"role": "user", "content": "Name a colour."}],
        },
    )
    assert r.status_code == 200, r.text
    pg = studio_page.page
    studio_page.open("history")
    pg.select_option('select[name="modality"]', "text")
    pg.wait_for_function(
        "![...document.querySelectorAll('#history-list article')].some((a) => a.textContent.includes('Image'))"
    )
    row = pg.locator("article[data-generation]", has_text="Name a colour.").first
    row.wait_for()
    assert "4242" in row.inner_text()
    studio_page.shot("history")
    row.locator("text=Re-run with the same seed").click()
    studio_page.wait_page("chat")
    assert pg.locator('input[name="seed"]').input_value() == "4242"
    assert pg.locator('textarea[name="messages"]').input_value() == "Name a colour."


def test_template_run(studio_page):
    pg = studio_page.page
    studio_page.open("templates")
    pg.fill('input[name="q"]', "instagram")  # a short plain-text template
    pg.locator('#template-list [data-template="instagram-caption"]').click()
    form = pg.locator("#template-detail form")
    form.wait_for()
    assert form.locator('[name="post"]').input_value()  # prefilled from the template's first example
    form.locator('select[name="caption_language"]').select_option("en")
    form.locator('input[name="seed"]').fill("3")
    form.locator("button.primary").click()
    pg.wait_for_function("document.getElementById('template-output').textContent.length > 0", timeout=300_000)
    _wait_for_result(pg, '#template-detail form[data-done="1"]', timeout=900_000)  # slow only on a loaded machine
    assert len(pg.locator("#template-output").inner_text().strip()) >= 10
    assert pg.locator("#template-detail button", has_text="Export text").count() == 1
    studio_page.shot("templates-run")


def test_app_run_shows_live_progress_then_its_page_and_files(studio_page):
    pg = studio_page.page
    studio_page.open("apps")
    pg.locator('#app-list [data-app="web-demo"]').click()
    form = pg.locator('#app-detail form[data-app="web-demo"]')
    form.locator("text=Example 1").click()  # the app's own example fills the form
    assert form.locator('[name="title"]').input_value() == "Bean There"
    form.locator('[name="pages"]').fill("30")
    form.locator('[name="step_seconds"]').fill("0.3")
    form.locator("button.primary").click()
    bar = pg.locator("#app-progress progress")
    pg.wait_for_function(
        "(() => { const b = document.querySelector('#app-progress progress'); return b && b.value > 0; })()"
    )
    first = float(bar.evaluate("b => b.value"))
    pg.wait_for_function(f"document.querySelector('#app-progress progress').value > {first}")  # it moves
    studio_page.shot("apps-running")
    _wait_for_result(pg, '#app-detail form[data-done="1"]', timeout=120_000)
    frame = pg.frame_locator("#app-result iframe")
    assert frame.locator("h1").inner_text() == "Bean There"  # the storefront, previewed in a frame
    notes = pg.locator("#app-result a", has_text="notes.txt")
    assert unlabelled_text(httpx.get(studio_page.base_url + notes.get_attribute("href")).text) == "30 pages"
    assert "Bean There" in pg.locator("#app-result").inner_text()  # the typed result
    studio_page.shot("apps-result")


def test_app_and_template_forms_come_from_their_schemas(web_server, studio_page):
    base = web_server.base_url
    pg = studio_page.page
    studio_page.open("apps")
    for app in httpx.get(f"{base}/v1/apps").json()["data"]:
        pg.locator(f'#app-list [data-app="{app["id"]}"]').click()
        form = pg.locator(f'#app-detail form[data-app="{app["id"]}"]')
        form.wait_for()
        names = set(
            form.locator(".schema-form [name], .schema-form [data-name]").evaluate_all(
                "els => els.map(e => e.getAttribute('name') || e.dataset.name)"
            )
        )
        assert names == set(app["input_schema"]["properties"]), app["id"]  # every field, no UI code per app
        for name in app["input_schema"].get("required", []):
            assert form.locator(f'[name="{name}"]').get_attribute("required") is not None
    studio_page.shot("apps-form")
    # a wrong value comes back from the server as a 400 naming the field, which is highlighted
    tpl = httpx.get(f"{base}/v1/templates").json()["data"][0]
    studio_page.open(f"templates?id={tpl['id']}")
    form = pg.locator("#template-detail form")
    form.wait_for()
    first = next(iter(tpl["input_schema"]["properties"]))
    form.locator(f'[name="{first}"]').evaluate(
        "e => { e.removeAttribute('required'); e.removeAttribute('minlength'); e.value = ''; }"
    )
    form.locator("button.primary").click()
    pg.wait_for_selector(f'#template-detail [name="{first}"].invalid')
    assert first in pg.locator("#template-detail p.error").inner_text()
    studio_page.errors[:] = [e for e in studio_page.errors if "400 (Bad Request)" not in e]  # the one we caused


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory, models_dir):
    srv = Server(
        tmp_path_factory.mktemp("web-auth"), _test_models(tmp_path_factory, models_dir), {"ZAOWU_AUTH": "required"}
    )
    yield srv
    srv.stop()


def test_sign_in_keeps_the_key_in_an_httponly_cookie_and_shows_only_own_history(browser, auth_server):
    base = auth_server.base_url
    with Studio(auth_server.settings()) as studio:
        mine = studio.keys.create("shop", ["text", "image"])[0]
        other = studio.keys.create("neighbour", ["image"])[0]
    spec = {"kind": "poster", "headline": "Neighbour's secret sale"}
    r = httpx.post(
        f"{base}/v1/images/generations",
        headers={"Authorization": f"Bearer {other}"},
        timeout=120,
        json={"prompt": "neighbour poster", "spec": spec, "seed": 1, "size": "1:1"},
    )
    assert r.status_code == 200, r.text
    r = httpx.post(
        f"{base}/v1/images/generations",
        headers={"Authorization": f"Bearer {mine}"},
        timeout=120,
        json={"prompt": "my own poster", "spec": dict(spec, headline="Mine"), "seed": 1, "size": "1:1"},
    )
    assert r.status_code == 200, r.text

    page = Page(browser, base)
    try:
        pg = page.page
        page.open()
        dialog = pg.locator("dialog#login")
        dialog.wait_for()
        pg.fill("#login-key", "zw-wrong")
        pg.click("#login-submit")
        pg.wait_for_selector("#login-error:not([hidden])")
        assert "Incorrect API key" in pg.locator("#login-error").inner_text()
        pg.fill("#login-key", mine)
        pg.click("#login-submit")
        pg.wait_for_selector("dialog#login:not([open])", state="attached")
        assert "shop" in pg.locator("#who").inner_text()
        cookie = next(c for c in page.context.cookies() if c["name"] == "zaowu_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert "zaowu_session" not in pg.evaluate("document.cookie")  # scripts never see the key
        page.open("history")
        pg.locator("article[data-generation]").first.wait_for()
        text = pg.locator("#history-list").inner_text()
        assert "my own poster" in text and "neighbour" not in text
        page.shot("history-signed-in")
    finally:
        page.close()


def test_studio_endpoints_scope_history_and_keys_by_key(auth_server):
    base = auth_server.base_url
    with Studio(auth_server.settings()) as studio:
        admin = studio.keys.create("owner", ["admin"])[0]
        user = studio.keys.create("clerk", ["image"])[0]
    as_admin, as_user = {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {user}"}
    body = {"prompt": "clerk poster", "spec": {"kind": "logo", "headline": "Clerk"}, "seed": 2, "size": "logo"}
    gen = httpx.post(f"{base}/v1/images/generations", headers=as_user, json=body, timeout=120).json()["generation_id"]
    mine = httpx.get(f"{base}/v1/generations?modality=image", headers=as_user).json()["data"]
    assert [g["id"] for g in mine] == [gen] and mine[0]["artifacts"][0]["mime"] == "image/png"
    assert mine[0]["seed"] == 2 and mine[0]["input"]["prompt"] == "clerk poster"
    assert any(g["id"] == gen for g in httpx.get(f"{base}/v1/generations", headers=as_admin).json()["data"])
    assert httpx.get(f"{base}/v1/generations?q=clerk", headers=as_admin).json()["data"][0]["id"] == gen
    assert httpx.get(f"{base}/v1/generations?q=nothing-like-this", headers=as_admin).json()["data"] == []
    assert httpx.get(f"{base}/v1/generations").status_code == 401  # keys are required here
    # keys: admins only; a new key's secret is shown once and then works; revoking ends it
    assert httpx.get(f"{base}/v1/keys", headers=as_user).status_code == 403
    created = httpx.post(f"{base}/v1/keys", headers=as_admin, json={"name": "temp", "scopes": ["text"]}).json()
    assert created["key"].startswith("zw-") and created["scopes"] == ["text"]
    assert "key" not in httpx.get(f"{base}/v1/keys", headers=as_admin).json()["data"][-1]
    bad = httpx.post(f"{base}/v1/keys", headers=as_admin, json={"name": "x", "scopes": ["paint"]})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "scope"
    assert (
        httpx.get(f"{base}/v1/generations", headers={"Authorization": f"Bearer {created['key']}"}).json()["data"] == []
    )
    httpx.delete(f"{base}/v1/keys/temp", headers=as_admin)
    assert httpx.get(f"{base}/v1/generations", headers={"Authorization": f"Bearer {created['key']}"}).status_code == 401
    # pulling: admins only, an unknown model is refused before a job is queued
    assert httpx.post(f"{base}/v1/models/pull", headers=as_user, json={"model": "whisper-base"}).status_code == 403
    r = httpx.post(f"{base}/v1/models/pull", headers=as_admin, json={"model": "no-such-model"})
    assert r.status_code == 404 and r.json()["error"]["param"] == "model"
    # the studio's login: a wrong key is a 400 naming 'key'; a right one sets the HttpOnly cookie the API accepts
    r = httpx.post(f"{base}/studio/login", json={"key": "zw-wrong"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "key"
    with httpx.Client(base_url=base) as browser_like:
        r = browser_like.post("/studio/login", json={"key": user})
        assert r.json()["signed_in"] and "httponly" in r.headers["set-cookie"].lower()
        assert [g["id"] for g in browser_like.get("/v1/generations").json()["data"]] == [gen]
        assert browser_like.post("/studio/logout").json()["signed_in"] is False
        assert browser_like.get("/v1/generations").status_code == 401
