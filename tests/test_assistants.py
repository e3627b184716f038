"""Customer-service assistants and the search app against a real `zaowu serve` (keys required) and the real
SmolLM2: replies cite the file and page that hold the fact, the conversation is kept, out-of-scope questions
are handed to a person and recorded, and the widget's key can call its own assistant's chat from its allowed
sites only, within its rate limit, and nothing else."""

from __future__ import annotations

import io
import re

import httpx
import pytest

from tests import kb_docs

SHOP = "https://shop.example"
TIMEOUT = 300


@pytest.fixture(scope="module")
def keys(auth_server):
    from zaowu.settings import Settings
    from zaowu.studio.engine import Studio

    with Studio(Settings(data_dir=auth_server.data_dir)) as studio:
        return {
            "owner": studio.keys.create("cs-owner", ["text"])[0],
            "other": studio.keys.create("cs-other", ["text"])[0],
        }


def _call(server, key: str | None, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {**({"Authorization": f"Bearer {key}"} if key else {}), **kwargs.pop("headers", {})}
    return httpx.request(method, server.base_url + path, headers=headers, timeout=TIMEOUT, **kwargs)


@pytest.fixture(scope="module")
def shop(auth_server, keys):
    """The mini knowledge base in a store of the owner's, and an assistant over it embedded on SHOP."""
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=auth_server.base_url + "/v1", api_key=keys["owner"], max_retries=0, timeout=120)
    store = client.vector_stores.create(name="cs")
    batch = client.vector_stores.file_batches.upload_and_poll(
        vector_store_id=store.id,
        files=[(name, io.BytesIO(blob)) for name, blob in kb_docs.documents().items()],
        poll_interval_ms=300,
    )
    assert batch.file_counts.completed == len(kb_docs.documents())
    made = _call(
        auth_server,
        keys["owner"],
        "POST",
        "/v1/assistants",
        json={"name": "AirCup", "knowledge_bases": [store.id], "policy": "Be brief.", "allowed_origins": [SHOP]},
    )
    assert made.status_code == 200, made.text
    return {"store": store.id, **made.json()}


def _chat(server, shop, message: str, conversation: str | None = None, origin: str | None = SHOP, key=None):
    headers = {"Origin": origin} if origin else {}
    body = {"message": message, "conversation_id": conversation, "seed": 1}
    return _call(
        server, key or shop["widget_key"], "POST", f"/v1/assistants/{shop['id']}/chat", json=body, headers=headers
    )


def _cites(reply: dict, filename: str, page: int | None, quote: str) -> bool:
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", reply["message"])}
    indexes = {c["index"] for c in reply["citations"]}
    return (
        bool(indexes)
        and indexes <= markers  # every citation is marked in the text
        and all(s["index"] in indexes for s in reply["sources"])
        and any(c["filename"] == filename and c["page"] == page and quote in c["quote"] for c in reply["citations"])
    )


