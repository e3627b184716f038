"""Storyboard video rendering: frames per second and times real time at 720p (and 1080p), and the peak
memory (RSS) of a short versus a longer clip.

Each run is its own Python process (so each peak RSS is that run's alone) rendering a fixed storyboard
(no LLM, no speech model: narration is a synthetic tone per scene, the music bed the composer's with
FluidSynth) of 5 s scenes alternating design-spec stills, camera moves and transitions. ``fps`` is
the whole render in wall time (stills, motion, captions, audio mix, H.264/AAC encode); ``cpu fps`` is
frames per CPU-second of the process, which is what to read on a busy shared machine.

    python bench/video.py [--seconds 30] [--long 300] [--resolution 720p] [--1080] [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("bench.video")

SCENE_SECONDS = 5.0
CAMERAS = ("zoom_in", "pan_left", "zoom_out", "pan_up", "zoom_in_right")
TRANSITIONS = ("crossfade", "slide", "wipe", "cut")
HEADLINES = ("新鲜出炉", "Fresh every morning", "手工制作", "Open daily", "欢迎光临")


def scene_seconds(seconds: float) -> float:
    """5 s scenes, longer for a clip that would otherwise hold more scenes than a storyboard may."""
    from zaowu.backends.storyboard.spec import MAX_SCENES

    return max(SCENE_SECONDS, seconds / MAX_SCENES)


def storyboard(seconds: float, resolution: str, animation: str = "auto") -> dict:
    scenes = []
    length = scene_seconds(seconds)
    for i in range(max(1, round(seconds / length))):
        scenes.append(
            {
                "narration": f"Scene {i + 1}. Something worth saying, about four seconds long.",
                "visual": {"kind": "poster", "headline": HEADLINES[i % len(HEADLINES)]},
                "duration": length,
                "camera": CAMERAS[i % len(CAMERAS)],
                "animation": animation,
                "transition": TRANSITIONS[i % len(TRANSITIONS)],
            }
        )
    return {
        "aspect": "9:16",
        "resolution": resolution,
        "fps": 30,
        "subtitles": "both",
        "music": {"genre": "pop"},
        "scenes": scenes,
    }


def tone(seconds: float, rate: int = 22_050) -> bytes:
    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    samples = 0.4 * np.sin(2 * np.pi * 200 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def child(seconds: float, resolution: str, animation: str = "auto") -> None:
    """One render in this process; prints a JSON line."""
    from zaowu.backends.storyboard.render import render_storyboard

    board = storyboard(seconds, resolution, animation)
    narration = [tone(scene_seconds(seconds) - 1.0) for _ in board["scenes"]]  # one WAV per scene, as in a job
    with tempfile.TemporaryDirectory(prefix="zaowu-bench-video-") as tmp:
        cpu0, t0 = time.process_time(), time.perf_counter()
        result = render_storyboard(board, Path(tmp) / "clip.mp4", seed=1, narration=narration)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "resolution": resolution,
                "size": f"{result.width}x{result.height}",
                "seconds": round(result.duration, 2),
                "frames": result.frames,
                "wall_s": round(wall, 2),
                "fps": round(result.frames / wall, 1),
                "cpu_fps": round(result.frames / cpu, 1),
                "cpu_ms_per_frame": round(cpu / result.frames * 1000, 1),
                "animation": animation,
                "x_real_time": round(result.duration / wall, 2),
                "peak_rss_mb": round(rss_mb, 1),
                "timings": result.as_dict()["timings"],
            }
        )
    )


def run(seconds: float, resolution: str, animation: str = "auto") -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(seconds), resolution, animation],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the speed runs and the short clip")
    parser.add_argument("--long", type=float, default=300.0, help="length of the long clip for the memory run")
    parser.add_argument(
        "--resolution", default="720p", choices=("360p", "720p", "1080p"), help="of the speed and memory runs"
    )
    parser.add_argument("--1080", dest="full_hd", action="store_true", help="also render at 1080p")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--animation",
        default="auto",
        choices=("auto", "camera", "layered"),
        help="how the scenes move: layered (design layers each with their motion) or camera (the whole still)",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(float(args.child[0]), args.child[1], args.child[2])
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    results = {args.resolution: run(args.seconds, args.resolution, args.animation)}
    if args.full_hd:
        results["1080p"] = run(args.seconds, "1080p", args.animation)
    long_name = f"long_{args.resolution}"
    results[long_name] = run(args.long, args.resolution, args.animation)
    for name, r in results.items():
        log.info(
            "%-10s %s %6.1f s  %5d frames  %5.1f fps (cpu %5.1f)  %5.2fx real time  peak RSS %6.1f MB",
            name,
            r["size"],
            r["seconds"],
            r["frames"],
            r["fps"],
            r["cpu_fps"],
            r["x_real_time"],
            r["peak_rss_mb"],
        )
    growth = results[long_name]["peak_rss_mb"] - results[args.resolution]["peak_rss_mb"]
    log.info("RSS %g s - %g s: %+.1f MB", args.long, args.seconds, growth)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
