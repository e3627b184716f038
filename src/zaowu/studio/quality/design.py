"""Design checks as ``Check`` records: icon, palette and art fit the request's category, the offer is
the hero, no call to action on covers, no platform name as headline or brand, text contrast.

    checks = design_checks(spec, "双11女装全场低至3折")    # composes the spec at a small size to measure it

The measuring lives with the design engine (``zaowu.backends.design.audit``); this module gives the
bench and the apps the shared ``Check`` record. Imports nothing heavy until called.
"""

from __future__ import annotations

from typing import Any

from .checks import Check

__all__ = ["CHECK_WIDTH", "design_checks", "variant_checks"]

CHECK_WIDTH = 540  # pixels: designs are composed this wide to be measured (layout scales with the canvas)


def _composed(spec: Any, design: Any = None, seed: int = 0):
    if design is not None:
        return design
    from ...backends.design.render import compose
    from ...backends.design.spec import _RATIOS, DEFAULT_SIZE, validate_spec

    spec = validate_spec(spec)
    rw, rh = _RATIOS[DEFAULT_SIZE[spec.kind]]
    return compose(spec, CHECK_WIDTH, round(CHECK_WIDTH * rh / rw), seed)


def design_checks(spec: Any, request_text: str | None = None, *, design: Any = None, seed: int = 0) -> list[Check]:
    """The design checks of ``spec`` (a DesignSpec or its dict) against the request it was made for.
    ``design``: an already composed ``render.Design`` to measure instead of composing the spec."""
    from ...backends.design.audit import audit

    return [Check(**c) for c in audit(_composed(spec, design, seed), request_text)]


def variant_checks(specs: list[Any], *, seed: int = 0) -> Check:
    """Whether design variants differ in layout, palette or art and in their pixels."""
    from ...backends.design.audit import compare_variants

    designs = [_composed(s, None, seed + i) for i, s in enumerate(specs)]
    return Check(**compare_variants(designs, [d.image() for d in designs]))
