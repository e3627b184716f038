"""Issue 16, the whole chain: explicit mark, invisible watermark, implicit label and C2PA on what the server stores.

Against a real ``zaowu serve``: the PNG of an image request carries all four labels, and
``POST /v1/provenance/verify`` finds all four (C2PA ``trusted`` by the server's own chain, naming the
generation and its model; the watermark's payload matching the generation id); one flipped byte in the
stored file makes its C2PA manifest ``invalid`` (the server still answering). A video edit's output MP4
carries the implicit label, the C2PA manifest and a watermark read back from its decoded frames, and shows
the visible mark in its first 2 s only.
"""

from __future__ import annotations

import base64
import io
import json
import time

import httpx
import numpy as np
import pytest
from PIL import Image

from zaowu.studio.provenance import image as image_labels
from zaowu.studio.provenance.video import MARK_SECONDS

from ..helpers import wait_jobs
from ..video_scenes import make_scene

SPEC = {"kind": "poster", "headline": "春季新品上市", "subline": "全场八折", "brand": "山间茶舍", "language": "zh"}
PARTS = {"implicit", "explicit", "watermark", "c2pa"}


def verify(server, data: bytes, name: str) -> dict:
    r = httpx.post(f"{server.base_url}/v1/provenance/verify", files={"file": (name, data)}, timeout=300)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def poster(server) -> tuple[bytes, dict]:
    r = httpx.post(
        f"{server.base_url}/v1/images/generations",
        json={
            "prompt": "p",
            "spec": SPEC,
            "seed": 3,
            "size": "768x768",
            "format": "png",
            "response_format": "b64_json",
        },
        timeout=300,
    )
    assert r.status_code == 200, r.text
    item = r.json()["data"][0]
    data = base64.b64decode(item["b64_json"])
    assert httpx.get(server.base_url + item["url"]).content == data  # what is stored is what was labelled
    return data, r.json()


def test_stored_png_carries_all_four_labels_and_verify_finds_them(server, poster):
    data, body = poster
    gen_id = body["generation_id"]
    report = verify(server, data, "poster.png")
    assert set(report["found"]) == PARTS and report["missing"] == [], report
    assert report["implicit"]["fields"]["ProduceID"] == gen_id
    c2pa = report["c2pa"]
    assert c2pa["state"] == "trusted" and c2pa["trust"] == "zaowu-local-root", c2pa
    assert c2pa["generation_id"] == gen_id and c2pa["signer"]["common_name"] == "zaowu content signer"
    assert c2pa["model_id"] == report["generation"]["model"]  # the model id comes from the generation's row
    assert any(
        a["action"] == "c2pa.created" and "trainedAlgorithmicMedia" in a["digitalSourceType"] for a in c2pa["actions"]
    )
    mark = report["watermark"]
    assert mark["matches"] == gen_id and mark["confidence"] >= 0.9 and mark["bit_accuracy"] >= 0.95, mark
    assert report["generation"]["id"] == gen_id and report["generation"]["modality"] == "image"


def test_the_watermark_alone_names_the_generation(server, poster):
    """With the metadata stripped (a re-encode drops XMP and C2PA), the pixels still carry the generation's mark."""
    data, body = poster
    bare = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(bare, "JPEG", quality=75)
    report = verify(server, bare.getvalue(), "copy.jpg")
    assert "implicit" in report["missing"] and report["c2pa"]["state"] == "missing"
    assert report["watermark"]["found"] and report["watermark"]["matches"] == body["generation_id"], report
    assert report["generation"] is not None and report["generation"]["id"] == body["generation_id"]


def test_one_flipped_byte_makes_c2pa_invalid(server, poster):
    data, _ = poster
    at = data.index(b"IDAT") + 200  # inside the picture data the manifest's hash covers
    flipped = bytearray(data)
    flipped[at] ^= 0x01
    report = verify(server, bytes(flipped), "poster.png")
    assert report["c2pa"]["state"] == "invalid" and report["c2pa"]["errors"], report["c2pa"]
    assert "c2pa" in report["missing"] and "c2pa" not in report["found"]
    assert httpx.get(f"{server.base_url}/health", timeout=10).status_code == 200


