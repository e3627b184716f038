"""Copywriter: product or brand facts + a channel + a tone → several copy variants.

Each variant is its own generation, with its own seed and an explicit angle chosen by code
(scene, pain point, price and value, gift, craft and origin, social proof …) so variants differ
by construction, not by the model's goodwill. Each channel's rules are written into the prompt
and enforced in code afterwards: the schema gives the text slack and code trims it to the
channel's limit at a sentence or word boundary; hashtags are normalised and shown in the
platform's form; Xiaohongshu bodies get short paragraphs and emoji markers; unsupported claims
(广告法 words, "best", "guaranteed") and numbers the facts do not state are removed. Then every
variant is checked; near-duplicates and failing variants are regenerated (another seed, another
angle) within ``MAX_REPAIR_ATTEMPTS`` rounds, and the result reports its ``checks``.
"""

from __future__ import annotations

import json
import logging
import random
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..errors import SchemaViolation
from ..studio.quality import Check, check_count, check_distinct, check_language, scrub_claims
from ..studio.quality.checks import DUPLICATE_SIMILARITY
from ..studio.quality.claims import describe_claims, find_claims
from ..studio.quality.dates import date_line
from ..studio.quality.facts import drop_unsupported_numbers
from ..studio.quality.formats import (
    EMOJI_MARKERS,
    HASHTAG_MAX_CHARS,
    add_emoji_markers,
    drop_echoes,
    drop_repeats,
    extract_hashtags,
    fit_text,
    format_hashtags,
    has_emoji,
    is_hook,
    normalize_hashtags,
    short_lines,
    short_paragraphs,
)
from ..studio.quality.latin import strip_foreign_latin
from ..studio.quality.musts import explicit_facts, must_carry
from ..studio.quality.redate import date_check, move_dates, recheck, request_periods
from ..studio.quality.required import Carried, carry
from ..studio.quality.text import similarity
from ..studio.quality.today import settings_today, today
from ..studio.quality.variants import (
    LOOP_FREQUENCY_PENALTY,
    MAX_REPAIR_ATTEMPTS,
    aggregate_checks,
    differs,
    duplicates_of_others,
    redo_indices,
    seed_for,
    with_slack,
)
from ..studio.steps import llm_request
from ..studio.templates import Localized, detect_language
from ..studio.workflows import ArtifactRef, Step, StepContext, WorkflowRun, WorkflowSpec
from .base import LANGUAGE_FIELD, App, AppInput, input_field, token_budget

log = logging.getLogger(__name__)

PARAGRAPH_MAX = {"zh": 60, "en": 160}  # characters in one paragraph of a Xiaohongshu body
REWRITE_ALWAYS = ("generated", "length.", "language.")  # broken variants: rewritten in every repair round
EMOJI_ROOM = 12  # characters kept free for the paragraph emoji added after the facts are carried
REWRITE_ONCE = ("facts.numbers", "format.hook", "facts.required")  # weaker failures: one more try, then reported
REPAIR_TOKEN_SHARE = 0.5  # rewrites may spend at most this share of the first round's output tokens (a broken
# or duplicate variant always gets one rewrite), so checks keep a run within ~1.5x a single generation


@dataclass(frozen=True)
class Channel:
    zh: str
    en: str
    title_max: int  # 0: the channel has no title
    body_max: int  # 0: title only
    hashtags: tuple[int, int] = (0, 0)
    rules_zh: tuple[str, ...] = ()
    rules_en: tuple[str, ...] = ()
    hashtag_style: str = "tag"  # "weibo": #话题#; "tag": #tag
    paragraphs: bool = False  # short paragraphs, each opened by an emoji marker (Xiaohongshu)
    hook: bool = False  # the title must stop a scrolling viewer (Douyin)


