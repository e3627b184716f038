"""Product photo tools: cut-outs measured against ground truth (IoU on synthetic product
photos whose true mask is known), a real portrait for people (mediapipe), placement on a
product card with a shadow, same bytes per seed, and clear 400s for bad uploads over HTTP."""

from __future__ import annotations

import base64
import io

import httpx
import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("cv2")
from PIL import Image, ImageDraw, ImageFilter

from zaowu.backends.design import fonts
from zaowu.backends.design.backend import DesignBackend
from zaowu.backends.design.render import compose
from zaowu.backends.design.scene import paint_background
from zaowu.backends.vision.cutout import cutout
from zaowu.backends.vision.people import INSTALL, mediapipe_available
from zaowu.errors import InvalidRequest
from zaowu.studio.provenance.image import plate_box
from zaowu.types import ImageRequest, Modality, ModelSpec

from .helpers import same_picture

needs_mediapipe = pytest.mark.skipif(not mediapipe_available(), reason=f"mediapipe missing: {INSTALL}")
needs_fonts = pytest.mark.skipif(bool(fonts.check_installed()), reason="design engine fonts missing")


# ---------------------------------------------------------------- synthetic product photos


def _background(w: int, h: int, rng, textured: bool):
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    top, bottom = rng.uniform(150, 240, 3), rng.uniform(120, 230, 3)
    t = (ys / h)[..., None]
    img = top * (1 - t) + bottom * t
    if textured:  # fabric-like: blotches plus a fine weave
        blotch = rng.normal(0, 1, (h // 8 + 1, w // 8 + 1)).astype(np.float32)
        blotch = np.asarray(Image.fromarray(blotch).resize((w, h), Image.Resampling.BICUBIC))
        img = img + blotch[..., None] * 8 + np.sin(xs / 3.0)[..., None] * 4
    vignette = 1 - 0.18 * (((xs - w / 2) / w) ** 2 + ((ys - h / 2) / h) ** 2)
    return img * vignette[..., None]


def _silhouette(w: int, h: int, rng, shape: str):
    """The product's true alpha (drawn 4x larger, box-filtered down)."""
    k = 4
    m = Image.new("L", (w * k, h * k), 0)
    d = ImageDraw.Draw(m)
    cx, cy = w * k * rng.uniform(0.42, 0.58), h * k * rng.uniform(0.45, 0.55)
    if shape == "bottle":
        bw, bh = w * k * 0.26, h * k * 0.5
        d.rounded_rectangle((cx - bw / 2, cy - bh * 0.3, cx + bw / 2, cy + bh * 0.7), radius=bw * 0.2, fill=255)
        d.rectangle((cx - bw * 0.16, cy - bh * 0.62, cx + bw * 0.16, cy - bh * 0.25), fill=255)
        d.rounded_rectangle((cx - bw * 0.2, cy - bh * 0.72, cx + bw * 0.2, cy - bh * 0.58), radius=bw * 0.04, fill=255)
    elif shape == "mug":  # the handle's hole must stay background
        r = w * k * 0.2
        d.rounded_rectangle((cx - r, cy - r, cx + r, cy + r * 1.1), radius=r * 0.15, fill=255)
        d.ellipse((cx + r * 0.7, cy - r * 0.6, cx + r * 1.55, cy + r * 0.6), fill=255)
        d.ellipse((cx + r * 0.95, cy - r * 0.35, cx + r * 1.3, cy + r * 0.35), fill=0)
    else:  # a box seen from above a corner
        s = w * k * 0.3
        d.polygon(
            [
                (cx - s, cy - s * 0.5),
                (cx, cy - s * 0.9),
                (cx + s, cy - s * 0.5),
                (cx + s, cy + s * 0.6),
                (cx, cy + s),
                (cx - s, cy + s * 0.6),
            ],
            fill=255,
        )
    return np.asarray(m.resize((w, h), Image.Resampling.BOX)).astype(np.float32) / 255


def product_photo(seed=0, shape="bottle", textured=True, shadow=False, pale=False, color=None, w=640, h=480):
    """JPEG bytes of a product on a background, and the true mask (bool). ``shadow`` casts a soft
    shadow on the background (not part of the product); ``pale`` makes the product a darker shade of
    the background colour, the hard case for telling it from a shadow."""
    rng = np.random.default_rng(seed)
    bg = _background(w, h, rng, textured)
    alpha = _silhouette(w, h, rng, shape)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.array(color, np.float32) if color else rng.uniform(20, 110, 3)
    if pale:
        base = bg[h // 2, w // 2] * 0.8
    fg = (
        np.clip(base * (0.75 + 0.5 * np.sin(xs / w * np.pi * 2.2 + 0.5))[..., None], 0, 255)
        if not color
        else (np.broadcast_to(base, (h, w, 3)))
    )
    label = ((ys > h * 0.5) & (ys < h * 0.6))[..., None]
    fg = np.where(label, 255 - fg * 0.5, fg) if not color else fg
    if shadow:
        cast = Image.fromarray((alpha * 255).astype(np.uint8)).transform(
            (w, h), Image.Transform.AFFINE, (1, 0.6, -0.33 * h, 0, 1, -h * 0.03)
        )
        cast = np.asarray(cast.filter(ImageFilter.GaussianBlur(12))).astype(np.float32) / 255
        bg = bg * (1 - 0.35 * cast[..., None])
    img = bg * (1 - alpha[..., None]) + fg * alpha[..., None]
    img = np.clip(img + rng.normal(0, 2.0, img.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=92)
    return buf.getvalue(), alpha > 0.5


def iou(mask, truth) -> float:
    m = np.asarray(mask) > 127
    return float((m & truth).sum() / max(1, (m | truth).sum()))


def portrait() -> bytes:
    """A real photo of a person: Grace Hopper's portrait, shipped with matplotlib (a dependency)."""
    from pathlib import Path

    import matplotlib

    return (Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg").read_bytes()


# ---------------------------------------------------------------- cut-outs


@pytest.mark.parametrize(
    "seed,shape,textured,shadow,pale",
    [
        (0, "bottle", True, False, False),
        (1, "mug", False, False, False),
        (2, "box", True, False, False),
        (0, "mug", True, True, False),
        (1, "bottle", False, True, False),
        (2, "mug", True, False, True),
    ],
)
def test_objects_are_cut_out_close_to_the_truth(seed, shape, textured, shadow, pale):
    data, truth = product_photo(seed, shape, textured, shadow, pale)
    result = cutout(data, "auto")
    assert result.kind == "object"
    assert result.mask.shape == truth.shape
    assert iou(result.mask, truth) >= 0.9, iou(result.mask, truth)


def test_cutout_png_is_rgba_deterministic_and_soft_edged():
    data, truth = product_photo(3, "bottle")
    first, second = cutout(data, "object"), cutout(data, "object")
    assert first.png == second.png
    png = Image.open(io.BytesIO(first.png))
    assert png.mode == "RGBA" and png.size == (640, 480)
    alpha = np.asarray(png.getchannel("A"))
    assert (alpha == first.mask).all()
    assert (np.asarray(png.convert("RGB"))[truth] == first.rgb[truth]).all()  # the product's own pixels
    edge = (alpha > 10) & (alpha < 245)
    assert 0 < edge.sum() < 0.1 * truth.sum()  # a soft rim, not a soft blob
    x, y, w, _h = first.box
    ty, tx = np.nonzero(truth)
    assert abs(x - tx.min()) <= 3 and abs(y - ty.min()) <= 3 and abs(x + w - 1 - tx.max()) <= 3


def test_an_upload_that_is_already_transparent_keeps_its_alpha():
    rgba = np.zeros((120, 160, 4), np.uint8)
    rgba[..., :3] = (200, 40, 40)
    rgba[30:90, 40:120, 3] = 255
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    result = cutout(buf.getvalue())
    assert result.kind == "upload"
    assert (result.mask == rgba[..., 3]).all()


@needs_mediapipe
def test_a_person_is_found_and_matted():
    result = cutout(portrait(), "auto")
    assert result.kind == "person" and result.confidence > 0.8
    m = result.mask
    assert m.shape == (600, 512)
    assert m[:40, :40].max() < 30 and m[:40, -40:].max() < 30  # flag (top left) and sky (top right)
    assert m[250:300, 230:280].min() > 225  # the face
    assert m[-60:, 200:300].mean() > 200  # the uniform at the bottom
    assert ((m > 10) & (m < 245)).mean() < 0.05  # a clean matte: few undecided pixels


@needs_mediapipe
def test_person_on_a_product_photo_says_what_to_do():
    data, _ = product_photo(0, "box")
    with pytest.raises(InvalidRequest) as err:
        cutout(data, "person")
    assert err.value.param == "image" and "kind='object'" in err.value.message


def _png(w: int, h: int, color=(10, 20, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "PNG")
    return buf.getvalue()


def _png_header(w: int, h: int) -> bytes:
    """Only the header of a w x h PNG: a decompression bomb's calling card."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")


BAD_UPLOADS = {  # name: (bytes maker, words the message must contain)
    "empty": (lambda: b"", "empty"),
    "text": (lambda: b"hello, this is not a picture", "not a readable image"),
    "truncated": (lambda: product_photo(0)[0][:300], "not a readable image"),
    "huge": (lambda: _png(8000, 6000), "megapixels"),
    "bomb": (lambda: _png_header(20000, 10000), "megapixels"),
    "tiny": (lambda: _png(8, 8), "at least"),
    "plain": (lambda: _png(300, 200, (240, 240, 240)), "no object"),
}


@pytest.mark.parametrize("name", sorted(BAD_UPLOADS))
def test_bad_uploads_are_clear_errors_naming_image(name):
    make, words = BAD_UPLOADS[name]
    data = make()
    with pytest.raises(InvalidRequest) as err:
        cutout(data, "object")
    assert err.value.param == "image"
    assert words in err.value.message.lower()


def test_unknown_kind_names_kind():
    with pytest.raises(InvalidRequest) as err:
        cutout(product_photo(0)[0], "cat")
    assert err.value.param == "kind"


# ---------------------------------------------------------------- placement on a product card

GREEN = (30, 170, 60)
CARD = {
    "kind": "product_card",
    "headline": "Cold-brew bottle",
    "subline": "Glass, 500 ml",
    "brand": "Bean There",
    "call_to_action": "Buy now",
    "palette": "cream",
}


@needs_fonts
@pytest.mark.parametrize("layout,size", [("split", (1080, 1440)), ("centered", (1080, 1080)), ("left", (1600, 900))])
def test_card_places_the_product_in_its_slot_with_a_shadow(layout, size):
    data, _ = product_photo(4, "bottle", textured=False, color=GREEN)
    cut = cutout(data, "object").rgba()
    design = compose({**CARD, "layout": layout}, *size, seed=5, photo=cut)
    x, y, w, h = (
        round(v)
        for v in (
            design.regions["photo"].x,
            design.regions["photo"].y,
            design.regions["photo"].w,
            design.regions["photo"].h,
        )
    )
    assert w > size[0] * 0.1 and h > size[1] * 0.25  # scaled to fill its slot, not a thumbnail
    for block in design.blocks:
        assert not block.extent.overlaps(design.regions["photo"]), block.name
    image = np.asarray(design.image()).astype(int)
    solid = np.asarray(cut.resize((w, h)).getchannel("A")) == 255
    inside = image[y : y + h, x : x + w][solid]
    assert np.abs(inside - GREEN).mean() < 6  # the pixels in the slot are the product's
    # the same card without the shadow: the band under the product must be lighter there
    design.scene.photos[0].shadow = False
    plain = np.asarray(paint_background(design.scene)).astype(float).mean(axis=2)
    shaded = np.asarray(design.background).astype(float).mean(axis=2)
    band = (slice(y + h - 2, y + h + max(3, h // 40)), slice(x + w // 4, x + 3 * w // 4))
    assert shaded[band].mean() < plain[band].mean() - 8
    assert np.allclose(shaded[: max(1, y - h // 3)], plain[: max(1, y - h // 3)])  # nothing changes far above


@needs_fonts
def test_product_card_through_the_backend_is_deterministic():
    backend = DesignBackend(ModelSpec(id="design", modality=Modality.image, backend="design"))
    data, _ = product_photo(5, "mug")
    req = ImageRequest(prompt="Handmade mug", kind="product_card", image=data, size="3:4@600", spec=CARD)
    first, again = backend.generate(req, seed=3), backend.generate(req, seed=3)
    assert first.media[0].data == again.media[0].data
    assert backend.generate(req, seed=4).media[0].data != first.media[0].data
    meta = first.media[0].meta
    assert meta["cutout"]["kind"] == "object" and meta["spec"]["kind"] == "product_card"
    assert Image.open(io.BytesIO(first.media[0].data)).size == (600, 800)
    svg = backend.generate(req.model_copy(update={"format": "svg"}), seed=3).media[0].data
    assert svg.count(b"<image ") == 2 and b"data:image/png;base64," in svg  # shadow + product, embedded


@needs_fonts
def test_a_photo_with_no_kind_makes_a_product_card_and_a_poster_refuses_it():
    backend = DesignBackend(ModelSpec(id="design", modality=Modality.image, backend="design"))
    data, _ = product_photo(6, "box")
    result = backend.generate(ImageRequest(prompt="Gift box", image=data, size="1:1@400"), seed=1)
    assert result.media[0].meta["spec"]["kind"] == "product_card"
    llm_spec = {"kind": "poster", "headline": "Gift box", "layout": "framed"}  # as if the LLM chose a poster
    result = backend.generate(ImageRequest(prompt="Gift box", image=data, size="1:1@400", spec=llm_spec), seed=1)
    assert result.media[0].meta["spec"]["kind"] == "product_card" and "cutout" in result.media[0].meta
    with pytest.raises(InvalidRequest) as err:
        backend.generate(ImageRequest(prompt="Gift box", kind="poster", image=data, size="1:1@400"), seed=1)
    assert err.value.param == "image"
    with pytest.raises(InvalidRequest) as err:
        backend.generate(ImageRequest(prompt="Gift box", image=data, mask=data, size="1:1@400"), seed=1)
    assert err.value.param == "mask"


# ---------------------------------------------------------------- HTTP


def _post_cutout(server, data: bytes, **form):
    files = {"image": ("photo.jpg", data, "image/jpeg")}
    return httpx.post(server.base_url + "/v1/images/cutout", files=files, data=form, timeout=600)


def test_http_cutout_returns_the_png(server):
    data, truth = product_photo(7, "mug", shadow=True)
    r = _post_cutout(server, data)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png" and r.headers["x-zaowu-cutout-kind"] == "object"
    png = Image.open(io.BytesIO(r.content))
    x0, y0, x1, y1 = plate_box(*png.size).box  # the visible AI mark's plate, left out of the comparison
    alpha = np.asarray(png.getchannel("A")).copy()
    alpha[y0 : y1 + 1, x0 : x1 + 1], truth = 0, truth.copy()
    truth[y0 : y1 + 1, x0 : x1 + 1] = 0
    assert png.mode == "RGBA" and iou(alpha, truth) >= 0.9
    stored = httpx.get(f"{server.base_url}/v1/artifacts/{r.headers['x-zaowu-artifact-id']}", timeout=30)
    assert stored.status_code == 200 and stored.content == r.content
    j = _post_cutout(server, data, response_format="b64_json").json()
    assert same_picture(base64.b64decode(j["b64_json"]), r.content) and j["kind"] == "object" and len(j["box"]) == 4


@pytest.mark.parametrize("name", ["empty", "text", "huge"])
def test_http_bad_uploads_are_400_naming_image(server, name):
    r = _post_cutout(server, BAD_UPLOADS[name][0]())
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == "image"


def test_http_bad_kind_and_missing_image_are_400(server):
    assert _post_cutout(server, product_photo(0)[0], kind="cat").json()["error"]["param"] == "kind"
    r = httpx.post(server.base_url + "/v1/images/cutout", data={"kind": "auto"}, timeout=30)
    assert r.status_code == 400 and r.json()["error"]["param"] == "image"


@needs_fonts
def test_http_product_card_from_a_photo_through_edits(server):
    data, _ = product_photo(8, "bottle", color=GREEN)
    files = {"image": ("photo.jpg", data, "image/jpeg")}
    form = {
        "model": "design",
        "prompt": "Cold-brew bottle",
        "size": "3:4@600",
        "seed": "2",
        "response_format": "b64_json",
    }
    r = httpx.post(server.base_url + "/v1/images/edits", files=files, data=form, timeout=600)  # first use loads fonts
    assert r.status_code == 200, r.text
    card = Image.open(io.BytesIO(base64.b64decode(r.json()["data"][0]["b64_json"]))).convert("RGB")
    assert card.size == (600, 800)
    greenish = np.abs(np.asarray(card).astype(int) - GREEN).sum(axis=2) < 30
    assert greenish.mean() > 0.03  # the product is on the card
