"""The checkout the tests run from (the Procfile, the sources, the benches' var/)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
