"""Issue 16: every stored output carries its labels, and verify reads them back.

Against a real ``zaowu serve``: images (PNG, JPEG), speech (WAV, MP3, FLAC, Opus), music's MIDI, CSV (label
recorded, not written), text files (Markdown, plain),
office files (DOCX, XLSX, PPTX) and the storefront (HTML preview and the site ZIP) come back from
the artifact store with the implicit AIGC label and, where the format has one, the explicit label;
``POST /v1/provenance/verify`` names the generation they came from. No route makes an MP4 yet, so
the MP4 writer is checked on a clip made here."""

from __future__ import annotations

import base64
import io

import httpx
import pytest

from tests.test_office import DECKS, DOCUMENTS, WORKBOOKS
from zaowu.studio.provenance.aigc import FIELDS

SPEC = {"kind": "poster", "headline": "春季新品上市", "subline": "全场八折", "brand": "山间茶舍", "language": "zh"}


def verify(server, data: bytes, name: str) -> dict:
    r = httpx.post(f"{server.base_url}/v1/provenance/verify", files={"file": (name, data)}, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def assert_labelled(report: dict, *, explicit: bool | None = True) -> None:
    implicit = report["implicit"]
    assert implicit["found"], report
    assert set(implicit["fields"]) == set(FIELDS) and implicit["fields"]["Label"] == "1"
    assert implicit["fields"]["ContentProducer"] == "zaowu"
    assert report["generation"] is not None and report["generation"]["id"] == report["produce_id"]
    if explicit is not None:
        assert report["explicit"]["found"] is explicit, report["explicit"]
    assert "implicit" not in report["missing"]


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_images_from_the_server_carry_both_labels(server, fmt):
    r = httpx.post(
        f"{server.base_url}/v1/images/generations",
        json={"prompt": "p", "spec": SPEC, "seed": 2, "size": "768x512", "format": fmt, "response_format": "b64_json"},
        timeout=300,
    )
    assert r.status_code == 200, r.text
    item = r.json()["data"][0]
    data = base64.b64decode(item["b64_json"])
    assert httpx.get(server.base_url + item["url"]).content == data  # the caller gets the stored, labelled file
    report = verify(server, data, f"poster.{fmt}")
    assert_labelled(report)
    assert report["generation"]["id"] == r.json()["generation_id"] and report["generation"]["modality"] == "image"
    assert report["implicit"]["where"] == "XMP TC260:AIGC"


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_speech_carries_the_cue_and_the_implicit_label(server, fmt):
    r = httpx.post(
        f"{server.base_url}/v1/audio/speech",
        json={"input": "Hello from the tea shop.", "response_format": fmt},
        timeout=300,
    )
    assert r.status_code == 200, r.text
    stored = httpx.get(f"{server.base_url}/v1/artifacts/{r.headers['x-zaowu-artifact-id']}").content
    assert stored == r.content
    report = verify(server, r.content, f"speech.{fmt}")
    assert_labelled(report, explicit=True)  # the cue, in the WAV and (re-encoded once) in the MP3
    assert report["generation"]["id"] == r.headers["x-zaowu-generation-id"]


def _storefront_inputs() -> dict:
    brand = {
        "name": "Leaf House",
        "tagline": "Fresh tea",
        "about": "A small tea shop.",
        "products": [{"name": "Longjing", "price": 88.0, "description": "Spring green tea"}],
    }
    return {"brand": brand, "texts": {"products": [{"title": "Longjing", "points": ["fresh"], "detail": "Fresh."}]}}


def test_text_office_and_storefront_files_are_labelled(server):
    flow = {
        "id": "labelled-files",
        "nodes": {
            "md": {
                "step": "file.text",
                "with": {"text": "# 新品\n\n春茶上市。", "name": "a.md", "mime": "text/markdown"},
            },
            "txt": {"step": "file.text", "with": {"text": "Spring tea is here.", "name": "a.txt"}},
            "doc": {"step": "office.render", "with": {"format": "docx", "plan": DOCUMENTS["en"]}},
            "sheet": {"step": "office.render", "with": {"format": "xlsx", "plan": WORKBOOKS["en"]}},
            "deck": {"step": "office.render", "with": {"format": "pptx", "plan": DECKS["en"]}},
            "site": {"step": "storekit.site", "with": {**_storefront_inputs(), "language": "en"}},
        },
        "outputs": {
            "md": "${md.file}",
            "txt": "${txt.file}",
            "docx": "${doc.file}",
            "xlsx": "${sheet.file}",
            "pptx": "${deck.file}",
            "zip": "${site.site_zip}",
            "html": "${site.preview}",
        },
    }
    run = httpx.post(f"{server.base_url}/v1/workflows/run", json={"workflow": flow}, timeout=300).json()
    assert run["status"] == "succeeded", run
    notices = {"md": True, "txt": True, "docx": True, "xlsx": True, "pptx": True, "zip": True, "html": True}
    for key, explicit in notices.items():
        art = run["outputs"][key]
        data = httpx.get(f"{server.base_url}/v1/artifacts/{art['id']}").content
        report = verify(server, data, art["name"])
        assert report["implicit"]["found"], (key, report)
        assert report["implicit"]["fields"]["ProduceID"].startswith(("gen_", "art_")), report
        if explicit is not None:
            assert report["explicit"]["found"] is explicit, (key, report["explicit"])
    md = httpx.get(f"{server.base_url}/v1/artifacts/{run['outputs']['md']['id']}").text
    assert "本内容由人工智能生成。" in md and md.rstrip().endswith("春茶上市。")  # zh text gets the zh notice
    html = httpx.get(f"{server.base_url}/v1/artifacts/{run['outputs']['html']['id']}").text
    assert 'name="AIGC"' in html and "This content was generated by AI." in html
    from pptx import Presentation

    deck = httpx.get(f"{server.base_url}/v1/artifacts/{run['outputs']['pptx']['id']}").content
    slides = list(Presentation(io.BytesIO(deck)).slides)
    assert slides and all(
        any("AI-generated" in s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in slides
    )


def test_verify_reports_a_file_without_labels(server):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buf, "PNG")
    report = verify(server, buf.getvalue(), "plain.png")
    assert not report["implicit"]["found"] and report["generation"] is None
    assert {"implicit", "explicit"} <= set(report["missing"])
    r = httpx.post(f"{server.base_url}/v1/provenance/verify", files={"file": ("empty.png", b"")})
    assert r.status_code == 400 and r.json()["error"]["param"] == "file"


@pytest.mark.parametrize("fmt", ["flac", "opus"])
def test_speech_in_flac_and_opus_carries_the_cue_and_vorbis_comments(server, fmt):
    """FLAC and Ogg Opus had no writer: now the cue plays first and the label is in the Vorbis comments
    (FLAC is C2PA-signed too); the file still decodes to the whole speech after the cue."""
    from zaowu.backends.music.audio import decode
    from zaowu.studio.provenance.audio import CUE_SECONDS

    r = httpx.post(
        f"{server.base_url}/v1/audio/speech",
        json={"input": "Hello from the tea shop.", "response_format": fmt},
        timeout=300,
    )
    assert r.status_code == 200, r.text
    stored = httpx.get(f"{server.base_url}/v1/artifacts/{r.headers['x-zaowu-artifact-id']}").content
    assert stored == r.content
    report = verify(server, r.content, f"speech.{fmt}")
    assert_labelled(report, explicit=True)
    assert report["implicit"]["where"].startswith("Vorbis comment"), report["implicit"]
    assert report["c2pa"]["found"] is (fmt == "flac"), report["c2pa"]
    assert len(decode(r.content, 16000)) / 16000 > CUE_SECONDS + 0.5  # the cue, then the speech


def test_music_midi_carries_a_marker_and_the_implicit_label(server):
    """The MIDI beside a piece of music shows an AI-generated marker and holds the label as a text event;
    its notes are untouched (the same plan and seed give the same notes)."""
    import mido

    from tests.helpers import content_of
    from zaowu.backends.music.plan import plan_from_seed

    plan = plan_from_seed(11, partial={"genre": "pop", "key": "D", "mode": "major", "tempo": 112}).model_dump()
    body = {"prompt": "calm piano", "duration": 6, "seed": 3, "plan": plan}
    first = httpx.post(f"{server.base_url}/v1/audio/music", json=body, timeout=300).json()
    midi = httpx.get(server.base_url + first["midi"]["url"]).content
    report = verify(server, midi, "music.mid")
    assert_labelled(report, explicit=True)
    assert report["implicit"]["where"] == "MIDI text event AIGC" and "c2pa" in report["missing"]
    parsed = mido.MidiFile(file=io.BytesIO(midi))
    assert [m.type for m in parsed.tracks[0][:3]] == ["marker", "copyright", "text"]
    assert any(m.type == "note_on" for track in parsed.tracks for m in track)
    again = httpx.post(f"{server.base_url}/v1/audio/music", json=body, timeout=300).json()
    assert content_of(httpx.get(server.base_url + again["midi"]["url"]).content) == content_of(midi)


def test_csv_is_stored_as_made_and_its_label_is_recorded(server):
    """A CSV cannot hold a label without breaking its readers: it is stored byte for byte, the label goes into
    the artifact record, and verify finds it there by the file's hash."""
    import csv

    table = "sku,name,price\n1,龙井,88\n2,碧螺春,66\n"
    flow = {
        "id": "csv-file",
        "nodes": {"t": {"step": "file.text", "with": {"text": table, "name": "prices.csv", "mime": "text/csv"}}},
        "outputs": {"csv": "${t.file}"},
    }
    run = httpx.post(f"{server.base_url}/v1/workflows/run", json={"workflow": flow}, timeout=300).json()
    assert run["status"] == "succeeded", run
    art = run["outputs"]["csv"]
    data = httpx.get(f"{server.base_url}/v1/artifacts/{art['id']}").content
    assert data.decode("utf-8") == table  # nothing added: every CSV reader sees the same rows
    assert list(csv.reader(io.StringIO(data.decode("utf-8")))) == [
        ["sku", "name", "price"],
        ["1", "龙井", "88"],
        ["2", "碧螺春", "66"],
    ]
    report = verify(server, data, "prices.csv")
    assert report["implicit"]["found"] and report["implicit"]["where"].startswith("artifact record"), report
    fields = report["implicit"]["fields"]
    assert fields["Label"] == "1" and fields["ProduceID"].startswith(("gen_", "art_"))
    assert report["produce_id"] == fields["ProduceID"]
    unknown = verify(server, b"a,b\n1,2\n", "other.csv")  # a CSV the store never made: nothing to find
    assert not unknown["implicit"]["found"] and "implicit" in unknown["missing"]


def test_pdf_output_shows_the_notice_on_every_page_and_verify_reports_it(server, tmp_path):
    """Issue 16: a PDF from the office step carries the visible notice on each page (stamped after
    LibreOffice made it) besides its Info label; the API's and the CLI's verify report the notice found,
    and a PDF without it (LibreOffice's own) missing."""
    from click.testing import CliRunner
    from pypdf import PdfReader

    from zaowu.cli.main import cli
    from zaowu.studio.office import render_pptx, to_pdf
    from zaowu.studio.provenance.office import FOOTER_TEXT

    flow = {
        "id": "labelled-pdf",
        "nodes": {"deck": {"step": "office.render", "with": {"format": "pptx", "plan": DECKS["zh"], "pdf": True}}},
        "outputs": {"pdf": "${deck.pdf}"},
    }
    run = httpx.post(f"{server.base_url}/v1/workflows/run", json={"workflow": flow}, timeout=300).json()
    assert run["status"] == "succeeded", run
    data = httpx.get(f"{server.base_url}/v1/artifacts/{run['outputs']['pdf']['id']}").content
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) == len(DECKS["zh"]["slides"]) + 1  # the title slide, then one page a slide
    assert all(FOOTER_TEXT in page.extract_text() for page in pages)
    assert any("春" in page.extract_text() or "茶" in page.extract_text() for page in pages)  # the content is kept
    report = verify(server, data, "deck.pdf")
    assert report["implicit"]["found"] and report["implicit"]["fields"]["ProduceID"] == report["produce_id"]
    assert report["explicit"]["found"] is True and "explicit" not in report["missing"]
    assert report["explicit"]["detail"] == "notice on every page" and report["implicit"]["where"] == "PDF Info /AIGC"

    bare = to_pdf(render_pptx(DECKS["zh"]), "pptx")
    assert verify(server, bare, "bare.pdf")["explicit"]["found"] is False
    (tmp_path / "ok.pdf").write_bytes(data)
    (tmp_path / "bare.pdf").write_bytes(bare)
    out = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "d"), "verify", str(tmp_path / "ok.pdf")])
    assert out.exit_code == 0 and "explicit: found: notice on every page" in out.output, out.output
    out = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "d"), "verify", str(tmp_path / "bare.pdf")])
    assert "explicit: MISSING" in out.output and "missing: implicit, explicit" in out.output, out.output
