"""The storyboard: what a short video says and shows, scene by scene, with every field bounded.

A storyboard is the contract between the planner (an LLM writing JSON through a schema) and the
renderer. A scene's visual is a design spec (rendered by the design engine, in layers that move apart
or under one camera move: ``animation``), possibly over a ``background`` picture (painted by an image model
from ``image_prompt``), or an image file; its narration is spoken, and the scene lasts as long as its
narration (at least ``duration``).
This module imports only the standard library and Pydantic.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ...errors import InvalidRequest

__all__ = [
    "ANIMATIONS",
    "ASPECTS",
    "CAMERA_MOVES",
    "MAX_SCENES",
    "RESOLUTIONS",
    "TRANSITIONS",
    "Scene",
    "Storyboard",
    "output_size",
    "validate_storyboard",
]

MAX_SCENES = 40
"""Scenes one storyboard may hold."""
MAX_SCENE_SECONDS = 30.0
"""The longest duration hint of one scene (its narration may make it longer, up to MAX_NARRATION_SECONDS)."""
MAX_NARRATION_SECONDS = 45.0
"""The longest narration one scene may carry once synthesised."""
MIN_SCENE_SECONDS = 0.5
MAX_NARRATION_CHARS = 400
MAX_TEXT_CHARS = 80
MAX_TRANSITION_SECONDS = 2.0

ASPECTS = ("9:16", "16:9", "1:1")
RESOLUTIONS = {"360p": 360, "720p": 720, "1080p": 1080}
"""Short side in pixels per resolution ("360p" is a quick preview size)."""
CAMERA_MOVES = (
    "none",
    "zoom_in",
    "zoom_out",
    "pan_left",
    "pan_right",
    "pan_up",
    "pan_down",
    "zoom_in_left",
    "zoom_in_right",
)
TRANSITIONS = ("cut", "crossfade", "slide", "wipe")
ANIMATIONS = ("auto", "camera", "layered")
"""How a scene moves: ``layered`` (a design's background, product, text and icons each with their own motion),
``camera`` (the whole picture under one camera move) or ``auto`` (layered for a design, camera for an image)."""
MAX_IMAGE_PROMPT_CHARS = 1000

CameraMove = Literal[
    "none", "zoom_in", "zoom_out", "pan_left", "pan_right", "pan_up", "pan_down", "zoom_in_left", "zoom_in_right"
]
Transition = Literal["cut", "crossfade", "slide", "wipe"]
Animation = Literal["auto", "camera", "layered"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scene(_Strict):
    """One shot: what is said, what is shown, how the camera moves and how it enters."""

    narration: str = Field("", max_length=MAX_NARRATION_CHARS, description="spoken text (may be empty)")
    text: str | None = Field(None, max_length=MAX_TEXT_CHARS, description="on-screen text")
    visual: dict[str, Any] | None = Field(None, description="a design spec (kind, headline, palette…)")
    image: str | None = Field(
        None,
        max_length=1000,
        description="an image artifact id: the whole picture, or with a product_card visual the product cut out on it",
    )
    duration: float = Field(3.0, ge=MIN_SCENE_SECONDS, le=MAX_SCENE_SECONDS, description="seconds at least")
    image_prompt: str | None = Field(
        None,
        max_length=MAX_IMAGE_PROMPT_CHARS,
        description="a picture for the background, painted by the request's image_model; the design's text goes on it",
    )
    background: str | None = Field(
        None,
        max_length=1000,
        description="an image artifact id shown behind the design's text (the Studio sets it from image_prompt)",
    )
    camera: CameraMove = Field("zoom_in", description="the camera move (of the background, in a layered scene)")
    animation: Animation = Field("auto", description="layered, camera, or auto (layered for a design)")
    transition: Transition = Field("crossfade", description="how this scene enters from the one before")
    transition_seconds: float = Field(0.5, ge=0.0, le=MAX_TRANSITION_SECONDS)
    language: Literal["zh", "en"] | None = Field(None, description="narration language (default: the board's)")

    @model_validator(mode="after")
    def _one_visual(self) -> Scene:
        if self.visual is not None and self.image is not None and self.visual.get("kind") != "product_card":
            raise ValueError(
                "give 'visual' (a design spec) or 'image', not both; or a 'product_card' visual, "
                "on which the image is cut out and placed"
            )
        if self.background is not None and self.image is not None and self.visual is None:
            raise ValueError("give 'image' (the whole picture) or 'background' (a picture behind the text), not both")
        if self.visual is None and self.image is None and not (self.text or self.narration).strip():
            raise ValueError("a scene needs a visual, an image, on-screen text or narration")
        return self


class Storyboard(_Strict):
    """A whole clip."""

    title: str = Field("", max_length=120)
    aspect: Literal["9:16", "16:9", "1:1"] = "9:16"
    resolution: Literal["360p", "720p", "1080p"] = "720p"
    fps: Literal[24, 25, 30] = 30
    language: Literal["zh", "en"] = "en"
    voice: str | None = Field(None, max_length=64)
    music: dict[str, Any] | None = Field(None, description="a music plan for the composer, or none for no music bed")
    music_volume: float = Field(0.35, ge=0.0, le=1.0, description="music level without speech")
    duck: float = Field(0.25, ge=0.0, le=1.0, description="music level under speech, as a share of music_volume")
    subtitles: Literal["soft", "burned", "both", "none"] = "soft"
    scenes: list[Scene] = Field(min_length=1, max_length=MAX_SCENES)

    @property
    def size(self) -> tuple[int, int]:
        return output_size(self.aspect, self.resolution)


def output_size(aspect: str, resolution: str) -> tuple[int, int]:
    """(width, height) for an aspect and a resolution, both even."""
    short = RESOLUTIONS[resolution]
    a, b = (int(x) for x in aspect.split(":"))
    if a == b:
        return short, short
    long = round(short * max(a, b) / min(a, b) / 2) * 2
    return (long, short) if a > b else (short, long)


def validate_storyboard(data: dict[str, Any] | Storyboard, param: str = "storyboard") -> Storyboard:
    """A Storyboard from a dict; a bad one raises InvalidRequest naming the field (``storyboard.scenes.0.camera``)."""
    if isinstance(data, Storyboard):
        return data
    if not isinstance(data, dict):
        raise InvalidRequest(f"'{param}' must be a JSON object.", param=param)
    try:
        board = Storyboard.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        field = f"{param}.{where}" if where else param
        raise InvalidRequest(f"Invalid storyboard: '{field}': {err['msg']}.", param=field) from None
    for i, scene in enumerate(board.scenes):
        if scene.visual is not None:
            from ..design.spec import validate_spec

            try:
                validate_spec(scene.visual)
            except InvalidRequest as exc:
                sub = (exc.param or "spec").removeprefix("spec")
                raise InvalidRequest(
                    f"Invalid storyboard: scene {i}'s visual: {exc}", param=f"{param}.scenes.{i}.visual{sub}"
                ) from None
    return board
