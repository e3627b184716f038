"""The ``presenter`` app: a portrait and a script in, a talking-host MP4 out (with its cover and subtitles).

The portrait is an image artifact (an uploaded photo, or one an image model made) or a photo sent inline
as a ``data:`` URL, or instead a designed avatar drawn from a description (``avatar``); the script is
spoken by zaowu's voices (Chinese and English, mixed per sentence). One step renders it through
``Studio.generate_media`` with the ``presenter`` model, so the clip is logged, metered and labelled like
every other video.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from ..backends.presenter.spec import MAX_AVATAR_CHARS, MAX_PANELS, MAX_SCRIPT_CHARS, panel_from_line
from ..errors import InvalidRequest
from ..studio.templates import Localized
from ..studio.workflows import ArtifactRef, Step, StepContext, WorkflowRun, WorkflowSpec
from .base import LANGUAGE_FIELD, App, AppInput, input_field

__all__ = ["Presenter", "PresenterInput", "PresenterResult", "RenderPresenter"]

SIZES = {
    ("9:16", "720p"): "720x1280",
    ("16:9", "720p"): "1280x720",
    ("1:1", "720p"): "720x720",
    ("9:16", "1080p"): "1080x1920",
    ("16:9", "1080p"): "1920x1080",
    ("1:1", "1080p"): "1080x1080",
}


class PresenterInput(AppInput):
    portrait: str = input_field(
        "",
        en="Portrait",
        zh="人像照片",
        help_en="An image artifact id (art_…) or an uploaded photo as a data: URL; one face, head and shoulders "
        "(or leave it empty and describe a designed avatar)",
        help_zh="图片产物 id（art_…）或以 data: URL 上传的照片；一张正脸，头肩照（或留空，描述一个设计形象）",
    )
    avatar: str = input_field(
        "",
        en="Designed avatar",
        zh="设计形象",
        help_en="Instead of a photo: describe the host to draw, e.g. 'short black hair, navy suit, glasses'",
        help_zh="不用照片时：描述要绘制的主播，如「短发女主播，藏青色西装，戴眼镜」",
        max_length=MAX_AVATAR_CHARS,
    )
    script: str = input_field(
        en="Script",
        zh="讲稿",
        help_en="What the host says",
        help_zh="主播要说的话",
        min_length=1,
        max_length=MAX_SCRIPT_CHARS,
    )
    name: str = input_field("", en="Name on the banner", zh="名牌文字", max_length=60)
    title: str = input_field("", en="Banner subtitle", zh="名牌副标题", max_length=80)
    voice: str | None = input_field(None, en="Voice", zh="音色", help_en="Empty: by language", max_length=64)
    aspect: Literal["9:16", "16:9", "1:1"] = input_field("9:16", en="Aspect", zh="画幅")
    resolution: Literal["720p", "1080p"] = input_field("720p", en="Resolution", zh="分辨率")
    background: Literal["blur", "colour", "image", "scene"] = input_field(
        "blur",
        en="Background",
        zh="背景",
        choices={
            "blur": ("照片背景虚化", "The photo's own scene, blurred"),
            "colour": ("纯色", "A plain colour"),
            "image": ("图片", "A picture (background image)"),
            "scene": ("设计场景", "A designed scene (palette)"),
        },
    )
    background_colour: str = input_field("#1f2a44", en="Background colour", zh="背景色", pattern=r"^#[0-9a-fA-F]{6}$")
    background_image: str | None = input_field(
        None,
        en="Background image",
        zh="背景图片",
        help_en="An image artifact id (art_…), for background 'image'",
        help_zh="图片产物 id（art_…），背景选「图片」时使用",
        pattern=r"^art_[0-9a-f]{22}$",
    )
    palette: str | None = input_field(
        None, en="Scene palette", zh="场景配色", help_en="For background 'scene': festive, ocean, sage…", max_length=24
    )
    slides: list[Annotated[str, StringConstraints(max_length=400)]] = input_field(
        [],
        en="Slides",
        zh="幻灯片",
        help_en="One per paragraph (line) of the script, shown beside the host: 'Title: point; point' ('-': none)",
        help_zh="每段讲稿（每行）一张，显示在主播旁：「标题：要点；要点」（「-」表示无）",
        max_length=MAX_PANELS,
    )
    subtitles: Literal["soft", "burned", "both", "none"] = input_field("both", en="Subtitles", zh="字幕")
    language: Literal["zh", "en"] | None = input_field(None, **LANGUAGE_FIELD)

    @model_validator(mode="after")
    def _one_host(self) -> PresenterInput:
        if bool(self.portrait) == bool(self.avatar.strip()):
            raise ValueError(
                "give a portrait photo or describe a designed avatar (one of 'portrait' and 'avatar', not both)"
            )
        return self

    @field_validator("portrait")
    @classmethod
    def _portrait(cls, value: str) -> str:
        if not value:
            return value
        if value.startswith("data:"):
            head, _, body = value.partition(",")
            if not head.endswith(";base64") or not body:
                raise ValueError("a data: URL must be base64 (data:image/png;base64,…)")
            try:
                base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("the data: URL's base64 is broken") from None
        elif not value.startswith("art_"):
            raise ValueError("give an image artifact id (art_…) or a data: URL of the photo")
        return value


class PresenterResult(BaseModel):
    video: ArtifactRef
    thumbnail: ArtifactRef | None = None
    srt: ArtifactRef | None = None
    seconds: float
    size: str
    mouth: str = Field("", description="what shaped the mouth: pinyin, espeak-ng phonemes, or the envelope")


def portrait_bytes(portrait: str) -> bytes:
    """The bytes of a portrait sent inline as a ``data:`` URL."""
    try:
        return base64.b64decode(portrait.split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error, ValueError):
        raise InvalidRequest("'input.portrait' is not a base64 data: URL.", param="input.portrait") from None


class RenderPresenter(Step):
    id = "presenter.render"
    title = "Speak the script and animate the portrait"
    scope = "video"
    cacheable = False

    class Inputs(BaseModel):
        input: dict[str, Any]

    class Outputs(BaseModel):
        video: ArtifactRef
        thumbnail: ArtifactRef | None = None
        srt: ArtifactRef | None = None
        seconds: float
        size: str
        mouth: str

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        from ..studio.reference import store_reference
        from ..studio.storyboard import video_request

        inp = PresenterInput.model_validate(inputs.input)
        options = {
            "name": inp.name,
            "title": inp.title,
            "voice": inp.voice,
            "background": inp.background,
            "background_colour": inp.background_colour,
            "background_image": inp.background_image,
            "subtitles": inp.subtitles,
            "avatar": inp.avatar.strip() or None,
        }
        if inp.background == "scene":
            options["scene"] = {"palette": inp.palette} if inp.palette else {}
        if inp.slides:
            options["panels"] = [panel_from_line(line) for line in inp.slides]
        inline = portrait_bytes(inp.portrait) if inp.portrait.startswith("data:") else None
        request = video_request(
            ctx.studio,
            prompt=inp.script,
            model="presenter",
            size=SIZES[(inp.aspect, inp.resolution)],
            seed=ctx.seed,
            language=inp.language,
            input_reference=None if inline else (inp.portrait or None),  # an artifact the run's key may read
            portrait=inline,
            presenter={k: v for k, v in options.items() if v not in (None, "")},
            who=ctx.run_caller,
        )
        if inline is not None:  # checked above (a usable face): now stored as the run's upload
            stored = store_reference(ctx.studio, inline, ctx.run_caller, "portrait")
            request = request.model_copy(update={"input_reference": stored})
        result = ctx.studio.generate_media(request, who=ctx.run_caller, progress=ctx.progress)
        ctx.generation(result.generation_id)
        media = result.media[0]
        meta = media.meta

        def ref(name: str, mime: str, size: int, artifact_id: str | None) -> ArtifactRef | None:
            if not artifact_id:
                return None
            return ctx.adopt({"id": artifact_id, "name": name, "mime": mime, "size_bytes": size})

        attachments = media.attachments
        video = ref("presenter.mp4", media.mime, len(media.data), meta["artifact_id"])
        assert video is not None
        return self.Outputs(
            video=video,
            thumbnail=ref("cover.png", "image/png", 0, meta.get("thumbnail_artifact_id")),
            srt=ref("presenter.srt", "application/x-subrip", 0, meta.get("srt_artifact_id"))
            if "srt" in attachments
            else None,
            seconds=float(meta["duration"]),
            size=f"{meta['width']}x{meta['height']}",
            mouth=str(meta.get("mouth", "")),
        )


class Presenter(App):
    id = "presenter"
    title = Localized(zh="数字人播报", en="Presenter")
    description = Localized(
        zh="一张人像照片 + 讲稿 → 主播开口播报的视频：口型随语音、眨眼、轻微头动，名牌条、背景与字幕。",
        en="One portrait + a script → a clip of the host speaking it: lips in time with the voice, blinks, "
        "small head motion, a name banner, background and subtitles.",
    )
    Input = PresenterInput
    Result = PresenterResult
    examples = [
        {
            "portrait": "art_…",
            "script": "大家好，欢迎来到山野茶舍。今天新茶上市，全场八折。",
            "name": "小李",
            "title": "店长",
        },
        {"portrait": "art_…", "script": "Hi, I'm Sam. Our spring menu starts today.", "name": "Sam", "aspect": "16:9"},
        {"avatar": "短发女主播，藏青色西装", "script": "大家好，本周六晚八点直播上新。", "name": "小周"},
    ]

    def workflow(self, input: PresenterInput) -> WorkflowSpec:
        return WorkflowSpec.model_validate(
            {
                "id": "presenter",
                "inputs": {"input": {"type": "object"}},
                "nodes": {"render": {"step": "presenter.render", "with": {"input": "${inputs.input}"}}},
                "outputs": {
                    "video": "${render.video}",
                    "thumbnail": "${render.thumbnail}",
                    "srt": "${render.srt}",
                    "seconds": "${render.seconds}",
                    "size": "${render.size}",
                    "mouth": "${render.mouth}",
                },
            }
        )

    def result(self, run: WorkflowRun, input: PresenterInput) -> PresenterResult:
        return PresenterResult.model_validate(run.outputs or {})
