"""Documents to chunks: read PDF, DOCX, XLSX, PPTX, HTML, Markdown, TXT and CSV into blocks (a paragraph,
a heading or a table row, with its page/sheet/slide and heading path), then pack the blocks into chunks
that never cross a heading, page or sheet, and keep each chunk's character offsets in the file's text.

A file that cannot be read raises ``DocumentError`` with a code (``invalid_file``, ``unsupported_file``,
``encrypted``, ``empty``, ``too_large``) that the ingest reports per file."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

SUFFIXES = (".pdf", ".docx", ".xlsx", ".pptx", ".html", ".htm", ".md", ".markdown", ".txt", ".csv")


class DocumentError(Exception):
    """A file that yields no chunks: ``code`` says why, ``message`` says what to do."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Block:
    """One unit of text: a paragraph, heading or table row, with where it sits in the document."""

    text: str
    page: int | None = None
    sheet: str | None = None
    headings: tuple[str, ...] = ()
    row: bool = False  # a table row: always its own chunk


@dataclass
class Chunk:
    text: str
    page: int | None
    sheet: str | None
    heading_path: list[str]
    start: int
    end: int


MAX_UNZIPPED_BYTES = 512 << 20  # DOCX, XLSX and PPTX are zip files: the most their parts may expand to


@dataclass
class Limits:
    max_pages: int = 2000
    max_chunks: int = 5000
    chunk_chars: int = 800
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES


@dataclass
class _Headings:
    path: list[tuple[int, str]] = field(default_factory=list)

    def push(self, level: int, title: str) -> tuple[str, ...]:
        self.path = [h for h in self.path if h[0] < level] + [(level, title)]
        return self.now()

    def now(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.path)


def _clean(text: str) -> str:
    return re.sub(r"[ \t\u00a0]+", " ", text).strip()


def _paragraphs(text: str, **where) -> Iterator[Block]:
    for para in re.split(r"\n\s*\n", text):
        if para := _clean(para):
            yield Block(para, **where)


# ---------------------------------------------------------------- readers
def _read_errors() -> tuple[type[BaseException], ...]:
    """What the office and HTML parsers raise for a damaged file (zip, XML, missing parts, bad values)."""
    import zipfile

    from lxml import etree

    return (zipfile.BadZipFile, etree.LxmlError, KeyError, ValueError, TypeError, AttributeError, IndexError, OSError)


def _pdf(data: bytes, limits: Limits) -> Iterator[Block]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError("encrypted", "The PDF is encrypted; save an unprotected copy and add that.")
        pages = reader.pages
        count = len(pages)
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError("invalid_file", f"The PDF cannot be read ({exc}); check that the file is whole.") from None
    _check_pages(count, limits)
    for number in range(count):
        try:
            text = pages[number].extract_text() or ""
        except (PyPdfError, ValueError, KeyError, TypeError) as exc:
            raise DocumentError("invalid_file", f"Page {number + 1} of the PDF cannot be read ({exc}).") from None
        # pypdf ends lines with "\n"; a line ending a sentence or a short heading-like line ends a paragraph
        text = re.sub(r"(?<=[.!?。！？:：])\n", "\n\n", text)
        yield from _paragraphs(text, page=number + 1)


def _check_pages(count: int, limits: Limits) -> None:
    if count > limits.max_pages:
        raise DocumentError(
            "too_large", f"The file has {count} pages (the limit is kb_max_pages={limits.max_pages}); split it."
        )


def _docx(data: bytes, limits: Limits) -> Iterator[Block]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except _read_errors() as exc:
        raise DocumentError("invalid_file", f"The DOCX cannot be read ({exc}); check that the file is whole.") from None
    headings = _Headings()
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = _clean(item.text)
            style = (item.style.name if item.style is not None else "") or ""
            level = _heading_level(style)
            if text and level:
                yield Block(text, headings=headings.push(level, text))
            elif text:
                yield Block(text, headings=headings.now())
        elif isinstance(item, Table):
            yield from _rows([[c.text for c in row.cells] for row in item.rows], headings=headings.now())


def _heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = re.match(r"Heading (\d)", style)
    return int(match.group(1)) + 1 if match else 0


