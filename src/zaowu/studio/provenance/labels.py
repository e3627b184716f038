"""The one labelling step every stored output passes, and ``verify`` that reads labels back.

Order (GB 45438-2025 labels first, the signature last so it covers them):

1. explicit label: what people see or hear (image mark, audio cue, text/HTML notice, office footer, PDF page notice);
2. invisible watermark (``watermark.py``, images): drawn on the same decoded picture as the mark, which is
   then encoded once with ``image.py``'s encoder settings;
3. implicit label: the AIGC object in the format's metadata (``aigc.py``);
4. C2PA signature (``c2pa.py``): generation id and model id, signed with the chain of the Studio's settings
   (``LabelPolicy.settings``); formats C2PA cannot hold (PDF, OOXML, HTML, text) say so in the report
   (``c2pa_skipped``) and keep their other labels.

``label_file`` does the same path to path for MP4s stored from disk (implicit label by remux unless the render
wrote it, then C2PA); their visible mark and frame watermark are drawn by the render (``video.FrameLabel``).
FLAC, Ogg, MP3 (the cue), MIDI and CSV are labelled in one pass by ``encoded.py`` (``_label_other``).
``label_output`` never raises for a format it cannot label: it returns the bytes unchanged and
says so in the report stored with the artifact (``meta["labels"]``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import audio, encoded, image, office, text, video
from .aigc import FIELDS, AIGCLabel

if TYPE_CHECKING:
    from ...settings import Settings

log = logging.getLogger(__name__)

__all__ = ["LabelPolicy", "label_file", "label_output", "verify_bytes", "family_of", "sniff_mime"]

MAX_VERIFY_BYTES = 256 << 20  # largest file verify reads
TEXT_MIMES = {"text/plain": "text", "text/markdown": "text", "application/json": "json", "text/html": "html"}


@dataclass(frozen=True)
class LabelPolicy:
    """What the labels say and where the mark goes (from the settings)."""

    producer: str = "zaowu"
    position: str = "bottom-right"
    # the Studio's settings: where the C2PA chain is (None: no C2PA signing)
    settings: Settings | None = field(default=None, compare=False)


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
    if base in ("audio/flac", "audio/x-flac"):
        return "flac"
    if base in ("audio/ogg", "audio/opus", "audio/vorbis"):
        return "ogg"
    if base in ("audio/midi", "audio/x-midi", "audio/mid"):
        return "midi"
    if base == "text/csv":
        return "csv"
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


# -- the watermark and the C2PA signature -----------------------------------------------------


def _watermark_image(im: Any, produce_id: str, report: dict[str, Any]) -> Any:
    """Step 2 on the decoded picture: the invisible DWT-DCT mark carrying ``produce_id``."""
    from . import watermark

    try:
        marked = watermark.embed(im, produce_id)
    except Exception as exc:  # noqa: BLE001 - the other labels stand; the failure is reported
        log.warning("could not watermark output %s: %s", produce_id, exc)
        report["watermark"], report["watermark_error"] = None, f"{type(exc).__name__}: {exc}"[:300]
        return im
    report["watermark"] = "DWT-DCT luma mark (ProduceID payload)"
    return marked


def _manifest(label: AIGCLabel, policy: LabelPolicy, model_id: str) -> Any:
    from . import c2pa

    return c2pa.ManifestInfo(generation_id=label.ProduceID, model_id=model_id or "unknown", producer=policy.producer)


def _c2pa_credentials(policy: LabelPolicy) -> Any:
    from . import c2pa

    return c2pa.credentials(policy.settings)


def _c2pa_skip(mime: str, policy: LabelPolicy) -> str | None:
    """Why C2PA is not written for ``mime`` (None: it is)."""
    from . import c2pa

    if _base(mime) not in c2pa.SIGNABLE:
        return f"C2PA cannot be embedded in {_base(mime)}; the explicit and implicit labels stand"
    if policy.settings is None:
        return "no signing settings given to the labeller"
    return None


def c2pa_step(data: bytes, mime: str, label: AIGCLabel, policy: LabelPolicy, model_id: str, report: dict) -> bytes:
    """Step 4, last: the C2PA manifest (generation id, model id) signed over the labelled bytes."""
    from . import c2pa

    report["c2pa"] = None
    if (why := _c2pa_skip(mime, policy)) is not None:
        report["c2pa_skipped"] = why
        return data
    try:
        creds = _c2pa_credentials(policy)
        signed = c2pa.sign(data, _base(mime), _manifest(label, policy, model_id), credentials=creds)
    except Exception as exc:  # noqa: BLE001 - the other labels stand; the failure is reported
        log.warning("could not sign output %s (%s): %s", label.ProduceID, mime, exc)
        report["c2pa_error"] = f"{type(exc).__name__}: {exc}"[:300]
        return data
    report["c2pa"] = f"signed ({creds.alg}), generation {label.ProduceID}, model {model_id or 'unknown'}"
    return signed


def video_mark_hook() -> None:
    """The visible mark of a video's first seconds and its per-frame watermark are drawn by the render
    itself: the Studio passes ``provenance.video.FrameLabel`` to ``backends/video/pipeline.edit_video``
    as its ``frame_label`` stage; ``label_file`` then adds the implicit label and the C2PA signature."""


# -- labelling ---------------------------------------------------------------------------------


def _explicit(family: str, data: bytes, mime: str, policy: LabelPolicy) -> tuple[bytes, str | None]:
    if family == "image":
        return image.mark_image(data, _base(mime), policy.position), f"visible mark ({policy.position})"
    if family == "wav":
        return audio.label_wav(data, None, cue=True), "audio cue (short-long-short-short)"
    if family == "ooxml":
        kind = office.OOXML_MIMES[_base(mime)]
        shown = "notice on every slide" if kind == "pptx" else "footer notice"
        return office.label_ooxml(data, kind, None, notice=True), shown
    if family == "svg":
        return data, f"visible mark ({policy.position})"  # drawn with the implicit label (_implicit)
    if family in ("text", "json", "html"):
        return data, "notice line"  # written with the implicit label in one pass (_implicit)
    if family == "zip":
        return data, "notice on each HTML page"
    if family == "pdf":
        return office.stamp_pdf(data), "notice at the foot of every page"
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
        if video.has_label_tags(data, value):  # the render wrote it (FrameLabel.metadata): no remux
            return data, "MP4 metadata AIGC"
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


CSV_RECORD = "artifact record (CSV holds no metadata; a comment line or column would break its readers)"


def _label_other(
    family: str, data: bytes, label: AIGCLabel, report: dict[str, Any]
) -> tuple[bytes, str | None, str | None] | None:
    """The formats labelled in one pass (``encoded.py``): (data, explicit, implicit), or None for the others.
    CSV is stored as made: its label goes into the report, which the store keeps with the artifact."""
    if family in ("flac", "ogg"):
        return (
            encoded.label_encoded(data, family, label.to_json()),
            "audio cue (short-long-short-short)",
            ("Vorbis comment AIGC"),
        )
    if family == "mp3":
        cued = encoded.label_encoded(data, "mp3", None)
        return audio.label_mp3(cued, label.to_json()), "audio cue (short-long-short-short)", "ID3 TXXX:AIGC"
    if family == "midi":
        return encoded.label_midi(data, label.to_json()), "MIDI marker", "MIDI text event AIGC"
    if family == "csv":
        report["aigc"] = label.to_dict()
        return data, None, CSV_RECORD
    return None


def _label_image(data: bytes, mime: str, label: AIGCLabel, policy: LabelPolicy, report: dict[str, Any]) -> bytes:
    """Steps 1-2 on one decoded picture, then one encode with the label step's encoder settings."""
    im = image.draw_mark(image.decode(data), policy.position)
    report["explicit"] = f"visible mark ({policy.position})"
    im = _watermark_image(im, label.ProduceID, report)
    return image.encode(im, _base(mime))


