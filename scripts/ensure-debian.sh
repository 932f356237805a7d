#!/usr/bin/env bash
# Makes sure the Debian packages the tests drive are installed: Chromium for the browser end-to-end test
# (test/browser, driven by playwright-core; no npm package downloads a browser) and nginx for the self-hosted
# mTLS run (test/deno/nginx-mtls.test.ts). Arguments: package:binary pairs.
#   scripts/ensure-debian.sh chromium:/usr/bin/chromium nginx:/usr/sbin/nginx
set -euo pipefail
missing=()
for pair in "$@"; do
  pkg="${pair%%:*}"
  bin="${pair#*:}"
  [ -x "$bin" ] || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "ensure-debian: ${missing[*]} missing and this user cannot install packages; install Debian's ${missing[*]}" >&2
  exit 1
fi
echo "ensure-debian: installing Debian's ${missing[*]}..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
