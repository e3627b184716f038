"""The backends the plugins registered, by id, each checked to implement what it declares."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pluggy

from ..errors import InvalidRequest

if TYPE_CHECKING:
    from .base import Backend

log = logging.getLogger(__name__)


class BackendRegistry:
    def __init__(self, pm: pluggy.PluginManager):
        self._classes: dict[str, type[Backend]] = {}

        def register(cls: type[Backend]) -> None:
            _check_declarations(cls)
            if cls.id in self._classes and self._classes[cls.id] is not cls:
                log.warning("backend %r registered twice; keeping %r", cls.id, cls)
            self._classes[cls.id] = cls

        pm.hook.register_backends(register=register)

    def get(self, backend_id: str) -> type[Backend]:
        try:
            return self._classes[backend_id]
        except KeyError:
            known = ", ".join(sorted(self._classes))
            raise InvalidRequest(
                f"No backend named '{backend_id}'. Installed backends: {known}. Install the plugin that provides it.",
                param="backend",
            ) from None

    def all(self) -> dict[str, type[Backend]]:
        return dict(self._classes)


def _check_declarations(cls: type[Backend]) -> None:
    """A backend's declared capabilities match what it implements (a plugin's mistake shows at start)."""
    from .base import MediaBackend

    if issubclass(cls, MediaBackend) and cls.can_stream and cls.stream is MediaBackend.stream:
        raise TypeError(f"backend {cls.__name__} ('{cls.id}') declares can_stream but has no stream() method")
