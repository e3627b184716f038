"""The one labelling step every stored output passes, and ``verify`` that reads labels back.

Order (GB 45438-2025 labels first, the signature last so it covers them):

1. explicit label: what people see or hear (image mark, audio cue, text/HTML notice, office footer);
2. invisible watermark: ``provenance.watermark.embed`` when that module is installed (images);
3. implicit label: the AIGC object in the format's metadata (``aigc.py``);
4. C2PA signature: ``provenance.c2pa.sign`` when that module is installed.

``label_output`` never raises for a format it cannot label: it returns the bytes unchanged and
says so in the report stored with the artifact (``meta["labels"]``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import audio, image, office, text, video
from .aigc import FIELDS, AIGCLabel

log = logging.getLogger(__name__)

__all__ = ["LabelPolicy", "label_output", "verify_bytes", "family_of", "sniff_mime"]

MAX_VERIFY_BYTES = 256 << 20  # largest file verify reads
TEXT_MIMES = {"text/plain": "text", "text/markdown": "text", "application/json": "json", "text/html": "html"}


@dataclass(frozen=True)
class LabelPolicy:
    """What the labels say and where the mark goes (from the settings)."""

    producer: str = "zaowu"
    position: str = "bottom-right"


def _base(mime: str) -> str:
    return mime.split(";", maxsplit=1)[0].strip().lower()


def family_of(mime: str) -> str | None:
    """The format family that labels ``mime`` (None: no writer for it)."""
    base = _base(mime)
    if base in image.IMAGE_FORMATS:
        return "image"
    if base == "image/svg+xml":
        return "svg"
    if base in ("audio/wav", "audio/x-wav", "audio/wave"):
        return "wav"
    if base in ("audio/mpeg", "audio/mp3"):
        return "mp3"
    if base in video.VIDEO_MIMES:
        return "mp4"
    if base in TEXT_MIMES:
        return TEXT_MIMES[base]
    if base in office.OOXML_MIMES:
        return "ooxml"
    if base == "application/pdf":
        return "pdf"
    if base == "application/zip":
        return "zip"
    return None


# -- call sites of the other provenance parts ------------------------------------------------


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(f"{__package__}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.{module}":
            raise
        return None


def watermark_hook(data: bytes, mime: str, produce_id: str) -> tuple[bytes, str | None]:
    """Step 2: the invisible watermark carrying ``produce_id`` (``provenance.watermark.embed``)."""
    module = _optional("watermark")
    if module is None or not hasattr(module, "embed"):
        return data, None
    return module.embed(data, mime, produce_id), "watermark"


def c2pa_hook(data: bytes, mime: str, label: AIGCLabel) -> tuple[bytes, str | None]:
    """Step 4, last: the C2PA manifest signed over the labelled bytes (``provenance.c2pa.sign``)."""
    module = _optional("c2pa")
    if module is None or not hasattr(module, "sign"):
        return data, None
    return module.sign(data, mime, label), "c2pa"


def video_mark_hook() -> None:
    """Where a visible mark for a video's first seconds would be drawn. MP4 artifacts arrive encoded,
    and re-encoding their first two seconds here is out of scope: the video render
    (backends/video/pipeline.py) is the place to draw it as a stage; until then MP4s carry the
    implicit label only and the report says ``explicit: not written``."""


# -- labelling ---------------------------------------------------------------------------------


def _explicit(family: str, data: bytes, mime: str, policy: LabelPolicy) -> tuple[bytes, str | None]:
    if family == "image":
        return image.mark_image(data, _base(mime), policy.position), f"visible mark ({policy.position})"
    if family == "wav":
        return audio.label_wav(data, None, cue=True), "audio cue (short-long-short-short)"
    if family == "ooxml":
        kind = office.OOXML_MIMES[_base(mime)]
        if kind == "pptx":
            return data, None
        return office.label_ooxml(data, kind, None, notice=True), "footer notice"
    if family == "svg":
        return data, f"visible mark ({policy.position})"  # drawn with the implicit label (_implicit)
    if family in ("text", "json", "html"):
        return data, "notice line"  # written with the implicit label in one pass (_implicit)
    if family == "zip":
        return data, "notice on each HTML page"
    return data, None


def _implicit(family: str, data: bytes, mime: str, label: AIGCLabel, policy: LabelPolicy) -> tuple[bytes, str | None]:
    value = label.to_json()
    if family == "svg":
        svg = text.label_svg(
            data.decode("utf-8"), value, mark=True, mark_text=image.MARK_TEXT, position=policy.position
        )
        return svg.encode("utf-8"), "SVG metadata AIGC"
    if family == "image":
        return image.add_xmp(data, _base(mime), value), "XMP TC260:AIGC"
    if family == "wav":
        return audio.label_wav(data, value, cue=False), "RIFF LIST/INFO ICMT + AIGC chunk"
    if family == "mp3":
        return audio.label_mp3(data, value), "ID3 TXXX:AIGC"
    if family == "mp4":
        return video.label_mp4(data, value), "MP4 metadata AIGC"
    if family == "ooxml":
        return office.label_ooxml(data, office.OOXML_MIMES[_base(mime)], value, notice=False), "custom property AIGC"
    if family == "pdf":
        return office.label_pdf(data, value), "PDF Info /AIGC"
    if family == "zip":
        page: Callable[[str], str] = lambda html: text.label_html(html, value, notice=True)  # noqa: E731
        return office.label_zip(data, page), "HTML meta AIGC in each page"
    source = data.decode("utf-8")
    if family == "json":
        if (labelled := text.label_json_doc(source, label.to_dict(), notice=True)) is not None:
            return labelled.encode("utf-8"), "JSON AIGC key"
        family = "text"
    if family == "html":
        return text.label_html(source, value, notice=True).encode("utf-8"), "HTML meta AIGC"
    return text.label_text(source, value, notice=True).encode("utf-8"), "front matter AIGC"


def label_output(
    data: bytes, mime: str, *, produce_id: str, policy: LabelPolicy, reserved: str = ""
) -> tuple[bytes, dict[str, Any]]:
    """``data`` with every label its format takes, and a report of what was written."""
    family = family_of(mime)
    label = AIGCLabel.create(policy.producer, produce_id, reserved)
    report: dict[str, Any] = {"produce_id": label.ProduceID, "format": family}
    if family is None:
        report["implicit"] = None
        report["note"] = f"no label writer for {_base(mime)}"
        log.info("output %s (%s) stored without labels: no writer for the format", produce_id, mime)
        return data, report
    try:
        data, report["explicit"] = _explicit(family, data, mime, policy)
        if family == "image":
            data, report["watermark"] = watermark_hook(data, _base(mime), label.ProduceID)
        data, report["implicit"] = _implicit(family, data, mime, label, policy)
        data, report["c2pa"] = c2pa_hook(data, _base(mime), label)
    except Exception as exc:  # noqa: BLE001 - a file its format's reader rejects: stored as made, the failure reported
        log.warning("could not label output %s (%s): %s", produce_id, mime, exc)
        report["error"] = f"{type(exc).__name__}: {exc}"[:300]
    return data, report


# -- verify ------------------------------------------------------------------------------------

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"ID3", "audio/mpeg"),
    (b"%PDF", "application/pdf"),
)
_EXTENSIONS = {
    "md": "text/markdown",
    "markdown": "text/markdown",
    "txt": "text/plain",
    "json": "application/json",
    "html": "text/html",
    "htm": "text/html",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "mp4": "video/mp4",
    **{ext: mime for mime, ext in office.OOXML_MIMES.items()},
    "zip": "application/zip",
    "svg": "image/svg+xml",
}


def sniff_mime(data: bytes, name: str | None = None) -> str | None:
    """The file's type from its first bytes (then its name's extension)."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if data[:2] == b"\xff\xfb" or data[:2] == b"\xff\xf3":
        return "audio/mpeg"
    ext = (name or "").rsplit(".", 1)[-1].lower() if name and "." in name else ""
    if data[:4] == b"PK\x03\x04":
        return _EXTENSIONS.get(ext, "application/zip") if ext in ("docx", "xlsx", "pptx", "zip") else _zip_kind(data)
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:2048].lower()):
        return "image/svg+xml"
    if head.startswith((b"{", b"[")):
        return "application/json"
    return "text/plain" if _is_text(data) else None


