#!/usr/bin/env bash
# Create the virtual environment in .venv and install the project (and its test tools with
# --test). Debian packages that the tests need are installed when running as root.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests need: the browser the viewer tests drive (never a downloaded one) and
# a CJK font so that Chinese text renders in pictures, PDFs and screenshots.
APT_PACKAGES=(chromium fonts-noto-cjk)

if [ "${1:-}" = "--test" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
else
  .venv/bin/python -m pip install -q -e .
fi
