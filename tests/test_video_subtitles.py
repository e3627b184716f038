"""Subtitles and looks from words in the video editor.

The engine (zaowu.backends.video): captions wrap for Chinese and English, SRT/VTT files are exact,
a burned-in caption changes pixels only in its band and only while its segment is shown, a soft
mov_text track is in the MP4 with the cues' texts and times, and SRT/VTT files lie beside the output.
The Studio (zaowu.studio.video_prepare.prepare_edit): a look in words becomes a valid StyleOp, decided by
the keyword table without any model when the words are known, by SmolLM2 when they are not; a subtitles
operation without segments gets them from Whisper on speech the studio synthesised, translated by the LLM
with the segment count and timings kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("cv2")
av = pytest.importorskip("av")

from zaowu.backends.video import edit_video
from zaowu.backends.video.ops import StyleOp, SubtitleSegment, parse_edit
from zaowu.backends.video.subtitles import TX3G_ENTRY, balanced, format_srt, format_vtt, wrap
from zaowu.errors import InvalidRequest
from zaowu.types import LOCAL

from .video_scenes import make_scene, read_frames

SEGMENTS = [
    {"start": 0.5, "end": 1.2, "text": "今天天气很好，我们一起去公园散步吧。"},
    {"start": 1.4, "end": 1.9, "text": "Hello world, this caption is long enough to wrap."},
]


def width_of(text: str) -> float:
    """A measure for wrapping tests: a Chinese character is 2, anything else 1."""
    return sum(2 if "\u3400" <= c <= "\u9fff" else 1 for c in text)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_scene(tmp_path_factory.mktemp("subs") / "clip.mp4", seconds=2.0, fps=10)


# ------------------------------------------------------------------------------------ text and files


def test_english_wraps_between_words_within_the_width():
    text = "The quick brown fox jumps over the lazy dog, twice."
    lines = wrap(text, 16, width_of, max_lines=4)
    assert len(lines) > 1 and all(width_of(line) <= 16 for line in lines)
    assert " ".join(lines) == text  # no word broken, none lost


def test_chinese_wraps_between_characters_but_never_before_closing_punctuation():
    text = "今天天气很好，我们一起去公园散步吧。然后去吃饭。"
    lines = wrap(text, 12, width_of, max_lines=6)
    assert len(lines) >= 3 and all(width_of(line) <= 12 for line in lines)
    assert "".join(lines) == text
    assert not any(line[0] in "，。" for line in lines)


def test_too_long_caption_is_cut_with_an_ellipsis_and_lines_are_balanced():
    lines = wrap("一二三四五六七八九十" * 3, 10, width_of, max_lines=2)
    assert len(lines) == 2 and lines[-1].endswith("…") and width_of(lines[-1]) <= 10
    even = balanced("今天天气很好我们一起去", 20, width_of, max_lines=2)
    assert [width_of(line) for line in even] == [12, 10]  # not 20 + 2: one character alone on a line


def test_srt_and_vtt_in_chinese_and_english():
    segments = [SubtitleSegment(**s) for s in SEGMENTS]
    assert format_srt(segments) == (
        "1\n00:00:00,500 --> 00:00:01,200\n今天天气很好，我们一起去公园散步吧。\n\n"
        "2\n00:00:01,400 --> 00:00:01,900\nHello world, this caption is long enough to wrap.\n"
    )
    assert format_vtt(segments) == (
        "WEBVTT\n\n00:00:00.500 --> 00:00:01.200\n今天天气很好，我们一起去公园散步吧。\n\n"
        "00:00:01.400 --> 00:00:01.900\nHello world, this caption is long enough to wrap.\n"
    )


def test_bad_subtitles_operations_name_the_field(clip, tmp_path):
    with pytest.raises(InvalidRequest) as err:
        edit_video(clip.path, [{"op": "subtitles"}], tmp_path / "out.mp4")
    assert err.value.param == "operations.0.segments"
    with pytest.raises(InvalidRequest) as err:
        parse_edit([{"op": "subtitles", "segments": [{"start": 1, "end": 0.5, "text": "x"}]}])
    assert err.value.param.startswith("operations.0") and err.value.param.endswith("segments.0")
    with pytest.raises(InvalidRequest) as err:
        parse_edit([{"op": "subtitles", "segments": SEGMENTS}, {"op": "trim", "start": 1}])
    assert err.value.param == "operations"
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------------------------ the engine


def test_burned_caption_changes_only_its_band_while_shown(clip, tmp_path):
    lossless = {"crf": 0, "copy_streams": False}
    plain = edit_video(clip.path, {"operations": [], **lossless}, tmp_path / "plain.mp4")
    ops = [{"op": "subtitles", "segments": SEGMENTS[:1], "mode": "burn"}]
    burned = edit_video(clip.path, {"operations": ops, **lossless}, tmp_path / "burned.mp4")
    a, b = read_frames(plain.path), read_frames(burned.path)
    assert len(a) == len(b) == 20
    rows_changed = []
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        rows = np.nonzero(np.abs(x.astype(int) - y.astype(int)).max(axis=(1, 2)) > 0)[0]
        if 5 <= i < 12:  # 0.5 s .. 1.2 s at 10 fps
            assert len(rows) > 10, f"frame {i} shows no caption"
            rows_changed.append((rows.min(), rows.max()))
        else:
            assert len(rows) == 0, f"frame {i} changed outside the segment's time"
    top = min(r[0] for r in rows_changed)
    assert top > clip.height * 0.6 and max(r[1] for r in rows_changed) < clip.height  # the bottom band only
    with av.open(str(burned.path)) as c:
        assert not c.streams.subtitles  # burn only: no soft track
    assert {Path(burned.subtitles[0][k]).name for k in ("srt", "vtt")} == {"burned.srt", "burned.vtt"}


def test_soft_track_is_in_the_mp4_with_sidecars(clip, tmp_path):
    out = tmp_path / "soft.mp4"
    result = edit_video(clip.path, [{"op": "subtitles", "segments": SEGMENTS, "language": "zh"}], out)
    with av.open(str(out)) as c:
        (track,) = c.streams.subtitles
        assert track.codec_context.name == "mov_text" and track.metadata.get("language") == "chi"
        assert track.codec_context.extradata.startswith(TX3G_ENTRY)  # a full sample description (QuickTime)
        cues = [
            (float(p.pts * p.time_base), float(p.duration * p.time_base), bytes(p)[2:].decode())
            for p in c.demux(track)
            if p.size > 2  # the muxer fills the gaps between cues with empty samples
        ]
        assert len(c.streams.video) == 1 and len(c.streams.audio) == 1
    assert cues == [(s["start"], pytest.approx(s["end"] - s["start"]), s["text"]) for s in SEGMENTS]
    assert result.subtitles[0]["track"] is True and result.subtitles[0]["segments"] == 2
    assert (tmp_path / "soft.srt").read_text(encoding="utf-8") == format_srt([SubtitleSegment(**s) for s in SEGMENTS])
    assert (tmp_path / "soft.vtt").read_text(encoding="utf-8").startswith("WEBVTT\n\n00:00:00.500 --> ")
    assert result.as_dict()["subtitles"][0]["srt"] == str(tmp_path / "soft.srt")
    if shutil.which("ffmpeg"):  # FFmpeg reads the track back as SRT
        import subprocess

        srt = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(out), "-map", "0:s:0", "-f", "srt", "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "\n今天天气很好，我们一起去公园散步吧。\n" in srt and "00:00:01,400 --> 00:00:01,900" in srt


# ------------------------------------------------------------------------------------ the Studio


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("warm film look", {"temperature": 0.4, "grain": 0.25, "vignette": 0.3}),
        ("黑白复古风格", {"black_and_white": True, "saturation": 1.0}),
        ("卡通效果", {"preset": "cartoon"}),
        ("素描", {"preset": "pencil"}),
        ("oil painting", {"preset": "oil"}),
    ],
)
def test_known_words_decide_the_look_without_a_model(bare_settings, prompt, expected):
    from zaowu.studio.engine import Studio
    from zaowu.studio.video_prepare import prepare_edit

    with Studio(bare_settings) as studio:  # no model installed: any LLM call would fail
        edit = prepare_edit(studio, [{"op": "style", "prompt": prompt}], [], LOCAL)
    (op,) = edit.operations
    assert isinstance(op, StyleOp)
    assert {k: getattr(op, k) for k in expected} == expected
    names = {c.name: c.ok for c in edit.checks}
    assert names["style.operations.0.look"] is True and "style.operations.0.llm" not in names


def test_contradictory_words_and_explicit_parameters(bare_settings):
    from zaowu.studio.engine import Studio
    from zaowu.studio.video_prepare import prepare_edit

    with Studio(bare_settings) as studio:
        edit = prepare_edit(studio, [{"op": "style", "prompt": "warm but cool, vivid", "saturation": 0.5}], [], LOCAL)
    (op,) = edit.operations
    assert op.temperature == 0 and op.saturation == 0.5  # asked both ways: neutral; the caller's value wins
    failed = {c.name for c in edit.checks if not c.ok}
    assert "style.operations.0.contradiction" in failed


def test_repair_clamps_what_a_model_returns():
    from zaowu.studio.quality.checks import CheckList
    from zaowu.studio.video_prepare import repair_style

    checks = CheckList()
    out = repair_style(
        {"contrast": 9.0, "brightness": -3, "preset": "vaporwave", "black_and_white": True, "saturation": 1.8},
        checks,
        "operations.0",
    )
    assert out == {"contrast": 2.0, "brightness": -0.5, "black_and_white": True, "saturation": 1.0}
    StyleOp(op="style", **out)
    assert {c.name for c in checks.failed} == {
        "style.operations.0.contrast",
        "style.operations.0.brightness",
        "style.operations.0.preset",
        "style.operations.0.saturation",
    }


def test_unknown_words_are_filled_by_the_language_model(studio):
    from zaowu.studio.video_prepare import STYLE_LIMITS, prepare_edit

    edit = prepare_edit(studio, [{"op": "style", "prompt": "a sunny summer afternoon at the beach"}], [], LOCAL)
    (op,) = edit.operations
    assert isinstance(op, StyleOp) and op.prompt == "a sunny summer afternoon at the beach"
    for name, (lo, hi) in STYLE_LIMITS.items():
        assert lo <= getattr(op, name) <= hi, name
    names = {c.name for c in edit.checks}
    assert "style.operations.0.llm" in names and "style.operations.0.look" in names


def test_speech_is_transcribed_and_translated_into_timed_segments(studio, tmp_path):
    pytest.importorskip("faster_whisper")
    from zaowu.types import SpeechRequest

    speech = studio.generate_media(SpeechRequest(input="Our new coffee shop opens at seven in the morning."))
    wav = tmp_path / "speech.wav"
    wav.write_bytes(speech.media[0].data)
    with av.open(str(wav)) as c:
        seconds = float(c.duration / 1e6)
    silent = make_scene(
        tmp_path / "silent.mp4", seconds=round(seconds + 0.6, 1), fps=10, audio=False, width=160, height=120
    )
    clip = edit_video(
        silent.path, [{"op": "audio", "asset": "speech", "loop": False}], tmp_path / "talk.mp4", assets={"speech": wav}
    )
    from zaowu.studio.video_prepare import prepare_edit

    ops = [{"op": "subtitles", "mode": "both", "translate_to": "zh"}]
    edit = prepare_edit(studio, ops, [clip.path], LOCAL)
    (op,) = edit.operations
    assert op.segments and op.language in ("zh", "en")
    for s in op.segments:
        assert 0 <= s.start < s.end <= clip.duration + 1e-6 and s.text.strip()
    checks = {c.name: c for c in edit.checks}
    assert "coffee" in checks["subtitles.operations.0.transcribed"].detail.lower()  # Whisper heard the words
    assert checks["subtitles.operations.0.timing"].ok  # count and times kept by construction
    language = checks["language.subtitles.operations.0"]  # the translation's language is checked and reported
    assert "translated into zh" in language.detail
    if not language.ok:  # lines the small model left in English keep Whisper's own text
        assert any("coffee" in s.text.lower() for s in op.segments) and op.language == "en"
    result = edit_video(clip.path, edit, tmp_path / "subtitled.mp4")
    assert result.subtitles[0]["segments"] == len(op.segments) and result.subtitles[0]["track"]
    with av.open(str(result.path)) as c:
        assert c.streams.subtitles[0].metadata.get("language") == {"zh": "chi", "en": "eng"}[op.language]


def test_webm_gets_a_webvtt_track(clip, tmp_path):
    ops = [{"op": "trim", "end": 1.0}, {"op": "subtitles", "segments": SEGMENTS[:1], "language": "en"}]
    result = edit_video(clip.path, {"operations": ops, "format": "webm"}, tmp_path / "soft.webm")
    with av.open(str(result.path)) as c:
        (track,) = c.streams.subtitles
        texts = [bytes(p).decode() for p in c.demux(track) if p.size]
    assert track.codec_context.name == "webvtt" and texts == [SEGMENTS[0]["text"]]
    assert (tmp_path / "soft.srt").exists() and result.subtitles[0]["track"] is True


def test_silence_is_not_transcribed(bare_settings, clip):
    from zaowu.studio.engine import Studio
    from zaowu.studio.video_prepare import prepare_edit

    with Studio(bare_settings) as studio, pytest.raises(InvalidRequest) as err:  # no Whisper installed here
        prepare_edit(studio, [{"op": "mute"}, {"op": "subtitles"}], [clip.path], LOCAL)
    assert err.value.param == "operations.1.segments" and "silence" in err.value.message


def test_a_cancelled_subtitled_edit_leaves_no_files(clip, tmp_path):
    from zaowu.cancel import CancelToken
    from zaowu.errors import Cancelled

    token = CancelToken()

    def stop_early(p):
        if p.frame == 5:
            token.cancel()

    with token.active(), pytest.raises(Cancelled):
        edit_video(
            clip.path,
            [{"op": "subtitles", "segments": SEGMENTS, "mode": "both"}],
            tmp_path / "o.mp4",
            progress=stop_early,
        )
    assert list(tmp_path.iterdir()) == []  # no video, no SRT or VTT, no temporary file
