"""devzone — GIS for development-zone (开发区) industrial land.

The repository root is the ``devzone`` package: ``etl/`` loads registry exports into
the unified industrial-land database (``db/``), ``landuse/`` and ``zones/`` analyse it,
``maps/`` draws it and ``data/`` ships the Lu'an sample and the policy tables.
"""

__version__ = "0.1.0"
