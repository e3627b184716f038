"""Video edits over HTTP and the CLI: POST /v1/videos/edits against a real ``zaowu serve``.

The clips are the synthetic scenes of ``video_scenes`` (320x240, 3 s, an object on a known path), so
what comes back can be checked: the result plays at the planned size and length, and the tracks
JSON holds a box per frame near the truth. Bad uploads and operations are refused with 400s naming
``video`` or the field, an oversize upload with 413 naming ``video_max_upload_bytes``, a key without
the ``video`` scope with 403 before any work; a cancelled edit stores nothing, and the server keeps
serving throughout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from zaowu.studio.engine import Studio

from .conftest import Server
from .helpers import FINAL, wait_jobs
from .video_scenes import make_scene, media_info

pytest.importorskip("av")
pytest.importorskip("cv2")

VIDEO_LIMIT = 600_000  # video_max_upload_bytes of the test server: the clips (~100 KB) fit, 1 MB does not
GENERAL_LIMIT = 32_768  # max_upload_bytes of the test server: smaller than a clip, so the video route's own limit shows


@pytest.fixture(scope="module")
def video_server(tmp_path_factory, models_dir):
    env = {
        "ZAOWU_AUTH": "required",
        "ZAOWU_VIDEO_MAX_UPLOAD_BYTES": str(VIDEO_LIMIT),
        "ZAOWU_MAX_UPLOAD_BYTES": str(GENERAL_LIMIT),
    }
    srv = Server(tmp_path_factory.mktemp("video-server"), models_dir, env)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def keys(video_server):
    with Studio(video_server.settings()) as studio:
        return {
            "video": studio.keys.create("editor", ["video"])[0],
            "other": studio.keys.create("neighbour", ["video"])[0],
            "text": studio.keys.create("writer", ["text"])[0],
        }


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    return make_scene(tmp_path_factory.mktemp("clips") / "scene.mp4", seconds=3.0)


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _post(srv, key, files, operations, **data):
    return httpx.post(
        f"{srv.base_url}/v1/videos/edits",
        files=files,
        data={"operations": json.dumps(operations), **data},
        headers=_auth(key),
        timeout=120,
    )


def _upload(path: Path, name: str = "scene.mp4"):
    return [("video", (name, path.read_bytes(), "video/mp4"))]


def _artifact_count(srv) -> int:
    with Studio(srv.settings()) as studio:
        return len(studio.artifacts.list(limit=10_000))


def _still_serving(srv, key) -> None:
    assert httpx.get(f"{srv.base_url}/health", timeout=10).status_code == 200
    assert httpx.get(f"{srv.base_url}/v1/jobs", headers=_auth(key), timeout=10).status_code == 200


def _download(srv, key, artifact_id: str, path: Path) -> Path:
    r = httpx.get(f"{srv.base_url}/v1/artifacts/{artifact_id}", headers=_auth(key), timeout=60)
    assert r.status_code == 200, r.text
    path.write_bytes(r.content)
    return path


def test_multipart_edit_plays_and_tracks_every_frame(video_server, keys, scene, tmp_path):
    x, y, w, h = scene.boxes[0]
    ops = [{"op": "track", "box": [x, y, w, h], "action": "draw"}, {"op": "style", "contrast": 1.2}, {"op": "mute"}]
    r = _post(video_server, keys["video"], _upload(scene.path), ops)
    assert r.status_code == 202, r.text
    assert r.json()["kind"] == "video_edit" and r.json()["state"] in ("queued", "running")
    (job,) = wait_jobs(video_server.base_url, [r.json()["id"]], headers=_auth(keys["video"]))
    assert job["state"] == "succeeded", job
    assert job["progress"] == 1.0
    result = job["result"]
    out = media_info(_download(video_server, keys["video"], result["artifact_id"], tmp_path / "out.mp4"))
    assert (out["width"], out["height"]) == (320, 240)
    assert out["frames"] == len(scene.boxes)
    assert abs(out["duration"] - scene.seconds) < 0.2
    assert out["audio_codec"] is None  # muted
    usage = httpx.get(f"{video_server.base_url}/v1/usage", headers=_auth(keys["video"])).json()["data"][0]
    assert usage["today"]["media_seconds"] >= scene.seconds - 0.1  # charged by the seconds of video made
    (tracks,) = [a for a in result["attachments"] if a["role"] == "tracks"]
    data = json.loads(_download(video_server, keys["video"], tracks["artifact_id"], tmp_path / "t.json").read_text())
    (boxes,) = data["tracks"].values()
    assert len(boxes) == len(scene.boxes)
    found = [b for b in boxes if b["box"] is not None]
    assert len(found) >= 0.9 * len(boxes)
    for b in found:  # near the truth: the top-left corner within the object's size
        tx, ty, _, _ = scene.boxes[b["frame"]]
        assert abs(b["box"][0] - tx) < w and abs(b["box"][1] - ty) < h


def test_artifact_id_input_and_ownership(video_server, keys, scene, tmp_path):
    r = _post(video_server, keys["video"], _upload(scene.path), [{"op": "fps", "fps": 15}])
    (job,) = wait_jobs(video_server.base_url, [r.json()["id"]], headers=_auth(keys["video"]))
    assert job["state"] == "succeeded", job
    art = job["result"]["artifact_id"]
    body = {"video": [art], "operations": [{"op": "trim", "start": 0.5, "end": 1.5}], "copy_streams": False}
    r = httpx.post(f"{video_server.base_url}/v1/videos/edits", json=body, headers=_auth(keys["video"]), timeout=60)
    assert r.status_code == 202, r.text
    (job,) = wait_jobs(video_server.base_url, [r.json()["id"]], headers=_auth(keys["video"]))
    assert job["state"] == "succeeded", job
    out = media_info(_download(video_server, keys["video"], job["result"]["artifact_id"], tmp_path / "trim.mp4"))
    assert abs(out["duration"] - 1.0) < 0.15 and out["audio_codec"] == "aac"
    # another key's artifact is as missing as an id that does not exist
    r = httpx.post(f"{video_server.base_url}/v1/videos/edits", json=body, headers=_auth(keys["other"]), timeout=60)
    assert r.status_code == 404 and r.json()["error"]["param"] == "video", r.text


@pytest.mark.parametrize(
    "name, content",
    [
        ("broken.mp4", b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000)),
        ("notes.mp4", b"just some text, not a video\n" * 50),
        ("picture.png", None),  # a real picture: a one-frame "video" is still not a video
    ],
)
def test_corrupt_or_non_video_upload_is_400_naming_video(video_server, keys, tmp_path, name, content):
    if content is None:
        import cv2
        import numpy as np

        _, png = cv2.imencode(".png", np.full((64, 64, 3), 200, np.uint8))
        content = png.tobytes()
    before = _artifact_count(video_server)
    r = _post(video_server, keys["video"], [("video", (name, content, "video/mp4"))], [{"op": "mute"}])
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == "video"
    assert _artifact_count(video_server) == before  # nothing of the refused upload is kept
    _still_serving(video_server, keys["video"])


def test_oversize_upload_is_refused_naming_the_limit(video_server, keys, scene):
    big = os.urandom(VIDEO_LIMIT + 400_000)
    r = _post(video_server, keys["video"], [("video", ("big.mp4", big, "video/mp4"))], [{"op": "mute"}])
    assert r.status_code == 413, r.text
    assert "video_max_upload_bytes" in r.json()["error"]["message"] and r.json()["error"]["param"] == "video"

    def chunked():  # no Content-Length: the server counts as it reads and stops at the limit
        yield b'--b\r\nContent-Disposition: form-data; name="video"; filename="big.mp4"\r\n\r\n'
        for _ in range(40):
            yield os.urandom(64 << 10)
        yield b"\r\n--b--\r\n"

    headers = {**_auth(keys["video"]), "Content-Type": "multipart/form-data; boundary=b"}
    r = httpx.post(f"{video_server.base_url}/v1/videos/edits", content=chunked(), headers=headers, timeout=60)
    assert r.status_code == 413 and "video_max_upload_bytes" in r.json()["error"]["message"], r.text
    assert r.json()["error"]["param"] == "video"  # counted as it arrived: still named
    # a clip above the general upload limit but within the video limit is accepted by this route
    assert scene.path.stat().st_size > GENERAL_LIMIT
    r = _post(video_server, keys["video"], _upload(scene.path), [{"op": "mute"}])
    assert r.status_code == 202, r.text
    (job,) = wait_jobs(video_server.base_url, [r.json()["id"]], headers=_auth(keys["video"]))
    assert job["state"] == "succeeded", job
    _still_serving(video_server, keys["video"])


@pytest.mark.parametrize(
    "ops, param",
    [
        ([{"op": "mute"}, {"op": "speed", "factor": 9}], "operations.1.speed.factor"),
        ([{"op": "track", "box": [400, 10, 20, 20]}], "operations.0.box"),  # outside the 320x240 frame
        ([{"op": "trim", "start": 5}], "operations.0.start"),  # after the end of the 3 s clip
        ([{"op": "remove", "mask": "logo"}], "operations.0.mask"),  # an asset that was not uploaded
    ],
)
def test_bad_operation_is_400_naming_the_field(video_server, keys, scene, ops, param):
    before = _artifact_count(video_server)
    r = _post(video_server, keys["video"], _upload(scene.path), ops)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param, r.json()
    assert _artifact_count(video_server) == before
    r = _post(video_server, keys["video"], _upload(scene.path), "not json")
    assert r.status_code == 400 and r.json()["error"]["param"] == "operations"


def test_key_without_video_scope_is_403_before_any_work(video_server, keys):
    before = _artifact_count(video_server)
    garbage = [("video", ("x.mp4", b"not a video", "video/mp4"))]
    r = _post(video_server, keys["text"], garbage, [{"op": "mute"}])
    assert r.status_code == 403, r.text  # not 400: the scope is checked before the upload is looked at
    assert "video" in r.json()["error"]["message"]
    r = httpx.post(
        f"{video_server.base_url}/v1/jobs", json={"kind": "video_edit", "request": {}}, headers=_auth(keys["text"])
    )
    assert r.status_code == 403
    assert _artifact_count(video_server) == before


def test_cancelling_a_running_edit_stores_nothing(video_server, keys, scene):
    x, y, w, h = scene.boxes[0]
    ops = [{"op": "speed", "factor": 0.25}, {"op": "remove", "box": [x, y, w, h]}]  # 360 frames of removal
    r = _post(video_server, keys["video"], _upload(scene.path), ops)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    url = f"{video_server.base_url}/v1/jobs/{job_id}"
    for _ in range(3000):  # until frames are being written (progress is reported per frame)
        job = httpx.get(url, headers=_auth(keys["video"])).json()
        if (job["state"] == "running" and job["progress"] > 0) or job["state"] in FINAL:
            break
        time.sleep(0.05)
    assert job["state"] == "running" and job["message"].startswith("frame "), job
    assert httpx.delete(url, headers=_auth(keys["video"])).status_code == 200
    (job,) = wait_jobs(video_server.base_url, [job_id], headers=_auth(keys["video"]))
    assert job["state"] == "cancelled", job
    with Studio(video_server.settings()) as studio:
        assert studio.artifacts.list(job_id=job_id) == []
        gens = [g for g in studio.log.list(50) if g["model"] == "video-edit" and g["status"] == "cancelled"]
        assert gens, "the cancelled edit is in the generation log as cancelled"
    assert not any((video_server.data_dir / "tmp").glob("video-edit-*/*"))  # the pass left no partial file
    _still_serving(video_server, keys["video"])


def test_cli_video_edit_writes_a_file(tmp_path, scene):
    x, y, w, h = scene.boxes[0]
    out = tmp_path / "cli.mp4"
    env = {**os.environ, "ZAOWU_CONFIG": str(tmp_path / "none.toml")}
    cmd = [sys.executable, "-m", "zaowu.cli.main", "--data-dir", str(tmp_path / "data"), "video", "edit"]
    cmd += [str(scene.path), "--trim", "0.5,2", "--track", f"{x},{y},{w},{h}", "--mute", "-o", str(out)]
    cmd += ["--tracks", str(tmp_path / "tracks.json")]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "frame" in done.stderr  # progress on stderr
    info = media_info(out)
    assert abs(info["duration"] - 1.5) < 0.2 and info["audio_codec"] is None
    tracks = json.loads((tmp_path / "tracks.json").read_text())["tracks"]
    assert len(next(iter(tracks.values()))) == info["frames"]
    bad_cmd = [*cmd[:7], str(scene.path), "--remove", "-o", str(tmp_path / "bad.mp4")]
    bad = subprocess.run(bad_cmd, capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode != 0 and "--track" in bad.stderr  # --remove without --track is a clear error


def test_uploaded_asset_is_named_by_its_file_name(video_server, keys, scene, tmp_path):
    import cv2
    import numpy as np

    mask = np.zeros((240, 320), np.uint8)
    mask[10:40, 250:310] = 255  # a static "watermark" corner to remove
    _, png = cv2.imencode(".png", mask)
    files = [*_upload(scene.path), ("assets", ("logo", png.tobytes(), "image/png"))]
    r = _post(video_server, keys["video"], files, [{"op": "remove", "mask": "logo"}])
    assert r.status_code == 202, r.text
    (job,) = wait_jobs(video_server.base_url, [r.json()["id"]], headers=_auth(keys["video"]))
    assert job["state"] == "succeeded", job
    # the asset is stored for the key, and served as a download, never inline
    with Studio(video_server.settings()) as studio:
        (asset,) = [a for a in studio.artifacts.list(limit=10_000) if a["meta"].get("asset") == "logo"]
    got = httpx.get(f"{video_server.base_url}/v1/artifacts/{asset['id']}", headers=_auth(keys["video"]))
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"


def _talking_clip(studio, tmp_path: Path, audio: bool = True) -> Path:
    """A 160x120 clip whose sound is English speech the studio synthesised (Piper), its words known."""
    from zaowu.backends.video import edit_video
    from zaowu.types import SpeechRequest

    speech = studio.generate_media(SpeechRequest(input="Our new coffee shop opens at seven in the morning."))
    wav = tmp_path / "speech.wav"
    wav.write_bytes(speech.media[0].data)
    seconds = len(speech.media[0].data) / (2 * 22_050)  # Piper: 16-bit mono at 22.05 kHz (a little over: header)
    silent = make_scene(
        tmp_path / "silent.mp4", seconds=round(seconds + 0.5, 1), fps=10, audio=False, width=160, height=120
    )
    ops = [{"op": "audio", "asset": "speech", "loop": False}]
    return edit_video(silent.path, ops, tmp_path / "talk.mp4", assets={"speech": wav}).path


def _colourfulness(path: Path) -> float:
    """Mean HSV saturation of a video's frames (0: grey)."""
    import av
    import cv2
    import numpy as np

    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    return float(np.mean([cv2.cvtColor(f, cv2.COLOR_BGR2HSV)[..., 1].mean() for f in frames]))


