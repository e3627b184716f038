"""Prompt → design spec: the LLM writes a DesignSpec through JSON-schema constrained decoding.

    spec = design_spec(studio, "给我的茶馆做一张春季新品海报", kind="poster", seed=3)
    png = render(spec, size="3:4", seed=3)

``plan_design`` is the design engine's planner: ``Studio.generate_media`` runs it (registered in
``studio/planners.py``) for an image request to the design engine that carries no spec.

The schema (``zaowu.backends.design.spec.llm_schema``) is flat and uses enums for
every style choice, so even a 135M model produces a valid spec by construction.
Style fields the model leaves out are filled from the seed; the returned spec is
fully resolved, so it re-renders the same design.

Valid is not right, so code decides what a table can decide and repairs the rest:

- the theme (business category, occasion, mood) comes from the request's words through the
  bilingual keyword table (``backends/design/categories.py``), else from the nearest category
  description under the multilingual embeddings (optional, cached); the schema's icon, palette
  and font enums are narrowed to what fits it, and a choice that still does not fit is replaced;
- a promotion's offer (3折, 满200减30, 50% off, ¥99) found in the request becomes ``spec.offer``,
  which the layout makes the largest text;
- platform names (小红书, Douyin, Instagram...) are removed from the headline and brand;
- covers and social posts lose their call to action.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..backends.design.categories import (
    CATEGORIES,
    Theme,
    category_descriptions,
    detect_theme,
    find_platforms,
    is_cover,
    strip_platforms,
    theme_of,
)
from ..backends.design.offers import contains_offer, find_offer
from ..backends.design.spec import (
    FONT_PAIRINGS,
    KINDS,
    LAYOUTS,
    PALETTES,
    DesignSpec,
    fit_to_theme,
    is_cjk,
    llm_schema,
    resolve,
)
from ..errors import InvalidRequest, ZaowuError
from ..types import LOCAL, Caller, EmbeddingRequest, ImageRequest, Modality, TextRequest
from .planner import plan_text
from .planners import Planned, PlanRun
from .quality.text import similarity

if TYPE_CHECKING:
    from .engine import Studio

log = logging.getLogger(__name__)

__all__ = [
    "EMBED_MIN_MARGIN",
    "EMBED_MIN_SIMILARITY",
    "decide_theme",
    "design_messages",
    "design_spec",
    "nearest_category",
    "plan_design",
    "repair_spec",
    "stated_brand",
    "store_theme",
    "web_colors",
]

EMBED_MIN_SIMILARITY = 0.3  # cosine (USE multilingual v3) a category description must reach to be chosen
EMBED_MIN_MARGIN = 0.05  # ... and its lead over the second-nearest category
REPEAT_SIMILARITY = 0.8  # a subline or body this similar to the headline (trigram Jaccard) is dropped

_SYSTEM = {
    "en": (
        "You are a senior graphic designer and copywriter for small shops.\n"
        "Task: turn the client's request into a design spec as JSON.\n"
        "Rules:\n"
        "- Write all text in English, short and concrete; use the client's own names and numbers.\n"
        "- headline: at most 6 words. subline: one short line. body: at most 2 short sentences.\n"
        "- call_to_action: 1-3 words, a verb (e.g. 'Order now'). brand: the shop name if given.\n"
        "- icon: a picture of what this business sells.\n"
        "- palette, fonts, layout and motifs: pick what fits the business and mood.\n"
        "- Platform names (Instagram, TikTok, Xiaohongshu...) say where the design is posted: never use them as "
        "the brand or in the headline.\n"
        "- For a logo, headline is the brand name and subline a short tagline."
    ),
    "zh": (
        "你是一位服务小商家的资深平面设计师兼文案。\n"
        "任务：把客户的需求写成 JSON 格式的设计方案。\n"
        "要求：\n"
        "- 所有文字用简体中文，简洁具体；使用客户给出的店名、价格和日期。\n"
        "- headline 主标题不超过 12 个字；subline 副标题一句；body 正文不超过两句。\n"
        "- call_to_action 行动按钮 2 到 5 个字（如“立即选购”）；brand 填店名（如有）。\n"
        "- icon 图标画出这家店卖的东西。\n"
        "- palette 配色、fonts 字体、layout 版式和 motifs 装饰要符合行业和氛围。\n"
        "- 小红书、抖音、淘宝等平台名只是发布渠道，不能当作品牌名，也不要写进标题。\n"
        "- 做 logo 时，headline 是品牌名，subline 是简短标语。"
    ),
}
_KIND_NAMES = {
    "en": {k: k.replace("_", " ") for k in KINDS},
    "zh": {
        "poster": "海报",
        "logo": "标志（logo）",
        "banner": "横幅",
        "social_post": "社交媒体配图",
        "product_card": "商品卡片",
        "storefront_header": "店铺招牌横幅",
    },
}


def design_messages(prompt: str, kind: str | None, language: str, offer: str | None = None) -> list[dict[str, str]]:
    """The role-structured chat for one design request, in the prompt's language. An offer code
    found is stated, so the model leaves it out of the headline (the layout prints it as the hero).
    The theme is not written into the prompt (small models copy such labels into the headline);
    it narrows the schema's enums instead."""
    lang = "zh" if language == "zh" else "en"
    user = prompt.strip()
    if kind:
        label = _KIND_NAMES[lang][kind]
        user += f"\n\n设计类型：{label}" if lang == "zh" else f"\n\nDesign type: {label}"
    if offer:
        user += (
            f"\n优惠（单独醒目展示，标题里不要重复）：{offer}"
            if lang == "zh"
            else f"\nOffer (shown large on its own; do not repeat it in the headline): {offer}"
        )
    return [{"role": "system", "content": _SYSTEM[lang]}, {"role": "user", "content": user}]


