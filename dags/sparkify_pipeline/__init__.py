"""Shared code of the Sparkify DAG: settings and Cosmos configs (config.py), the input check (source_files.py)."""
