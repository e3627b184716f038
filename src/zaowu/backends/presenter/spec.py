"""What a presenter clip may ask for, every field bounded: the banner, the background, subtitles, the
music bed, the frame rate, and the limits on the portrait and the script. Standard library + Pydantic only."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...errors import InvalidRequest

__all__ = [
    "MAX_PORTRAIT_BYTES",
    "MAX_RECORDING_BYTES",
    "MAX_SCRIPT_CHARS",
    "MAX_SPEECH_SECONDS",
    "MIN_PORTRAIT_SIDE",
    "PresenterOptions",
    "validate_options",
]

MAX_SCRIPT_CHARS = 2000
"""The longest script one presenter clip may speak (about 5-7 minutes of speech)."""
MAX_SPEECH_SECONDS = 600.0
"""The longest speech (synthesised or recorded) one clip may carry."""
MIN_PORTRAIT_SIDE = 256
"""A portrait's short side must have at least this many pixels (smaller faces cannot be animated cleanly)."""
MAX_PORTRAIT_BYTES = 10 << 20
"""The largest portrait file accepted."""
MAX_BACKGROUND_CHARS = 8 << 20
"""The longest base64 text of a background picture (about 6 MB of image)."""
MAX_RECORDING_BYTES = 64 << 20
"""The largest voice recording accepted (a WAV: about 6 minutes of 48 kHz stereo 16-bit)."""


class PresenterOptions(BaseModel):
    """How the clip looks; every field optional."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=60, description="the lower-third banner's text (empty: no banner)")
    title: str = Field("", max_length=80, description="a second, smaller banner line (a role, a shop)")
    background: Literal["blur", "colour", "image"] = Field(
        "blur",
        description="'blur': the portrait's own scene, blurred; 'colour': a plain background_colour; "
        "'image': background_image",
    )
    background_colour: str = Field("#1f2a44", pattern=r"^#[0-9a-fA-F]{6}$")
    background_image: str | None = Field(
        None,
        max_length=MAX_BACKGROUND_CHARS,
        description="the picture behind the host (background 'image'): base64 or a data: URL of a PNG/JPEG/WebP",
    )
    banner_colour: str = Field("#c8102e", pattern=r"^#[0-9a-fA-F]{6}$")
    subtitles: Literal["soft", "burned", "both", "none"] = "both"
    music: dict[str, Any] | None = Field(None, description="a music plan for the composer, or none for no music bed")
    music_volume: float = Field(0.25, ge=0.0, le=1.0)
    voice: str | None = Field(None, max_length=64, description="the voice that speaks the script (None: by language)")
    fps: Literal[24, 25, 30] = 25


def _check_background(options: PresenterOptions, param: str) -> PresenterOptions:
    if options.background == "image" and not options.background_image:
        raise InvalidRequest(
            f"'{param}.background' is 'image': give '{param}.background_image' (base64 or a data: URL).",
            param=f"{param}.background_image",
        )
    return options


def validate_options(data: dict[str, Any] | PresenterOptions | None, param: str = "presenter") -> PresenterOptions:
    """PresenterOptions from a dict; a bad one raises InvalidRequest naming the field (``presenter.fps``)."""
    if isinstance(data, PresenterOptions):
        return data
    try:
        options = PresenterOptions.model_validate(data or {})
    except ValidationError as exc:
        raise InvalidRequest.from_validation(exc, param) from None
    return _check_background(options, param)
