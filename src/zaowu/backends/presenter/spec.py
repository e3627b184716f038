"""What a presenter clip may ask for, every field bounded: the banner, the background, subtitles, the
music bed, the frame rate, and the limits on the portrait and the script. Standard library + Pydantic only."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from ...errors import InvalidRequest

__all__ = [
    "MAX_PORTRAIT_BYTES",
    "MAX_RECORDING_BYTES",
    "MAX_SCRIPT_CHARS",
    "MAX_SPEECH_SECONDS",
    "MAX_PANELS",
    "MIN_PORTRAIT_SIDE",
    "Panel",
    "check_panels",
    "panel_from_line",
    "PresenterOptions",
    "SceneBackground",
    "is_artifact_id",
    "paragraphs",
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


MAX_PANELS = 20
"""Panels one clip may show (one per paragraph of the script)."""
ARTIFACT_ID = re.compile(r"^art_[0-9a-f]{22}$")


def is_artifact_id(text: str | None) -> bool:
    """Whether ``text`` is an artifact id (``art_`` + 22 hex digits; '_' is not base64, so never a picture's text)."""
    return bool(text) and ARTIFACT_ID.match(str(text)) is not None


def paragraphs(script: str) -> list[str]:
    """The script's paragraphs: its non-empty lines (a blank line between paragraphs is allowed too)."""
    return [line.strip() for line in script.splitlines() if line.strip()]


Bullet = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class Panel(BaseModel):
    """A slide beside the host while one paragraph of the script is spoken: a title, a few points, a picture."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=60)
    bullets: list[Bullet] = Field(default_factory=list, max_length=6)
    image: str | None = Field(None, max_length=64, description="an image artifact id (an upload or a design)")

    @model_validator(mode="after")
    def _something(self) -> Panel:
        if not (self.title.strip() or self.bullets or self.image):
            raise ValueError("a panel needs a title, bullets or an image")
        if self.image is not None and not is_artifact_id(self.image):
            raise ValueError("'image' must be an image artifact's id (art_…): upload the picture first")
        return self


class SceneBackground(BaseModel):
    """A design-engine scene behind the host: its gradient and motifs (no text), chosen by these or the seed."""

    model_config = ConfigDict(extra="forbid")

    palette: str | None = None
    category: str | None = None
    occasion: str | None = None
    mood: str | None = None
    motifs: list[str] | None = Field(None, max_length=3)
    background_color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")
    accent_color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")


class PresenterOptions(BaseModel):
    """How the clip looks; every field optional."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=60, description="the lower-third banner's text (empty: no banner)")
    title: str = Field("", max_length=80, description="a second, smaller banner line (a role, a shop)")
    background: Literal["blur", "colour", "image", "scene"] = Field(
        "blur",
        description="'blur': the portrait's own scene, blurred; 'colour': a plain background_colour; "
        "'image': background_image; 'scene': a design-engine scene (``scene``)",
    )
    background_colour: str = Field("#1f2a44", pattern=r"^#[0-9a-fA-F]{6}$")
    background_image: str | None = Field(
        None,
        max_length=MAX_BACKGROUND_CHARS,
        description="the picture behind the host (background 'image'): an image artifact id, or base64 or a "
        "data: URL of a PNG/JPEG/WebP (an interface stores it and keeps the id)",
    )
    scene: SceneBackground | None = Field(None, description="the design-engine scene (background 'scene')")
    panels: list[Panel | None] = Field(
        default_factory=list,
        max_length=MAX_PANELS,
        description="panel i shows beside the host while paragraph i (line i) of the script is spoken; "
        "null keeps the one before",
    )
    banner_colour: str = Field("#c8102e", pattern=r"^#[0-9a-fA-F]{6}$")
    subtitles: Literal["soft", "burned", "both", "none"] = "both"
    music: dict[str, Any] | None = Field(None, description="a music plan for the composer, or none for no music bed")
    music_volume: float = Field(0.25, ge=0.0, le=1.0)
    voice: str | None = Field(None, max_length=64, description="the voice that speaks the script (None: by language)")
    recording: str | None = Field(
        None,
        pattern=r"^art_[0-9a-f]{22}$",
        description="an uploaded voice recording (a WAV artifact id) spoken instead of the script; interfaces "
        "store an 'audio' upload and name it here",
    )
    fps: Literal[24, 25, 30] = 25
    avatar: Any = Field(
        None,
        description="instead of a portrait photo, a designed avatar (model 'avatar') drawn for the clip: a "
        "description ('短发女主播，蓝色衬衫', 'long brown hair, glasses, navy suit') or the avatar's fields "
        "(hair, hair_colour, skin, outfit, ...); the video's seed picks what it leaves out",
    )


MAX_AVATAR_CHARS = 300


def _check_avatar(options: PresenterOptions, param: str) -> None:
    """``avatar`` is a description (1-300 characters) or an avatar spec (400s name ``presenter.avatar.*``)."""
    avatar = options.avatar
    if avatar is None:
        return
    if isinstance(avatar, str):
        options.avatar = " ".join(avatar.split())
        if not 0 < len(options.avatar) <= MAX_AVATAR_CHARS:
            raise InvalidRequest(
                f"'{param}.avatar' must describe the host in 1-{MAX_AVATAR_CHARS} characters "
                "(e.g. 'short black hair, navy suit').",
                param=f"{param}.avatar",
            )
    elif isinstance(avatar, dict):
        from ..design.avatar import validate_avatar

        options.avatar = validate_avatar(avatar, f"{param}.avatar").model_dump(exclude_none=True)
    else:
        raise InvalidRequest(
            f"'{param}.avatar' must be a description (text) or an object of avatar fields (hair, skin, outfit, ...).",
            param=f"{param}.avatar",
        )


def _check_background(options: PresenterOptions, param: str) -> PresenterOptions:
    if options.background == "image" and not options.background_image:
        raise InvalidRequest(
            f"'{param}.background' is 'image': give '{param}.background_image' (an image artifact id, base64 "
            "or a data: URL).",
            param=f"{param}.background_image",
        )
    if options.scene is not None:
        from ..design.spec import validate_spec

        try:
            validate_spec({"headline": "·", **options.scene.model_dump(exclude_none=True)})
        except InvalidRequest as exc:
            field = (exc.param or "spec").removeprefix("spec.")
            field = "" if field == "spec" else field
            message = str(exc).replace("design spec: spec: Value error, ", "design spec: ")
            raise InvalidRequest(
                message.replace("design spec", f"'{param}.scene'"), param=f"{param}.scene" + (f".{field}" * bool(field))
            ) from None
    return options


def panel_from_line(line: str) -> dict[str, Any] | None:
    """A text-only panel from one line 'Title: point; point' ('标题：要点；要点'); a line of '-' is no panel."""
    line = line.strip()
    if not line or line == "-":
        return None
    title, sep, rest = re.split(r"([:：])", line, maxsplit=1) if re.search(r"[:：]", line) else (line, "", "")
    bullets = [b.strip() for b in re.split(r"[;；]", rest) if b.strip()] if sep else []
    return {"title": title.strip(), "bullets": bullets}


def check_panels(options: PresenterOptions, script: str, param: str = "presenter") -> None:
    """Panels go with the script's paragraphs: no more panels than paragraphs (a 400 naming ``panels``)."""
    count = len(paragraphs(script))
    if len(options.panels) > count:
        raise InvalidRequest(
            f"'{param}.panels' has {len(options.panels)} panels but the script has {count} paragraph(s); "
            "give one panel per paragraph (put each paragraph on its own line) or fewer panels.",
            param=f"{param}.panels",
        )


def validate_options(data: dict[str, Any] | PresenterOptions | None, param: str = "presenter") -> PresenterOptions:
    """PresenterOptions from a dict; a bad one raises InvalidRequest naming the field (``presenter.fps``)."""
    if isinstance(data, PresenterOptions):
        return data
    try:
        options = PresenterOptions.model_validate(data or {})
    except ValidationError as exc:
        raise InvalidRequest.from_validation(exc, param) from None
    _check_avatar(options, param)
    return _check_background(options, param)
