"""The invisible watermark (studio.provenance.watermark): invisible (PSNR), readable after JPEG q75, a 0.5x resize
and a 10% crop (each alone and all together), silent on unmarked pictures, and usable frame by frame on a video
that really goes through an H.264 encode and decode."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from zaowu.studio.provenance import watermark

GEN = "gen_01JDX4Y8T0C2PAWATERMARK"
MIN_BIT_ACCURACY = 0.95  # the target
MIN_PSNR = 38.0  # dB


def photo_like(size: int, seed: int) -> Image.Image:
    """A picture with a photo's spread of detail: noise at six octaves, shapes with hard edges, some text."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size, 3), 128.0)
    for octave in range(1, 7):
        cells = rng.normal(0, 1, (2**octave, 2**octave, 3)).astype(np.float32)
        layers = [Image.fromarray(cells[..., c], "F").resize((size, size), Image.Resampling.BICUBIC) for c in range(3)]
        img += np.stack([np.asarray(layer) for layer in layers], axis=-1) * (60 / octave)
    img += rng.normal(0, 4, img.shape)
    picture = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    for _ in range(12):
        x, y, r = (int(v) for v in rng.integers(0, size, 2).tolist() + [int(rng.integers(size // 50, size // 7))])
        draw.ellipse([x, y, x + r, y + r], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw.text((size // 20, size // 20), "zaowu 造物 test", fill=(255, 255, 255))
    return picture


def poster_like(size: int, seed: int) -> Image.Image:
    """A flat graphic like the design engine's: solid fills, blocks of colour, white text."""
    rng = np.random.default_rng(seed)
    picture = Image.new("RGB", (size, size), tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(picture)
    for _ in range(6):
        x, y = (int(v) for v in rng.integers(0, size, 2))
        draw.rectangle([x, y, x + size // 5, y + size // 12], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw.text((size // 25, size // 25), "SALE 50%", fill=(255, 255, 255))
    return picture


def jpeg(image: Image.Image, quality: int = 75) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def psnr(a: Image.Image, b: Image.Image) -> float:
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return float(10 * np.log10(255**2 / np.mean(diff**2)))


def crop10(image: Image.Image) -> Image.Image:
    """Cut 10% off the left and top (odd offsets: the hardest grid phase)."""
    w, h = image.size
    return image.crop((w // 10 + 1, h // 10 + 1, w, h))


def half(image: Image.Image) -> Image.Image:
    return image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)


ATTACKS = {
    "none": lambda im: im,
    "jpeg75": jpeg,
    "resize0.5": half,
    "crop10": crop10,
    "crop10+resize0.5+jpeg75": lambda im: jpeg(half(crop10(im))),
}


def real_photo(width: int) -> Image.Image:
    """A real photograph: the portrait matplotlib ships as sample data (matplotlib is a dependency)."""
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        photo = Image.open(fh).convert("RGB")
    return photo.resize((width, width * photo.height // photo.width), Image.Resampling.LANCZOS)


PICTURES = {
    "photo1": lambda: photo_like(1024, 1),
    "photo2": lambda: photo_like(1024, 2),
    "poster3": lambda: poster_like(1024, 3),
    "real-photo": lambda: real_photo(1024),
}


@pytest.fixture(scope="module", params=list(PICTURES))
def marked(request) -> tuple[Image.Image, Image.Image]:
    original = PICTURES[request.param]()
    return original, watermark.embed(original, GEN)


def test_mark_is_invisible(marked):
    original, image = marked
    assert image.size == original.size and image.mode == original.mode
    assert psnr(original, image) >= MIN_PSNR
    assert not np.array_equal(np.asarray(original), np.asarray(image))  # it did write something


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_payload_survives(marked, attack):
    _, image = marked
    bits, confidence = watermark.read(ATTACKS[attack](image))
    assert bits is not None
    accuracy = float(np.mean(bits == watermark.payload_bits(GEN)))
    assert accuracy >= MIN_BIT_ACCURACY, f"{attack}: {accuracy:.3f} of the bits"
    assert confidence >= 0.5, f"{attack}: confidence {confidence:.2f}"
    assert watermark.matches(ATTACKS[attack](image), GEN) >= 0.5
    assert watermark.matches(ATTACKS[attack](image), "gen_someone_else") == 0.0


@pytest.mark.parametrize(
    "picture",
    [
        photo_like(1024, 11),
        jpeg(photo_like(1024, 12)),
        poster_like(1024, 13),
        half(photo_like(1024, 14)),
        photo_like(640, 15),
        real_photo(1024),
        jpeg(real_photo(512)),
    ],
    ids=["photo", "photo-jpeg", "poster", "photo-half", "photo-640", "real-photo", "real-photo-512-jpeg"],
)
def test_unmarked_pictures_are_not_detected(picture):
    _, confidence = watermark.read(picture)
    assert confidence < 0.2
    assert watermark.matches(picture, GEN) < 0.2


def test_two_ids_give_different_payloads_and_embedding_is_deterministic():
    assert not np.array_equal(watermark.payload_bits("gen_a"), watermark.payload_bits("gen_b"))
    picture = photo_like(512, 5)
    assert np.array_equal(np.asarray(watermark.embed(picture, "gen_a")), np.asarray(watermark.embed(picture, "gen_a")))


def test_modes_and_arrays_are_kept():
    rgba = photo_like(512, 6).convert("RGBA")
    rgba.putalpha(Image.new("L", rgba.size, 200))
    marked_rgba = watermark.embed(rgba, GEN)
    assert marked_rgba.mode == "RGBA"
    assert np.array_equal(np.asarray(marked_rgba)[..., 3], np.asarray(rgba)[..., 3])  # alpha untouched
    gray = watermark.embed(photo_like(512, 8).convert("L"), GEN)
    assert gray.mode == "L" and watermark.matches(gray, GEN) >= 0.5
    array = np.asarray(photo_like(512, 7))
    marked_array = watermark.embed(array, GEN)
    assert isinstance(marked_array, np.ndarray) and marked_array.shape == array.shape
    assert watermark.matches(marked_array, GEN) >= 0.5


def test_tiny_images_come_back_unchanged():
    icon = np.zeros((16, 16, 3), dtype=np.uint8)
    assert watermark.embed_frame(icon, GEN) is icon
    assert watermark.read(icon) == (None, 0.0)


def encode_h264(frames: list[np.ndarray], crf: int) -> list[np.ndarray]:
    """Frames through a real libx264 encode (as the video pipeline writes MP4) and decode."""
    av = pytest.importorskip("av")
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=25, options={"crf": str(crf), "preset": "veryfast"})
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    buf.seek(0)
    with av.open(buf) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


@pytest.fixture(scope="module")
def pan() -> list[np.ndarray]:
    """Six 640x480 frames of a slow pan over a photo-like picture."""
    base = np.asarray(photo_like(800, 21))
    return [np.ascontiguousarray(base[i * 8 : i * 8 + 480, i * 12 : i * 12 + 640]) for i in range(6)]


def test_video_frames_survive_h264_at_the_pipeline_quality(pan):
    """embed_frame on each frame as a streaming edit would; every decoded frame alone still names the id."""
    decoded = encode_h264([watermark.embed_frame(frame, GEN) for frame in pan], crf=20)  # VideoEdit's default crf
    assert len(decoded) == len(pan)
    for frame in decoded:
        assert watermark.matches(frame, GEN) >= 0.5
    assert watermark.matches(encode_h264(pan, crf=20)[0], GEN) < 0.2  # the same clip unmarked


def test_video_frames_read_together_after_heavy_compression(pan):
    """At crf 28 single frames get unsure; read_frames pools them and recovers the payload."""
    decoded = encode_h264([watermark.embed_frame(frame, GEN) for frame in pan], crf=28)
    bits, confidence = watermark.read_frames(decoded)
    assert bits is not None
    assert float(np.mean(bits == watermark.payload_bits(GEN))) >= MIN_BIT_ACCURACY
    assert confidence >= 0.5
    _, unmarked_confidence = watermark.read_frames(encode_h264(pan, crf=28))
    assert unmarked_confidence < 0.2


def test_frame_marker_for_streaming_pipelines(pan):
    """The streaming marker reuses its mark between refreshes; every frame it writes carries the id through H.264."""
    marker = watermark.FrameMarker(GEN, refresh=4)
    frames = pan + pan[::-1]  # 12 frames: three refreshes, the pan going back over the same picture
    marked = [marker(frame) for frame in frames]
    for original, frame in zip(frames, marked, strict=True):
        assert psnr(Image.fromarray(original), Image.fromarray(frame)) >= MIN_PSNR
    decoded = encode_h264(marked, crf=20)
    assert all(watermark.matches(frame, GEN) >= 0.5 for frame in decoded)
    bits, confidence = watermark.read_frames(decoded)
    assert bits is not None and np.array_equal(bits, watermark.payload_bits(GEN)) and confidence >= 0.9
    with pytest.raises(ValueError, match="uint8"):
        marker(np.zeros((480, 640, 3), dtype=np.float32))