# ---------------------------------------------------------------- theme: keyword table, then embeddings

_CATEGORIES = Caller(name="design:categories")  # the embeddings of category descriptions run as the studio's own
_EMBED_CACHE: dict[str, tuple[list[str], Any]] = {}  # embedding model id -> (category ids, unit vectors)


def nearest_category(studio: Studio, text: str, *, model: str | None = None) -> str | None:
    """The business category whose description is nearest to ``text`` under the multilingual
    embeddings, when it is near enough (``EMBED_MIN_SIMILARITY``) and clearly ahead of the next
    (``EMBED_MIN_MARGIN``); None otherwise or when no embedding model can run. The category
    vectors are computed once per model and kept."""
    import numpy as np

    try:
        model_id = model or studio.default_model(Modality.embedding)
        if model_id not in _EMBED_CACHE:
            descriptions = {k: v for k, v in category_descriptions().items() if not CATEGORIES[k].occasion}
            result = studio.embed(EmbeddingRequest(model=model_id, input=list(descriptions.values())), who=_CATEGORIES)
            vectors = np.asarray(result.vectors, dtype=np.float32)
            _EMBED_CACHE[model_id] = (list(descriptions), vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
        ids, table = _EMBED_CACHE[model_id]
        query = np.asarray(
            studio.embed(EmbeddingRequest(model=model_id, input=[text[:500]]), who=_CATEGORIES).vectors[0],
            dtype=np.float32,
        )
    except (ZaowuError, ImportError, OSError, ValueError) as exc:
        log.info("no embedding fallback for the design category: %s", exc)
        return None
    scores = table @ (query / max(float(np.linalg.norm(query)), 1e-9))
    order = np.argsort(-scores)
    best, second = float(scores[order[0]]), float(scores[order[1]])
    if best >= EMBED_MIN_SIMILARITY and best - second >= EMBED_MIN_MARGIN:
        return ids[int(order[0])]
    return None


def decide_theme(studio: Studio | None, text: str, *, use_embeddings: bool = True) -> Theme:
    """What a request is about: the keyword table first; when it finds no category or occasion,
    the nearest category description under the embeddings (``use_embeddings``)."""
    theme = detect_theme(text)
    if theme.known or not use_embeddings or studio is None:
        return theme
    category = nearest_category(studio, text)
    return theme_of(category, None, theme.mood) if category else theme


# ---------------------------------------------------------------- repair: code decides, then checks


def repair_spec(spec: DesignSpec, request_text: str, theme: Theme, seed: int = 0) -> tuple[DesignSpec, list[str]]:
    """The model's spec made to keep the rules: icon/palette/fonts/art that fit the theme, the
    request's offer as ``offer`` (and not repeated in the headline), no platform names in the
    headline or brand, no call to action on a cover or social post. Returns the spec and the
    repairs made, in words."""
    spec, repairs = fit_to_theme(spec, theme, seed)
    update: dict[str, Any] = {}
    if spec.brand and find_platforms(spec.brand):
        cleaned = strip_platforms(spec.brand)
        update["brand"] = cleaned or None
        repairs.append(f"brand {spec.brand!r} is a platform name → {cleaned or 'none'!r}")
    headline = spec.headline
    if stated := stated_brand(request_text):
        if spec.kind == "logo" and stated not in headline:
            headline = stated
            repairs.append(f"logo name set to the stated brand {stated!r}")
        elif spec.kind != "logo" and not spec.brand and not find_platforms(stated):
            update["brand"] = stated
            rest = headline[len(stated) :].strip(" ·:：,，-") if headline.startswith(stated) else ""
            if len(rest) >= 4:
                headline = rest
            repairs.append(f"brand set to the stated shop name {stated!r}")
    if find_platforms(headline):
        headline = strip_platforms(headline) or _fallback_headline(spec, request_text, theme)
        repairs.append(f"platform name removed from the headline → {headline!r}")
    offer = find_offer(request_text) if spec.kind != "logo" else None
    if offer:
        update["offer"] = offer
        if contains_offer(headline, offer) and (rest := _without(headline, offer)):
            headline = rest
        for field in ("subline", "body"):
            value = getattr(spec, field)
            if value and contains_offer(value, offer):
                update[field] = _without(value, offer) or None
        repairs.append(f"offer {offer!r} made the hero")
    if headline != spec.headline:
        update["headline"] = headline
    for field in ("subline", "body"):  # a line that only repeats the headline says nothing
        value = update.get(field, getattr(spec, field))
        if value and similarity(value, headline) >= REPEAT_SIMILARITY:
            update[field] = None
            repairs.append(f"{field} repeated the headline: removed")
    if spec.call_to_action and (spec.kind == "social_post" or is_cover(request_text)):
        update["call_to_action"] = None
        repairs.append("call to action removed from a cover")
    return spec.model_copy(update=update), repairs


_STATED_BRAND = re.compile(
    r"(?:店名|品牌名?|店铺名|牌子)\s*(?:是|叫|为|[：:])\s*[「“\"'《]?([^\s，。,.;；!！?？「」“”\"'《》]{1,16})"
    r"|(?<=[店牌叫为馆坊铺室厅屋社])[「“]([^「」“”]{1,16})[」”]"
    r"|\b(?:shop|store|brand|caf[eé]|bakery|boutique)\s+(?:name\s*[:is]*|called|named)\s+[\"“']?([A-Z][\w&' .-]{0,28}?)[\"”']?(?=[,.;!?]|$)",
    re.IGNORECASE,
)


def stated_brand(request_text: str) -> str | None:
    """The shop or brand name a request states (店名：月满楼, 「小满衣橱」, a shop called Bean There), else None."""
    if m := _STATED_BRAND.search(request_text or ""):
        name = next(g for g in m.groups() if g).strip()
        return name if name and not find_platforms(name) else None
    return None


def _without(text: str, offer: str) -> str:
    """``text`` with the offer taken out (and the punctuation left around it), or '' when nothing else remains."""
    pattern = re.escape(offer).replace(r"\ ", r"\s*")
    out = re.sub(pattern, " ", text, flags=re.IGNORECASE)
    out = re.sub(r"\s{2,}", " ", out).strip(" ·|-—:：,，、!！")
    return out if len(out.replace(" ", "")) >= 2 else ""


def _fallback_headline(spec: DesignSpec, request_text: str, theme: Theme) -> str:
    for candidate in (spec.subline, strip_platforms(request_text)[:40], theme.describe(spec.language or "en")):
        if candidate and candidate.strip() and not find_platforms(candidate):
            return candidate.strip()
    return "New" if spec.language == "en" else "上新"


def design_spec(
    studio: Studio,
    prompt: str,
    kind: str | None = None,
    seed: int = 0,
    language: str | None = None,
    *,
    model: str | None = None,
    temperature: float = 0.7,
    who: Caller = LOCAL,
    theme: dict[str, Any] | None = None,
    repairs: list[str] | None = None,
) -> DesignSpec:
    """Ask the LLM for a DesignSpec and return it repaired (``repair_spec``) and resolved with ``seed``.

    ``theme``: a decided ``{"category", "occasion", "mood", "palette"}`` (a store kit's, shared
    by its logo and cards) instead of reading one from the prompt. ``repairs``: a list that
    receives what was repaired, in words."""
    if not prompt or not prompt.strip():
        raise InvalidRequest("The prompt is empty; describe the design you want.", param="prompt")
    if kind is not None and kind not in KINDS:
        raise InvalidRequest(f"Unknown kind '{kind}'. Use one of: {', '.join(KINDS)}.", param="kind")
    if language not in (None, "zh", "en"):
        raise InvalidRequest(f"Unsupported language '{language}'. Use 'zh' or 'en'.", param="language")
    language = language or ("zh" if is_cjk(prompt) else "en")
    decided = _theme_from(theme) if theme else decide_theme(studio, prompt)
    offer = find_offer(prompt) if kind != "logo" else None
    request = TextRequest(
        model=model,
        messages=design_messages(prompt, kind, language, offer),
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "design_spec", "schema": llm_schema(kind, decided), "strict": True},
        },
        seed=seed,
        temperature=temperature,
        max_tokens=400,
    )
    result = plan_text(studio, request, who=who, scope="image")
    spec = _to_spec(result.parsed, prompt, kind, language)
    if theme:  # a store's palette and fonts, shared by all its designs
        shared = {
            k: theme[k] for k, allowed in (("palette", PALETTES), ("fonts", FONT_PAIRINGS)) if theme.get(k) in allowed
        }
        spec = spec.model_copy(update=shared)
    spec, done = repair_spec(spec, prompt, decided, seed)
    if done:
        log.info("design spec repaired: %s", "; ".join(done))
    if repairs is not None:
        repairs.extend(done)
    return resolve(spec, seed)


