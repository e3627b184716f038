"""Video editor throughput: frames per second per operation at 720p (and 1080p with --1080), with
the peak memory (RSS) of each run.

Each operation runs in its own Python process on a synthetic clip (a textured background and a
moving object, tests/video_scenes.py), so every peak RSS is that operation's alone. ``fps`` is the
whole pass (decode → operation → H.264 encode) in wall time; ``op fps`` is the operation alone
(the pass's own timing of that stage); ``cpu fps`` is frames per CPU-second of the whole process
(all threads), which is what an idle machine with one core would reach, and what to read on a
busy shared machine, where wall times mostly measure the other users. Stream copy runs on a
longer clip (the short one joined to itself) and is reported as times real time.

    python bench/video_edit.py [--seconds 4] [--1080] [--ops track_csrt,remove] [--json out.json]
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
sys.path.insert(0, str(ROOT / "tests"))

log = logging.getLogger("bench.video_edit")


def operations(box: list[int]) -> dict[str, list[dict]]:
    return {
        "reencode": [{"op": "fps", "fps": 30}],
        "stream_copy_trim": [{"op": "trim", "start": 1.0}],
        "resize_9x16": [{"op": "resize", "aspect": "9:16", "fit": "crop"}],
        "track_csrt": [{"op": "track", "box": box, "method": "csrt"}],
        "track_kcf": [{"op": "track", "box": box, "method": "kcf"}],
        "track_blur": [{"op": "track", "box": box, "method": "kcf", "action": "blur"}],
        "remove": [{"op": "remove", "box": box, "method": "kcf"}],
        "style_grade": [
            {"op": "style", "temperature": 0.4, "contrast": 1.2, "saturation": 1.2, "vignette": 0.4, "grain": 0.2}
        ],
        "style_cartoon": [{"op": "style", "preset": "cartoon"}],
        "matte_blur": [{"op": "matte", "background": "blur"}],
        "matte_object": [{"op": "matte", "box": box, "background": "blur"}],
        "subtitles_burn": [{"op": "subtitles", "mode": "both", "segments": caption_segments()}],
    }


def caption_segments(seconds: float = 120.0) -> list[dict]:
    """A caption every 2 s (1.8 s long), Chinese and English in turn (the pass drops those past the end)."""
    lines = ["今天天气很好，我们一起去公园散步，然后去吃饭。", "The weather is lovely today, so we walk in the park."]
    return [{"start": t, "end": t + 1.8, "text": lines[k % 2]} for k, t in enumerate(range(0, int(seconds), 2))]


def run_one(name: str, clip: Path, box: list[int]) -> dict:
    """Run one operation in this process; the figures as a dict."""
    from zaowu.backends.video import edit_video, probe_video

    info = probe_video(clip)
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        result = edit_video(clip, operations(box)[name], Path(tmp) / "out.mp4")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stage = next((v for k, v in result.timings.items() if k.startswith("0:")), None)
    return {
        "op": name,
        "frames": result.frames,
        "seconds": round(seconds, 3),
        "fps": round(result.frames / seconds, 1),
        "cpu_fps": round(result.frames / cpu, 1),
        "op_fps": round(result.frames / stage, 1) if stage else None,
        "x_real_time": round(result.duration / seconds, 1),
        "copied": result.copied,
        "peak_rss_mb": round(peak),
        "size": f"{info.width}x{info.height}",
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
    }


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_long(clip: Path) -> dict:
    """trim + style over a long clip, sampling this process's RSS at 1/10 and at the end of the pass."""
    from zaowu.backends.video import edit_video, probe_video

    frames = probe_video(clip).frames
    marks = {max(1, frames // 10): "rss_at_10pct_mb", frames - 60: "rss_at_end_mb"}
    rss: dict[str, float] = {}

    def sample(p) -> None:
        if p.frame in marks:
            rss[marks[p.frame]] = round(_rss_mb(), 1)

    ops = [{"op": "trim", "start": 0.5}, {"op": "style", "temperature": 0.3, "contrast": 1.2, "vignette": 0.3}]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        edit_video(clip, ops, Path(tmp) / "out.mp4", progress=sample)
        seconds = time.perf_counter() - started
    return {
        "op": "long_trim_style",
        "frames": frames,
        "seconds": round(seconds, 1),
        "fps": round(frames / seconds, 1),
        **rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--1080", dest="full_hd", action="store_true", help="also at 1920x1080")
    parser.add_argument("--copies", type=int, default=15, help="the clip joined this many times for stream copy")
    parser.add_argument("--ops", default="", help="comma-separated subset of the operations")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--long",
        type=float,
        default=0,
        help="also a clip of this many minutes through trim + "
        "style at 720p, with the RSS at 10%% and at the end of the pass",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--clip", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--box", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one == "long":
        print(json.dumps(run_long(args.clip)))
        return
    if args.one:
        print(json.dumps(run_one(args.one, args.clip, json.loads(args.box))))
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from video_scenes import make_scene

    names = [n for n in args.ops.split(",") if n] or list(operations([0, 0, 1, 1]))
    from zaowu.backends.video import edit_video

    rows = []
    log.info(
        "load average before: %s (2 cores shared with other work: wall figures are pessimistic)",
        " ".join(f"{v:.1f}" for v in os.getloadavg()),
    )
    with tempfile.TemporaryDirectory() as tmp:
        for width, height in [(1280, 720)] + ([(1920, 1080)] if args.full_hd else []):
            clip = Path(tmp) / f"clip{height}.mp4"
            scene = make_scene(clip, width=width, height=height, seconds=args.seconds, size=height // 6, crf=20)
            long_clip = Path(tmp) / f"long{height}.mp4"
            edit_video([clip] * args.copies, [], long_clip)  # stream copy: a longer clip for the copy figure
            box = json.dumps(list(scene.boxes[0]))
            for name in names:
                source = long_clip if name.startswith("stream_copy") else clip
                out = subprocess.run(
                    [sys.executable, __file__, "--one", name, "--clip", str(source), "--box", box],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if out.returncode:
                    log.error("%s failed: %s", name, out.stderr.strip().splitlines()[-1:])
                    continue
                row = json.loads(out.stdout.strip().splitlines()[-1])
                rows.append(row)
                log.info(
                    "%-16s %-9s %6.1f fps  op %6s fps  cpu %6.1f fps  %6.1fx real time  peak %4d MB%s",
                    name,
                    row["size"],
                    row["fps"],
                    row["op_fps"] or "-",
                    row["cpu_fps"],
                    row["x_real_time"],
                    row["peak_rss_mb"],
                    "  (stream copy)" if row["copied"] else "",
                )
        if args.long:
            rows.append(_long_run(Path(tmp), args.long))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


def _long_run(tmp: Path, minutes: float) -> dict:
    from video_scenes import make_scene

    from zaowu.backends.video import VideoLimits, edit_video

    clip = tmp / "piece.mp4"
    make_scene(clip, width=1280, height=720, seconds=10.0, size=120, crf=23, audio=True)
    copies = max(1, round(minutes * 6))
    long_clip = tmp / "long.mp4"
    edit_video([clip] * copies, [], long_clip, limits=VideoLimits(max_inputs=copies))  # stream copy
    out = subprocess.run(
        [sys.executable, __file__, "--one", "long", "--clip", str(long_clip)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        log.error("long run failed: %s", out.stderr.strip().splitlines()[-1:])
        return {"op": "long_trim_style", "error": True}
    row = json.loads(out.stdout.strip().splitlines()[-1])
    log.info(
        "%s: %d frames of 720p in %.0f s (%.1f fps), RSS %s MB at 10%%, %s MB at the end",
        row["op"],
        row["frames"],
        row["seconds"],
        row["fps"],
        row.get("rss_at_10pct_mb"),
        row.get("rss_at_end_mb"),
    )
    return row


if __name__ == "__main__":
    main()
