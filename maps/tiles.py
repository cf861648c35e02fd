"""Local and intranet basemaps (本地/内网瓦片): ``devzone map --tiles DIR|URL``.

Bureau PCs on the government network often reach neither OSM nor 高德, so a map may
take its basemap from

* an XYZ tile folder ``DIR/{z}/{x}/{y}.png`` (or ``.jpg``/``.webp``): the page points
  at it by a path relative to the HTML file, so the folder must stay next to the map
  (copy both together);
* an ``.mbtiles`` file (SQLite, TMS rows): its tiles are written once as an XYZ folder
  ``<map name>_tiles/`` next to the HTML (a browser cannot read SQLite from ``file:``;
  a folder keeps the HTML small and loads only the tiles in view);
* an intranet URL template with ``{z}``, ``{x}``, ``{y}`` (needs that network).

Every local source is taken to be web mercator in WGS84/CGCS2000 (the data is not
shifted); a GCJ-02 tile set would sit ≈ 500 m off.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from devzone.errors import InputError
from devzone.policy.sections import Basemap

__all__ = ["LocalTiles", "local_basemap", "mbtiles_to_folder"]

_EXTS = ("png", "jpg", "jpeg", "webp")


@dataclass(frozen=True)
class LocalTiles:
    """A ``--tiles`` basemap and whether it needs a network (``False``: a folder)."""

    basemap: Basemap
    network: bool


def _folder_format(folder: Path) -> tuple[str, int, int]:
    """Tile extension and the min/max zoom levels present in an XYZ folder."""
    zooms = sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit())
    if not zooms:
        raise InputError(
            f"{folder} holds no zoom folders; --tiles expects DIR/{{z}}/{{x}}/{{y}}.png",
            file=str(folder),
        )
    for z in zooms:
        for ext in _EXTS:
            if next((folder / str(z)).glob(f"*/*.{ext}"), None) is not None:
                return ext, zooms[0], zooms[-1]
    raise InputError(f"{folder} holds no .png/.jpg/.webp tiles", file=str(folder))


def mbtiles_to_folder(mbtiles: Path, folder: Path) -> str:
    """Write every tile of an MBTiles file as ``folder/{z}/{x}/{y}.<ext>``; returns ext.

    MBTiles rows are TMS (row 0 at the south), XYZ rows count from the north.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> con = sqlite3.connect(d / "t.mbtiles")
    >>> _ = con.executescript("CREATE TABLE metadata (name text, value text);"
    ...     "CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, tile_data blob);"
    ...     "INSERT INTO metadata VALUES ('format', 'png');"
    ...     "INSERT INTO tiles VALUES (1, 0, 0, x'89504e47');")
    >>> con.commit(); con.close()
    >>> mbtiles_to_folder(d / "t.mbtiles", d / "out")
    'png'
    >>> (d / "out" / "1" / "0" / "1.png").read_bytes()
    b'\\x89PNG'
    """
    try:
        con = sqlite3.connect(f"{mbtiles.resolve().as_uri()}?mode=ro", uri=True)
        try:
            meta = dict(con.execute("SELECT name, value FROM metadata").fetchall())
            ext = {"jpeg": "jpg"}.get(meta.get("format", "png"), meta.get("format", "png"))
            for z, x, row, blob in con.execute(
                "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"
            ):
                y = (1 << int(z)) - 1 - int(row)
                target = folder / str(z) / str(x) / f"{y}.{ext}"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(blob)
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise InputError(
            f"{mbtiles} is not a readable MBTiles file ({exc})", file=str(mbtiles)
        ) from exc
    return ext


def local_basemap(source: str, out_html: Path) -> LocalTiles:
    """The basemap of ``--tiles source`` for a map written to ``out_html``.

    Raises
    ------
    InputError
        The folder or file does not exist or holds no tiles.
    """
    if source.startswith(("http://", "https://")):
        if not all(k in source for k in ("{z}", "{x}", "{y}")):
            raise InputError(f"--tiles {source!r}: a URL needs {{z}}, {{x}} and {{y}}")
        base = Basemap(
            label="内网瓦片", crs="WGS84", url=source, labels_url="", subdomains="",
            attribution="内网瓦片", max_zoom=19,
        )  # fmt: skip
        return LocalTiles(base, network=True)
    path = Path(source)
    if not path.exists():
        raise InputError(f"--tiles {source}: no such folder or .mbtiles file", file=source)
    out_dir = Path(out_html).resolve().parent
    if path.is_file():
        folder = out_dir / f"{Path(out_html).stem}_tiles"
        ext = mbtiles_to_folder(path, folder)
    else:
        folder = path.resolve()
    ext, _, max_zoom = _folder_format(folder)
    try:
        rel = Path(os.path.relpath(folder, out_dir)).as_posix()
    except ValueError:  # another drive (Windows): an absolute file: URL
        rel = folder.as_uri()
    base = Basemap(
        label=f"本地瓦片 ({path.name})", crs="WGS84", url=f"{rel}/{{z}}/{{x}}/{{y}}.{ext}",
        labels_url="", subdomains="", attribution="本地瓦片", max_zoom=max(max_zoom, 1),
    )  # fmt: skip
    return LocalTiles(base, network=False)
