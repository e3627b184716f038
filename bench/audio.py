"""Real-time factors of the audio engines on this machine: processing seconds / audio seconds.

    python bench/audio.py [--models-dir DIR] [--repeat N]

Composer + FluidSynth (music), Piper (English speech) and faster-whisper with the
packaged Whisper base (transcription of the Piper output). Targets from issue 4:
music <= 0.1, speech <= 0.3, transcription <= 1.0.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

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
    parser.add_argument("--models-dir", type=Path, default=Path(__file__).resolve().parent.parent / ".cache" / "models")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from zaowu.backends.music.backend import MusicBackend
    from zaowu.backends.music.composer import compose
    from zaowu.backends.music.plan import plan_from_seed
    from zaowu.backends.speech.backend import SpeechBackend
    import tempfile

    from zaowu.settings import Settings
    from zaowu.studio.engine import Studio
    from zaowu.types import Modality, ModelSpec, MusicRequest, SpeechRequest, TranscriptionRequest

    rows = []
    music = MusicBackend(ModelSpec(id="composer", modality=Modality.music, backend="composer"))
    for genre, seconds in (("pop", 30), ("jazz", 120), ("edm", 120)):
        plan = plan_from_seed(1, partial={"genre": genre})
        t_compose, _ = best_of(args.repeat, lambda: compose(plan, seconds, 1))
        t, _ = best_of(args.repeat, lambda: music.generate(MusicRequest(prompt=genre, duration=seconds), 1, plan=plan))
        rows.append((f"music {genre} {seconds}s (composer only)", seconds, t_compose))
        rows.append((f"music {genre} {seconds}s composer+fluidsynth wav", seconds, t))

    tts = SpeechBackend(ModelSpec(id="tts", modality=Modality.speech, backend="tts"))
    for label, text in (("short", TEXT), ("long", "\n\n".join([TEXT] * 6))):
        t, speech = best_of(args.repeat, lambda: tts.generate(SpeechRequest(input=text, voice="joe"), None))
        rows.append((f"speech piper joe ({label})", speech.media[0].meta["duration"], t))

    studio = Studio(Settings(data_dir=Path(tempfile.mkdtemp()), models_dir=args.models_dir))
    studio.catalog.pull("whisper-base")  # no-op when present; sha256-verified otherwise
    whisper = studio.load("whisper-base", Modality.transcription)[1]
    audio = speech.media[0].data
    t, result = best_of(args.repeat, lambda: whisper.generate(TranscriptionRequest(audio=audio, language="en"), None))
    rows.append(("transcription whisper base (en)", result.media[0].meta["duration"], t))

    print(f"{'engine':48} {'audio s':>8} {'process s':>10} {'RTF':>6}")
    for name, audio_s, proc_s in rows:
        print(f"{name:48} {audio_s:8.1f} {proc_s:10.2f} {proc_s / audio_s:6.3f}")


if __name__ == "__main__":
    main()
