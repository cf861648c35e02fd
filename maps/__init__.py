"""Interactive, offline Folium maps for planners (``devzone map``): drawing only.

``data`` declares the frames one map shows (:class:`~devzone.maps.data.MapData`; the
job :mod:`devzone.jobs.maps` reads them from the database and computes the areas),
``encode`` packs polygons compactly, ``build`` assembles the Folium page with devzone's
canvas layers (``templates/dzmap.js``), one function per layer, and ``offline`` inlines
the vendored Leaflet assets.
"""
