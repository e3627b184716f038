"""The operations of a video edit: pydantic models, one per ``op``, in a union discriminated on ``op``.

Operations run in the order given, in one pass; times are seconds of the stream *as it is at that
operation* (after the trims, cuts and speed changes before it). Other files an operation needs (a
soundtrack, a mask, a background picture) are named ``asset`` s: the caller hands the files over by
name, so an edit from a client never names a path on the server.

Every field is bounded; :func:`parse_edit` turns a ValidationError into an InvalidRequest naming
the field, e.g. ``operations.2.factor``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from ...errors import InvalidRequest

__all__ = [
    "MAX_OPERATIONS",
    "TIME_OPS",
    "AudioOp",
    "ConcatOp",
    "CropOp",
    "CutOp",
    "EditCheck",
    "FadeOp",
    "FpsOp",
    "MatteOp",
    "MuteOp",
    "Operation",
    "RemoveOp",
    "ResizeOp",
    "RotateOp",
    "SpeedOp",
    "StyleOp",
    "SubtitleSegment",
    "SubtitlesOp",
    "TrackOp",
    "TrimOp",
    "VideoEdit",
    "parse_edit",
]

MAX_OPERATIONS = 32
"""Operations one edit may hold."""
MAX_SIDE = 8192
"""Largest width or height an operation may ask for."""
MAX_STYLE_PROMPT = 300
"""Characters a style prompt may hold."""
MAX_SEGMENTS = 2000
"""Subtitle segments one subtitles operation may hold."""
MAX_SEGMENT_CHARS = 300
"""Characters one subtitle segment may hold."""
MAX_SCENE_PROMPT = 1000
"""Characters a matte's scene prompt may hold."""
MAX_SCENE_SPEC = 20_000
"""Characters of JSON a matte's scene design spec may hold."""
MAX_TIME = 86_400.0
"""Largest time (seconds) a field may hold; the video's own length is checked when the edit is planned."""

Seconds = Annotated[float, Field(ge=0, le=MAX_TIME)]
Side = Annotated[int, Field(ge=2, le=MAX_SIDE)]
Coord = Annotated[int, Field(ge=0, le=MAX_SIDE)]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", description="#rrggbb")]
AssetName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrimOp(_Op):
    """Keep [start, end)."""

    op: Literal["trim"]
    start: Seconds = 0.0
    end: Seconds | None = Field(None, description="default: the end of the video")

    @model_validator(mode="after")
    def _order(self):
        if self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class CutOp(_Op):
    """Remove [start, end)."""

    op: Literal["cut"]
    start: Seconds
    end: Seconds

    @model_validator(mode="after")
    def _order(self):
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class ConcatOp(_Op):
    """Join the inputs in ``order`` (default: as given). Inputs whose size or rate differ from the first's
    are fitted to it (``fit``) and resampled to its frame rate. Must be the first operation."""

    op: Literal["concat"]
    order: list[Annotated[int, Field(ge=0, le=255)]] | None = Field(None, min_length=1, max_length=256)
    fit: Literal["pad", "crop", "stretch"] = "pad"


class CropOp(_Op):
    op: Literal["crop"]
    x: Coord = 0
    y: Coord = 0
    width: Side
    height: Side


class ResizeOp(_Op):
    """Scale to ``width`` x ``height`` (one of them: keep the aspect), or to an ``aspect`` such as 9:16 at the
    current size; ``fit`` says how the picture fills a different aspect."""

    op: Literal["resize"]
    width: Side | None = None
    height: Side | None = None
    aspect: Annotated[str, Field(pattern=r"^\d{1,3}:\d{1,3}$")] | None = None
    fit: Literal["pad", "crop", "stretch"] = "pad"
    color: Color = "#000000"

    @model_validator(mode="after")
    def _some_size(self):
        if self.width is None and self.height is None and self.aspect is None:
            raise ValueError("give width, height or aspect")
        if self.aspect is not None and "0" in self.aspect.split(":"):
            raise ValueError("aspect sides must be positive, e.g. 16:9")
        return self


class SpeedOp(_Op):
    """Play ``factor`` times faster (0.5: slow motion); the frame rate stays; audio keeps its pitch."""

    op: Literal["speed"]
    factor: float = Field(ge=0.25, le=4.0)


