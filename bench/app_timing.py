"""What the quality checks cost in time: app and template runs of the evaluation set, timed (issue 11).

    PYTHONPATH=<checkout>/src .venv/bin/python bench/app_timing.py --models-dir DIR --out before.json
    PYTHONPATH=src .venv/bin/python bench/app_timing.py --models-dir DIR --out after.json --baseline before.json

Issue 11's speed target is "no app run slower than 1.5x today's median because of the checks". This
bench runs the app and template requests of ``bench/quality_set.yaml`` (the same inputs and seeds as
``bench/quality.py``) through ``run_app`` / ``run_template`` and records each run's wall time. It only
uses what zaowu offered before the checks existed (no ``zaowu.studio.quality``, no ``who=``), so the same
file runs against an older checkout put first on ``PYTHONPATH``: run it there, then at HEAD with
``--baseline``, back to back on an idle machine, and it prints each target's median before and after and
their ratio. A request the older code rejects (an input field it did not have yet) is reported and left
out of both medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

SET_FILE = Path(__file__).with_name("quality_set.yaml")
KINDS = ("app", "template")


def load(path: Path, base_seed: int, only: list[str] | None, per_target: int | None) -> list[dict[str, Any]]:
    """The set's app/template entries, each with the seed bench/quality.py gives it (base + position)."""
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    taken: dict[str, int] = defaultdict(int)
    entries = []
    for position, item in enumerate(raw):
        if item["kind"] not in KINDS:
            continue
        if only and not any(item["id"].startswith(o) or o in (item["kind"], item["target"]) for o in only):
            continue
        if per_target is not None and taken[item["target"]] >= per_target:
            continue
        taken[item["target"]] += 1
        entries.append({**item, "seed": base_seed + position})
    return entries


def run(studio: Any, entry: dict[str, Any], model: str) -> None:
    if entry["kind"] == "app":
        from zaowu.apps.base import run_app

        run_app(studio, entry["target"], entry["input"], model=model, seed=entry["seed"])
    else:
        from zaowu.studio.templates import run_template

        run_template(
            studio, entry["target"], entry["input"], language=entry["language"], model=model, seed=entry["seed"]
        )


def generation_stats(db: Path, records: list[dict[str, Any]]) -> None:
    """Add to each record the language-model generations made while it ran (from the studio's generation
    log): how many, their prompt and output tokens, and their seconds."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT created_at, prompt_tokens, completion_tokens, duration_ms FROM generations "
            "WHERE modality = 'text' ORDER BY created_at"
        ).fetchall()
    for r in records:
        mine = [row for row in rows if r["started_at"] <= row[0] <= r["ended_at"]]
        r["generations"] = len(mine)
        r["prompt_tokens"] = sum(row[1] or 0 for row in mine)
        r["completion_tokens"] = sum(row[2] or 0 for row in mine)
        r["generation_seconds"] = round(sum(row[3] or 0 for row in mine) / 1000, 1)


def medians(records: list[dict[str, Any]], ids: set[str]) -> dict[str, float]:
    by_target: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r["id"] in ids:
            by_target[r["target"]].append(r["seconds"])
    return {t: statistics.median(s) for t, s in sorted(by_target.items())}


def _mean_generations(records: list[dict[str, Any]], ids: set[str], target: str) -> float:
    counts = [r.get("generations", 0) for r in records if r["id"] in ids and r["target"] == target]
    return statistics.mean(counts) if counts else 0.0


def compare(records: list[dict[str, Any]], baseline: list[dict[str, Any]]) -> dict[str, Any]:
    """Per target: the median wall time before and after over the requests both runs completed."""
    ran = {r["id"] for r in records} & {r["id"] for r in baseline}
    ok_now = {r["id"] for r in records if not r["error"]} & ran
    ok_before = {r["id"] for r in baseline if not r["error"]} & ran
    both = ok_now & ok_before
    before, after = medians(baseline, both), medians(records, both)
    rows = {
        t: {
            "before_s": before[t],
            "after_s": after[t],
            "ratio": after[t] / before[t],
            "generations_before": _mean_generations(baseline, both, t),
            "generations_after": _mean_generations(records, both, t),
        }
        for t in after
    }
    total_before = sum(r["seconds"] for r in baseline if r["id"] in both)
    total_after = sum(r["seconds"] for r in records if r["id"] in both)
    return {
        "compared": sorted(both),
        "left_out": sorted((ok_now | ok_before) - both),
        "targets": rows,
        "total_ratio": total_after / total_before if total_before else None,
        "worst": max(rows.items(), key=lambda kv: kv[1]["ratio"])[0] if rows else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", type=Path, default=SET_FILE)
    ap.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    ap.add_argument("--only", nargs="+", help="ids (or id prefixes), targets or kinds")
    ap.add_argument("--per-target", type=int, help="at most this many requests per app or template")
    ap.add_argument("--seed", type=int, default=7, help="base seed, as bench/quality.py")
    ap.add_argument("--models-dir", type=Path)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--n-ctx", type=int, default=4096)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--baseline", type=Path, help="a previous run's --out to compare with")
    args = ap.parse_args()

    import zaowu
    from zaowu.settings import Settings
    from zaowu.studio.engine import Studio

    entries = load(args.set, args.seed, args.only, args.per_target)
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="zaowu-timing-")),
        default_chat_model=args.model,
        n_ctx=args.n_ctx,
        n_threads=args.threads,
        **({"models_dir": args.models_dir} if args.models_dir else {}),
    )
    print(f"{len(entries)} run(s) with {args.model}; zaowu from {Path(zaowu.__file__).parent}", flush=True)
    records = []
    with Studio(settings) as studio:
        from zaowu.types import TextRequest

        # the model loads on the first call: load it outside the timings
        studio.generate_text(TextRequest(prompt="hi", max_tokens=1, model=args.model))
        for entry in entries:
            started_at, started = time.time(), time.perf_counter()
            error = None
            try:
                run(studio, entry, args.model)
            except Exception as exc:  # noqa: BLE001 - an older checkout may reject a newer input
                error = f"{type(exc).__name__}: {exc}"[:300]
            seconds = time.perf_counter() - started
            records.append(
                {
                    "id": entry["id"],
                    "target": entry["target"],
                    "seconds": seconds,
                    "error": error,
                    "started_at": started_at,
                    "ended_at": time.time(),
                }
            )
            print(f"  {entry['id']:32} {seconds:7.1f} s" + (f"  ERROR {error}" if error else ""), flush=True)
    generation_stats(settings.data_dir / "zaowu.db", records)
    payload: dict[str, Any] = {"model": args.model, "zaowu": str(Path(zaowu.__file__).parent), "records": records}
    if args.baseline:
        report = compare(records, json.loads(args.baseline.read_text(encoding="utf-8"))["records"])
        payload["comparison"] = report
        print(
            f"\n{'target':24} {'before':>8} {'after':>8} {'ratio':>6}  generations per run (before -> after)"
            f"   ({len(report['compared'])} runs compared)"
        )
        for target, row in report["targets"].items():
            print(
                f"{target:24} {row['before_s']:7.1f}s {row['after_s']:7.1f}s {row['ratio']:6.2f}  "
                f"{row['generations_before']:.1f} -> {row['generations_after']:.1f}"
            )
        if report["total_ratio"]:
            print(f"{'all runs':24} {'':8} {'':8} {report['total_ratio']:6.2f}")
        if report["left_out"]:
            print("left out (an error in one of the runs):", ", ".join(report["left_out"]))
    if args.out:
        args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
