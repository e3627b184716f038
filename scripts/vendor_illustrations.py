#!/usr/bin/env python3
"""Regenerate the design engine's illustration subset from the Iconify JSON packages on npm.

The design engine draws full-colour emoji illustrations as hero art (a moon and mooncakes for
中秋, a dress for women's wear). They come from two permissively licensed sets published on npm
as Iconify JSON:

    @iconify-json/fluent-emoji-flat   Fluent Emoji Flat, Microsoft, MIT       (the default source)
    @iconify-json/noto                Noto Emoji, Google, Apache-2.0          (names in NOTO below)

zaowu has no run-time npm dependency: this script copies just the icons the category table names
(``zaowu.backends.design.categories.ART_NAMES``) into one JSON file inside the package,
``src/zaowu/backends/design/art/illustrations.json``, each with its SVG body, size, source set
and licence. The licence texts sit beside it (LICENSE-fluent-emoji.txt, LICENSE-noto-emoji.txt,
NOTICE.md). Run it after adding art names to the table:

    python scripts/vendor_illustrations.py                 # npm pack both packages into a temp dir
    python scripts/vendor_illustrations.py --from DIR      # DIR holds the unpacked packages
                                                          # (DIR/fluent-emoji-flat/icons.json, DIR/noto/icons.json)

Needs ``npm`` on PATH for the first form (the public registry, or your mirror via npm config).
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from zaowu.backends.design.categories import ART_NAMES

log = logging.getLogger("vendor_illustrations")

PACKAGES = {
    "fluent-emoji-flat": {
        "npm": "@iconify-json/fluent-emoji-flat",
        "version": "1.2.6",
        "name": "Fluent Emoji Flat",
        "author": "Microsoft Corporation",
        "licence": "MIT",
        "url": "https://github.com/microsoft/fluentui-emoji",
    },
    "noto": {
        "npm": "@iconify-json/noto",
        "version": "1.2.9",
        "name": "Noto Emoji",
        "author": "Google Inc.",
        "licence": "Apache-2.0",
        "url": "https://github.com/googlefonts/noto-emoji",
    },
}
# Icons taken from Noto Emoji instead of Fluent (richer drawings where the flat one reads poorly when large).
NOTO = {"moon-cake", "teacup-without-handle", "moon-viewing-ceremony", "rice-ball"}
OUT = ROOT / "src/zaowu/backends/design/art/illustrations.json"


def _npm_pack(prefix: str, dest: Path) -> Path:
    pkg = PACKAGES[prefix]
    spec = f"{pkg['npm']}@{pkg['version']}"
    log.info("npm pack %s", spec)
    name = (
        subprocess.run(["npm", "pack", spec, "--silent"], cwd=dest, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    folder = dest / prefix
    with tarfile.open(dest / name) as tar:
        tar.extractall(folder, filter="data")
    return folder / "package"


def _load(prefix: str, source: Path | None, tmp: Path) -> dict:
    folder = source / prefix if source else _npm_pack(prefix, tmp)
    if not (folder / "icons.json").exists() and (folder / "package" / "icons.json").exists():
        folder = folder / "package"
    return json.loads((folder / "icons.json").read_text())


def _icon(data: dict, name: str) -> dict | None:
    """An icon's body and size, following one level of alias (without transformations)."""
    icons, aliases = data["icons"], data.get("aliases", {})
    if name not in icons and name in aliases and set(aliases[name]) == {"parent"}:
        name = aliases[name]["parent"]
    icon = icons.get(name)
    if icon is None:
        return None
    return {
        "body": icon["body"],
        "width": icon.get("width", data.get("width", 16)),
        "height": icon.get("height", data.get("height", 16)),
    }


def build(source: Path | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        sets = {prefix: _load(prefix, source, Path(tmp)) for prefix in PACKAGES}
    icons, missing = {}, []
    for name in sorted(ART_NAMES):
        order = ("noto", "fluent-emoji-flat") if name in NOTO else ("fluent-emoji-flat", "noto")
        for prefix in order:
            if (icon := _icon(sets[prefix], name)) is not None:
                icons[name] = {"set": prefix, "licence": PACKAGES[prefix]["licence"], **icon}
                break
        else:
            missing.append(name)
    if missing:
        raise SystemExit(f"not in either set: {', '.join(missing)}")
    return {
        "about": "Full-colour emoji illustrations vendored from Iconify JSON packages by "
        "scripts/vendor_illustrations.py; see NOTICE.md and the LICENSE files beside this one.",
        "sets": {p: dict(pkg) for p, pkg in PACKAGES.items()},
        "icons": icons,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", type=Path, help="folder with the unpacked packages")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = build(args.source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n")
    by_set = {p: sum(1 for i in data["icons"].values() if i["set"] == p) for p in PACKAGES}
    log.info("wrote %s: %d icons %s, %d bytes", args.out, len(data["icons"]), by_set, args.out.stat().st_size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
