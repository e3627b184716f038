"""Icons from Lucide, a real icon set shipped in the ``lucide`` PyPI package.

Lucide icons are 24x24 stroke drawings (paths, circles, rects, lines). They are
embedded as SVG elements in SVG output and rasterised with resvg (``resvg-py``,
a prebuilt wheel) for PNG/WebP/JPEG. Nothing is drawn by a model.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import zipfile
from importlib import resources
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from ...errors import BackendError, InvalidRequest

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

__all__ = ["ICON_SET", "ICON_LICENCE", "icon_elements", "icon_svg", "render_icon", "exists"]

ICON_SET = "Lucide (PyPI package lucide==1.1.4)"
ICON_LICENCE = "ISC (Lucide Contributors); portions MIT (Feather, Cole Bemis); Python wrapper MIT"
VIEWBOX = 24
_SVG_NS = "{http://www.w3.org/2000/svg}"


@functools.cache
def _archive() -> zipfile.ZipFile:
    try:
        data = (resources.files("lucide") / "lucide.zip").read_bytes()
    except ModuleNotFoundError:
        raise BackendError(
            "The design engine needs the 'lucide' icon package: pip install lucide==1.1.4", code="icons_missing"
        ) from None
    return zipfile.ZipFile(io.BytesIO(data))


def exists(name: str) -> bool:
    return f"{name}.svg" in _archive().namelist()


@functools.lru_cache(maxsize=256)
def icon_elements(name: str) -> str:
    """The icon's drawing elements (no <svg> wrapper), in 24x24 user units, without presentation attributes."""
    try:
        raw = _archive().read(f"{name}.svg").decode()
    except KeyError:
        raise InvalidRequest(f"Unknown icon '{name}'.", param="icon") from None
    root = ElementTree.fromstring(raw)
    parts = []
    for node in root:
        tag = node.tag.replace(_SVG_NS, "")
        attrs = " ".join(f'{k}="{v}"' for k, v in node.attrib.items() if re.fullmatch(r"[a-z0-9\-]+", k))
        parts.append(f"<{tag} {attrs}/>")
    return "".join(parts)


def icon_svg(name: str, color: str, stroke_width: float = 2.0, size: int = VIEWBOX) -> str:
    """A standalone SVG document of the icon in one colour."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 24 24" '
        f'fill="none" stroke="{color}" stroke-width="{stroke_width}" stroke-linecap="round" '
        f'stroke-linejoin="round">{icon_elements(name)}</svg>'
    )


@functools.lru_cache(maxsize=64)
def render_icon(name: str, size: int, color: str, stroke_width: float = 2.0) -> Image.Image:
    """The icon as an RGBA Pillow image of ``size`` x ``size`` pixels."""
    from PIL import Image

    try:
        import resvg_py
    except ImportError:
        raise BackendError(
            "The design engine rasterises icons with resvg: pip install resvg-py==0.5.0", code="resvg_missing"
        ) from None
    png = resvg_py.svg_to_bytes(
        svg_string=icon_svg(name, color, stroke_width), width=size, height=size, skip_system_fonts=True
    )
    image = Image.open(io.BytesIO(bytes(png)))
    image.load()
    return image.convert("RGBA")
