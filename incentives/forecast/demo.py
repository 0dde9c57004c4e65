"""Demo of the budget forecast: nothing to seed (it reads the awards and the ledger); prints its outcome.

Runs after the SLI and recovery demos, so their sanctions and Vidarbha's exit are in what it reads.
"""

from __future__ import annotations

from beneficiaries.models import User
from incentives.forecast import selectors
from incentives.forecast.engine import Scenario, forecast
from repm_portal import clock
from repm_portal.money import format_crore
from repm_portal.roles import Role


def seed() -> list[str]:
    official = User.objects.filter(role=Role.OFFICIAL, is_active=True).order_by("pk").first()
    if official is None:
        return ["no official to read the forecast as: skipped"]
    scenario = Scenario()
    result = forecast(
        selectors.forecast_input(official, scenario=scenario, today=clock.today()).data
    )
    if not result.rows:
        return ["no award yet: nothing to forecast"]
    sli = result.sli
    risk = (
        f"exhausted in {sli.exhausted_in.label}, short by {format_crore(sli.excess)}"
        if sli.exhausted_in
        else f"not exhausted: {format_crore(sli.headroom)} left"
    )
    return [
        f"/forecast/ at the defaults (ramp {scenario.ramp_quarters} quarters, utilisation "
        f"{scenario.utilisation_pct:f} %, Rs {scenario.price_per_kg:f}/kg): "
        f"{result.rows[0].label} to {result.rows[-1].label}, SLI to the scheme's end "
        f"{format_crore(sli.total)} of {format_crore(sli.limit)} ({risk})",
    ]
