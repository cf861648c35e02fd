"""The bundled Lu'an sample and the deterministic synthetic-data generator."""