CHANNELS: dict[str, Channel] = {
    "xiaohongshu": Channel(
        "小红书笔记",
        "Xiaohongshu note",
        20,
        400,
        (3, 8),
        (
            "标题不超过 20 字，可带 1-2 个 emoji，制造好奇或给出利益点",
            "正文口语化、分段短句，像真实用户分享体验",
            "正文适当使用 emoji 分隔要点",
            "话题标签放在最后",
        ),
        (
            "Title at most 20 characters, may carry 1-2 emoji, sparks curiosity or names a benefit",
            "Body reads like a real user's first-hand experience, short paragraphs",
            "Emoji may mark the key points",
            "Hashtags go at the end",
        ),
        paragraphs=True,
    ),
    "douyin": Channel(
        "抖音短视频文案",
        "Douyin/TikTok caption",
        20,
        150,
        (2, 5),
        ("标题是视频前 3 秒的钩子，不超过 20 字", "正文是视频描述，口语化，结尾引导评论或下单"),
        (
            "The title is the hook spoken in the first 3 seconds, at most 20 characters",
            "The body is the video caption: spoken style, ends by inviting a comment or an order",
        ),
        hook=True,
    ),
    "weibo": Channel(
        "微博",
        "Weibo post",
        0,
        140,
        (1, 3),
        ("正文不超过 140 字", "话题写成 #话题# 的形式"),
        ("At most 140 characters", "Topics in #topic# form"),
        hashtag_style="weibo",
    ),
    "wechat_moments": Channel(
        "朋友圈",
        "WeChat Moments",
        0,
        120,
        (0, 0),
        ("像朋友分享一样自然，不超过 120 字", "不要话题标签"),
        ("Natural, like a friend sharing, at most 120 characters", "No hashtags"),
    ),
    "taobao_title": Channel(
        "淘宝/天猫商品标题",
        "Taobao/Tmall product title",
        30,
        0,
        (0, 0),
        ("标题不超过 30 个汉字", "包含品牌、品类、核心卖点和规格等搜索关键词", "不堆砌无关词，不用特殊符号"),
        (
            "At most 30 characters",
            "Include brand, category, key selling point and spec keywords",
            "No keyword stuffing or special symbols",
        ),
    ),
    "amazon_title": Channel(
        "亚马逊商品标题",
        "Amazon product title",
        200,
        0,
        (0, 0),
        ("英文标题不超过 200 字符", "品牌 + 品类 + 关键特性 + 规格/数量"),
        (
            "At most 200 characters",
            "Brand + product type + key features + size/quantity",
            "Capitalise the first letter of each major word; no promotional claims",
        ),
    ),
    "instagram": Channel(
        "Instagram 文案",
        "Instagram caption",
        0,
        400,
        (3, 10),
        ("第一句抓住注意力", "结尾有行动号召"),
        ("The first line grabs attention before the 'more' cut", "End with a call to action"),
    ),
    "x": Channel(
        "X/Twitter 帖子",
        "X (Twitter) post",
        0,
        270,
        (0, 2),
        ("不超过 270 字符", "一个清晰观点"),
        ("At most 270 characters", "One clear point"),
    ),
    "email": Channel(
        "营销邮件",
        "Marketing email",
        60,
        700,
        (0, 0),
        ("标题即邮件主题，不超过 60 字", "正文包含称呼、价值、行动号召"),
        (
            "The title is the subject line, at most 60 characters",
            "The body has a greeting, the value, and one call to action",
        ),
    ),
    "search_ad": Channel(
        "搜索广告",
        "Search ad",
        30,
        90,
        (0, 0),
        ("标题不超过 30 字符", "描述不超过 90 字符", "包含关键词和行动号召"),
        (
            "Headline at most 30 characters",
            "Description at most 90 characters",
            "Include the keyword and a call to action",
        ),
    ),
}

TONES = {
    "friendly": ("亲切", "Friendly"),
    "professional": ("专业", "Professional"),
    "playful": ("活泼", "Playful"),
    "premium": ("高端", "Premium"),
    "urgent": ("促销紧迫", "Urgent (promotion)"),
}


class CopywriterInput(AppInput):
    product: str = input_field(en="Product or brand", zh="产品或品牌", min_length=1, max_length=200)
    facts: str = input_field(
        en="Facts and selling points",
        zh="产品事实与卖点",
        min_length=1,
        max_length=2000,
        help_en="Only these facts are used",
        help_zh="只会使用这里写的事实",
    )
    channel: Literal[tuple(CHANNELS)] = input_field(  # type: ignore[valid-type]
        "xiaohongshu", en="Channel", zh="发布渠道", choices={k: (c.zh, c.en) for k, c in CHANNELS.items()}
    )
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
    angle: str = ""  # the angle this variant was written from (see ANGLES)
    post: str = ""  # ready to paste: title, body and the hashtags in the platform's form


class CopywriterResult(BaseModel):
    channel: str
    language: str
    limits: dict[str, Any]
    variants: list[Variant]
    markdown: str
    checks: list[Check] = Field(default_factory=list)
    file: ArtifactRef | None = None


