#!/usr/bin/env bash
# Install Debian's chromium when it is missing: the browser tests need it, and the main job prints
# the board report's PDF with it.
# Usage: scripts/ensure-chromium.sh [dev]
#   dev: for the tests, it must install (the script fails if it cannot);
#   otherwise a machine that cannot install it (no apt-get, neither root nor password-free sudo,
#   or apt failing) only loses report.pdf: a warning, and mcp-geo says so when it writes the report.
# CHROMIUM_PATH (default /usr/bin/chromium) is where Debian's package puts the browser.
set -euo pipefail
want="${1:-}"
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
install() {  # apt's own output goes to a log, shown when it fails
  local log
  log="$(mktemp)"
  if { $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium; } >"$log" 2>&1; then
    rm -f "$log"
    return 0
  fi
  tail -n 20 "$log" >&2
  rm -f "$log"
  return 1
}
if [ "$want" = "dev" ]; then
  echo "installing Debian's chromium for the browser tests" >&2
  install
elif command -v apt-get >/dev/null 2>&1 && { [ -z "$sudo" ] || sudo -n true 2>/dev/null; }; then
  echo "installing Debian's chromium for the board report's PDF" >&2
  install || echo "warning: chromium could not be installed; report.pdf will not be written" >&2
fi
