"""Store kit: a shop idea → names, a logo, product cards, titles and detail copy, and a
static storefront (HTML + assets, zipped).

    theme ─┬──────────────────────────┐
    brand ─┴► logo ──────────────┐     │
      │  └──► cards ─────────────┤     │
      └─────► copy ──────────────┴─► site

Every text step decodes under a JSON schema; images come from the design engine (or
whatever image model the user set as default); the site is built by storefront.py.
The theme (business category, palette, fonts) is decided once from the shop idea by
code and shared by the logo, every product card and the site, so they look like one
brand (no croissant on a fashion shop's cards).

The brand plan and the product copy pass through code before anything uses them: texts get
slack in the schema and are trimmed to their limits at a boundary, claims the shop idea does not
make (最/第一/保证, "best") are removed, numbers in the copy that neither the idea nor the plan
states are removed or reported, and the result reports these ``checks``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..studio.quality import Check, check_count, check_distinct, check_language, scrub_claims
from ..studio.quality.claims import Claim, describe_claims, find_claims
from ..studio.quality.dates import drop_date_echo
from ..studio.quality.facts import drop_unsupported_numbers
from ..studio.quality.formats import fit_text
from ..studio.quality.latin import strip_foreign_latin
from ..studio.quality.variants import differs, duplicates_of_others, fact_slots, slot_choices, with_slack
from ..studio.templates import Localized, detect_language
from ..studio.workflows import ArtifactRef, Step, StepContext, WorkflowRun, WorkflowSpec
from .base import LANGUAGE_FIELD, App, AppInput, input_field, token_budget
from .storefront import Product, Storefront, build_files, build_preview, build_zip

# character limits of the brand plan's and the product copy's texts; the schema gives the model slack
# past them (with_slack) and code trims each text here at a sentence, clause or word boundary
BRAND_LIMITS = {"name": 16, "reason": 60, "tagline": 30, "about": 160, "product_name": 24, "description": 80}
COPY_LIMITS = {"zh": {"title": 30, "point": 24, "detail": 160}, "en": {"title": 110, "point": 60, "detail": 320}}


def _s(max_len: int, min_len: int = 1) -> dict[str, Any]:
    return {"type": "string", "minLength": min_len, "maxLength": with_slack(max_len)}


def brand_schema(products: int) -> dict[str, Any]:
    lim = BRAND_LIMITS
    product = {
        "type": "object",
        "properties": {
            "name": _s(lim["product_name"]),
            "price": {"type": "number", "minimum": 0},
            "description": _s(lim["description"]),
        },
        "required": ["name", "price", "description"],
    }
    candidate = {
        "type": "object",
        "properties": {"name": _s(lim["name"]), "reason": _s(lim["reason"])},
        "required": ["name", "reason"],
    }
    return {
        "type": "object",
        "properties": {
            "candidates": {"type": "array", "minItems": 3, "maxItems": 3, "items": candidate},
            "name": _s(lim["name"]),
            "tagline": _s(lim["tagline"]),
            "about": _s(lim["about"]),
            "products": {"type": "array", "minItems": products, "maxItems": products, "items": product},
        },
        "required": ["candidates", "name", "tagline", "about", "products"],
    }


def copy_schema(products: int, lang: str) -> dict[str, Any]:
    lim = COPY_LIMITS[lang]
    item = {
        "type": "object",
        "properties": {
            "title": _s(lim["title"], 4),
            "points": {"type": "array", "minItems": 3, "maxItems": 3, "items": _s(lim["point"])},
            "detail": _s(lim["detail"], 10),
        },
        "required": ["title", "points", "detail"],
    }
    return {
        "type": "object",
        "properties": {"products": {"type": "array", "minItems": products, "maxItems": products, "items": item}},
        "required": ["products"],
    }


_BRAND = {
    "zh": "你是一名帮小店做品牌的策划。根据店铺想法：给出 3 个好记、好读、不易混淆的店名候选（每个附一句理由），选出最好的一个作为 name，"
    "写一句不超过 15 字的口号 tagline、一段店铺介绍 about，并规划首批主推商品（名称、合理的人民币售价、一句描述）。只输出 JSON。",
    "en": "You are a brand strategist for small shops. From the shop idea: propose 3 short, memorable, distinct store "
    "names (each with a one-line reason), pick the best as `name`, write a tagline of at most 6 words, a short "
    "`about` paragraph, and plan the first featured products (name, a realistic price in USD, one-line "
    "description). JSON only.",
}
_COPY = {
    "zh": "你是一名电商运营。为每个商品写：淘宝风格商品标题（不超过 30 字，含品类和核心卖点关键词）、3 条卖点（每条不超过 12 字）、"
    "一段详情页文案。只使用给出的信息，不编造认证、数据或“最”“第一”等绝对化用语。按给出的商品顺序输出 JSON。",
    "en": "You are an e-commerce copywriter. For each product write: a marketplace product title (under 110 characters, "
    "with product type and key benefit), 3 selling points (short phrases), and a detail-page paragraph. Use only "
    "the information given; invent no certifications or numbers. Keep the products' order. JSON only.",
}


class StoreKitInput(AppInput):
    idea: str = input_field(
        en="Shop idea",
        zh="开店想法",
        help_en="What you sell, to whom, in what style",
        help_zh="卖什么、给谁、什么风格",
        min_length=4,
        max_length=1000,
    )
    products: int = input_field(3, en="Featured products", zh="主推商品数量", ge=1, le=4)
    language: Literal["zh", "en"] | None = input_field(None, **LANGUAGE_FIELD)


class KitProduct(BaseModel):
    name: str
    price: float
    title: str
    points: list[str]
    detail: str
    card: ArtifactRef | None = None


class StoreKitResult(BaseModel):
    language: str
    name: str
    candidates: list[dict[str, str]]
    tagline: str
    about: str
    logo: ArtifactRef | None
    products: list[KitProduct]
    site_zip: ArtifactRef
    preview: ArtifactRef
    checks: list[Check] = Field(default_factory=list)


class StoreTheme(Step):
    """The store's one category, palette and fonts, decided by code from the idea."""

    id = "storekit.theme"
    title = "Decide the store's category, palette and fonts"

    class Inputs(BaseModel):
        idea: str

    class Outputs(BaseModel):
        theme: dict[str, Any]

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        from ..studio.design import store_theme

        return self.Outputs(theme=store_theme(ctx.studio, inputs.idea, ctx.seed))


