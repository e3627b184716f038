"""Issue 16: the labels of each format, written and read back (verify round trip), the variants
other producers write, and the visible mark's size measured on the rendered image."""

from __future__ import annotations

import io
import json
import wave
import zipfile

import pytest
from click.testing import CliRunner
from PIL import Image

from zaowu.cli.main import cli
from zaowu.settings import Settings
from zaowu.studio.provenance import image
from zaowu.studio.provenance.aigc import TC260_NS, parse
from zaowu.studio.provenance.labels import LabelPolicy, label_output, verify_bytes

POLICY = LabelPolicy(producer="zaowu-test")


def _image(fmt: str, size=(320, 200), colour=(240, 240, 240)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, fmt)
    return buf.getvalue()


def _wav(seconds=1.0, rate=16000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(rate * seconds))
    return buf.getvalue()


def _mp4() -> bytes:
    import av
    import numpy as np

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, np.uint8), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buf.getvalue()


def _encoded(fmt: str) -> bytes:
    """A second of a 440 Hz tone encoded by the music backend's encoder (FLAC, Ogg Opus)."""
    import numpy as np

    from zaowu.backends.music.audio import encode, to_wav

    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)).astype(np.float32)[:, None]
    return encode(to_wav(tone, 22050), fmt)


def _midi() -> bytes:
    import mido

    song = mido.MidiFile()
    track = mido.MidiTrack([mido.Message("note_on", note=60, time=0), mido.Message("note_off", note=60, time=480)])
    song.tracks.append(track)
    buf = io.BytesIO()
    song.save(file=buf)
    return buf.getvalue()


def _pdf() -> bytes:
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _office(kind: str) -> bytes:
    from zaowu.studio.office import render_docx, render_pptx, render_xlsx

    from ..test_office import DECKS, DOCUMENTS, WORKBOOKS

    return {
        "docx": lambda: render_docx(DOCUMENTS["zh"]),
        "xlsx": lambda: render_xlsx(WORKBOOKS["zh"]),
        "pptx": lambda: render_pptx(DECKS["zh"]),
    }[kind]()


CASES = {
    "png": ("image/png", lambda: _image("PNG"), True),
    "jpeg": ("image/jpeg", lambda: _image("JPEG"), True),
    "webp": ("image/webp", lambda: _image("WEBP"), True),
    "svg": (
        "image/svg+xml",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 200"><rect width="300" height="200"/></svg>',
        True,
    ),
    "wav": ("audio/wav", _wav, True),
    "mp3": ("audio/mpeg", lambda: _encoded("mp3"), True),
    "mp4": ("video/mp4", _mp4, None),
    "flac": ("audio/flac", lambda: _encoded("flac"), True),
    "opus": ("audio/ogg", lambda: _encoded("opus"), True),
    "mid": ("audio/midi", _midi, True),
    "md": ("text/markdown; charset=utf-8", lambda: "# 标题\n\n正文。".encode(), True),
    "txt": ("text/plain; charset=utf-8", lambda: b"Plain words.", True),
    "json": ("application/json", lambda: b'{"slogan": "Fresh tea"}', True),
    "html": (
        "text/html; charset=utf-8",
        lambda: b"<!doctype html><html><head></head><body><p>x</p></body></html>",
        True,
    ),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", lambda: _office("docx"), True),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", lambda: _office("xlsx"), True),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        lambda: _office("pptx"),
        True,
    ),
    "pdf": ("application/pdf", _pdf, True),
}


@pytest.mark.parametrize("ext", list(CASES))
def test_each_format_round_trips_through_verify(ext):
    mime, make, explicit = CASES[ext]
    original = make()
    before = verify_bytes(original, f"x.{ext}")
    assert not before["implicit"]["found"] and "implicit" in before["missing"]
    labelled, report = label_output(original, mime, produce_id="gen_0123456789abcdef", policy=POLICY)
    assert "error" not in report, report
    after = verify_bytes(labelled, f"x.{ext}")
    assert after["implicit"]["found"], after
    assert after["implicit"]["fields"]["ProduceID"] == "gen_0123456789abcdef"
    assert after["implicit"]["fields"]["ContentProducer"] == "zaowu-test" and not after["implicit"]["missing_fields"]
    if explicit is not None:
        assert after["explicit"]["found"] is explicit, after["explicit"]
        assert before["explicit"]["found"] is False
    if ext == "mp4":
        import av

        with av.open(io.BytesIO(labelled)) as clip:  # still a playable video, every frame kept
            assert sum(1 for _ in clip.decode(video=0)) == 10
    if ext in ("docx", "xlsx", "pptx"):
        with zipfile.ZipFile(io.BytesIO(labelled)) as z:
            assert z.testzip() is None and "docProps/custom.xml" in z.namelist()
    if ext == "wav":
        with wave.open(io.BytesIO(labelled)) as w:  # the cue comes first, the sound is kept whole
            assert w.getnframes() > 16000
    if ext in ("flac", "opus", "mp3"):
        from zaowu.backends.music.audio import decode
        from zaowu.studio.provenance.audio import CUE_SECONDS

        assert len(decode(labelled, 16000)) / 16000 > CUE_SECONDS + 0.9  # the cue, then the whole tone
    if ext == "mid":
        import mido

        notes = [m for t in mido.MidiFile(file=io.BytesIO(labelled)).tracks for m in t if not m.is_meta]
        assert [(m.type, m.time) for m in notes] == [("note_on", 0), ("note_off", 480)]  # timing untouched


