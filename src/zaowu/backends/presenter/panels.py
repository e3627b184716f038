"""Slides beside the host and the scene behind: where each goes in the frame, what each looks like, and when
each paragraph's panel shows.

With panels the frame is split: 16:9 and 1:1 put the panel on the left and the host on the right, 9:16 puts
the panel on top and the host below. Panel ``i`` shows while paragraph ``i`` of the script is spoken; the
paragraphs' boundaries are placed by their share of the script's characters over the voiced stretch of the
speech and then moved to the nearest pause, so a slide changes between sentences. A change crossfades over
``FADE_SECONDS``. Each panel is drawn once (Pillow) and composed per frame as a premultiplied patch.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import InvalidRequest
from .spec import Panel, PresenterOptions, paragraphs

__all__ = ["Layout", "PanelTrack", "frame_layout", "paragraph_starts", "put_layer", "scene_background"]

FADE_SECONDS = 0.3
PANEL_FILL = (255, 255, 255, 238)
INK = (28, 30, 36, 255)
MUTED = (70, 74, 84, 255)


@dataclass(frozen=True)
class Layout:
    """Where the host stands (x, y, w, h: it is bottom-aligned in this area) and where the panel goes."""

    host: tuple[int, int, int, int]
    panel: tuple[int, int, int, int] | None


def frame_layout(size: tuple[int, int], panels: bool) -> Layout:
    width, height = size
    if not panels:
        return Layout((0, 0, width, height), None)
    if height > width * 1.2:  # 9:16: the slide on top, the host below
        return Layout(
            (0, round(0.40 * height), width, height - round(0.40 * height)),
            (round(0.06 * width), round(0.05 * height), round(0.88 * width), round(0.33 * height)),
        )
    left = round(0.54 * width)
    return Layout(
        (left, 0, width - left, height),
        (round(0.04 * width), round(0.07 * height), round(0.50 * width), round(0.58 * height)),
    )


def paragraph_starts(script: str, runs: Sequence[tuple[int, int]], count: int) -> list[int]:
    """The frame each of the first ``count`` paragraphs starts at (the first at frame 0): character share over
    the voiced stretch, moved to the middle of the nearest pause between voiced runs."""
    parts = paragraphs(script)[:count] if count else []
    if not parts:
        return []
    if not runs:
        return [0] * len(parts)
    lengths = [len("".join(p.split())) for p in paragraphs(script)]
    total = max(1, sum(lengths))
    start, end = runs[0][0], runs[-1][1]
    pauses = [(a[1] + b[0]) // 2 for a, b in itertools.pairwise(runs)]
    starts, done = [0], 0
    for i in range(1, len(parts)):
        done += lengths[i - 1]
        guess = start + (end - start) * done / total
        later = [p for p in pauses if p > starts[-1]]
        starts.append(min(later, key=lambda p: abs(p - guess)) if later else max(starts[-1], round(guess)))
    return starts


def put_layer(image, layer, x: int, y: int) -> None:
    """Blend a premultiplied (colour, 255 - alpha) patch onto ``image`` at (x, y), clipped to the image."""
    import cv2

    colour, inverse = layer
    h, w = colour.shape[:2]
    h, w = min(h, image.shape[0] - y), min(w, image.shape[1] - x)
    band = image[y : y + h, x : x + w]
    band[:] = cv2.add(cv2.multiply(band, inverse[:h, :w], scale=1 / 255), colour[:h, :w])


def _fonts(size: int):
    from ..design.fonts import SANS_CJK, SANS_CJK_BOLD, load

    return load(SANS_CJK_BOLD, size), load(SANS_CJK, max(8, round(size * 0.72)))


def _lines(text: str, font, width: float, max_lines: int) -> list[str]:
    from ..video.subtitles import wrap

    return wrap(text, width, font.getlength, max_lines)


def _text_block(panel: Panel, width: int, title_size: int) -> tuple[list[tuple[str, Any, Any, int]], int]:
    """The panel's lines as (text, font, colour, x offset) and their height at this title size."""
    title_font, body_font = _fonts(title_size)
    out: list[tuple[str, Any, Any, int]] = []
    height = 0
    if panel.title.strip():
        for line in _lines(panel.title, title_font, width, 2):
            out.append((line, title_font, INK, 0))
            height += round(title_size * 1.3)
        height += round(title_size * 0.35)
    bullet_w = round(body_font.size * 1.1)
    for bullet in panel.bullets:
        for j, line in enumerate(_lines(bullet, body_font, width - bullet_w, 3)):
            out.append((("• " if j == 0 else "") + line, body_font, MUTED, 0 if j == 0 else bullet_w))
            height += round(body_font.size * 1.45)
    return out, height


def _picture(path: Path, param: str):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError):
        raise InvalidRequest(f"'{param}' is not a picture.", param=param) from None