def _zip_kind(data: bytes) -> str:
    for marker, kind in ((b"word/", "docx"), (b"xl/", "xlsx"), (b"ppt/", "pptx")):
        if marker in data[:65536]:
            return next(m for m, k in office.OOXML_MIMES.items() if k == kind)
    return "application/zip"


def _is_text(data: bytes) -> bool:
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_implicit(family: str, data: bytes) -> tuple[dict[str, str] | None, str | None]:
    if family == "image":
        return image.read_xmp_label(data)
    if family == "wav":
        return audio.read_wav_label(data)
    if family == "mp3":
        return audio.read_mp3_label(data)
    if family == "mp4":
        return video.read_mp4_label(data)
    if family == "ooxml":
        return office.read_ooxml_label(data)
    if family == "pdf":
        return office.read_pdf_label(data)
    if family == "zip":
        return office.read_zip_label(data, text.read_html_label)
    source = data.decode("utf-8", "replace")
    if family == "svg":
        return text.read_svg_label(source)
    if family == "html":
        return text.read_html_label(source)
    if family == "json":
        found = text.read_json_label(source)
        return found if found[0] else text.read_text_label(source)
    return text.read_text_label(source)


def _read_explicit(family: str, data: bytes) -> dict[str, Any]:
    if family == "image":
        corner = image.detect_mark(data)
        return {"checked": True, "found": corner is not None, "detail": corner and f"visible mark ({corner})"}
    if family == "wav":
        found = audio.detect_cue(data)
        return {"checked": True, "found": found, "detail": "audio cue (short-long-short-short)" if found else None}
    if family == "svg":
        found = text.has_svg_mark(data.decode("utf-8", "replace"))
        return {"checked": True, "found": found, "detail": "visible mark" if found else None}
    if family in ("text", "json", "html"):
        found = text.has_notice(data.decode("utf-8", "replace"))
        return {"checked": True, "found": found, "detail": "notice line" if found else None}
    if family == "ooxml":
        shown = office.ooxml_notice(data)
        return {"checked": shown is not None, "found": shown, "detail": "footer notice" if shown else None}
    return {"checked": False, "found": None, "detail": "not checkable for this format"}


