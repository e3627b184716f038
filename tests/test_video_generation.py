"""The ``storyboard`` video backend: a fixed storyboard (no LLM) rendered and read back with PyAV."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from zaowu.backends.storyboard.render import LEAD, render_storyboard
from zaowu.cancel import CancelToken
from zaowu.errors import Cancelled, InvalidRequest

av = pytest.importorskip("av")

RATE = 48_000
VOICE_HZ, MUSIC_HZ = 220.0, 1000.0


def _wav(seconds: float, hz: float, rate: int = 22_050) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    samples = 0.5 * np.sin(2 * np.pi * hz * t)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def _music(plan: dict, seconds: float, seed: int, rate: int) -> np.ndarray:
    """A steady 1 kHz bed, so its level under and away from speech can be measured."""
    t = np.arange(round(seconds * rate)) / rate
    return (0.8 * np.sin(2 * np.pi * MUSIC_HZ * t)).astype(np.float32)


BOARD = {
    "title": "Bakery",
    "aspect": "9:16",
    "resolution": "360p",
    "fps": 24,
    "subtitles": "soft",
    "music": {"genre": "pop"},
    "scenes": [
        {
            "narration": "Fresh bread every morning. Baked by hand.",
            "visual": {"kind": "poster", "headline": "Fresh bread"},
            "duration": 1.5,
            "camera": "zoom_in",
        },
        {"narration": "", "text": "Open daily", "duration": 1.5, "camera": "pan_left", "transition": "crossfade"},
        {
            "narration": "Come and taste.",
            "text": "Visit us",
            "duration": 1.0,
            "camera": "zoom_out",
            "transition": "wipe",
        },
    ],
}
NARRATION = [_wav(2.0, VOICE_HZ), None, _wav(1.0, VOICE_HZ)]


def _render(tmp_path: Path, name: str = "clip.mp4", seed: int = 7, **changes):
    board = {**BOARD, **changes}
    return render_storyboard(board, tmp_path / name, seed=seed, narration=NARRATION, music=_music)


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def _audio(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.concatenate([f.to_ndarray().reshape(2, -1)[0] for f in c.decode(audio=0)])


def _band(samples: np.ndarray, start: float, end: float, hz: float) -> float:
    """Amplitude of the ``hz`` component of samples[start:end] (seconds)."""
    piece = samples[round(start * RATE) : round(end * RATE)]
    t = np.arange(len(piece)) / RATE
    return float(2 * abs(np.mean(piece * np.exp(-2j * np.pi * hz * t))))


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("storyboard")
    return _render(tmp)


def test_mp4_reads_back(clip):
    """Scene lengths follow the narration (2.0 s spoken + lead + tail > the 1.5 s hint); streams, size, fps,
    duration and the soft subtitle track are what the storyboard asked for."""
    expected = (2.0 + 0.25 + 0.35) + 1.5 + max(1.0, 1.0 + 0.6)
    assert clip.duration == pytest.approx(expected, abs=0.05)
    with av.open(str(clip.path)) as c:
        video, audio = c.streams.video[0], c.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        assert (video.codec_context.width, video.codec_context.height) == (360, 640)
        assert video.codec_context.pix_fmt == "yuv420p"
        assert float(video.average_rate) == pytest.approx(24, abs=0.01)
        assert c.duration / 1e6 == pytest.approx(expected, abs=0.1)
        assert len(c.streams.subtitles) == 1
        cues = [bytes(p)[2:].decode() for p in c.demux(c.streams.subtitles[0]) if p.size > 2]  # gaps: empty samples
    assert cues == ["Fresh bread every morning.", "Baked by hand.", "Come and taste."]
    assert len(_frames(clip.path)) == round(expected * 24)
    srt = clip.srt.read_text(encoding="utf-8")
    assert "Fresh bread every morning." in srt and "Come and taste." in srt
    assert clip.thumbnail.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert clip.spritesheet.stat().st_size > 0


def test_narration_where_its_scene_is_and_music_ducked(clip):
    """The voice sounds during scene 0's narration and not in the silent scene 1; the music bed is quieter
    under speech than in scene 1."""
    samples = _audio(clip.path)
    s0, s1 = clip.scenes[0], clip.scenes[1]
    speech = (s0["start"] + LEAD + 0.4, s0["start"] + LEAD + 1.6)
    silent = (s1["start"] + 0.5, s1["end"] - 0.5)
    assert _band(samples, *speech, VOICE_HZ) > 0.2
    assert _band(samples, *silent, VOICE_HZ) < 0.02
    under, alone = _band(samples, *speech, MUSIC_HZ), _band(samples, *silent, MUSIC_HZ)
    assert alone > 0.2
    assert under < alone * 0.5


def test_frames_move_within_a_ken_burns_scene(clip):
    frames = _frames(clip.path)
    first, last = round(clip.scenes[0]["start"] * 24), round(clip.scenes[0]["end"] * 24) - 1
    change = np.abs(frames[first].astype(int) - frames[last].astype(int)).mean()
    assert change > 3.0
    middle = (first + last) // 2
    assert np.abs(frames[middle].astype(int) - frames[middle + 1].astype(int)).mean() > 0.05


def test_same_storyboard_and_seed_same_frames(tmp_path, clip):
    again = _render(tmp_path, "again.mp4")
    a, b = _frames(clip.path), _frames(again.path)
    assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    other = _render(tmp_path, "other.mp4", seed=8)
    assert not np.array_equal(_frames(other.path)[0], a[0])


def test_burned_captions_change_the_pictures(tmp_path, clip):
    burned = _render(tmp_path, "burned.mp4", subtitles="burned")
    middle = round((clip.scenes[0]["start"] + LEAD + 0.5) * 24)
    a, b = _frames(clip.path)[middle], _frames(burned.path)[middle]
    lower = slice(a.shape[0] * 2 // 3, None)
    assert np.abs(a[lower].astype(int) - b[lower].astype(int)).mean() > 2.0
    with av.open(str(burned.path)) as c:
        assert not c.streams.subtitles


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"aspect": "4:3"}, "storyboard.aspect"),
        ({"scenes": []}, "storyboard.scenes"),
        ({"scenes": [{"narration": "x", "camera": "spin"}]}, "storyboard.scenes.0.camera"),
        ({"scenes": [{"narration": "x", "duration": 0}]}, "storyboard.scenes.0.duration"),
        (
            {"scenes": [{"visual": {"kind": "poster", "headline": "x", "palette": "nope"}}]},
            "storyboard.scenes.0.visual",
        ),
        ({"scenes": [{"image": "not-given.png"}]}, "storyboard.scenes.0.image"),
    ],
)
def test_bad_storyboard_names_the_field(tmp_path, change, param):
    with pytest.raises(InvalidRequest) as err:
        render_storyboard({**BOARD, **change}, tmp_path / "bad.mp4", narration=None, music=_music)
    assert (err.value.param or "").startswith(param)
    assert list(tmp_path.iterdir()) == []


def test_cancelled_render_leaves_nothing(tmp_path):
    token = CancelToken()
    seen = []

    def progress(fraction: float, message: str) -> None:
        seen.append(fraction)
        if "rendered scene 1" in message:
            token.cancel()

    with token.active(), pytest.raises(Cancelled):
        render_storyboard(BOARD, tmp_path / "gone.mp4", narration=NARRATION, music=_music, progress=progress)
    assert seen and list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ through the Studio


def _small_board() -> dict:
    return {**BOARD, "music": None, "scenes": BOARD["scenes"][:2]}


def test_studio_renders_a_given_storyboard(bare_studio):
    """``generate_media`` with a storyboard and narration: the storyboard backend renders it, the MP4, its
    thumbnail, spritesheet and SRT are stored as artifacts, and the media seconds are logged."""
    from zaowu.types import VideoRequest

    request = VideoRequest(prompt="bakery", storyboard=_small_board(), narration=NARRATION[:2], seed=3)
    result = bare_studio.generate_media(request)
    video = result.media[0]
    assert result.model == "storyboard" and video.mime == "video/mp4"
    row, stored = bare_studio.artifacts.open_path(video.meta["artifact_id"])
    with av.open(str(stored)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        assert c.duration / 1e6 == pytest.approx(video.meta["duration"], abs=0.1)
    assert row["size_bytes"] == video.meta["bytes"] == stored.stat().st_size and row["meta"]["labels"]["implicit"]
    assert not Path(video.path or "").exists()  # moved into the store: no temporary left behind
    for name in ("thumbnail", "spritesheet", "srt"):
        assert video.meta[f"{name}_artifact_id"]
    assert result.usage["media_seconds"] == pytest.approx(video.meta["duration"], abs=0.01)


def test_studio_rejects_a_storyboard_failing_its_schema(bare_studio):
    from zaowu.types import VideoRequest

    bad = {**_small_board(), "fps": 60}
    with pytest.raises(InvalidRequest) as err:
        bare_studio.generate_media(VideoRequest(prompt="x", storyboard=bad, narration=[None, None]))
    assert err.value.param == "storyboard.fps"


def test_planner_writes_a_storyboard_with_the_llm(studio):
    """SmolLM2 writes the scenes; code repairs them: scene count from the seconds, durations summing to them,
    narration within its scene at the speaking rate."""
    from zaowu.studio.planners import PlanRun
    from zaowu.studio.storyboard import SECONDS_PER_SCENE, SPEAKING_RATE, write_storyboard
    from zaowu.types import VideoRequest

    request = VideoRequest(prompt="A bakery's new sourdough bread, baked every morning", duration=8, size="720x1280")
    board, _ = write_storyboard(studio, request, 5, PlanRun())
    assert len(board["scenes"]) == round(8 / SECONDS_PER_SCENE)
    assert sum(s["duration"] for s in board["scenes"]) == pytest.approx(8, abs=0.01)
    assert (board["aspect"], board["resolution"], board["language"]) == ("9:16", "720p", "en")
    for scene in board["scenes"]:
        assert len(scene["narration"].split()) <= scene["duration"] * SPEAKING_RATE["en"]
    from zaowu.backends.storyboard import validate_storyboard

    validate_storyboard(board)


def test_planner_storyboard_says_the_request_facts_in_distinct_scenes(studio):
    """With a price and opening hours in the request, SmolLM2's scenes (which it tends to repeat) come back
    distinct, and some scene says the price and the hours in the request's words."""
    from zaowu.studio.planners import PlanRun
    from zaowu.studio.quality.checks import DUPLICATE_SIMILARITY
    from zaowu.studio.quality.text import similarity
    from zaowu.studio.storyboard import write_storyboard
    from zaowu.types import VideoRequest

    prompt = "Hilltop Tea House's new osmanthus oolong, 28 yuan a cup, open daily 9am to 9pm"
    request = VideoRequest(prompt=prompt, duration=16, size="720x1280")
    board, _ = write_storyboard(studio, request, 3, PlanRun())
    said = [s["narration"] for s in board["scenes"] if s["narration"].strip()]
    assert all(similarity(a, b) <= DUPLICATE_SIMILARITY for i, a in enumerate(said) for b in said[i + 1 :]), said
    everything = " ".join(said + [s.get("text") or "" for s in board["scenes"]])
    assert "28" in everything and "9am" in everything.replace(" am", "am"), said


