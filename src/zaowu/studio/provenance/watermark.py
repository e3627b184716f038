"""zaowu's invisible watermark: a DWT-DCT mark in the luma channel carrying a payload derived from the ProduceID.

Public functions (the labelling step calls these; images are PIL images or uint8 RGB/RGBA numpy arrays):

    payload_bits(produce_id: str) -> numpy.ndarray            # the 64 bits (0/1, uint8) a ProduceID maps to
    embed(image: PIL.Image.Image | numpy.ndarray, produce_id: str) -> same type as image
    embed_frame(frame: numpy.ndarray, produce_id: str) -> numpy.ndarray   # one HxWx3 uint8 RGB video frame
    FrameMarker(produce_id: str, refresh: int = REFRESH_FRAMES)            # a streaming video pipeline's marker:
        marker(frame: numpy.ndarray) -> numpy.ndarray                      # recomputes the mark every `refresh`
                                                                           # frames, in between one saturating add
        marker.mark_luma(y: numpy.ndarray) -> None                         # the same on a yuv420p Y plane, in place
    read(image: PIL.Image.Image | numpy.ndarray) -> tuple[numpy.ndarray | None, float]   # (64 bits or None, confidence)
    read_frames(frames: Iterable[numpy.ndarray]) -> tuple[numpy.ndarray | None, float]   # several frames of one video
    matches(image: PIL.Image.Image | numpy.ndarray, produce_id: str) -> float   # confidence in [0, 1]

How it works. The payload is the first 64 bits of sha256("zaowu-watermark:" + ProduceID). The luma channel goes
through a one-level orthonormal Haar DWT; its LL band is cut into 8x8 blocks and each block's DCT carries one bit
in a fixed set of mid-frequency coefficients, pushed (only as far as needed) until their signed projection reaches
a margin. Blocks are grouped in tiles of TILE_ROWS x TILE_COLS; each tile holds the 64 payload bits and SYNC_BITS
known synchronisation bits, and the tile repeats over the whole image (repetition code: soft majority vote).

Reading needs no side information: for each candidate scale (the image may have been resized) the LL-equivalent
band is correlated with the coefficient pattern at every position at once (FFT), every block-grid offset is
scored by how consistently the repeated tiles agree, and the tile phase (the image may have been cropped) is found
from the sync bits. The confidence grows with the agreement of the sync bits and the repeated payload; an
unmarked image scores near 0.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "PAYLOAD_BITS",
    "REFRESH_FRAMES",
    "FrameMarker",
    "embed",
    "embed_frame",
    "matches",
    "payload_bits",
    "read",
    "read_frames",
]

log = logging.getLogger(__name__)

PAYLOAD_BITS = 64  # bits carried: a hash of the ProduceID
SYNC_BITS = 16  # known bits per tile, to find the tile phase after a crop
TILE_ROWS, TILE_COLS = 8, 10  # blocks per tile: TILE_ROWS * TILE_COLS == PAYLOAD_BITS + SYNC_BITS
BLOCK = 8  # DCT block side, in LL-band pixels (16 image pixels)
# DCT coefficients (row, col) of each LL block that carry the bit, with fixed signs: mid frequencies survive JPEG
# and downscaling, and hold less of the picture's own energy than the lowest ones.
COEFFICIENTS = ((1, 2), (2, 1), (2, 2), (1, 3), (3, 1), (3, 2), (2, 3), (3, 3))
STRENGTH = 42.0  # margin each block's projection is pushed to, in LL units (pixel RMS ~ STRENGTH / 16)
MAX_PUSH = 84.0  # most a block is changed by: a block whose picture fights the bit harder is left to the vote
MIN_SIDE = 2 * BLOCK * 2  # images smaller than this (pixels) are returned unmarked
MIN_TILES = 2  # a read needs this many tile rows (at scale 1: 256 pixels tall); reliable from about 512x512
READ_SCALES = (1.0, 0.5, 0.75, 0.9, 1.25, 2.0)  # size of the image read / size when marked, tried in this order
VIDEO_LUMA_GAIN = 255.0 / 219.0  # full-range luma per unit of BT.601 limited-range Y (what video planes hold)
REFRESH_FRAMES = 25  # FrameMarker recomputes the content-aware mark this often (once a second at 25 fps)
CONFIDENT = 0.9  # read() stops searching once a scale reaches this confidence
# confidence: the read's strength (the smaller of the mean signed sync z-score and the mean absolute payload z-score;
# an unmarked picture's best alignment scores up to ~1) mapped from [floor, floor + span] to [0, 1]
_Z_FLOOR, _Z_SPAN = 1.25, 1.25
_AGREE_FLOOR = 0.6  # share of the sync bits' weight that must agree before a phase counts at all


def _dct_matrix(n: int = BLOCK) -> np.ndarray:
    k = np.arange(n)
    m = np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


_DCT = _dct_matrix()


def _pattern() -> np.ndarray:
    """The unit-norm 8x8 spatial pattern a bit is written along (signed sum of the DCT basis images)."""
    signs = np.random.default_rng(0x5A0).choice([-1.0, 1.0], size=len(COEFFICIENTS))
    coef = np.zeros((BLOCK, BLOCK))
    for (u, v), s in zip(COEFFICIENTS, signs, strict=True):
        coef[u, v] = s
    spatial = _DCT.T @ coef @ _DCT
    return spatial / np.linalg.norm(spatial)


_PATTERN = _pattern()
_SYNC = np.random.default_rng(0x5A1).integers(0, 2, SYNC_BITS).astype(np.uint8)
# which tile position carries which bit: a fixed interleaving of the payload and the sync bits
_SLOTS = np.random.default_rng(0x5A2).permutation(TILE_ROWS * TILE_COLS)


def payload_bits(produce_id: str) -> np.ndarray:
    """The 64 payload bits (0/1) for a ProduceID."""
    digest = hashlib.sha256(b"zaowu-watermark:" + produce_id.encode()).digest()
    return np.unpackbits(np.frombuffer(digest[: PAYLOAD_BITS // 8], dtype=np.uint8))


@lru_cache(maxsize=32)
def _tile_signs(produce_id: str) -> np.ndarray:
    """+1/-1 per tile position (TILE_ROWS x TILE_COLS) for this ProduceID."""
    bits = np.concatenate([payload_bits(produce_id), _SYNC])[_SLOTS]
    return (bits.astype(np.float64) * 2 - 1).reshape(TILE_ROWS, TILE_COLS)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def _haar_ll(y: np.ndarray) -> np.ndarray:
    """LL band of a one-level orthonormal Haar DWT (even-sized input)."""
    return (y[0::2, 0::2] + y[0::2, 1::2] + y[1::2, 0::2] + y[1::2, 1::2]) / 2.0


def _ll_of(rgb: np.ndarray) -> np.ndarray:
    """Orthonormal Haar LL band of the luma of an even-sized uint8 RGB array (float32): twice each 2x2 mean."""
    h, w = rgb.shape[:2]
    try:
        import cv2
    except ImportError:  # pragma: no cover - OpenCV is a dependency; numpy gives the same, slower
        luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        return np.asarray(luma.reshape(h // 2, 2, w // 2, 2).sum(axis=(1, 3)) / 2.0)
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32)
    return np.asarray(cv2.resize(gray, (w // 2, h // 2), interpolation=cv2.INTER_AREA)) * 2.0


def _ll_delta(rgb: np.ndarray, produce_id: str) -> np.ndarray:
    """The change to the luma LL band, halved: what each pixel of a 2x2 cell moves by (rounded, int16)."""
    h, w = rgb.shape[0] // (2 * BLOCK) * 2 * BLOCK, rgb.shape[1] // (2 * BLOCK) * 2 * BLOCK
    return _delta_of_ll(_ll_of(rgb[:h, :w, :3]), produce_id)


def _ll_of_video_luma(y: np.ndarray) -> np.ndarray:
    """The LL band ``_ll_of`` gives for the picture whose limited-range (BT.601 video) luma plane is ``y``: full-range
    luma is (Y - 16) * 255 / 219, and the offset is lost on the zero-mean pattern anyway."""
    import cv2

    h, w = y.shape[0] // (2 * BLOCK) * 2 * BLOCK, y.shape[1] // (2 * BLOCK) * 2 * BLOCK
    half = cv2.resize(y[:h, :w], (w // 2, h // 2), interpolation=cv2.INTER_AREA).astype(np.float32)
    return np.asarray(half * np.float32(2.0 * VIDEO_LUMA_GAIN))


def _delta_of_ll(ll: np.ndarray, produce_id: str, gain: float = 1.0) -> np.ndarray:
    """What each pixel of a 2x2 cell moves by (rounded, int16) so that the LL band ``ll`` carries the mark;
    ``gain``: luma units of the plane written per full-range luma unit."""
    nby, nbx = ll.shape[0] // BLOCK, ll.shape[1] // BLOCK
    blocks = ll.astype(np.float32, copy=False).reshape(nby, BLOCK, nbx, BLOCK).swapaxes(1, 2)
    proj = blocks.reshape(nby, nbx, BLOCK * BLOCK) @ _PATTERN.astype(np.float32).reshape(-1)
    signs = np.tile(_tile_signs(produce_id), (nby // TILE_ROWS + 1, nbx // TILE_COLS + 1))[:nby, :nbx]
    push = (signs * np.clip(STRENGTH - signs * proj, 0.0, MAX_PUSH)).astype(np.float32)
    d_ll = push[:, None, :, None] * _PATTERN.astype(np.float32)[None, :, None, :]  # (nby, 8, nbx, 8)
    # inverse Haar with the detail bands unchanged: each pixel of a 2x2 cell moves by d_ll / 2
    return np.rint(d_ll.reshape(nby * BLOCK, nbx * BLOCK) * np.float32(gain / 2.0)).astype(np.int16)


def _check_frame(frame: np.ndarray) -> None:
    if frame.ndim != 3 or frame.shape[2] not in (3, 4) or frame.dtype != np.uint8:
        raise ValueError(f"watermark: expected an HxWx3 uint8 RGB array, got {frame.shape} {frame.dtype}")


def _planes(frame: np.ndarray, produce_id: str) -> tuple[np.ndarray, np.ndarray]:
    """The mark as two full-size uint8 planes to add and to subtract (the same on R, G and B, which moves luma by
    exactly that much and leaves the chroma alone; alpha untouched)."""
    d = _ll_delta(frame, produce_id)
    return _spread(np.clip(d, 0, 255).astype(np.uint8), frame.shape), _spread(
        np.clip(-d, 0, 255).astype(np.uint8), frame.shape
    )


def _spread(cells: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A half-resolution plane as a full frame: each value on its 2x2 pixels, on R, G and B, zero elsewhere."""
    h, w = cells.shape[0] * 2, cells.shape[1] * 2
    try:
        import cv2
    except ImportError:  # pragma: no cover
        full = np.zeros(shape, dtype=np.uint8)
        full[:h, :w, :3] = np.repeat(np.repeat(cells, 2, axis=0), 2, axis=1)[..., None]
        return full
    up = cv2.resize(cells, (w, h), interpolation=cv2.INTER_NEAREST)
    channels = [up, up, up] + ([np.zeros_like(up)] if shape[2] == 4 else [])
    merged = cv2.merge(channels)
    if (h, w) != shape[:2]:
        merged = cv2.copyMakeBorder(merged, 0, shape[0] - h, 0, shape[1] - w, cv2.BORDER_CONSTANT, value=0)
    return np.asarray(merged)


