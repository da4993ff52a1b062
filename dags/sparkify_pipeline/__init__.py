"""Shared code of the Sparkify DAGs: settings (settings.py), Cosmos configs (config.py), the input check
(source_files.py)."""
