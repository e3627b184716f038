"""The video editor through the Studio: the preparation (subtitles from speech, looks from words) wired into
``Studio.edit_video`` and its pre-flight ``check_video_edit``, the result reporting the Studio's checks and the
subtitle files, nothing of a failed edit kept (Whisper's transcript included), the temporary folders a killed
process left removed when a Studio starts, and the CLI flags ``--subtitles/--burn/--translate`` and ``--style``.

Model-free except one test, which transcribes speech the studio synthesised (Piper, then Whisper)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zaowu.errors import InvalidRequest, ModelNotInstalled

from .video_scenes import make_scene

pytest.importorskip("av")
pytest.importorskip("cv2")

SEGMENTS = [
    {"start": 0.2, "end": 0.8, "text": "第一句字幕"},
    {"start": 1.0, "end": 1.6, "text": "The second caption"},
]
FORGED = {"name": "style.operations.0.look", "ok": True, "detail": "forged by the caller"}


@pytest.fixture(scope="module")
def tone(tmp_path_factory):
    """A 2 s clip with a tone as its sound."""
    return make_scene(tmp_path_factory.mktemp("tone") / "tone.mp4", seconds=2.0, fps=10, width=160, height=120)


@pytest.fixture(scope="module")
def silent(tmp_path_factory):
    """A 2 s clip without sound."""
    path = tmp_path_factory.mktemp("silent") / "silent.mp4"
    return make_scene(path, seconds=2.0, fps=10, width=160, height=120, audio=False)


def _saturation(path: Path) -> float:
    import av
    import cv2
    import numpy as np

    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    return float(np.mean([cv2.cvtColor(f, cv2.COLOR_BGR2HSV)[..., 1].mean() for f in frames]))


# ------------------------------------------------------------------------------------ temporary folders


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    for p in [*path.rglob("*"), path]:
        os.utime(p, (then, then), follow_symlinks=False)


def test_folders_a_killed_edit_left_are_removed_when_a_studio_starts(bare_settings):
    from zaowu.studio.engine import Studio
    from zaowu.studio.video_edit import STALE_WORK_SECONDS

    tmp = bare_settings.data_dir / "tmp"
    folders = {name: tmp / name for name in ("video-edit-dead", "video-edit-subs-dead", "video-edit-live", "other")}
    for folder in folders.values():
        folder.mkdir(parents=True)
        (folder / "edit.mp4").write_bytes(b"partial")
    for name in ("video-edit-dead", "video-edit-subs-dead", "other"):
        _age(folders[name], STALE_WORK_SECONDS + 600)
    _age(folders["video-edit-live"], STALE_WORK_SECONDS + 600)
    (folders["video-edit-live"] / "edit.mp4").write_bytes(b"still being written")  # a pass running elsewhere
    with Studio(bare_settings):
        pass
    assert not folders["video-edit-dead"].exists() and not folders["video-edit-subs-dead"].exists()
    assert (folders["video-edit-live"] / "edit.mp4").read_bytes() == b"still being written"
    assert (folders["other"] / "edit.mp4").exists()  # not an edit's folder: not ours to remove


# ------------------------------------------------------------------------------------ result and pre-flight


def test_result_reports_the_studios_checks_and_the_subtitle_files(bare_studio, tone):
    edit = {
        "operations": [
            {"op": "style", "prompt": "黑白复古"},
            {"op": "subtitles", "segments": SEGMENTS, "mode": "both", "language": "zh"},
            {"op": "subtitles", "segments": SEGMENTS[1:]},
        ],
        "checks": [FORGED],
    }
    result = bare_studio.edit_video([tone.path], edit)  # no model installed: the keyword table decides the look
    names = {c["name"]: c for c in result.checks}
    assert "forged by the caller" not in json.dumps(result.checks)
    assert names["style.operations.0.look"]["ok"] and "black_and_white" in names["style.operations.0.look"]["detail"]
    assert [(s["operation"], s["segments"], s["track"], s["burned"]) for s in result.subtitles] == [
        (1, 2, True, True),
        (2, 1, True, False),
    ]
    files = {(a["role"], a.get("operation")): a["artifact_id"] for a in result.attachments}
    assert set(files) == {("srt", 1), ("vtt", 1), ("srt", 2), ("vtt", 2)}
    assert result.subtitles[0]["srt"] == files[("srt", 1)]
    _, srt = bare_studio.artifacts.open_path(files[("srt", 1)])
    assert srt.read_text(encoding="utf-8").startswith("1\n00:00:00,200 --> 00:00:00,800\n第一句字幕\n")
    out = result.as_dict()
    assert out["checks"] == result.checks and out["subtitles"] == result.subtitles
    assert set(out["artifacts"]) == {result.artifact_id, *files.values()}
    row = bare_studio.artifacts.get(result.artifact_id)
    assert all("srt" not in s for s in row["meta"]["video_edit"]["subtitles"])  # no server paths in the meta


def test_preflight_refuses_what_preparation_could_not_do(bare_studio, tone, silent):
    check = bare_studio.check_video_edit
    with pytest.raises(InvalidRequest) as err:
        check([silent.path], [{"op": "subtitles"}])
    assert err.value.param == "operations.0.segments" and "sound" in err.value.message
    with pytest.raises(InvalidRequest) as err:  # the sound is dropped before the subtitles
        check([tone.path], [{"op": "mute"}, {"op": "subtitles", "mode": "burn"}])
    assert err.value.param == "operations.1.segments"
    with pytest.raises(ModelNotInstalled):  # sound to transcribe, but no Whisper here
        check([tone.path], [{"op": "subtitles"}])
    with pytest.raises(ModelNotInstalled):  # words the keyword table does not know need the language model
        check([tone.path], [{"op": "style", "prompt": "a sunny afternoon at the beach"}])
    with pytest.raises(InvalidRequest) as err:  # the rest of the edit is still planned against the clip
        check([silent.path], [{"op": "subtitles"}, {"op": "crop", "x": 500, "y": 0, "width": 10, "height": 10}])
    assert err.value.param.startswith("operations.1")
    parsed = check([tone.path], {"operations": [{"op": "style", "prompt": "黑白复古"}], "checks": [FORGED]})
    assert parsed.checks == [] and parsed.operations[0].prompt == "黑白复古"  # prepared later, in the job


def test_a_cancelled_edit_keeps_no_transcript(studio, tmp_path):
    """Whisper's transcript is stored as the key's artifact during preparation; when the pass is then
    cancelled, it goes with the rest (nothing of the edit stays)."""
    pytest.importorskip("faster_whisper")
    from zaowu.backends.video import edit_video
    from zaowu.cancel import CancelToken
    from zaowu.errors import Cancelled
    from zaowu.types import SpeechRequest

    speech = studio.generate_media(SpeechRequest(input="Fresh bread every morning at our bakery."))
    wav = tmp_path / "speech.wav"
    wav.write_bytes(speech.media[0].data)
    before = {a["id"] for a in studio.artifacts.list(limit=1000)}
    silent = make_scene(tmp_path / "silent.mp4", seconds=3.0, fps=10, audio=False, width=160, height=120)
    talk = edit_video(silent.path, [{"op": "audio", "asset": "s"}], tmp_path / "talk.mp4", assets={"s": wav}).path
    token = CancelToken()

    def stop(p):
        if p.frame >= 3:
            token.cancel()

    with token.active(), pytest.raises(Cancelled):
        studio.edit_video([talk], [{"op": "subtitles", "mode": "burn"}], progress=stop)
    assert {a["id"] for a in studio.artifacts.list(limit=1000)} == before
    heard = [g for g in studio.log.list(20) if g["modality"] == "transcription"]
    assert heard and heard[0]["status"] == "ok"  # Whisper did run (and is logged), its output was taken back
    assert not list((studio.settings.data_dir / "tmp").glob("video-edit-*"))


# ------------------------------------------------------------------------------------ the CLI


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZAOWU_CONFIG": str(tmp_path / "none.toml"), "ZAOWU_MODELS_DIR": str(tmp_path / "none")}
    cmd = [sys.executable, "-m", "zaowu.cli.main", "--data-dir", str(tmp_path / "data"), "video", "edit", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def test_cli_style_words_and_subtitles_flags(tmp_path, tone, silent):
    out = tmp_path / "grey.mp4"
    done = _cli(tmp_path, str(tone.path), "--style", "黑白复古", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "style.operations.0.look" in done.stderr and "black_and_white" in done.stderr  # checks on stderr
    assert _saturation(out) < 0.5 * _saturation(tone.path)
    # --subtitles after --style (the captions stay white), transcribed from the sound: this clip has none
    bad = _cli(
        tmp_path,
        str(silent.path),
        "--style",
        "黑白",
        "--subtitles",
        "--burn",
        "--translate",
        "zh",
        "-o",
        str(out.with_name("x.mp4")),
    )
    assert bad.returncode == 1 and "operations.1.segments" in bad.stderr and "sound" in bad.stderr, bad.stderr
    lonely = _cli(tmp_path, str(tone.path), "--burn", "-o", str(tmp_path / "y.mp4"))
    assert lonely.returncode == 2 and "--subtitles" in lonely.stderr
    assert not out.with_name("x.mp4").exists() and not (tmp_path / "y.mp4").exists()


def test_cli_subtitles_flags_map_to_the_operation():
    from zaowu.cli.video import _subtitles

    assert _subtitles(False, None) == {"op": "subtitles", "mode": "soft"}
    assert _subtitles(True, "en") == {"op": "subtitles", "mode": "burn", "translate_to": "en"}


# ------------------------------------------------------------------------------------ matte scenes

SCENE_SPEC = {"kind": "banner", "headline": "Summer Sale", "background_color": "#1030c0", "accent_color": "#ffd000"}


def test_matte_puts_the_object_on_a_design_engine_scene(bare_studio, tone):
    """``background: {"scene": spec}``: the Studio renders the spec with the design engine at the video's size
    (no LLM: the spec is given), stores it and the engine composites the tracked object over it."""
    import av
    import cv2
    import numpy as np

    from zaowu.studio.provenance.image import plate_box

    edit = [{"op": "matte", "box": list(tone.boxes[0]), "background": {"scene": SCENE_SPEC}}]
    assert bare_studio.check_video_edit([tone.path], edit).operations[0].background == "scene"
    result = bare_studio.edit_video([tone.path], edit)
    check = next(c for c in result.checks if c["name"] == "matte.operations.0.scene")
    assert check["ok"] and "160x120" in check["detail"]
    scene_id = check["detail"].rsplit(" ", 1)[-1]
    row, scene_path = bare_studio.artifacts.open_path(scene_id)
    assert row["mime"].startswith("image/")
    scene = cv2.imread(str(scene_path))
    assert scene.shape[:2] == (120, 160)
    _, out_path = bare_studio.artifacts.open_path(result.artifact_id)
    with av.open(str(out_path)) as c:
        frames = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    with av.open(str(tone.path)) as c:
        source = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    away = np.ones((120, 160), bool)  # far from the object on every frame
    for x, y, w, h in tone.boxes:
        away[max(0, y - 10) : y + h + 10, max(0, x - 10) : x + w + 10] = False
    # the scene image and the first 2 s of the video each carry the visible AI label, in the same corner
    x0, y0, x1, y1 = plate_box(160, 120, bare_studio.settings.label_position).box
    away[max(0, y0) : y1, max(0, x0) : x1] = False
    for frame, before in zip(frames, source, strict=True):
        assert np.abs(frame[away].astype(int) - scene[away]).mean() < 6  # the scene, not the old background
        assert np.abs(frame[away].astype(int) - before[away]).mean() > 30
    x, y, w, h = tone.boxes[5]
    inner = (slice(y + h // 4, y + 3 * h // 4), slice(x + w // 4, x + 3 * w // 4))
    assert (
        np.abs(frames[5][inner].astype(int) - source[5][inner]).mean() < 16
    )  # the object stays (under the labels: watermark and, in the first 2 s, the mark)


def test_a_bad_scene_spec_is_refused_naming_the_field_and_keeps_nothing(bare_studio, tone):
    before = len(bare_studio.artifacts.list(limit=1000))
    with pytest.raises(InvalidRequest) as err:
        bare_studio.edit_video(
            [tone.path], [{"op": "matte", "box": [10, 10, 30, 30], "background": {"scene": {"kind": "flyer"}}}]
        )
    assert err.value.param.startswith("operations.0.scene")
    assert len(bare_studio.artifacts.list(limit=1000)) == before
