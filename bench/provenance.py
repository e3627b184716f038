"""What provenance costs per output: the invisible watermark and the C2PA signature on a 1024x1024 image (the
issue's target: labelling + C2PA + watermark <= 80 ms), next to the PNG/JPEG encode the artifact path does anyway,
and the watermark per video frame next to libx264's own encode time per frame (target: <= 3% of a render).

    .venv/bin/python bench/provenance.py [--rounds 15] [--size 1024]

Medians over interleaved rounds; the C2PA chain is created once in a temporary folder first (not timed).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from zaowu.studio.provenance import c2pa, watermark

GEN = "gen_01JDX4Y8T0BENCHPROVENANCE"


def picture(size: int) -> Image.Image:
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, (size // 32, size // 32, 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC), dtype=np.int16)
    return Image.fromarray(np.clip(smooth + rng.normal(0, 6, smooth.shape), 0, 255).astype(np.uint8))


def encode(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **({"quality": 90} if fmt == "JPEG" else {"compress_level": 6}))
    return buf.getvalue()


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def image_costs(size: int, rounds: int, creds: c2pa.Credentials) -> None:
    image = picture(size)
    info = c2pa.ManifestInfo(generation_id=GEN, model_id="design-engine")
    c2pa.sign(encode(image, "PNG"), "image/png", info, credentials=creds)  # warm the native library
    marked = watermark.embed(image, GEN)
    png, jpg = encode(marked, "PNG"), encode(marked, "JPEG")
    rows = {
        "watermark.embed": median_ms(lambda: watermark.embed(image, GEN), rounds),
        "c2pa.sign PNG": median_ms(lambda: c2pa.sign(png, "image/png", info, credentials=creds), rounds),
        "c2pa.sign JPEG": median_ms(lambda: c2pa.sign(jpg, "image/jpeg", info, credentials=creds), rounds),
        "(PNG encode, done anyway)": median_ms(lambda: encode(marked, "PNG"), rounds),
        "(JPEG encode, done anyway)": median_ms(lambda: encode(marked, "JPEG"), rounds),
        "watermark.read (verify)": median_ms(lambda: watermark.read(marked), max(3, rounds // 3)),
        "c2pa.read PNG (verify)": median_ms(lambda: c2pa.read(png, "image/png", credentials=creds), rounds),
    }
    print(f"image {size}x{size}, median of {rounds} (ms):")
    for name, ms in rows.items():
        print(f"  {name:28s} {ms:7.1f}")
    total = rows["watermark.embed"] + rows["c2pa.sign PNG"]
    print(f"  {'watermark + C2PA (PNG)':28s} {total:7.1f}   target <= 80")


def frame_costs(width: int, height: int, rounds: int) -> None:
    import av

    frame = np.asarray(picture(max(width, height)))[:height, :width].copy()
    container = av.open(io.BytesIO(), "w", format="mp4")
    stream = container.add_stream("libx264", rate=25, options={"crf": "20", "preset": "medium"})
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    frames = [np.roll(frame, i * 4, axis=1) for i in range(rounds)]
    t = time.perf_counter()
    for f in frames:
        container.mux(stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
    container.mux(stream.encode())
    encode_ms = (time.perf_counter() - t) * 1000 / rounds
    container.close()
    mark_ms = median_ms(lambda: watermark.embed_frame(frame, GEN), rounds)
    marker = watermark.FrameMarker(GEN)
    stream_ms = statistics.mean(median_ms(lambda f=f: marker(f), 1) for f in frames * 4)  # refreshes included
    print(
        f"video frame {width}x{height}: embed_frame {mark_ms:.1f} ms, FrameMarker {stream_ms:.1f} ms "
        f"({100 * stream_ms / encode_ms:.1f}% of libx264 medium's {encode_ms:.1f} ms/frame encode)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--size", type=int, default=1024)
    args = ap.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        creds = c2pa.ensure_local_chain(Path(tmp) / "c2pa")
        image_costs(args.size, args.rounds, creds)
    for width, height in ((1280, 720), (1920, 1080)):
        frame_costs(width, height, args.rounds)


if __name__ == "__main__":
    main()