class ProductCards(Step):
    id = "storekit.cards"
    title = "Design a product card per product"
    scope = "image"

    class Inputs(BaseModel):
        store: str
        products: list[dict[str, Any]]
        language: Literal["zh", "en"]
        size: str = "768x1024"
        theme: dict[str, Any] | None = None

    class Outputs(BaseModel):
        cards: list[ArtifactRef]

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        from ..types import ImageRequest

        cards = []
        for i, p in enumerate(inputs.products):
            ctx.check()
            ctx.progress(i / len(inputs.products), f"card {i + 1}/{len(inputs.products)}: {p.get('name', '')}")
            prompt = (
                f"{inputs.store} · {p.get('name', '')}：{p.get('description', '')}"
                if inputs.language == "zh"
                else f"{inputs.store} · {p.get('name', '')}: {p.get('description', '')}"
            )
            request = ImageRequest(prompt=prompt, kind="product_card", size=inputs.size, seed=ctx.seed + i)
            result = ctx.studio.generate_media(
                request, who=ctx.run_caller, planner=ctx.model, hints={"theme": inputs.theme}
            )
            ctx.generation(result.generation_id)
            m = result.media[0]
            cards.append(
                ctx.adopt(
                    {
                        "id": m.meta["artifact_id"],
                        "name": f"product-{i + 1}.png",
                        "mime": m.mime,
                        "size_bytes": len(m.data),
                    }
                )
            )
        return self.Outputs(cards=cards)


class BuildSite(Step):
    id = "storekit.site"
    title = "Assemble the static storefront"

    class Inputs(BaseModel):
        brand: dict[str, Any]
        texts: dict[str, Any]
        logo: list[ArtifactRef] = Field(default_factory=list)
        cards: list[ArtifactRef] = Field(default_factory=list)
        language: Literal["zh", "en"]
        theme: dict[str, Any] | None = None

    class Outputs(BaseModel):
        site_zip: ArtifactRef
        preview: ArtifactRef
        files: list[str]

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        read = ctx.read_artifact  # owner-checked: another key's artifact is a 404
        brand, copies = inputs.brand, inputs.texts.get("products", [])
        symbol = "¥" if inputs.language == "zh" else "$"
        products = []
        for i, p in enumerate(brand.get("products", [])):
            c = copies[i] if i < len(copies) else {}
            card = inputs.cards[i] if i < len(inputs.cards) else None
            products.append(
                Product(
                    name=p["name"],
                    title=c.get("title") or p["name"],
                    price=f"{symbol}{p['price']:,.2f}",
                    points=c.get("points", []),
                    detail=c.get("detail") or p.get("description", ""),
                    image=read(card.id) if card else None,
                )
            )
        logo = inputs.logo[0] if inputs.logo else None
        colors = {k: v for k, v in (inputs.theme or {}).items() if k in ("accent", "background")}
        store = Storefront(
            name=brand["name"],
            tagline=brand.get("tagline", ""),
            about=brand.get("about", ""),
            language=inputs.language,
            products=products,
            logo=read(logo.id) if logo else None,
            **colors,
        )
        files = build_files(store)
        site_zip = ctx.artifact(build_zip(files), "application/zip", "storefront.zip")
        preview = ctx.artifact(build_preview(files), "text/html; charset=utf-8", "storefront-preview.html")
        return self.Outputs(site_zip=site_zip, preview=preview, files=sorted(files))