def test_cli_video_generate_from_a_storyboard(bare_settings, tmp_path):
    """``zaowu video generate`` writes the MP4, its SRT and a cover; ``video edit`` stays in the group."""
    import json

    from click.testing import CliRunner

    from zaowu.cli.main import cli

    board = tmp_path / "board.json"
    board.write_text(
        json.dumps({**_small_board(), "scenes": [{**s, "narration": ""} for s in _small_board()["scenes"]]})
    )
    out = tmp_path / "ad.mp4"
    env = {"ZAOWU_DATA_DIR": str(bare_settings.data_dir), "ZAOWU_MODELS_DIR": str(bare_settings.models_dir)}
    runner = CliRunner()
    r = runner.invoke(
        cli,
        [
            "video",
            "generate",
            "bakery",
            "-s",
            "9:16",
            "-d",
            "3",
            "--storyboard",
            str(board),
            "--seed",
            "2",
            "-o",
            str(out),
        ],
        env=env,
    )
    assert r.exit_code == 0, r.output
    with av.open(str(out)) as c:
        assert (c.streams.video[0].codec_context.width, c.streams.video[0].codec_context.height) == (360, 640)
        assert c.duration / 1e6 == pytest.approx(3.0, abs=0.1)
    assert out.with_suffix(".cover.png").read_bytes()[:4] == b"\x89PNG"
    assert "edit" in runner.invoke(cli, ["video", "--help"], env=env).output


