"""Prompt → design spec: the LLM writes a DesignSpec through JSON-schema constrained decoding.

    spec = design_spec(studio, "给我的茶馆做一张春季新品海报", kind="poster", seed=3)
    png = render(spec, size="3:4", seed=3)

The schema (``zaowu.backends.design.spec.llm_schema``) is flat and uses enums for
every style choice, so even a 135M model produces a valid spec by construction.
Style fields the model leaves out are filled from the seed; the returned spec is
fully resolved, so it re-renders the same design.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from ..backends.design.spec import KINDS, LAYOUTS, DesignSpec, is_cjk, llm_schema, resolve
from ..errors import InvalidRequest
from ..types import ImageRequest, MediaResult, Modality, TextRequest
from .planner import plan_text

log = logging.getLogger(__name__)

__all__ = ["design_spec", "design_messages", "design_image"]

_SYSTEM = {
    "en": (
        "You are a senior graphic designer and copywriter for small shops.\n"
        "Task: turn the client's request into a design spec as JSON.\n"
        "Rules:\n"
        "- Write all text in English, short and concrete; use the client's own names and numbers.\n"
        "- headline: at most 6 words. subline: one short line. body: at most 2 short sentences.\n"
        "- call_to_action: 1-3 words, a verb (e.g. 'Order now'). brand: the shop name if given.\n"
        "- icon: a picture of what the shop sells (croissant for a bakery, coffee for a cafe, leaf for tea).\n"
        "- palette, fonts, layout and motifs: pick what fits the business and mood.\n"
        "- For a logo, headline is the brand name and subline a short tagline."
    ),
    "zh": (
        "你是一位服务小商家的资深平面设计师兼文案。\n"
        "任务：把客户的需求写成 JSON 格式的设计方案。\n"
        "要求：\n"
        "- 所有文字用简体中文，简洁具体；使用客户给出的店名、价格和日期。\n"
        "- headline 主标题不超过 12 个字；subline 副标题一句；body 正文不超过两句。\n"
        "- call_to_action 行动按钮 2 到 5 个字（如“立即选购”）；brand 填店名（如有）。\n"
        "- icon 图标画出店铺卖的东西（面包店用 croissant，咖啡店用 coffee，茶馆用 leaf）。\n"
        "- palette 配色、fonts 字体、layout 版式和 motifs 装饰要符合行业和氛围。\n"
        "- 做 logo 时，headline 是品牌名，subline 是简短标语。"
    ),
}
_KIND_NAMES = {
    "en": {k: k.replace("_", " ") for k in KINDS},
    "zh": {"poster": "海报", "logo": "标志（logo）", "banner": "横幅", "social_post": "社交媒体配图",
           "product_card": "商品卡片", "storefront_header": "店铺招牌横幅"},
}  # fmt: skip


def design_messages(prompt: str, kind: str | None, language: str) -> list[dict[str, str]]:
    """The role-structured chat for one design request, in the prompt's language."""
    lang = "zh" if language == "zh" else "en"
    user = prompt.strip()
    if kind:
        label = _KIND_NAMES[lang][kind]
        user += f"\n\n设计类型：{label}" if lang == "zh" else f"\n\nDesign type: {label}"
    return [{"role": "system", "content": _SYSTEM[lang]}, {"role": "user", "content": user}]


def design_spec(
    studio,
    prompt: str,
    kind: str | None = None,
    seed: int = 0,
    language: str | None = None,
    *,
    model: str | None = None,
    temperature: float = 0.7,
    interface: str = "python",
    caller: str | None = None,
    key_id: str | None = None,
) -> DesignSpec:
    """Ask the LLM for a DesignSpec and return it validated and resolved with ``seed``."""
    if not prompt or not prompt.strip():
        raise InvalidRequest("The prompt is empty; describe the design you want.", param="prompt")
    if kind is not None and kind not in KINDS:
        raise InvalidRequest(f"Unknown kind '{kind}'. Use one of: {', '.join(KINDS)}.", param="kind")
    if language not in (None, "zh", "en"):
        raise InvalidRequest(f"Unsupported language '{language}'. Use 'zh' or 'en'.", param="language")
    language = language or ("zh" if is_cjk(prompt) else "en")
    request = TextRequest(
        model=model,
        messages=design_messages(prompt, kind, language),
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "design_spec", "schema": llm_schema(kind), "strict": True},
        },
        seed=seed,
        temperature=temperature,
        max_tokens=400,
    )
    result = plan_text(studio, request, interface=interface, caller=caller, key_id=key_id, scope="image")
    return resolve(_to_spec(result.parsed, prompt, kind, language), seed)


def design_image(
    studio,
    request: ImageRequest,
    *,
    interface: str = "python",
    caller: str | None = None,
    key_id: str | None = None,
    job_id: str | None = None,
    progress=None,
    planner: str | None = None,
) -> MediaResult:
    """Prompt → (LLM spec by ``planner``, else the planner model, unless the request carries one) →
    rendered design(s), stored as artifacts and logged. Other image backends (diffusers, remote)
    take the prompt as is."""
    import random

    studio.authorize(key_id, Modality.image)  # before the planner: a key without 'image' spends nothing
    spec_model = studio.catalog.get(request.model or studio.default_model(Modality.image), Modality.image)
    seed = request.seed if request.seed is not None else random.randrange(2**31)
    if spec_model.backend == "design":
        from ..backends.design.spec import parse_size

        parse_size(request.size, request.kind or "poster")  # a bad size fails before the LLM runs
        if request.kind is not None and request.kind not in KINDS:
            raise InvalidRequest(f"Unknown kind '{request.kind}'. Use one of: {', '.join(KINDS)}.", param="kind")
    if spec_model.backend == "design" and request.spec is None:
        if progress:
            progress(0.0, "writing the design spec with the language model")
        spec = design_spec(studio, request.prompt, request.kind, seed, model=planner, interface=interface,
                           caller=caller, key_id=key_id)  # fmt: skip
        request = request.model_copy(update={"spec": spec.model_dump(exclude_none=True)})
    request = request.model_copy(update={"seed": seed})
    return studio.generate_media(request, interface=interface, caller=caller, key_id=key_id, job_id=job_id,
                                 progress=progress)  # fmt: skip


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
