"""Where video work writes before its outputs are stored: ``data_dir/tmp``, in folders named
``WORK_PREFIX…`` (an edit's pass and its preparation), swept at start when a killed process left them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Studio

__all__ = ["WORK_PREFIX", "work_dir"]

WORK_PREFIX = "video-edit-"  # the temporary folders of edits (and their preparation) in data_dir/tmp


def work_dir(studio: Studio) -> Path:
    """Where a pass writes before its output is stored: inside the data folder, beside the artifacts (room, one disk)."""
    path = Path(studio.settings.data_dir) / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path
