#!/usr/bin/env bash
# The dashboard's browser tests (packages/app-web/test) drive Debian's Chromium through
# playwright-core; they need /usr/bin/chromium. Installs it when missing; a no-op otherwise.
set -euo pipefail
CHROMIUM="${PALETTE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available; install Chromium and set PALETTE_CHROMIUM" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
"$CHROMIUM" --version 2>/dev/null | grep -v 'unexpected operator' || true
