"""Collection (R9-R11): registered sources, ingestion into the unified store, drift and freshness."""
