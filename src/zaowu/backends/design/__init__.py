"""zaowu's offline design engine: posters, logos, banners, social posts, product
cards and storefront headers from a ``DesignSpec``, rendered with real fonts and
a real icon set by zaowu's own layout engine.

    spec.py    the DesignSpec model, sizes, and the JSON schema the LLM fills (light)
    fonts.py   Debian fonts, per-character fallback, tofu detection
    layout.py  measuring, wrapping, shrink-to-fit, WCAG contrast
    icons.py   Lucide icons (ISC), rasterised with resvg
    motifs.py  decorative geometric motifs
    scene.py   vector items painted to pixels or written as SVG
    render.py  layouts per kind, colour choice, encoding
    backend.py the ``design`` image backend

Importing this package imports only ``spec`` (standard library + Pydantic).
"""

from __future__ import annotations

from .spec import DesignSpec, llm_schema, parse_size, resolve, validate_spec

__all__ = ["DesignSpec", "llm_schema", "parse_size", "resolve", "validate_spec"]