def _theme_from(data: dict[str, Any]) -> Theme:
    return theme_of(data.get("category"), data.get("occasion"), data.get("mood"))


def store_theme(studio: Studio | None, idea: str, seed: int = 0, *, use_embeddings: bool = True) -> dict[str, Any]:
    """One theme for a whole store (its logo, every card and the site): category, occasion, mood,
    palette and fonts decided once from the shop idea, plus the site's colours (``web_colors``)."""
    import random

    theme = decide_theme(studio, idea, use_embeddings=use_embeddings)
    rng = random.Random(f"zaowu-store:{seed}:{theme.category}:{theme.occasion}")
    palette, fonts = rng.choice(theme.palettes()), rng.choice(theme.fonts())
    return {
        "category": theme.category,
        "occasion": theme.occasion,
        "mood": theme.mood,
        "palette": palette,
        "fonts": fonts,
        **web_colors(palette),
    }


def web_colors(palette: str) -> dict[str, str]:
    """A light page tint and a link/price colour readable on it (WCAG AA), from a design palette."""
    from ..backends.design.layout import contrast_ratio
    from ..backends.design.render import _mix

    p = PALETTES[palette]
    background = _mix(p.bg[0], "#FFFFFF", 0.92)
    accent = next((c for c in (p.accent, p.bg[0], p.bg[1], p.ink) if contrast_ratio(c, background) >= 4.5), "#8A2E1B")
    return {"accent": accent, "background": background}