def _hook_report(module: str, function: str, data: bytes, mime: str) -> dict[str, Any]:
    found = _optional(module)
    if found is None or not hasattr(found, function):
        return {"checked": False, "found": None, "detail": f"provenance.{module} is not installed"}
    return dict(getattr(found, function)(data, mime))


def verify_bytes(data: bytes, name: str | None = None) -> dict[str, Any]:
    """Every label ``data`` carries and every one it lacks (the generation row is the caller's part)."""
    mime = sniff_mime(data, name)
    family = family_of(mime) if mime else None
    report: dict[str, Any] = {"name": name, "mime": mime, "format": family, "bytes": len(data)}
    if family is None:
        report.update(implicit={"found": False, "detail": "unknown format"}, found=[], missing=["implicit"])
        return report
    try:
        fields, where = _read_implicit(family, data)
    except Exception as exc:  # noqa: BLE001 - a damaged file: reported, not raised
        fields, where = None, f"unreadable: {type(exc).__name__}"
    report["implicit"] = {
        "found": fields is not None,
        "where": where,
        "fields": fields,
        "missing_fields": [f for f in FIELDS if fields is not None and f not in fields],
    }
    try:
        report["explicit"] = _read_explicit(family, data)
    except Exception as exc:  # noqa: BLE001 - a damaged file: reported, not raised
        report["explicit"] = {"checked": False, "found": None, "detail": f"unreadable: {type(exc).__name__}"}
    report["watermark"] = _hook_report("watermark", "detect", data, mime or "")
    report["c2pa"] = _hook_report("c2pa", "verify", data, mime or "")
    parts = ("implicit", "explicit", "watermark", "c2pa")
    report["found"] = [p for p in parts if report[p].get("found")]
    report["missing"] = [p for p in parts if report[p].get("found") is False or (p == "implicit" and not fields)]
    report["produce_id"] = (fields or {}).get("ProduceID") or None
    return report
