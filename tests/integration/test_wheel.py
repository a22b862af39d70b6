"""The package as a user installs it: `python -m build` makes the sdist and the wheel from
it, the wheel goes into a fresh virtual environment with its dependencies, and the
installed `hotline` simulates a night from an empty directory, reading what it ships
from site-packages and writing only under the current directory.

The environment is new and without --system-site-packages: a dependency missing from
pyproject.toml fails here instead of being found among the test run's own packages. It
has no pip of its own; the test run's pip installs into it (`pip --python`), which saves
bootstrapping one. Dependencies come from the package index, through pip's cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hotline.sim.report import render
from tests.support.repo import REPO_ROOT
from tests.support.sim import SMOKE_FIGURES, SMOKE_SEED

PACKAGES = ("hotline", "workers")
# What the installed interpreter says about itself: its site-packages, where the package's
# files and the settings' defaults are, and what is on its import path.
WHERE = (
    "import sys, sysconfig, hotline.settings, hotline.shipped, workers.dispatch; "
    "print(sysconfig.get_path('purelib')); print(hotline.shipped.shipped()); "
    "print(hotline.settings.DEFAULT_CONFIG); print(workers.dispatch.__file__); "
    "print('\\n'.join(sys.path))"
)


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stderr}"
    return done.stdout


def files_under(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPO_ROOT)], cwd=dist)
    (built,) = dist.glob("hotline-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=venv)
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    run([*pip, "install", "--quiet", "--no-compile", str(wheel)], cwd=venv)
    return venv


def clean_env() -> dict[str, str]:
    """The environment of a user with nothing set for Hotline, who does not keep bytecode
    (so that every file the run leaves behind is one it wrote on purpose).
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HOTLINE_", "PYTHON", "VIRTUAL_ENV")) and name != "REDIS_URL"
    }
    return env | {"PYTHONDONTWRITEBYTECODE": "1"}


def test_the_wheel_holds_every_file_of_the_packages(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = {name for name in archive.namelist() if ".dist-info/" not in name}
    sources = {
        f"{package}/{name}" for package in PACKAGES for name in files_under(REPO_ROOT / package)
    }
    assert names == sources


def test_the_installed_hotline_simulates_a_night_from_an_empty_directory(installed, tmp_path):
    before = files_under(installed)

    site_packages, shipped, config, workers, *path = run(
        [str(installed / "bin" / "python"), "-c", WHERE], cwd=tmp_path, env=clean_env()
    ).splitlines()
    stdout = run(
        [str(installed / "bin" / "hotline"), "simulate", "smoke", "--seed", str(SMOKE_SEED)],
        cwd=tmp_path,
        env=clean_env(),
    )

    site_packages = Path(site_packages)
    assert Path(shipped) == site_packages / "hotline"
    assert Path(config) == site_packages / "hotline" / "config" / "hotline.toml"
    assert Path(workers) == site_packages / "workers" / "dispatch.py"
    assert not any(entry.startswith(str(REPO_ROOT)) for entry in path)
    assert stdout == (
        render(SMOKE_FIGURES, title=f"smoke, seed {SMOKE_SEED}")
        + "\nChart: var/sim/smoke-seed1.html\n"
    )
    # What the run writes is under the current directory, and nothing in site-packages.
    assert files_under(tmp_path) == {"var/sim/smoke-seed1.html"}
    assert files_under(installed) == before
