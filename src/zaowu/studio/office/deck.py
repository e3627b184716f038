"""DeckPlan → PPTX with python-pptx.

The default template's real layouts, reshaped to 16:9: "Title Slide" for the
deck title, "Title and Content", "Section Header" and "Two Content" for the
slides, speaker notes in each slide's notes page. Every run gets an East Asian
typeface (``a:ea``) and, for Chinese decks, the zh-CN language, so Chinese renders
in the CJK face. Body text is sized by how much a slide holds and shrinks on overflow.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from .plans import DeckPlan, SlidePlan, parse_plan
from .text import CJK_FONT, CJK_LANG, bold_spans, strip_marker

log = logging.getLogger(__name__)

__all__ = ["render_pptx", "LAYOUTS"]

LAYOUTS = {
    "title": "Title Slide",
    "content": "Title and Content",
    "section": "Section Header",
    "two_column": "Two Content",
}
_WIDE = 16 / 9
ACCENT = (0x1F, 0x4E, 0x79)  # deep blue: a band on title and section slides, a thin bar atop the others


def render_pptx(plan: DeckPlan | dict[str, Any]) -> bytes:
    """The deck as PPTX bytes; a dict is validated first (InvalidRequest names the field)."""
    from pptx import Presentation

    plan = parse_plan("pptx", plan)
    lang = CJK_LANG if plan.lang() == "zh" else "en-US"
    deck = Presentation()
    _widescreen(deck)
    layouts = {layout.name: layout for layout in deck.slide_layouts}
    deck.core_properties.title, deck.core_properties.author = plan.title, "zaowu"
    deck.core_properties.language = lang

    first = deck.slides.add_slide(layouts[LAYOUTS["title"]])
    _set_text(first.shapes.title.text_frame, [plan.title], lang, color=ACCENT)
    _fill_or_drop(first.placeholders[1], [plan.subtitle] if plan.subtitle else [], lang, size=None)
    _accent(deck, first, band=True)
    for spec in plan.slides:
        slide = deck.slides.add_slide(layouts[LAYOUTS[spec.kind]])
        _accent(deck, slide, band=spec.kind == "section")
        _set_text(slide.shapes.title.text_frame, [spec.title], lang, color=ACCENT)
        _fill_body(slide, spec, lang)
        if spec.notes:
            _set_text(slide.notes_slide.notes_text_frame, spec.notes.split("\n"), lang)
    out = io.BytesIO()
    deck.save(out)
    log.debug("rendered deck %r: %d slides, %d bytes", plan.title, len(plan.slides) + 1, out.tell())
    return out.getvalue()


def _fill_body(slide, spec: SlidePlan, lang: str) -> None:
    if spec.kind == "two_column":
        left, right = spec.bullets + spec.left, spec.right  # plain bullets lead the left column
        if not spec.left and not right:  # only plain bullets: split them across the columns
            half = (len(spec.bullets) + 1) // 2
            left, right = spec.bullets[:half], spec.bullets[half:]
        size = _body_size(left + right, columns=2)
        _fill_or_drop(slide.placeholders[1], [strip_marker(b) for b in left], lang, size)
        _fill_or_drop(slide.placeholders[2], [strip_marker(b) for b in right], lang, size)
    elif spec.kind == "section":
        _fill_or_drop(slide.placeholders[1], spec.bullets, lang, size=None)
    else:
        items = [strip_marker(b) for b in spec.bullets]
        _fill_or_drop(slide.placeholders[1], items, lang, _body_size(items, columns=1))


def _body_size(items: list[str], columns: int) -> int:
    """Point size for a body: large for a few short lines, smaller as the slide fills up."""
    chars = sum(len(i) * (2 if any(ord(c) > 0x2E80 for c in i) else 1) for i in items) * columns
    if len(items) <= 3 * columns and chars <= 180:
        size = 28
    elif len(items) <= 5 * columns and chars <= 420:
        size = 24
    else:
        size = 20
    return size - 4 * (columns - 1)


def _fill_or_drop(placeholder, items: list[str], lang: str, size: int | None) -> None:
    """Put the lines in the placeholder, or remove it when there are none (no 'Click to add text')."""
    if not items:
        placeholder._element.getparent().remove(placeholder._element)
        return
    from pptx.enum.text import MSO_AUTO_SIZE

    frame = placeholder.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    _set_text(frame, items, lang, size)


def _set_text(frame, lines: list[str], lang: str, size: int | None = None, color: tuple | None = None) -> None:
    """One paragraph per line, ``**bold**`` as bold runs, the CJK typeface and language on every run."""
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    frame.clear()
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        for text, bold in bold_spans(line):
            run = paragraph.add_run()
            run.text = text
            if bold:
                run.font.bold = True
            if size:
                run.font.size = Pt(size)
            if color:
                run.font.color.rgb = RGBColor(*color)
            _east_asian(run, lang)


def _east_asian(run, lang: str) -> None:
    rpr = run._r.get_or_add_rPr()
    rpr.set("lang", lang)
    rpr.set("altLang", "en-US")
    ea = rpr.makeelement("{http://schemas.openxmlformats.org/drawingml/2006/main}ea", {"typeface": CJK_FONT})
    rpr.append(ea)  # after any a:latin, as the schema orders them


def _accent(deck, slide, band: bool) -> None:
    """A plain accent rectangle behind the text: a bottom band, or a thin bar along the top edge."""
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE

    height = deck.slide_height // (12 if band else 60)
    top = deck.slide_height - height if band else 0
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, top, deck.slide_width, height)
    shape.fill.solid()
    shape.fill.fore_color.rgb = RGBColor(*ACCENT)
    shape.line.fill.background()
    shape.shadow.inherit = False
    tree = slide.shapes._spTree
    tree.remove(shape._element)
    tree.insert(2, shape._element)  # after the group properties: drawn first, under the placeholders


def _widescreen(deck) -> None:
    """16:9 slides: widen the slide and every master and layout shape that has its own position."""
    old = deck.slide_width
    deck.slide_width = int(deck.slide_height * _WIDE)
    scale = deck.slide_width / old
    for shapes in [deck.slide_master.shapes, *(layout.shapes for layout in deck.slide_layouts)]:
        for shape in shapes:
            xfrm = shape._element.spPr.find("{http://schemas.openxmlformats.org/drawingml/2006/main}xfrm")
            if xfrm is not None:
                xfrm.off.x, xfrm.ext.cx = int(xfrm.off.x * scale), int(xfrm.ext.cx * scale)