def test_video_key_subtitles_speech_and_styles_from_words(video_server, keys, studio, tmp_path):
    """A key with only the video scope: Whisper runs inside the edit under that scope and is charged to the key;
    the job's result reports the Studio's checks (a forged one sent by the client is dropped), an SRT with the
    words and the transcript, and the MP4 holds a soft track; 黑白复古 is decided by the keyword table (no LLM)."""
    import av

    pytest.importorskip("faster_whisper")
    clip = _talking_clip(studio, tmp_path)
    assert clip.stat().st_size < VIDEO_LIMIT
    usage_url = f"{video_server.base_url}/v1/usage"
    before = httpx.get(usage_url, headers=_auth(keys["video"])).json()["data"][0]["today"]["media_seconds"]
    forged = {"name": "style.operations.1.look", "ok": True, "detail": "forged by the client"}
    edit = {"operations": [{"op": "subtitles"}, {"op": "style", "prompt": "黑白复古"}], "checks": [forged]}
    r = _post(video_server, keys["video"], _upload(clip, "talk.mp4"), edit)
    assert r.status_code == 202, r.text
    (job,) = wait_jobs(video_server.base_url, [r.json()["id"]], timeout=900, headers=_auth(keys["video"]))
    assert job["state"] == "succeeded", job
    result = job["result"]
    checks = {c["name"]: c for c in result["checks"]}
    assert "forged by the client" not in json.dumps(result["checks"])
    assert "coffee" in checks["subtitles.operations.0.transcribed"]["detail"].lower()
    assert (
        checks["style.operations.1.keywords"]["ok"] and "black_and_white" in checks["style.operations.1.look"]["detail"]
    )
    assert "style.operations.1.llm" not in checks  # the words were all known: no language model ran
    (subs,) = result["subtitles"]
    assert subs["track"] is True and subs["segments"] >= 1 and "srt" in subs and "vtt" in subs
    roles = {a["role"]: a for a in result["attachments"]}
    assert set(roles) == {"srt", "vtt", "transcript"} and roles["srt"]["artifact_id"] == subs["srt"]
    srt = _download(video_server, keys["video"], subs["srt"], tmp_path / "out.srt").read_text(encoding="utf-8")
    assert srt.startswith("1\n00:00:0") and " --> " in srt and "coffee" in srt.lower()
    vtt = _download(video_server, keys["video"], subs["vtt"], tmp_path / "out.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and "coffee" in vtt.lower()
    transcript = json.loads(
        _download(video_server, keys["video"], roles["transcript"]["artifact_id"], tmp_path / "t.json").read_text()
    )
    assert "coffee" in transcript["text"].lower()
    out = _download(video_server, keys["video"], result["artifact_id"], tmp_path / "out.mp4")
    with av.open(str(out)) as c:
        (track,) = c.streams.subtitles
        cues = [bytes(p)[2:].decode() for p in c.demux(track) if p.size > 2]
        assert track.codec_context.name == "mov_text" and len(c.streams.audio) == 1
    assert "coffee" in " ".join(cues).lower()
    assert _colourfulness(out) < 0.5 * _colourfulness(clip)  # black and white (with a vintage tint)
    # the transcription is the key's: logged for it and charged with the edit
    with Studio(video_server.settings()) as s:
        (heard,) = [g for g in s.log.list(200) if g["modality"] == "transcription"]
        assert heard["status"] == "ok" and heard["key_id"] == s.log.get(result["generation_id"])["key_id"] is not None
    after = httpx.get(usage_url, headers=_auth(keys["video"])).json()["data"][0]["today"]["media_seconds"]
    assert after - before >= 2 * result["duration"] - 0.5  # the edit's seconds and the transcribed seconds
    # the video scope covers transcription inside an edit only: the key still may not transcribe on its own
    alone = httpx.post(
        f"{video_server.base_url}/v1/audio/transcriptions",
        files={"file": ("speech.wav", b"RIFF", "audio/wav")},
        data={"model": "whisper-base"},
        headers=_auth(keys["video"]),
    )
    assert alone.status_code == 403 and "audio" in alone.json()["error"]["message"], alone.text


def test_subtitles_from_speech_on_a_clip_without_sound_is_400_at_submit(video_server, keys, tmp_path):
    silent = make_scene(tmp_path / "silent.mp4", seconds=1.0, fps=10, audio=False, width=160, height=120)
    before = _artifact_count(video_server)
    for ops, param in [
        ([{"op": "subtitles"}], "operations.0.segments"),
        ([{"op": "trim", "end": 2}, {"op": "mute"}, {"op": "subtitles"}], "operations.2.segments"),  # scene has a tone
    ]:
        clip = silent.path if len(ops) == 1 else None
        files = _upload(clip) if clip else _upload(make_scene(tmp_path / "tone.mp4", seconds=2.5, fps=10).path)
        r = _post(video_server, keys["video"], files, ops)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["param"] == param and "sound" in r.json()["error"]["message"]
    assert _artifact_count(video_server) == before  # the refused uploads are not kept
    _still_serving(video_server, keys["video"])


def test_look_from_words_keeps_what_the_caller_set_through_the_job(video_server, keys, scene):
    """The job stores the edit as the caller gave it: a parameter the caller set wins over the words (vivid
    would raise the saturation), the others come from the words (warm)."""
    ops = [{"op": "trim", "end": 0.5}, {"op": "style", "prompt": "vivid warm", "saturation": 0.5}]
    r = _post(video_server, keys["video"], _upload(scene.path), ops)
    assert r.status_code == 202, r.text
    (job,) = wait_jobs(video_server.base_url, [r.json()["id"]], headers=_auth(keys["video"]))
    assert job["state"] == "succeeded", job
    (look,) = [c for c in job["result"]["checks"] if c["name"] == "style.operations.1.look"]
    assert "'saturation': 0.5" in look["detail"] and "'temperature': 0.4" in look["detail"], look
