"""The ``storyboard`` video backend: a typed storyboard rendered to an H.264 + AAC MP4.

    spec.py     the ``Storyboard`` model (scenes, camera moves, transitions, voice, music, subtitles), bounded
    motion.py   Ken Burns camera moves and scene transitions on NumPy pictures
    render.py   ``render_storyboard(board, output, seed=...)``: stills, narration, music bed, subtitles,
                streamed into the video editor's encoder; a thumbnail and a spritesheet
    backend.py  the ``storyboard`` media backend (no LLM: the Studio's planner writes the storyboard)

Importing this package imports only ``spec`` (standard library + Pydantic).
"""

from __future__ import annotations

from .spec import Scene, Storyboard, output_size, validate_storyboard

__all__ = ["Scene", "Storyboard", "output_size", "validate_storyboard"]
