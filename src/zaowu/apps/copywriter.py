"""Copywriter: product or brand facts + a channel + a tone → several copy variants.

Each channel's rules (title and body length, hashtags, emoji, format) are written into
the prompt *and* into the JSON schema the model decodes under, so lengths and hashtag
counts hold by construction, even with a 135M model; the result reports the measured
lengths against the limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..studio.templates import Localized, detect_language
from ..studio.workflows import ArtifactRef, WorkflowRun, WorkflowSpec
from .base import LANGUAGE_FIELD, App, AppInput, input_field, token_budget


@dataclass(frozen=True)
class Channel:
    zh: str
    en: str
    title_max: int  # 0: the channel has no title
    body_max: int  # 0: title only
    hashtags: tuple[int, int] = (0, 0)
    rules_zh: tuple[str, ...] = ()
    rules_en: tuple[str, ...] = ()


CHANNELS: dict[str, Channel] = {
    "xiaohongshu": Channel("小红书笔记", "Xiaohongshu note", 20, 400, (3, 8),
                           ("标题不超过 20 字，可带 1-2 个 emoji，制造好奇或给出利益点", "正文口语化、分段短句，像真实用户分享体验",
                            "正文适当使用 emoji 分隔要点", "话题标签放在最后"),
                           ("Title at most 20 characters, may carry 1-2 emoji, sparks curiosity or names a benefit",
                            "Body reads like a real user's first-hand experience, short paragraphs",
                            "Emoji may mark the key points", "Hashtags go at the end")),
    "douyin": Channel("抖音短视频文案", "Douyin/TikTok caption", 20, 150, (2, 5),
                      ("标题是视频前 3 秒的钩子，不超过 20 字", "正文是视频描述，口语化，结尾引导评论或下单"),
                      ("The title is the hook spoken in the first 3 seconds, at most 20 characters",
                       "The body is the video caption: spoken style, ends by inviting a comment or an order")),
    "weibo": Channel("微博", "Weibo post", 0, 140, (1, 3),
                     ("正文不超过 140 字", "话题写成 #话题# 的形式"), ("At most 140 characters", "Topics in #topic# form")),
    "wechat_moments": Channel("朋友圈", "WeChat Moments", 0, 120, (0, 0),
                              ("像朋友分享一样自然，不超过 120 字", "不要话题标签"),
                              ("Natural, like a friend sharing, at most 120 characters", "No hashtags")),
    "taobao_title": Channel("淘宝/天猫商品标题", "Taobao/Tmall product title", 30, 0, (0, 0),
                            ("标题不超过 30 个汉字", "包含品牌、品类、核心卖点和规格等搜索关键词", "不堆砌无关词，不用特殊符号"),
                            ("At most 30 characters", "Include brand, category, key selling point and spec keywords",
                             "No keyword stuffing or special symbols")),
    "amazon_title": Channel("亚马逊商品标题", "Amazon product title", 200, 0, (0, 0),
                            ("英文标题不超过 200 字符", "品牌 + 品类 + 关键特性 + 规格/数量"),
                            ("At most 200 characters", "Brand + product type + key features + size/quantity",
                             "Capitalise the first letter of each major word; no promotional claims")),
    "instagram": Channel("Instagram 文案", "Instagram caption", 0, 400, (3, 10),
                         ("第一句抓住注意力", "结尾有行动号召"),
                         ("The first line grabs attention before the 'more' cut", "End with a call to action")),
    "x": Channel("X/Twitter 帖子", "X (Twitter) post", 0, 270, (0, 2),
                 ("不超过 270 字符", "一个清晰观点"), ("At most 270 characters", "One clear point")),
    "email": Channel("营销邮件", "Marketing email", 60, 700, (0, 0),
                     ("标题即邮件主题，不超过 60 字", "正文包含称呼、价值、行动号召"),
                     ("The title is the subject line, at most 60 characters",
                      "The body has a greeting, the value, and one call to action")),
    "search_ad": Channel("搜索广告", "Search ad", 30, 90, (0, 0),
                         ("标题不超过 30 字符", "描述不超过 90 字符", "包含关键词和行动号召"),
                         ("Headline at most 30 characters", "Description at most 90 characters",
                          "Include the keyword and a call to action")),
}

TONES = {"friendly": ("亲切", "Friendly"), "professional": ("专业", "Professional"), "playful": ("活泼", "Playful"),
         "premium": ("高端", "Premium"), "urgent": ("促销紧迫", "Urgent (promotion)")}  # fmt: skip


class CopywriterInput(AppInput):
    product: str = input_field(en="Product or brand", zh="产品或品牌", min_length=1, max_length=200)
    facts: str = input_field(en="Facts and selling points", zh="产品事实与卖点", min_length=1, max_length=2000,
                       help_en="Only these facts are used", help_zh="只会使用这里写的事实")  # fmt: skip
    channel: Literal[tuple(CHANNELS)] = input_field("xiaohongshu", en="Channel", zh="发布渠道",  # type: ignore[valid-type]
                                              choices={k: (c.zh, c.en) for k, c in CHANNELS.items()})  # fmt: skip
    tone: Literal[tuple(TONES)] = input_field("friendly", en="Tone", zh="语气", choices=TONES)  # type: ignore[valid-type]
    audience: str | None = input_field(None, en="Audience", zh="目标人群", max_length=200)
    variants: int = input_field(3, en="Variants", zh="版本数", ge=1, le=5)
    language: Literal["zh", "en"] | None = input_field(None, **LANGUAGE_FIELD)


class Variant(BaseModel):
    title: str | None = None
    body: str | None = None
    hashtags: list[str] = Field(default_factory=list)
    title_chars: int = 0
    body_chars: int = 0
    within_limits: bool


class CopywriterResult(BaseModel):
    channel: str
    language: str
    limits: dict[str, Any]
    variants: list[Variant]
    markdown: str
    file: ArtifactRef | None = None


def channel_schema(channel: Channel, count: int) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    if channel.title_max:
        item["properties"]["title"] = {"type": "string", "minLength": 2, "maxLength": channel.title_max}
        item["required"].append("title")
    if channel.body_max:
        item["properties"]["body"] = {"type": "string", "minLength": 10, "maxLength": channel.body_max}
        item["required"].append("body")
    if channel.hashtags[1]:
        item["properties"]["hashtags"] = {"type": "array", "minItems": channel.hashtags[0],
                                          "maxItems": channel.hashtags[1],
                                          "items": {"type": "string", "minLength": 1, "maxLength": 20}}  # fmt: skip
        item["required"].append("hashtags")
    return {"type": "object", "properties": {"variants": {"type": "array", "minItems": count, "maxItems": count,
                                                          "items": item}}, "required": ["variants"]}  # fmt: skip


def _system(channel: Channel, tone: str, lang: str) -> str:
    tone_label = TONES[tone][0 if lang == "zh" else 1]
    if lang == "zh":
        rules = "\n".join(f"{i}. {r}" for i, r in enumerate((
            *channel.rules_zh, f"语气：{tone_label}", "只使用给出的产品事实，不编造功效、数据、奖项或价格",
            "遵守广告法，不用“最”“第一”“国家级”等绝对化用语", "各版本的角度和开头都要不同"), 1))  # fmt: skip
        return (f"# 角色\n你是一名熟悉{channel.zh}的资深文案。\n\n# 任务\n为给出的产品写{channel.zh}文案。\n\n"
                f"# 要求\n{rules}\n\n# 输出格式\n只输出 JSON，字段见 schema。")  # fmt: skip
    rules = "\n".join(f"{i}. {r}" for i, r in enumerate((
        *channel.rules_en, f"Tone: {tone_label}", "Use only the facts given; invent no claims, numbers, awards or prices",
        "Each variant takes a different angle and opening"), 1))  # fmt: skip
    return (f"# Role\nYou are a senior copywriter who knows {channel.en} well.\n\n# Task\nWrite {channel.en} copy "
            f"for the product below.\n\n# Requirements\n{rules}\n\n# Output\nJSON only, as the schema describes.")  # fmt: skip


def _user(inp: CopywriterInput, lang: str) -> str:
    if lang == "zh":
        lines = [f"产品：{inp.product}", f"产品事实与卖点：{inp.facts}"]
        if inp.audience:
            lines.append(f"目标人群：{inp.audience}")
        return "\n".join([*lines, f"版本数：{inp.variants}"])
    lines = [f"Product: {inp.product}", f"Facts and selling points: {inp.facts}"]
    if inp.audience:
        lines.append(f"Audience: {inp.audience}")
    return "\n".join([*lines, f"Number of variants: {inp.variants}"])


class Copywriter(App):
    id = "copywriter"
    title = Localized(zh="文案助手", en="Copywriter")
    description = Localized(zh="输入产品事实、渠道和语气，生成多个符合渠道字数与格式规则的文案版本。",
                            en="Product facts + channel + tone → several variants that keep the channel's length "
                               "and format rules.")  # fmt: skip
    Input = CopywriterInput
    Result = CopywriterResult
    examples = [
        {"product": "山野茶舍 高山云雾绿茶", "facts": "海拔 1200 米茶园，手工炒制，250g 罐装，回甘明显", "channel": "xiaohongshu",
         "tone": "friendly", "variants": 3},
        {"product": "Driftwood Coffee", "facts": "Small-batch roasts every Monday; beans from two farms in Yunnan",
         "channel": "instagram", "tone": "playful", "variants": 2},
    ]  # fmt: skip

    def workflow(self, input: CopywriterInput) -> WorkflowSpec:
        lang = input.language or detect_language(input.product + input.facts)
        channel = CHANNELS[input.channel]
        per_variant = channel.title_max + channel.body_max + channel.hashtags[1] * 24
        return WorkflowSpec.model_validate({
            "id": "copywriter",
            "inputs": {"input": {"type": "object"}},
            "nodes": {
                "write": {"step": "text.structured", "with": {
                    "system": _system(channel, input.tone, lang), "prompt": _user(input, lang),
                    "json_schema": channel_schema(channel, input.variants),
                    "max_tokens": token_budget(input.variants * per_variant, lang), "temperature": 0.8}},
                "save": {"step": "file.text", "with": {"name": "copy.json", "mime": "application/json",
                                                       "text": "${write.text}"}},
            },
            "outputs": {"output": "${write.output}", "file": "${save.file}"},
        })  # fmt: skip

    def result(self, run: WorkflowRun, input: CopywriterInput) -> CopywriterResult:
        lang = input.language or detect_language(input.product + input.facts)
        channel = CHANNELS[input.channel]
        variants = []
        for v in (run.outputs or {}).get("output", {}).get("variants", []):
            title, body = v.get("title"), v.get("body")
            t_len, b_len = len(title or ""), len(body or "")
            tags = [t.strip().strip("#") for t in v.get("hashtags", []) if t.strip().strip("#")]
            ok = t_len <= channel.title_max and b_len <= channel.body_max and \
                channel.hashtags[0] <= len(tags) <= max(channel.hashtags[1], 0)  # fmt: skip
            variants.append(Variant(title=title, body=body, hashtags=tags, title_chars=t_len, body_chars=b_len,
                                    within_limits=ok))  # fmt: skip
        limits = {"title_max": channel.title_max, "body_max": channel.body_max, "hashtags": list(channel.hashtags)}
        return CopywriterResult(channel=input.channel, language=lang, limits=limits, variants=variants,
                                markdown=_markdown(channel, lang, variants),
                                file=(run.outputs or {}).get("file"))  # fmt: skip


def _markdown(channel: Channel, lang: str, variants: list[Variant]) -> str:
    name = channel.zh if lang == "zh" else channel.en
    head = "版本" if lang == "zh" else "Variant"
    parts = [f"# {name}"]
    for i, v in enumerate(variants, 1):
        parts.append(f"## {head} {i}")
        if v.title:
            parts.append(f"**{v.title}**")
        if v.body:
            parts.append(v.body)
        if v.hashtags:
            parts.append(" ".join(f"#{t}" for t in v.hashtags))
    return "\n\n".join(parts) + "\n"
