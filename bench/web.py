"""First paint and page weight of every studio page, in Debian's Chromium on loopback.

    python bench/web.py [--base-url URL] [--models-dir DIR] [--repeat N]

Without --base-url it starts its own ``zaowu serve`` (no model needs loading: no page
generates anything on open). Page weight counts every response the page loads (HTML,
CSS, JavaScript, translations, API JSON), excluding generated media (/v1/artifacts).
Targets from issue 7: first paint < 1 s, weight < 300 KB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["home", "chat", "templates", "apps", "images", "audio", "jobs", "history", "settings"]


def measure(browser, base: str, page_name: str) -> tuple[float, float, int]:
    """(first paint ms, page ready ms, bytes) of one cold load of a page."""
    ctx = browser.new_context(locale="en-US")
    page = ctx.new_page()
    sizes: list[int] = []

    def on_response(resp):
        if "/v1/artifacts/" not in resp.url:
            try:
                sizes.append(len(resp.body()))
            except Exception:  # noqa: BLE001, S110 - a streamed response (events) has no body to count
                pass

    page.on("response", on_response)
    route = "" if page_name == "home" else page_name
    started = time.perf_counter()
    page.goto(f"{base}/#/{route}")
    page.wait_for_selector(f'main[data-page="{page_name}"][data-ready="1"]')
    ready = (time.perf_counter() - started) * 1000
    page.wait_for_load_state("networkidle")
    paint = page.evaluate(
        "(performance.getEntriesByName('first-contentful-paint')[0] || "
        "performance.getEntriesByType('paint')[0] || {startTime: -1}).startTime"
    )
    ctx.close()
    return paint, ready, sum(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url")
    parser.add_argument("--models-dir", type=Path, default=ROOT / ".cache" / "models")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    from tests.web_helpers import launch

    server = None
    if not args.base_url:
        from tests.conftest import Server

        server = Server(Path(tempfile.mkdtemp(prefix="zaowu-bench-web-")), args.models_dir)
        args.base_url = server.base_url
    try:
        with sync_playwright() as p:
            browser = launch(p)
            print(f"{'page':10} {'first paint ms':>15} {'ready ms':>9} {'weight KB':>10}")
            for name in PAGES:
                runs = [measure(browser, args.base_url, name) for _ in range(args.repeat)]
                paint = min(r[0] for r in runs)
                ready = min(r[1] for r in runs)
                weight = max(r[2] for r in runs)
                print(f"{name:10} {paint:15.0f} {ready:9.0f} {weight / 1024:10.1f}")
            browser.close()
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    main()