class FpsOp(_Op):
    op: Literal["fps"]
    fps: float = Field(ge=1, le=120)


class RotateOp(_Op):
    op: Literal["rotate"]
    angle: Literal[0, 90, 180, 270] = 90
    flip: Literal["none", "horizontal", "vertical"] = "none"


class MuteOp(_Op):
    op: Literal["mute"]


class AudioOp(_Op):
    """Replace the soundtrack with an asset, or mix the asset under it."""

    op: Literal["audio"]
    asset: AssetName
    mode: Literal["replace", "mix"] = "replace"
    volume: float = Field(1.0, ge=0, le=4)
    loop: bool = True


class FadeOp(_Op):
    """Fade picture and sound in from / out to a colour."""

    op: Literal["fade"]
    fade_in: Seconds = 0.0
    fade_out: Seconds = 0.0
    color: Color = "#000000"


Box = Annotated[list[Annotated[int, Field(ge=0, le=MAX_SIDE)]], Field(min_length=4, max_length=4)]
Point = Annotated[list[Annotated[int, Field(ge=0, le=MAX_SIDE)]], Field(min_length=2, max_length=2)]


class _Target(_Op):
    box: Box | None = Field(None, description="[x, y, width, height] of the object at time ``at``")
    point: Point | None = Field(None, description="[x, y] on the object at time ``at`` (a box is sized around it)")
    at: Seconds = Field(0.0, description="when the box or point is given; tracking runs from there on")

    def _one_target(self, static_ok: bool = False):
        given = (self.box is not None) + (self.point is not None)
        if given > 1 or (given == 0 and not static_ok):
            raise ValueError("give exactly one of box or point")
        if self.box is not None and (self.box[2] < 4 or self.box[3] < 4):
            raise ValueError("the box must be at least 4x4 pixels")
        return self


class TrackOp(_Op):
    """Follow an object: a box per frame in the result (``tracks``), optionally drawn, blurred or pixelated."""

    op: Literal["track"]
    box: Box | None = _Target.model_fields["box"]
    point: Point | None = _Target.model_fields["point"]
    at: Seconds = _Target.model_fields["at"]
    method: Literal["csrt", "kcf"] = Field("csrt", description="csrt: steadier boxes; kcf: a lighter tracker")
    action: Literal["none", "draw", "blur", "pixelate"] = "none"
    color: Color = "#00ff00"
    name: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(None, description="key in tracks")

    @model_validator(mode="after")
    def _check(self):
        return _Target._one_target(self)  # type: ignore[arg-type]


class RemoveOp(_Op):
    """Make an object disappear: a tracked ``box``/``point``, or static ``rects`` / a mask ``asset`` (a watermark)."""

    op: Literal["remove"]
    box: Box | None = _Target.model_fields["box"]
    point: Point | None = _Target.model_fields["point"]
    at: Seconds = _Target.model_fields["at"]
    rects: list[Box] | None = Field(None, min_length=1, max_length=16, description="static [x, y, w, h] areas")
    mask: AssetName | None = Field(None, description="asset: a picture, white where to remove (static)")
    margin: int = Field(6, ge=0, le=256, description="pixels added around the object")
    lookahead: float = Field(1.0, ge=0, le=5, description="seconds of later frames the background model sees")
    method: Literal["csrt", "kcf"] = Field("csrt", description="csrt: steadier boxes; kcf: a lighter tracker")

    @model_validator(mode="after")
    def _check(self):
        moving = self.box is not None or self.point is not None
        static = self.rects is not None or self.mask is not None
        if moving and static:
            raise ValueError("give either a tracked box/point or static rects/mask, not both")
        if not moving and not static:
            raise ValueError("give a box or point to track, or static rects or a mask")
        return _Target._one_target(self, static_ok=static)  # type: ignore[arg-type]


