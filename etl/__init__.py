"""ETL: read land-registry exports, validate them, load them into the unified database."""
