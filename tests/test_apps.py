"""Apps end to end with a real small model (SmolLM2-135M): copywriter, business plan,
office documents and store kit, through Python, HTTP and the CLI; files reopened with
their libraries and converted to PDF by LibreOffice; bad input → 400 naming the field."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from html.parser import HTMLParser

import httpx
import pytest

from zaowu.apps.base import run_app
from zaowu.errors import InvalidRequest, NotFound
from zaowu.studio import office
from zaowu.studio.workflows import get_run

from .conftest import TEST_THREADS
from .helpers import unlabelled_text, wait_jobs

pytestmark = pytest.mark.slow


def test_copywriter_keeps_each_channels_rules(studio):
    for channel, facts, limits in (
        ("weibo", "手工炒制的高山绿茶，250g 罐装，回甘明显", (0, 140, 1, 3)),
        ("taobao_title", "手工炒制的高山绿茶，250g 罐装，回甘明显", (30, 0, 0, 0)),
        ("instagram", "Small-batch coffee roasted every Monday, beans from two farms in Yunnan", (0, 400, 3, 10)),
    ):
        run = run_app(
            studio,
            "copywriter",
            {
                "product": "山野茶舍" if "绿茶" in facts else "Driftwood Coffee",
                "facts": facts,
                "channel": channel,
                "variants": 2,
            },
            seed=4,
        )
        result = run.result
        assert result["language"] == ("zh" if "绿茶" in facts else "en")
        assert len(result["variants"]) == 2
        title_max, body_max, tags_min, tags_max = limits
        for v in result["variants"]:
            assert v["within_limits"], v
            assert len(v["title"] or "") <= title_max and len(v["body"] or "") <= body_max
            assert tags_min <= len(v["hashtags"]) <= tags_max
            assert (v["title"] or v["body"]).strip()
        assert json.loads(studio.artifacts.read(result["file"]["id"]))["variants"]
        recorded = get_run(studio, run.run_id)
        assert recorded.app == "copywriter" and recorded.inputs["input"]["channel"] == channel
        assert recorded.generation_ids == run.generation_ids and len(run.generation_ids) >= 2  # one per variant
        assert all(studio.log.get(g)["status"] == "ok" for g in run.generation_ids)
        assert {"count.variants", "distinct.variants", "claims"} <= {c["name"] for c in result["checks"]}


def _pdf_ok(data: bytes, suffix: str) -> None:
    pdf = office.to_pdf(data, suffix)
    assert pdf.startswith(b"%PDF") and b"/Page" in pdf


def test_business_plan_table_xlsx_docx_pdf(studio):
    import docx
    import openpyxl

    # English: SmolLM2's tokenizer spends ~3 tokens per Chinese character (the default Qwen model ~1)
    run = run_app(
        studio, "business-plan", {"idea": "A mobile bike-repair van serving office parks", "budget": "$20,000"}, seed=2
    )
    r = run.result
    assert [row["part"] for row in r["table"]] == [
        "Name",
        "One-line pitch",
        "Target users and pain points",
        "Value proposition and channels",
        "Revenue and costs",
        "Key activities, resources, partners and validation",
        "First-year cost estimate",
        "Risks and mitigations",
    ]
    assert all(row["content"].strip() for row in r["table"])
    assert r["markdown"].count("\n|") >= 9 and r["currency"] == "$"
    assert r["total_cost"] == pytest.approx(sum(c["amount"] for c in r["costs"]))

    xlsx = studio.artifacts.read(r["xlsx"]["id"])
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    plan_sheet, costs = wb.worksheets
    assert plan_sheet.max_row == 9 and plan_sheet["A2"].value == "Name"
    last = costs.max_row
    assert costs.cell(last, 2).value == f"=SUM(B2:B{last - 1})"
    assert all(isinstance(costs.cell(i, 2).value, (int, float)) for i in range(2, last))
    assert costs._charts, "the cost sheet has a chart"

    document = docx.Document(io.BytesIO(studio.artifacts.read(r["docx"]["id"])))
    assert document.tables[0].rows[1].cells[0].text == "Name" and len(document.tables[0].rows) == 9
    _pdf_ok(xlsx, "xlsx")
    _pdf_ok(studio.artifacts.read(r["docx"]["id"]), "docx")


@pytest.mark.parametrize(
    "fmt,instruction",
    [
        ("xlsx", "做一个小咖啡店 1-3 月的收入和成本表，按月列出收入、成本，并画收入柱状图"),
        ("docx", "Write a one-page memo announcing new opening hours for our bakery"),
        ("pptx", "A 3-slide deck introducing our loyalty program to store staff"),
    ],
)
def test_office_documents_open_and_convert(studio, fmt, instruction):
    run = run_app(studio, "office-docs", {"instruction": instruction, "format": fmt, "pdf": True}, seed=6)
    r = run.result
    data = studio.artifacts.read(r["file"]["id"])
    assert r["file"]["name"].endswith(f".{fmt}")
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data))
        assert wb.worksheets and wb.worksheets[0].max_row >= 2
        assert next(c.value for c in wb.worksheets[0][1]) == r["plan"]["sheets"][0]["columns"][0]["header"]
    elif fmt == "docx":
        import docx

        document = docx.Document(io.BytesIO(data))
        assert any(p.style.name == "Title" for p in document.paragraphs)
        assert any(p.style.name.startswith("Heading") for p in document.paragraphs)
    else:
        import pptx

        deck = pptx.Presentation(io.BytesIO(data))
        assert len(deck.slides) == len(r["plan"]["slides"]) + 1  # the title slide first
        assert deck.slides[0].slide_layout.name == "Title Slide"
    pdf = studio.artifacts.read(r["pdf"]["id"])
    assert pdf.startswith(b"%PDF") and b"/Page" in pdf


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.links.append(value)


def test_store_kit_builds_a_complete_storefront(studio):
    run = run_app(
        studio,
        "store-kit",
        {"idea": "An online shop for hand-poured soy candles with calm scents", "products": 2},
        seed=3,
    )
    r = run.result
    assert len(r["candidates"]) == 3 and r["name"] and len(r["products"]) == 2
    assert r["logo"]["mime"] == "image/png" and all(p["card"]["mime"] == "image/png" for p in r["products"])
    with zipfile.ZipFile(io.BytesIO(studio.artifacts.read(r["site_zip"]["id"]))) as zf:
        names = set(zf.namelist())
        html = zf.read("storefront/index.html").decode()
        parser = _Links()
        parser.feed(html)
        assert {"html", "head", "body", "main", "article"} <= set(parser.tags)
        assert parser.links, "the page links its stylesheet and images"
        for link in parser.links:
            assert f"storefront/{link}" in names, link
            assert zf.read(f"storefront/{link}")
        assert zf.read("storefront/assets/logo.png").startswith(b"\x89PNG")
    for p in r["products"]:
        assert p["title"] in html or p["name"] in html
    assert "AI" in html  # labelled as AI-generated
    preview = studio.artifacts.read(r["preview"]["id"]).decode()
    assert "data:image/png;base64," in preview and 'href="style.css"' not in preview
    steps = get_run(studio, run.run_id).steps
    assert [steps[n]["status"] for n in ("plan", "logo", "cards", "copy", "site")] == ["done"] * 5
    assert len(run.generation_ids) >= 5  # brand, logo spec + render, cards, copy
    assert {"brand.claims", "copy.count.products", "copy.facts.numbers"} <= {c["name"] for c in r["checks"]}


def test_app_errors_name_the_field(bare_studio):
    studio = bare_studio  # the input is refused before any model is asked for
    with pytest.raises(InvalidRequest) as e:
        run_app(studio, "copywriter", {"facts": "x"})
    assert e.value.param == "input.product"
    with pytest.raises(InvalidRequest) as e:
        run_app(studio, "copywriter", {"product": "p", "facts": "x", "variants": "many"})
    assert e.value.param == "input.variants"
    with pytest.raises(InvalidRequest) as e:
        run_app(studio, "copywriter", {"product": "p", "facts": "x", "channel": "fax"})
    assert e.value.param == "input.channel"
    with pytest.raises(NotFound):
        run_app(studio, "no-such-app", {})


# ---------------------------------------------------------------- HTTP


def test_templates_over_http(server):
    base = server.base_url
    listing = httpx.get(f"{base}/v1/templates").json()
    assert len(listing["data"]) >= 30 and not listing["problems"]
    one = httpx.get(f"{base}/v1/templates/slogans").json()
    assert one["input_schema"]["properties"]["tone"]["enum"] and one["output_schema"]["type"] == "object"
    assert httpx.get(f"{base}/v1/templates?category=business").json()["data"]
    body = {"variables": {"brand": "Driftwood Coffee", "selling_points": "Small-batch roasts", "count": 2}, "seed": 1}
    done = httpx.post(f"{base}/v1/templates/slogans/run", json=body, timeout=300).json()
    assert done["language"] == "en" and len(done["output"]["slogans"]) == 2 and done["generation_id"]
    assert {"count.slogans", "distinct.slogans", "claims"} <= {c["name"] for c in done["checks"]}
    events = []
    with httpx.stream(
        "POST",
        f"{base}/v1/templates/weekly-report/run",
        timeout=300,
        json={"variables": {"role": "运营", "notes": "上架 12 款新品"}, "stream": True, "max_tokens": 60},
    ) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data: "):
                events.append(line[6:])
    assert events[-1] == "[DONE]"
    parsed = [json.loads(e) for e in events[:-1]]
    assert parsed[0]["language"] == "zh" and any("delta" in p for p in parsed) and parsed[-1]["done"]
    assert {"language.output", "claims"} <= {c["name"] for c in parsed[-1]["checks"]} and "text" in parsed[-1]
    for path, body, status, param in (
        ("slogans/run", {"variables": {"selling_points": "x"}}, 400, "variables.brand"),
        ("slogans/run", {"variables": {"brand": "b", "selling_points": "x", "count": "two"}}, 400, "variables.count"),
        ("slogans/run", {"variables": {"brand": "b", "selling_points": "x"}, "colour": 1}, 400, "colour"),
        ("nope/run", {"variables": {}}, 404, "template"),
    ):
        r = httpx.post(f"{base}/v1/templates/{path}", json=body)
        assert r.status_code == status and r.json()["error"]["param"] == param, r.text


def test_apps_over_http_as_jobs_with_step_progress(server):
    base = server.base_url
    apps = {a["id"]: a for a in httpx.get(f"{base}/v1/apps").json()["data"]}
    assert {"copywriter", "business-plan", "office-docs", "store-kit"} <= set(apps)
    assert "product" in apps["copywriter"]["input_schema"]["required"]
    assert apps["office-docs"]["input_schema"]["properties"]["format"]["enum"] == ["xlsx", "docx", "pptx"]

    body = {
        "input": {
            "product": "Driftwood Coffee",
            "facts": "Small-batch roasts every Monday",
            "channel": "x",
            "variants": 2,
        },
        "async": True,
        "seed": 9,
    }
    job = httpx.post(f"{base}/v1/apps/copywriter", json=body).json()
    (done,) = wait_jobs(base, [job["id"]], timeout=300)
    assert done["state"] == "succeeded", done
    result = done["result"]
    assert result["app"] == "copywriter" and len(result["result"]["variants"]) == 2
    assert all(v["within_limits"] for v in result["result"]["variants"])
    assert result["result"]["checks"] and all({"name", "ok", "detail"} == set(c) for c in result["result"]["checks"])
    art = result["artifacts"][0]
    assert httpx.get(f"{base}{art['url']}").status_code == 200
    events = httpx.get(f"{base}/v1/jobs/{job['id']}/events", timeout=30).text
    assert "write: starting" in events and "save: starting" in events
    run = httpx.get(f"{base}/v1/workflows/runs/{result['run_id']}").json()
    assert run["status"] == "succeeded" and run["steps"]["write"]["generation_ids"]

    for app_id, body, status, param in (
        ("copywriter", {"input": {"facts": "x"}}, 400, "input.product"),
        ("copywriter", {"input": {"product": "p", "facts": "x", "variants": 9}, "async": True}, 400, "input.variants"),
        ("office-docs", {"input": {"instruction": "a table", "format": "odt"}}, 400, "input.format"),
        ("nope", {"input": {}}, 404, "app"),
    ):
        r = httpx.post(f"{base}/v1/apps/{app_id}", json=body)
        assert r.status_code == status and r.json()["error"]["param"] == param, r.text
    assert httpx.get(f"{base}/health").status_code == 200  # still serving


def test_workflows_over_http(server):
    base = server.base_url
    flow = {
        "id": "two-step",
        "inputs": {"topic": {"type": "string", "maxLength": 80}},
        "nodes": {
            "say": {"step": "text.chat", "with": {"prompt": "One word about ${inputs.topic}", "max_tokens": 8}},
            "save": {"step": "file.text", "with": {"text": "${say.text}", "name": "word.txt"}},
        },
        "outputs": {"word": "${say.text}", "file": "${save.file}"},
    }
    run = httpx.post(
        f"{base}/v1/workflows/run", json={"workflow": flow, "inputs": {"topic": "tea"}, "seed": 1}, timeout=120
    ).json()
    assert run["status"] == "succeeded" and run["outputs"]["word"]
    assert (
        unlabelled_text(httpx.get(f"{base}/v1/artifacts/{run['outputs']['file']['id']}").text) == run["outputs"]["word"]
    )
    bad = {
        **flow,
        "nodes": {**flow["nodes"], "save": {"step": "file.text", "with": {"text": "${say.words}", "name": "w.txt"}}},
    }
    r = httpx.post(f"{base}/v1/workflows/run", json={"workflow": bad, "inputs": {"topic": "tea"}})
    assert r.status_code == 400 and r.json()["error"]["param"] == "nodes.save.with.text"
    r = httpx.post(f"{base}/v1/workflows/run", json={"workflow": flow, "inputs": {}})
    assert r.status_code == 400 and r.json()["error"]["param"] == "inputs.topic"
    steps = {s["id"] for s in httpx.get(f"{base}/v1/workflows/steps").json()["data"]}
    assert {"text.template", "text.structured", "image.design", "office.render", "storekit.site"} <= steps


# ---------------------------------------------------------------- CLI


def _zaowu(settings, *args: str) -> subprocess.CompletedProcess:
    env_args = ["--data-dir", str(settings.data_dir), "--models-dir", str(settings.models_dir)]
    return subprocess.run(
        [sys.executable, "-m", "zaowu.cli.main", *env_args, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={
            "ZAOWU_DEFAULT_CHAT_MODEL": settings.default_chat_model,
            "PATH": "/usr/bin:/bin",
            "HOME": str(settings.data_dir),
            **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},
            **({"ZAOWU_N_THREADS": str(TEST_THREADS)} if TEST_THREADS else {}),
        },
    )


def test_cli_templates_and_apps(settings, tmp_path):
    listing = _zaowu(settings, "templates", "list")
    assert listing.returncode == 0 and len(listing.stdout.splitlines()) >= 30
    run = _zaowu(settings, "templates", "run", "slogans", "--example", "1", "--seed", "3")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["slogans"] and "check ok   count.slogans" in run.stderr
    missing = _zaowu(settings, "templates", "run", "slogans", "-v", "brand=x")
    assert missing.returncode == 1 and "selling_points" in missing.stderr
    out = tmp_path / "copy"
    app = _zaowu(
        settings,
        "app",
        "copywriter",
        "--product",
        "山野茶舍",
        "--facts",
        "高山绿茶，手工炒制",
        "--channel",
        "weibo",
        "--variants",
        "1",
        "--seed",
        "2",
        "-o",
        str(out),
    )
    assert app.returncode == 0, app.stderr
    assert app.stdout.startswith("# 微博") and "write: starting" in app.stderr
    assert "count.variants: 1 of 1 variants" in app.stderr and "claims" in app.stderr
    assert (out / "copy.json").exists()
    bad = _zaowu(settings, "app", "copywriter", "--product", "p", "--facts", "f", "--channel", "fax")
    assert bad.returncode == 2 and "fax" in bad.stderr