class StyleOp(_Op):
    """A look applied per frame; every parameter has a neutral default."""

    op: Literal["style"]
    preset: Literal["none", "cartoon", "pencil", "pencil_color", "oil", "stylize"] = "none"
    brightness: float = Field(0.0, ge=-1, le=1)
    contrast: float = Field(1.0, ge=0, le=3)
    saturation: float = Field(1.0, ge=0, le=3)
    temperature: float = Field(0.0, ge=-1, le=1, description="-1 cool … 1 warm")
    tint: float = Field(0.0, ge=-1, le=1, description="-1 green … 1 magenta")
    gamma: float = Field(1.0, ge=0.2, le=5)
    black_and_white: bool = False
    sepia: float = Field(0.0, ge=0, le=1)
    vignette: float = Field(0.0, ge=0, le=1)
    grain: float = Field(0.0, ge=0, le=1)
    seed: int = Field(0, ge=0, le=2**31 - 1, description="film grain pattern")
    prompt: Annotated[str, Field(min_length=1, max_length=MAX_STYLE_PROMPT)] | None = Field(
        None,
        description="the look in words ('warm film look', '复古胶片'): the Studio fills the parameters not given "
        "from it (a keyword table, then the LLM); the engine itself applies only the parameters",
    )

    @property
    def explicit(self) -> set[str]:
        """The look parameters the caller set (not op, prompt or seed)."""
        return set(self.model_fields_set) - {"op", "prompt", "seed"}


class SubtitleSegment(_Op):
    """One caption: shown from ``start`` to ``end`` (seconds of the stream at the subtitles operation)."""

    start: Seconds
    end: Seconds
    text: Annotated[str, Field(min_length=1, max_length=MAX_SEGMENT_CHARS)]

    @model_validator(mode="after")
    def _order(self):
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if not self.text.strip():
            raise ValueError("text must not be blank")
        return self


class SubtitlesOp(_Op):
    """Captions: a soft track (mov_text in an MP4, WebVTT in a WebM), burned into the pictures, or both; SRT and VTT files are
    written beside the output either way. Without ``segments`` the Studio transcribes the audio (Whisper) and,
    with ``translate_to``, translates the lines with the LLM, keeping each segment's timing."""

    op: Literal["subtitles"]
    segments: list[SubtitleSegment] | None = Field(None, min_length=1, max_length=MAX_SEGMENTS)
    mode: Literal["soft", "burn", "both"] = "soft"
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] | None = Field(
        None, description="language of the speech (Whisper detects it when absent) and of the soft track"
    )
    translate_to: Literal["zh", "en"] | None = Field(None, description="translate transcribed lines (Studio)")
    position: Literal["bottom", "top"] = "bottom"
    size: float = Field(0.055, ge=0.02, le=0.15, description="text height as a share of the frame height")
    max_lines: int = Field(2, ge=1, le=4, description="lines per caption (longer text is shortened with …)")
    box: bool = Field(True, description="a translucent box behind burned-in text (an outline is always drawn)")
    color: Color = "#ffffff"

    @model_validator(mode="after")
    def _order(self):
        if self.segments:
            for a, b in zip(self.segments, self.segments[1:], strict=False):
                if b.start < a.start:
                    raise ValueError("segments must be in time order")
        return self

    @property
    def burn(self) -> bool:
        return self.mode in ("burn", "both")

    @property
    def soft(self) -> bool:
        return self.mode in ("soft", "both")


