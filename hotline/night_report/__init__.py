"""The night's report: what happened on the hotline between two times, told from its own
records (the calls on record and the audit trail), as the simulator tells a night.
"""

from __future__ import annotations

import math

from hotline.night_report.figures import NightReport, night_figures
from hotline.night_report.window import Window
from hotline.services import Services
from hotline.store import audit


def night_report(svc: Services, window: Window) -> NightReport:
    """Read the window's calls and audit entries and work out its figures. The entries
    made since the window's end are read too: a volunteer may flag a call of the window
    after it.
    """
    calls = svc.store.calls.between(window.start, window.end)
    entries = audit.between(svc.store.redis, window.start, math.inf)
    return night_figures(calls, entries, window, svc.settings.policy)