def label_output(
    data: bytes, mime: str, *, produce_id: str, policy: LabelPolicy, reserved: str = "", model_id: str = ""
) -> tuple[bytes, dict[str, Any]]:
    """``data`` with every label its format takes, and a report of what was written. ``model_id`` goes
    into the C2PA manifest with the generation id (``produce_id``)."""
    family = family_of(mime)
    label = AIGCLabel.create(policy.producer, produce_id, reserved)
    report: dict[str, Any] = {"produce_id": label.ProduceID, "format": family}
    if family is None:
        report["implicit"] = None
        report["note"] = f"no label writer for {_base(mime)}"
        log.info("output %s (%s) stored without labels: no writer for the format", produce_id, mime)
        return data, report
    try:
        if (done := _label_other(family, data, label, report)) is not None:
            data, report["explicit"], report["implicit"] = done
        else:
            if family == "image":
                data = _label_image(data, mime, label, policy, report)
            else:
                data, report["explicit"] = _explicit(family, data, mime, policy)
            data, report["implicit"] = _implicit(family, data, mime, label, policy)
    except Exception as exc:  # noqa: BLE001 - a file its format's reader rejects: stored as made, the failure reported
        log.warning("could not label output %s (%s): %s", produce_id, mime, exc)
        report["error"] = f"{type(exc).__name__}: {exc}"[:300]
        return data, report
    return c2pa_step(data, mime, label, policy, model_id, report), report