class MatteOp(_Op):
    """Cut out people (mediapipe selfie segmentation) or, given a ``box`` or ``point``, one tracked object
    (GrabCut inside the tracked box), and put them on another background."""

    op: Literal["matte"]
    background: Literal["color", "image", "blur", "transparent", "scene"] = Field(
        "color",
        description="transparent: keep the matte as alpha (format webm, matte the last picture operation); "
        'scene: a design-engine picture the Studio renders from ``scene`` (also written {"scene": ...})',
    )
    color: Color = "#00b140"
    asset: AssetName | None = Field(None, description="background picture (background=image; scene: the rendering)")
    scene: Annotated[str, Field(min_length=1, max_length=MAX_SCENE_PROMPT)] | dict[str, Any] | None = Field(
        None, description="background=scene: a prompt or a design spec for the design engine (Studio)"
    )
    blur: int = Field(25, ge=1, le=201, description="blur strength (background=blur)")
    smooth: float = Field(0.5, ge=0, le=0.95, description="how much of the previous frame's matte is kept")
    box: Box | None = Field(None, description="[x, y, width, height] of an object to cut out at time ``at``")
    point: Point | None = Field(None, description="[x, y] on an object to cut out at time ``at``")
    at: Seconds = _Target.model_fields["at"]
    method: Literal["csrt", "kcf"] = Field("csrt", description="tracker for an object (box or point)")

    @model_validator(mode="before")
    @classmethod
    def _scene_object(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("background"), dict):
            given = data["background"]
            if set(given) != {"scene"}:
                raise ValueError('background as an object takes one key, "scene": a prompt or a design spec')
            data = {**data, "background": "scene", "scene": given["scene"]}
        return data

    @model_validator(mode="after")
    def _check(self):
        if self.background == "image" and self.asset is None:
            raise ValueError("background=image needs an asset")
        if self.background == "scene" and self.scene is None:
            raise ValueError("background=scene needs a scene: a prompt or a design spec")
        if isinstance(self.scene, dict) and len(json.dumps(self.scene)) > MAX_SCENE_SPEC:
            raise ValueError(f"the scene's design spec is over {MAX_SCENE_SPEC} characters of JSON")
        if self.box is not None or self.point is not None:
            _Target._one_target(self)  # type: ignore[arg-type]
        return self

    @property
    def subject(self) -> str:
        """ "object" when a box or point names what to cut out, else "person"."""
        return "object" if self.box is not None or self.point is not None else "person"


Operation = Annotated[
    TrimOp
    | CutOp
    | ConcatOp
    | CropOp
    | ResizeOp
    | SpeedOp
    | FpsOp
    | RotateOp
    | MuteOp
    | AudioOp
    | FadeOp
    | TrackOp
    | RemoveOp
    | StyleOp
    | SubtitlesOp
    | MatteOp,
    Field(discriminator="op"),
]
TIME_OPS = ("trim", "cut", "speed", "fps")


class EditCheck(BaseModel):
    """One check the Studio ran while preparing the edit (``{name, ok, detail}``, as every result reports)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(max_length=100)]
    ok: bool
    detail: Annotated[str, Field(max_length=2000)] = ""


class VideoEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operations: list[Operation] = Field(default_factory=list, max_length=MAX_OPERATIONS)
    crf: int = Field(20, ge=0, le=51, description="H.264 quality: lower is better and larger")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"] = "veryfast"
    audio_bitrate: int = Field(128_000, ge=32_000, le=320_000)
    copy_streams: bool = Field(True, description="stream-copy when no frame changes (trim at keyframes, concat)")
    format: Literal["mp4", "webm"] = Field("mp4", description="mp4: H.264 + AAC; webm: VP9 + Opus (alpha possible)")
    checks: list[EditCheck] = Field(
        default_factory=list,
        max_length=256,
        description="what the Studio decided and checked while preparing the edit (filled by the Studio)",
    )

    @field_validator("operations")
    @classmethod
    def _subtitles_after_time(cls, operations: list):
        for i, op in enumerate(operations):
            if op.op == "subtitles" and any(later.op in TIME_OPS for later in operations[i + 1 :]):
                raise ValueError(
                    f"subtitles (operation {i}) must come after trim, cut, speed and fps: its times are the output's"
                )
        return operations

    @model_validator(mode="after")
    def _concat_first(self):
        for i, op in enumerate(self.operations):
            if op.op == "concat" and i != 0:
                raise ValueError("concat must be the first operation")
            if op.op == "matte" and op.background == "transparent":
                if self.format != "webm":
                    raise ValueError("a transparent matte needs format webm (MP4 has no alpha)")
                if any(later.op not in ("mute", "audio") for later in self.operations[i + 1 :]):
                    raise ValueError("a transparent matte must be the last operation that changes pictures")
        return self

    @property
    def alpha(self) -> bool:
        return any(op.op == "matte" and op.background == "transparent" for op in self.operations)


_ADAPTER = TypeAdapter(VideoEdit)


def parse_edit(edit: VideoEdit | dict | list) -> VideoEdit:
    """A VideoEdit from a model, a dict, or a bare list of operations; InvalidRequest naming the bad field."""
    if isinstance(edit, VideoEdit):
        return edit
    if isinstance(edit, list):
        edit = {"operations": edit}
    try:
        return _ADAPTER.validate_python(edit)
    except ValidationError as exc:
        raise InvalidRequest.from_validation(exc) from None
