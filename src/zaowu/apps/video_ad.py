"""The ``video-ad`` app: a product or topic, a channel and a length → a storyboard → an MP4 ad with its SRT
and cover image.

What the user states is made true by code: the channel decides the aspect (9:16 for Douyin, Xiaohongshu,
Kuaishou and WeChat Channels; 16:9 for Bilibili and YouTube; 1:1 for feeds), the scenes' duration hints sum
to the requested length and every narration is spoken within its scene (shortened and spoken again when
the voice runs long), and on-screen texts are cut to what a viewer reads at a glance. The checks after the
render report the clip's measured length, its aspect and the on-screen texts.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from ..errors import InvalidRequest
from ..studio.planners import PlanRun
from ..studio.quality import Check
from ..studio.templates import Localized, detect_language
from ..studio.workflows import ArtifactRef, Step, StepContext, WorkflowRun, WorkflowSpec
from ..types import VideoRequest
from .base import LANGUAGE_FIELD, App, AppInput, input_field

if TYPE_CHECKING:
    from ..studio.engine import Studio

__all__ = ["CHANNELS", "TEXT_LIMITS", "VideoAd", "VideoAdStep", "fit_board"]

log = logging.getLogger(__name__)

CHANNELS: dict[str, tuple[str, str, str]] = {
    "douyin": ("9:16", "抖音", "Douyin"),
    "xiaohongshu": ("9:16", "小红书", "Xiaohongshu"),
    "kuaishou": ("9:16", "快手", "Kuaishou"),
    "wechat_channels": ("9:16", "微信视频号", "WeChat Channels"),
    "bilibili": ("16:9", "哔哩哔哩", "Bilibili"),
    "youtube": ("16:9", "YouTube", "YouTube"),
    "feed": ("1:1", "信息流（方形）", "Square feed"),
}
"""Channel → (aspect, Chinese name, English name)."""
TEXT_LIMITS = {"zh": 12, "en": 32}
"""Characters of one on-screen line (a scene's text, its picture's headline or subline) read at a glance."""
DURATION_TOLERANCE = 0.1
"""Seconds the rendered clip may differ from the requested length (the frame grid, the audio's last block)."""
MIN_SECONDS, MAX_SECONDS = 5, 120

Channel = Literal["douyin", "xiaohongshu", "kuaishou", "wechat_channels", "bilibili", "youtube", "feed"]

_PROMPT = {
    "zh": "为{channel}制作一条{seconds:g}秒的短视频广告，主题：{product}",
    "en": "A {seconds:g}-second video ad for {channel} about: {product}",
}


class VideoAdInput(AppInput):
    product: str = input_field(
        en="Product or topic",
        zh="产品或主题",
        help_en="What the ad is about: the product, what makes it good, who it is for",
        help_zh="广告讲什么：产品、卖点、面向谁",
        min_length=2,
        max_length=500,
    )
    channel: Channel = input_field(
        "douyin",
        en="Channel",
        zh="投放平台",
        choices={k: (zh, en) for k, (_, zh, en) in CHANNELS.items()},
    )
    seconds: int = input_field(15, en="Length (seconds)", zh="时长（秒）", ge=MIN_SECONDS, le=MAX_SECONDS)
    resolution: Literal["360p", "720p", "1080p"] = input_field(
        "720p", en="Resolution", zh="清晰度", help_en="360p is a quick preview", help_zh="360p 为快速预览"
    )
    image: str | None = input_field(
        None,
        en="Product image",
        zh="产品图片",
        help_en="Artifact id of a product photo, shown cut out on the scenes",
        help_zh="产品照片的文件 ID，抠图后放在画面中",
        max_length=64,
    )
    music: bool = input_field(True, en="Music bed", zh="背景音乐")
    voice: str | None = input_field(
        None,
        en="Voice",
        zh="配音音色",
        help_en="A narration voice from GET /v1/audio/voices (empty: the language's default)",
        help_zh="配音音色，见 GET /v1/audio/voices（留空：该语言的默认音色）",
        max_length=64,
    )
    language: Literal["zh", "en"] | None = input_field(None, **LANGUAGE_FIELD)


class VideoAdResult(BaseModel):
    language: str
    channel: str
    aspect: str
    size: str
    seconds: float
    video: ArtifactRef
    srt: ArtifactRef | None = None
    cover: ArtifactRef | None = None
    storyboard: dict[str, Any]
    checks: list[Check] = Field(default_factory=list)


def _cut(text: str, limit: int, language: str) -> str:
    """``text`` within ``limit`` characters, cut at a word (en) or a character (zh)."""
    if len(text) <= limit:
        return text
    if language == "zh":
        return text[:limit]
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[: limit + 1] else text[:limit]
    return cut.rstrip(" ,;:-")


def _texts(scene: dict[str, Any]) -> list[str]:
    visual = scene.get("visual") or {}
    return [t for t in (scene.get("text"), visual.get("headline"), visual.get("subline")) if t]


def fit_board(board: dict[str, Any], seconds: float, aspect: str, language: str) -> tuple[dict[str, Any], list[str]]:
    """The board made to the ad's terms: its aspect the channel's, its scenes' duration hints summing to
    ``seconds`` (in proportion; the last takes the rounding), its on-screen texts within ``TEXT_LIMITS``."""
    limit = TEXT_LIMITS[language]
    fixes: list[str] = []
    scenes = [dict(s) for s in board["scenes"]]
    hints = [float(s.get("duration") or 1.0) for s in scenes]
    scale = seconds / sum(hints)
    for i, scene in enumerate(scenes):
        scene["duration"] = round(hints[i] * scale, 3)
        if scene.get("text"):
            scene["text"] = _cut(scene["text"], limit, language)
        if isinstance(scene.get("visual"), dict):
            visual = dict(scene["visual"])
            for key in ("headline", "subline"):
                if visual.get(key):
                    visual[key] = _cut(visual[key], limit, language)
            scene["visual"] = visual
        if scene != board["scenes"][i] and any(t != u for t, u in zip(_texts(scene), _texts(board["scenes"][i]))):
            fixes.append(f"scene {i}: on-screen text cut to {limit} characters")
    scenes[-1]["duration"] = round(seconds - sum(s["duration"] for s in scenes[:-1]), 3)
    if board.get("aspect") != aspect:
        fixes.append(f"aspect {board.get('aspect')} → {aspect}")
    return {**board, "aspect": aspect, "scenes": scenes}, fixes


def ad_checks(
    board: dict[str, Any], meta: dict[str, Any], seconds: float, aspect: str, language: str, fixes: list[str]
) -> list[Check]:
    """What the ad promises, measured on the rendered clip."""
    hints = sum(float(s["duration"]) for s in board["scenes"])
    actual = float(meta.get("duration") or 0.0)
    width, height = int(meta.get("width") or 0), int(meta.get("height") or 1)
    a, b = (int(x) for x in aspect.split(":"))
    limit = TEXT_LIMITS[language]
    long = [f"scene {i}" for i, s in enumerate(board["scenes"]) if any(len(t) > limit for t in _texts(s))]
    checks = [
        Check(
            name="ad.duration",
            ok=abs(actual - seconds) <= DURATION_TOLERANCE and abs(hints - seconds) < 0.01,
            detail=f"{actual:.2f} s rendered for {seconds:g} s asked (scene hints sum to {hints:.2f} s)",
        ),
        Check(
            name="ad.aspect",
            ok=board.get("aspect") == aspect and abs(width / height - a / b) < 0.02,
            detail=f"{width}x{height} for the channel's {aspect}",
        ),
        Check(
            name="ad.text",
            ok=not long,
            detail=f"on-screen texts within {limit} characters" + (f"; too long: {', '.join(long)}" if long else ""),
        ),
    ]
    if fixes:
        checks.append(Check(name="ad.repaired", ok=True, detail="; ".join(fixes)))
    return checks


class VideoAdStep(Step):
    """Plan the ad's storyboard, fit it to the channel and the length, narrate it to fit, render it."""

    id = "video.ad"
    title = "A video ad: storyboard → narration → MP4, SRT and cover"
    scope = "video"
    cacheable = False

    class Inputs(BaseModel):
        product: str
        channel: Channel
        seconds: int
        resolution: Literal["360p", "720p", "1080p"] = "720p"
        language: Literal["zh", "en"]
        image: str | None = None
        music: bool = True
        voice: str | None = None

    class Outputs(BaseModel):
        video: ArtifactRef
        srt: ArtifactRef | None = None
        cover: ArtifactRef | None = None
        storyboard: dict[str, Any]
        size: str
        seconds: float
        checks: list[Check] = Field(default_factory=list)

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        from ..backends.storyboard.spec import output_size
        from ..studio.reference import check_reference
        from ..studio.storyboard import narrate_to_fit, write_storyboard

        aspect, zh, en = CHANNELS[inputs.channel]
        lang = inputs.language
        width, height = output_size(aspect, inputs.resolution)
        prompt = _PROMPT[lang].format(
            channel=zh if lang == "zh" else en, seconds=inputs.seconds, product=inputs.product
        )
        image = check_reference(ctx.studio, inputs.image, ctx.who) if inputs.image else None
        request = VideoRequest(
            prompt=prompt,
            duration=inputs.seconds,
            size=f"{width}x{height}",
            seed=ctx.seed,
            language=lang,
            music=inputs.music,
            input_reference=image,
        )
        run = PlanRun(who=ctx.run_caller, model=ctx.model, progress=lambda f, m: ctx.progress(0.3 * f, m))
        board, repairs = write_storyboard(ctx.studio, request, ctx.seed, run)
        if inputs.voice:
            board = {**board, "voice": ctx.studio.check_voice(inputs.voice)}
        board, fixes = fit_board(board, inputs.seconds, aspect, lang)
        board, clips, cut, unspoken = narrate_to_fit(ctx.studio, board, run)
        result = ctx.studio.generate_media(
            request.model_copy(update={"storyboard": board, "narration": clips}),
            who=ctx.run_caller,
            planner=ctx.model,
            progress=lambda f, m: ctx.progress(0.3 + 0.7 * f, m),
        )
        ctx.generation(result.generation_id)
        media = result.media[0]
        refs = {}
        for name, key in (("video", "artifact_id"), ("srt", "srt_artifact_id"), ("cover", "thumbnail_artifact_id")):
            if media.meta.get(key):
                refs[name] = ctx.adopt(ctx.studio.artifacts.get(media.meta[key], key_id=ctx.key_id))
        rendered = media.meta["storyboard"]
        checks = ad_checks(rendered, media.meta, inputs.seconds, aspect, lang, repairs + fixes + cut + unspoken)
        return self.Outputs(
            video=refs["video"],
            srt=refs.get("srt"),
            cover=refs.get("cover"),
            storyboard=rendered,
            size=f"{width}x{height}",
            seconds=float(media.meta["duration"]),
            checks=checks,
        )


class VideoAd(App):
    id = "video-ad"
    title = Localized(zh="短视频广告", en="Video ad")
    description = Localized(
        zh="输入产品或主题、投放平台和时长，生成分镜脚本、配音、背景音乐和字幕，输出 MP4 视频、SRT 字幕和封面图。",
        en="A product or topic, a channel and a length → a storyboard, narration, music and subtitles: "
        "an MP4, its SRT and a cover image.",
    )
    Input = VideoAdInput
    Result = VideoAdResult
    examples = [
        {"product": "手工现烤全麦面包，每天早上七点出炉", "channel": "douyin", "seconds": 15},
        {"product": "Hand-poured soy candles with calm, natural scents", "channel": "youtube", "seconds": 20},
    ]

    def workflow(self, input: VideoAdInput) -> WorkflowSpec:
        lang = input.language or detect_language(input.product)
        fields = {**input.model_dump(exclude={"language"}), "language": lang}
        return WorkflowSpec.model_validate(
            {
                "id": "video-ad",
                "inputs": {"input": {"type": "object"}},
                "nodes": {"ad": {"step": "video.ad", "with": fields}},
                "outputs": {
                    "video": "${ad.video}",
                    "srt": "${ad.srt}",
                    "cover": "${ad.cover}",
                    "storyboard": "${ad.storyboard}",
                    "size": "${ad.size}",
                    "seconds": "${ad.seconds}",
                    "checks": "${ad.checks}",
                },
            }
        )

    def check(self, studio: Studio, input: VideoAdInput) -> None:
        if input.voice:  # an unknown voice is a 400 now, not a silent ad later
            try:
                studio.check_voice(input.voice)
            except InvalidRequest as exc:
                raise InvalidRequest(exc.message, param="input.voice") from None

    def result(self, run: WorkflowRun, input: VideoAdInput) -> VideoAdResult:
        out = run.outputs or {}
        lang = input.language or detect_language(input.product)
        return VideoAdResult(
            language=lang,
            channel=input.channel,
            aspect=CHANNELS[input.channel][0],
            size=out["size"],
            seconds=out["seconds"],
            video=out["video"],
            srt=out.get("srt"),
            cover=out.get("cover"),
            storyboard=out["storyboard"],
            checks=out.get("checks") or [],
        )
