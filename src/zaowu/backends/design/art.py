"""Full-colour illustrations (emoji art) for hero images, vendored as one JSON file.

``art/illustrations.json`` holds the SVG bodies of the emoji the category table names, copied from
Fluent Emoji Flat (Microsoft, MIT) and Noto Emoji (Google, Apache-2.0) by
``scripts/vendor_illustrations.py``; the licence texts and NOTICE.md sit beside it. Each body is
drawn in its own viewBox; ``render_art`` rasterises it with resvg, ``svg_fragment`` embeds it in an
SVG design (ids prefixed, so two pieces of art never share a gradient id).
"""

from __future__ import annotations

import functools
import io
import json
import re
from importlib import resources
from typing import TYPE_CHECKING, Any

from ...errors import BackendError, InvalidRequest

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["exists", "info", "licence_of", "names", "render_art", "svg_document", "svg_fragment"]

_ID = re.compile(r'\bid="([^"]+)"')


@functools.cache
def _data() -> dict[str, Any]:
    return json.loads((resources.files(__package__) / "art" / "illustrations.json").read_text("utf-8"))


def names() -> tuple[str, ...]:
    return tuple(sorted(_data()["icons"]))


def exists(name: str) -> bool:
    return name in _data()["icons"]


def _icon(name: str) -> dict[str, Any]:
    try:
        return _data()["icons"][name]
    except KeyError:
        raise InvalidRequest(f"Unknown illustration '{name}'.", param="spec.art") from None


def info(name: str) -> dict[str, str]:
    """Where an illustration comes from: set name, author, licence, URL."""
    icon = _icon(name)
    src = _data()["sets"][icon["set"]]
    return {
        "name": name,
        "set": src["name"],
        "package": f"{src['npm']}@{src['version']}",
        "author": src["author"],
        "licence": src["licence"],
        "url": src["url"],
    }


def licence_of(names_: list[str]) -> list[dict[str, str]]:
    """The licence records of the illustrations a design shows (one per illustration)."""
    return [info(n) for n in dict.fromkeys(names_)]


def svg_document(name: str, size: int | None = None) -> str:
    icon = _icon(name)
    dims = f' width="{size}" height="{size}"' if size else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"{dims} '
        f'viewBox="0 0 {icon["width"]} {icon["height"]}">{icon["body"]}</svg>'
    )


def svg_fragment(name: str, x: float, y: float, size: float, uid: str, opacity: float = 1.0) -> str:
    """The illustration as a nested <svg> placed at x, y (size x size), its ids prefixed with ``uid``."""
    icon = _icon(name)
    body = icon["body"]
    for old in set(_ID.findall(body)):
        new = f"{uid}-{old}"
        body = body.replace(f'id="{old}"', f'id="{new}"').replace(f"url(#{old})", f"url(#{new})")
        body = body.replace(f'href="#{old}"', f'href="#{new}"')
    op = f' opacity="{opacity:.3f}"' if opacity < 1 else ""
    return (
        f'<svg x="{x:.2f}" y="{y:.2f}" width="{size:.2f}" height="{size:.2f}" '
        f'viewBox="0 0 {icon["width"]} {icon["height"]}"{op}>{body}</svg>'
    )


@functools.lru_cache(maxsize=64)
def render_art(name: str, size: int) -> Image.Image:
    """The illustration as an RGBA Pillow image, ``size`` x ``size`` pixels."""
    from PIL import Image

    try:
        import resvg_py
    except ImportError:
        raise BackendError(
            "The design engine rasterises illustrations with resvg: pip install resvg-py==0.5.0", code="resvg_missing"
        ) from None
    png = resvg_py.svg_to_bytes(svg_string=svg_document(name), width=size, height=size, skip_system_fonts=True)
    image = Image.open(io.BytesIO(bytes(png)))
    image.load()
    return image.convert("RGBA")
