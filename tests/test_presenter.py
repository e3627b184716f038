"""The presenter on a real ``zaowu serve``: the official SDK sends a real portrait (scikit-image's
astronaut) and a short script; the MP4 that comes back is read with PyAV and measured with mediapipe's
face mesh, frame by frame: it lasts as long as the speech, sound and mouth are in sync, a face is found
in every frame, the mouth follows the speech and rests in its pauses, the eyes blink, and what lies
outside the face keeps still. Bad portraits and scripts are 400s naming the field, with nothing queued."""

from __future__ import annotations

import base64
import io
import json
import time
import warnings
import wave

import httpx
import numpy as np
import pytest

from zaowu.studio.provenance.audio import without_cue

from .helpers import job_request

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

av = pytest.importorskip("av")
cv2 = pytest.importorskip("cv2")
openai = pytest.importorskip("openai")
skimage_data = pytest.importorskip("skimage.data")
pytest.importorskip("mediapipe")

SCRIPT = "Hello, and welcome to our shop. Today, every coffee is half price."
FPS = 25


def _png(rgb) -> bytes:
    ok, data = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    assert ok
    return data.tobytes()


def _mesh():
    import mediapipe as mp

    return mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True)


def _landmarks(mesh, bgr):
    """468 x 2 pixels of the face in ``bgr``, or None."""
    h, w = bgr.shape[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = mesh.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    if not result.multi_face_landmarks:
        return None
    return np.array([(p.x * w, p.y * h) for p in result.multi_face_landmarks[0].landmark], np.float32)


def _mouth(pts) -> float:
    """Inner-lip gap over the face's height (forehead to chin)."""
    return float(np.linalg.norm(pts[13] - pts[14]) / np.linalg.norm(pts[10] - pts[152]))


def _eyes(pts) -> float:
    """Eye opening: lid gap over eye width, both eyes averaged."""
    left = np.linalg.norm(pts[159] - pts[145]) / np.linalg.norm(pts[33] - pts[133])
    right = np.linalg.norm(pts[386] - pts[374]) / np.linalg.norm(pts[362] - pts[263])
    return float((left + right) / 2)


def _wait(base: str, video_id: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        video = httpx.get(f"{base}/v1/videos/{video_id}", timeout=30).json()
        if video["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return video
        time.sleep(0.5)


@pytest.fixture(scope="module")
def portrait() -> bytes:
    return _png(skimage_data.astronaut())


def _read(data: bytes) -> dict:
    """Frames (BGR), the audio (mono float32) and stream facts of an MP4."""
    frames, audio = [], []
    with av.open(io.BytesIO(data)) as c:
        vs, aus = c.streams.video[0], c.streams.audio[0]
        info = {
            "codec": vs.codec_context.name,
            "size": (vs.codec_context.width, vs.codec_context.height),
            "video_start": float(vs.start_time * vs.time_base),
            "audio_start": float(aus.start_time * aus.time_base),
            "rate": aus.codec_context.sample_rate,
        }
        for frame in c.decode(vs):
            frames.append(frame.to_ndarray(format="bgr24"))
        c.seek(0)
        for frame in c.decode(aus):
            audio.append(frame.to_ndarray().mean(axis=0))
    return {"frames": frames, "audio": np.concatenate(audio), "info": info}


@pytest.fixture(scope="module")
def clip(server, portrait):
    """The SDK's create with model presenter and an input_reference portrait, polled and downloaded."""
    client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="x", timeout=600, max_retries=0)
    video = client.videos.create(
        model="presenter",
        prompt=SCRIPT,
        size="720x1280",
        input_reference=("astronaut.png", portrait, "image/png"),
    )
    assert video.status in ("queued", "in_progress") and video.model == "presenter"
    for _ in range(1200):
        video = client.videos.retrieve(video.id)
        if video.status in ("completed", "failed"):
            break
        time.sleep(0.5)
    assert video.status == "completed", video.error
    return {"video": video, **_read(client.videos.download_content(video.id).read())}


@pytest.fixture(scope="module")
def measured(clip):
    """Per frame: the mouth's opening and the eyes' opening (None where no face was found), and the
    audio's loudness around the frame."""
    mesh = _mesh()
    mouth, eyes, found = [], [], []
    for bgr in clip["frames"]:
        pts = _landmarks(mesh, bgr)
        found.append(pts is not None)
        mouth.append(_mouth(pts) if pts is not None else np.nan)
        eyes.append(_eyes(pts) if pts is not None else np.nan)
    rate, audio = clip["info"]["rate"], clip["audio"]
    hop = rate / FPS
    loud = np.array(
        [np.sqrt(np.mean(audio[int(n * hop) : int((n + 1) * hop)] ** 2) + 1e-12) for n in range(len(clip["frames"]))]
    )
    return {"mouth": np.array(mouth), "eyes": np.array(eyes), "found": np.array(found), "loud": loud}


def test_sdk_renders_an_h264_clip_with_its_speech(clip):
    info = clip["info"]
    assert info["codec"] == "h264" and info["size"] == (720, 1280)
    seconds = len(clip["frames"]) / FPS
    assert len(clip["audio"]) / info["rate"] == pytest.approx(seconds, abs=0.1)
    assert abs(info["video_start"] - info["audio_start"]) <= 0.08
    assert 2.5 < seconds < 9  # the script spoken, not a fixed length


def test_a_recording_sets_the_length(server, portrait):
    """A voice recording (here: the speech API's WAV, its AI-audio cue taken off as the presenter does)
    instead of the script's synthesis: the clip lasts as long as the recording, sound and picture start together."""
    speech = httpx.post(
        f"{server.base_url}/v1/audio/speech",
        json={"model": "tts-1", "input": "Thank you for watching.", "response_format": "wav"},
        timeout=120,
    )
    assert speech.status_code == 200, speech.text
    with wave.open(io.BytesIO(without_cue(speech.content))) as w:
        recorded = w.getnframes() / w.getframerate()
    r = httpx.post(
        f"{server.base_url}/v1/videos",
        data={"model": "presenter", "prompt": "Thank you for watching.", "size": "360x640"},
        files={**_upload(portrait), "audio": ("voice.wav", speech.content, "audio/wav")},
        timeout=120,
    )
    assert r.status_code == 200, r.text
    video = _wait(server.base_url, r.json()["id"])
    assert video["status"] == "completed", video["error"]
    out = _read(httpx.get(f"{server.base_url}/v1/videos/{video['id']}/content", timeout=60).content)
    assert out["info"]["size"] == (360, 640)
    assert len(out["frames"]) / FPS == pytest.approx(recorded, abs=0.1)
    assert len(out["audio"]) / out["info"]["rate"] == pytest.approx(recorded, abs=0.1)
    assert abs(out["info"]["video_start"] - out["info"]["audio_start"]) <= 0.08
    asked = job_request(server, video["id"])  # the recording was stored as the caller's upload, named by id
    assert asked["presenter"]["recording"].startswith("art_") and not asked.get("narration")
    assert len(json.dumps(asked)) < 4000
    # a remix speaks its new script: the recording of the old one is not reused
    r = httpx.post(f"{server.base_url}/v1/videos/{video['id']}/remix", json={"prompt": "See you soon."}, timeout=60)
    assert r.status_code == 200, r.text
    assert "recording" not in (job_request(server, r.json()["id"]).get("presenter") or {})
    assert _wait(server.base_url, r.json()["id"])["status"] == "completed"


def test_the_job_keeps_the_portrait_as_an_artifact_id(server, clip, portrait):
    """The uploaded portrait is stored once as the caller's image artifact; the job's request names it by id
    (no photo inlined as base64 in the job's JSON)."""
    request = job_request(server, clip["video"].id)
    ref = request["input_reference"]
    assert ref.startswith("art_") and len(json.dumps(request)) < 4000, request
    assert httpx.get(f"{server.base_url}/v1/artifacts/{ref}", timeout=30).content == portrait


def test_a_stored_portrait_renders_again_by_its_id(server, clip):
    """The stored portrait reused by ``{"file_id": ...}`` in a JSON body: a second clip, nothing uploaded."""
    thumbs = httpx.get(f"{server.base_url}/v1/artifacts", params={"limit": 1000}, timeout=30).json()["data"]
    ref = next(a["id"] for a in thumbs if a["mime"] == "image/png" and a.get("name") == "reference.png")
    body = {"model": "presenter", "prompt": "Hello again.", "size": "360x640", "input_reference": {"file_id": ref}}
    r = httpx.post(f"{server.base_url}/v1/videos", json=body, timeout=60)
    assert r.status_code == 200, r.text
    video = _wait(server.base_url, r.json()["id"])
    assert video["status"] == "completed", video["error"]
    out = _read(httpx.get(f"{server.base_url}/v1/videos/{video['id']}/content", timeout=60).content)
    assert out["info"]["size"] == (360, 640) and len(out["frames"]) > FPS // 2


def test_a_portrait_by_id_must_be_an_image_artifact_the_caller_has(server, clip):
    """``{"file_id": ...}`` of no artifact is a 404, of a video (not an image) a 400, both naming input_reference."""
    body = {"model": "presenter", "prompt": "Hi.", "input_reference": {"file_id": "art_missing"}}
    before = _videos(server)
    r = httpx.post(f"{server.base_url}/v1/videos", json=body, timeout=60)
    assert r.status_code == 404 and r.json()["error"]["param"] == "input_reference", r.text
    mp4 = httpx.get(f"{server.base_url}/v1/jobs/{clip['video'].id}", timeout=30).json()["result"]["artifacts"]["video"]
    body["input_reference"] = {"file_id": mp4}
    r = httpx.post(f"{server.base_url}/v1/videos", json=body, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["param"] == "input_reference", r.text
    assert _videos(server) == before


def test_a_recording_that_is_not_a_wav_is_a_400(server, portrait):
    files = {**_upload(portrait), "audio": ("voice.wav", b"RIFF....WAVEjunk", "audio/wav")}
    _reject(server, files, {"model": "presenter", "prompt": "Hi."}, "audio")


def test_a_face_is_found_in_every_frame(measured):
    assert measured["found"].all(), f"no face in frames {np.flatnonzero(~measured['found']).tolist()}"


def test_the_mouth_follows_the_speech_in_sync(measured):
    mouth, loud = measured["mouth"], measured["loud"]
    r = float(np.corrcoef(mouth, loud)[0, 1])
    assert r >= 0.5, f"Pearson {r:.2f} between mouth opening and loudness"
    # in sync: the best-matching shift of the mouth against the sound is within 2 frames (80 ms)
    shifts = range(-6, 7)
    best = max(shifts, key=lambda s: np.corrcoef(np.roll(mouth, s)[6:-6], loud[6:-6])[0, 1])
    assert abs(best) * 1000 / FPS <= 80


def test_the_mouth_rests_in_silences(measured, portrait):
    mouth, loud = measured["mouth"], measured["loud"]
    rest = _mouth(_landmarks(_mesh(), cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)))
    silent = loud < 0.05 * loud.max()
    assert silent.sum() >= 3, "the clip has pauses (lead-in, between sentences, end)"
    speaking = np.percentile(mouth[~silent], 90)
    assert speaking > rest + 0.03  # it does open while speaking
    assert np.median(mouth[silent]) <= rest + 0.25 * (speaking - rest)


def test_the_eyes_blink_at_least_every_six_seconds(measured):
    eyes = measured["eyes"]
    closed = np.flatnonzero(eyes < 0.6 * np.nanmedian(eyes))
    assert len(closed), "the eyes never closed"
    marks = [0, *closed.tolist(), len(eyes) - 1]
    assert max(np.diff(marks)) <= 6 * FPS


def test_outside_the_face_keeps_still(clip, measured):
    """The torso below the chin (between the face and the banner) only sways: aligned by phase correlation,
    it matches the first frame; the mouth's region does not."""
    frames = clip["frames"]
    pts = _landmarks(_mesh(), frames[0])
    chin_y, cx = int(pts[152][1]), int(pts[152][0])
    torso = (slice(chin_y + 60, chin_y + 220), slice(cx - 150, cx + 150))
    ref = cv2.GaussianBlur(cv2.cvtColor(frames[0][torso], cv2.COLOR_BGR2GRAY).astype(np.float32), (0, 0), 1.5)
    worst = 0.0
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4)
    for bgr in frames[:: max(1, len(frames) // 25)]:
        cur = cv2.GaussianBlur(cv2.cvtColor(bgr[torso], cv2.COLOR_BGR2GRAY).astype(np.float32), (0, 0), 1.5)
        m = np.eye(2, 3, dtype=np.float32)  # the sway undone: a rotation and shift fitted to the patch
        _, m = cv2.findTransformECC(ref, cur, m, cv2.MOTION_EUCLIDEAN, criteria, None, 5)
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        back = cv2.warpAffine(cur, m, (cur.shape[1], cur.shape[0]), flags=flags, borderMode=cv2.BORDER_REPLICATE)
        worst = max(worst, float(np.abs(back - ref)[12:-12, 12:-12].mean()))
    assert worst < 6.0, f"the torso changed by {worst:.1f} grey levels"
    mouth_box = (slice(int(pts[13][1]) - 25, int(pts[14][1]) + 25), slice(int(pts[61][0]) - 10, int(pts[291][0]) + 10))
    most = int(np.nanargmax(measured["mouth"]))
    change = np.abs(frames[most][mouth_box].astype(np.float32) - frames[0][mouth_box].astype(np.float32)).mean()
    assert change > 2 * worst


def _videos(server) -> list:
    return httpx.get(f"{server.base_url}/v1/videos", timeout=30).json()["data"]


def _artifacts(server) -> list:
    return httpx.get(f"{server.base_url}/v1/artifacts", params={"limit": 1000}, timeout=30).json()["data"]


def _reject(server, files: dict | None, data: dict, param: str, status: int = 400) -> None:
    before, stored = _videos(server), _artifacts(server)
    r = httpx.post(f"{server.base_url}/v1/videos", data=data, files=files, timeout=120)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["param"] == param, error
    assert _videos(server) == before  # nothing queued
    assert _artifacts(server) == stored  # nothing stored: a refused portrait is not kept as an artifact
    assert httpx.get(f"{server.base_url}/health", timeout=10).status_code == 200


def _upload(data: bytes) -> dict:
    return {"input_reference": ("portrait.png", data, "image/png")}


def test_a_photo_without_a_face_is_a_400(server):
    _reject(server, _upload(_png(skimage_data.coffee())), {"model": "presenter", "prompt": "Hi."}, "input_reference")


def test_a_tiny_photo_is_a_400(server):
    tiny = cv2.resize(skimage_data.astronaut(), (200, 200), interpolation=cv2.INTER_AREA)
    _reject(server, _upload(_png(tiny)), {"model": "presenter", "prompt": "Hi."}, "input_reference")


def test_faces_too_small_to_use_are_a_400(server):
    """A crowd of small faces: none is big enough to animate."""
    small = cv2.resize(skimage_data.astronaut(), (96, 96), interpolation=cv2.INTER_AREA)
    canvas = np.full((600, 600, 3), 200, np.uint8)
    for y, x in ((40, 40), (40, 300), (300, 160)):
        canvas[y : y + 96, x : x + 96] = small
    _reject(server, _upload(_png(canvas)), {"model": "presenter", "prompt": "Hi."}, "input_reference")


def test_not_an_image_and_no_portrait_are_400s(server):
    _reject(server, _upload(b"GIF89a not really"), {"model": "presenter", "prompt": "Hi."}, "input_reference")
    before = _videos(server)
    r = httpx.post(f"{server.base_url}/v1/videos", json={"model": "presenter", "prompt": "Hi."}, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["param"] == "input_reference", r.text
    assert _videos(server) == before


def test_a_script_over_the_limit_is_a_400(server, portrait):
    from zaowu.backends.presenter.spec import MAX_SCRIPT_CHARS

    long = "word " * (MAX_SCRIPT_CHARS // 5 + 1)
    _reject(server, _upload(portrait), {"model": "presenter", "prompt": long}, "prompt")


def test_bad_presenter_options_name_the_field(server, portrait):
    data = {"model": "presenter", "prompt": "Hi.", "presenter": '{"fps": 7}'}
    _reject(server, _upload(portrait), data, "presenter.fps")


def test_presenter_options_for_another_model_are_a_400(server, portrait):
    """A storyboard takes an input_reference (its product image) but no presenter options."""
    _reject(server, _upload(portrait), {"model": "storyboard", "prompt": "Hi.", "presenter": "{}"}, "presenter")


def test_several_faces_animate_the_largest(portrait):
    """Two people, one nearer: the nearer (larger) face is the one rigged."""
    from zaowu.backends.presenter.face import read_portrait

    big = skimage_data.astronaut()
    canvas = np.full((512, 1000, 3), 180, np.uint8)
    canvas[:, :512] = big
    canvas[46:466, 560:980] = cv2.resize(big, (420, 420), interpolation=cv2.INTER_AREA)
    found = read_portrait(_png(canvas), matte=False)
    assert found.faces == 2
    x, _, w, _ = found.box
    assert x + w < 512 and w > 80  # the large face on the left


def test_the_presenter_app_runs_as_a_job(server):
    """The app over HTTP with the portrait inline (a data: URL): a job whose result is the video, its cover
    and subtitles; a Chinese script's mouth shapes come from pinyin."""
    from .helpers import wait_jobs

    _, jpeg = cv2.imencode(".jpg", cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR))
    body = {
        "input": {
            "portrait": "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode(),
            "script": "大家好，欢迎光临。",
            "name": "小李",
            "title": "店长",
            "aspect": "1:1",
        },
        "async": True,
        "seed": 3,
    }
    job = httpx.post(f"{server.base_url}/v1/apps/presenter", json=body, timeout=60).json()
    (done,) = wait_jobs(server.base_url, [job["id"]], timeout=600)
    assert done["state"] == "succeeded", done
    result = done["result"]["result"]
    assert result["size"] == "720x720" and result["mouth"] == "pinyin" and result["seconds"] > 0.5
    video = httpx.get(f"{server.base_url}/v1/artifacts/{result['video']['id']}", timeout=60)
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    assert "欢迎光临" in httpx.get(f"{server.base_url}/v1/artifacts/{result['srt']['id']}", timeout=30).text
    bad = {"input": {"portrait": "data:image/png;base64,!!", "script": "Hi."}}
    r = httpx.post(f"{server.base_url}/v1/apps/presenter", json=bad, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["param"] == "input.portrait", r.text


def test_the_cli_renders_a_presenter(settings, tmp_path, portrait):
    from click.testing import CliRunner

    from zaowu.cli.main import cli

    face = tmp_path / "face.png"
    face.write_bytes(portrait)
    out = tmp_path / "host.mp4"
    env = {"ZAOWU_DATA_DIR": str(settings.data_dir), "ZAOWU_MODELS_DIR": str(settings.models_dir)}
    args = ["video", "presenter", "--portrait", str(face), "--script", "Hi there.", "-s", "360x640", "-o", str(out)]
    scene = tmp_path / "scene.jpg"
    scene.write_bytes(cv2.imencode(".jpg", cv2.cvtColor(skimage_data.coffee(), cv2.COLOR_RGB2BGR))[1].tobytes())
    r = CliRunner().invoke(cli, [*args, "--name", "Sam", "--background", str(scene)], env=env)
    assert r.exit_code == 0, r.output
    assert "mouth from espeak-ng" in r.output
    with av.open(str(out)) as c:
        assert (c.streams.video[0].codec_context.width, c.streams.video[0].codec_context.height) == (360, 640)
        first = next(c.decode(video=0)).to_ndarray(format="bgr24")
    # above the host's head: the coffee picture, scaled to cover the frame (x1.6, centred)
    coffee = cv2.resize(cv2.cvtColor(skimage_data.coffee(), cv2.COLOR_RGB2BGR), (960, 640))[20:60, 450:510]
    assert np.abs(first[20:60, 150:210].mean(axis=(0, 1)) - coffee.mean(axis=(0, 1))).max() < 30
    assert out.with_suffix(".srt").read_text(encoding="utf-8").count("Hi there.") == 1
    coffee = tmp_path / "coffee.png"
    coffee.write_bytes(_png(skimage_data.coffee()))
    r = CliRunner().invoke(
        cli, ["video", "presenter", "--portrait", str(coffee), "--script", "Hi.", "-o", str(out)], env=env
    )
    assert r.exit_code != 0 and "input_reference" in r.output
    # slides from the command line: text on the first, the coffee picture on the second, a designed scene
    two = ["--script", "Fresh coffee.\nGood morning.", "--slide", "Menu: espresso; latte", "--slide", "-"]
    r = CliRunner().invoke(
        cli,
        [*args[:4], *two, "--slide-image", f"2={coffee}", "--background", "scene:sage", "-s", "16:9", "-o", str(out)],
        env=env,
    )
    assert r.exit_code == 0, r.output
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.width == 1280
    r = CliRunner().invoke(cli, [*args[:4], *two, "--slide-image", f"3={coffee}", "-o", str(out)], env=env)
    assert r.exit_code != 0 and "--slide-image" in r.output


def test_the_mesh_warp_fades_out_at_its_border_and_never_folds(portrait):
    """No tearing: every control moves the face (several pixels) but leaves the warped region's border where
    it was, and no triangle of the mesh turns over, even at the control's full amount."""
    from zaowu.backends.presenter.face import read_portrait
    from zaowu.backends.presenter.rig import CONTROLS, Rig, _areas

    found = read_portrait(portrait, matte=False)
    rig = Rig(found.landmarks * 2, (1024, 1024))  # the face at about the size it has in a 720p clip
    x0, y0, x1, y1 = rig.box
    region = cv2.resize(cv2.cvtColor(found.rgb, cv2.COLOR_RGB2BGR), (1024, 1024))[y0:y1, x0:x1]
    sign = np.sign(_areas(rig.points, rig.triangles))
    for name in CONTROLS:
        dx, dy = rig.fields[name]
        assert max(np.abs(dx).max(), np.abs(dy).max()) > 3, name
        edges = [f[[0, -1], :].ravel() for f in (dx, dy)] + [f[:, [0, -1]].ravel() for f in (dx, dy)]
        assert np.abs(np.concatenate(edges)).max() < 0.5, name
        moved = rig.points.copy()
        moved[: len(rig.landmarks)] += rig.moves[name]
        assert (_areas(moved, rig.triangles) * sign >= 0).all(), f"{name} folds the mesh"
        warped = rig.warp(region, {name: 1.0}).astype(int)
        assert np.abs(warped[[0, -1]] - region[[0, -1]]).max() <= 2, name
        assert np.abs(warped[:, [0, -1]] - region[:, [0, -1]]).max() <= 2, name


def test_a_background_picture_needs_to_be_an_image(server, portrait):
    data = {"model": "presenter", "prompt": "Hi.", "presenter": '{"background": "image"}'}
    _reject(server, _upload(portrait), data, "presenter.background_image")
    data["presenter"] = '{"background": "image", "background_image": "bm90IGFuIGltYWdl"}'
    _reject(server, _upload(portrait), data, "presenter.background_image")


def test_a_cancelled_presenter_leaves_nothing(server, portrait):
    """Deleting a presenter video while it renders stops it: no artifact of the job is left, and the server serves."""
    script = " ".join(["Welcome to our shop, where every morning starts with fresh bread."] * 12)
    r = httpx.post(
        f"{server.base_url}/v1/videos",
        data={"model": "presenter", "prompt": script, "size": "360x640"},
        files=_upload(portrait),
        timeout=120,
    )
    assert r.status_code == 200, r.text
    video_id = r.json()["id"]
    for _ in range(600):  # let it start (speaking, then rendering)
        if httpx.get(f"{server.base_url}/v1/videos/{video_id}", timeout=30).json()["status"] == "in_progress":
            break
        time.sleep(0.1)
    assert httpx.delete(f"{server.base_url}/v1/videos/{video_id}", timeout=30).json()["deleted"] is True
    video = _wait(server.base_url, video_id)
    assert video["status"] == "failed"
    assert httpx.get(f"{server.base_url}/v1/artifacts", params={"job_id": video_id}, timeout=30).json()["data"] == []
    assert httpx.get(f"{server.base_url}/v1/videos/{video_id}/content", timeout=30).status_code == 404
    assert httpx.get(f"{server.base_url}/health", timeout=10).status_code == 200


def _tone_wav(parts: list[tuple[float, float]], rate: int = 24000) -> bytes:
    """A mono 16-bit WAV of (seconds, amplitude) parts of a 220 Hz tone (amplitude 0: silence)."""
    pieces = [a * np.sin(2 * np.pi * 220 * np.arange(int(s * rate)) / rate) for s, a in parts]
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.concatenate(pieces) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def _level(audio, rate: int, start: float, end: float, hz: float) -> float:
    """The amplitude of the ``hz`` component of ``audio`` between ``start`` and ``end`` seconds."""
    piece = audio[int(start * rate) : int(end * rate)]
    t = np.arange(len(piece)) / rate
    return float(2 * np.hypot((piece * np.sin(2 * np.pi * hz * t)).mean(), (piece * np.cos(2 * np.pi * hz * t)).mean()))


def test_the_music_bed_plays_and_ducks_under_the_speech(portrait, tmp_path):
    """A music bed (a 440 Hz stand-in for the composer) under 1 s of speech then 1.5 s of silence: it is heard,
    and quieter while the host speaks than in the pause."""
    from zaowu.backends.presenter.render import render_presenter

    def bed(plan, seconds, seed, rate):
        return 0.5 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)

    out = tmp_path / "bed.mp4"
    render_presenter(
        portrait,
        _tone_wav([(1.0, 0.3), (1.5, 0.0)]),
        out,
        script="Hello there.",
        language="en",
        size=(360, 640),
        options={"music": {}, "subtitles": "none"},
        seed=1,
        music=bed,
    )
    clip = _read(out.read_bytes())
    rate = clip["info"]["rate"]
    under, alone = _level(clip["audio"], rate, 0.2, 0.8, 440), _level(clip["audio"], rate, 1.9, 2.3, 440)
    assert alone > 0.05, alone  # the bed is heard
    assert under < alone / 2, (under, alone)  # and ducked under the speech


def _stored_image(server, rgb) -> str:
    """An image the (anonymous) caller owns, stored as an upload: its artifact id."""
    from zaowu.studio.engine import Studio
    from zaowu.studio.reference import store_reference

    with Studio(server.settings()) as studio:
        return store_reference(studio, _png(rgb), None, "panel.png", param="presenter.panels.1.image")


def test_slides_beside_the_host_change_with_the_paragraphs(server, portrait):
    """Two paragraphs (two lines) and two panels over a designed scene, 16:9: the host stands on the right
    (a face is found there), panel 1 (a white card with text) shows on the left while the first paragraph is
    spoken, panel 2 (a red picture) while the second is, changing in the pause between them. The job keeps
    the picture and the inline background by artifact id."""
    red = np.zeros((300, 400, 3), np.uint8)
    red[..., 0] = 220  # RGB: red
    picture = _stored_image(server, red)
    recording = _tone_wav([(0.3, 0), (1.6, 0.4), (0.8, 0), (1.6, 0.4), (0.3, 0)])
    options = {
        "background": "scene",
        "scene": {"palette": "ocean"},
        "panels": [{"title": "Spring menu", "bullets": ["Matcha latte", "Peach soda"]}, {"image": picture}],
    }
    r = httpx.post(
        f"{server.base_url}/v1/videos",
        data={
            "model": "presenter",
            "prompt": "Our spring menu is here.\nEverything is fresh.",
            "size": "1280x720",
            "presenter": json.dumps(options),
        },
        files={**_upload(portrait), "audio": ("voice.wav", recording, "audio/wav")},
        timeout=120,
    )
    assert r.status_code == 200, r.text
    video = _wait(server.base_url, r.json()["id"])
    assert video["status"] == "completed", video["error"]
    out = _read(httpx.get(f"{server.base_url}/v1/videos/{video['id']}/content", timeout=60).content)
    frames = out["frames"]
    assert out["info"]["size"] == (1280, 720) and len(frames) / FPS == pytest.approx(4.6, abs=0.1)

    def panel(n: int):
        return frames[n][int(0.07 * 720) + 20 : int(0.65 * 720) - 20, int(0.04 * 1280) + 20 : int(0.54 * 1280) - 20]

    first, second = panel(int(1.0 * FPS)), panel(int(3.8 * FPS))
    assert (first.min(axis=2) > 200).mean() > 0.6  # the white card (with dark text on it)
    assert ((second[..., 2] > 180) & (second[..., 1] < 60) & (second[..., 0] < 60)).mean() > 0.3  # the red picture
    assert (panel(int(2.4 * FPS + 8)).astype(int) - second.astype(int)).__abs__().mean() < 3  # changed in the pause
    pts = _landmarks(_mesh(), frames[FPS])
    assert pts is not None and pts[:, 0].min() > 0.5 * 1280  # the host on the right half

    assert job_request(server, video["id"])["presenter"]["panels"][1]["image"] == picture


def test_an_inline_background_picture_is_stored_and_named_by_id(server, portrait):
    """A base64 background in a JSON body: checked, stored as the caller's upload, and the queued job names it
    by id (the job's JSON stays small); the clip shows the picture behind the host."""
    blue = np.zeros((360, 640, 3), np.uint8)
    blue[..., 2] = 230  # RGB: blue
    body = {
        "model": "presenter",
        "prompt": "Hi.",
        "size": "360x640",
        "input_reference": "data:image/png;base64," + base64.b64encode(portrait).decode(),
        "presenter": {"background": "image", "background_image": base64.b64encode(_png(blue)).decode()},
    }
    r = httpx.post(f"{server.base_url}/v1/videos", json=body, timeout=120)
    assert r.status_code == 200, r.text
    request = job_request(server, r.json()["id"])
    assert request["presenter"]["background_image"].startswith("art_") and len(json.dumps(request)) < 4000
    video = _wait(server.base_url, r.json()["id"])
    assert video["status"] == "completed", video["error"]
    corner = _read(httpx.get(f"{server.base_url}/v1/videos/{video['id']}/content", timeout=60).content)["frames"][5]
    assert corner[:40, :40, 0].mean() > 180 and corner[:40, :40, 2].mean() < 60  # BGR: blue behind the host


def test_panels_and_pictures_are_checked_before_anything_is_queued(server, portrait):
    """More panels than paragraphs, a panel picture that is no artifact of the caller, an unknown scene palette:
    400/404s naming the field, nothing stored or queued."""
    two = {"panels": [{"title": "One"}, {"title": "Two"}]}
    data = {"model": "presenter", "prompt": "Only one paragraph.", "presenter": json.dumps(two)}
    _reject(server, _upload(portrait), data, "presenter.panels")
    missing = {"panels": [{"image": "art_0123456789abcdef012345"}]}
    _reject(server, _upload(portrait), {**data, "presenter": json.dumps(missing)}, "presenter.panels.0.image", 404)
    scene = {"background": "scene", "scene": {"palette": "no-such-palette"}}
    _reject(server, _upload(portrait), {**data, "presenter": json.dumps(scene)}, "presenter.scene")


def test_a_presenter_video_remixes_with_a_new_script(server, clip):
    """Remix of a presenter clip: the same portrait, look and size, speaking the new script."""
    source = httpx.get(f"{server.base_url}/v1/jobs/{clip['video'].id}", timeout=30).json()
    r = httpx.post(
        f"{server.base_url}/v1/videos/{clip['video'].id}/remix", json={"prompt": "Thanks for watching."}, timeout=60
    )
    assert r.status_code == 200, r.text
    video = _wait(server.base_url, r.json()["id"])
    assert video["status"] == "completed", video["error"]
    remix = httpx.get(f"{server.base_url}/v1/jobs/{video['id']}", timeout=30).json()
    asked, before = job_request(server, video["id"]), job_request(server, source["id"])
    assert asked["input_reference"] == before["input_reference"] and asked["remixed_from"] == source["id"]
    assert asked["size"] == before["size"] and asked["prompt"] == "Thanks for watching."
    srt = httpx.get(f"{server.base_url}/v1/artifacts/{remix['result']['artifacts']['srt']}", timeout=30).text
    assert "Thanks for watching" in srt and remix["result"]["seed"] == source["result"]["seed"]
    r = httpx.post(
        f"{server.base_url}/v1/videos/{clip['video'].id}/remix", json={"prompt": "x", "storyboard": {}}, timeout=60
    )
    assert r.status_code == 400 and r.json()["error"]["param"] == "storyboard", r.text