def test_other_producers_variants_are_read():
    fields = {
        "Label": "1",
        "ContentProducer": "other",
        "ProduceID": "p1",
        "ReserveCode1": "r",
        "ContentPropagator": "",
        "PropagateID": "",
        "ReservedCode2": "",
    }
    assert parse(json.dumps(fields))["ReservedCode1"] == "r"  # the ReserveCode1 spelling
    assert parse(json.dumps({"AIGC": fields}))["ProduceID"] == "p1"  # wrapped in "AIGC"
    assert parse(json.dumps(json.dumps(fields)))["ContentProducer"] == "other"  # a JSON string holding JSON
    assert parse("not json") is None and parse("[1]") is None
    wrapped = json.dumps({"AIGC": fields}).replace('"', "&quot;")
    xmp = (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:TC260="{TC260_NS}"><TC260:AIGC>{wrapped}</TC260:AIGC></rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
    )
    png = io.BytesIO()
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    Image.new("RGB", (32, 32)).save(png, "PNG", pnginfo=info)
    report = verify_bytes(png.getvalue())
    assert report["implicit"]["found"] and report["implicit"]["fields"]["ProduceID"] == "p1"
    assert report["implicit"]["fields"]["ReservedCode1"] == "r"


def _text_height(labelled: Image.Image, original: Image.Image) -> tuple[int, tuple[int, int, int, int]]:
    """Locate the plate (where the labelled image differs from the original) and measure the text in
    it: the rows holding near-white pixels the plate darkened everything else below."""
    import numpy as np

    a = np.asarray(labelled.convert("RGB"), dtype=np.int16)
    b = np.asarray(original.convert("RGB"), dtype=np.int16)
    changed = np.abs(a - b).max(axis=2) > 16  # the invisible watermark moves pixels by up to ~13; the plate by 100+
    ys, xs = np.nonzero(changed)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    plate = a[box[1] : box[3], box[0] : box[2]].mean(axis=2)
    rows = np.nonzero((plate > 200).any(axis=1))[0]
    return int(rows.max() - rows.min() + 1), box


@pytest.mark.parametrize("size", [(1024, 1024), (512, 768), (1920, 400), (96, 96)])
@pytest.mark.parametrize("colour", [(255, 255, 255), (0, 0, 0), (200, 40, 40)])
def test_visible_mark_text_is_at_least_5_percent_of_the_short_side(size, colour):
    original = Image.new("RGB", size, colour)
    buf = io.BytesIO()
    original.save(buf, "PNG")
    labelled, _ = label_output(buf.getvalue(), "image/png", produce_id="gen_x", policy=POLICY)
    height, box = _text_height(Image.open(io.BytesIO(labelled)), original)
    assert height >= 0.05 * min(size), (height, box)
    assert box[2] <= size[0] and box[3] <= size[1] and box[0] > size[0] / 2 and box[1] > size[1] / 2  # bottom right
    assert image.detect_mark(labelled) == "bottom-right" and image.detect_mark(buf.getvalue()) is None


def test_mark_position_follows_the_setting():
    policy = LabelPolicy(position="top-left")
    original = Image.new("RGB", (600, 400), "white")
    buf = io.BytesIO()
    original.save(buf, "PNG")
    labelled, report = label_output(buf.getvalue(), "image/png", produce_id="gen_x", policy=policy)
    _, box = _text_height(Image.open(io.BytesIO(labelled)), original)
    assert box[0] < 300 and box[1] < 200 and report["explicit"] == "visible mark (top-left)"


def test_cli_verify_reports_and_exits_1_for_an_unlabelled_file(tmp_path):
    labelled, _ = label_output(_image("PNG"), "image/png", produce_id="gen_nothere", policy=POLICY)
    (tmp_path / "ok.png").write_bytes(labelled)
    (tmp_path / "bare.png").write_bytes(_image("PNG"))
    data = ["--data-dir", str(tmp_path / "data")]
    ok = CliRunner().invoke(cli, [*data, "verify", str(tmp_path / "ok.png")])
    assert ok.exit_code == 0, ok.output
    assert "implicit label: found in XMP TC260:AIGC" in ok.output and "ProduceID=gen_nothere" in ok.output
    both = CliRunner().invoke(cli, [*data, "verify", "--json", str(tmp_path / "ok.png"), str(tmp_path / "bare.png")])
    assert both.exit_code == 1
    reports = json.loads(both.output)
    assert [r["implicit"]["found"] for r in reports] == [True, False] and reports[1]["missing"][0] == "implicit"


def test_log_retention_below_180_days_is_refused_unless_overridden(tmp_path, monkeypatch):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as e:
        Settings(data_dir=tmp_path, generation_log_retention_days=30)
    assert "generation_log_retention_days" in str(e.value) and "generation_log_retention_override" in str(e.value)
    assert Settings(data_dir=tmp_path, generation_log_retention_days=180).generation_log_retention_days == 180
    config = tmp_path / "config.toml"
    config.write_text("generation_log_retention_days = 30\ngeneration_log_retention_override = true\n")
    monkeypatch.setenv("ZAOWU_CONFIG", str(config))
    assert Settings(data_dir=tmp_path).generation_log_retention_days == 30  # the operator's explicit override
    monkeypatch.setenv("ZAOWU_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("ZAOWU_GENERATION_LOG_RETENTION_DAYS", "7")
    run = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "d"), "logs", "list"])
    assert run.exit_code == 1 and "generation_log_retention_days" in run.output and "180" in run.output
