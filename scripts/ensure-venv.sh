#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install mcp-geo into it, once; re-install when pyproject.toml changes.
# Usage: scripts/ensure-venv.sh [dev]   ("dev" adds the test tools and Debian's chromium for browser tests)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
want="${1:-}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv >&2
  .venv/bin/python -m pip install --quiet --upgrade pip >&2
fi
stamp=".venv/.mcp-geo-installed${want:+-$want}"
hash="$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
  if [ "$want" = "dev" ]; then
    .venv/bin/python -m pip install --quiet -e ".[dev]" >&2
  else
    .venv/bin/python -m pip install --quiet -e . >&2
  fi
  echo "$hash" > "$stamp"
fi
if [ "$want" = "dev" ] && [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser tests" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq chromium >&2
fi