# ---------------------------------------------------------------- angles


@dataclass(frozen=True)
class Angle:
    zh: str
    en: str
    cues: tuple[str, ...] = ()  # words in the facts that make the angle fit; none: fits any product


ANGLES: dict[str, Angle] = {
    "scene": Angle(
        "使用场景：从一个具体的使用时刻写起（什么时候、在哪里、谁在做什么）",
        "Scene: open with one concrete moment of use (when, where, who is doing what)",
    ),
    "pain": Angle(
        "痛点：先写目标人群遇到的一个具体麻烦，再写产品事实怎样解决它",
        "Pain point: start from one specific problem the buyer has, then show how the facts solve it",
    ),
    "value": Angle(
        "价格与价值：写清楚花这笔钱能得到什么；只写事实里给出的价格",
        "Price and value: what the buyer gets for the money; state a price only if the facts give one",
        ("元", "¥", "￥", "$", "价", "折", "优惠", "price", "off", "deal", "save"),
    ),
    "gift": Angle(
        "送礼：写送给谁、什么场合送、为什么合适",
        "Gift: who to give it to, on what occasion, and why it fits",
        ("礼", "节", "生日", "gift", "festival", "birthday", "holiday"),
    ),
    "craft": Angle(
        "工艺与产地：写它怎么做、在哪里做，只用事实里的说法",
        "Craft and origin: how and where it is made, in the facts' own words",
        (
            "手工",
            "产地",
            "茶园",
            "农场",
            "工艺",
            "海拔",
            "handmade",
            "hand-",
            "farm",
            "roast",
            "made in",
            "origin",
            "small-batch",
            "craft",
        ),
    ),
    "social": Angle(
        "口碑：写身边人用过后的真实反应，不编造评分、销量、评论数或任何数字",
        "Social proof: how people around you react, without inventing ratings, sales, review counts or any numbers",
    ),
    "senses": Angle(
        "感官体验：写看到、闻到、尝到或摸到的感觉",
        "Senses: what you see, smell, taste or feel",
        ("味", "香", "口感", "甘", "柔软", "taste", "aroma", "flavo", "soft", "smooth", "scent"),
    ),
    "routine": Angle(
        "日常习惯：写它怎样融入每天的生活节奏",
        "Routine: how it fits into everyday life",
        ("每天", "每周", "日常", "通勤", "daily", "every", "morning", "commute"),
    ),
}


def pick_angles(facts: str, seed: int) -> list[str]:
    """Every angle key, best first: angles whose cue words appear in the facts, then angles that fit
    any product, then the rest; each group shuffled by the seed so runs differ but repeat."""
    rng = random.Random(seed)
    low = facts.lower()
    groups: list[list[str]] = [[], [], []]
    for key, angle in ANGLES.items():
        fits = any(c in low for c in angle.cues)
        groups[0 if fits else 1 if not angle.cues else 2].append(key)
    for g in groups:
        rng.shuffle(g)
    return groups[0] + groups[1] + groups[2]


# ---------------------------------------------------------------- prompts and schema


def variant_schema(channel: Channel) -> dict[str, Any]:
    """One variant's schema: each text gets slack past the channel's limit (code trims it)."""
    item: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    if channel.title_max:
        item["properties"]["title"] = {"type": "string", "minLength": 2, "maxLength": with_slack(channel.title_max)}
        item["required"].append("title")
    if channel.body_max:
        item["properties"]["body"] = {"type": "string", "minLength": 10, "maxLength": with_slack(channel.body_max)}
        item["required"].append("body")
    if channel.hashtags[1]:
        item["properties"]["hashtags"] = {
            "type": "array",
            "minItems": channel.hashtags[0],
            "maxItems": channel.hashtags[1],
            "items": {"type": "string", "minLength": 1, "maxLength": 20},
        }
        item["required"].append("hashtags")
    return item


