"""Zones: registry with lead/main industries, industry fit, ranking, the corridor."""
