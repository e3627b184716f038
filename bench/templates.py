"""Structured-output reliability of the shipped templates, and the store kit's wall time.

    .venv/bin/python bench/templates.py [--runs 50] [--model ID] [--only ID ...] [--store-kit]

For every template with an output schema, runs its examples (cycling) ``--runs`` times
with different seeds and counts outputs that parse as JSON and validate against the
schema (constrained decoding should make this 100%). ``--store-kit`` times the store kit
end to end (both examples) and prints each step's duration. Use the default model
(qwen2.5-coder-1.5b-instruct) on an idle machine for the figures in the notes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import jsonschema

from zaowu.apps.base import run_app
from zaowu.settings import Settings
from zaowu.studio.engine import Studio
from zaowu.studio.templates import run_template
from zaowu.studio.workflows import get_run
from zaowu.types import Caller


def reliability(studio: Studio, runs: int, only: list[str]) -> None:
    templates = [t for t in studio.templates.list() if t.output_schema and (not only or t.id in only)]
    total_ok = total = 0
    for t in templates:
        ok, seconds, failures = 0, [], []
        for i in range(runs):
            example = t.examples[i % len(t.examples)]
            started = time.perf_counter()
            try:
                result = run_template(studio, t.id, example, seed=1000 + i, who=Caller(interface="bench"))
                jsonschema.validate(result.output, t.output_schema)
                json.loads(result.text)
                ok += 1
            except Exception as exc:  # noqa: BLE001 - a failure is a data point
                failures.append(f"{type(exc).__name__}: {str(exc)[:120]}")
            seconds.append(time.perf_counter() - started)
        total_ok, total = total_ok + ok, total + runs
        print(
            f"{t.id:28} {ok:3d}/{runs} valid  median {statistics.median(seconds):5.1f} s/run"
            + (f"  first failure: {failures[0]}" if failures else ""),
            flush=True,
        )
    print(f"ALL: {total_ok}/{total} valid ({100 * total_ok / max(total, 1):.1f}%)")


def store_kit(studio: Studio) -> None:
    from zaowu.apps.store_kit import StoreKit

    for example in StoreKit.examples:
        started = time.perf_counter()
        run = run_app(studio, "store-kit", example, seed=7)
        wall = time.perf_counter() - started
        steps = get_run(studio, run.run_id).steps
        detail = ", ".join(f"{n} {s.get('duration_ms', 0) / 1000:.1f}s" for n, s in steps.items())
        print(f"store kit ({example['idea'][:24]}…): {wall:.1f} s  [{detail}]  name={run.result['name']!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--model", default=None)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--store-kit", action="store_true")
    parser.add_argument("--models-dir", default=None)
    args = parser.parse_args()
    overrides = {"data_dir": tempfile.mkdtemp(prefix="zaowu-bench-")}
    if args.models_dir:
        overrides["models_dir"] = args.models_dir
    if args.model:
        overrides["default_chat_model"] = args.model
    with Studio(Settings(**overrides)) as studio:
        print(f"model: {studio.default_model(__import__('zaowu.types').types.Modality.text)}")
        if args.store_kit:
            store_kit(studio)
        else:
            reliability(studio, args.runs, args.only)


if __name__ == "__main__":
    main()