def _system(channel: Channel, tone: str, lang: str, day: Any) -> str:
    """The system prompt, the same for every variant of a run: the model server keeps its evaluated
    prefix and each further variant pays only for its own last lines (the angle)."""
    tone_label = TONES[tone][0 if lang == "zh" else 1]
    if lang == "zh":
        extra = ("正文分成 2-4 个短段落，每段开头放一个 emoji",) if channel.paragraphs else ()
        rules = "\n".join(
            f"{i}. {r}"
            for i, r in enumerate(
                (
                    *channel.rules_zh,
                    *extra,
                    f"语气：{tone_label}",
                    "按给出的角度写",
                    "只使用给出的产品事实，不编造功效、数据、奖项或价格",
                    "遵守广告法，不用“最”“第一”“国家级”等绝对化用语",
                ),
                1,
            )
        )
        return (
            f"# 角色\n你是一名熟悉{channel.zh}的资深文案。\n\n# 任务\n为给出的产品写一条{channel.zh}文案。\n\n"
            f"# 要求\n{rules}\n\n# 日期\n{date_line('zh', day)}\n\n# 输出格式\n只输出 JSON，字段见 schema。"
        )
    extra = ("Split the body into 2-4 short paragraphs, each starting with one emoji",) if channel.paragraphs else ()
    rules = "\n".join(
        f"{i}. {r}"
        for i, r in enumerate(
            (
                *channel.rules_en,
                *extra,
                f"Tone: {tone_label}",
                "Write from the angle given",
                "Use only the facts given; invent no claims, numbers, awards or prices",
                "No absolute or comparative claims (best, guaranteed, No. 1, better than others)",
            ),
            1,
        )
    )
    return (
        f"# Role\nYou are a senior copywriter who knows {channel.en} well.\n\n# Task\nWrite one {channel.en} "
        f"for the product below.\n\n# Requirements\n{rules}\n\n# Date\n{date_line('en', day)}\n\n"
        f"# Output\nJSON only, as the schema describes."
    )


def _user(inp: CopywriterInput, lang: str, angle: str, avoid: list[str]) -> str:
    """The product first (shared by every variant), then this variant's angle and the openings to avoid."""
    a = ANGLES[angle]
    if lang == "zh":
        lines = [f"产品：{inp.product}", f"产品事实与卖点：{inp.facts}"]
        if inp.audience:
            lines.append(f"目标人群：{inp.audience}")
        lines.append(f"角度：{a.zh}")
        if avoid:
            lines.append("不要用这些开头：" + "；".join(f"“{x}”" for x in avoid))
        return "\n".join(lines)
    lines = [f"Product: {inp.product}", f"Facts and selling points: {inp.facts}"]
    if inp.audience:
        lines.append(f"Audience: {inp.audience}")
    lines.append(f"Angle: {a.en}")
    if avoid:
        lines.append("Do not open like these: " + "; ".join(f'"{x}"' for x in avoid))
    return "\n".join(lines)


# ---------------------------------------------------------------- polishing and checks


@dataclass
class Draft:
    """One variant after code enforced the channel's rules, with its own checks."""

    angle: str
    title: str | None = None
    body: str | None = None
    hashtags: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    generation_id: str | None = None
    tokens: int = 0  # output tokens the generation spent

    @property
    def text(self) -> str:
        return f"{self.title or ''}\n{self.body or ''}".strip()

    @property
    def failed(self) -> int:
        return sum(1 for c in self.checks if not c.ok)


_LABEL_WORD = r"(?:title|body|caption|post|标题|正文|文案)"
_LABEL = re.compile(rf"^\s*(?:[\[【(（]\s*{_LABEL_WORD}\s*[\]】)）]\s*[:：]?|{_LABEL_WORD}\s*[:：])\s*", re.IGNORECASE)


def _clean(value: Any) -> str:
    """The text without carriage returns and without a label the model put in front ('[Title] …')."""
    return _LABEL.sub("", str(value or "").replace("\r", "")).strip()


def _fit_check(name: str, text: str, limit: int, fit: Any, original: int) -> Check:
    ok = bool(text) and fit.boundary and len(text) <= limit
    return Check(name=f"length.{name}", ok=ok, detail=fit.describe(limit, original) if text else "empty")


def instructions(channel: Channel, lang: str, angle: str) -> list[str]:
    """The instruction lines of a variant's prompt, which the copy must not repeat."""
    a = ANGLES[angle]
    lines = [a.zh, a.en, *channel.rules_zh, *channel.rules_en]
    return [*lines, *(part for line in lines for part in re.split(r"[:：；;]", line) if len(part) > 12)]


def _carry_facts(text: str, limit: int | None, emoji: bool, lang: str, facts: str) -> Carried | None:
    """``text`` with the request's promo codes and first figure inserted where the model left them out."""
    wanted = must_carry(explicit_facts(facts), lang)
    if not wanted or not text:
        return None
    room = limit - EMOJI_ROOM if emoji and limit else limit
    return carry(text, wanted, lang, {}, lambda t: not room or len(t) <= room)


