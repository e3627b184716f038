"""The ``presenter`` video backend: the request's portrait (the file ``images["portrait"]``, which the Studio's
planner resolves from ``input_reference``) speaking its speech (``narration[0]``, a WAV the Studio synthesised
from the script in ``prompt``, or a recording) as an MP4,
with its thumbnail and SRT as attachments. It knows nothing of speech models or of the LLM."""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from ...errors import InvalidRequest
from ...hookspecs import hookimpl
from ...types import Media, MediaResult, Modality, VideoRequest
from ..base import MediaBackend, Progress
from .spec import MAX_SCRIPT_CHARS, validate_options

__all__ = ["PresenterBackend", "check_script", "presenter_size"]


def check_script(script: str) -> None:
    """A script within ``MAX_SCRIPT_CHARS``, else a 400 naming ``prompt`` (the script's field)."""
    if len(script) > MAX_SCRIPT_CHARS:
        raise InvalidRequest(
            f"The script is {len(script)} characters; the limit is {MAX_SCRIPT_CHARS}. Split it into several clips.",
            param="prompt",
        )


def presenter_size(size: str) -> tuple[int, int]:
    """(width, height) of a request's ``size`` (9:16, 16:9 or 1:1 at 360, 720 or 1080)."""
    import re

    from ..storyboard.spec import RESOLUTIONS, output_size

    m = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", size or "")
    if not m:
        raise InvalidRequest(f"'size' {size!r} is not WIDTHxHEIGHT (e.g. 720x1280 or 1280x720).", param="size")
    w, h = int(m[1]), int(m[2])
    aspect = "1:1" if abs(w / h - 1) < 0.1 else ("16:9" if w > h else "9:16")
    short = min(w, h)
    resolution = min(RESOLUTIONS, key=lambda r: abs(RESOLUTIONS[r] - short))
    return output_size(aspect, resolution)


class PresenterBackend(MediaBackend):
    id = "presenter"
    modality = Modality.video
    description = "zaowu's presenter: a portrait animated from face landmarks speaking its script (H.264 + AAC)"
    licence = "Apache-2.0; mediapipe face mesh (Apache-2.0); FFmpeg bundled by PyAV; espeak-ng (GPL) run as a program"
    formats: ClassVar[tuple[str, ...]] = ("mp4",)

    def generate(self, request: BaseModel, seed: int | None, progress: Progress | None = None) -> MediaResult:
        from .render import render_presenter

        request = self._expect(request, VideoRequest, "presenter")
        portrait = (request.images or {}).get("portrait")
        if portrait is None:
            raise InvalidRequest(
                "The presenter needs a portrait: give 'input_reference' (a photo with one face).",
                param="input_reference",
            )
        check_script(request.prompt)
        if not request.narration or request.narration[0] is None:
            raise InvalidRequest(
                "Give the speech (or run through the Studio, which speaks the script).", param="prompt"
            )
        options = validate_options(request.presenter)
        seed = seed if seed is not None else random.randrange(2**31)
        size = presenter_size(request.size)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="zaowu-presenter-") as tmp:
            result = render_presenter(
                Path(portrait).read_bytes(),
                request.narration[0],
                Path(tmp) / "video.mp4",
                script=request.prompt,
                language=request.language,
                size=size,
                options=options,
                seed=seed,
                progress=progress,
                pictures={k: Path(v) for k, v in (request.images or {}).items() if k != "portrait"},
            )
            meta = {
                "duration": round(result.duration, 3),
                "speech_duration": round(result.speech_seconds, 3),
                "width": result.width,
                "height": result.height,
                "fps": result.fps,
                "frames": result.frames,
                "faces": result.faces,
                "mouth": result.phonemes,
                "subtitles": result.subtitles,
                "presenter": options.model_dump(mode="json"),
            }
            attachments = {
                "thumbnail": Media(data=result.thumbnail.read_bytes(), mime="image/png", meta={"kind": "thumbnail"})
            }
            if result.srt is not None:
                attachments["srt"] = Media(
                    data=result.srt.read_bytes(), mime="application/x-subrip", meta={"kind": "srt"}
                )
            video = Media(data=result.path.read_bytes(), mime="video/mp4", meta=meta, attachments=attachments)
        return MediaResult(
            media=[video],
            model=self.model.id,
            seed=seed,
            usage={
                "media_seconds": round(result.duration, 3),
                "processing_seconds": round(time.perf_counter() - started, 3),
            },
        )


@hookimpl
def register_backends(register):
    register(PresenterBackend)
