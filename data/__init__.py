"""Shipped data: policy tables (``policy/``), reference data (``reference/``), sample."""