def _facts_check(carried: Carried) -> Check:
    parts = [f"added {carried.added}" if carried.added else "", f"missing {carried.missing}" if carried.missing else ""]
    detail = "; ".join(p for p in parts if p) or "the request's codes and figures are all there"
    return Check(name="facts.required", ok=not [m for m in carried.missing if m != "length"], detail=detail)


def polish(raw: dict[str, Any], channel: Channel, lang: str, facts: str, angle: str, index: int) -> Draft:
    """Enforce the channel's rules on one model-written variant and check it."""
    draft = Draft(angle=angle)
    said = instructions(channel, lang, angle)
    title, _ = extract_hashtags(drop_echoes(_clean(raw.get("title")), said)[0])
    body, inline = extract_hashtags(drop_repeats(drop_echoes(_clean(raw.get("body")), said)[0]))
    tags = normalize_hashtags([*(raw.get("hashtags") or []), *inline]) if channel.hashtags[1] else []
    title, title_claims = scrub_claims(title, facts)
    body, body_claims = scrub_claims(body, facts)
    tag_claims = [c for t in tags for c in find_claims(t, facts)]
    tags = [t for t in tags if not find_claims(t, facts)]
    latin = [strip_foreign_latin(title, facts), strip_foreign_latin(body, facts)] if lang == "zh" else []
    if latin:  # stray English out of Chinese copy; the user's own brand words and acronyms stay
        title, body = latin[0].text, latin[1].text
    periods = request_periods(facts, today())
    title_dates, body_dates = move_dates(title, periods), move_dates(body, periods)
    title, body = title_dates.text, body_dates.text
    title_fix, body_fix = drop_unsupported_numbers(title, facts), drop_unsupported_numbers(body, facts)
    title, body = title_fix.text, body_fix.text
    if channel.body_max:
        carried = _carry_facts(body, channel.body_max, channel.paragraphs, lang, facts)
        body = carried.text if carried else body
    else:  # a title-only channel (Amazon): the title carries them
        carried = _carry_facts(title, channel.title_max, False, lang, facts)
        title = carried.text if carried else title
    if channel.paragraphs and body:
        body = short_lines(add_emoji_markers(short_paragraphs(body, PARAGRAPH_MAX[lang]), offset=index * 3))
    checks = []
    if channel.title_max:
        fit = fit_text(title, channel.title_max)
        draft.title = fit.text
        checks.append(_fit_check("title", fit.text, channel.title_max, fit, len(title)))
    if channel.body_max:
        fit = fit_text(body, channel.body_max)
        draft.body = fit.text
        checks.append(_fit_check("body", fit.text, channel.body_max, fit, len(body)))
    if channel.hashtags[1]:
        low, high = channel.hashtags
        draft.hashtags = _fill_tags(tags, facts, low)[:high]
        checks.append(
            Check(
                name="format.hashtags",
                ok=low <= len(draft.hashtags) <= high,
                detail=f"{len(draft.hashtags)} hashtags (need {low}–{high})",
            )
        )
    checks.append(check_language("text", f"{draft.title or ''}\n{draft.body or ''}", lang, allow=facts))
    if any(fix.removed for fix in latin):
        checks[-1].detail = (
            f"removed Latin words not in the input: {[w for f in latin for w in f.removed]}; " + checks[-1].detail
        )
    changed = title_claims + body_claims + tag_claims
    checks.append(Check(name="claims", ok=True, detail=describe_claims(changed) if changed else "none found"))
    left = title_fix.left + body_fix.left
    removed = title_fix.removed + body_fix.removed
    detail = (
        "; ".join(
            x for x in (f"removed {removed}" if removed else "", f"not in the facts: {left}" if left else "") if x
        )
        or "none invented"
    )
    checks.append(Check(name="facts.numbers", ok=not left, detail=detail))
    if carried is not None:
        checks.append(_facts_check(carried))
    if periods:
        left_dates = recheck(f"{draft.title or ''}\n{draft.body or ''}", periods)
        checks.append(date_check(periods, title_dates.moved + body_dates.moved, left_dates))
    if channel.paragraphs:
        checks.append(
            Check(
                name="format.emoji",
                ok=has_emoji(draft.body or ""),
                detail="emoji mark the paragraphs" if has_emoji(draft.body or "") else "no emoji",
            )
        )
    if channel.hook:
        ok = is_hook(draft.title or "")
        checks.append(
            Check(
                name="format.hook",
                ok=ok,
                detail="the title is a hook" if ok else "the title asks nothing, names no number and speaks to no one",
            )
        )
    draft.checks = checks
    return draft