class StoreKit(App):
    id = "store-kit"
    title = Localized(zh="开店套件", en="Store kit")
    description = Localized(
        zh="输入开店想法，得到店名候选、Logo、商品设计卡、商品标题与详情文案，并打包成可直接上线的静态店铺网页。",
        en="A shop idea → store names, a logo, product cards, product titles and detail copy, "
        "assembled into a static storefront (HTML + assets, zipped).",
    )
    Input = StoreKitInput
    Result = StoreKitResult
    examples = [
        {"idea": "在杭州做手工陶瓷茶具的小网店，风格温润素雅，面向喜欢喝茶的年轻人", "products": 3},
        {"idea": "An online shop for hand-poured soy candles with calm, natural scents", "products": 2},
    ]

    def workflow(self, input: StoreKitInput) -> WorkflowSpec:
        lang = input.language or detect_language(input.idea)
        n = input.products
        logo_prompt = "${brand.name}：${brand.tagline}" if lang == "zh" else "${brand.name}: ${brand.tagline}"
        copy_prompt = (
            "店铺：${brand.name}\n商品（按顺序）：${brand.products}"
            if lang == "zh"
            else "Store: ${brand.name}\nProducts (in order): ${brand.products}"
        )
        return WorkflowSpec.model_validate(
            {
                "id": "store-kit",
                "inputs": {"input": {"type": "object"}},
                "nodes": {
                    "theme": {"step": "storekit.theme", "with": {"idea": input.idea}},
                    "plan": {
                        "step": "text.structured",
                        "with": {
                            "system": _BRAND[lang],
                            "prompt": input.idea,
                            "json_schema": brand_schema(n),
                            "max_tokens": token_budget(450 + 120 * n, lang),
                            "temperature": 0.7,
                            "dated": True,
                        },
                    },
                    "brand": {
                        "step": "storekit.brand",
                        "with": {"plan": "${plan.output}", "idea": input.idea, "language": lang},
                    },
                    "logo": {
                        "step": "image.design",
                        "with": {"prompt": logo_prompt, "kind": "logo", "size": "512x512", "theme": "${theme.theme}"},
                    },
                    "cards": {
                        "step": "storekit.cards",
                        "with": {
                            "store": "${brand.name}",
                            "products": "${brand.products}",
                            "language": lang,
                            "theme": "${theme.theme}",
                        },
                    },
                    "copy": {
                        "step": "text.structured",
                        "with": {
                            "system": _COPY[lang],
                            "prompt": copy_prompt,
                            "json_schema": copy_schema(n, lang),
                            "max_tokens": token_budget((270 if lang == "zh" else 620) * n, lang),
                            "temperature": 0.7,
                            "dated": True,
                        },
                    },
                    "checked": {
                        "step": "storekit.copy",
                        "with": {
                            "texts": "${copy.output}",
                            "plan": "${brand.plan}",
                            "idea": input.idea,
                            "language": lang,
                        },
                    },
                    "site": {
                        "step": "storekit.site",
                        "with": {
                            "brand": "${brand.plan}",
                            "texts": "${checked.texts}",
                            "logo": "${logo.images}",
                            "cards": "${cards.cards}",
                            "language": lang,
                            "theme": "${theme.theme}",
                        },
                    },
                },
                "outputs": {
                    "brand": "${brand.plan}",
                    "copy": "${checked.texts}",
                    "logo": "${logo.images}",
                    "checks": {"brand": "${brand.checks}", "copy": "${checked.checks}"},
                    "cards": "${cards.cards}",
                    "site_zip": "${site.site_zip}",
                    "preview": "${site.preview}",
                },
            }
        )

    def result(self, run: WorkflowRun, input: StoreKitInput) -> StoreKitResult:
        out = run.outputs or {}
        brand, copies, cards = out["brand"], out["copy"].get("products", []), out.get("cards") or []
        products = []
        for i, p in enumerate(brand.get("products", [])):
            c = copies[i] if i < len(copies) else {}
            products.append(
                KitProduct(
                    name=p["name"],
                    price=p["price"],
                    title=c.get("title") or p["name"],
                    points=c.get("points", []),
                    detail=c.get("detail", ""),
                    card=cards[i] if i < len(cards) else None,
                )
            )
        return StoreKitResult(
            language=input.language or detect_language(input.idea),
            name=brand["name"],
            candidates=brand.get("candidates", []),
            tagline=brand.get("tagline", ""),
            about=brand.get("about", ""),
            logo=(out.get("logo") or [None])[0],
            products=products,
            site_zip=out["site_zip"],
            preview=out["preview"],
            checks=[*(out.get("checks") or {}).get("brand", []), *(out.get("checks") or {}).get("copy", [])],
        )


