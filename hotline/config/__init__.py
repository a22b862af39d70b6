"""The settings Hotline ships: hotline.toml (the triage policy, the prompts, the line),
which hotline.settings reads under any HOTLINE_CONFIG overlay, and gunicorn_conf (the web
server's settings, for `hotline serve` and the Procfile's `--config python:...`).
"""
