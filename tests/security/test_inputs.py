"""Hostile inputs against a real ``zaowu serve`` (issue 12, items 3, 9 and 10): each attack is
reproduced and must cost its sender a 400 naming the field, while the server keeps serving
and what it stores stays small and sane.

- YAML workflows: an alias bomb, anchors, deep nesting, oversized documents, too many nodes;
  references that multiply a value past what a run may store.
- Inputs that used to give a 500: lone surrogates, decompression-bomb and 65000x16 images,
  a malformed Last-Event-ID.
- Smaller: spreadsheet formula injection, control characters in key names, absurd
  max_tokens, megabyte-sized rejected inputs in the generation log.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib

import httpx
import pytest
import sqlalchemy as sa

from zaowu.api.errors import ErrorResponse
from zaowu.backends.image_io import MAX_ASPECT_RATIO
from zaowu.studio.genlog import MAX_LOGGED_JSON_BYTES
from zaowu.studio.workflows import MAX_RUN_BYTES, MAX_WORKFLOW_BYTES, MAX_WORKFLOW_NODES

from ..helpers import unlabelled_text
from .keyed import keyed_server  # noqa: F401 - the module's server fixture, "keyed"

TIMEOUT = 120


# ---------------------------------------------------------------- helpers


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return kb * 1024


def db_bytes(keyed) -> int:
    """The database's size on disk: the SQLite file and its write-ahead log, or PostgreSQL's database."""
    if keyed.server.database_url:
        return int(db_scalar(keyed, "SELECT pg_database_size(current_database())"))
    folder = keyed.server.data_dir
    return sum(p.stat().st_size for p in folder.glob("zaowu.db*") if p.is_file())


def db_scalar(keyed, sql: str, **params) -> object:
    """One value from the server's own database (SQLite or PostgreSQL)."""
    engine = sa.create_engine(keyed.server.settings().db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def error_of(response: httpx.Response) -> dict:
    assert response.headers["content-type"].startswith("application/json"), response.text[:300]
    return response.json()["error"]


def assert_400(response: httpx.Response, param: str, *words: str) -> dict:
    assert response.status_code == 400, response.text[:500]
    err = error_of(response)
    assert err["param"] == param, err
    for word in words:
        assert word.lower() in err["message"].lower(), err["message"]
    return err


def still_serving(keyed) -> None:
    """/health answers and a small workflow (no model needed) runs to the end."""
    assert httpx.get(f"{keyed.base}/health", timeout=30).status_code == 200
    run = post_workflow(keyed, PLAIN_WORKFLOW)
    assert run.status_code == 200, run.text[:500]
    body = run.json()
    assert body["status"] == "succeeded"
    file = httpx.get(f"{keyed.base}/v1/artifacts/{body['outputs']['file']['id']}", headers=keyed.headers(), timeout=30)
    assert unlabelled_text(file.text) == "hello"


def post_workflow(keyed, workflow, inputs=None) -> httpx.Response:
    return httpx.post(
        f"{keyed.base}/v1/workflows/run",
        headers=keyed.headers(),
        timeout=TIMEOUT,
        json={"workflow": workflow, "inputs": inputs or {}},
    )


def post_raw(keyed, path: str, body: bytes) -> httpx.Response:
    """A JSON body sent byte for byte (httpx's own encoder refuses lone surrogates)."""
    headers = {**keyed.headers(), "Content-Type": "application/json"}
    return httpx.post(f"{keyed.base}{path}", content=body, headers=headers, timeout=TIMEOUT)


PLAIN_WORKFLOW = """\
id: plain
nodes:
  save: {step: file.text, with: {text: hello, name: hello.txt}}
outputs:
  file: ${save.file}
"""

# 9 levels of 9 references: 9**9 = 387 million strings from about 600 bytes. PyYAML shares the
# aliased lists, so the cost came later, when the workflow was validated, stored and returned.
ALIAS_BOMB = """\
id: bomb
nodes:
  save: {step: file.text, with: {text: hi, name: hi.txt}}
outputs:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


# ---------------------------------------------------------------- item 3: YAML workflows


def test_yaml_alias_bomb_is_refused_without_cost(keyed):
    still_serving(keyed)  # warm: imports, first queries and the artifact store are done before measuring
    rss, size = rss_bytes(keyed.server.proc.pid), db_bytes(keyed)
    r = post_workflow(keyed, ALIAS_BOMB)
    assert_400(r, "workflow", "anchor or alias", "line 5")
    grown = rss_bytes(keyed.server.proc.pid) - rss
    assert grown < 40 << 20, f"the server grew by {grown >> 20} MiB"
    assert db_bytes(keyed) - size < 1 << 20, "the refused workflow was stored"
    runs = httpx.get(f"{keyed.base}/v1/workflows/runs", headers=keyed.headers(), timeout=30).json()["data"]
    assert "bomb" not in {run["workflow"] for run in runs}
    still_serving(keyed)


ONE_NODE = "nodes: {save: {step: file.text, with: {text: hi, name: a.txt}}}\n"
DEEP = "id: deep\n" + ONE_NODE + "outputs: {x: " + "[" * 5000 + "]" * 5000 + "}\n"
WIDE = "id: wide\n" + ONE_NODE + "outputs: {x: [" + "1," * 12000 + "1]}\n"
MANY_NODES = "id: many\nnodes:\n" + "".join(
    f"  n{i}: {{step: file.text, with: {{text: hi, name: a.txt}}}}\n" for i in range(MAX_WORKFLOW_NODES + 1)
)
HUGE = PLAIN_WORKFLOW + "title: " + "x" * MAX_WORKFLOW_BYTES + "\n"


@pytest.mark.parametrize(
    "name,document,param,words",
    [
        (
            "one anchor",
            "id: a\nnodes: {save: {step: file.text, with: {text: &t hi, name: a.txt}}}\n",
            "workflow",
            ["anchor or alias"],
        ),
        (
            "merge key",
            "id: m\nbase: &b {text: hi}\nnodes: {save: {step: file.text, with: {<<: *b, name: a.txt}}}\n",
            "workflow",
            ["anchor or alias"],
        ),
        ("deep nesting", DEEP, "workflow", ["deep"]),
        ("too many values", WIDE, "workflow", ["values"]),
        ("too many nodes", MANY_NODES, "workflow.nodes", [f"at most {MAX_WORKFLOW_NODES}"]),
        ("too large", HUGE, "workflow", [f"at most {MAX_WORKFLOW_BYTES} bytes"]),
        ("python tag", "id: t\nnodes: !!python/object/apply:os.system [id]\n", "workflow", ["not valid YAML"]),
    ],
)
def test_hostile_yaml_documents_are_400s_naming_workflow(keyed, name, document, param, words):
    assert_400(post_workflow(keyed, document), param, *words)


def test_workflow_objects_are_bounded_like_yaml(keyed):
    deep: dict = {"x": 1}
    for _ in range(100):
        deep = {"x": deep}
    flow = {
        "id": "deep",
        "nodes": {"save": {"step": "file.text", "with": {"text": "hi", "name": "a.txt"}}},
        "outputs": {"o": deep},
    }
    assert_400(post_workflow(keyed, flow), "workflow", "deep")
    many = {
        "id": "many",
        "nodes": {
            f"n{i}": {"step": "file.text", "with": {"text": "hi", "name": "a.txt"}}
            for i in range(MAX_WORKFLOW_NODES + 1)
        },
    }
    assert_400(post_workflow(keyed, many), "workflow.nodes", "split")


AMPLIFIER = {
    "id": "amplify",
    "inputs": {"s": {"type": "string"}},
    "nodes": {"save": {"step": "file.text", "with": {"text": "${inputs.s}", "name": "s.txt"}}},
    "outputs": {"file": "${save.file}"},
}
PIECE = 150_000  # characters in the input: references repeat it past MAX_RUN_BYTES
REPEAT = MAX_RUN_BYTES // PIECE + 2


def _runs(keyed) -> list[dict]:
    return httpx.get(f"{keyed.base}/v1/workflows/runs", headers=keyed.headers(), timeout=30).json()["data"]


def _stored_bytes(keyed, workflow: str) -> int:
    """What the database holds for a workflow's runs: spec, inputs, steps, outputs and error."""
    return int(
        db_scalar(
            keyed,
            "SELECT coalesce(sum(length(CAST(spec AS TEXT)) + length(CAST(inputs AS TEXT))"
            " + length(CAST(steps AS TEXT)) + coalesce(length(CAST(outputs AS TEXT)), 0)"
            " + coalesce(length(error), 0)), 0) FROM workflow_runs WHERE workflow = :workflow",
            workflow=workflow,
        )
    )


def test_references_cannot_multiply_a_value_past_the_run_budget(keyed):
    piece = "a" * PIECE
    # the run's outputs repeat the input: refused, and the run is recorded as failed with no outputs
    flow = {**AMPLIFIER, "id": "amplify-outputs", "outputs": {"big": "${inputs.s}" * REPEAT}}
    assert_400(post_workflow(keyed, flow, {"s": piece}), "outputs.big", f"{MAX_RUN_BYTES >> 20} MiB")
    run = next(r for r in _runs(keyed) if r["workflow"] == "amplify-outputs")
    assert run["status"] == "failed" and run["outputs"] is None and "MiB" in run["error"]
    # a step's input repeats it: that step fails before it runs (no artifact), naming the node
    flow = {
        **AMPLIFIER,
        "id": "amplify-step",
        "nodes": {"save": {"step": "file.text", "with": {"text": "${inputs.s}" * REPEAT, "name": "s.txt"}}},
    }
    r = post_workflow(keyed, flow, {"s": piece})
    assert_400(r, "nodes.save.with", "4 MiB")
    run = next(r for r in _runs(keyed) if r["workflow"] == "amplify-step")
    assert run["status"] == "failed" and run["failed_step"] == "save" and not run["steps"]["save"].get("artifacts")
    # what was stored: each run's input (150 kB), not megabytes of repeats
    for workflow in ("amplify-outputs", "amplify-step"):
        assert _stored_bytes(keyed, workflow) < PIECE + 20_000, workflow
    # the same workflow with a reasonable input works
    ok = post_workflow(keyed, AMPLIFIER, {"s": "hello"})
    assert ok.status_code == 200 and ok.json()["status"] == "succeeded", ok.text[:300]


def test_shipped_templates_still_load(keyed):
    listing = httpx.get(f"{keyed.base}/v1/templates", headers=keyed.headers(), timeout=30).json()
    assert listing["problems"] == [] and len(listing["data"]) >= 30


# ---------------------------------------------------------------- item 9: lone surrogates


CHAT = "/v1/chat/completions"


@pytest.mark.parametrize(
    "path,body,param",
    [
        (CHAT, rb'{"model": "\ud800", "messages": [{"role": "user", "content": "hi"}]}', "model"),
        (
            CHAT,
            rb'{"messages": [{"role": "user", "content": "caf\u00e9 \udfff!"}], "max_tokens": 1}',
            "messages.0.content",
        ),
        (CHAT, rb'{"messages": [{"role": "user", "content": "hi"}], "user": "\uDBFF"}', "user"),
        ("/v1/completions", rb'{"prompt": ["ok", "\ud83d"], "max_tokens": 1}', "prompt.1"),
        ("/v1/images/generations", rb'{"prompt": "poster \ud800", "model": "design"}', "prompt"),
        (
            "/v1/workflows/run",
            rb'{"workflow": {"id": "x", "nodes": {"\udc00": {"step": "file.text"}}}}',
            "workflow.nodes.\\udc00",
        ),
    ],
)
def test_lone_surrogates_are_400s_naming_the_field(keyed, path, body, param):
    r = post_raw(keyed, path, body)
    assert_400(r, param, "lone UTF-16 surrogate", "UTF-8")
    assert httpx.get(f"{keyed.base}/health").status_code == 200


def test_surrogate_pairs_are_ordinary_text(keyed):
    # an emoji escaped as a surrogate pair (as json.dumps writes it) is valid and answered
    r = post_raw(keyed, CHAT, rb'{"messages": [{"role": "user", "content": "Say \ud83d\ude00"}], "max_tokens": 2}')
    assert r.status_code == 200, r.text[:300]
    assert r.json()["choices"][0]["message"]["content"] is not None


def test_error_bodies_render_whatever_the_message_holds():
    body = {"error": {"message": "bad \ud800 value", "param": "x\udfff", "code": float("nan"), "type": object()}}
    rendered = json.loads(ErrorResponse(body, status_code=400).body)
    assert rendered["error"]["message"] == "bad \\ud800 value" and rendered["error"]["param"] == "x\\udfff"
    assert rendered["error"]["code"] is None and rendered["error"]["type"].startswith("<object")


# ---------------------------------------------------------------- item 9: hostile images


def _png(width: int, height: int, *, pixels: bool = True) -> bytes:
    """A greyscale PNG of zeros, compressed (a 225-megapixel one is about 220 kB); or only its header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    data = b""
    if pixels:
        packer, row = zlib.compressobj(9), b"\x00" * (width + 1)
        data = chunk(b"IDAT", b"".join(packer.compress(row) for _ in range(height)) + packer.flush())
    return b"\x89PNG\r\n\x1a\n" + header + data + chunk(b"IEND", b"")


def _upload(keyed, path: str, files: dict[str, bytes], **form: str) -> httpx.Response:
    parts = {name: (f"{name}.png", data, "image/png") for name, data in files.items()}
    return httpx.post(f"{keyed.base}{path}", headers=keyed.headers(), files=parts, data=form, timeout=TIMEOUT)


def _photo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (235, 235, 235))
    ImageDraw.Draw(image).ellipse((100, 60, 220, 180), fill=(200, 40, 40))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


BOMB = _png(15000, 15000)  # 225 megapixels of zeros in about 220 kB
THIN = _png(65000, 16)


@pytest.mark.parametrize(
    "path,field,data,words",
    [
        ("/v1/images/edits", "image", BOMB, ["megapixels"]),
        ("/v1/images/edits", "image", _png(100_000, 100_000, pixels=False), ["megapixels"]),
        ("/v1/images/edits", "mask", BOMB, ["megapixels"]),
        ("/v1/images/edits", "image", THIN, [f"{MAX_ASPECT_RATIO} times"]),
        ("/v1/images/cutout", "image", BOMB, ["megapixels"]),
        ("/v1/images/cutout", "image", THIN, [f"{MAX_ASPECT_RATIO} times"]),
        ("/v1/images/cutout", "image", _png(16, 65000), [f"{MAX_ASPECT_RATIO} times"]),
    ],
)
def test_hostile_images_are_400s_naming_the_field(keyed, path, field, data, words):
    files = {"image": _photo(), field: data} if path.endswith("edits") else {field: data}
    form = {"prompt": "a product card", "model": "design"} if path.endswith("edits") else {}
    _upload(keyed, path, {**files, field: b"not an image"}, **form)  # warm: the decoders are imported
    rss = rss_bytes(keyed.server.proc.pid)
    assert_400(_upload(keyed, path, files, **form), field, *words)
    grown = rss_bytes(keyed.server.proc.pid) - rss
    assert grown < 100 << 20, f"the server grew by {grown >> 20} MiB decoding a refused image"
    assert httpx.get(f"{keyed.base}/health").status_code == 200


def test_an_ordinary_photo_still_cuts_out(keyed):
    r = _upload(keyed, "/v1/images/cutout", {"image": _photo()}, response_format="b64_json")
    assert r.status_code == 200, r.text[:300]
    assert r.json()["size"] == [320, 240]


# ---------------------------------------------------------------- item 9: Last-Event-ID


def test_malformed_last_event_id_is_a_400_naming_it(keyed):
    body = {"prompt": "sale", "spec": {"kind": "logo", "headline": "Sale"}, "size": "logo", "seed": 1, "async": True}
    job = httpx.post(f"{keyed.base}/v1/images/generations", headers=keyed.headers(), json=body, timeout=60)
    assert job.status_code == 202, job.text[:300]
    url = f"{keyed.base}/v1/jobs/{job.json()['id']}/events"
    for bad in ("abc", "-1", "1.5", "99999999999999999999999", "٣"):
        r = httpx.get(url, headers={**keyed.headers(), "Last-Event-ID": bad.encode()}, timeout=30)
        assert_400(r, "Last-Event-ID", "whole number")
    with httpx.stream("GET", url, headers={**keyed.headers(), "Last-Event-ID": "0"}, timeout=TIMEOUT) as r:
        assert r.status_code == 200
        text = "".join(r.iter_text())
    assert "event: end" in text and "succeeded" in text
    first = int(text.split("id: ", 1)[1].split("\n", 1)[0])
    with httpx.stream("GET", url, headers={**keyed.headers(), "Last-Event-ID": str(first)}, timeout=TIMEOUT) as r:
        again = "".join(r.iter_text())
    assert f"id: {first}\n" not in again and "event: end" in again  # resumes after the event it names


# ---------------------------------------------------------------- item 10: formula injection


INJECTED = ['=HYPERLINK("http://evil.example","click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)"]


def test_spreadsheet_cells_from_a_plan_are_text_not_formulas(keyed):
    import openpyxl

    plan = {
        "title": "Injected",
        "sheets": [
            {
                "name": "Data",
                "columns": [
                    {"header": "=1+1", "type": "text", "total": "none"},
                    {"header": "Amount", "type": "number", "total": "sum"},
                ],
                "rows": [[cell, value] for cell, value in zip(INJECTED, ["=2*3", 2, "+4", "@5"])],
            }
        ],
    }
    flow = {
        "id": "sheet",
        "nodes": {"xlsx": {"step": "office.render", "with": {"format": "xlsx", "plan": plan}}},
        "outputs": {"file": "${xlsx.file}"},
    }
    r = post_workflow(keyed, flow)
    assert r.status_code == 200, r.text[:500]
    url = f"{keyed.base}/v1/artifacts/{r.json()['outputs']['file']['id']}"
    data = httpx.get(url, headers=keyed.headers(), timeout=30).content
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = {c.coordinate: c for row in sheet.iter_rows() for c in row if c.value is not None}
    assert cells["A1"].value == "=1+1" and cells["A1"].data_type == "s"
    for i, text in enumerate(INJECTED, start=2):
        assert cells[f"A{i}"].value == text and cells[f"A{i}"].data_type == "s"
        assert cells[f"A{i}"].quotePrefix  # shown as text, and kept as text when edited
    assert cells["B2"].value == "=2*3" and cells["B2"].data_type == "s"  # not a number: stays text
    assert cells["B3"].value == 2 and cells["B3"].data_type == "n"
    formulas = [c.coordinate for c in cells.values() if c.data_type == "f"]
    assert formulas == ["B6"] and cells["B6"].value == "=SUM(B2:B5)"  # only the plan's totals row


# ---------------------------------------------------------------- item 10: key names


@pytest.mark.parametrize("name", ["till\x00", "line\r\nSet-Cookie: x=1", "tab\there", "rtl\u202etxt.exe", "bell\x07"])
def test_control_characters_in_key_names_are_refused(keyed, name):
    admin = keyed.headers(keyed.admin)
    r = httpx.post(f"{keyed.base}/v1/keys", headers=admin, json={"name": name, "scopes": ["text"]}, timeout=30)
    assert_400(r, "name", "control characters", "U+")
    names = [k["name"] for k in httpx.get(f"{keyed.base}/v1/keys", headers=admin, timeout=30).json()["data"]]
    assert name not in names
    ok = httpx.post(f"{keyed.base}/v1/keys", headers=admin, json={"name": f"ok {len(names)} 店", "scopes": ["text"]})
    assert ok.status_code == 201, ok.text


# ---------------------------------------------------------------- item 10: max_tokens


def _chat(keyed, path: str = CHAT, **body) -> httpx.Response:
    base = {"messages": [{"role": "user", "content": "hi"}]} if path == CHAT else {"prompt": "hi"}
    return httpx.post(f"{keyed.base}{path}", headers=keyed.headers(), json={**base, **body}, timeout=TIMEOUT)


@pytest.mark.parametrize(
    "path,field,value,words",
    [
        (CHAT, "max_tokens", 2**70, ["less than or equal"]),
        (CHAT, "max_tokens", 2**20 + 1, ["less than or equal"]),
        (CHAT, "max_completion_tokens", 2**64, ["less than or equal"]),
        ("/v1/completions", "max_tokens", 2**63, ["less than or equal"]),
        (CHAT, "max_tokens", 4096, ["context of 2048 tokens", "at most 2048"]),
        ("/v1/completions", "max_tokens", 2**20, ["context of 2048 tokens"]),
    ],
)
def test_max_tokens_is_bounded_by_the_model_context(keyed, path, field, value, words):
    assert_400(_chat(keyed, path, **{field: value}), field if "context" not in words[0] else "max_tokens", *words)


def test_max_tokens_within_the_context_works_and_template_overrides_are_checked(keyed):
    r = _chat(keyed, max_tokens=16)
    assert r.status_code == 200, r.text[:300]
    r = httpx.post(
        f"{keyed.base}/v1/templates/slogans/run",
        headers=keyed.headers(),
        timeout=TIMEOUT,
        json={"variables": {"brand": "Bean There", "selling_points": "fresh"}, "max_tokens": 8192},
    )
    assert_400(r, "max_tokens", "context of 2048 tokens")


# ---------------------------------------------------------------- item 10: the generation log


def test_rejected_huge_inputs_are_logged_as_a_bounded_excerpt(keyed):
    big = "茶 tea " * 25_000  # 200 kB of JSON: far past the model's context
    r = _chat(keyed, messages=[{"role": "user", "content": big}], max_tokens=4)
    assert_400(r, "messages", "context")
    rows = httpx.get(f"{keyed.base}/v1/generations?limit=1", headers=keyed.headers(), timeout=30).json()["data"]
    logged = rows[0]["input"]
    whole = json.dumps({"messages": [{"role": "user", "content": big}]}, ensure_ascii=False).encode()
    assert logged["truncated"] is True and logged["size_bytes"] == len(whole)
    assert logged["sha256"] == hashlib.sha256(whole).hexdigest()
    assert len(logged["excerpt"].encode()) <= MAX_LOGGED_JSON_BYTES and whole.decode().startswith(logged["excerpt"])
    assert rows[0]["status"] == "error" and "context" in rows[0]["error"]
    stored = db_scalar(keyed, "SELECT length(CAST(input AS TEXT)) FROM generations WHERE id = :id", id=rows[0]["id"])
    assert stored < MAX_LOGGED_JSON_BYTES + 1024
    # a small input is logged as it was
    r = _chat(keyed, messages=[{"role": "user", "content": "Name a tea."}], max_tokens=2)
    assert r.status_code == 200
    row = httpx.get(f"{keyed.base}/v1/generations?limit=1", headers=keyed.headers(), timeout=30).json()["data"][0]
    assert row["input"] == {"messages": [{"role": "user", "content": "Name a tea."}]}