def _apply(frame: np.ndarray, add: np.ndarray, sub: np.ndarray) -> np.ndarray:
    try:
        import cv2
    except ImportError:  # pragma: no cover - OpenCV is a dependency; numpy does the same, slower
        return np.clip(frame.astype(np.int16) + add - sub, 0, 255).astype(np.uint8)
    return np.asarray(cv2.subtract(cv2.add(np.ascontiguousarray(frame), add), sub))


def embed_frame(frame: np.ndarray, produce_id: str) -> np.ndarray:
    """Mark one HxWx3 (or HxWx4, alpha kept) uint8 RGB frame; frames smaller than MIN_SIDE come back unchanged."""
    _check_frame(frame)
    if min(frame.shape[:2]) < MIN_SIDE:
        log.debug("watermark: %s too small to mark", frame.shape[:2])
        return frame
    return _apply(frame, *_planes(frame, produce_id))


class FrameMarker:
    """Marks the frames of one video in a streaming pipeline, at a fraction of embed_frame's cost per frame.

    The content-aware change (_ll_delta) is computed on every `refresh`-th frame and reused for the frames in
    between, where it costs two saturating uint8 passes (OpenCV); the picture moves little within a second,
    and read_frames pools frames anyway. Frames must keep one size (a new size recomputes)."""

    def __init__(self, produce_id: str, refresh: int = REFRESH_FRAMES) -> None:
        self.produce_id = produce_id
        self.refresh = max(1, refresh)
        self._count = 0
        self._planes: tuple[np.ndarray, np.ndarray] | None = None  # (add, subtract), full-size uint8
        self._luma: tuple[np.ndarray, np.ndarray] | None = None  # the same for a luma plane (mark_luma)
        self._shape: tuple[int, ...] = ()

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        _check_frame(frame)
        if min(frame.shape[:2]) < MIN_SIDE:
            return frame
        if self._planes is None or frame.shape != self._shape or self._count % self.refresh == 0:
            self._planes, self._shape = _planes(frame, self.produce_id), frame.shape
        self._count += 1
        return _apply(frame, *self._planes)

    def mark_luma(self, y: np.ndarray) -> None:
        """Mark a video frame's limited-range luma plane (HxW uint8, the Y of yuv420p) in place: the same change
        to the decoded picture's luma as ``__call__`` makes on RGB, at a third of the bytes and no colour
        conversion (the chroma planes are left alone)."""
        if y.ndim != 2 or y.dtype != np.uint8:
            raise ValueError(f"watermark: expected an HxW uint8 luma plane, got {y.shape} {y.dtype}")
        if min(y.shape) < MIN_SIDE:
            return
        if self._luma is None or y.shape != self._shape or self._count % self.refresh == 0:
            d = _delta_of_ll(_ll_of_video_luma(y), self.produce_id, gain=1.0 / VIDEO_LUMA_GAIN)
            self._luma = _spread_plane(np.clip(d, 0, 255), y.shape), _spread_plane(np.clip(-d, 0, 255), y.shape)
            self._shape = y.shape
        self._count += 1
        _apply_plane(y, *self._luma)