def _fill_tags(tags: list[str], facts: str, minimum: int) -> list[str]:
    """Too few hashtags: add the facts' own short phrases (the product name first) as topics."""
    if len(tags) >= minimum:
        return tags
    phrases = [p.strip() for p in re.split(r"[\n，,;；。.、]", facts) if p.strip()]
    return normalize_hashtags([*tags, *(p for p in phrases if 1 < len(p) <= HASHTAG_MAX_CHARS)])


def _failed_draft(angle: str, reason: str) -> Draft:
    return Draft(angle=angle, checks=[Check(name="generated", ok=False, detail=reason)])


# ---------------------------------------------------------------- the step


class WriteVariants(Step):
    id = "copywriter.write"
    title = "Write each variant from its own angle; check, repair and report"

    class Inputs(BaseModel):
        input: dict[str, Any]
        language: Literal["zh", "en"]
        temperature: float = Field(0.8, ge=0, le=2)
        model: str | None = None

    class Outputs(BaseModel):
        variants: list[dict[str, Any]]
        checks: list[Check]
        text: str

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        inp = CopywriterInput.model_validate(inputs.input)
        writer = _Writer(ctx, inp, inputs)
        drafts = writer.first_round()
        budget = REPAIR_TOKEN_SHARE * sum(d.tokens for d in drafts)
        per_variant = max(1.0, sum(d.tokens for d in drafts) / max(1, len(drafts)))
        rounds = 0
        for attempt in range(1, MAX_REPAIR_ATTEMPTS + 1):
            urgent, weaker = _to_rewrite(drafts, attempt)
            affordable = int(budget // per_variant)
            if attempt == 1 and urgent:  # a broken or duplicate variant always gets one more try
                affordable = max(affordable, 1)
            redo = (urgent + weaker)[:affordable]
            if len(redo) < len(urgent) + len(weaker):
                log.info(
                    "copywriter: repair budget spent; variants %s stay as they are",
                    [i + 1 for i in (urgent + weaker)[affordable:]],
                )
            if not redo:
                break
            ctx.check()
            ctx.progress(
                attempt / (MAX_REPAIR_ATTEMPTS + 1), f"rewriting variant {', '.join(str(i + 1) for i in redo)}"
            )
            budget -= writer.repair(drafts, redo, attempt)
            rounds = attempt
        varied = vary_titles(drafts, writer.channel.title_max)
        checks = writer.checks(drafts, rounds)
        if varied:
            checks.append(Check(name="distinct.titles", ok=True, detail=f"repaired: {'; '.join(varied)}"))
        variants = [writer.variant(d) for d in drafts]
        text = json.dumps({"variants": variants, "checks": [c.model_dump() for c in checks]}, ensure_ascii=False)
        return self.Outputs(variants=variants, checks=checks, text=text)


class _Writer:
    """Generates, polishes and regenerates the variants of one copywriter run."""

    def __init__(self, ctx: StepContext, inp: CopywriterInput, inputs: WriteVariants.Inputs):
        self.ctx, self.inp, self.lang = ctx, inp, inputs.language
        self.temperature, self.model = inputs.temperature, inputs.model
        self.channel = CHANNELS[inp.channel]
        self.facts = "\n".join(x for x in (inp.product, inp.facts, inp.audience or "") if x)
        self.angles = pick_angles(inp.facts + inp.product, ctx.seed)
        self.used = list(self.angles[: inp.variants])
        self.regenerated: set[int] = set()
        self.system = _system(self.channel, inp.tone, self.lang, settings_today(ctx.studio))

    def first_round(self) -> list[Draft]:
        jobs = [(i, self.used[i], seed_for(self.ctx.seed, i, 0), []) for i in range(self.inp.variants)]
        return self._generate(jobs)

    def repair(self, drafts: list[Draft], redo: list[int], attempt: int) -> int:
        """Regenerate the variants ``redo`` (another angle, another seed); keep each new draft that is no
        worse than the old one. Returns the output tokens spent."""
        jobs = []
        for i in redo:
            angle = next((a for a in self.angles if a not in self.used), self.angles[(i + attempt) % len(self.angles)])
            self.used.append(angle)
            avoid = [d.text[:24] for j, d in enumerate(drafts) if j != i and d.text]
            jobs.append((i, angle, seed_for(self.ctx.seed, i, attempt), avoid))
        spent = 0
        for (i, *_), new in zip(jobs, self._generate(jobs)):
            spent += new.tokens
            others = [d.text for j, d in enumerate(drafts) if j != i]
            if _score(new, others) <= _score(drafts[i], others):
                drafts[i] = new
                self.regenerated.add(i)
        return spent

    def _generate(self, jobs: list[tuple[int, str, int, list[str]]]) -> list[Draft]:
        """One generation per job, in turn: the prompts share their prefix, which the model server
        evaluates once and reuses from its cache (in parallel, each request would evaluate it anew)."""
        drafts = []
        for job in jobs:
            self.ctx.check()
            drafts.append(self._one(*job))
            self.ctx.generation(drafts[-1].generation_id)
        return drafts

    def _one(self, index: int, angle: str, seed: int, avoid: list[str]) -> Draft:
        channel = self.channel
        budget = (
            (with_slack(channel.title_max) if channel.title_max else 0)
            + (with_slack(channel.body_max) if channel.body_max else 0)
            + channel.hashtags[1] * 24
        )
        request = llm_request(
            self.ctx,
            self.system,
            _user(self.inp, self.lang, angle, avoid),
            schema=variant_schema(channel),
            model=self.model,
            temperature=self.temperature,
            max_tokens=token_budget(budget, self.lang),
            name="variant",
        )
        request = request.model_copy(update={"seed": seed, "frequency_penalty": LOOP_FREQUENCY_PENALTY})
        try:
            result = self.ctx.studio.generate_text(request, who=self.ctx.run_caller)
        except SchemaViolation as exc:  # cut at max_tokens or malformed: regenerated like any failing variant
            log.info("copywriter variant %d: %s", index + 1, exc)
            failed = _failed_draft(angle, f"the model's output did not parse: {exc}")
            failed.tokens = request.max_tokens or 0  # it ran to the end of its budget
            return failed
        draft = polish(result.parsed or {}, channel, self.lang, self.facts, angle, index)
        draft.generation_id, draft.tokens = result.generation_id, result.usage.completion_tokens
        return draft

    def checks(self, drafts: list[Draft], attempts: int) -> list[Check]:
        produced = [d for d in drafts if d.text]
        out = [check_count("variants", len(produced), self.inp.variants)]
        distinct = check_distinct("variants", [d.text for d in drafts])
        if self.regenerated:
            distinct.detail += f" ({len(self.regenerated)} rewritten in {attempts} round(s))"
        out.append(distinct)
        out += aggregate_checks([d.checks for d in drafts])
        return out

    def variant(self, d: Draft) -> dict[str, Any]:
        channel = self.channel
        limits_ok = all(c.ok for c in d.checks if c.name.startswith(("length.", "format.hashtags", "generated")))
        tags = format_hashtags(d.hashtags, channel.hashtag_style)
        post = "\n\n".join(x for x in (d.title, d.body, tags) if x)
        return Variant(
            title=d.title,
            body=d.body,
            hashtags=d.hashtags,
            title_chars=len(d.title or ""),
            body_chars=len(d.body or ""),
            within_limits=limits_ok,
            angle=d.angle,
            post=post,
        ).model_dump()


def _title_duplicates(drafts: list[Draft]) -> set[int]:
    """The later of each pair of near-duplicate titles (variants without a title are never duplicates)."""
    titles = [d.title or "" for d in drafts]
    return {j for j in duplicates_of_others(titles) if titles[j].strip()} if sum(map(bool, titles)) > 1 else set()


def _title_candidates(draft: Draft, limit: int) -> list[str]:
    """Other titles for ``draft``: its body's first sentence, then the title with a body clause added."""
    sentences = [x.strip(" \u3000") for x in re.split(r"(?<=[。！？!?.])\s*|\n", draft.body or "") if x.strip()]
    sentences = [x.lstrip("".join(EMOJI_MARKERS) + " ") for x in sentences]
    out = [fit_text(x, limit).text for x in sentences[:2]]
    clauses = [c.strip() for c in re.split(r"[,，;；:：]", sentences[0] if sentences else "") if c.strip()]
    out += [fit_text(f"{draft.title} – {c}", limit).text for c in clauses[:2]]
    return [c for c in out if c and c != draft.title]


def vary_titles(drafts: list[Draft], limit: int) -> list[str]:
    """Titles still near-duplicates after the rewrites, replaced in code by one that differs (see
    ``_title_candidates``); what was changed, as "variant 3: old → new"."""
    if not limit:
        return []
    changed = []
    for j in sorted(_title_duplicates(drafts)):
        titles = [d.title or "" for d in drafts]
        pick = next((c for c in _title_candidates(drafts[j], limit) if differs(c, titles, j)), None)
        if pick is not None:
            changed.append(f"variant {j + 1}: {titles[j]!r} → {pick!r}")
            drafts[j].title = pick
    return changed


def _to_rewrite(drafts: list[Draft], attempt: int) -> tuple[list[int], list[int]]:
    """Variants to regenerate: broken ones and near-duplicates, and (first repair round only) those
    with weaker failures."""
    failed = [[c.name for c in d.checks if not c.ok] for d in drafts]
    broken = {i for i, names in enumerate(failed) if any(n.startswith(REWRITE_ALWAYS) for n in names)}
    urgent = redo_indices([d.text for d in drafts], broken | _title_duplicates(drafts))
    weaker = [
        i
        for i, names in enumerate(failed)
        if attempt == 1 and i not in urgent and any(n.startswith(REWRITE_ONCE) for n in names)
    ]
    return urgent, weaker


def _score(draft: Draft, others: list[str]) -> int:
    """Fewer is better: the draft's failed checks, plus one when it nearly repeats another variant."""
    dup = any(similarity(draft.text, o) > DUPLICATE_SIMILARITY for o in others if o)
    return draft.failed + int(dup) + (10 if not draft.text else 0)


# ---------------------------------------------------------------- the app


class Copywriter(App):
    id = "copywriter"
    title = Localized(zh="文案助手", en="Copywriter")
    description = Localized(
        zh="输入产品事实、渠道和语气，生成多个角度不同、符合渠道字数与格式规则的文案版本，并报告检查结果。",
        en="Product facts + channel + tone → several variants, each from its own angle, that keep "
        "the channel's length and format rules, with the checks they passed.",
    )
    Input = CopywriterInput
    Result = CopywriterResult
    examples = [
        {
            "product": "山野茶舍 高山云雾绿茶",
            "facts": "海拔 1200 米茶园，手工炒制，250g 罐装，回甘明显",
            "channel": "xiaohongshu",
            "tone": "friendly",
            "variants": 3,
        },
        {
            "product": "Driftwood Coffee",
            "facts": "Small-batch roasts every Monday; beans from two farms in Yunnan",
            "channel": "instagram",
            "tone": "playful",
            "variants": 2,
        },
    ]

    def workflow(self, input: CopywriterInput) -> WorkflowSpec:
        lang = input.language or detect_language(input.product + input.facts)
        return WorkflowSpec.model_validate(
            {
                "id": "copywriter",
                "inputs": {"input": {"type": "object"}},
                "nodes": {
                    "write": {"step": "copywriter.write", "with": {"input": "${inputs.input}", "language": lang}},
                    "save": {
                        "step": "file.text",
                        "with": {"name": "copy.json", "mime": "application/json", "text": "${write.text}"},
                    },
                },
                "outputs": {
                    "output": {"variants": "${write.variants}"},
                    "checks": "${write.checks}",
                    "file": "${save.file}",
                },
            }
        )

    def result(self, run: WorkflowRun, input: CopywriterInput) -> CopywriterResult:
        lang = input.language or detect_language(input.product + input.facts)
        channel = CHANNELS[input.channel]
        out = run.outputs or {}
        variants = [Variant.model_validate(v) for v in (out.get("output") or {}).get("variants", [])]
        limits = {"title_max": channel.title_max, "body_max": channel.body_max, "hashtags": list(channel.hashtags)}
        return CopywriterResult(
            channel=input.channel,
            language=lang,
            limits=limits,
            variants=variants,
            markdown=_markdown(channel, lang, variants),
            checks=out.get("checks") or [],
            file=out.get("file"),
        )


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
            parts.append(format_hashtags(v.hashtags, channel.hashtag_style))
    return "\n\n".join(parts) + "\n"