def test_the_widget_snippet_is_one_script_tag_for_this_server(auth_server, shop):
    assert shop["snippet"] == (
        f'<script src="{auth_server.base_url}/widget.js" data-assistant="{shop["id"]}" '
        f'data-key="{shop["widget_key"]}" async></script>'
    )
    script = httpx.get(auth_server.base_url + "/widget.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("application/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    assert "innerHTML" not in script.text and "textContent" in script.text  # replies are shown as text only


def test_replies_cite_the_page_keep_the_conversation_and_hand_off_out_of_scope(auth_server, keys, shop):
    first = _chat(auth_server, shop, "What time do you open on Saturdays?")
    assert first.status_code == 200, first.text
    assert first.headers["access-control-allow-origin"] == SHOP
    reply = first.json()
    assert not reply["handed_off"] and _cites(reply, "hours.pdf", 1, "weekends"), reply
    conversation = reply["conversation_id"]

    hotline = _chat(auth_server, shop, "客服热线电话号码是多少", conversation).json()
    assert hotline["conversation_id"] == conversation and hotline["language"] == "zh"
    assert not hotline["handed_off"] and _cites(hotline, "hours.pdf", 2, "400-800-1234"), hotline

    away = _chat(auth_server, shop, "What is the capital of France?", conversation).json()
    assert away["handed_off"] and away["handoff_reason"] == "out_of_scope" and not away["citations"]
    assert "I'll pass this to a person" in away["message"]
    zh = _chat(auth_server, shop, "今天股票会涨吗", conversation).json()
    assert zh["handed_off"] and "我将为您转接人工客服" in zh["message"]

    listed = _call(auth_server, keys["owner"], "GET", f"/v1/assistants/{shop['id']}/handoffs").json()["data"]
    records = {h["id"]: h for h in listed}
    for handed in (away, zh):
        record = records[handed["handoff_id"]]
        assert record["conversation_id"] == conversation and record["status"] == "open"
    assert records[zh["handoff_id"]]["question"] == "今天股票会涨吗" and records[zh["handoff_id"]]["language"] == "zh"
    path = f"/v1/assistants/{shop['id']}/handoffs"
    closed = _call(auth_server, keys["owner"], "POST", f"{path}/{away['handoff_id']}", json={"status": "closed"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    still_open = _call(auth_server, keys["owner"], "GET", f"{path}?status=open").json()["data"]
    assert [h["id"] for h in still_open if h["conversation_id"] == conversation] == [zh["handoff_id"]]
    bad = _call(auth_server, keys["owner"], "POST", f"{path}/{zh['handoff_id']}", json={"status": "gone"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "status"
    history = _call(auth_server, keys["owner"], "GET", f"/v1/assistants/{shop['id']}/conversations/{conversation}")
    messages = history.json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 4
    assert messages[0]["content"] == "What time do you open on Saturdays?" and messages[1]["citations"]
    # another key sees neither the assistant nor its hand-offs
    assert _call(auth_server, keys["other"], "GET", f"/v1/assistants/{shop['id']}/handoffs").status_code == 404


def test_the_widget_key_calls_only_its_assistants_chat_from_allowed_sites(auth_server, keys, shop):
    widget = shop["widget_key"]
    for method, path, body in (
        ("GET", "/v1/models", None),
        ("POST", "/v1/chat/completions", {"model": "x", "messages": [{"role": "user", "content": "hi"}]}),
        ("GET", "/v1/vector_stores", None),
        ("POST", f"/v1/vector_stores/{shop['store']}/search", {"query": "退货"}),
        ("GET", "/v1/assistants", None),
        ("GET", f"/v1/assistants/{shop['id']}/handoffs", None),
        ("POST", "/v1/apps/search", {"input": {"question": "hours", "knowledge_bases": [shop["store"]]}}),
        ("GET", "/v1/jobs", None),
    ):
        refused = _call(auth_server, widget, method, path, json=body)
        assert refused.status_code == 403 and "widget" in refused.json()["error"]["message"], (path, refused.text)

    for origin in ("https://evil.example", None):  # another site, or no page at all
        refused = _chat(auth_server, shop, "What time do you open on Saturdays?", origin=origin)
        assert refused.status_code == 403 and refused.json()["error"]["param"] == "origin", refused.text
        assert "access-control-allow-origin" not in refused.headers
    preflight = {"Origin": SHOP, "Access-Control-Request-Method": "POST"}
    allowed = _call(auth_server, None, "OPTIONS", f"/v1/assistants/{shop['id']}/chat", headers=preflight)
    assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == SHOP
    evil = {**preflight, "Origin": "https://evil.example"}
    refused = _call(auth_server, None, "OPTIONS", f"/v1/assistants/{shop['id']}/chat", headers=evil)
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers

    other = _call(
        auth_server, keys["owner"], "POST", "/v1/assistants", json={"name": "B", "knowledge_bases": [shop["store"]]}
    ).json()
    foreign = _call(
        auth_server,
        widget,
        "POST",
        f"/v1/assistants/{other['id']}/chat",
        json={"message": "hi"},
        headers={"Origin": SHOP},
    )
    assert foreign.status_code == 404  # a widget key knows no other assistant
    assert httpx.get(auth_server.base_url + "/health").status_code == 200


def test_the_widget_key_is_rate_limited(auth_server, keys, shop):
    made = _call(
        auth_server,
        keys["owner"],
        "POST",
        "/v1/assistants",
        json={
            "name": "Limited",
            "knowledge_bases": [shop["store"]],
            "allowed_origins": [SHOP],
            "requests_per_minute": 2,
        },
    ).json()
    limited = {**shop, "id": made["id"], "widget_key": made["widget_key"]}
    statuses = [_chat(auth_server, limited, "What is the capital of France?").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    again = _chat(auth_server, limited, "What is the capital of France?")
    assert again.status_code == 429 and int(again.headers["retry-after"]) >= 1
    # the shop's page may read the refusal (CORS), so the widget can say "too many requests"
    assert again.headers["access-control-allow-origin"] == SHOP and again.json()["error"]["type"], again.text
    foreign = _chat(auth_server, limited, "What is the capital of France?", origin="https://evil.example")
    assert foreign.status_code in (403, 429) and "access-control-allow-origin" not in foreign.headers
    bad_key = _chat(auth_server, {**limited, "widget_key": "zw-not-a-key"}, "hello")
    assert bad_key.status_code == 401 and bad_key.headers["access-control-allow-origin"] == SHOP
    assert _chat(auth_server, shop, "What is the capital of France?").status_code == 200  # other widgets unaffected


def test_search_and_customer_service_apps_answer_with_sources(auth_server, keys, shop):
    found = _call(
        auth_server,
        keys["owner"],
        "POST",
        "/v1/apps/search",
        json={
            "input": {"question": "How long is the guarantee on the electronics?", "knowledge_bases": [shop["store"]]}
        },
    )
    assert found.status_code == 200, found.text
    result = found.json()["result"]
    assert not result["refused"] and any(
        s["filename"] == "hours.pdf" and s["page"] == 2 and "warranty" in s["quote"] for s in result["sources"]
    ), result
    away = _call(
        auth_server,
        keys["owner"],
        "POST",
        "/v1/apps/search",
        json={"input": {"question": "Who won the 2018 World Cup?", "knowledge_bases": [shop["store"]]}},
    ).json()["result"]
    assert away["refused"] and away["sources"] == []

    made = _call(
        auth_server,
        keys["owner"],
        "POST",
        "/v1/apps/customer-service",
        json={"input": {"knowledge_bases": [shop["store"]], "name": "AirCup", "message": "你们卖手机吗"}},
    )
    assert made.status_code == 200, made.text
    out = made.json()["result"]
    assert out["assistant_id"].startswith("asst") and out["widget_key"].startswith("zw-")
    assert out["reply"]["handed_off"] and "转接人工客服" in out["reply"]["message"]
    empty = _call(auth_server, keys["owner"], "POST", "/v1/apps/customer-service", json={"input": {"message": "hi"}})
    assert empty.status_code == 400 and "knowledge_bases" in empty.json()["error"]["message"], empty.text
    bad = _call(
        auth_server, keys["owner"], "POST", "/v1/assistants", json={"name": "x", "knowledge_bases": ["vs_nope"]}
    )
    assert bad.status_code == 404 and bad.json()["error"]["param"] == "vector_store_id"


def test_markers_must_name_a_given_source_and_unsupported_replies_are_refused():
    from zaowu.studio.knowledge.assistants import check_markers
    from zaowu.studio.knowledge.store import Hit

    def hit(text: str) -> Hit:
        return Hit(1, "vs", "f", "a.md", 1.0, text, None, None, [], 0, len(text), {})

    sources = [hit("Weekends 10:00 to 18:00."), hit("Hotline 400-800-1234.")]
    text, used, ok = check_markers("We open weekends at 10:00 [2] [7].", sources)
    assert text == "We open weekends at 10:00 [2]." and used == [2] and not ok  # [7] named no source; [2] says else
    text, used, ok = check_markers("Call the hotline 400-800-1234.", sources)
    assert used == [2] and ok and text.endswith("[2]")  # the source it rests on is cited
    assert check_markers("Bananas are yellow.", sources) == ("Bananas are yellow.", [], False)


def test_a_widget_scope_cannot_be_mixed_with_others(tmp_path):
    from zaowu.errors import InvalidRequest
    from zaowu.settings import Settings
    from zaowu.studio.engine import Studio

    with Studio(Settings(data_dir=tmp_path)) as studio, pytest.raises(InvalidRequest, match="widget"):
        studio.keys.create("mixed", ["assistant", "text"])


def test_a_looping_reply_keeps_each_sentence_once():
    from zaowu.studio.knowledge.assistants import without_repeats

    looped = "We open at 10:00 [1]. We open at 10:00 [1]. We open at 10:00 [1]. 周末营业。周末营业。"
    assert without_repeats(looped) == "We open at 10:00 [1]. 周末营业。"


def test_a_foreign_page_cannot_use_the_chat_even_where_keys_are_not_required(server):
    """With keys off, the local owner may chat without a key, but not from another site's page."""
    store = httpx.post(server.base_url + "/v1/vector_stores", json={"name": "empty"}).json()["id"]
    made = httpx.post(
        server.base_url + "/v1/assistants",
        json={"name": "Open", "knowledge_bases": [store], "allowed_origins": [SHOP]},
    ).json()
    url = f"{server.base_url}/v1/assistants/{made['id']}/chat"
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"},
    ):
        refused = httpx.post(url, content=b'{"message": "hello"}', headers=headers, timeout=60)
        assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers, refused.text
    assert httpx.get(f"{server.base_url}/v1/assistants/{made['id']}/handoffs").json()["data"] == []  # nothing ran
    own = httpx.post(url, json={"message": "What is the capital of France?"}, timeout=60)  # the owner, no page
    assert own.status_code == 200 and own.json()["handed_off"]


def test_a_reply_of_bare_markers_or_in_the_other_language_quotes_the_best_source():
    """The assistant's reply is checked like a knowledge answer: "[1]" alone (a small model sampling cold) or a
    reply in the other language is replaced by the best source's sentence nearest the message, cited; a reply
    that shares no word with its sources is handed off."""
    from zaowu.studio.knowledge.assistants import checked_reply
    from zaowu.studio.knowledge.store import Hit

    text = "Monday to Friday 9:00 to 21:00. Weekends 10:00 to 18:00. 周末10点到18点营业。"
    hours = [Hit(1, "vs", "f", "hours.pdf", 1.0, text, 1, None, [], 0, len(text), {})]
    reply, citations, handoff = checked_reply("[1]", hours, "When do you open at weekends?", "en")
    assert reply == "Our documents say: Weekends 10:00 to 18:00. [1]" and handoff is None
    assert [c["filename"] for c in citations] == ["hours.pdf"]
    reply, _, handoff = checked_reply("We open at 10:00.", hours, "周末几点开门", "zh")
    assert reply == "根据资料：周末10点到18点营业。 [1]" and handoff is None
    assert checked_reply("Bananas are yellow [1].", hours, "When do you open?", "en")[2] == "unsupported"
    reply, citations, handoff = checked_reply("We open at 10:00 on weekends [1].", hours, "When?", "en")
    assert reply == "We open at 10:00 on weekends [1]." and handoff is None and len(citations) == 1