def plan_design(studio: Studio, request: ImageRequest, run: PlanRun) -> Planned:
    """The design engine's planner (run by ``Studio.generate_media`` for a request without a spec):
    the LLM's spec (``run.model``, else the planner model) for the request's prompt, kind and seed,
    repaired and resolved; ``run.hints["theme"]``: a decided category/occasion/mood/palette (see
    ``design_spec``). The repairs made are reported as the check ``design.repaired``."""
    from ..backends.design.spec import parse_size

    parse_size(request.size, request.kind or "poster")  # a bad size fails before the LLM runs
    if request.kind is not None and request.kind not in KINDS:
        raise InvalidRequest(f"Unknown kind '{request.kind}'. Use one of: {', '.join(KINDS)}.", param="kind")
    run.report(0.0, "writing the design spec with the language model")
    repairs: list[str] = []
    seed = request.seed if request.seed is not None else 0
    spec = design_spec(
        studio,
        request.prompt,
        request.kind,
        seed,
        who=run.who,
        model=run.model,
        theme=run.hints.get("theme"),
        repairs=repairs,
    )
    checks = [{"name": "design.repaired", "ok": True, "detail": "; ".join(repairs)}] if repairs else []
    return Planned(request.model_copy(update={"spec": spec.model_dump(exclude_none=True)}), checks)


def _to_spec(data: Any, prompt: str, kind: str | None, language: str) -> DesignSpec:
    """Validate the model's JSON; optional fields that fail are dropped, not fatal."""
    data = {k: v for k, v in (data or {}).items() if v not in ("", None, [])}
    data["kind"] = kind or data.get("kind") or "poster"
    data["language"] = language
    if data.get("layout") not in LAYOUTS[data["kind"]]:
        data.pop("layout", None)
    if not str(data.get("headline", "")).strip():
        data["headline"] = prompt.strip()[:40]
    for _ in range(len(data)):
        try:
            return DesignSpec.model_validate(data)
        except ValidationError as exc:
            field = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else ""
            if field in ("", "kind", "headline"):
                data["headline"] = prompt.strip()[:40] or "Design"
                if field != "headline":
                    raise
            else:
                log.info("dropping invalid design field %r from the model output", field)
                data.pop(field, None)
    return DesignSpec.model_validate(data)