def _rows(rows: list[list[str]], **where) -> Iterator[Block]:
    """A table as one block per row, each cell named by its column header: 'Size: 40 cm; Weight: 2 kg'."""
    rows = [[_clean(str(c)) for c in r] for r in rows if any(_clean(str(c)) for c in r)]
    if not rows:
        return
    header = rows[0]
    if len(rows) == 1:
        yield Block(" | ".join(c for c in header if c), row=True, **where)
        return
    for row in rows[1:]:
        cells = [f"{h}: {c}" if h else c for h, c in zip(header, row, strict=False) if c]
        if cells:
            yield Block("; ".join(cells), row=True, **where)


def _xlsx(data: bytes, limits: Limits) -> Iterator[Block]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _read_errors() as exc:
        raise DocumentError("invalid_file", f"The XLSX cannot be read ({exc}); check that the file is whole.") from None
    try:
        _check_pages(len(book.worksheets), limits)
        for sheet in book.worksheets:
            rows = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
            yield from _rows(rows, sheet=sheet.title, headings=(sheet.title,))
    finally:
        book.close()


def _pptx(data: bytes, limits: Limits) -> Iterator[Block]:
    import pptx

    try:
        deck = pptx.Presentation(io.BytesIO(data))
    except _read_errors() as exc:
        raise DocumentError("invalid_file", f"The PPTX cannot be read ({exc}); check that the file is whole.") from None
    _check_pages(len(deck.slides), limits)
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        title = _clean(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
        where = {"page": number, "headings": (title,) if title else ()}
        title_id = title_shape.shape_id if title_shape is not None else None
        found = False
        for shape in slide.shapes:
            if shape.shape_id == title_id:
                continue
            if shape.has_text_frame:
                for para in shape.text_frame.paragraphs:
                    if text := _clean("".join(r.text for r in para.runs)):
                        found = True
                        yield Block(text, **where)
            elif getattr(shape, "has_table", False) and shape.has_table:
                found = True
                yield from _rows([[c.text for c in row.cells] for row in shape.table.rows], **where)
        if title and not found:  # a title-only slide still says something
            yield Block(title, **where)


def _html(data: bytes, limits: Limits) -> Iterator[Block]:
    import lxml.html

    if not data.strip():
        return  # no blocks: reported as empty
    try:
        # decoded here (UTF-8, else GB18030): lxml would read bytes without a charset tag as Latin-1
        root = lxml.html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", _decode(data)))
    except _read_errors() as exc:
        raise DocumentError("invalid_file", f"The HTML cannot be read ({exc}).") from None
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    headings = _Headings()
    tags = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "pre", "blockquote", "dd", "dt")
    for el in root.iter(*tags):
        if any(p.tag in ("li", "table", "blockquote") for p in el.iterancestors()):
            continue  # nested: its text is in the outer element's
        if el.tag == "table":
            rows = [[c.text_content() for c in tr.iter("td", "th")] for tr in el.iter("tr")]
            yield from _rows(rows, headings=headings.now())
            continue
        text = _clean(el.text_content())
        if not text:
            continue
        if el.tag[0] == "h" and el.tag[1:].isdigit():
            yield Block(text, headings=headings.push(int(el.tag[1:]), text))
        else:
            yield Block(text, headings=headings.now())


def _markdown(data: bytes, limits: Limits) -> Iterator[Block]:
    text = _decode(data)
    headings = _Headings()
    para: list[str] = []
    table: list[list[str]] = []

    def flush() -> Iterator[Block]:
        if para:
            yield from _paragraphs("\n".join(para), headings=headings.now())
            para.clear()
        if table:
            yield from _rows(table, headings=headings.now())
            table.clear()

    for line in text.splitlines():
        heading = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if heading:
            yield from flush()
            yield Block(heading.group(2), headings=headings.push(len(heading.group(1)), heading.group(2)))
        elif line.strip().startswith("|"):
            if para:
                yield from _paragraphs("\n".join(para), headings=headings.now())
                para.clear()
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                table.append(cells)
        elif not line.strip():
            yield from flush()
        else:
            if table:
                yield from flush()
            para.append(line)
    yield from flush()


