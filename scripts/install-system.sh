#!/usr/bin/env bash
# Debian/Ubuntu packages zaowu needs. Safe to re-run; skipped where apt-get is absent.
set -euo pipefail
# fluidsynth + fluid-soundfont-gm: music rendering; ffmpeg: audio formats; espeak-ng: fallback voices
# libreoffice-*-nogui: office files to PDF; poppler-utils: PDF text for tests; carlito/caladea: Calibri/Cambria metrics
# fonts-*: the design engine's CJK and Latin fonts (OFL; DejaVu under the Bitstream Vera licence)
PACKAGES=(python3-venv python3-pip fluidsynth fluid-soundfont-gm ffmpeg espeak-ng
  fonts-noto-cjk fonts-dejavu-core fonts-inter fonts-league-spartan fonts-lato fonts-ebgaramond
  fonts-bebas-neue fonts-comfortaa
  libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui poppler-utils
  fonts-crosextra-carlito fonts-crosextra-caladea
  chromium)  # chromium: the web studio's browser tests (Playwright drives the system browser)
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found: install ${PACKAGES[*]} with your system's package manager" >&2
  exit 0
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