def draw_panel(panel: Panel, box: tuple[int, int], accent: tuple[int, int, int], picture: Path | None, param: str):
    """One panel as a BGRA array of ``box`` (w, h): a white card with an accent bar, the title and points
    (shrunk until they fit, with room kept for the picture), and the picture contained in what is left."""
    import numpy as np
    from PIL import Image, ImageDraw

    width, height = box
    pad = round(min(width, height) * 0.08)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=round(pad * 0.6), fill=PANEL_FILL)
    draw.rectangle((0, pad, max(3, pad // 4), height - pad), fill=(*accent, 255))
    photo = _picture(picture, param) if picture is not None else None
    has_text = bool(panel.title.strip() or panel.bullets)
    text_room = inner_h if photo is None else (round(inner_h * 0.42) if has_text else 0)
    title_size = max(12, round(min(width, height * 1.6) * 0.09))
    lines, used = _text_block(panel, inner_w, title_size)
    while has_text and used > text_room and title_size > 12:
        title_size = max(12, round(title_size * 0.88))
        lines, used = _text_block(panel, inner_w, title_size)
    y = pad + (max(0, (inner_h - used) // 2) if photo is None else 0)  # text alone sits in the middle
    for text, font, colour, dx in lines:
        if y + font.size > height - pad:
            break
        draw.text((pad + dx, y), text, font=font, fill=colour)
        y += round(font.size * (1.3 if font.size == title_size else 1.45))
    if photo is not None:
        top = y + (round(pad * 0.4) if has_text else 0)
        room_w, room_h = inner_w, height - pad - top
        if room_w > 8 and room_h > 8:
            scale = min(room_w / photo.width, room_h / photo.height)
            shown = photo.resize(
                (max(1, round(photo.width * scale)), max(1, round(photo.height * scale))), Image.LANCZOS
            )
            image.paste(shown, (pad + (room_w - shown.width) // 2, top + (room_h - shown.height) // 2))
    return np.ascontiguousarray(np.asarray(image)[..., [2, 1, 0, 3]])


class PanelTrack:
    """The panels of a clip, drawn once, and which one (with its crossfade) shows at each frame."""

    def __init__(
        self,
        options: PresenterOptions,
        script: str,
        runs: Sequence[tuple[int, int]],
        fps: int,
        box: tuple[int, int, int, int],
        pictures: Mapping[str, Path],
    ):
        from ..video.stage import hex_bgr
        from ..video.subtitles import _premultiplied

        self.x, self.y, w, h = box
        b, g, r = hex_bgr(options.banner_colour)
        self.layers: list[tuple[Any, Any] | None] = []
        last: tuple[Any, Any] | None = None
        for i, panel in enumerate(options.panels):
            if panel is not None:
                picture = pictures.get(f"panel.{i}") if panel.image else None
                if panel.image and picture is None:
                    raise InvalidRequest(f"Panel {i}'s image was not resolved.", param=f"presenter.panels.{i}.image")
                last = _premultiplied(draw_panel(panel, (w, h), (r, g, b), picture, f"presenter.panels.{i}.image"))
            self.layers.append(last)
        self.starts = paragraph_starts(script, runs, len(self.layers))
        self.fade = max(1, round(FADE_SECONDS * fps))

    def _index(self, n: int) -> int:
        i = 0
        while i + 1 < len(self.starts) and self.starts[i + 1] <= n:
            i += 1
        return i

    def draw(self, frame: Any, n: int) -> None:
        import numpy as np

        if not self.layers:
            return
        i = self._index(n)
        layer = self.layers[i]
        if layer is None:
            return
        since = n - self.starts[i]
        before = self.layers[i - 1] if i > 0 else None
        if since >= self.fade or before is layer:
            put_layer(frame, layer, self.x, self.y)
            return
        k = (since + 1) / (self.fade + 1)
        for piece, weight in ((before, 1 - k), (layer, k)):
            if piece is None:
                continue
            colour, inverse = piece
            faded = (
                (colour * weight).astype(np.uint8),
                (255 - (255 - inverse.astype(np.float32)) * weight).astype(np.uint8),
            )
            put_layer(frame, faded, self.x, self.y)


def scene_background(options: PresenterOptions, size: tuple[int, int], seed: int):
    """A design-engine scene (gradient and motifs, no text) at ``size`` as BGR: the ``scene`` choices, the
    rest chosen by the seed."""
    import cv2
    import numpy as np

    from ..design.render import compose
    from ..design.scene import Scene, paint_background

    width, height = size
    chosen = options.scene.model_dump(exclude_none=True) if options.scene is not None else {}
    design = compose({"headline": "·", **chosen}, width, height, seed=seed)
    scene = Scene(width, height, design.scene.background, shapes=list(design.scene.shapes[: design.motif_count]))
    rgb = np.asarray(paint_background(scene).convert("RGB"))
    return np.ascontiguousarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
