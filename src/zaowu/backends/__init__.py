"""Foundation layer: one module per model family, each a small Backend class.

Backends know nothing of apps, templates or HTTP. Heavy libraries are imported
inside the backend that needs them, when a model is loaded.
"""

from .base import Backend, BackendOptions, EmbeddingBackend, MediaBackend, Progress, TextBackend
from .hookspecs import hookimpl

__all__ = [
    "Backend",
    "BackendOptions",
    "EmbeddingBackend",
    "MediaBackend",
    "Progress",
    "TextBackend",
    "hookimpl",
]
