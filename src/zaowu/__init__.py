"""zaowu (造物): a self-hosted AIGC studio.

Importing this package loads no model, no heavy library and reads no
environment; ``Studio`` and ``Settings`` are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["Caller", "Studio", "Settings", "__version__"]

if TYPE_CHECKING:
    from .settings import Settings
    from .studio.engine import Studio
    from .types import Caller


def __getattr__(name: str):
    if name == "Studio":
        from .studio.engine import Studio

        return Studio
    if name == "Caller":  # who runs a generation: studio.chat("hi", who=Caller(name="alice", key_id=...))
        from .types import Caller

        return Caller
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(f"module 'zaowu' has no attribute {name!r}")
