"""Pipeline wiring (pipeline.py) and the settings put together (config.py); the lead's."""
