"""Interactive, offline Folium maps for planners (``devzone map``).

``data`` reads the layers from the database, ``encode`` packs polygons compactly,
``build`` assembles the Folium page with devzone's canvas layers
(``templates/dzmap.js``), ``offline`` inlines the vendored Leaflet assets, and
``job.run_map`` ties them together.
"""
