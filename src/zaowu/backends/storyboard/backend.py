"""The ``storyboard`` video backend: renders the request's storyboard (written by the Studio's planner, or
given) to an MP4 (handed to the Studio as a file, moved into the store), with its thumbnail, spritesheet
and SRT as attachments. It knows nothing of the LLM
or of speech models: narration arrives as WAVs in the request."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel

from ...errors import InvalidRequest
from ...hookspecs import hookimpl
from ...types import Media, MediaResult, Modality, VideoRequest
from ..base import MediaBackend, Progress, output_dir

if TYPE_CHECKING:
    from .render import StoryResult
    from .spec import Storyboard

__all__ = ["StoryboardBackend"]


class StoryboardBackend(MediaBackend):
    id = "storyboard"
    modality = Modality.video
    description = "zaowu's storyboard renderer: stills in motion, narration, music bed, subtitles (H.264 + AAC)"
    licence = "Apache-2.0; FFmpeg bundled by PyAV"
    formats: ClassVar[tuple[str, ...]] = ("mp4",)

    def generate(self, request: BaseModel, seed: int | None, progress: Progress | None = None) -> MediaResult:
        from .render import render_storyboard
        from .spec import validate_storyboard

        request = self._expect(request, VideoRequest, "storyboard")
        if request.storyboard is None:
            raise InvalidRequest("Give a storyboard (or run through the Studio, which plans one).", param="storyboard")
        board = validate_storyboard(request.storyboard)
        seed = seed if seed is not None else random.randrange(2**31)
        started = time.perf_counter()
        folder = Path(output_dir())
        try:
            result = render_storyboard(
                board,
                folder / "video.mp4",
                seed=seed,
                narration=request.narration,
                images=request.images,
                progress=progress,
            )
            video = _video(result, board)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        for extra in (result.thumbnail, result.spritesheet, result.srt, result.vtt):
            if extra is not None:
                extra.unlink(missing_ok=True)  # read into the attachments: the folder keeps the video only
        return MediaResult(
            media=[video],
            model=self.model.id,
            seed=seed,
            usage={
                "media_seconds": round(result.duration, 3),
                "processing_seconds": round(time.perf_counter() - started, 3),
            },
        )


def _video(result: StoryResult, board: Storyboard) -> Media:
    """The rendered MP4 as a Media given by path (the Studio moves it into the store, never reading it whole),
    its small files (thumbnail, spritesheet, SRT) as attachments."""
    meta = {
        "duration": round(result.duration, 3),
        "width": result.width,
        "height": result.height,
        "fps": result.fps,
        "frames": result.frames,
        "scenes": result.scenes,
        "storyboard": board.model_dump(mode="json"),
    }
    attachments = {
        "thumbnail": Media(data=result.thumbnail.read_bytes(), mime="image/png", meta={"kind": "thumbnail"}),
        "spritesheet": Media(data=result.spritesheet.read_bytes(), mime="image/png", meta={"kind": "spritesheet"}),
    }
    if result.srt is not None:
        attachments["srt"] = Media(data=result.srt.read_bytes(), mime="application/x-subrip", meta={"kind": "srt"})
    return Media(path=str(result.path), mime="video/mp4", meta=meta, attachments=attachments)


@hookimpl
def register_backends(register):
    register(StoryboardBackend)