def test_cli_video_image_model_must_be_an_image_model(bare_settings, tmp_path):
    """``--image-model`` reaches the planner's check: an unknown model fails naming it, and no video is written."""
    from click.testing import CliRunner

    from zaowu.cli.main import cli

    out = tmp_path / "ad.mp4"
    env = {"ZAOWU_DATA_DIR": str(bare_settings.data_dir), "ZAOWU_MODELS_DIR": str(bare_settings.models_dir)}
    r = CliRunner().invoke(
        cli, ["video", "bakery", "-d", "3", "--image-model", "no-such-painter", "-o", str(out)], env=env
    )
    assert r.exit_code != 0
    assert "image_model" in r.output and "no-such-painter" in r.output
    assert not out.exists()


def test_cli_video_alias_shows_a_bar_per_stage(models_dir, tmp_path):
    """``zaowu video "…" -s 9:16 -d 3 -o ad.mp4`` (a real process; SmolLM2 writes the storyboard): the alias
    of ``generate`` writes a 720x1280 MP4 of about 3 s and its SRT, and stderr shows each stage's bar
    (storyboard, narration, music, scenes, encode) left complete."""
    import os
    import subprocess
    import sys

    from .conftest import TEST_MODEL, TEST_THREADS

    out = tmp_path / "ad.mp4"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ZAOWU_")},
        "ZAOWU_CONFIG": str(tmp_path / "no-config.toml"),
        "ZAOWU_DATA_DIR": str(tmp_path / "data"),
        "ZAOWU_MODELS_DIR": str(models_dir),
        "ZAOWU_DEFAULT_CHAT_MODEL": TEST_MODEL,
        "ZAOWU_N_CTX": "2048",
        **({"ZAOWU_N_THREADS": str(TEST_THREADS)} if TEST_THREADS else {}),
    }
    cmd = [sys.executable, "-m", "zaowu.cli.main", "video", "A bakery's morning bread", "-s", "9:16", "-d", "3"]
    r = subprocess.run([*cmd, "--seed", "5", "-o", str(out)], env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    with av.open(str(out)) as c:
        assert (c.streams.video[0].codec_context.width, c.streams.video[0].codec_context.height) == (720, 1280)
        assert 2.9 <= c.duration / 1e6 <= 3.45  # the narration is cut to fit the 3 s asked for
    assert "-->" in out.with_suffix(".srt").read_text(encoding="utf-8")
    finished = {line.split()[0] for part in r.stderr.split("\n") for line in [part.split("\r")[-1]] if "100%" in line}
    assert {"storyboard", "narration", "music", "scenes", "encode"} <= finished, r.stderr[-2000:]


def test_camera_moves_keep_design_text_in_the_safe_area():
    """Every pan and zoom holds a design's text inside the window's safe area at every point of the move
    (without the guard, the same moves cut it), and a small text still lets the camera move."""
    from zaowu.backends.storyboard.motion import SAFE_MARGIN, keep_in_view, window
    from zaowu.backends.storyboard.spec import CAMERA_MOVES

    wide = (0.06, 0.30, 0.94, 0.46)  # a headline across the poster

    def inside(f: float, cx: float, cy: float, box) -> bool:
        m = SAFE_MARGIN * f - 1e-9
        x0, y0, x1, y1 = box
        return cx - f / 2 + m <= x0 and x1 <= cx + f / 2 - m and cy - f / 2 + m <= y0 and y1 <= cy + f / 2 - m

    steps = [i / 20 for i in range(21)]
    assert not all(inside(*window(move, p), wide) for move in CAMERA_MOVES for p in steps)  # unguarded: cut
    for move in CAMERA_MOVES:
        for p in steps:
            assert inside(*keep_in_view(*window(move, p), wide), wide), (move, p)
    small = (0.4, 0.45, 0.6, 0.55)
    for move in ("pan_left", "pan_up", "zoom_in"):
        assert keep_in_view(*window(move, 0.0), small) != keep_in_view(*window(move, 1.0), small)


def test_cli_video_reference_puts_the_product_on_the_scenes(models_dir, tmp_path):
    """Issue 17: ``zaowu video "…" --reference product.png`` (a real process): the product is cut out on the
    design scenes (its red is seen in the frames; without the flag it is not); a file that is not an image
    and an unknown ``--voice`` are refused by name, writing no video."""
    import json
    import os
    import subprocess
    import sys

    from PIL import Image, ImageDraw

    from .test_videos_remix import BOARD, _red_share

    product = tmp_path / "product.png"
    image = Image.new("RGB", (400, 400), "white")
    ImageDraw.Draw(image).ellipse((100, 100, 300, 300), fill=(220, 20, 20))
    image.save(product)
    design = {
        **BOARD,
        "scenes": [
            {"text": "Fresh", "visual": {"kind": "poster", "headline": "Fresh", "palette": "ocean"}, "duration": 1.0},
            {"text": "Daily", "visual": {"kind": "poster", "headline": "Daily", "palette": "ocean"}, "duration": 1.0},
        ],
    }
    board = tmp_path / "board.json"
    board.write_text(json.dumps(design), encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ZAOWU_")},
        "ZAOWU_CONFIG": str(tmp_path / "no-config.toml"),
        "ZAOWU_DATA_DIR": str(tmp_path / "data"),
        "ZAOWU_MODELS_DIR": str(models_dir),
    }

    def frames(path):
        with av.open(str(path)) as c:
            return [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]

    def zaowu_video(out, *flags: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "zaowu.cli.main", "video", "a bakery", "-s", "360x640", "--seed", "4"]
        return subprocess.run(
            [*cmd, "--storyboard", str(board), *flags, "-o", str(out)], env=env, capture_output=True, text=True
        )

    r = zaowu_video(tmp_path / "ad.mp4", "--reference", str(product))
    assert r.returncode == 0, r.stderr[-2000:]
    shown = frames(tmp_path / "ad.mp4")
    assert _red_share(shown[12]) > 0.02 and _red_share(shown[36]) > 0.02
    r = zaowu_video(tmp_path / "plain.mp4")
    assert r.returncode == 0, r.stderr[-2000:]
    assert _red_share(frames(tmp_path / "plain.mp4")[12]) < 0.001  # the red comes from the reference
    notes = tmp_path / "notes.png"
    notes.write_text("not an image at all")
    r = zaowu_video(tmp_path / "bad.mp4", "--reference", str(notes))
    assert r.returncode != 0 and "--reference" in r.stderr and "notes.png" in r.stderr, r.stderr
    r = zaowu_video(tmp_path / "mute.mp4", "--voice", "robot-9")
    assert r.returncode != 0 and "robot-9" in r.stderr and "espeak-en" in r.stderr, r.stderr
    assert not (tmp_path / "bad.mp4").exists() and not (tmp_path / "mute.mp4").exists()