def label_file(
    src: Path, dst: Path, mime: str, *, produce_id: str, policy: LabelPolicy, model_id: str = ""
) -> dict[str, Any]:
    """Label the file at ``src`` into ``dst`` without holding it in memory (MP4: the implicit label by a
    remux path to path, then C2PA signed file to file). Other formats are read and passed to ``label_output``.
    Returns the report; ``dst`` is left absent when nothing could be written (store ``src`` as it is)."""
    family = family_of(mime)
    if family != "mp4":
        data, report = label_output(src.read_bytes(), mime, produce_id=produce_id, policy=policy, model_id=model_id)
        dst.write_bytes(data)
        return report
    label = AIGCLabel.create(policy.producer, produce_id)
    report: dict[str, Any] = {"produce_id": label.ProduceID, "format": family, "explicit": None}
    if video.has_label_tags(src, label.to_json()):  # the render wrote it (FrameLabel.metadata): no remux
        report["implicit"] = "MP4 metadata AIGC"
        _sign_file(src, dst, mime, label, policy, model_id, report)
        return report
    middle = dst.with_name(dst.name + ".implicit")
    try:
        video.label_mp4_file(src, middle, label.to_json())
        report["implicit"] = "MP4 metadata AIGC"
        _sign_file(middle, dst, mime, label, policy, model_id, report)
    except Exception as exc:  # noqa: BLE001 - a file PyAV cannot remux: stored as made, the failure reported
        log.warning("could not label output %s (%s): %s", produce_id, mime, exc)
        report["error"] = f"{type(exc).__name__}: {exc}"[:300]
        middle.unlink(missing_ok=True)
        dst.unlink(missing_ok=True)
    finally:
        if middle.exists() and not dst.exists():
            middle.rename(dst)
        middle.unlink(missing_ok=True)
    return report


def _sign_file(
    src: Path, dst: Path, mime: str, label: AIGCLabel, policy: LabelPolicy, model_id: str, report: dict
) -> None:
    from . import c2pa

    report["c2pa"] = None
    if (why := _c2pa_skip(mime, policy)) is not None:
        report["c2pa_skipped"] = why
        return
    try:
        creds = _c2pa_credentials(policy)
        c2pa.sign_file(src, dst, _base(mime), _manifest(label, policy, model_id), credentials=creds)
    except Exception as exc:  # noqa: BLE001 - the implicit label stands; the failure is reported
        log.warning("could not sign output %s (%s): %s", label.ProduceID, mime, exc)
        report["c2pa_error"] = f"{type(exc).__name__}: {exc}"[:300]
        dst.unlink(missing_ok=True)
        return
    report["c2pa"] = f"signed ({creds.alg}), generation {label.ProduceID}, model {model_id or 'unknown'}"


# -- verify ------------------------------------------------------------------------------------

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"ID3", "audio/mpeg"),
    (b"%PDF", "application/pdf"),
    (b"fLaC", "audio/flac"),
    (b"OggS", "audio/ogg"),
    (b"MThd", "audio/midi"),
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
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "mid": "audio/midi",
    "midi": "audio/midi",
    "csv": "text/csv",
}


def sniff_mime(data: bytes, name: str | None = None) -> str | None:
    """The file's type from its first bytes (then its name's extension)."""
    if data[:3] == b"ID3" and len(data) >= 10 and data[_id3_end(data) : _id3_end(data) + 4] == b"fLaC":
        return "audio/flac"  # a FLAC file with an ID3 tag in front (how C2PA embeds its manifest in FLAC)
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


