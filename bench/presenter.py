"""Presenter rendering: seconds of work per second of video at 720p and 1080p (speech included), and peak
memory (RSS).

Each run is its own Python process (so each peak RSS is that run's alone): the English script is spoken by
the Studio's speech model (Piper), then scikit-image's astronaut portrait is animated speaking it with
``render_presenter`` (face mesh, rig, tracks, composition, subtitles, H.264/AAC encode). ``x real time`` is
(speech + render wall time) / clip seconds (the target: 2 at 720p, 4 at 1080p on 2 cores); ``cpu x`` is the
same in CPU time of the process and of the speech program it ran (Piper), which is what to read on a busy
shared machine (2 cores: a cpu x of up to 4 can still be 2x real time).

With ``--avatar "short black hair, navy suit"`` the host is a designed avatar drawn for the clip (its drawing
time counted in ``x real time`` and shown as ``avatar_s``).

    python bench/presenter.py [--seconds 30] [--sizes 720x1280,1080x1920] [--avatar TEXT] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("bench.presenter")

SENTENCES = (
    "Hello, and welcome to our little coffee shop on the corner.",
    "Every morning we roast small batches of beans from two farms in Yunnan.",
    "Today every latte is half price until noon.",
    "Bring a friend, and the second pastry is on us.",
    "Thank you for watching, and see you soon.",
)
SPEAKING_RATE = 2.6  # words per second: how many sentences make the requested length


def script(seconds: float) -> str:
    words, out, i = 0, [], 0
    while words < seconds * SPEAKING_RATE:
        out.append(SENTENCES[i % len(SENTENCES)])
        words += len(out[-1].split())
        i += 1
    return " ".join(out)


def portrait_png(avatar: str | None, size: tuple[int, int]) -> tuple[bytes, float]:
    """The portrait as PNG bytes and the seconds it took to make: scikit-image's astronaut, or a designed
    avatar drawn from ``avatar`` at the clip's shape (short side 720, as the Studio draws it, transparent)."""
    import cv2

    if not avatar:
        import skimage.data

        return cv2.imencode(".png", cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))[1].tobytes(), 0.0
    from zaowu.backends.design.avatar import avatar_from_prompt, draw_avatar, resolve_avatar

    started = time.perf_counter()
    spec = resolve_avatar(avatar_from_prompt(avatar, {"transparent": True})[0], 1)
    scale = max(1.0, 720 / min(size))
    rgba = draw_avatar(spec, round(size[0] * scale), round(size[1] * scale))
    png = cv2.imencode(".png", cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))[1].tobytes()
    return png, time.perf_counter() - started


def child(size: str, seconds: float, avatar: str | None = None) -> dict:

    from zaowu.backends.presenter.render import render_presenter
    from zaowu.settings import Settings
    from zaowu.studio.engine import Studio
    from zaowu.studio.provenance.audio import without_cue
    from zaowu.types import SpeechRequest

    width, height = (int(v) for v in size.split("x"))
    text = script(seconds)
    png, drawn = portrait_png(avatar, (width, height))
    with tempfile.TemporaryDirectory(prefix="zaowu-bench-presenter-") as tmp:
        studio = Studio(Settings(data_dir=Path(tmp) / "data"))
        cpu0, t0 = time.process_time(), time.perf_counter()
        wav = without_cue(studio.generate_media(SpeechRequest(input=text, language="en")).media[0].data)
        speech = time.perf_counter() - t0
        t1 = time.perf_counter()
        result = render_presenter(
            png, wav, Path(tmp) / "out.mp4", script=text, language="en", size=(width, height), seed=1
        )
        render = time.perf_counter() - t1
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # Piper runs as its own process
        cpu = time.process_time() - cpu0 + kids.ru_utime + kids.ru_stime
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "size": size,
        "video_seconds": round(result.duration, 2),
        "frames": result.frames,
        "speech_s": round(speech, 2),
        "render_s": round(render, 2),
        "avatar_s": round(drawn, 3),
        "x_real_time": round((speech + drawn + render) / result.duration, 2),
        "render_s_per_video_s": round(render / result.duration, 2),
        "cpu_x": round(cpu / result.duration, 2),
        "peak_rss_mb": round(peak),
        "timings": {k: round(v, 2) for k, v in result.timings.items()},
        "mouth": result.phonemes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="about how long the clip is")
    parser.add_argument("--sizes", default="720x1280,1080x1920")
    parser.add_argument("--json", type=Path, help="write the rows here")
    parser.add_argument("--avatar", help="animate a designed avatar drawn from this description, not the photo")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.seconds, args.avatar)))
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows = []
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for size in args.sizes.split(","):
        cmd = [sys.executable, __file__, "--child", size, "--seconds", str(args.seconds)]
        cmd += ["--avatar", args.avatar] if args.avatar else []
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{size} failed:\n{done.stderr[-3000:]}")
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        log.info(
            "%s: %.1f s of video, speech %.1f s + render %.1f s = %.2fx real time (cpu %.2fx), peak %d MB",
            size,
            row["video_seconds"],
            row["speech_s"],
            row["render_s"],
            row["x_real_time"],
            row["cpu_x"],
            row["peak_rss_mb"],
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
