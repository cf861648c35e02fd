"""Make a Folium map work with no network (离线地图): inline the vendored assets.

Folium's elements list their JS/CSS as CDN links (``default_js``/``default_css``);
out of the box a map pulls scripts from six hosts and shows nothing offline.
:func:`make_offline` walks the element tree, drops every CDN link, and puts the copies
vendored in ``maps/static/`` (Leaflet, leaflet.fullscreen, leaflet-measure, with their
licences) into the page header; images the CSS references become ``data:`` URIs.
Links the maps do not need (jQuery, Bootstrap, awesome-markers) are dropped; a link
with no local copy is an error, never a silent CDN fallback.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

from branca.element import Element, Figure

__all__ = ["STATIC_DIR", "RawHTML", "asset_html", "make_offline", "remote_references"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

#: Folium resource name → vendored file (``None``: not needed by devzone maps).
_LOCAL: dict[str, str | None] = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "Control.Fullscreen.js": "leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
    "leaflet_measure_js": "leaflet-measure/leaflet-measure.cn.js",
    "leaflet_measure_css": "leaflet-measure/leaflet-measure.css",
    "jquery": None,
    "bootstrap": None,
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers": None,
    "awesome_markers_css": None,
    "awesome_markers_font_css": None,
    "awesome_rotate_css": None,
}
#: Load order (Leaflet before its plugins).
_ORDER = list(_LOCAL)

_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}
_URL = re.compile(r"url\(\s*(['\"]?)([^)'\"]+)\1\s*\)")
_REMOTE = re.compile(
    r"<script[^>]+src\s*=\s*['\"]?(?:https?:)?//[^'\" >]+"
    r"|<link[^>]+href\s*=\s*['\"]?(?:https?:)?//[^'\" >]+"
    r"|@import\s+(?:url\()?['\"]?(?:https?:)?//[^'\" )]+"
    r"|url\(\s*['\"]?(?:https?:)?//[^'\" )]+",
    re.IGNORECASE,
)


class RawHTML(Element):
    """An element that renders its text verbatim (no Jinja parsing of inlined JS)."""

    def __init__(self, html: str) -> None:
        super().__init__("")
        self._html = html

    def render(self, **kwargs: object) -> str:
        """Return the text unchanged."""
        return self._html


@cache
def _inline_css(rel: str) -> str:
    path = STATIC_DIR / rel

    def data_uri(m: re.Match[str]) -> str:
        ref = m.group(2)
        if ref.startswith(("data:", "#")):
            return m.group(0)
        target = (path.parent / ref).resolve()
        mime = _MIME.get(target.suffix.lower())
        if mime is None or not target.is_file():
            raise FileNotFoundError(f"{rel} references {ref}, which is not vendored")
        b64 = base64.b64encode(target.read_bytes()).decode("ascii")
        return f'url("data:{mime};base64,{b64}")'

    return _URL.sub(data_uri, path.read_text(encoding="utf-8"))


@cache
def _inline_js(rel: str) -> str:
    # "</script" inside a script element would end it early; "<\/" is the same in JS.
    return (STATIC_DIR / rel).read_text(encoding="utf-8").replace("</script", "<\\/script")


def asset_html(names: list[str] | tuple[str, ...]) -> str:
    """``<style>``/``<script>`` elements inlining the vendored files for ``names``."""
    parts: list[str] = []
    for name in sorted(set(names), key=_ORDER.index):
        rel = _LOCAL[name]
        if rel is None:
            continue
        if rel.endswith(".css"):
            parts.append(f"<style>/* {rel} */\n{_inline_css(rel)}</style>")
        else:
            parts.append(f"<script>/* {rel} */\n{_inline_js(rel)}</script>")
        if name == "leaflet":
            parts.append(f"<script>{_marker_icons()}</script>")
    return "\n".join(parts)


def _data_uri(rel: str) -> str:
    path = STATIC_DIR / rel
    b64 = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:{_MIME[path.suffix.lower()]};base64,{b64}"


@cache
def _marker_icons() -> str:
    """Point Leaflet's default marker (used by the measure tool) at inlined images.

    Leaflet guesses the icon folder from the CSS background URL, which fails for a
    ``data:`` URI and would request ``marker-icon.png`` next to the HTML.
    """
    icons = {
        "iconUrl": _data_uri("leaflet/images/marker-icon.png"),
        "iconRetinaUrl": _data_uri("leaflet/images/marker-icon-2x.png"),
        "shadowUrl": _data_uri("leaflet/images/marker-shadow.png"),
    }
    opts = ",".join(f'{k}:"{v}"' for k, v in icons.items())
    return f"L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({{{opts}}});"


def make_offline(figure: Figure) -> list[str]:
    """Replace every Folium CDN link under ``figure`` by inlined local copies.

    Call it once the map is complete and before rendering. Returns the resource names
    inlined. Raises ``ValueError`` for a resource with no vendored copy.
    """
    wanted: list[str] = []
    stack = [figure]
    while stack:
        el = stack.pop()
        stack.extend(getattr(el, "_children", {}).values())
        for attr in ("default_js", "default_css"):
            links = getattr(el, attr, None)
            if not links:
                continue
            for name, url in links:
                if name not in _LOCAL:
                    raise ValueError(f"no offline copy of {name} ({url}) in maps/static")
                wanted.append(name)
            setattr(el, attr, [])  # instance attribute shadows the class's CDN list
    names = [n for n in dict.fromkeys(wanted) if _LOCAL[n] is not None]
    # Leaflet itself is always needed first, even if no element asked for it.
    names = list(dict.fromkeys(["leaflet_css", "leaflet", *names]))
    figure.header.add_child(RawHTML(asset_html(names)), name="devzone_offline_assets", index=0)
    return names


def remote_references(html: str) -> list[str]:
    """Every script/stylesheet/CSS reference to a remote host left in ``html``."""
    return _REMOTE.findall(html)