class Brand(Step):
    """The brand plan made safe to use: claims the idea does not make removed, texts trimmed to their
    limits at a boundary; its fields exposed as typed outputs for the next steps to connect to."""

    id = "storekit.brand"
    title = "Brand fields, checked"
    version = 2

    class Inputs(BaseModel):
        plan: dict[str, Any]
        idea: str = ""
        language: Literal["zh", "en"] = "zh"

    class Outputs(BaseModel):
        name: str
        tagline: str
        products: list[dict[str, Any]]
        plan: dict[str, Any]
        checks: list[Check] = Field(default_factory=list)

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        plan, checks = check_brand(inputs.plan, inputs.idea, inputs.language)
        return self.Outputs(
            name=plan.get("name") or "Shop",
            tagline=plan.get("tagline") or "",
            products=plan.get("products") or [],
            plan=plan,
            checks=checks,
        )


class CopyTexts(Step):
    """The product copy made safe to use: claims and numbers that neither the idea nor the brand plan
    states removed (or reported), titles, points and details trimmed to their limits at a boundary."""

    id = "storekit.copy"
    title = "Product copy, checked"

    class Inputs(BaseModel):
        texts: dict[str, Any]  # the copy step's output
        plan: dict[str, Any]
        idea: str = ""
        language: Literal["zh", "en"]

    class Outputs(BaseModel):
        texts: dict[str, Any]
        checks: list[Check] = Field(default_factory=list)

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        texts, checks = check_copy(inputs.texts, inputs.plan, inputs.idea, inputs.language)
        return self.Outputs(texts=texts, checks=checks)


class _Texts:
    """Cleans the texts of one plan or copy and collects what it changed and found."""

    def __init__(self, facts: str, numbers: bool, language: str = "en"):
        self.facts, self.numbers, self.language = facts, numbers, language
        self.latin: list[str] = []  # Latin words removed from Chinese text
        self.claims: list[Claim] = []
        self.removed: list[str] = []
        self.left: list[str] = []
        self.lengths: list[str] = []  # texts that could not be trimmed at a boundary

    def __call__(self, value: Any, limit: int, where: str) -> str:
        text = drop_date_echo(str(value or "").strip())
        cleaned, found = scrub_claims(text, self.facts)
        if cleaned or not text:
            text, self.claims = cleaned, self.claims + found
        if self.language == "zh":
            latin = strip_foreign_latin(text, self.facts)
            text, self.latin = latin.text, self.latin + latin.removed
        if self.numbers:
            fix = drop_unsupported_numbers(text, self.facts)
            text, self.removed, self.left = fix.text, self.removed + fix.removed, self.left + fix.left
        fit = fit_text(text, limit)
        if not fit.boundary:
            self.lengths.append(f"{where}: {fit.describe(limit, len(text))}")
        return fit.text

    def checks(self, prefix: str) -> list[Check]:
        out = [
            Check(
                name=f"{prefix}.length",
                ok=not self.lengths,
                detail="; ".join(self.lengths) or "every text within its limit, ending at a boundary",
            ),
            Check(name=f"{prefix}.claims", ok=True, detail=describe_claims(self.claims) or "none found"),
        ]
        if self.latin:
            out.append(
                Check(name=f"{prefix}.latin", ok=True, detail=f"removed Latin words not in the input: {self.latin}")
            )
        if self.numbers:
            parts = [
                f"removed {self.removed}" if self.removed else "",
                f"not in the facts: {self.left}" if self.left else "",
            ]
            out.append(
                Check(
                    name=f"{prefix}.facts.numbers",
                    ok=not self.left,
                    detail="; ".join(p for p in parts if p) or "none invented",
                )
            )
        return out


