"""Inline the browser assets folium loads from CDNs, so that a map works offline.

folium's templates load Leaflet, jQuery, Bootstrap and each plugin's script from a CDN. A map a
planner attaches to a board paper must open on a laptop without a network, so :func:`inline_assets`
replaces each ``<script src=...>`` and ``<link rel="stylesheet" href=...>`` of a rendered page by
the file's text, read from an npm ``node_modules`` folder (the versions folium's templates name,
pinned in the repository's ``package.json`` / ``package-lock.json``; ``scripts/ensure-venv.sh``
installs them into ``.cache/assets``). Relative ``url(...)`` references in style sheets (Leaflet's
layer icons, the full-screen button) become ``data:`` URIs. Nothing here is copied into the
repository: the assets come from the npm registry at set-up time.

Folders searched, first found wins: ``$MCP_GEO_ASSETS`` (a ``node_modules`` folder),
``<repository>/.cache/assets/node_modules`` and ``~/.cache/mcp-geo/assets/node_modules``.
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ASSETS_ENV = "MCP_GEO_ASSETS"
"""Environment variable naming a ``node_modules`` folder that holds the assets."""

# CDN address (as folium 0.20's templates write it) -> (npm package, version, file in package).
# Versions are the ones in the addresses; Leaflet.Sync's address names no version (the
# repository's default branch), and 0.2.4 is its newest release on npm. Leaflet.markercluster's
# addresses (cdnjs) name the version in the path, not as package@version.
CDN_FILES: dict[str, tuple[str, str, str]] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": (
        "leaflet",
        "1.9.3",
        "dist/leaflet.js",
    ),
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": (
        "leaflet",
        "1.9.3",
        "dist/leaflet.css",
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery", "3.7.1", "dist/jquery.min.js"),
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": (
        "bootstrap",
        "5.2.2",
        "dist/js/bootstrap.bundle.min.js",
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": (
        "bootstrap",
        "5.2.2",
        "dist/css/bootstrap.min.css",
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": (
        "leaflet.fullscreen",
        "3.0.0",
        "Control.FullScreen.js",
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": (
        "leaflet.fullscreen",
        "3.0.0",
        "Control.FullScreen.css",
    ),
    "https://cdn.jsdelivr.net/gh/jieter/Leaflet.Sync/L.Map.Sync.min.js": (
        "leaflet.sync",
        "0.2.4",
        "L.Map.Sync.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js": (
        "leaflet.markercluster",
        "1.1.0",
        "dist/leaflet.markercluster.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css": (
        "leaflet.markercluster",
        "1.1.0",
        "dist/MarkerCluster.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": (
        "leaflet.markercluster",
        "1.1.0",
        "dist/MarkerCluster.Default.css",
    ),
}

UNUSED_DEFAULTS = frozenset(
    {"awesome_markers", "awesome_markers_css", "awesome_markers_font_css", "awesome_rotate_css"}
    | {"glyphicons_css"}
)
"""folium's default assets for ``folium.Icon`` markers, which these maps never use (their
markers are circles and ``DivIcon`` shapes): left out rather than inlined (Font Awesome's fonts
alone would add about 1 MB, and the Bootstrap 3 glyphicons sheet is not on npm)."""

_SCRIPT = re.compile(r'<script src="(?P<url>[^"]+)"></script>')
_STYLE = re.compile(r'<link rel="stylesheet" href="(?P<url>[^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\((?P<q>['\"]?)(?P<ref>[^'\")]+)(?P=q)\)")


@dataclass(frozen=True)
class InlinedPage:
    """A page with its assets inlined where they were found.

    Attributes
    ----------
    html
        The page.
    inlined
        CDN addresses replaced by the files' text.
    missing
        CDN addresses still loaded from the network (no local copy was found): the page is
        self-contained only when this is empty.
    source
        The ``node_modules`` folder read, or None.
    """

    html: str
    inlined: tuple[str, ...]
    missing: tuple[str, ...]
    source: Path | None

    @property
    def self_contained(self) -> bool:
        return not self.missing


def asset_folders() -> list[Path]:
    """The ``node_modules`` folders searched, in order (existing or not)."""
    folders = []
    if os.environ.get(ASSETS_ENV):
        folders.append(Path(os.environ[ASSETS_ENV]))
    folders.append(Path(__file__).resolve().parents[2] / ".cache" / "assets" / "node_modules")
    folders.append(Path.home() / ".cache" / "mcp-geo" / "assets" / "node_modules")
    return folders


def _installed_version(folder: Path, package: str) -> str | None:
    manifest = folder / package / "package.json"
    if not manifest.is_file():
        return None
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8")).get("version"))
    except (OSError, ValueError):
        return None


def find_asset(url: str, folders: list[Path] | None = None) -> Path | None:
    """The local file for a CDN address, at the version the address names, or None."""
    if url not in CDN_FILES:
        return None
    package, version, name = CDN_FILES[url]
    for folder in asset_folders() if folders is None else folders:
        path = folder / package / name
        if path.is_file() and _installed_version(folder, package) == version:
            return path
    return None


def _data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _css_text(path: Path) -> str:
    """The style sheet with relative ``url(...)`` references turned into data URIs."""

    def replace(match: re.Match[str]) -> str:
        ref = match.group("ref")
        if ref.startswith(("data:", "#", "http:", "https:", "//")):
            return match.group(0)
        target = (path.parent / ref.split("?")[0].split("#")[0]).resolve()
        if not target.is_file():
            log.warning("%s refers to %s, which is not there", path.name, ref)
            return match.group(0)
        return f'url("{_data_uri(target)}")'

    return _CSS_URL.sub(replace, path.read_text(encoding="utf-8"))


def _script_text(path: Path) -> str:
    # "</script" inside a script would end the element early; "<\/script" means the same in JS.
    return path.read_text(encoding="utf-8").replace("</script", "<\\/script")


def inline_assets(html: str, *, folders: list[Path] | None = None) -> InlinedPage:
    """Replace the page's CDN scripts and style sheets by their local text where found."""
    inlined: list[str] = []
    missing: list[str] = []
    used: set[Path] = set()

    def replacer(tag: str, text_of: Callable[[Path], str]) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            url = match.group("url")
            path = find_asset(url, folders)
            if path is None:
                missing.append(url)
                return match.group(0)
            inlined.append(url)
            used.add(path)
            return f"<{tag}>/* {url} */\n{text_of(path)}\n</{tag}>"

        return replace

    script = replacer("script", _script_text)
    style = replacer("style", _css_text)

    out = _STYLE.sub(style, _SCRIPT.sub(script, html))
    source = _node_modules_of(min(used)) if used else None
    return InlinedPage(html=out, inlined=tuple(inlined), missing=tuple(missing), source=source)


def _node_modules_of(path: Path) -> Path | None:
    for parent in path.parents:
        if parent.name == "node_modules":
            return parent
    return None
