"""The demo's as-of moment, and the clock a demo or UAT process may be started at.

The demo plays the scheme forward (gestation, commissioning, claims) to DEMO_AS_OF through the
services, each given its own `now`. `make run` starts the web, worker and beat processes with
REPM_CLOCK_AS_OF set, and `start_from_env()` moves their clock there (ticking), so live figures
such as a penalty accruing or the days a payment has waited agree with the demo's data.
Production settings refuse REPM_CLOCK_AS_OF.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")
# Three SLI financial years (FY 2028-29 to 2030-31) complete and trued up; Q1 FY 2031-32 in the queue.
DEMO_AS_OF = dt.datetime(2031, 7, 20, 10, 0, tzinfo=IST)
ENV = "REPM_CLOCK_AS_OF"

_traveller = None


def as_of_from_env() -> dt.datetime | None:
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    if value == "demo":
        return DEMO_AS_OF
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=IST)


def start_from_env() -> dt.datetime | None:
    """Move this process's clock to REPM_CLOCK_AS_OF (if set), ticking from there; once per process."""
    global _traveller
    moment = as_of_from_env()
    if moment is None or _traveller is not None:
        return moment
    import time_machine

    _traveller = time_machine.travel(moment, tick=True)
    _traveller.start()
    return moment
