"""Helpers for the browser tests: Debian's Chromium driven by Playwright (no browser
download), pages that record console errors, and screenshots under test-output/web/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "web"
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str:
    path = os.environ.get("ZAOWU_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("Debian's chromium is not installed (scripts/install-system.sh installs it)")
    return path


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
    )


class Page:
    """A Playwright page that keeps every console error and uncaught exception."""

    def __init__(self, browser, base_url: str, locale: str = "en-US", viewport: dict | None = None):
        self.context = browser.new_context(locale=locale, viewport=viewport or {"width": 1280, "height": 800})
        self.page = self.context.new_page()
        self.base_url = base_url
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"exception: {e}"))
        self.page.set_default_timeout(30_000)

    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.base_url}/#/{route}")
        self.wait_page(route.split("?", maxsplit=1)[0] or "home")

    def wait_page(self, name: str) -> None:
        self.page.wait_for_selector(f'main[data-page="{name}"][data-ready="1"]')

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()
