"""Pipeline wiring (pipeline.py) and its configuration (config.py)."""
