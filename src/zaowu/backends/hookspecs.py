"""Re-export of the plugin markers for backend modules (see zaowu/hookspecs.py)."""

from ..hookspecs import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec"]
