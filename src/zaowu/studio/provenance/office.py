"""Labels on documents: OOXML (DOCX/XLSX/PPTX), PDF, and ZIP bundles of web pages.

OOXML files get the label as a custom document property ``AIGC`` (docProps/custom.xml) and a visible
notice: a footer on every DOCX section and every XLSX sheet, and on every PPTX slide a small text box in
its bottom-right corner (``SLIDE_NOTICE_*``: a box of its own, so no layout or placeholder changes). PDFs get the notice stamped at the foot of every page (``stamp_pdf``: a one-line overlay merged with pypdf, in
the standard CJK font STSong-Light so no font is embedded) and ``/AIGC`` in their document Info, written as an
incremental update (the stamped bytes are kept as they are). A ZIP of a web site gets every HTML page labelled as HTML.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

from .aigc import parse

__all__ = [
    "OOXML_MIMES",
    "label_ooxml",
    "read_ooxml_label",
    "stamp_pdf",
    "pdf_notice",
    "label_pdf",
    "read_pdf_label",
    "label_zip",
]

OOXML_MIMES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}
FOOTER_TEXT = "AI生成 · AI-generated"
SLIDE_NOTICE_HEIGHT = 0.045  # the slide notice's box: this share of the slide's height (its text ~60% of it)
SLIDE_NOTICE_WIDTH = 0.24  # and this share of its width, in the bottom-right corner
SLIDE_NOTICE_MARGIN = 0.01  # from the slide's edges, as a share of its height
_CUSTOM = "docProps/custom.xml"
_CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_CP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# CT_Worksheet children that come after headerFooter, in schema order
_AFTER_HEADER_FOOTER = [
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
]
MAX_PDF_TAIL = 1 << 16  # bytes of a PDF's end searched for its trailer
PDF_NOTICE_SIZE = 0.012  # the PDF notice's font size, as a share of the page's height (at least PDF_NOTICE_MIN_PT)
PDF_NOTICE_MIN_PT = 7.0  # smallest font size of the PDF notice, in points
PDF_NOTICE_MARGIN = 0.015  # the notice's baseline and right edge from the page's edges, as a share of its height


def _custom_xml(existing: bytes | None, label_json: str) -> bytes:
    from lxml import etree

    if existing:
        root = etree.fromstring(existing)
    else:
        root = etree.Element(f"{{{_CP_NS}}}Properties", nsmap={None: _CP_NS, "vt": _VT_NS})
    for prop in root.findall(f"{{{_CP_NS}}}property"):
        if prop.get("name") == "AIGC":
            root.remove(prop)
    pids = [int(p.get("pid", "1")) for p in root.findall(f"{{{_CP_NS}}}property")]
    prop = etree.SubElement(root, f"{{{_CP_NS}}}property", fmtid=_FMTID, pid=str(max(pids, default=1) + 1), name="AIGC")
    etree.SubElement(prop, f"{{{_VT_NS}}}lpwstr").text = label_json
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _content_types(data: bytes) -> bytes:
    if _CUSTOM.encode() in data:
        return data
    override = f'<Override PartName="/{_CUSTOM}" ContentType="{_CUSTOM_CT}"/>'.encode()
    return data.replace(b"</Types>", override + b"</Types>")


def _rels(data: bytes) -> bytes:
    if _CUSTOM_REL.encode() in data:
        return data
    rel = f'<Relationship Id="rIdAIGC" Type="{_CUSTOM_REL}" Target="{_CUSTOM}"/>'.encode()
    return data.replace(b"</Relationships>", rel + b"</Relationships>")


def _sheet_footer(data: bytes) -> bytes:
    from lxml import etree

    root = etree.fromstring(data)
    hf = root.find(f"{{{_SHEET_NS}}}headerFooter")
    if hf is None:
        hf = etree.Element(f"{{{_SHEET_NS}}}headerFooter")
        later = [child for child in root if etree.QName(child).localname in _AFTER_HEADER_FOOTER]
        if later:
            later[0].addprevious(hf)
        else:
            root.append(hf)
    footer = hf.find(f"{{{_SHEET_NS}}}oddFooter")
    if footer is None:
        footer = etree.Element(f"{{{_SHEET_NS}}}oddFooter")
        header = hf.find(f"{{{_SHEET_NS}}}oddHeader")
        if header is not None:
            header.addnext(footer)
        else:
            hf.insert(0, footer)
    text = footer.text or ""
    if FOOTER_TEXT not in text:
        footer.text = f"{text}{'&L' if '&C' in text else '&C'}{FOOTER_TEXT}"  # centre, else left
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _docx_footer(data: bytes) -> bytes:
    import docx

    document = docx.Document(io.BytesIO(data))
    for section in document.sections:
        footer = section.footer
        if not any(FOOTER_TEXT in p.text for p in footer.paragraphs):
            footer.add_paragraph(FOOTER_TEXT)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _slide_notices(data: bytes) -> bytes:
    """Every slide with the notice in a small text box of its own in the bottom-right corner (grey, right-aligned)."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu, Pt

    deck = Presentation(io.BytesIO(data))
    width, height = int(deck.slide_width or 12192000), int(deck.slide_height or 6858000)
    box_w, box_h, margin = (
        int(width * SLIDE_NOTICE_WIDTH),
        int(height * SLIDE_NOTICE_HEIGHT),
        int(height * SLIDE_NOTICE_MARGIN),
    )
    for slide in deck.slides:
        if any(shape.has_text_frame and FOOTER_TEXT in shape.text_frame.text for shape in slide.shapes):
            continue
        box = slide.shapes.add_textbox(
            Emu(width - box_w - margin), Emu(height - box_h - margin), Emu(box_w), Emu(box_h)
        )
        box.name = "AIGC notice"
        paragraph = box.text_frame.paragraphs[0]
        paragraph.alignment = PP_ALIGN.RIGHT
        run = paragraph.add_run()
        run.text = FOOTER_TEXT
        run.font.size = Pt(max(8, round(box_h * 0.6 / 12700)))  # 12700 EMU per point
        run.font.color.rgb = RGBColor(0x80, 0x80, 0x80)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _rewrite_zip(data: bytes, change: Callable[[str, bytes], bytes], add: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in add:
                continue
            dst.writestr(info, change(info.filename, src.read(info)), compress_type=zipfile.ZIP_DEFLATED)
        for name, body in add.items():
            dst.writestr(name, body)
    return out.getvalue()


def label_ooxml(data: bytes, kind: str, label_json: str | None, *, notice: bool) -> bytes:
    """An OOXML file with the footer notice (DOCX, XLSX; when ``notice``) and the custom property."""
    if notice and kind == "docx":
        data = _docx_footer(data)
    if notice and kind == "pptx":
        data = _slide_notices(data)
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        existing = src.read(_CUSTOM) if _CUSTOM in src.namelist() else None

    def change(name: str, body: bytes) -> bytes:
        if label_json and name == "[Content_Types].xml":
            return _content_types(body)
        if label_json and name == "_rels/.rels":
            return _rels(body)
        if notice and kind == "xlsx" and re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
            return _sheet_footer(body)
        return body

    add = {_CUSTOM: _custom_xml(existing, label_json)} if label_json else {}
    return _rewrite_zip(data, change, add)


def read_ooxml_label(data: bytes) -> tuple[dict[str, str] | None, str | None]:
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as src:
            if _CUSTOM not in src.namelist():
                return None, None
            root = etree.fromstring(src.read(_CUSTOM))
    except (zipfile.BadZipFile, etree.XMLSyntaxError):
        return None, None
    for prop in root.findall(f"{{{_CP_NS}}}property"):
        if (prop.get("name") or "").upper() == "AIGC" and (fields := parse("".join(prop.itertext()))):
            return fields, "custom property AIGC"
    return None, None


def ooxml_notice(data: bytes) -> bool | None:
    """Whether an OOXML file shows the notice (DOCX, XLSX: a footer; PPTX: on every slide); None: no such parts."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = src.namelist()
        slides = [n for n in names if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)]
        if slides:
            return all(FOOTER_TEXT.encode() in src.read(n) for n in slides)
        if "word/document.xml" not in names and "xl/workbook.xml" not in names:
            return None
        parts = [n for n in names if re.fullmatch(r"word/footer\d*\.xml|xl/worksheets/sheet\d+\.xml", n)]
        return any(FOOTER_TEXT.encode() in src.read(n) for n in parts)


def _pdf_string(text: str) -> bytes:
    return b"(" + text.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _notice_font() -> object:
    """A Type0 font for the notice: STSong-Light, a standard CJK font viewers supply, so nothing is embedded."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

    system = DictionaryObject(
        {
            NameObject("/Registry"): TextStringObject("Adobe"),
            NameObject("/Ordering"): TextStringObject("GB1"),
            NameObject("/Supplement"): NumberObject(4),
        }
    )
    cid = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType0"),
            NameObject("/BaseFont"): NameObject("/STSong-Light"),
            NameObject("/CIDSystemInfo"): system,
            NameObject("/FontDescriptor"): DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/FontDescriptor"),
                    NameObject("/FontName"): NameObject("/STSong-Light"),
                    NameObject("/Flags"): NumberObject(6),
                    NameObject("/FontBBox"): ArrayObject([NumberObject(v) for v in (-25, -254, 1000, 880)]),
                    NameObject("/ItalicAngle"): NumberObject(0),
                    NameObject("/Ascent"): NumberObject(880),
                    NameObject("/Descent"): NumberObject(-120),
                    NameObject("/CapHeight"): NumberObject(880),
                    NameObject("/StemV"): NumberObject(93),
                }
            ),
            NameObject("/DW"): NumberObject(1000),
            NameObject("/W"): ArrayObject([NumberObject(1), NumberObject(95), NumberObject(500)]),  # half-width Latin
        }
    )
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): NameObject("/STSong-Light-UniGB-UTF16-H"),
            NameObject("/Encoding"): NameObject("/UniGB-UTF16-H"),
            NameObject("/DescendantFonts"): ArrayObject([cid]),
        }
    )


