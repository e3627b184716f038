"""Labelling benchmark: milliseconds to label one 1024x1024 image (visible mark, watermark and C2PA
when those modules are installed, XMP implicit label), per format, and to verify it.

    .venv/bin/python bench/labels.py [--rounds 20]

The image is a real design-engine poster (the same spec every round), so the PNG/JPEG/WebP encoders
see a realistic picture. Target (issue 16): labelling + C2PA + watermark <= 80 ms per 1024x1024 image.
Prints one line per format: median and worst ms, and which steps ran.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

from PIL import Image

from zaowu.studio.provenance.labels import LabelPolicy, label_output, verify_bytes

TARGET_MS = 80.0
SPEC = dict(
    headline="春季新品上市", subline="全场八折 · 仅限本周", call_to_action="立即选购", brand="山间茶舍", icon="leaf"
)


def poster() -> Image.Image:
    from zaowu.backends.design.render import render
    from zaowu.backends.design.spec import DesignSpec

    png = render(DesignSpec(kind="poster", **SPEC), (1024, 1024), seed=1)
    return Image.open(io.BytesIO(png)).convert("RGB")


def encoded(im: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    try:
        im = poster()
    except Exception as exc:  # noqa: BLE001 - no fonts or design engine: a flat picture still measures the encoders
        print(f"(design engine unavailable: {exc}; using a gradient)")
        im = Image.linear_gradient("L").resize((1024, 1024)).convert("RGB")
    policy = LabelPolicy()
    for mime, fmt in (("image/png", "PNG"), ("image/jpeg", "JPEG"), ("image/webp", "WEBP")):
        data = encoded(im, fmt)
        label_output(data, mime, produce_id="gen_warmup", policy=policy)  # fonts loaded once
        times, verify_times, report = [], [], {}
        for i in range(args.rounds):
            started = time.perf_counter()
            labelled, report = label_output(data, mime, produce_id=f"gen_bench{i:04d}", policy=policy)
            times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            verify_bytes(labelled)
            verify_times.append((time.perf_counter() - started) * 1000)
        steps = [k for k in ("explicit", "watermark", "implicit", "c2pa") if report.get(k)]
        median = statistics.median(times)
        print(
            f"{fmt:5} label median {median:6.1f} ms  worst {max(times):6.1f} ms  "
            f"verify median {statistics.median(verify_times):6.1f} ms  steps: {', '.join(steps)}  "
            f"{'OK' if median <= TARGET_MS else 'OVER'} (target {TARGET_MS:.0f} ms)"
        )


if __name__ == "__main__":
    main()
