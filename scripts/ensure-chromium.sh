#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser end-to-end test (test/browser).
# playwright-core drives it; no browser is downloaded by any npm package.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "ensure-chromium: $CHROMIUM is missing and this user cannot install packages; install Debian's 'chromium' package" >&2
  exit 1
fi
echo "ensure-chromium: installing Debian's chromium package..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
"$CHROMIUM" --version >&2