def _notice_width(size: float) -> float:
    """The notice's width in points: half-width for ASCII, full-width for the rest."""
    return sum(0.5 if ord(ch) < 128 else 1.0 for ch in FOOTER_TEXT) * size


def _overlay(width: float, height: float, left: float, bottom: float) -> object:
    """A blank page of the given box holding the notice, grey, in its bottom-right corner."""
    from pypdf import PageObject
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    size = max(PDF_NOTICE_MIN_PT, height * PDF_NOTICE_SIZE)
    margin = height * PDF_NOTICE_MARGIN
    x, y = left + width - margin - _notice_width(size), bottom + margin
    text = FOOTER_TEXT.encode("utf-16-be").hex().upper()
    stream = DecodedStreamObject()
    stream.set_data(f"q BT 0.5 g /AIGCNotice {size:.2f} Tf {x:.2f} {y:.2f} Td <{text}> Tj ET Q".encode())
    page = PageObject.create_blank_page(width=left + width, height=bottom + height)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/AIGCNotice"): _notice_font()})}
    )
    page[NameObject("/Contents")] = stream
    return page


def stamp_pdf(data: bytes) -> bytes:
    """A PDF with the notice at the foot of every page (pages already carrying it are left as they are)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        if FOOTER_TEXT in _page_text(page):
            continue
        box = page.mediabox
        overlay = _overlay(float(box.width), float(box.height), float(box.left), float(box.bottom))
        page.merge_page(overlay)  # type: ignore[arg-type]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page_text(page: object) -> str:
    try:
        return page.extract_text()  # type: ignore[attr-defined,no-any-return]
    except Exception:  # noqa: BLE001 - a page whose text cannot be read shows no notice
        return ""


def pdf_notice(data: bytes) -> bool | None:
    """Whether every page of a PDF shows the notice (None: the PDF cannot be read or has no page)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        pages = list(PdfReader(io.BytesIO(data)).pages)
    except (PdfReadError, ValueError, KeyError):
        return None
    if not pages:
        return None
    return all(FOOTER_TEXT in _page_text(page) for page in pages)