def _frames(path) -> list[tuple[float, np.ndarray]]:
    import av

    with av.open(str(path)) as c:
        return [(float(f.time), f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]


def _png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def test_video_edit_output_carries_its_labels(server, tmp_path):
    pytest.importorskip("av")
    scene = make_scene(tmp_path / "scene.mp4", width=640, height=480, seconds=3.0)
    r = httpx.post(
        f"{server.base_url}/v1/videos/edits",
        files=[("video", ("scene.mp4", scene.path.read_bytes(), "video/mp4"))],
        data={"operations": json.dumps([{"op": "style", "contrast": 1.1}])},
        timeout=120,
    )
    assert r.status_code == 202, r.text
    (job,) = wait_jobs(server.base_url, [r.json()["id"]], timeout=600)
    assert job["state"] == "succeeded", job
    out = httpx.get(f"{server.base_url}/v1/artifacts/{job['result']['artifact_id']}", timeout=60).content
    (tmp_path / "out.mp4").write_bytes(out)
    report = verify(server, out, "edit.mp4")
    gen_id = report["implicit"]["fields"]["ProduceID"]
    assert report["implicit"]["where"].startswith("MP4 metadata") and gen_id.startswith("gen_"), report
    assert report["c2pa"]["state"] == "trusted" and report["c2pa"]["generation_id"] == gen_id, report["c2pa"]
    assert report["watermark"]["matches"] == gen_id, report["watermark"]
    assert report["generation"]["id"] == gen_id and report["generation"]["modality"] == "video"
    frames = _frames(tmp_path / "out.mp4")
    early = [rgb for t, rgb in frames if t < MARK_SECONDS]
    late = [rgb for t, rgb in frames if t > MARK_SECONDS + 0.1]
    assert early and late
    assert early[-1] is not None and frames[0][0] < 0.05
    assert all(image_labels.detect_mark(_png(rgb)) == "bottom-right" for rgb in early[:: max(1, len(early) // 6)])
    assert not any(image_labels.detect_mark(_png(rgb)) for rgb in late)


def test_video_labels_drawn_on_the_encoders_planes(tmp_path, monkeypatch):
    """The render draws the labels on the I420 planes it encodes (no colour round trip, no labelling remux): at a
    size whose chroma planes have an odd number of rows the watermark still reads back fully, the plate shows in the
    first seconds only, the container carries the implicit label, and ``label_file`` signs the file without a
    remux (its report names the implicit label it found)."""
    pytest.importorskip("av")
    from zaowu.backends.video.pipeline import edit_video
    from zaowu.settings import Settings
    from zaowu.studio.provenance import watermark
    from zaowu.studio.provenance.aigc import AIGCLabel
    from zaowu.studio.provenance.labels import LabelPolicy, label_file
    from zaowu.studio.provenance.video import FrameLabel, has_label_tags, read_mp4_label, read_watermark

    gen = "gen_01JDX4Y8T0YUVPLANES0000"
    scene = make_scene(tmp_path / "scene.mp4", width=642, height=362, seconds=3.0)
    label = FrameLabel(gen, producer="zaowu")
    done = edit_video(scene.path, [{"op": "style", "contrast": 1.1}], tmp_path / "edit.mp4", frame_label=label)
    assert (done.width, done.height) == (642, 362)
    data = done.path.read_bytes()
    bits, confidence = read_watermark(data)
    assert bits is not None and float((bits == watermark.payload_bits(gen)).mean()) >= 0.95 and confidence >= 0.5
    fields, where = read_mp4_label(data)
    assert fields is not None and fields["ProduceID"] == gen and where == "MP4 metadata AIGC"
    assert has_label_tags(done.path, AIGCLabel.create("zaowu", gen).to_json())
    assert not has_label_tags(done.path, AIGCLabel.create("zaowu", "gen_other").to_json())
    frames = _frames(done.path)
    early = [rgb for t, rgb in frames if t < MARK_SECONDS]
    late = [rgb for t, rgb in frames if t > MARK_SECONDS + 0.1]
    assert early and late
    assert image_labels.detect_mark(_png(early[0])) == "bottom-right"
    assert not any(image_labels.detect_mark(_png(rgb)) for rgb in late[::5])
    policy = LabelPolicy(settings=Settings(data_dir=tmp_path / "data"))

    def no_remux(*args: object) -> None:
        raise AssertionError("the render's file was remuxed again")

    monkeypatch.setattr("zaowu.studio.provenance.video.label_mp4_file", no_remux)
    report = label_file(done.path, tmp_path / "signed.mp4", "video/mp4", produce_id=gen, policy=policy)
    assert report["implicit"] == "MP4 metadata AIGC" and report["c2pa"], report
    assert "error" not in report and (tmp_path / "signed.mp4").exists()


def test_generated_video_carries_the_mark_the_watermark_and_the_implicit_label(server, tmp_path):
    """A video the storyboard renders (POST /v1/videos) gets the same frame labels as an edit: the visible mark for
    its first seconds, the watermark naming its generation, the implicit label and a trusted C2PA manifest."""
    pytest.importorskip("av")
    board = {
        "aspect": "16:9",
        "resolution": "360p",
        "fps": 24,
        "music": None,
        "scenes": [
            {"narration": "", "text": "Spring tea", "duration": 1.5, "camera": "zoom_in"},
            {"narration": "", "text": "New season", "duration": 1.5, "camera": "pan_left"},
        ],
    }
    r = httpx.post(f"{server.base_url}/v1/videos", json={"prompt": "x", "storyboard": board, "seed": 4}, timeout=30)
    assert r.status_code == 200, r.text
    _check_video_labels(server, r.json()["id"], tmp_path)


def test_presenter_video_carries_the_mark_the_watermark_and_the_implicit_label(server, tmp_path):
    """The presenter's clip (a portrait speaking a recording) is labelled like every generated video."""
    import io
    import wave

    import numpy as np

    cv2 = pytest.importorskip("cv2")
    skimage_data = pytest.importorskip("skimage.data")
    pytest.importorskip("mediapipe")
    portrait = cv2.imencode(".png", cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR))[1].tobytes()
    rate = 24000
    t = np.arange(3 * rate) / rate
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2").tobytes())
    r = httpx.post(
        f"{server.base_url}/v1/videos",
        data={"model": "presenter", "prompt": "Hello and welcome.", "size": "640x360", "seed": "4"},
        files={
            "input_reference": ("face.png", portrait, "image/png"),
            "audio": ("voice.wav", buf.getvalue(), "audio/wav"),
        },
        timeout=60,
    )
    assert r.status_code == 200, r.text
    _check_video_labels(server, r.json()["id"], tmp_path)


def _check_video_labels(server, video_id: str, tmp_path) -> None:
    for _ in range(600):
        video = httpx.get(f"{server.base_url}/v1/videos/{video_id}", timeout=30).json()
        if video["status"] in ("completed", "failed"):
            break
        time.sleep(0.5)
    assert video["status"] == "completed", video
    data = httpx.get(f"{server.base_url}/v1/videos/{video_id}/content", timeout=60).content
    (tmp_path / "gen.mp4").write_bytes(data)
    report = verify(server, data, "gen.mp4")
    gen_id = report["implicit"]["fields"]["ProduceID"]
    assert gen_id.startswith("gen_") and report["generation"]["modality"] == "video", report
    assert report["c2pa"]["state"] == "trusted" and report["c2pa"]["generation_id"] == gen_id, report["c2pa"]
    assert report["watermark"]["matches"] == gen_id, report["watermark"]
    frames = _frames(tmp_path / "gen.mp4")
    early = [rgb for t, rgb in frames if t < MARK_SECONDS]
    late = [rgb for t, rgb in frames if t > MARK_SECONDS + 0.1]
    assert early and late
    assert image_labels.detect_mark(_png(early[0])) == "bottom-right"
    assert not any(image_labels.detect_mark(_png(rgb)) for rgb in late)
