"""The files Hotline ships inside its package: the default settings (config/), the
simulator's scenarios (scenarios/), the election definitions (elections/) and the data
they name (data/: the Iowa 2020 roster and published results).

They are package data, found through importlib.resources wherever the package is
installed (a checkout, or a wheel in site-packages), never from the current directory.
Hotline is installed as files on disk, as pip installs a wheel (gunicorn and the
embedded Redis need that too), so a shipped file is a Path.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def shipped(*parts: str) -> Path:
    """A file or directory Hotline ships, e.g. shipped("scenarios", "demo.toml")."""
    path = files("hotline").joinpath(*parts)
    if not isinstance(path, Path):
        raise RuntimeError(f"Hotline must be installed as files on disk, not as {path!r}")
    return path


def named_file(name: str | Path, named_in: Path) -> Path:
    """The file a scenario or election file names: an absolute path as it is; a relative
    one beside the naming file if it is there, else the one Hotline ships, so that
    `data/iowa-2020/precincts.csv` is the shipped roster from a file anywhere.
    """
    path = Path(name)
    if path.is_absolute():
        return path
    beside = named_in.parent / path
    return beside if beside.exists() else shipped(*path.parts)