def _spread_plane(cells: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A half-resolution plane as one full-size uint8 plane (each value on its 2x2 pixels, zero beyond)."""
    import cv2

    h, w = cells.shape[0] * 2, cells.shape[1] * 2
    up = cv2.resize(cells.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    if (h, w) == shape[:2]:
        return np.asarray(up)
    return np.asarray(cv2.copyMakeBorder(up, 0, shape[0] - h, 0, shape[1] - w, cv2.BORDER_CONSTANT, value=0))


def _apply_plane(y: np.ndarray, add: np.ndarray, sub: np.ndarray) -> None:
    """``y`` += add - sub, saturating, in place."""
    import cv2

    cv2.add(y, add, dst=y)
    cv2.subtract(y, sub, dst=y)


def embed(image: Image.Image | np.ndarray, produce_id: str) -> Any:
    """Mark an image (PIL image, or a uint8 RGB/RGBA array); returns the same kind it was given, in the same mode
    except palette and 1-bit images, which come back RGB/RGBA (a palette would wipe the mark out)."""
    if isinstance(image, np.ndarray):
        return embed_frame(image, produce_id)
    from PIL import Image

    mode = image.mode
    work = (
        image
        if mode in ("RGB", "RGBA")
        else image.convert("RGBA" if "A" in mode or "transparency" in image.info else "RGB")
    )
    marked = Image.fromarray(embed_frame(np.asarray(work), produce_id), work.mode)
    if mode not in ("RGB", "RGBA", "P", "1"):
        marked = marked.convert(mode)
    marked.info.update({k: v for k, v in image.info.items() if k != "transparency"})
    return marked


# ---- reading -------------------------------------------------------------------------------------------------


def _as_luma(image: Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(image, np.ndarray):
        arr = image
    else:
        arr = np.asarray(image.convert("RGB"))
    if arr.ndim == 2:
        return arr.astype(np.float64)
    return _luma(arr[..., :3].astype(np.float64))


def _ll_equivalent(y: np.ndarray, scale: float) -> np.ndarray | None:
    """What the marked image's LL band looks like, given luma of an image resized by `scale` since marking."""
    if scale == 1.0:
        h, w = (y.shape[0] // 2) * 2, (y.shape[1] // 2) * 2
        return _haar_ll(y[:h, :w])
    from PIL import Image

    factor = 0.5 / scale
    size = (round(y.shape[1] * factor), round(y.shape[0] * factor))
    if min(size) < BLOCK * 2:
        return None
    resized = Image.fromarray(y.astype(np.float32), "F").resize(size, Image.Resampling.BICUBIC)
    return np.asarray(resized, dtype=np.float64) * 2.0  # orthonormal LL is twice the local mean


def _projection_map(ll: np.ndarray) -> np.ndarray:
    """Projection of every 8x8 window of `ll` on the pattern: out[y, x] = <ll[y:y+8, x:x+8], pattern>."""
    h, w = ll.shape
    fh, fw = h + BLOCK, w + BLOCK
    spec = np.fft.rfft2(ll, s=(fh, fw)) * np.conj(np.fft.rfft2(_PATTERN, s=(fh, fw)))
    return np.fft.irfft2(spec, s=(fh, fw))[: h - BLOCK + 1, : w - BLOCK + 1]


def _group_z(blocks: np.ndarray) -> np.ndarray:
    """Soft vote per tile position: the summed projections of the blocks that repeat it, as a z-score against
    the spread of all blocks (unmarked: about N(0, 1); marked: grows with the square root of the repetitions)."""
    nby, nbx = blocks.shape
    ry, rx = -(-nby // TILE_ROWS), -(-nbx // TILE_COLS)
    padded = np.zeros((ry * TILE_ROWS, rx * TILE_COLS))
    present = np.zeros_like(padded)
    padded[:nby, :nbx] = blocks
    present[:nby, :nbx] = 1.0
    total = padded.reshape(ry, TILE_ROWS, rx, TILE_COLS).sum(axis=(0, 2))
    count = present.reshape(ry, TILE_ROWS, rx, TILE_COLS).sum(axis=(0, 2))
    spread = float(np.sqrt(np.mean(blocks**2))) + 1e-9
    return total / (spread * np.sqrt(np.maximum(count, 1.0)))


def _phase_index() -> np.ndarray:
    """[phase, bit] -> tile position holding that bit when the tile starts at that phase (a crop moves it)."""
    slot_of_bit = np.argsort(_SLOTS)  # tile position k carries bit _SLOTS[k]
    rows, cols = np.divmod(slot_of_bit, TILE_COLS)
    phases = [(py, px) for py in range(TILE_ROWS) for px in range(TILE_COLS)]
    return np.array([((rows + py) % TILE_ROWS) * TILE_COLS + (cols + px) % TILE_COLS for py, px in phases])


_PHASES = _phase_index()
_SYNC_SIGN = _SYNC.astype(np.float64) * 2 - 1


def _best_alignment(proj: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Over every 8x8 grid offset and tile phase, the one whose sync bits and repeated payload agree most.

    Returns (payload z-scores, strength): strength is the smaller of the mean signed sync z and the mean
    absolute payload z, about 0 to 1 on an unmarked image."""
    best: tuple[np.ndarray, float] | None = None
    for oy in range(BLOCK):
        for ox in range(BLOCK):
            blocks = proj[oy::BLOCK, ox::BLOCK]
            if blocks.shape[0] < MIN_TILES * TILE_ROWS or blocks.shape[1] < TILE_COLS:
                continue
            by_bit = _group_z(blocks).reshape(-1)[_PHASES]  # (phases, bits)
            sync_z = by_bit[:, PAYLOAD_BITS:]
            sync = sync_z @ _SYNC_SIGN / SYNC_BITS
            payload = np.abs(by_bit[:, :PAYLOAD_BITS]).mean(axis=1)
            # a wrong phase of a strong mark still gets most sync bits right by chance and a high mean; the true
            # one gets (nearly) all of them: weigh by how much of the sync bits' magnitude agrees
            agreement = sync / np.maximum(np.abs(sync_z).mean(axis=1), 1e-9)
            strength = np.minimum(sync, payload) * np.clip((agreement - _AGREE_FLOOR) / (1 - _AGREE_FLOOR), 0, 1)
            phase = int(np.argmax(strength))
            if best is None or strength[phase] > best[1]:
                best = (by_bit[phase, :PAYLOAD_BITS], float(strength[phase]))
    return best


def _confidence(strength: float) -> float:
    return float(np.clip((strength - _Z_FLOOR) / _Z_SPAN, 0.0, 1.0))


def _read_scale(y: np.ndarray, scale: float) -> tuple[np.ndarray, float] | None:
    """Best (payload z-scores, confidence) assuming the image was resized by `scale` since it was marked.

    At scale 1 the Haar cells are tried at all four pixel parities: a crop by an odd number of pixels moves the
    grid by half an LL pixel, which the 8x8 offset search alone cannot undo."""
    shifts = ((0, 0), (1, 1), (0, 1), (1, 0)) if scale == 1.0 else ((0, 0),)
    best: tuple[np.ndarray, float] | None = None
    for sy, sx in shifts:
        ll = _ll_equivalent(y[sy:, sx:], scale)
        if ll is None or min(ll.shape) < 2 * BLOCK:
            continue
        aligned = _best_alignment(_projection_map(ll))
        if aligned is not None and (best is None or aligned[1] > best[1]):
            best = aligned
        if best is not None and _confidence(best[1]) >= CONFIDENT:
            break
    return None if best is None else (best[0], _confidence(best[1]))


def read_soft(image: Image.Image | np.ndarray) -> tuple[np.ndarray | None, float]:
    """The payload's soft values (z-scores, positive = 1) and the confidence, trying each READ_SCALES in turn."""
    y = _as_luma(image)
    best: tuple[np.ndarray | None, float] = (None, 0.0)
    for scale in READ_SCALES:
        found = _read_scale(y, scale)
        if found is None:
            continue
        if best[0] is None or found[1] > best[1]:
            best = found
        if best[1] >= CONFIDENT:
            break
    return best


def read(image: Image.Image | np.ndarray) -> tuple[np.ndarray | None, float]:
    """(payload bits as a 0/1 uint8 array of PAYLOAD_BITS, confidence in [0, 1]); (None, 0.0) if nothing readable."""
    soft, confidence = read_soft(image)
    if soft is None:
        return None, 0.0
    return (soft > 0).astype(np.uint8), confidence


def read_frames(frames: Iterable[np.ndarray]) -> tuple[np.ndarray | None, float]:
    """read() over several same-sized frames of one video (or any frames marked at the same size): the mark sits
    at the same place in every frame while the picture moves, so the mean luma carries it more clearly than any
    one frame does after a lossy video encode."""
    total: np.ndarray | None = None
    count = 0
    for frame in frames:
        luma = _as_luma(frame)
        if total is not None and luma.shape != total.shape:
            raise ValueError(f"watermark: frames differ in size ({luma.shape} after {total.shape})")
        total = luma if total is None else total + luma
        count += 1
    if total is None:
        return None, 0.0
    return read(total / count)


def matches(image: Image.Image | np.ndarray, produce_id: str) -> float:
    """Confidence in [0, 1] that `image` carries this ProduceID's mark (0 for another id's mark or none)."""
    bits, confidence = read(image)
    if bits is None:
        return 0.0
    accuracy = float(np.mean(bits == payload_bits(produce_id)))
    # 64 bits: a wrong id agrees on ~50% of them; count accuracy from 75% (well beyond chance) up to 100%
    return confidence * float(np.clip((accuracy - 0.75) / 0.25, 0.0, 1.0))