def _text(data: bytes, limits: Limits) -> Iterator[Block]:
    yield from _paragraphs(_decode(data))


def _csv(data: bytes, limits: Limits) -> Iterator[Block]:
    text = _decode(data)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise DocumentError("invalid_file", f"The CSV cannot be read ({exc}).") from None
    yield from _rows(rows)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentError("invalid_file", "The text is neither UTF-8 nor GB18030; save it as UTF-8.")


READERS = {
    ".pdf": _pdf,
    ".docx": _docx,
    ".xlsx": _xlsx,
    ".pptx": _pptx,
    ".html": _html,
    ".htm": _html,
    ".md": _markdown,
    ".markdown": _markdown,
    ".txt": _text,
    ".csv": _csv,
}


def _check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a zip bomb before a parser inflates it: the declared sizes of all parts are summed."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentError("invalid_file", f"The file is not a whole Office document ({exc}).") from None
    if total > limits.max_unzipped_bytes:
        raise DocumentError(
            "too_large",
            f"The document expands to {total} bytes (the limit is {limits.max_unzipped_bytes}); it may be a zip bomb.",
        )


def reader_for(filename: str):
    suffix = PurePath(filename).suffix.lower()
    if suffix not in READERS:
        raise DocumentError(
            "unsupported_file",
            f"'{filename}' is not a supported document; use one of {', '.join(SUFFIXES)}.",
        )
    return READERS[suffix]


# ---------------------------------------------------------------- chunking
def _pieces(text: str, size: int) -> Iterator[tuple[int, int]]:
    """Split a long block at sentence ends (else anywhere) into spans of at most ``size`` characters."""
    start = 0
    while len(text) - start > size:
        window = text[start : start + size]
        cut = max((m.end() for m in re.finditer(r"[.!?。！？；;]\s*", window)), default=0)
        cut = cut if cut > size // 3 else size
        yield start, start + cut
        start += cut
    yield start, len(text)


def extracted_text(filename: str, data: bytes, limits: Limits | None = None) -> str:
    """The file's text as chunk offsets index it: its blocks joined by blank lines."""
    return "\n\n".join(b.text for b in reader_for(filename)(data, limits or Limits()))


def chunk(filename: str, data: bytes, limits: Limits | None = None) -> tuple[list[Chunk], int]:
    """The chunks of a document and the number of pages (or sheets/slides, or 1) it has.
    Raises DocumentError when it cannot be read or holds no text."""
    limits = limits or Limits()
    reader = reader_for(filename)
    if reader in (_docx, _xlsx, _pptx):
        _check_zip(data, limits)
    blocks = list(reader(data, limits))
    chunks: list[Chunk] = []
    offset = 0  # offsets index the file's text as the blocks joined by blank lines
    current: list[tuple[Block, int]] = []

    def close() -> None:
        if not current:
            return
        first, start = current[0]
        text = "\n\n".join(b.text for b, _ in current)
        _add(chunks, text, first, start, limits)
        current.clear()

    for block in blocks:
        where = (block.page, block.sheet, block.headings)
        if current:
            head = current[0][0]
            same = (head.page, head.sheet, head.headings) == where and not block.row and not head.row
            size = sum(len(b.text) + 2 for b, _ in current) + len(block.text)
            if not same or size > limits.chunk_chars:
                close()
        current.append((block, offset))
        offset += len(block.text) + 2
    close()
    if not chunks:
        raise DocumentError("empty", f"'{filename}' holds no text (a scanned PDF needs OCR first).")
    pages = len({(c.page, c.sheet) for c in chunks})
    return chunks, pages


def _add(chunks: list[Chunk], text: str, block: Block, start: int, limits: Limits) -> None:
    for a, b in _pieces(text, limits.chunk_chars):
        piece = text[a:b].strip()
        if not piece:
            continue
        if len(chunks) >= limits.max_chunks:
            raise DocumentError(
                "too_large",
                f"The file yields more than kb_max_chunks_per_file={limits.max_chunks} chunks; split it.",
            )
        chunks.append(Chunk(piece, block.page, block.sheet, list(block.headings), start + a, start + b))
