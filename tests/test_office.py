"""Office renderers: plans → real XLSX/DOCX/PPTX reopened with their own libraries,
converted to PDF by LibreOffice headless, and bad plans rejected naming the field."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import pytest

from zaowu.errors import BackendError, InvalidRequest
from zaowu.studio.office import (
    DeckPlan,
    DocumentPlan,
    WorkbookPlan,
    render,
    render_docx,
    render_pptx,
    render_xlsx,
    to_pdf,
)

WORKBOOKS = {
    "en": {
        "title": "Q1 Sales Report",
        "sheets": [
            {
                "name": "Sales",
                "columns": [
                    {"header": "Month", "type": "text", "total": "none"},
                    {"header": "Revenue", "type": "currency", "total": "sum"},
                    {"header": "Orders", "type": "integer", "total": "sum"},
                    {"header": "Growth", "type": "percent", "total": "average"},
                    {"header": "Closed", "type": "date", "total": "none"},
                ],
                "rows": [
                    ["January", "$1,200", "35", "12.5%", "2026-01-31"],
                    ["February", 1500.5, 40, 0.08, "2026/02/28"],
                    ["March", "$1.8k", "52", "n/a", "2026-03-31"],
                ],
                "chart": {
                    "type": "line",
                    "title": "Revenue by month",
                    "category": "Month",
                    "values": ["Revenue", "Orders"],
                },
            }
        ],
    },
    "zh": {
        "title": "2026年第一季度销售报表",
        "sheets": [
            {
                "name": "销售/汇总",
                "columns": [
                    {"header": "月份", "type": "text", "total": "none"},
                    {"header": "销售额", "type": "currency", "total": "sum"},
                    {"header": "订单数", "type": "integer", "total": "sum"},
                    {"header": "增长率", "type": "percent", "total": "none"},
                    {"header": "备注说明", "type": "text", "total": "none"},
                ],
                "rows": [
                    ["一月", "¥1,200", "35", "12.5%", "春节前备货"],
                    ["二月", "1.5万", 40, 8, "春节假期门店营业时间缩短，线上订单增长明显"],
                    ["三月", "￥18,000元", "52", "25%", ""],
                ],
                "chart": {"type": "bar", "title": "月度销售额", "category": "月份", "values": ["销售额"]},
            },
            {
                "name": "渠道",
                "columns": [
                    {"header": "渠道", "type": "text", "total": "none"},
                    {"header": "占比", "type": "percent", "total": "none"},
                ],
                "rows": [["门店", "65%"], ["小程序", "35%"]],
                "chart": {"type": "pie", "title": "渠道占比", "category": "渠道", "values": ["占比"]},
            },
        ],
    },
}

DOCUMENTS = {
    "en": {
        "title": "Store Operations Review",
        "subtitle": "First quarter 2026",
        "sections": [
            {
                "heading": "Summary",
                "paragraphs": ["Revenue grew **18%** year on year.", "New customers kept rising."],
                "bullets": ["- Spring menu launched", "2. Loyalty repeat rate up to 42%"],
            },
            {
                "heading": "Figures",
                "level": 2,
                "paragraphs": ["Key numbers by month."],
                "table": {
                    "headers": ["Month", "Revenue", "Growth"],
                    "rows": [["January", "$120,000", "12%"], ["February", "$98,000"]],
                },
            },
            {"heading": "Risks", "level": 3, "paragraphs": [], "bullets": ["Rising costs", "Staff turnover"]},
        ],
    },
    "zh": {
        "title": "门店运营季度报告",
        "subtitle": "2026年第一季度",
        "sections": [
            {
                "heading": "概述",
                "paragraphs": ["本季度销售额同比增长**18%**，新客数量稳步提升。"],
                "bullets": ["• 新品上市：春季限定系列", "1、会员复购率提升至 42%"],
            },
            {
                "heading": "销售数据",
                "level": 2,
                "paragraphs": ["下表列出各月关键指标。"],
                "table": {
                    "headers": ["月份", "销售额", "增长"],
                    "rows": [["一月", "¥120,000", "12%"], ["二月", "¥98,000", "-3%"]],
                },
            },
        ],
    },
}

DECKS = {
    "en": {
        "title": "Spring Launch",
        "subtitle": "New seasonal menu, 2026",
        "slides": [
            {
                "title": "The opportunity",
                "kind": "content",
                "bullets": ["Young buyers want healthy drinks", "**Tea** keeps growing"],
                "notes": "Open with the market size.\nThen the target customer.",
            },
            {"title": "Part two: the product", "kind": "section", "bullets": ["Three new drinks"], "notes": ""},
            {
                "title": "Us and them",
                "kind": "two_column",
                "bullets": ["Natural", "Fair price", "Additives", "Pricey"],
                "notes": "",
            },
        ],
    },
    "zh": {
        "title": "春季新品发布会",
        "subtitle": "2026 春季限定系列",
        "slides": [
            {
                "title": "市场机会",
                "kind": "content",
                "bullets": ["- 年轻消费者追求健康", "**茶饮**市场规模持续增长"],
                "notes": "开场先讲市场规模。",
            },
            {"title": "第二部分：产品", "kind": "section", "bullets": [], "notes": ""},
            {
                "title": "优势对比",
                "kind": "two_column",
                "bullets": ["原料天然"],
                "left": ["价格适中"],
                "right": ["添加剂多"],
                "notes": "强调差异。",
            },
        ],
    },
}

PLANS = {"xlsx": WORKBOOKS, "docx": DOCUMENTS, "pptx": DECKS}


# ---------------------------------------------------------------- XLSX


def _workbook(lang):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(render_xlsx(WORKBOOKS[lang])))


def test_xlsx_cells_are_typed_and_formatted():
    ws = _workbook("en")["Sales"]
    assert [c.value for c in ws[1]] == ["Month", "Revenue", "Orders", "Growth", "Closed"]
    assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
    assert [ws.cell(r, 2).value for r in (2, 3, 4)] == [1200, 1500.5, 1800]
    assert [ws.cell(r, 3).value for r in (2, 3, 4)] == [35, 40, 52]
    assert [ws.cell(r, 4).value for r in (2, 3, 4)] == [0.125, 0.08, "n/a"]  # text kept when it is not a number
    assert ws["E3"].value.date() == dt.date(2026, 2, 28) and ws["E3"].number_format == "yyyy-mm-dd"
    assert ws["B2"].number_format == '"$"#,##0.00' and ws["D2"].number_format == "0.0%"
    assert ws["C2"].number_format == "#,##0"


def test_xlsx_totals_are_formulas_and_chart_is_native():
    ws = _workbook("en")["Sales"]
    assert [c.value for c in ws[5]] == ["Total", "=SUM(B2:B4)", "=SUM(C2:C4)", "=AVERAGE(D2:D4)", None]
    (chart,) = ws._charts
    assert type(chart).__name__ == "LineChart" and len(chart.series) == 2
    assert chart.series[0].val.numRef.f == "'Sales'!$B$2:$B$4"  # data rows only, never the totals row


def test_xlsx_chinese_currency_widths_and_charts():
    book = _workbook("zh")
    assert book.sheetnames == ["销售-汇总", "渠道"]  # '/' is not allowed in a sheet name
    ws = book["销售-汇总"]
    assert ws["B2"].number_format == '"¥"#,##0.00' and [ws.cell(r, 2).value for r in (2, 3, 4)] == [1200, 15000, 18000]
    assert ws["D3"].value == 0.08 and ws["A5"].value == "合计" and ws["B5"].value == "=SUM(B2:B4)"
    # the long Chinese note is 21 characters = 42 cells wide; headers of 2-4 CJK characters stay narrow
    assert ws.column_dimensions["E"].width >= 42 > ws.column_dimensions["A"].width >= 8
    assert type(ws._charts[0]).__name__ == "BarChart" and type(book["渠道"]._charts[0]).__name__ == "PieChart"
    with zipfile.ZipFile(io.BytesIO(render_xlsx(WORKBOOKS["zh"]))) as z:
        assert {"xl/charts/chart1.xml", "xl/charts/chart2.xml"} <= set(z.namelist())


# ---------------------------------------------------------------- DOCX


def _document(lang):
    import docx

    return docx.Document(io.BytesIO(render_docx(DOCUMENTS[lang])))


def test_docx_styles_bullets_and_bold():
    doc = _document("en")
    styled = [(p.style.name, p.text) for p in doc.paragraphs if p.text]
    assert styled[:3] == [
        ("Title", "Store Operations Review"),
        ("Subtitle", "First quarter 2026"),
        ("Heading 1", "Summary"),
    ]
    assert ("List Bullet", "Spring menu launched") in styled  # "- " and "2. " markers become list formatting
    assert ("List Bullet", "Loyalty repeat rate up to 42%") in styled
    assert ("Heading 2", "Figures") in styled and ("Heading 3", "Risks") in styled
    growth = next(p for p in doc.paragraphs if p.text.startswith("Revenue grew"))
    assert growth.text == "Revenue grew 18% year on year." and [r.text for r in growth.runs if r.bold] == ["18%"]


def test_docx_table_has_style_header_and_padded_rows():
    (table,) = _document("en").tables
    assert table.style.name == "Light Grid Accent 1"
    assert [c.text for c in table.rows[0].cells] == ["Month", "Revenue", "Growth"]
    assert all(r.bold for c in table.rows[0].cells for r in c.paragraphs[0].runs)
    assert [c.text for c in table.rows[2].cells] == ["February", "$98,000", ""]


def test_docx_chinese_fonts_and_page_size():
    from docx.oxml.ns import qn

    doc = _document("zh")
    for name in ("Title", "Heading 1", "Heading 2"):  # styles that named a theme font now name the CJK face
        fonts = doc.styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == "Noto Sans CJK SC" and fonts.get(qn("w:eastAsiaTheme")) is None
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.rFonts.get(qn("w:eastAsia")) == "Noto Sans CJK SC"
    assert round(doc.sections[0].page_width.mm) == 210 and doc.core_properties.language == "zh-CN"
    assert [c.text for c in doc.tables[0].rows[1].cells] == ["一月", "¥120,000", "12%"]


# ---------------------------------------------------------------- PPTX


def _deck(lang):
    from pptx import Presentation

    return Presentation(io.BytesIO(render_pptx(DECKS[lang])))


def _body_texts(slide):
    return [s.text_frame.text for s in slide.placeholders if s.placeholder_format.idx != 0]


def test_pptx_layouts_notes_and_widescreen():
    deck = _deck("en")
    layouts = ["Title Slide", "Title and Content", "Section Header", "Two Content"]
    assert [s.slide_layout.name for s in deck.slides] == layouts
    assert abs(deck.slide_width / deck.slide_height - 16 / 9) < 0.01
    title, content, section, two = deck.slides
    assert title.shapes.title.text == "Spring Launch" and _body_texts(title) == ["New seasonal menu, 2026"]
    assert _body_texts(content) == ["Young buyers want healthy drinks\nTea keeps growing"]
    assert content.notes_slide.notes_text_frame.text == "Open with the market size.\nThen the target customer."
    assert _body_texts(section) == ["Three new drinks"]
    assert _body_texts(two) == ["Natural\nFair price", "Additives\nPricey"]  # plain bullets split across columns
    assert not two.has_notes_slide


def test_pptx_chinese_runs_have_east_asian_font():
    deck = _deck("zh")
    _title, content, section, two = deck.slides
    assert _body_texts(two) == ["原料天然\n价格适中", "添加剂多"]  # plain bullets lead the left column
    assert _body_texts(section) == []
    assert content.notes_slide.notes_text_frame.text == "开场先讲市场规模。"
    runs = [r for s in deck.slides for sh in s.placeholders for p in sh.text_frame.paragraphs for r in p.runs]
    ns = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    assert runs and all(r._r.rPr.find(ns + "ea").get("typeface") == "Noto Sans CJK SC" for r in runs)
    assert all(r._r.rPr.get("lang") == "zh-CN" for r in runs)
    assert [r.text for r in runs if r.font.bold] == ["茶饮"] and "年轻消费者追求健康" in [r.text for r in runs]


# ---------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def pdfs():
    """All six plans rendered and converted at once: concurrent LibreOffice runs must not collide."""
    jobs = [(kind, lang) for kind in PLANS for lang in ("en", "zh")]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = pool.map(lambda job: render(job[0], PLANS[job[0]][job[1]], pdf=True), jobs)
        return dict(zip(jobs, results))


@pytest.mark.parametrize("kind", list(PLANS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pdf_has_pages_and_the_title(pdfs, tmp_path, kind, lang):
    pdf = pdfs[kind, lang]
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= (len(DECKS[lang]["slides"]) + 1 if kind == "pptx" else 1)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert PLANS[kind][lang]["title"] in text


def test_pdf_shows_computed_totals(pdfs, tmp_path):
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdfs["xlsx", "zh"])
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "¥34,200.00" in text and "127" in text  # =SUM(...) evaluated by LibreOffice


def test_pdf_errors_are_clear(monkeypatch, tmp_path):
    with pytest.raises(BackendError, match="could not convert the docx file"):
        to_pdf(b"PK\x03\x04 a broken zip", "docx")
    with pytest.raises(InvalidRequest) as bad:
        to_pdf(b"", "exe")
    assert bad.value.param == "suffix"
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice anywhere
    with pytest.raises(BackendError, match="apt-get install libreoffice-writer-nogui"):
        to_pdf(render_docx(DOCUMENTS["en"]), "docx")


# ---------------------------------------------------------------- validation


def _with(plan: dict, path: str, value) -> dict:
    """A deep copy of plan with the dotted path set (a path ending in '+' appends)."""
    import copy

    plan = copy.deepcopy(plan)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = plan
    for p in parents:
        node = node[p]
    if last == "+":
        node.append(value)
    else:
        node[last] = value
    return plan


BAD = [
    ("xlsx", WORKBOOKS["en"], "sheets.0.columns.1.type", "money", "plan.sheets.0.columns.1.type"),
    ("xlsx", WORKBOOKS["en"], "sheets.0.rows.1", ["Feb", 1, 2, 3, "2026-02-01", "extra"], "plan.sheets.0.rows.1"),
    ("xlsx", WORKBOOKS["en"], "sheets.0.chart.values.1", "Profit", "plan.sheets.0.chart.values.1"),
    ("xlsx", WORKBOOKS["en"], "sheets.0.chart.values.1", "Month", "plan.sheets.0.chart.values.1"),
    ("xlsx", WORKBOOKS["en"], "sheets.0.chart.category", "Quarter", "plan.sheets.0.chart.category"),
    ("xlsx", WORKBOOKS["en"], "sheets", [], "plan.sheets"),
    ("xlsx", WORKBOOKS["en"], "sheets.0.rows", [], "plan.sheets.0.rows"),
    ("xlsx", WORKBOOKS["en"], "sheets.0.columns.0.total", "sum", "plan.sheets.0.columns.0.total"),
    ("xlsx", WORKBOOKS["en"], "sheets.0.columns.2.header", "Revenue", "plan.sheets.0.columns.2.header"),
    ("xlsx", WORKBOOKS["zh"], "sheets.1.name", "销售/汇总", "plan.sheets.1.name"),
    ("xlsx", WORKBOOKS["en"], "sheets.0.colour", "red", "plan.sheets.0.colour"),
    ("docx", DOCUMENTS["en"], "sections.1.table.rows.0.+", "extra", "plan.sections.1.table.rows.0"),
    ("docx", DOCUMENTS["en"], "sections.0.level", 4, "plan.sections.0.level"),
    ("docx", DOCUMENTS["en"], "sections", [], "plan.sections"),
    ("pptx", DECKS["en"], "slides.0.bullets", ["point"] * 7, "plan.slides.0.bullets"),
    ("pptx", DECKS["en"], "slides.0.left", ["left on a content slide"], "plan.slides.0.left"),
    ("pptx", DECKS["en"], "slides.1.kind", "chart", "plan.slides.1.kind"),
    ("pptx", DECKS["en"], "title", "", "plan.title"),
]


@pytest.mark.parametrize(("kind", "plan", "path", "value", "param"), BAD, ids=[f"{b[4]}={b[3]!s:.12}" for b in BAD])
def test_bad_plan_names_the_field(kind, plan, path, value, param):
    with pytest.raises(InvalidRequest) as caught:
        render(kind, _with(plan, path, value))
    assert caught.value.param == param and caught.value.status == 400
    assert f"'{param}'" in caught.value.message


# ---------------------------------------------------------------- LLM schemas

_ALLOWED = {
    "type",
    "properties",
    "required",
    "items",
    "enum",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "additionalProperties",
}


def _walk(schema: dict, path: str = "$"):
    yield path, schema
    for name, sub in schema.get("properties", {}).items():
        yield from _walk(sub, f"{path}.{name}")
    if "items" in schema:
        yield from _walk(schema["items"], f"{path}[]")


@pytest.mark.parametrize("cls", [WorkbookPlan, DocumentPlan, DeckPlan])
def test_llm_schema_is_flat_and_bounded(cls):
    schema = cls.llm_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for path, node in _walk(schema):
        assert set(node) <= _ALLOWED, path
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if "string" in types and "enum" not in node:
            assert "maxLength" in node, path
        if "array" in types:
            assert "maxItems" in node, path
        if node["type"] == "object":
            assert node["additionalProperties"] is False and set(node["required"]) <= set(node["properties"]), path


@pytest.mark.parametrize("kind", list(PLANS))
def test_llm_sized_plans_fit_the_schema_and_the_model(kind):
    """What the LLM may write (strings for numbers included) the model accepts and renders."""
    cls = {"xlsx": WorkbookPlan, "docx": DocumentPlan, "pptx": DeckPlan}[kind]
    for lang in ("en", "zh"):
        plan = PLANS[kind][lang]
        jsonschema.validate(plan, cls.llm_schema())
        assert render(kind, cls.model_validate(plan))[:2] == b"PK"


def test_from_llm_repairs_what_a_schema_cannot_rule_out():
    sheet = {
        "name": "S",
        "columns": [
            {"header": "Month", "type": "text", "total": "sum"},
            {"header": "Revenue", "type": "number", "total": "sum"},
            {"header": "revenue", "type": "number", "total": "none"},
        ],
        "rows": [["Jan", 1, 2, 3], ["Feb", 2]],
        "chart": {"type": "bar", "category": "month", "values": ["Sales", "revenue"]},
    }
    data = {"title": "T", "sheets": [sheet, {**sheet, "name": "s "}]}
    with pytest.raises(InvalidRequest):
        WorkbookPlan.model_validate(data)
    plan = WorkbookPlan.from_llm(data)
    first = plan.sheets[0]
    assert [c.header for c in first.columns] == ["Month", "Revenue", "revenue 2"] and plan.sheets[1].name == "s 2"
    assert first.columns[0].total == "none" and first.rows[0] == ["Jan", 1, 2]
    assert (first.chart.category, first.chart.values) == ("Month", ["Revenue"])
    assert render_xlsx(plan)[:2] == b"PK"
    deck = DeckPlan.from_llm(
        {
            "title": "D",
            "subtitle": "",
            "slides": [
                {"title": " ", "kind": "content", "bullets": ["a", " "], "left": ["l"], "notes": ""},
            ],
        }
    )
    assert [(s.title, s.bullets, s.left, s.right) for s in deck.slides] == [("D", ["a", "l"], [], [])]
    doc = DocumentPlan.from_llm(
        {
            "title": "D",
            "sections": [
                {"heading": "H", "paragraphs": ["p", ""], "table": {"headers": ["", "B"], "rows": [["1", "2", "3"]]}}
            ],
        }
    )
    assert doc.sections[0].paragraphs == ["p"] and doc.sections[0].table.rows == [["1", "2"]]
    with pytest.raises(InvalidRequest) as caught:  # what cannot be repaired is still reported by field
        DeckPlan.from_llm({"title": "D", "slides": [{"title": "x", "kind": "chart"}]})
    assert caught.value.param == "plan.slides.0.kind"
