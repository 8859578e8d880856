#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install mcp-geo into it, once; re-install when pyproject.toml changes.
# Usage: scripts/ensure-venv.sh [dev]   ("dev" adds the test tools; both install Debian's chromium
# when it is missing: the browser tests need it, the board report prints its PDF with it)
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
    .venv/bin/python -m pip install --quiet -e ".[dev,roads]" >&2
  else
    .venv/bin/python -m pip install --quiet -e . >&2
  fi
  echo "$hash" > "$stamp"
fi
"$root/scripts/ensure-chromium.sh" "$want"
# Browser assets inlined into offline maps (Leaflet, Bootstrap, jQuery, plugins): the versions
# folium's templates name, pinned in package.json / package-lock.json, installed from the npm
# registry into the git-ignored .cache/assets (never committed). Without them maps still work
# but load these files from CDNs, and mcp-geo says so.
assets=".cache/assets"
lockhash="$(cat package.json package-lock.json | sha256sum | cut -c1-16)"
if [ ! -f "$assets/.installed" ] || [ "$(cat "$assets/.installed")" != "$lockhash" ]; then
  if command -v npm >/dev/null 2>&1; then
    mkdir -p "$assets"
    cp package.json package-lock.json "$assets/"
    if (cd "$assets" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2); then
      echo "$lockhash" > "$assets/.installed"
    else
      echo "warning: npm ci failed; maps will load their browser assets from CDNs" >&2
    fi
  else
    echo "warning: npm not found; maps will load their browser assets from CDNs" >&2
  fi
fi
