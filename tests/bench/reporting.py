"""What every benchmark does with its figures: progress on stderr, a JSON file, and the
nearest-rank percentiles the simulator's reports use too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hotline.sim.report import percentile


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile_ms(values: list[float], q: float) -> float | None:
    """The q-th percentile of durations in seconds, in milliseconds; None for no values."""
    return percentile(values, q) * 1000 if values else None


def write_report(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {shown(path)}")


def shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
