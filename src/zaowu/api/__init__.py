"""HTTP delivery: OpenAI-compatible API over the Studio (no business logic here)."""

from .app import create_app

__all__ = ["create_app"]