def check_brand(plan: dict[str, Any], idea: str, language: str) -> tuple[dict[str, Any], list[Check]]:
    """The brand plan with its texts cleaned, and its checks. The plan invents products and prices by
    design, so only the tagline and the about text lose numbers that neither the idea nor the planned
    products state (a copied "Today is …, 2026." included)."""
    lim, clean = BRAND_LIMITS, _Texts(idea, numbers=False, language=language)
    plan = dict(plan)
    plain = [c.get("name") for c in plan.get("candidates") or [] if c.get("name") and not find_claims(c["name"], idea)]
    if find_claims(str(plan.get("name") or ""), idea) and plain:  # a name that is a claim: a plain candidate instead
        plan["name"] = plain[0]
    candidates = [
        {
            "name": clean(c.get("name"), lim["name"], f"candidate {i + 1}"),
            "reason": clean(c.get("reason"), lim["reason"], f"candidate {i + 1}"),
        }
        for i, c in enumerate(plan.get("candidates") or [])
    ]
    plan["candidates"] = candidates
    plan["name"] = clean(plan.get("name"), lim["name"], "name")
    facts = "\n".join([idea, json.dumps(plan.get("products") or [], ensure_ascii=False)])
    told = _Texts(facts, numbers=True, language=language)  # the shop's own words state no invented numbers
    for key in ("tagline", "about"):
        plan[key] = told(plan.get(key), lim[key], key)
    clean.claims, clean.lengths, clean.latin = (
        clean.claims + told.claims,
        clean.lengths + told.lengths,
        clean.latin + told.latin,
    )
    plan["products"] = [
        {
            **p,
            "name": clean(p.get("name"), lim["product_name"], f"product {i + 1}"),
            "description": clean(p.get("description"), lim["description"], f"product {i + 1}"),
        }
        for i, p in enumerate(plan.get("products") or [])
    ]
    texts = [plan.get("tagline", ""), plan.get("about", ""), *(p["description"] for p in plan["products"])]
    checks = [
        check_distinct("names", [c["name"] for c in candidates]),
        check_language("texts", "\n".join(texts), language, allow=idea),
        *clean.checks("brand"),
        *[c for c in told.checks("brand") if c.name == "brand.facts.numbers"],
    ]
    checks[0].name, checks[1].name = "brand.distinct.names", "brand.language"
    return plan, checks


def check_copy(
    copy: dict[str, Any], plan: dict[str, Any], idea: str, language: str
) -> tuple[dict[str, Any], list[Check]]:
    """The product copy with its texts cleaned against the idea and the brand plan, and its checks."""
    lim = COPY_LIMITS[language]
    facts = "\n".join([idea, json.dumps(plan.get("products") or [], ensure_ascii=False)])
    clean = _Texts(facts, numbers=True, language=language)
    products = []
    for i, p in enumerate(copy.get("products") or []):
        where = f"product {i + 1}"
        products.append(
            {
                "title": clean(p.get("title"), lim["title"], where),
                "points": [clean(x, lim["point"], where) for x in p.get("points") or []],
                "detail": clean(p.get("detail"), lim["detail"], where),
            }
        )
    repair = distinct_titles(products, plan.get("products") or [], language)
    texts = [f"{p['title']}\n{p['detail']}" for p in products]
    checks = [
        check_count("products", len(products), len(plan.get("products") or [])),
        check_distinct("titles", [p["title"] for p in products]),
        check_language("texts", "\n".join(texts), language, allow=facts),
        *clean.checks("copy"),
    ]
    for c, name in zip(checks, ("copy.count.products", "copy.distinct.titles", "copy.language")):
        c.name = name
    if repair:
        checks[1].detail = f"{repair}; {checks[1].detail}"
    return {**copy, "products": products}, checks


def distinct_titles(products: list[dict[str, Any]], planned: list[dict[str, Any]], language: str) -> str:
    """Titles that are near-duplicates of an earlier one rewritten by code from their own product's
    facts (its planned name, selling points and description), within the title limit; what was done."""
    titles = [p["title"] for p in products]
    limit, join = COPY_LIMITS[language]["title"], (" " if language == "zh" else ", ")
    done = []
    for i in sorted(duplicates_of_others(titles)):
        name = str((planned[i] if i < len(planned) else {}).get("name") or "").strip()
        slots = fact_slots(
            *products[i]["points"], str((planned[i] if i < len(planned) else {}).get("description") or "")
        )
        for chosen in slot_choices(slots, 2, 0):
            title = (f"{name} {join.join(chosen)}" if language == "zh" else f"{name} - {join.join(chosen)}").strip(" -")
            if len(title) <= limit and differs(title, titles, i):
                products[i]["title"] = titles[i] = title
                done.append(i + 1)
                break
    return f"repaired: titles {done} composed from each product's own name and selling points" if done else ""
