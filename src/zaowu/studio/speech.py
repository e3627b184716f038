"""Speech helpers over a loaded backend, with request validation that names the
bad field. Through the studio (logged, stored as artifacts) use
``studio.generate_media(SpeechRequest(...))``; the Whisper weights come from the
catalog entry ``whisper-base`` (``zaowu models pull whisper-base``)."""

from __future__ import annotations

import logging

from ..backends.base import Progress
from ..types import MediaResult, Modality, ModelSpec, SpeechRequest, TranscriptionRequest
from .music import validated

log = logging.getLogger(__name__)

__all__ = ["speak", "transcribe"]


def speak(
    text: str,
    *,
    voice: str | None = None,
    language: str | None = None,
    speed: float = 1.0,
    format: str = "wav",
    backend=None,
    progress: Progress | None = None,
) -> MediaResult:
    """Synthesise ``text``; bad fields raise InvalidRequest naming them."""
    from ..backends.speech.backend import SpeechBackend

    request = validated(SpeechRequest, input=text, voice=voice, language=language, speed=speed, format=format)
    backend = backend or SpeechBackend(ModelSpec(id="tts", modality=Modality.speech, backend="tts"))
    return backend.generate(request, None, progress)


def transcribe(
    audio: bytes, *, backend, language: str | None = None, format: str = "json", progress: Progress | None = None
) -> MediaResult:
    """Transcribe ``audio`` with a loaded WhisperBackend; bad fields raise InvalidRequest naming them."""
    request = validated(TranscriptionRequest, audio=audio, language=language, format=format)
    return backend.generate(request, None, progress)