def _id3_end(data: bytes) -> int:
    """Where the ID3v2 tag at the start of ``data`` ends (its header, syncsafe size and optional footer)."""
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
    return 10 + size + (10 if data[5] & 0x10 else 0)


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
    if family in ("flac", "ogg"):
        return encoded.read_encoded_label(data)
    if family == "midi":
        return encoded.read_midi_label(data)
    if family == "csv":
        return None, "CSV holds no metadata: zaowu keeps its label in the artifact record"
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
    if family in ("flac", "ogg", "mp3"):
        found = encoded.detect_encoded_cue(data)
        return {"checked": True, "found": found, "detail": "audio cue (short-long-short-short)" if found else None}
    if family == "midi":
        found = encoded.detect_midi_mark(data)
        return {"checked": True, "found": found, "detail": "MIDI marker" if found else None}
    if family == "ooxml":
        shown = office.ooxml_notice(data)
        return {"checked": shown is not None, "found": shown, "detail": "notice (footer or slides)" if shown else None}
    if family == "zip":
        shown = office.zip_pages_notice(data, text.has_notice)
        return {"checked": shown is not None, "found": shown, "detail": "notice on every HTML page" if shown else None}
    if family == "pdf":
        shown = office.pdf_notice(data)
        return {"checked": shown is not None, "found": shown, "detail": "notice on every page" if shown else None}
    return {"checked": False, "found": None, "detail": "not checkable for this format"}


WATERMARK_FOUND = 0.5  # watermark confidence from which a mark counts as found
WATERMARK_MATCH = 0.9  # share of the 64 payload bits that must agree with a ProduceID's for a match


def _watermark_report(family: str, data: bytes, candidates: Iterable[str]) -> dict[str, Any]:
    """The watermark read from the picture (video: pooled frames), and which candidate ProduceID it carries."""
    from . import watermark

    if family == "image":
        bits, confidence = watermark.read(image.decode(data).convert("RGB"))
    elif family == "mp4":
        bits, confidence = video.read_watermark(data)
    else:
        return {"checked": False, "found": None, "detail": "no watermark in this format"}
    report: dict[str, Any] = {"checked": True, "found": bits is not None and confidence >= WATERMARK_FOUND}
    report["confidence"] = round(confidence, 3)
    report["matches"], report["bit_accuracy"] = None, None
    for produce_id in dict.fromkeys(c for c in candidates if c):
        accuracy = float((bits == watermark.payload_bits(produce_id)).mean()) if bits is not None else 0.0
        if report["bit_accuracy"] is None or accuracy > report["bit_accuracy"]:
            report["bit_accuracy"] = round(accuracy, 3)
        if accuracy >= WATERMARK_MATCH and report["found"]:
            report["matches"] = produce_id
            break
    shown = f"payload of {report['matches']}" if report["matches"] else "payload matches no known generation id"
    report["detail"] = f"{shown} (confidence {confidence:.2f})" if report["found"] else None
    return report


def _c2pa_report(data: bytes, mime: str, credentials: Any) -> dict[str, Any]:
    """What the C2PA manifest says (state missing/invalid/valid/trusted, trust, signer, generation id)."""
    from . import c2pa

    if credentials is None:
        return {"checked": False, "found": None, "detail": "no trust settings given to verify"}
    try:
        found = c2pa.read(data, _base(mime), credentials=credentials)
    except Exception as exc:  # noqa: BLE001 - a file c2pa cannot parse: reported, not raised
        return {"checked": True, "found": False, "state": "invalid", "detail": f"unreadable: {type(exc).__name__}"}
    report = {"checked": True, "found": found.valid, **found.to_dict()}
    who = found.signer.get("common_name") or found.signer.get("issuer") or "unknown signer"
    report["detail"] = f"{found.state} ({found.trust or 'untrusted'}, {who})" if found.present else None
    return report


def verify_bytes(
    data: bytes, name: str | None = None, *, credentials: Any = None, known_ids: Iterable[str] = ()
) -> dict[str, Any]:
    """Every label ``data`` carries and every one it lacks (the generation row is the caller's part).
    ``credentials``: the Studio's C2PA chain (``c2pa.credentials(settings)``: whose roots are trusted);
    ``known_ids``: generation ids the watermark is checked against, besides those the labels name."""
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
    report["c2pa"] = _c2pa_report(data, mime or "", credentials)
    candidates = [(fields or {}).get("ProduceID", ""), report["c2pa"].get("generation_id") or "", *known_ids]
    try:
        report["watermark"] = _watermark_report(family, data, candidates)
    except Exception as exc:  # noqa: BLE001 - a damaged file: reported, not raised
        report["watermark"] = {"checked": False, "found": None, "detail": f"unreadable: {type(exc).__name__}"}
    parts = ("implicit", "explicit", "watermark", "c2pa")
    report["found"] = [p for p in parts if report[p].get("found")]
    report["missing"] = [p for p in parts if report[p].get("found") is False or (p == "implicit" and not fields)]
    report["produce_id"] = (
        (fields or {}).get("ProduceID") or report["c2pa"].get("generation_id") or report["watermark"].get("matches")
    )
    return report