def label_pdf(data: bytes, label_json: str) -> bytes:
    """A PDF with ``/AIGC`` in a new document Info, appended as an incremental update."""
    tail = data[-MAX_PDF_TAIL:]
    start = re.findall(rb"startxref\s+(\d+)", tail)
    root = re.findall(rb"/Root\s+(\d+\s+\d+)\s+R", data)
    size = re.findall(rb"/Size\s+(\d+)", data)
    if not start or not root or not size:
        raise ValueError("no PDF trailer found")
    obj = max(int(s) for s in size)
    body = data if data.endswith(b"\n") else data + b"\n"
    offset = len(body)
    info = f"{obj} 0 obj\n<< /AIGC ".encode() + _pdf_string(label_json) + b" /Trapped /False >>\nendobj\n"
    xref = offset + len(info)
    trailer = (
        f"xref\n0 1\n0000000000 65535 f \n{obj} 1\n{offset:010d} 00000 n \n"
        f"trailer\n<< /Size {obj + 1} /Root {root[-1].decode()} R /Info {obj} 0 R /Prev {start[-1].decode()} >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return body + info + trailer


def read_pdf_label(data: bytes) -> tuple[dict[str, str] | None, str | None]:
    for match in reversed(list(re.finditer(rb"/AIGC\s*\(((?:\\.|[^\\)])*)\)", data))):
        raw = re.sub(rb"\\(.)", rb"\1", match.group(1)).decode("latin-1")
        if fields := parse(raw):
            return fields, "PDF Info /AIGC"
    return None, None


def label_zip(data: bytes, page: Callable[[str], str]) -> bytes:
    """A ZIP whose HTML pages are passed through ``page`` (the HTML labeller)."""

    def change(name: str, body: bytes) -> bytes:
        if name.lower().endswith((".html", ".htm")):
            return page(body.decode("utf-8", "replace")).encode("utf-8")
        return body

    return _rewrite_zip(data, change, {})


def zip_pages_notice(data: bytes, has_notice: Callable[[str], bool]) -> bool | None:
    """Whether every HTML page of a ZIP shows the notice (None: it holds no page)."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        pages = [n for n in src.namelist() if n.lower().endswith((".html", ".htm"))]
        if not pages:
            return None
        return all(has_notice(src.read(n).decode("utf-8", "replace")) for n in pages)


def read_zip_label(data: bytes, reader: Callable[[str], tuple[dict[str, str] | None, str | None]]):
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        for name in src.namelist():
            if name.lower().endswith((".html", ".htm")):
                fields, where = reader(src.read(name).decode("utf-8", "replace"))
                if fields:
                    return fields, f"{name}: {where}"
    return None, None
