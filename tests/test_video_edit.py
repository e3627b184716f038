"""The video editor's engine (zaowu.backends.video) on videos made here with known ground truth:
probing rejects what is not a video (naming ``video``) and what breaks a limit (naming it); basic
operations give the right sizes, rates and durations and keep the sound; stream copy is used when no
frame changes; tracking follows a moving object (mean IoU) and finds it again after an occlusion;
removal restores the background (PSNR against the clean plate); styles change frames without
adding flicker; a cancelled edit leaves no file behind."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("cv2")
pytest.importorskip("av")

from zaowu.backends.video import VideoLimits, edit_video, probe_video
from zaowu.cancel import CancelToken
from zaowu.errors import Cancelled, InvalidRequest

from .video_scenes import make_scene, media_info, read_frames


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    return make_scene(tmp_path_factory.mktemp("video") / "scene.mp4")


@pytest.fixture(scope="module")
def occluded(tmp_path_factory):
    return make_scene(tmp_path_factory.mktemp("video") / "occluded.mp4", occlude=(1.2, 1.5))


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    inter = max(0, min(ax + aw, bx + bw) - max(ax, bx)) * max(0, min(ay + ah, by + bh) - max(ay, by))
    return inter / (aw * ah + bw * bh - inter)


def psnr(a, b) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255**2 / max(mse, 1e-9))


# ---------------------------------------------------------------------------------------- probing


def test_probe_reads_the_streams(scene):
    info = probe_video(scene.path)
    assert (info.width, info.height, float(info.fps), info.video_codec) == (320, 240, 30.0, "h264")
    assert info.duration == pytest.approx(3.0, abs=0.05) and info.frames == 90
    assert info.audio_codec == "aac" and info.sample_rate == 48000 and info.channels == 2


def _not_videos(tmp_path, scene):
    import av
    import cv2

    noise = tmp_path / "noise.mp4"
    noise.write_bytes(os.urandom(50_000))
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(scene.path.read_bytes()[: scene.path.stat().st_size // 3])  # the index is at the end
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    picture = tmp_path / "picture.png"
    cv2.imwrite(str(picture), scene.clean)
    sound = tmp_path / "sound.wav"
    with av.open(str(sound), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 4800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 48000
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    text = tmp_path / "notes.mp4"
    text.write_text("hello, not a video\n" * 100)
    return [noise, truncated, empty, picture, sound, text]


def test_what_is_not_a_video_is_refused_naming_video(tmp_path, scene):
    for path in _not_videos(tmp_path, scene):
        with pytest.raises(InvalidRequest) as err:
            edit_video(path, [{"op": "trim", "start": 0, "end": 1}], tmp_path / "out.mp4")
        assert err.value.param == "video", (path.name, err.value.message)
        assert "video" in err.value.message
    assert not (tmp_path / "out.mp4").exists()


@pytest.mark.parametrize(
    "limits, param",
    [
        (VideoLimits(max_seconds=2.0), "video_max_seconds"),
        (VideoLimits(max_pixels=200 * 200), "video_max_pixels"),
        (VideoLimits(max_bytes=10_000), "video_max_upload_bytes"),
        (VideoLimits(max_inputs=1), "video_max_inputs"),
        (VideoLimits(max_seconds=5.0), "video_max_seconds"),  # 3 s slowed down to 12 s
    ],
)
def test_limits_are_named(tmp_path, scene, limits, param):
    inputs = [scene.path, scene.path] if param == "video_max_inputs" else [scene.path]
    ops = [{"op": "speed", "factor": 0.25}] if limits.max_seconds == 5.0 else []
    with pytest.raises(InvalidRequest) as err:
        edit_video(inputs, ops, tmp_path / "out.mp4", limits=limits)
    assert err.value.param == param
    assert not (tmp_path / "out.mp4").exists()


@pytest.mark.parametrize(
    "ops, param",
    [
        ([{"op": "speed", "factor": 9}], "operations.0.speed.factor"),
        ([{"op": "trim", "start": 2, "end": 1}], "operations.0.trim"),
        ([{"op": "explode"}], "operations.0"),
        ([{"op": "track"}], "operations.0.track"),
        ([{"op": "crop", "x": 300, "y": 0, "width": 100, "height": 100}], "operations.0.width"),
        ([{"op": "trim", "start": 5}], "operations.0.start"),
        ([{"op": "track", "box": [10, 10, 20, 20], "at": 9}], "operations.0.at"),
        ([{"op": "audio", "asset": "music"}], "operations.0.asset"),
        ([{"op": "mute"}, {"op": "concat"}], "concat"),
    ],
)
def test_bad_operations_are_named(tmp_path, scene, ops, param):
    with pytest.raises(InvalidRequest) as err:
        edit_video(scene.path, ops, tmp_path / "out.mp4")
    assert param in (err.value.param or "") or param in err.value.message
    assert not list(tmp_path.iterdir())


def test_bad_picture_assets_are_named(tmp_path, scene):
    fake = tmp_path / "assets" / "logo.png"
    fake.parent.mkdir()
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2000))  # a PNG signature, then garbage
    for op in ({"op": "remove", "mask": "logo"}, {"op": "matte", "background": "image", "asset": "logo"}):
        with pytest.raises(InvalidRequest) as err:
            edit_video(scene.path, [op], tmp_path / "out" / "out.mp4", assets={"logo": fake})
        assert err.value.param == "assets.logo"
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_phone_rotation_is_applied(tmp_path, scene):
    """A portrait phone clip is stored sideways with a display rotation: the edit works on the upright picture."""
    import av

    picture = scene.clean.copy()
    picture[:40, :80] = (0, 0, 255)  # a red mark at the top left of the stored picture
    path = tmp_path / "phone.mp4"
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=30)
        vs.width, vs.height, vs.pix_fmt = 320, 240, "yuv420p"
        vs.set_display_rotation(-90)  # shown turned a quarter clockwise
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(picture, format="bgr24")
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
    info = probe_video(path)
    assert (info.width, info.height, info.turn) == (240, 320, 90)
    result = edit_video(path, [{"op": "style", "contrast": 1.1}], tmp_path / "out.mp4")
    upright = read_frames(result.path)[0]
    assert upright.shape[:2] == (320, 240)
    assert upright[:80, -40:, 2].mean() > 200 and upright[:80, -40:, :2].mean() < 40  # the mark is top right


# ---------------------------------------------------------------------------------------- basic operations


@pytest.mark.parametrize(
    "ops, size, fps, seconds",
    [
        ([{"op": "trim", "start": 0.5, "end": 2.0}], (320, 240), 30, 1.5),
        ([{"op": "cut", "start": 1.0, "end": 2.0}], (320, 240), 30, 2.0),
        ([{"op": "speed", "factor": 2}], (320, 240), 30, 1.5),
        ([{"op": "speed", "factor": 0.5}], (320, 240), 30, 6.0),
        ([{"op": "fps", "fps": 15}], (320, 240), 15, 3.0),
        ([{"op": "resize", "aspect": "9:16", "fit": "pad"}], (320, 568), 30, 3.0),
        ([{"op": "resize", "aspect": "1:1", "fit": "crop"}, {"op": "resize", "width": 160}], (160, 160), 30, 3.0),
        (
            [{"op": "crop", "x": 10, "y": 20, "width": 200, "height": 100}, {"op": "rotate", "angle": 90}],
            (100, 200),
            30,
            3.0,
        ),
        ([{"op": "fade", "fade_in": 0.5, "fade_out": 0.5}, {"op": "trim", "start": 1}], (320, 240), 30, 2.0),
    ],
)
def test_basic_operations_give_the_right_stream(tmp_path, scene, ops, size, fps, seconds):
    out = tmp_path / "out.mp4"
    result = edit_video(scene.path, {"operations": ops, "copy_streams": False}, out)
    info = media_info(out)
    assert (info["width"], info["height"]) == size == (result.width, result.height)
    assert info["fps"] == pytest.approx(fps, abs=0.01)
    assert info["frames"] == round(seconds * fps) == result.frames
    assert (info["video_codec"], info["pix_fmt"], info["audio_codec"]) == ("h264", "yuv420p", "aac")
    assert info["audio_seconds"] == pytest.approx(seconds, abs=0.06)  # the sound is kept, in step


def test_mute_drops_the_sound(tmp_path, scene):
    out = tmp_path / "out.mp4"
    edit_video(scene.path, [{"op": "rotate", "angle": 180}, {"op": "mute"}], out)
    assert media_info(out)["audio_codec"] is None


def test_fade_starts_black_and_leaves_the_middle(tmp_path, scene):
    out = tmp_path / "out.mp4"
    edit_video(scene.path, [{"op": "fade", "fade_in": 0.5, "fade_out": 0.5}], out)
    frames = read_frames(out)
    assert frames[0].mean() < 8 and frames[-1].mean() < 20
    assert psnr(frames[45], read_frames(scene.path)[45]) > 35


def test_soundtrack_replaced_and_mixed(tmp_path, scene):
    import av

    music = tmp_path / "music.wav"
    with av.open(str(music), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=44100, layout="mono")
        tone = (8000 * np.sin(np.arange(44100) * 2 * np.pi * 220 / 44100)).astype(np.int16)[None, :]
        frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")  # 1 s, looped to fill 3 s
        frame.sample_rate = 44100
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    for mode in ("replace", "mix"):
        out = tmp_path / f"{mode}.mp4"
        edit_video(
            scene.path, [{"op": "mute"}, {"op": "audio", "asset": "music", "mode": mode}], out, assets={"music": music}
        )
        assert media_info(out)["audio_seconds"] == pytest.approx(3.0, abs=0.06)
        with av.open(str(out)) as c:
            samples = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
        assert np.abs(samples[48000:96000]).max() > 0.1  # the loop plays on in the second second


def test_stream_copy_when_no_frame_changes(tmp_path, scene):
    out = tmp_path / "trim.mp4"
    result = edit_video(scene.path, [{"op": "trim", "start": 1.0, "end": 2.0}], out)  # keyframes every second
    assert result.copied
    info = media_info(out)
    assert info["frames"] in range(30, 34) and info["audio_codec"] == "aac"
    assert psnr(read_frames(out)[0], read_frames(scene.path)[30]) > 60  # the same pictures, not re-encoded

    joined = edit_video([scene.path, scene.path], [], tmp_path / "concat.mp4")
    assert joined.copied and media_info(joined.path)["frames"] == 180
    assert media_info(joined.path)["audio_seconds"] == pytest.approx(6.0, abs=0.1)

    off_key = edit_video(scene.path, [{"op": "trim", "start": 0.5, "end": 2.0}], tmp_path / "re.mp4")
    assert not off_key.copied and media_info(off_key.path)["frames"] == 45


def test_concat_fits_other_sizes(tmp_path, scene):
    small = make_scene(tmp_path / "small.mp4", width=160, height=160, fps=15, seconds=1, audio=False)
    result = edit_video([scene.path, small.path], [{"op": "concat", "order": [1, 0]}], tmp_path / "out.mp4")
    info = media_info(result.path)
    assert (info["width"], info["height"], info["fps"]) == (160, 160, 15)
    assert info["frames"] == 15 + 45 and info["audio_seconds"] == pytest.approx(4.0, abs=0.1)


def test_progress_and_cancel_leave_nothing(tmp_path, scene):
    seen = []
    edit_video(
        scene.path,
        [{"op": "style", "contrast": 1.3}, {"op": "fps", "fps": 15}],
        tmp_path / "ok.mp4",
        progress=seen.append,
    )
    assert seen[-1].frame == seen[-1].total == 45 and seen[-1].fraction == 1.0
    assert dict(seen[-1].operations) == {"style": 90, "fps": 45}

    token = CancelToken()

    def stop_early(p):
        if p.frame == 10:
            token.cancel()

    out = tmp_path / "cancelled" / "out.mp4"
    with token.active(), pytest.raises(Cancelled):
        edit_video(scene.path, [{"op": "style", "grain": 0.5}], out, progress=stop_early)
    assert list(out.parent.iterdir()) == []  # no output, no temporary file


# ---------------------------------------------------------------------------------------- tracking


@pytest.mark.parametrize("method", ["csrt", "kcf"])
def test_tracking_follows_the_object(tmp_path, scene, method):
    result = edit_video(
        scene.path, [{"op": "track", "box": list(scene.boxes[0]), "method": method}], tmp_path / "out.mp4"
    )
    assert result.copied  # boxes only: the frames are not re-encoded
    track = result.tracks["track.0"]
    assert len(track) == len(scene.boxes)
    assert np.mean([iou(t["box"], b) for t, b in zip(track, scene.boxes)]) >= 0.7
    assert all(t["status"] == "tracked" for t in track)


def test_tracking_recovers_after_an_occlusion(tmp_path, occluded):
    result = edit_video(
        occluded.path, [{"op": "track", "box": list(occluded.boxes[0]), "name": "ball"}], tmp_path / "out.mp4"
    )
    track = result.tracks["ball"]
    hidden = occluded.occluded
    assert sum(track[i]["status"] == "lost" for i in hidden) >= len(hidden) // 2  # it knows it lost the object
    after = range(hidden.stop + 3, len(track))
    assert all(track[i]["status"] == "tracked" for i in after)
    assert np.mean([iou(track[i]["box"], occluded.boxes[i]) for i in after]) >= 0.7


def test_tracking_from_a_point_later_in_the_video_and_pixelating(tmp_path, scene):
    x, y, w, h = scene.boxes[30]
    out = tmp_path / "out.mp4"
    result = edit_video(
        scene.path, [{"op": "track", "point": [x + w // 2, y + h // 2], "at": 1.0, "action": "pixelate"}], out
    )
    track = result.tracks["track.0"]
    assert len(track) == 90 and all(t["status"] == "tracked" for t in track)  # backwards from 1 s, and on
    assert np.mean([iou(t["box"], b) for t, b in zip(track, scene.boxes)]) >= 0.5  # from a point: a guessed size
    frames, source = read_frames(out), read_frames(scene.path)
    for i in (10, 60):  # before and after the frame the point was given on
        bx, by, bw, bh = track[i]["box"]
        assert psnr(frames[i][by : by + bh, bx : bx + bw], source[i][by : by + bh, bx : bx + bw]) < 25
    assert psnr(frames[60][:, :60], source[60][:, :60]) > 35  # the rest untouched


# ---------------------------------------------------------------------------------------- removal


def test_removal_restores_a_static_background(tmp_path, scene):
    out = tmp_path / "out.mp4"
    edit_video(scene.path, {"operations": [{"op": "remove", "box": list(scene.boxes[0])}], "crf": 16}, out)
    frames = read_frames(out)
    errors = []
    for frame, (x, y, w, h) in zip(frames, scene.boxes):
        errors.append(np.mean((frame[y : y + h, x : x + w].astype(float) - scene.clean[y : y + h, x : x + w]) ** 2))
    restored = 10 * np.log10(255**2 / np.mean(errors))
    assert restored >= 30, restored
    red = np.array([40, 40, 220], float)  # the object's colour is gone from where it was
    x, y, w, h = scene.boxes[45]
    assert np.abs(frames[45][y : y + h, x : x + w].reshape(-1, 3) - red).sum(axis=1).mean() > 100


def test_removal_on_a_panning_background_hides_the_object(tmp_path):
    scene = make_scene(tmp_path / "pan.mp4", pan=2, audio=False)
    result = edit_video(scene.path, [{"op": "remove", "box": list(scene.boxes[0])}], tmp_path / "out.mp4")
    assert np.mean([iou(t["box"], b) for t, b in zip(result.tracks["remove.0"], scene.boxes)]) >= 0.7
    red = np.array([40, 40, 220], float)
    for i in (10, 45, 80):
        x, y, w, h = scene.boxes[i]
        region = read_frames(result.path)[i][y + 4 : y + h - 4, x + 4 : x + w - 4].reshape(-1, 3).astype(float)
        assert (np.abs(region - red).sum(axis=1) < 60).mean() < 0.05  # hardly a pixel of the object's red left


def test_removal_of_a_static_watermark(tmp_path):
    import av
    import cv2

    from .video_scenes import background

    clean = background(320, 240, seed=3)
    path = tmp_path / "marked.mp4"
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=30)
        vs.width, vs.height, vs.pix_fmt = 320, 240, "yuv420p"
        for i in range(30):
            img = clean.copy()
            cv2.putText(img, "LOGO", (230, 225), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
    marked = read_frames(path)[15]
    region = (slice(195, 235), slice(220, 310))
    boxed = edit_video(path, [{"op": "remove", "rects": [[225, 200, 80, 32]]}], tmp_path / "boxed.mp4")
    frames = read_frames(boxed.path)
    assert (frames[15][region].min(axis=2) > 230).mean() < 0.01  # no white letters left
    assert np.abs(frames[15].astype(int) - frames[16]).mean() < 1.5  # steady from frame to frame
    assert psnr(frames[15][:190], marked[:190]) > 35  # the rest of the picture untouched

    painted = tmp_path / "mask.png"  # a mask painted over the letters, as a user would
    letters = (np.abs(marked.astype(int) - clean).sum(axis=2) > 60).astype(np.uint8) * 255
    cv2.imwrite(str(painted), letters)
    masked = edit_video(
        path, [{"op": "remove", "mask": "logo", "margin": 2}], tmp_path / "masked.mp4", assets={"logo": painted}
    )
    restored = read_frames(masked.path)[15]
    assert psnr(restored[region], clean[region]) > psnr(marked[region], clean[region]) + 8
    assert (restored[region].min(axis=2) > 230).mean() < 0.01


# ---------------------------------------------------------------------------------------- style


def _frame_change(frames) -> float:
    return float(np.mean([np.abs(a.astype(float) - b).mean() for a, b in itertools.pairwise(frames)]))


@pytest.mark.parametrize(
    "look",
    [
        {"temperature": 0.6, "contrast": 1.3, "saturation": 1.4, "vignette": 0.6},
        {"black_and_white": True, "sepia": 0.7, "gamma": 1.2},
        {"preset": "cartoon"},
        {"preset": "pencil"},
    ],
)
def test_styles_change_frames_without_flicker(tmp_path, scene, look):
    out = tmp_path / "out.mp4"
    edit_video(scene.path, [{"op": "trim", "end": 1.0}, {"op": "style", **look}], out)
    styled, source = read_frames(out), read_frames(scene.path)[:30]
    assert np.abs(styled[10].astype(float) - source[10]).mean() > 8
    assert _frame_change(styled) <= 1.2 * _frame_change(source)


# ---------------------------------------------------------------------------------------- matte


def test_matte_replaces_the_background_around_a_person(tmp_path):
    """A real portrait (matplotlib's Grace Hopper) cut out once, then composited over a background that
    pans: the known matte is the truth the edit must find again on every frame, and hold steady."""
    import av
    import cv2
    import matplotlib

    from zaowu.backends.video.matte import person_matte
    from zaowu.backends.vision.people import mediapipe_available

    from .video_scenes import background

    if not mediapipe_available():
        pytest.skip("mediapipe missing")
    photo = cv2.imread(str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"))
    photo = cv2.resize(photo, (256, 320), interpolation=cv2.INTER_AREA)
    truth = person_matte(photo) > 0.5
    assert 0.3 < truth.mean() < 0.8
    backdrop = background(480, 320, seed=5)
    path = tmp_path / "person.mp4"
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=30)
        vs.width, vs.height, vs.pix_fmt = 256, 320, "yuv420p"
        for i in range(45):
            frame = av.VideoFrame.from_ndarray(
                np.where(truth[..., None], photo, backdrop[:, i * 4 : i * 4 + 256]), format="bgr24"
            )
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
    result = edit_video(path, [{"op": "matte", "background": "color", "color": "#00ff00"}], tmp_path / "out.mp4")
    frames = read_frames(result.path)
    found = [np.abs(f.astype(int) - (0, 255, 0)).sum(axis=2) > 120 for f in frames]
    ious = [(m & truth).sum() / (m | truth).sum() for m in found]
    assert min(ious) >= 0.85
    flicker = [(a ^ b).mean() for a, b in itertools.pairwise(found)]
    assert max(flicker) < 0.02  # the matte does not jump from frame to frame

    cut_out = edit_video(
        path, {"operations": [{"op": "matte", "background": "transparent"}], "format": "webm"}, tmp_path / "alpha.webm"
    )
    with av.open(str(cut_out.path)) as c:
        decoder = av.CodecContext.create("libvpx-vp9", "r")  # FFmpeg's own VP9 decoder drops the alpha
        alphas = [f.to_ndarray(format="bgra")[..., 3] for p in c.demux(video=0) for f in decoder.decode(p)]
    assert len(alphas) == 45
    assert min(((a > 127) & truth).sum() / ((a > 127) | truth).sum() for a in alphas) >= 0.85


def _object_clip(path: Path, frames: int = 45) -> tuple[list, list]:
    """A striped cyan-and-yellow ellipse (an object of its own texture) gliding over the textured background:
    the MP4 at ``path``, the true matte and the true box per frame."""
    import av
    import cv2

    from .video_scenes import background

    backdrop = background(320, 240, seed=3)
    shape = np.zeros((60, 84), np.uint8)
    cv2.ellipse(shape, (42, 30), (40, 28), 0, 0, 360, 255, -1)
    texture = np.zeros((60, 84, 3), np.uint8)
    texture[:] = (255, 255, 0)
    texture[:, ::8] = texture[:, 1::8] = texture[:, 2::8] = (0, 255, 255)
    truths, boxes = [], []
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=30)
        vs.width, vs.height, vs.pix_fmt = 320, 240, "yuv420p"
        vs.options = {"crf": "16"}
        for i in range(frames):
            x, y = 30 + i * 4, 90 + round(30 * np.sin(i / 9))
            img, truth = backdrop.copy(), np.zeros((240, 320), bool)
            inside = shape > 0
            img[y : y + 60, x : x + 84][inside] = texture[inside]
            truth[y : y + 60, x : x + 84] = inside
            truths.append(truth)
            boxes.append([x, y, 84, 60])
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
    return truths, boxes


def test_matte_cuts_out_a_tracked_object(tmp_path):
    """An object given by its box on the first frame is tracked and cut out (GrabCut) on every frame: the
    matte matches the known shape, and, seen from the object, it holds steady while the object moves."""
    truths, boxes = _object_clip(tmp_path / "object.mp4")
    result = edit_video(
        tmp_path / "object.mp4",
        [{"op": "matte", "box": boxes[0], "background": "color", "color": "#00ff00"}],
        tmp_path / "out.mp4",
    )
    frames = read_frames(result.path)
    assert len(frames) == len(truths)
    found = [np.abs(f.astype(int) - (0, 255, 0)).sum(axis=2) > 120 for f in frames]
    ious = [(m & t).sum() / (m | t).sum() for m, t in zip(found, truths, strict=True)]
    assert min(ious) >= 0.85, [round(v, 3) for v in ious]
    seen = [m[y : y + h, x : x + w] for m, (x, y, w, h) in zip(found, boxes, strict=True)]
    flicker = [(a ^ b).mean() for a, b in itertools.pairwise(seen)]  # in the object's own coordinates
    assert max(flicker) < 0.08, max(flicker)
    person = edit_video(tmp_path / "object.mp4", [{"op": "matte"}], tmp_path / "person.mp4", assets={})
    assert person.frames == len(truths)  # no box: the person matte (nobody here), still one frame per frame


def test_matte_background_forms(tmp_path, scene):
    """``background: {"scene": ...}`` is shorthand for background=scene; a scene needs the Studio's rendering
    (an asset), and a bad object form is refused naming the field."""
    from zaowu.backends.video.ops import parse_edit

    op = parse_edit([{"op": "matte", "background": {"scene": "a beach at dusk"}}]).operations[0]
    assert (op.background, op.scene) == ("scene", "a beach at dusk")
    spec = {"kind": "poster", "title": "Sale"}
    assert parse_edit([{"op": "matte", "background": {"scene": spec}}]).operations[0].scene == spec
    with pytest.raises(InvalidRequest) as err:
        parse_edit([{"op": "matte", "background": {"scene": "x", "color": "#000000"}}])
    assert err.value.param.startswith("operations.0")
    with pytest.raises(InvalidRequest) as err:
        edit_video(scene.path, [{"op": "matte", "background": {"scene": "a beach"}}], tmp_path / "out.mp4")
    assert err.value.param == "operations.0.background"
    assert not list(tmp_path.iterdir())


def test_transparent_matte_needs_webm(tmp_path, scene):
    for edit, hint in [
        ({"operations": [{"op": "matte", "background": "transparent"}]}, "webm"),
        (
            {
                "operations": [{"op": "matte", "background": "transparent"}, {"op": "crop", "width": 8, "height": 8}],
                "format": "webm",
            },
            "last",
        ),
    ]:
        with pytest.raises(InvalidRequest) as err:
            edit_video(scene.path, edit, tmp_path / "out.webm")
        assert hint in err.value.message


# ---------------------------------------------------------------------------------------- memory


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")
def test_memory_stays_flat_over_a_long_clip(tmp_path):
    """A minute of video (a short clip joined 20 times by stream copy) through trim + track + style: the
    resident memory at the end of the pass is within a few MB of what it was a few seconds in."""
    short = make_scene(tmp_path / "short.mp4", width=160, height=120, seconds=3.0, size=24)
    long_clip = edit_video([short.path] * 20, [], tmp_path / "long.mp4", limits=VideoLimits(max_inputs=20))
    assert long_clip.copied and long_clip.frames == 1800
    samples = {}

    def sample(p):
        if p.frame in (300, 1700):
            samples[p.frame] = _rss_mb()

    ops = [{"op": "trim", "start": 0.5}, {"op": "track", "box": list(short.boxes[15])}, {"op": "style", "grain": 0.3}]
    edit_video(long_clip.path, ops, tmp_path / "out.mp4", progress=sample)
    assert samples[1700] - samples[300] < 20, samples
