"""Design-engine benchmark: seconds per 1024x1024 design, render only and spec + render,
and a contact sheet of 10 posters and 10 logos (Chinese and English) for a person to judge.

    .venv/bin/python bench/images.py [--rounds 1] [--llm-prompts 3] [--sheet-from-llm] [--model ID]

Render-only: the median over 20 specs (the sheet's), after one warm-up render.
Spec + render: the default chat model (qwen2.5-coder-1.5b-instruct) writes the spec
through JSON-schema constrained decoding, then the engine renders it; skipped with a
note when that model is not installed. The sheet goes to bench/out/contact_sheet.png.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from zaowu.backends.design.render import compose, render
from zaowu.backends.design.spec import DesignSpec

OUT = Path(__file__).resolve().parent / "out"

POSTERS = [
    dict(
        headline="春季新品上市",
        subline="全场八折 · 仅限本周",
        body="精选春茶与手工点心，到店即可品尝。",
        call_to_action="立即选购",
        brand="山间茶舍",
        icon="leaf",
    ),
    dict(
        headline="Fresh Coffee, Every Morning",
        subline="Single-origin beans, roasted in-house",
        call_to_action="Order now",
        brand="Bean There",
        icon="coffee",
    ),
    dict(
        headline="周末亲子烘焙课",
        subline="周六 14:00 · 名额 12 位",
        body="材料全包，带走自己做的蛋糕。",
        call_to_action="扫码报名",
        brand="麦香烘焙",
        icon="cake-slice",
    ),
    dict(
        headline="Summer Linen Sale",
        subline="Up to 50% off shirts and dresses",
        body="Free shipping over $50.",
        call_to_action="Shop the sale",
        brand="Loom & Thread",
        icon="shirt",
    ),
    dict(
        headline="双十一狂欢", subline="满300减50 · 全店包邮", call_to_action="马上抢购", brand="优品小铺", icon="gift"
    ),
    dict(
        headline="Grand Opening",
        subline="Saturday 10 am · free samples all day",
        call_to_action="Visit us",
        brand="Green Leaf Grocery",
        icon="store",
    ),
    dict(
        headline="中秋月饼礼盒",
        subline="手工现烤 · 六种口味",
        body="企业团购满 20 盒九折。",
        call_to_action="预订礼盒",
        brand="桂香斋",
        icon="moon",
    ),
    dict(
        headline="Yoga for Beginners",
        subline="Mondays and Thursdays, 7 pm",
        call_to_action="Book a class",
        brand="Still Studio",
        icon="sun",
    ),
    dict(
        headline="宠物洗护 新客立减 30 元",
        subline="专业美容师 · 预约免排队",
        call_to_action="立即预约",
        brand="毛孩子之家",
        icon="paw-print",
    ),
    dict(
        headline="Handmade Pizza Night",
        subline="Every Friday · 2 for 1",
        call_to_action="Reserve a table",
        brand="Nonna's Kitchen",
        icon="pizza",
    ),
]
LOGOS = [
    dict(headline="Bloom & Co", subline="Florist since 1998", icon="flower"),
    dict(headline="小满咖啡", subline="Coffee & Bakery", icon="coffee"),
    dict(headline="Northwind", subline="Outdoor gear", icon="mountain"),
    dict(headline="山间茶舍", subline="以茶会友", icon="leaf"),
    dict(headline="Pixel Forge", subline="Game studio", icon="gamepad-2"),
    dict(headline="麦香烘焙", subline="每日现烤", icon="croissant"),
    dict(headline="Luna Jewelry", subline="Handcrafted silver", icon="gem"),
    dict(headline="快修师傅", subline="家电维修 · 上门服务", icon="wrench"),
    dict(headline="Paw Pals", subline="Pet grooming", icon="paw-print"),
    dict(headline="绿野果园", subline="新鲜直达", icon="apple"),
]
LLM_PROMPTS = [
    ("给我的茶馆“山间茶舍”做一张春季新品海报，全场八折，本周有效", "poster"),
    ("A poster for Sunny Bakery's weekend croissant sale, 20% off", "poster"),
    ("为宠物店“毛孩子之家”设计一个logo", "logo"),
]


def specs() -> list[DesignSpec]:
    return [DesignSpec(kind="poster", **p) for p in POSTERS] + [DesignSpec(kind="logo", **p) for p in LOGOS]


def bench_render(all_specs: list[DesignSpec], rounds: int) -> dict:
    render(all_specs[0], "1024x1024", seed=0)  # warm-up: reads the font cmaps once
    times = []
    for _ in range(rounds):
        for i, spec in enumerate(all_specs):
            t = time.perf_counter()
            render(spec, "1024x1024", seed=i)
            times.append(time.perf_counter() - t)
    return {"renders": len(times), "median_s": statistics.median(times), "max_s": max(times)}


def bench_llm(model: str | None, n: int) -> tuple[dict, list[DesignSpec]]:
    from zaowu.errors import ZaowuError
    from zaowu.studio.design import design_spec
    from zaowu.studio.engine import Studio

    with Studio() as studio:
        model = model or studio.settings.default_chat_model
        try:
            studio.load(model, _text())
        except ZaowuError as exc:
            return {"skipped": f"{model}: {exc.message}"}, []
        times, made = [], []
        for i, (prompt, kind) in enumerate(LLM_PROMPTS[:n]):
            t = time.perf_counter()
            spec = design_spec(studio, prompt, kind=kind, seed=i, model=model)
            render(spec, "1024x1024", seed=i)
            times.append(time.perf_counter() - t)
            made.append(spec)
            print(f"  {times[-1]:.1f} s  {json.dumps(spec.model_dump(exclude_none=True), ensure_ascii=False)}")
    return {"model": model, "designs": len(times), "median_s": statistics.median(times), "max_s": max(times)}, made


def _text():
    from zaowu.types import Modality

    return Modality.text


def contact_sheet(all_specs: list[DesignSpec], path: Path, cell: int = 360, cols: int = 5) -> None:
    """Posters (3:4) in the first two rows, logos (square) in the last two."""
    from PIL import Image, ImageDraw

    gap = 16
    posters = [s for s in all_specs if s.kind != "logo"]
    logos = [s for s in all_specs if s.kind == "logo"]
    poster_h = cell * 4 // 3
    rows_p, rows_l = -(-len(posters) // cols), -(-len(logos) // cols)
    height = gap + rows_p * (poster_h + gap) + rows_l * (cell + gap)
    sheet = Image.new("RGB", (gap + cols * (cell + gap), height), "#F2F2F2")
    y0 = gap
    for group, h, size in ((posters, poster_h, (768, 1024)), (logos, cell, (768, 768))):
        for i, spec in enumerate(group):
            image = compose(spec, *size, seed=i).image().resize((cell, h), Image.Resampling.LANCZOS)
            x, y = gap + (i % cols) * (cell + gap), y0 + (i // cols) * (h + gap)
            sheet.paste(image, (x, y))
            ImageDraw.Draw(sheet).rectangle((x - 1, y - 1, x + cell, y + h), outline="#D0D0D0")
        y0 += -(-len(group) // cols) * (h + gap)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=1, help="passes over the 20 specs for the render timing")
    ap.add_argument("--llm-prompts", type=int, default=3, help="prompts for spec + render (0 to skip)")
    ap.add_argument("--model", help="chat model for the spec (default: the studio's default)")
    ap.add_argument("--sheet-from-llm", action="store_true", help="also put the LLM-written specs on the sheet")
    args = ap.parse_args(argv)

    all_specs = specs()
    result = {"render_only_1024": bench_render(all_specs, args.rounds)}
    print(f"render only, 1024x1024: median {result['render_only_1024']['median_s']:.3f} s")
    made: list[DesignSpec] = []
    if args.llm_prompts:
        result["spec_plus_render_1024"], made = bench_llm(args.model, args.llm_prompts)
        print("spec + render:", json.dumps(result["spec_plus_render_1024"], ensure_ascii=False))
    sheet_specs = all_specs + (made if args.sheet_from_llm else [])
    contact_sheet(sheet_specs, OUT / "contact_sheet.png")
    print(f"contact sheet: {OUT / 'contact_sheet.png'}")
    (OUT / "images.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
