"""Offline assets: the versions folium expects, inlining, and the warning without them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import folium
import folium.plugins
import pytest

from mcp_geo.maps import _assets
from mcp_geo.maps._assets import CDN_FILES, UNUSED_DEFAULTS, find_asset, inline_assets

ROOT = Path(__file__).resolve().parents[2]


def _folium_assets() -> list[tuple[str, str]]:
    out = []
    plugins = (folium.plugins.Fullscreen, folium.plugins.DualMap, folium.plugins.MarkerCluster)
    for cls in (folium.Map, *plugins):
        out += list(cls.default_js) + list(getattr(cls, "default_css", []))
    return out


def test_every_folium_asset_the_maps_use_has_a_local_source():
    used = [(n, u) for n, u in _folium_assets() if n not in UNUSED_DEFAULTS]
    assert used, "folium's default assets were not found"
    assert [u for _, u in used if u not in CDN_FILES] == []


def test_package_json_pins_the_versions_folium_names():
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for url, (package, version, _) in CDN_FILES.items():
        assert pinned[package] == version, url
        assert lock[f"node_modules/{package}"]["version"] == version, url
        if "@" in url.split("/npm/")[-1]:  # jsdelivr npm addresses carry package@version
            assert f"{package}@{version}" in url
        if "cdnjs.cloudflare.com" in url:  # cdnjs addresses carry /package/version/
            assert f"/{package}/{version}/" in url


def _fake_node_modules(root: Path, version: str = "1.9.3") -> Path:
    leaflet = root / "node_modules" / "leaflet"
    (leaflet / "dist" / "images").mkdir(parents=True)
    (leaflet / "package.json").write_text(json.dumps({"name": "leaflet", "version": version}))
    (leaflet / "dist" / "leaflet.js").write_text('var a = "</script>"; window.L = {};')
    (leaflet / "dist" / "leaflet.css").write_text(
        ".a{background:url(images/layers.png)} .b{behavior:url(#default#VML)}"
    )
    (leaflet / "dist" / "images" / "layers.png").write_bytes(b"\x89PNG fake")
    return root / "node_modules"


LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
PAGE = (
    f'<head><script src="{LEAFLET_JS}"></script>'
    f'<link rel="stylesheet" href="{LEAFLET_CSS}"/>'
    '<script src="https://example.org/unknown.js"></script></head>'
)


def test_inline_replaces_scripts_and_styles_and_embeds_css_images(tmp_path):
    folder = _fake_node_modules(tmp_path)
    page = inline_assets(PAGE, folders=[folder])
    assert page.inlined == (LEAFLET_JS, LEAFLET_CSS)
    assert page.missing == ("https://example.org/unknown.js",)
    assert not page.self_contained
    assert f'src="{LEAFLET_JS}"' not in page.html
    assert 'var a = "<\\/script>"' in page.html
    assert 'url("data:image/png;base64,' in page.html
    assert "url(#default#VML)" in page.html
    assert page.source == folder


def test_a_different_version_is_not_used(tmp_path):
    folder = _fake_node_modules(tmp_path, version="1.9.4")
    assert find_asset(LEAFLET_JS, [folder]) is None
    page = inline_assets(PAGE, folders=[folder])
    assert page.inlined == ()
    assert page.html == PAGE


def test_environment_variable_comes_first(tmp_path, monkeypatch):
    monkeypatch.setenv(_assets.ASSETS_ENV, str(tmp_path / "x"))
    assert _assets.asset_folders()[0] == tmp_path / "x"


def test_without_assets_the_map_loads_them_from_cdns_and_says_so(
    ns_plan, tmp_path, monkeypatch, caplog
):
    from mcp_geo.maps.render import write_map

    monkeypatch.setattr(_assets, "asset_folders", lambda: [tmp_path / "none"])
    with caplog.at_level(logging.WARNING, logger="mcp_geo.maps.render"):
        written = write_map(ns_plan, tmp_path / "map.html")
    assert not written.self_contained
    assert LEAFLET_JS in written.missing_assets
    assert "NOT self-contained" in caplog.text
    assert f'<script src="{LEAFLET_JS}"></script>' in written.path.read_text()


def test_the_installed_assets_are_found():
    missing = [u for u in CDN_FILES if find_asset(u) is None]
    if missing == list(CDN_FILES):
        pytest.fail(
            "no browser assets installed: run scripts/ensure-venv.sh dev (npm ci into .cache/assets)"
        )
    assert missing == []
