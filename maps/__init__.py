"""Interactive, offline Folium maps for planners."""
