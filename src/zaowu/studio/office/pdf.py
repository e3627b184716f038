"""Office file → PDF with LibreOffice headless, one private profile per call.

LibreOffice refuses to run two instances on one user profile, so every call
gets a throwaway profile (``-env:UserInstallation=file:///tmp/…``) and its own
folder: concurrent conversions never collide. LibreOffice is MPL-licensed and
runs as a separate process.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ...errors import BackendError, InvalidRequest

log = logging.getLogger(__name__)

__all__ = ["to_pdf", "soffice_path", "LIBREOFFICE_PACKAGES"]

LIBREOFFICE_PACKAGES = "libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui"
_SUFFIXES = ("xlsx", "docx", "pptx", "xls", "doc", "ppt", "ods", "odt", "odp", "rtf", "csv")


def soffice_path() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(data: bytes, suffix: str, timeout: float = 120) -> bytes:
    """Convert an office file (given as bytes, with its suffix such as 'xlsx') to PDF bytes."""
    kind = suffix.lower().lstrip(".")
    if kind not in _SUFFIXES:
        raise InvalidRequest(
            f"Cannot convert '{suffix}' files to PDF. Use one of: {', '.join(_SUFFIXES)}.", param="suffix"
        )
    program = soffice_path()
    if program is None:
        raise BackendError(
            "LibreOffice is not installed, so office files cannot be converted to PDF. "
            f"Install it with: apt-get install {LIBREOFFICE_PACKAGES}"
        )
    with tempfile.TemporaryDirectory(prefix="zaowu-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / f"document.{kind}"
        source.write_bytes(data)
        command = [
            program,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder / "out"),
            str(source),
        ]
        stdout, stderr, code = _run(command, timeout)
        pdf = folder / "out" / "document.pdf"
        if code != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
            lines = [ln for ln in (stderr + stdout).splitlines() if ln.strip() and "javaldx" not in ln]
            detail = " ".join(lines)[-500:] or f"exit status {code}, no PDF written"
            raise BackendError(f"LibreOffice could not convert the {kind} file to PDF: {detail}")
        result = pdf.read_bytes()
    log.debug("converted %s (%d bytes) to PDF (%d bytes)", kind, len(data), len(result))
    return result


def _run(command: list[str], timeout: float) -> tuple[str, str, int]:
    """Run LibreOffice in its own process group, so a timeout ends its helper processes too."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, text=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise BackendError(
            f"LibreOffice did not finish the PDF conversion within {timeout:g} s; "
            "pass a larger timeout or simplify the document."
        ) from None
    return stdout, stderr, proc.returncode
