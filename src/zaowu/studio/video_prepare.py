"""Preparing a video edit before it runs (subtitles transcribed, styles from text, ...).

``prepare_edit`` is called by ``Studio.edit_video`` after the edit is parsed and before the pass
runs; it may return a changed edit (operations filled in from models). This version passes the edit
through unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..backends.video.ops import VideoEdit
    from ..types import Caller
    from .engine import Studio

__all__ = ["prepare_edit"]


def prepare_edit(studio: Studio, edit: VideoEdit, inputs: list[Any], who: Caller) -> VideoEdit:
    """The edit to run for ``who`` on ``inputs``: here, ``edit`` itself."""
    return edit
